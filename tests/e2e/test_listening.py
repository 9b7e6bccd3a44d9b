"""End to end: a server listening on 0.0.0.0 refuses key-less writes even from 127.0.0.1
(the request alone looks loopback), whichever way it starts; a loopback-bound one accepts."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.processes import build_index, free_port, running, sayso_env, wait_until
from tests.service.test_writes import STORY

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc"),
]


@pytest.fixture(scope="module")
def env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    env = sayso_env(tmp_path_factory.mktemp("listening") / "index")
    build_index(env)
    return env


@contextmanager
def uvicorn(env: dict[str, str], log: Path, host: str, workers: int = 1) -> Iterator[str]:
    """`uvicorn --factory service.app:create_app --host HOST`, reached through 127.0.0.1."""
    port = free_port()
    command = [sys.executable, "-m", "uvicorn", "--factory", "service.app:create_app"]
    command += ["--host", host, "--port", str(port), "--workers", str(workers)]
    with running(command, log, env) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/readyz", process, log, times=workers)
        yield base


@pytest.mark.parametrize("workers", [1, 2])
def test_a_server_on_every_address_refuses_keyless_writes_from_loopback(
    env: dict[str, str], tmp_path: Path, workers: int
) -> None:
    with uvicorn(env, tmp_path / "serve.log", "0.0.0.0", workers) as base:
        for _ in range(2 * workers):  # fresh connections: whichever worker takes them
            story = STORY | {"id": "listening-story"}
            response = httpx.post(f"{base}/v1/documents", json=story, timeout=60)
            assert response.status_code == 403, response.text
            error = response.json()["error"]
            assert error["code"] == "writes_disabled" and "0.0.0.0" in error["message"]
            deleted = httpx.delete(f"{base}/v1/documents/{STORY['id']}", timeout=60)
            assert deleted.status_code == 403
        assert httpx.get(f"{base}/readyz", timeout=30).json()["writes"] == "disabled"
        listed = httpx.get(f"{base}/v1/documents", timeout=30).json()["documents"]
        assert "listening-story" not in {d["id"] for d in listed}


def test_a_loopback_bound_server_accepts_keyless_writes_from_loopback(
    env: dict[str, str], tmp_path: Path
) -> None:
    with uvicorn(env, tmp_path / "serve.log", "127.0.0.1") as base:
        assert httpx.get(f"{base}/readyz", timeout=30).json()["writes"] == "open"
        story = STORY | {"id": "loopback-story"}
        response = httpx.post(f"{base}/v1/documents", json=story, timeout=60)
        assert response.status_code == 201, response.text
