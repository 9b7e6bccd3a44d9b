"""Attacks against a real `sayso serve` process: stalled and oversized requests, extract floods."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.processes import sayso_env, sayso_server

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
READ_TIMEOUT = 2
WRITE_TIMEOUT = 1
"""Seconds per 100,000 characters: spaCy alone needs about 5 on this text."""
MAX_HEADER_BYTES = 8192


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    env = sayso_env(
        tmp_path_factory.mktemp("attacks") / "index",
        read_timeout=str(READ_TIMEOUT),
        max_header_bytes=str(MAX_HEADER_BYTES),
        extract_concurrency="1",
        extract_timeout="3",
        write_timeout=str(WRITE_TIMEOUT),
        write_concurrency="1",
    )
    with sayso_server(env, tmp_path_factory.getbasetemp() / "attacks.log") as base:
        yield base


@pytest.fixture(scope="module")
def server_log(server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.getbasetemp() / "attacks.log"


def connect(url: str) -> socket.socket:
    port = int(url.rsplit(":", 1)[1])
    return socket.create_connection(("127.0.0.1", port), timeout=30)


def test_a_huge_unfinished_header_is_refused(server: str) -> None:
    sent = 0
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: ")
        chunk = b"a" * 65_536
        try:  # the server closes the connection: reset or broken pipe
            while sent < 30 * 1024 * 1024:
                sock.sendall(chunk)
                sent += len(chunk)
        except OSError:
            pass
    assert sent < 30 * 1024 * 1024, "the server read a 30 MB header"
    assert httpx.get(f"{server}/healthz", timeout=5).status_code == 200


def test_a_stalled_request_is_closed_within_the_read_timeout(server: str) -> None:
    with connect(server) as sock:
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")
        started = time.monotonic()
        sock.settimeout(READ_TIMEOUT + 10)
        with contextlib.suppress(ConnectionResetError):  # closed, by FIN or by RST
            assert sock.recv(1024) == b""
        assert time.monotonic() - started < READ_TIMEOUT + 3


def exchange(url: str, request: bytes) -> tuple[bytes, dict[str, str], bytes]:
    """Send raw bytes; the status line, headers and body of the answer (read to close)."""
    with connect(url) as sock:
        sock.sendall(request)
        received = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65_536):
                received += chunk
    head, _, body = received.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.strip().lower(): v.strip() for k, v in (line.split(":", 1) for line in lines)}
    return status.encode(), headers, body


@pytest.mark.parametrize(
    "request_bytes",
    [
        b"NOT AN HTTP REQUEST\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nNo colon here\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Name: x\r\n\r\n",
        b"GET /healthz HTTP/1.1\r\n\r\n",  # HTTP/1.1 without Host
    ],
    ids=["request-line", "header-line", "header-name", "no-host"],
)
def test_malformed_http_gets_the_error_shape(server: str, request_bytes: bytes) -> None:
    status, headers, body = exchange(server, request_bytes)
    assert status.startswith(b"HTTP/1.1 400"), status
    assert headers["content-type"] == "application/json"
    error = json.loads(body)["error"]
    assert error["code"] == "bad_request" and error["message"] and error["details"] == []


def test_an_oversized_head_gets_431_in_the_error_shape(server: str) -> None:
    # Unfinished: h11 measures a head that has not ended yet.
    filler = b"a" * (MAX_HEADER_BYTES + 1024)
    status, headers, body = exchange(
        server, b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Filler: " + filler
    )
    assert status.startswith(b"HTTP/1.1 431"), status
    assert headers["content-type"] == "application/json"
    assert json.loads(body)["error"]["code"] == "request_header_too_large"


def test_an_idle_connection_is_closed(server: str) -> None:
    with connect(server) as sock:
        started = time.monotonic()
        sock.settimeout(READ_TIMEOUT + 10)
        assert sock.recv(1024) == b""
        assert time.monotonic() - started < READ_TIMEOUT + 3


def test_healthz_stays_fast_under_an_extract_flood(server: str) -> None:
    hostile = {"text": '"a" ' * 12_000}  # many tiny quotes: seconds of parsing each

    def post() -> httpx.Response:
        return httpx.post(f"{server}/v1/extract", json=hostile, timeout=60)

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        flood = [pool.submit(post) for _ in range(4)]
        time.sleep(0.5)
        slowest = 0.0
        for _ in range(5):
            started = time.monotonic()
            assert httpx.get(f"{server}/healthz", timeout=10).status_code == 200
            slowest = max(slowest, time.monotonic() - started)
            time.sleep(0.3)
        answers = [future.result() for future in flood]
    assert slowest < 1.0, f"/healthz took {slowest:.2f} s during the flood"
    assert all(a.status_code == 503 for a in answers), [a.status_code for a in answers]
    assert {a.json()["error"]["code"] for a in answers} == {"extract_unavailable"}
    assert all(a.headers["retry-after"] for a in answers)
    deadline = time.monotonic() + 60  # the abandoned work frees its slot at its next stage
    while True:
        ok = httpx.post(f"{server}/v1/extract", json={"text": '"We won," said Ana Ruiz.'})
        if ok.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(1)
    assert ok.status_code == 200 and ok.json()["quotes"]


def test_extract_over_its_size_budget_is_413(server: str) -> None:
    response = httpx.post(f"{server}/v1/extract", json={"text": "word " * 50_000}, timeout=30)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"


def article(characters: int, doc_id: str) -> dict[str, str]:
    """A long ordinary article (the seed repeated): seconds of spaCy per 100,000 characters."""
    seed = next((ROOT / "seeds").glob("*.txt")).read_text("utf-8")
    text = (seed * (characters // len(seed) + 1))[:characters]
    return {"id": doc_id, "title": "Long", "text": text}


def index_id(url: str) -> str:
    return str(httpx.get(f"{url}/readyz", timeout=10).json()["index_id"])


def wait_for_a_free_write_slot(url: str, doc_id: str) -> None:
    deadline = time.monotonic() + 60  # the stopped write frees its slot at its next stage
    small = {"id": doc_id, "text": "The harbour bought twelve electric cranes."}
    while True:
        response = httpx.post(f"{url}/v1/documents", json=small, timeout=60)
        if response.status_code != 503 or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    assert response.status_code in (200, 201), response.text


def test_a_write_past_its_budget_is_503_and_leaves_the_index(server: str) -> None:
    before = index_id(server)
    started = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        write = pool.submit(
            httpx.post, f"{server}/v1/documents", json=article(200_000, "too-slow"), timeout=120
        )
        time.sleep(0.5)
        health = time.monotonic()
        assert httpx.get(f"{server}/healthz", timeout=10).status_code == 200
        assert time.monotonic() - health < 1.0
        response = write.result()
    took = time.monotonic() - started
    assert response.status_code == 503, response.text
    assert response.json()["error"]["code"] == "write_unavailable"
    assert int(response.headers["retry-after"]) >= 2  # a budget of 2 s for 200,000 characters
    assert took < 2 + 8, f"answered after {took:.1f} s"  # the budget, then one spaCy stage
    assert httpx.get(f"{server}/v1/documents/too-slow", timeout=10).status_code == 404
    assert index_id(server) == before
    wait_for_a_free_write_slot(server, "after-budget")


def test_a_write_while_the_write_slot_is_taken_is_503(server: str) -> None:
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        first = pool.submit(
            httpx.post, f"{server}/v1/documents", json=article(300_000, "slow-one"), timeout=120
        )
        time.sleep(0.5)
        started = time.monotonic()
        second = httpx.post(
            f"{server}/v1/documents", json={"id": "second", "text": "Short."}, timeout=30
        )
        assert time.monotonic() - started < 1.0  # refused at once, not queued
        first.result()
    assert second.status_code == 503
    assert second.json()["error"]["code"] == "write_unavailable"
    assert second.headers["retry-after"]
    wait_for_a_free_write_slot(server, "after-slot")


def test_a_write_stops_when_its_client_leaves(server: str, server_log: Path) -> None:
    before = index_id(server)
    with pytest.raises(httpx.ReadTimeout):  # the client gives up and closes the connection
        httpx.post(f"{server}/v1/documents", json=article(600_000, "abandoned"), timeout=1.5)
    deadline = time.monotonic() + 5
    while "The write stopped: the client left" not in server_log.read_text("utf-8"):
        assert time.monotonic() < deadline, "the server never noticed the client leave"
        time.sleep(0.2)
    wait_for_a_free_write_slot(server, "after-client")
    assert httpx.get(f"{server}/v1/documents/abandoned", timeout=10).status_code == 404
    assert index_id(server) != before  # the small write went in; the abandoned one did not
