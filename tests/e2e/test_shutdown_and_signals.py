"""A real `sayso serve` process: writes persist across restarts; SIGTERM lets requests finish."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import FAKE_MODEL, ROOT, SEED_ID

pytestmark = pytest.mark.e2e


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_server(tmp_path: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(
        os.environ,
        PYTHONPATH=str(ROOT),
        SAYSO_MODEL=FAKE_MODEL,
        SAYSO_INDEX_DIR=str(tmp_path / "index"),
        SAYSO_SEEDS_DIR=str(ROOT / "seeds"),
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited while starting"
        try:
            if httpx.get(f"http://127.0.0.1:{port}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.TransportError:
            time.sleep(0.2)
    process.kill()
    raise AssertionError("the server did not become ready")


@pytest.fixture()
def server(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], str]]:
    port = free_port()
    process = start_server(tmp_path, port)
    try:
        yield process, f"http://127.0.0.1:{port}"
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_sigterm_lets_an_in_flight_write_finish_and_keeps_it(
    server: tuple[subprocess.Popen[bytes], str], tmp_path: Path
) -> None:
    process, url = server
    body = b'{"id": "late-story", "text": "A story that arrives slowly, paragraph by paragraph."}'

    def slow_body() -> Iterator[bytes]:
        yield body[:20]
        process.send_signal(signal.SIGTERM)  # the request is in flight: half its body sent
        time.sleep(0.5)
        yield body[20:]

    response = httpx.post(
        f"{url}/v1/documents",
        content=slow_body(),
        headers={"content-type": "application/json"},
        timeout=60,
    )
    assert response.status_code == 201, response.text
    # uvicorn shuts down gracefully, then re-raises the signal it caught.
    assert process.wait(timeout=60) in (0, -signal.SIGTERM)
    # Acknowledged means durable: a new server over the same directory serves it.
    port = free_port()
    again = start_server(tmp_path, port)
    try:
        ids = httpx.get(f"http://127.0.0.1:{port}/v1/documents").json()["documents"]
        assert {d["id"] for d in ids} == {SEED_ID, "late-story"}
    finally:
        again.send_signal(signal.SIGTERM)
        again.wait(timeout=60)
