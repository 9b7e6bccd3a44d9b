"""Throughput of several serving processes sharing one index: uvicorn --workers 1, 2, 4.

Usage: python bench/workers.py [--index DIR] [--seconds 20] [--concurrency 8]

Builds the seed index (real bundled model) if missing, then for each worker count starts
`uvicorn --factory service.app:create_app --workers N` on a free port, waits for /readyz
in every worker, and fires POST /v1/search from `concurrency` client threads for
`seconds`. Prints requests/s and latency p50/p99 (ms) per worker count as a table.
Not run by `make test`. The load generator shares the machine's cores with the server.
The worker health-check timeout is raised to 120 s: a worker loading the model in its
background thread answers the supervisor's ping late, and the default 5 s kills it.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
QUESTIONS = [
    json.loads(line)["question"]
    for line in (ROOT / "evals/data/dev_questions.jsonl").read_text().splitlines()
]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_ready(url: str, workers: int, timeout: float = 300) -> None:
    """Every worker answers /readyz 200 (probe many times: requests spread over workers)."""
    deadline = time.time() + timeout
    ok = 0
    while time.time() < deadline:
        try:
            ok = ok + 1 if httpx.get(f"{url}/readyz", timeout=5).status_code == 200 else 0
        except httpx.HTTPError:
            ok = 0
        if ok >= 10 * workers:
            return
        time.sleep(0.05 if ok else 0.5)
    raise TimeoutError(f"{url} not ready after {timeout}s")


def load(url: str, seconds: float, concurrency: int) -> tuple[float, list[float]]:
    latencies: list[float] = []
    lock = threading.Lock()
    stop = time.time() + seconds

    def client(offset: int) -> None:
        with httpx.Client(timeout=30) as http:
            n = offset
            while time.time() < stop:
                started = time.perf_counter()
                reply = http.post(
                    f"{url}/v1/search", json={"question": QUESTIONS[n % len(QUESTIONS)], "k": 5}
                )
                reply.raise_for_status()
                with lock:
                    latencies.append((time.perf_counter() - started) * 1000)
                n += 1

    threads = [threading.Thread(target=client, args=(i,)) for i in range(concurrency)]
    began = time.time()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return len(latencies) / (time.time() - began), latencies


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--index", type=Path, default=Path("/tmp/sayso-bench-index"))
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", default="1,2,4")
    args = parser.parse_args()
    env = os.environ | {"SAYSO_INDEX_DIR": str(args.index), "PYTHONPATH": str(ROOT)}
    build = [sys.executable, "-c", "from service.cli import main; main()", "build"]
    subprocess.run(build, env=env, check=True, cwd=ROOT)
    print("| workers | requests/s | p50 ms | p99 ms |\n| --- | --- | --- | --- |")
    for workers in (int(w) for w in args.workers.split(",")):
        port = free_port()
        url = f"http://127.0.0.1:{port}"
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                "service.app:create_app",
                "--port",
                str(port),
                "--workers",
                str(workers),
                "--timeout-worker-healthcheck",
                "120",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        )
        try:
            wait_ready(url, workers)
            load(url, 3, args.concurrency)  # warm-up
            rate, latencies = load(url, args.seconds, args.concurrency)
            q = statistics.quantiles(latencies, n=100)
            print(f"| {workers} | {rate:.1f} | {q[49]:.0f} | {q[98]:.0f} |", flush=True)
        finally:
            server.terminate()
            server.wait(timeout=30)


if __name__ == "__main__":
    main()
