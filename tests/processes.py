"""Real processes for the deployment tests: sayso servers, Debian's redis-server and nginx,
each on a free loopback port, started by the test and stopped after it (`make services`
installs the two binaries)."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from tests.conftest import FAKE_MODEL, LEAN_PROFILE, ROOT

READY_TIMEOUT_S = 180


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def non_loopback_address() -> str | None:
    """An IPv4 address of this machine that is not loopback (a client from "the network"),
    or None when there is none."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as probe:
        try:
            probe.connect(("192.0.2.1", 9))  # no packet is sent: this only picks a route
            address = str(probe.getsockname()[0])
        except OSError:
            return None
    return None if address.startswith("127.") or address == "0.0.0.0" else address


def binary(name: str) -> str:
    """The path of a Debian service binary, or skip: `make services` installs them."""
    found = shutil.which(name) or shutil.which(name, path="/usr/sbin:/usr/bin")
    if found is None:
        pytest.skip(f"{name} is not installed (run `make services`)")
    return found


def sayso_env(index_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a sayso process on the fake encoder over `index_dir`, in the
    suite's lean profile (tests/conftest.py LEAN_PROFILE), with `settings` on top
    (`api_key="k"` is SAYSO_API_KEY)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SAYSO_")} | LEAN_PROFILE
    env |= {
        "PYTHONPATH": str(ROOT),
        "SAYSO_MODEL": FAKE_MODEL,
        "SAYSO_INDEX_DIR": str(index_dir),
        "SAYSO_SEEDS_DIR": str(ROOT / "seeds"),
    }
    return env | {f"SAYSO_{k.upper()}": v for k, v in settings.items()}


def build_index(env: Mapping[str, str]) -> None:
    subprocess.run(
        [sys.executable, "-m", "service", "build"],
        env=dict(env),
        cwd=ROOT,
        check=True,
        capture_output=True,
    )


@contextmanager
def running(
    command: list[str], log: Path, env: Mapping[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """`command` in its own process group, stopped (SIGTERM, then SIGKILL) afterwards."""
    with log.open("wb") as out:
        process = subprocess.Popen(
            command,
            cwd=ROOT,
            env=dict(env) if env is not None else None,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        try:
            yield process
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


def wait_until(
    check: str,
    process: subprocess.Popen[bytes],
    log: Path,
    *,
    times: int = 1,
    timeout: float = READY_TIMEOUT_S,
) -> None:
    """Wait until GET `check` answers 200 `times` times in a row (at most `timeout` s)."""
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"{process.args} exited early:\n{log.read_text()[-3000:]}")
        try:
            streak = streak + 1 if httpx.get(check, timeout=2).status_code == 200 else 0
        except httpx.HTTPError:
            streak = 0
        if streak >= times:
            return
        time.sleep(0.2)
    pytest.fail(f"{check} not ready in {timeout}s:\n{log.read_text()[-3000:]}")


@contextmanager
def sayso_server(
    env: Mapping[str, str], log: Path, *, workers: int = 1, port: int | None = None
) -> Iterator[str]:
    """`sayso serve` on a free loopback port (the index already built); yields its URL."""
    port = port or free_port()
    command = [sys.executable, "-m", "service", "serve", "--port", str(port)]
    if workers > 1:
        command += ["--workers", str(workers)]
    with running(command, log, env) as process:
        base = f"http://127.0.0.1:{port}"
        wait_until(f"{base}/readyz", process, log, times=workers)
        yield base


@contextmanager
def redis_server(directory: Path) -> Iterator[str]:
    """Debian's redis-server on a free loopback port, nothing saved; yields its URL."""
    port = free_port()
    command = [binary("redis-server"), "--port", str(port), "--bind", "127.0.0.1"]
    command += ["--save", "", "--appendonly", "no", "--dir", str(directory)]
    with running(command, directory / "redis.log") as process:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            if process.poll() is not None:
                pytest.fail((directory / "redis.log").read_text())
            time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"


def nginx_config(snippet: str, directory: Path, *, listen: list[str], upstreams: list[str]) -> Path:
    """A complete nginx.conf running `snippet` (deploy/nginx.conf) with its listen and
    upstream lines replaced, every path inside `directory`."""
    listen_lines = "".join(f"    listen {address};\n" for address in listen)
    server_lines = "".join(f"    server {address};\n" for address in upstreams)
    body = snippet.replace("    listen 8000;\n", listen_lines)
    body = body.replace(
        "    server sayso:8000;  # compose: Docker's DNS resolves \"sayso\" to the service's "
        "container\n",
        server_lines,
    )
    assert body != snippet and server_lines in body and listen_lines in body
    body = body.replace("/dev/stdout sayso;", f"{directory}/access.log sayso;")
    temp = "".join(
        f"    {kind}_temp_path {directory}/{kind};\n"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (directory / "sayso.conf").write_text(body)
    config = directory / "nginx.conf"
    config.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"daemon off;\nworker_processes 1;\npid {directory}/nginx.pid;\n"
        f"error_log {directory}/error.log info;\nevents {{ worker_connections 256; }}\n"
        f"http {{\n{temp}    include {directory}/sayso.conf;\n}}\n"
    )
    return config


@contextmanager
def nginx(config: Path, check: str) -> Iterator[None]:
    """Debian's nginx with `config`, until it answers `check`."""
    command = [binary("nginx"), "-c", str(config), "-p", str(config.parent)]
    log = config.parent / "nginx.out"
    with running(command, log) as process:
        wait_until(check, process, log)
        yield
