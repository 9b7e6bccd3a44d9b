"""Latency benchmark of a real `sayso serve` process on loopback (not a test; never fails on time).

Reports, as medians over --runs repeated runs:
- start-up: process start to ready, and to the first answered query; the server's CPU
  seconds until ready (what start-up costs, whatever the neighbours do);
- POST /v1/search (hybrid, k=5) latency p50/p95/p99, one client at a time, dev questions,
  from an httpx client (what Python callers pay); and p50 from a bare keep-alive socket
  (`raw_`: the server's own latency, as wrk or a load balancer sees it; httpx adds about
  1 ms a request on the client side), beside the same client's GET /healthz (an empty
  round trip: HTTP, routing and middleware with no work);
- throughput and p99 at concurrency 8;
- the floor: the bare encoder on the same questions, in process, measured in every run
  right after that run's requests, and end-to-end p50 / floor (the ratio of each run);
- CPU per request: the server process's CPU time (utime + stime from /proc) over the
  sequential requests, against the floor's CPU per encode (immune to other jobs on a
  shared machine, unlike wall time);
- server resident memory after the run;
- index build throughput (passages per second) on a SciFact sample.

    python bench/serve.py [--runs 3] [--passes 3] [--scifact-docs 1000] [--compare DIR]

With --compare DIR (another checkout, e.g. a worktree of main), runs alternate between
that code's server and this one's on the same index, and both columns are printed.

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
from typing import Any

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


def cpu_s(pid: int) -> float:
    """utime + stime of a process, in seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start_server(
    index_dir: Path, port: int, code: Path = ROOT
) -> tuple[subprocess.Popen[bytes], float, float, float]:
    env = os.environ | {
        "SAYSO_INDEX_DIR": str(index_dir),
        "SAYSO_PORT": str(port),
        "SAYSO_MODELS_DIR": os.environ.get("SAYSO_MODELS_DIR", str(ROOT / "var" / "models")),
        "PYTHONPATH": str(code),
    }
    started = time.perf_counter()
    log = tempfile.TemporaryFile()  # noqa: SIM115 (lives as long as the server)
    process = subprocess.Popen(
        [*SAYSO, "serve"], cwd=code, env=env, stdout=subprocess.DEVNULL, stderr=log
    )
    base = f"http://127.0.0.1:{port}"
    while True:
        if process.poll() is not None:
            log.seek(0)
            tail = log.read().decode(errors="replace")[-2000:]
            raise SystemExit(f"server ({code}) exited during start-up:\n{tail}")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.05)
    ready = time.perf_counter() - started
    ready_cpu = cpu_s(process.pid)
    httpx.post(f"{base}/v1/search", json={"question": "warm up", "k": 5}, timeout=30)
    first = time.perf_counter() - started
    return process, ready, first, ready_cpu


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


class RawClient:
    """HTTP/1.1 over one keep-alive socket, nothing else: what a request costs the server
    and the loopback, without a client library's own CPU in the measured time."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port))
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.pending = b""

    def request(self, head: bytes, body: bytes = b"") -> tuple[int, bytes]:
        self.sock.sendall(head + b"Host: bench\r\nContent-Length: %d\r\n\r\n" % len(body) + body)
        while b"\r\n\r\n" not in self.pending:
            self.pending += self.sock.recv(65536)
        header, _, rest = self.pending.partition(b"\r\n\r\n")
        lines = header.split(b"\r\n")
        length = next(
            int(v)
            for k, _, v in (h.partition(b":") for h in lines[1:])
            if k.lower() == b"content-length"
        )
        while len(rest) < length:
            rest += self.sock.recv(65536)
        self.pending = rest[length:]
        return int(lines[0].split()[1]), rest[:length]

    def close(self) -> None:
        self.sock.close()


def raw_sequential(port: int, qs: list[str], passes: int) -> tuple[list[float], list[float]]:
    """(POST /v1/search, GET /healthz) latencies in ms from a RawClient, interleaved."""
    client = RawClient(port)
    search, empty = [], []
    post = b"POST /v1/search HTTP/1.1\r\nContent-Type: application/json\r\n"
    try:
        for _ in range(passes):
            for question in qs:
                body = json.dumps({"question": question, "k": 5}).encode()
                began = time.perf_counter()
                status, _ = client.request(post, body)
                search.append((time.perf_counter() - began) * 1000)
                began = time.perf_counter()
                client.request(b"GET /healthz HTTP/1.1\r\n")
                empty.append((time.perf_counter() - began) * 1000)
                if status != 200:
                    raise SystemExit(f"POST /v1/search answered {status}")
    finally:
        client.close()
    return search, empty


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
    return {
        "rps": len(latencies) / wall,
        "p50": percentile(latencies, 50),
        "p99": percentile(latencies, 99),
        "errors": errors,
    }


_ENCODER: Any = None


def floor(qs: list[str], passes: int) -> tuple[float, float]:
    """The bare encoder on the same questions in this process: (wall p50, CPU median), ms."""
    global _ENCODER
    if _ENCODER is None:
        from service.cli.common import load_encoder
        from service.settings import Settings

        _ENCODER = load_encoder(Settings())
        _ENCODER.encode(["warm up"])
    timings, cpu = [], []
    for _ in range(passes):
        for question in qs:
            began, began_cpu = time.perf_counter(), time.process_time()
            _ENCODER.encode([question])
            timings.append((time.perf_counter() - began) * 1000)
            cpu.append((time.process_time() - began_cpu) * 1000)
    return percentile(timings, 50), statistics.median(cpu)


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


def one_run(index_dir: Path, qs: list[str], passes: int, code: Path) -> dict[str, float]:
    port = free_port()
    process, ready, first, ready_cpu = start_server(index_dir, port, code)
    base = f"http://127.0.0.1:{port}"
    try:
        before = cpu_s(process.pid)
        latencies = sequential(base, qs, passes)
        server_cpu = (cpu_s(process.pid) - before) * 1000 / len(latencies)
        raw, empty = raw_sequential(port, qs, passes)
        floor_p50, floor_cpu = floor(qs, passes)  # server idle meanwhile
        before = cpu_s(process.pid)
        load = concurrent(base, qs, workers=8, per_worker=max(25, len(qs)))
        load_cpu = (cpu_s(process.pid) - before) * 1000 / (8 * max(25, len(qs)))
        memory = rss_mb(process.pid)
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=30)
    p50 = percentile(latencies, 50)
    return {
        "ready_s": ready,
        "first_query_s": first,
        "ready_cpu_s": ready_cpu,
        "p50_ms": p50,
        "p95_ms": percentile(latencies, 95),
        "p99_ms": percentile(latencies, 99),
        "floor_ms": floor_p50,
        "ratio_p50_to_floor": p50 / floor_p50,
        "raw_p50_ms": percentile(raw, 50),
        "raw_healthz_p50_ms": percentile(empty, 50),
        "ratio_raw_p50_to_floor": percentile(raw, 50) / floor_p50,
        "server_cpu_ms_per_request": server_cpu,
        "floor_cpu_ms": floor_cpu,
        "ratio_cpu_to_floor": server_cpu / floor_cpu,
        "c8_rps": load["rps"],
        "c8_p50_ms": load["p50"],
        "c8_p99_ms": load["p99"],
        "c8_p99_to_p50": load["p99"] / load["p50"],
        "c8_errors": load["errors"],
        "c8_server_cpu_ms_per_request": load_cpu,
        "rss_mb": memory,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--passes", type=int, default=3)
    parser.add_argument("--scifact-docs", type=int, default=1000)
    parser.add_argument("--compare", type=Path, help="another checkout to run alternately")
    args = parser.parse_args()
    qs = questions()
    codes = {"this": ROOT} | ({"compare": args.compare.resolve()} if args.compare else {})
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in codes}
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        env = os.environ | {"SAYSO_INDEX_DIR": str(index_dir)}
        subprocess.run([*SAYSO, "build"], cwd=ROOT, env=env, check=True, capture_output=True)
        for _ in range(args.runs):
            for name, code in codes.items():  # alternated: the machine's drift hits both
                runs[name].append(one_run(index_dir, qs, args.passes, code))
    result = {
        name: {key: statistics.median(run[key] for run in done) for key in done[0]}
        for name, done in runs.items()
    }
    result["this"]["build_passages_per_s"] = build_throughput(args.scifact_docs)
    names = list(result)
    header = " | ".join(f"{name} (median of {args.runs} runs)" for name in names)
    print(f"| metric | {header} |" + (" this / compare |" if len(names) > 1 else ""))
    print("| --- |" + " --- |" * (len(names) + (len(names) > 1)))
    for key, value in result["this"].items():
        cells = [f"{result[name].get(key, float('nan')):.2f}" for name in names]
        if len(names) > 1:
            other = result["compare"].get(key, float("nan"))
            cells.append(f"{value / other:.2f}" if other else "")
        print(f"| {key} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
