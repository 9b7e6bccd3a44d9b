"""End to end: `sayso serve --workers 2` on one index: one scrape counts both workers, a
write through either is served by both, every log line is JSON."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import build_index, sayso_env, sayso_server
from tests.service.test_writes import STORY

pytestmark = pytest.mark.e2e

REQUESTS = 24


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("workers")
    env = sayso_env(root / "index", log_level="INFO")
    build_index(env)
    log = root / "serve.log"
    with sayso_server(env, log, workers=2) as base:
        yield base, log


def counted(metrics: str, route: str) -> float:
    labels = f'method="GET",route="{re.escape(route)}",status="200"'
    pattern = rf"^sayso_http_requests_total\{{{labels}\}} (\S+)$"
    return sum(float(m) for m in re.findall(pattern, metrics, re.M))


def test_one_scrape_counts_every_worker(workers: tuple[str, Path]) -> None:
    base, _ = workers
    with httpx.Client(base_url=base, timeout=30) as http:
        for _ in range(REQUESTS):  # fresh connections: the kernel spreads them over workers
            assert httpx.get(f"{base}/v1/documents", timeout=30).status_code == 200
        # A worker counts a request just after its answer is sent: give the last one a moment.
        deadline = time.monotonic() + 10
        while counted(http.get("/metrics").text, "/v1/documents") < REQUESTS:
            assert time.monotonic() < deadline, "the scrape never counted every request"
            time.sleep(0.1)
        scrapes = [http.get("/metrics").text for _ in range(4)]
    for text in scrapes:  # whichever worker answers the scrape
        assert counted(text, "/v1/documents") == REQUESTS
        pids = re.findall(r'^sayso_worker_resident_memory_bytes\{pid="(\d+)"\} (\S+)$', text, re.M)
        assert len(pids) == 2
        assert all(float(resident) > 10e6 for _, resident in pids)


def test_a_write_is_served_by_every_worker(workers: tuple[str, Path]) -> None:
    base, _ = workers
    story = STORY | {"id": "workers-story"}
    assert httpx.post(f"{base}/v1/documents", json=story, timeout=60).status_code == 201
    for _ in range(10):
        assert httpx.get(f"{base}/v1/documents/workers-story", timeout=30).status_code == 200
        ready = httpx.get(f"{base}/readyz", timeout=30).json()
        assert ready["documents"] == 2
        assert ready["store"] == {"kind": "faiss", "location": str(workers[1].parent / "index")}


def test_every_log_line_is_json_with_a_request_id_field(workers: tuple[str, Path]) -> None:
    base, log = workers
    httpx.get(f"{base}/v1/documents/missing", headers={"X-Request-ID": "workers-rid"})
    records = []
    for line in log.read_text().splitlines():
        if line.startswith("{"):
            records.append(json.loads(line))
        else:  # the command's own banner and progress, before the workers start
            assert "uvicorn" not in line.lower() or "sayso serving" in line, line
    assert all("request_id" in record for record in records)
    loggers = {record["logger"] for record in records}
    assert {"uvicorn.error", "sayso.access"} <= loggers
    assert any(r["request_id"] == "workers-rid" and r.get("status") == 404 for r in records)
