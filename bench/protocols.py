"""What the protocol edges cost, and that chat completions cite what /v1/context cites.

Starts a real `sayso serve` (the configured model; a fresh index in a temp directory) and,
one client at a time on loopback, asks the dev questions through each edge with k=5:

- POST /v1/search (httpx), the baseline; POST /v1/context (httpx);
- POST /v1/chat/completions with httpx, and with the `openai` package (plain, and streamed
  to the last chunk);
- the MCP `search` tool over streamable HTTP at /mcp with the `mcp` SDK (one session).

It prints the p50 / p95 round trip of each (ms) and its p50 over /v1/search's. Then, on
evals/data/conversations.jsonl, the final-turn Hit@3 of /v1/context's citations and of
/v1/chat/completions' citations (k=3; a hit is a cited passage holding an answer).

    python bench/protocols.py [--passes 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import openai
from mcp import Client

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
from serve import free_port, percentile, questions  # noqa: E402

K = 5


def start(index_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = os.environ | {"SAYSO_INDEX_DIR": str(index_dir), "SAYSO_PORT": str(port)}
    process = subprocess.Popen(
        [sys.executable, "-m", "service", "serve"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 900
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit("server exited during start-up")
        try:
            if httpx.get(f"{base}/readyz", timeout=1).status_code == 200:
                return process
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    process.kill()
    raise SystemExit("server not ready in 900 s")


def timed(call: Callable[[str], object], qs: list[str], passes: int) -> list[float]:
    call(qs[0])  # warm up the route
    times = []
    for _ in range(passes):
        for q in qs:
            started = time.perf_counter()
            call(q)
            times.append((time.perf_counter() - started) * 1000)
    return times


async def timed_mcp(base: str, qs: list[str], passes: int) -> list[float]:
    times = []
    async with Client(f"{base}/mcp") as client:
        await client.call_tool("search", {"question": qs[0], "k": K})
        for _ in range(passes):
            for q in qs:
                started = time.perf_counter()
                result = await client.call_tool("search", {"question": q, "k": K})
                times.append((time.perf_counter() - started) * 1000)
                assert not result.is_error, result.content
    return times


def latency(base: str, qs: list[str], passes: int) -> dict[str, list[float]]:
    http = httpx.Client(base_url=base, timeout=60)
    chat = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
    user = lambda q: [{"role": "user", "content": q}]  # noqa: E731

    def post(path: str, body: Callable[[str], dict[str, Any]]) -> Callable[[str], object]:
        def call(q: str) -> object:
            response = http.post(path, json=body(q))
            response.raise_for_status()
            return response.json()

        return call

    def streamed(q: str) -> object:
        stream = chat.chat.completions.create(
            model="sayso", messages=user(q), stream=True, extra_body={"k": K}
        )
        return [chunk for chunk in stream]

    calls: dict[str, Callable[[str], object]] = {
        "POST /v1/search": post("/v1/search", lambda q: {"question": q, "k": K}),
        "POST /v1/context": post("/v1/context", lambda q: {"question": q, "k": K}),
        "chat/completions (httpx)": post(
            "/v1/chat/completions", lambda q: {"model": "sayso", "messages": user(q), "k": K}
        ),
        "chat/completions (openai)": lambda q: chat.chat.completions.create(
            model="sayso", messages=user(q), extra_body={"k": K}
        ),
        "chat/completions stream (openai)": streamed,
    }
    found = {name: timed(call, qs, passes) for name, call in calls.items()}
    found["MCP search (mcp SDK, /mcp)"] = asyncio.run(timed_mcp(base, qs, passes))
    return found


def hit3(base: str) -> tuple[float, float, int]:
    """Final-turn Hit@3 of /v1/context and of /v1/chat/completions, and how many
    conversations cite the same passages in the same order through both."""
    path = ROOT / "evals" / "data" / "conversations.jsonl"
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    http = httpx.Client(base_url=base, timeout=60)
    chat = openai.OpenAI(base_url=f"{base}/v1", api_key="unused", max_retries=0)
    passages: dict[str, str] = {}

    def hit(citations: list[dict[str, Any]], answers: list[str]) -> bool:
        for citation in citations[:3]:
            pid = citation["passage_id"]
            if pid not in passages:
                passages[pid] = http.get(f"/v1/passages/{pid}").json()["text"]
            if any(answer in passages[pid] for answer in answers):
                return True
        return False

    context_hits = chat_hits = same = 0
    for row in rows:
        context = http.post("/v1/context", json={"messages": row["messages"], "k": 3}).json()
        completion = chat.chat.completions.create(
            model="sayso", messages=row["messages"], extra_body={"k": 3}
        )
        cited = (completion.model_extra or {})["citations"]
        context_hits += hit(context["citations"], row["answers"])
        chat_hits += hit(cited, row["answers"])
        ids = [c["passage_id"] for c in context["citations"]]
        same += ids == [c["passage_id"] for c in cited]
    return context_hits / len(rows), chat_hits / len(rows), same


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=3, help="times each question is asked")
    args = parser.parse_args()
    qs = questions()
    with tempfile.TemporaryDirectory(prefix="sayso-protocols-") as tmp:
        port = free_port()
        process = start(Path(tmp) / "index", port)
        base = f"http://127.0.0.1:{port}"
        try:
            found = latency(base, qs, args.passes)
            context_hit3, chat_hit3, same = hit3(base)
        finally:
            process.terminate()
            process.wait(timeout=30)
    baseline = statistics.median(found["POST /v1/search"])
    print(f"{len(qs)} dev questions x {args.passes} passes, k={K}, one client, loopback")
    print(f"{'edge':34} {'p50 ms':>7} {'p95 ms':>7} {'p50 / search':>13}")
    for name, times in found.items():
        p50 = statistics.median(times)
        print(f"{name:34} {p50:7.1f} {percentile(times, 95):7.1f} {p50 / baseline:13.2f}")
    print()
    print("conversations.jsonl, final turn, k=3:")
    print(f"  Hit@3 /v1/context           {context_hit3:.3f}")
    print(f"  Hit@3 /v1/chat/completions  {chat_hit3:.3f}")
    print(f"  same citations, same order  {same} conversations")


if __name__ == "__main__":
    main()
