"""The load drill of `make load`: two workers, the limiter on and kept in Redis.

    python bench/drill.py [--duration 30] [--workers 2] [--rate 10] [--burst 10]

Starts Debian's redis-server and `sayso serve --workers N` (real bundled model, the seed
index under var/drill, built once) on free loopback ports, with SAYSO_RATE_LIMIT=rate and
SAYSO_RATE_LIMIT_STORE pointing at that Redis; runs bench/load.py against it with eight
senders over four client addresses, each sender paced at a third of the limit, plus one
greedy client, every request on a new connection (so every worker serves them); stops
both processes. Prints the load report and the verdict:

- no 5xx and no transport errors;
- no 429 for the paced clients (they stay under the limit);
- the greedy client got at most `burst + rate * seconds` answers (+10 % + 2), and 429s
  (one bucket for both workers: without Redis it can get that once per worker);
- worker memory (the sum over the workers warm at the start, see `warm_growth_pct`) grew
  by less than 10 % from the end of the warm-up (`--warmup` seconds of the same traffic and one write, which load the models and
  the quote extractor in each worker) to the end.

Exit status 0 when every check holds. Bounded: at most 300 s of traffic.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))
import load  # bench/load.py, the traffic

ROOT = Path(__file__).resolve().parents[1]
SENDERS, CLIENTS = 8, 4
MAX_MEMORY_GROWTH_PCT = 10.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def process(command: list[str], log: Path, env: dict[str, str] | None = None) -> Iterator[None]:
    with log.open("wb") as out:
        child = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            yield
        finally:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)


def wait_ready(url: str, workers: int, timeout: float = 600) -> None:
    deadline = time.monotonic() + timeout
    streak = 0
    while time.monotonic() < deadline and streak < 5 * workers:
        try:
            streak = streak + 1 if httpx.get(f"{url}/readyz", timeout=5).status_code == 200 else 0
        except httpx.HTTPError:
            streak = 0
        time.sleep(0.1 if streak else 1.0)
    if streak < 5 * workers:
        raise TimeoutError(f"{url} not ready after {timeout}s")


def warm_growth_pct(workers: dict[str, list[float]]) -> float:
    """Memory growth over the run of the workers that were warm when it started (within 80 %
    of the largest): connections reach workers unevenly, and a worker that served none of
    the warm-up loads the quote extractor and the encoder's buffers on its first requests,
    which is a one-time cost, not growth under load."""
    top = max(start for start, _ in workers.values())
    warm = [(start, end) for start, end in workers.values() if start >= 0.8 * top]
    before = sum(start for start, _ in warm)
    return 100 * (sum(end for _, end in warm) - before) / before


def verdict(report: dict[str, Any], rate: float, burst: int) -> dict[str, Any]:
    greedy = report["greedy"] or {}
    ceiling = burst + rate * greedy.get("seconds", 0)
    allowed = greedy.get("200", 0)
    checks = {
        "no_5xx": report["status_5xx"] == 0
        and not any(e.split()[0].isalpha() for e in report["error_samples"]),
        "no_429_under_the_limit": report["status_429"] == 0 and report["errors"] == 0,
        # One bucket for every worker: never more than the limit allows in that time.
        "greedy_held_to_one_limit": allowed <= 1.1 * ceiling + 2 and greedy.get("429", 0) > 0,
        "memory_flat": warm_growth_pct(report["rss_workers_mb"]) < MAX_MEMORY_GROWTH_PCT,
    }
    return {
        "rss_growth_warm_workers_pct": round(warm_growth_pct(report["rss_workers_mb"]), 1),
        "greedy_ceiling_200": round(ceiling, 1),
        "greedy_share_of_ceiling": round(allowed / ceiling, 2) if ceiling else None,
        "checks": checks,
        "ok": all(checks.values()),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=30.0, help="seconds, at most 300")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument(
        "--warmup", type=float, default=10.0, help="seconds of traffic before memory is measured"
    )
    parser.add_argument("--rate", type=float, default=10.0, help="SAYSO_RATE_LIMIT, per client")
    parser.add_argument("--burst", type=int, default=10, help="SAYSO_RATE_BURST")
    parser.add_argument(
        "--per-process",
        action="store_true",
        help="no Redis: each worker limits on its own (the greedy check is then expected to fail)",
    )
    parser.add_argument("--index", type=Path, default=ROOT / "var" / "drill" / "index")
    args = parser.parse_args()
    redis_binary = shutil.which("redis-server") or "/usr/bin/redis-server"
    work = args.index.parent
    work.mkdir(parents=True, exist_ok=True)
    redis_port, port = free_port(), free_port()
    env = os.environ | {
        "SAYSO_INDEX_DIR": str(args.index),
        "SAYSO_RATE_LIMIT": str(args.rate),
        "SAYSO_RATE_BURST": str(args.burst),
    }
    if not args.per_process:
        env["SAYSO_RATE_LIMIT_STORE"] = f"redis://127.0.0.1:{redis_port}/0"
    redis = [redis_binary, "--port", str(redis_port), "--bind", "127.0.0.1", "--save", ""]
    serve = [sys.executable, "-m", "service", "serve", "--port", str(port)]
    serve += ["--workers", str(args.workers)]
    url = f"http://127.0.0.1:{port}"
    with (
        process([*redis, "--appendonly", "no"], work / "redis.log"),
        process(serve, work / "serve.log", env),
    ):
        wait_ready(url, args.workers)
        options = argparse.Namespace(
            url=url,
            duration=min(args.duration, 300.0),
            concurrency=SENDERS,
            clients=CLIENTS,
            pace=args.rate / 3 / (SENDERS // CLIENTS),
            greedy=True,
            api_key="",
            warmup=args.warmup,
            fresh=True,
        )
        report = asyncio.run(load.run(options))
    report |= {"workers": args.workers, "rate_limit": args.rate, "rate_burst": args.burst}
    report["rate_limit_store"] = "per process" if args.per_process else "redis"
    report |= verdict(report, args.rate, args.burst)
    print(json.dumps(report, indent=2))
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
