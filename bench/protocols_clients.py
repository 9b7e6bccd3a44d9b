"""Round-trip latency of the Python client and the framework retrievers against plain HTTP.

One real `sayso serve` process on loopback (or --url), the dev questions, and per question,
in turn: a plain httpx POST /v1/search, SaysoClient.search, the LangChain retriever's
invoke and ainvoke (a client per call, and a shared AsyncSaysoClient), and the LlamaIndex
retriever's retrieve and aretrieve, all with k=5 and the server's default mode. The calls are interleaved so that load from other jobs hits them alike.
Reports p50 / p95 in ms and the p50 overhead over plain HTTP. Not a test; never fails on time.

    python bench/protocols_clients.py [--passes 3] [--url http://127.0.0.1:8000]

Settings (SAYSO_MODEL, SAYSO_ENCODER, ...) pass through the environment to the server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from service.client import AsyncSaysoClient, SaysoClient  # noqa: E402

K = 5
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


@contextmanager
def server(url: str | None) -> Iterator[str]:
    if url:
        yield url.rstrip("/")
        return
    with tempfile.TemporaryDirectory() as tmp:
        port = free_port()
        env = os.environ | {"SAYSO_INDEX_DIR": f"{tmp}/index", "SAYSO_SEEDS_DIR": "seeds"}
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
        with Path(tmp, "server.log").open("wb") as log:
            process = subprocess.Popen(
                [*SAYSO, "serve", "--port", str(port)],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
            base = f"http://127.0.0.1:{port}"
            try:
                # the client's own retries wait through the build and the load (bounded)
                with SaysoClient(base, retries=150, backoff=1.0) as client:
                    client.ready()
                yield base
            finally:
                os.killpg(process.pid, signal.SIGTERM)
                process.wait(timeout=60)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--passes", type=int, default=3, help="times each question is asked")
    parser.add_argument("--url", help="a running server instead of a fresh one")
    args = parser.parse_args()

    from service.integrations.langchain import SaysoRetriever as LangChainRetriever
    from service.integrations.llamaindex import SaysoRetriever as LlamaIndexRetriever

    with server(args.url) as base, httpx.Client(base_url=base) as http:
        client = SaysoClient(base)
        langchain = LangChainRetriever(base_url=base, k=K)
        llama = LlamaIndexRetriever(base, k=K)
        loop = asyncio.new_event_loop()
        shared = AsyncSaysoClient(base)
        reusing = LangChainRetriever(base_url=base, k=K, async_client=shared)
        calls: dict[str, Callable[[str], object]] = {
            "POST /v1/search (httpx)": lambda q: http.post(
                "/v1/search", json={"question": q, "k": K}
            ).raise_for_status(),
            "SaysoClient.search": lambda q: client.search(q, k=K),
            "LangChain invoke": langchain.invoke,
            "LangChain ainvoke": lambda q: loop.run_until_complete(langchain.ainvoke(q)),
            "LangChain ainvoke, shared": lambda q: loop.run_until_complete(reusing.ainvoke(q)),
            "LlamaIndex retrieve": llama.retrieve,
            "LlamaIndex aretrieve": lambda q: loop.run_until_complete(llama.aretrieve(q)),
        }
        asked = questions()
        for question in asked[:3]:  # warm-up: connections, the server's caches of code paths
            for call in calls.values():
                call(question)
        timings: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.passes):
            for question in asked:
                for name, call in calls.items():
                    started = time.perf_counter()
                    call(question)
                    timings[name].append((time.perf_counter() - started) * 1000)
        loop.run_until_complete(shared.aclose())
        loop.close()
        client.close()

    base_p50 = statistics.median(timings["POST /v1/search (httpx)"])
    print(f"{len(asked)} dev questions x {args.passes} passes, k={K}, one call at a time")
    print(f"| {'call':<26} | p50 ms | p95 ms | p50 over HTTP |")
    print(f"| {'-' * 26} | ---: | ---: | ---: |")
    for name, values in timings.items():
        p50 = statistics.median(values)
        print(
            f"| {name:<26} | {p50:6.1f} | {percentile(values, 95):6.1f} | "
            f"{p50 - base_p50:+6.1f} ms |"
        )


if __name__ == "__main__":
    main()
