"""End to end: `sayso serve --workers 2` on one index: one scrape counts both workers, a
write through either is served by both, every log line is JSON, and each worker runs
sayso's protocol (read timeout, malformed HTTP in the error shape)."""

from __future__ import annotations

import contextlib
import json
import re
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import build_index, sayso_env, sayso_server
from tests.service.test_writes import STORY

pytestmark = pytest.mark.e2e

REQUESTS = 24
READ_TIMEOUT = 2


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    root = tmp_path_factory.mktemp("workers")
    env = sayso_env(root / "index", log_level="INFO", read_timeout=str(READ_TIMEOUT))
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


def raw(base: str) -> socket.socket:
    return socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1])), timeout=30)


def test_every_worker_closes_a_stalled_request_after_the_read_timeout(
    workers: tuple[str, Path],
) -> None:
    base, _ = workers
    # Several connections: the kernel hands them to both workers.
    sockets = [raw(base) for _ in range(6)]
    try:
        for sock in sockets:
            sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # half a head
        started = time.monotonic()
        for sock in sockets:
            sock.settimeout(READ_TIMEOUT + 10)
            with contextlib.suppress(ConnectionResetError):  # closed, by FIN or by RST
                assert sock.recv(1024) == b""
        assert time.monotonic() - started < READ_TIMEOUT + 3
    finally:
        for sock in sockets:
            sock.close()


def test_every_worker_answers_malformed_http_in_the_error_shape(
    workers: tuple[str, Path],
) -> None:
    base, _ = workers
    for _ in range(6):
        with raw(base) as sock:
            sock.sendall(b"NOT AN HTTP REQUEST\r\n\r\n")
            received = b""
            with contextlib.suppress(ConnectionResetError):
                while chunk := sock.recv(65_536):
                    received += chunk
        head, _, body = received.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400"), head
        assert b"content-type: application/json" in head.lower()
        assert json.loads(body)["error"]["code"] == "bad_request"
