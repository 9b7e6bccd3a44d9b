"""Load drill: mixed traffic against a running sayso on loopback, with an update midway.

    python bench/load.py --url http://127.0.0.1:8000 --duration 30 --concurrency 8

Prints one JSON object: requests, errors (non-2xx or transport failures; must be 0),
p50/p99 latency in ms, and the server's resident memory at start and end (from /metrics).
Quotes and context endpoints are exercised when the server's OpenAPI lists them.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import re
import sys
import time
from typing import Any

import httpx

QUESTIONS = [
    "How much did China spend on R&D?",
    "What is new quality productive forces?",
    "venture capital guidance fund",
    "What did the TCL chairman say?",
    "innovation policy and industry upgrading",
]


def resident_bytes(client: httpx.Client) -> float:
    text = client.get("/metrics").text
    match = re.search(r"^process_resident_memory_bytes (\S+)$", text, re.M)
    return float(match.group(1)) if match else float("nan")


def requests_for(paths: set[str]) -> list[tuple[str, str, dict[str, Any]]]:
    mix: list[tuple[str, str, dict[str, Any]]] = [
        ("POST", "/v1/search", {"json": {"question": q, "k": 5}}) for q in QUESTIONS
    ]
    mix += [
        ("GET", "/v1/search", {"params": {"q": q, "k": 3, "mode": "lexical"}}) for q in QUESTIONS
    ]
    if "/v1/quotes" in paths:
        mix += [("GET", "/v1/quotes", {"params": {"q": "innovation", "limit": 5}})]
    if "/v1/context" in paths:
        messages = [{"role": "user", "content": "Tell me about R&D spending in China."}]
        mix += [("POST", "/v1/context", {"json": {"messages": messages}})]
    return mix


async def worker(
    client: httpx.AsyncClient, mix: list[Any], until: float, out: list[float], errors: list[str]
) -> None:
    rng = random.Random(id(out) ^ len(errors))
    while time.monotonic() < until:
        method, path, kwargs = rng.choice(mix)
        started = time.perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
            if response.status_code >= 300:
                errors.append(f"{response.status_code} {path}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__} {path}")
        out.append((time.perf_counter() - started) * 1000)


async def update_midway(client: httpx.AsyncClient, delay: float, headers: dict[str, str]) -> str:
    await asyncio.sleep(delay)
    doc = {
        "id": "bench-update",
        "title": "Load drill",
        "text": f"A document written during the load drill at {time.time():.0f}.\n\n"
        "It checks that searches keep succeeding while the index is swapped.",
    }
    response = await client.post("/v1/documents", json=doc, headers=headers, timeout=120)
    return f"{response.status_code} {response.json().get('status', response.text[:80])}"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


async def run(args: argparse.Namespace) -> dict[str, Any]:
    with httpx.Client(base_url=args.url, timeout=30) as sync:
        paths = set(sync.get("/openapi.json").json()["paths"])
        for question in QUESTIONS:  # warm up before measuring memory
            sync.post("/v1/search", json={"question": question})
        rss_start = resident_bytes(sync)
    latencies: list[float] = []
    errors: list[str] = []
    mix = requests_for(paths)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=args.url, timeout=30, limits=limits) as client:
        until = time.monotonic() + args.duration
        update = asyncio.create_task(update_midway(client, args.duration / 2, headers))
        await asyncio.gather(
            *(worker(client, mix, until, latencies, errors) for _ in range(args.concurrency))
        )
        updated = await update
    with httpx.Client(base_url=args.url, timeout=30) as sync:
        rss_end = resident_bytes(sync)
    return {
        "url": args.url,
        "duration_s": args.duration,
        "concurrency": args.concurrency,
        "endpoints": sorted({path for _, path, _ in mix}),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "update": updated,
        "rss_start_mb": round(rss_start / 2**20, 1),
        "rss_end_mb": round(rss_end / 2**20, 1),
        "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds, at most 300")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--api-key", default="")
    args = parser.parse_args()
    if not re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])[:/]", args.url + "/"):
        parser.error("load drills run against loopback only")
    args.duration = min(args.duration, 300.0)
    report = asyncio.run(run(args))
    print(json.dumps(report, indent=2))
    return 0 if report["errors"] == 0 and report["update"].startswith(("200", "201")) else 1


if __name__ == "__main__":
    sys.exit(main())
