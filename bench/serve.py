"""Latency benchmark of a real `sayso serve` process on loopback (not a test; never fails on time).

Reports, as medians over --runs repeated runs:
- start-up: process start to ready, and to the first answered query;
- POST /v1/search (hybrid, k=5) latency p50/p95/p99, one client at a time, dev questions;
- throughput and p99 at concurrency 8;
- the floor: the bare encoder on the same questions, in process, and end-to-end p50 / floor;
- server resident memory after the run;
- index build throughput (passages per second) on a SciFact sample.

    python bench/serve.py [--runs 3] [--passes 3] [--scifact-docs 1000]

Settings (SAYSO_MODEL, SAYSO_ENCODER, ...) pass through the environment to the server.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import replace
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SAYSO = [sys.executable, "-m", "service"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def questions() -> list[str]:
    path = ROOT / "evals" / "data" / "dev_questions.jsonl"
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def start_server(index_dir: Path, port: int) -> tuple[subprocess.Popen[bytes], float, float]:
    env = os.environ | {"SAYSO_INDEX_DIR": str(index_dir), "SAYSO_PORT": str(port)}
    started = time.perf_counter()
    process = subprocess.Popen(
        [*SAYSO, "serve"], cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    base = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            raise SystemExit("server exited during start-up")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    ready = time.perf_counter() - started
    httpx.post(f"{base}/v1/search", json={"question": "warm up", "k": 5}, timeout=30)
    first = time.perf_counter() - started
    return process, ready, first


def sequential(base: str, qs: list[str], passes: int) -> list[float]:
    latencies = []
    with httpx.Client(timeout=30) as client:
        for _ in range(passes):
            for question in qs:
                began = time.perf_counter()
                response = client.post(f"{base}/v1/search", json={"question": question, "k": 5})
                latencies.append((time.perf_counter() - began) * 1000)
                response.raise_for_status()
    return latencies


def concurrent(base: str, qs: list[str], workers: int, per_worker: int) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()

    def run(offset: int) -> None:
        nonlocal errors
        with httpx.Client(timeout=30) as client:
            for n in range(per_worker):
                question = qs[(offset + n) % len(qs)]
                began = time.perf_counter()
                response = client.post(f"{base}/v1/search", json={"question": question, "k": 5})
                elapsed = (time.perf_counter() - began) * 1000
                with lock:
                    latencies.append(elapsed)
                    errors += response.status_code != 200

    threads = [threading.Thread(target=run, args=(i * 7,)) for i in range(workers)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - began
    return {"rps": len(latencies) / wall, "p99": percentile(latencies, 99), "errors": errors}


def floor_ms(qs: list[str], passes: int) -> float:
    from service.cli.common import load_encoder
    from service.settings import Settings

    encoder = load_encoder(Settings())
    encoder.encode(["warm up"])
    timings = []
    for _ in range(passes):
        for question in qs:
            began = time.perf_counter()
            encoder.encode([question])
            timings.append((time.perf_counter() - began) * 1000)
    return statistics.median(timings)


def build_throughput(docs: int) -> float:
    """Passages per second building an index of the first `docs` SciFact abstracts."""
    corpus = ROOT.parent / "shared" / "data" / "scifact" / "corpus.jsonl"
    if not corpus.exists() or docs <= 0:
        return float("nan")
    from index.build import build_index
    from index.documents import make_document
    from service import wiring
    from service.cli.common import load_encoder
    from service.settings import Settings

    settings = Settings()
    rows = [json.loads(line) for line in corpus.open()][:docs]
    documents = [make_document(str(r["_id"]), r["text"], title=r.get("title", "")) for r in rows]
    encoder = load_encoder(settings)
    began = time.perf_counter()
    # Embedding and BM25 only: quote extraction (spaCy) has its own number in CHANGELOG.md.
    build = replace(wiring.build_settings(settings), quotes=False)
    index = build_index(documents, build, encoder)
    return len(index.passages) / (time.perf_counter() - began)


def one_run(index_dir: Path, qs: list[str], passes: int) -> dict[str, float]:
    port = free_port()
    process, ready, first = start_server(index_dir, port)
    base = f"http://127.0.0.1:{port}"
    try:
        latencies = sequential(base, qs, passes)
        load = concurrent(base, qs, workers=8, per_worker=max(25, len(qs)))
        memory = rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    return {
        "ready_s": ready,
        "first_query_s": first,
        "p50_ms": percentile(latencies, 50),
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "c8_rps": load["rps"],
        "c8_p99_ms": load["p99"],
        "c8_errors": load["errors"],
        "rss_mb": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--scifact-docs", type=int, default=1000)
    args = parser.parse_args()
    qs = questions()
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        env = os.environ | {"SAYSO_INDEX_DIR": str(index_dir)}
        subprocess.run([*SAYSO, "build"], cwd=ROOT, env=env, check=True, capture_output=True)
        runs = [one_run(index_dir, qs, args.passes) for _ in range(args.runs)]
    result = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    result["floor_ms"] = floor_ms(qs, args.passes)
    result["ratio_p50_to_floor"] = result["p50_ms"] / result["floor_ms"]
    result["build_passages_per_s"] = build_throughput(args.scifact_docs)
    print(f"| metric | median of {args.runs} runs |")
    print("| --- | --- |")
    for key, value in result.items():
        print(f"| {key} | {value:.2f} |")


if __name__ == "__main__":
    main()
