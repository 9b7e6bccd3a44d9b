"""Attacks against a real `sayso serve` process: stalled and oversized requests, extract floods."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FAKE_MODEL

pytestmark = pytest.mark.e2e
ROOT = Path(__file__).resolve().parents[2]
READ_TIMEOUT = 2
MAX_HEADER_BYTES = 8192


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    port = free_port()
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        SAYSO_MODEL=FAKE_MODEL,
        SAYSO_INDEX_DIR=str(tmp_path_factory.mktemp("attacks") / "index"),
        SAYSO_SEEDS_DIR=str(ROOT / "seeds"),
        SAYSO_READ_TIMEOUT=str(READ_TIMEOUT),
        SAYSO_MAX_HEADER_BYTES=str(MAX_HEADER_BYTES),
        SAYSO_EXTRACT_CONCURRENCY="1",
        SAYSO_EXTRACT_TIMEOUT="3",
    )
    command = [sys.executable, "-m", "service", "serve", "--port", str(port)]
    process = subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            assert process.poll() is None, "the server exited while starting"
            assert time.monotonic() < deadline, "the server did not become ready"
            try:
                if httpx.get(f"{url}/readyz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        process.kill()
        process.wait()


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
