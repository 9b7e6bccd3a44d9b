"""End to end: `make serve` as the README says, on a free port and a fresh index, over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator

import httpx
import pytest

from tests.conftest import ROOT, default_profile
from tests.processes import free_port, running, wait_until

pytestmark = pytest.mark.e2e

READY_TIMEOUT_S = 600  # a fresh clone's first start exports the model to ONNX


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    index_dir = tmp_path_factory.mktemp("e2e") / "index"
    # The default profile, as a newcomer gets it: mode cascade with its two models.
    env = default_profile(dict(os.environ)) | {
        "SAYSO_INDEX_DIR": str(index_dir),
        "SAYSO_SEEDS_DIR": str(ROOT / "seeds"),
    }
    log = index_dir.parent / "server.log"
    command = ["make", "--no-print-directory", "serve", f"PORT={port}"]
    with running(command, log, env) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/readyz", process, log, timeout=READY_TIMEOUT_S)
        yield base


def test_ready_reports_the_fresh_index(server: str) -> None:
    body = httpx.get(f"{server}/readyz").json()
    assert body["documents"] == 1
    assert body["passages"] > 5
    assert body["model"] == "all-MiniLM-L6-v2"


def test_the_default_mode_is_the_cascade(server: str) -> None:
    profile = httpx.get(f"{server}/readyz").json()["profile"]
    assert profile["mode"] == "cascade"
    assert profile["late_model"] == "answerai-colbert-small-v1"
    assert profile["reranker"] == "ms-marco-MiniLM-L-12-v2"
    assert profile["rerank"]["gate"] > 0
    body = httpx.post(
        f"{server}/v1/search",
        json={"question": "Who heads the Chinese Academy of Macroeconomic Research?", "k": 3},
        timeout=60,
    ).json()
    assert body["mode"] == "cascade" and "late" in body["timings_ms"]
    assert all("late" in p["scores"] for p in body["passages"])
    assert "Huang Hanquan" in body["passages"][0]["text"]
    # "rerank": false drops the cross-encoder: mode late.
    lean = httpx.get(f"{server}/v1/search", params={"q": "R&D spending", "rerank": "false"})
    assert lean.json()["mode"] == "late"


def test_question_over_http_returns_exact_offsets(server: str) -> None:
    response = httpx.get(
        f"{server}/v1/search", params={"q": "How much did China spend on R&D?", "k": 3}
    )
    assert response.status_code == 200
    passages = response.json()["passages"]
    assert "3.6 trillion yuan" in passages[0]["text"]
    doc = httpx.get(f"{server}/v1/documents/{passages[0]['doc_id']}").json()
    for passage in passages:
        assert doc["text"][passage["start"] : passage["end"]] == passage["text"]


def test_errors_over_http(server: str) -> None:
    response = httpx.post(f"{server}/v1/search", json={"question": "  "})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
    assert httpx.get(f"{server}/healthz").json() == {"status": "ok"}
