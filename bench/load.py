"""Load drill: mixed traffic against a running sayso on loopback, with an update midway.

    python bench/load.py --url http://127.0.0.1:8000 --duration 30 --concurrency 8

Prints one JSON object: requests, errors (non-2xx or transport failures; must be 0),
p50/p99 latency in ms, and the server's resident memory at start and end (from /metrics:
every worker's, summed, when the server runs several). Quotes and context endpoints are
exercised when the server's OpenAPI lists them.

With a rate limit on the server: `--clients N` spreads the traffic over N client addresses
(127.0.0.10, .11, ...: all of 127.0.0.0/8 is this machine) and `--pace R` holds each of the
`concurrency` senders to R requests a second, so ordinary clients stay under the limit and
must see no 429; `--greedy` adds one more client (127.0.0.200) sending as fast as it can to
GET /v1/documents, a new connection each time, whose 200s and 429s are reported apart. bench/drill.py (`make load`)
runs it against two workers with the limiter in Redis.
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


GREEDY_ADDRESS = "127.0.0.200"


def worker_resident(client: httpx.Client) -> dict[str, float]:
    """Resident memory per worker pid (sayso_worker_resident_memory_bytes), or of the one
    process (pid "server") when the server runs a single process."""
    text = client.get("/metrics").text
    found = re.findall(r'^sayso_worker_resident_memory_bytes\{pid="(\d+)"\} (\S+)$', text, re.M)
    if found:
        return {pid: float(value) for pid, value in found}
    match = re.search(r"^process_resident_memory_bytes (\S+)$", text, re.M)
    return {"server": float(match.group(1)) if match else float("nan")}


def resident_bytes(client: httpx.Client) -> float:
    """The server's resident memory: the sum over its workers when it reports them."""
    return sum(worker_resident(client).values())


def client_address(n: int, clients: int) -> str | None:
    """The source address of sender `n`: one of `clients` loopback addresses (None: any)."""
    return f"127.0.0.{10 + n % clients}" if clients > 1 else None


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
    client: httpx.AsyncClient,
    mix: list[Any],
    until: float,
    out: list[float],
    errors: list[str],
    pace: float = 0.0,
) -> None:
    rng = random.Random(id(out) ^ len(errors))
    next_at = time.monotonic()
    while time.monotonic() < until:
        if pace > 0:  # at most `pace` requests a second from this sender
            await asyncio.sleep(max(0.0, next_at - time.monotonic()))
            next_at += 1 / pace
        method, path, kwargs = rng.choice(mix)
        started = time.perf_counter()
        try:
            response = await client.request(method, path, **kwargs)
            if response.status_code >= 300:
                errors.append(f"{response.status_code} {path}")
        except httpx.HTTPError as exc:
            errors.append(f"{type(exc).__name__} {path}")
        out.append((time.perf_counter() - started) * 1000)


async def warm_every_worker(url: str, mix: list[Any], rounds: int = 12) -> None:
    """Every request of the mix, and an extraction, `rounds` times over new connections, so
    that each worker (connections are spread over them) has loaded what the traffic needs
    before memory is measured. Failures here are not measured."""
    text = {"text": '"Costs fell," said Li Wei, the port director.'}
    calls = [*mix, ("POST", "/v1/extract", {"json": text})]
    fresh = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=url, timeout=300, limits=fresh) as client:
        for _ in range(rounds):
            await asyncio.gather(
                *(client.request(method, path, **kwargs) for method, path, kwargs in calls),
                return_exceptions=True,
            )


async def greedy(url: str, until: float) -> dict[str, int]:
    """One client asking as fast as it can: how many of its requests got which status."""
    statuses: dict[str, int] = {}
    # A new connection per request, as a client out to get around the limit would do: the
    # kernel hands the connections to every worker, not only to one.
    transport = httpx.AsyncHTTPTransport(
        local_address=GREEDY_ADDRESS, limits=httpx.Limits(max_keepalive_connections=0)
    )
    async with httpx.AsyncClient(base_url=url, timeout=30, transport=transport) as client:
        while time.monotonic() < until:
            try:
                status = str((await client.get("/v1/documents", params={"limit": 1})).status_code)
            except httpx.HTTPError as exc:
                status = type(exc).__name__
            statuses[status] = statuses.get(status, 0) + 1
    return statuses


async def update_midway(
    client: httpx.AsyncClient, delay: float, headers: dict[str, str], doc_id: str = "bench-update"
) -> str:
    await asyncio.sleep(delay)
    doc = {
        "id": doc_id,
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
        workers_start = worker_resident(sync)
    latencies: list[float] = []
    errors: list[str] = []
    mix = requests_for(paths)
    headers = {"Authorization": f"Bearer {args.api_key}"} if args.api_key else {}
    clients = [
        httpx.AsyncClient(
            base_url=args.url,
            timeout=30,
            transport=httpx.AsyncHTTPTransport(
                local_address=client_address(n, args.clients),
                limits=httpx.Limits(max_keepalive_connections=0 if args.fresh else 20),
            ),
        )
        for n in range(args.concurrency)
    ]
    if args.warmup > 0:  # every code path once (a write too) before memory is measured
        until = time.monotonic() + args.warmup
        warm = update_midway(clients[-1], 0, headers, "bench-warmup")
        await warm_every_worker(args.url, mix)
        await asyncio.gather(warm, *(worker(c, mix, until, [], [], args.pace) for c in clients))
        with httpx.Client(base_url=args.url, timeout=30) as sync:
            rss_start = resident_bytes(sync)
            workers_start = worker_resident(sync)
    until = time.monotonic() + args.duration
    started = time.monotonic()
    update = asyncio.create_task(update_midway(clients[0], args.duration / 2, headers))
    rude = asyncio.create_task(greedy(args.url, until)) if args.greedy else None
    await asyncio.gather(*(worker(c, mix, until, latencies, errors, args.pace) for c in clients))
    updated = await update
    greedy_statuses = await rude if rude is not None else {}
    elapsed = time.monotonic() - started
    for client in clients:
        await client.aclose()
    with httpx.Client(base_url=args.url, timeout=30) as sync:
        rss_end = resident_bytes(sync)
        workers_end = worker_resident(sync)
    return {
        "url": args.url,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "concurrency": args.concurrency,
        "endpoints": sorted({path for _, path, _ in mix}),
        "requests": len(latencies),
        "errors": len(errors),
        "error_samples": errors[:5],
        "clients": max(1, args.clients),
        "pace_per_sender": args.pace or None,
        "status_5xx": sum(1 for e in errors if e[:1] == "5"),
        "status_429": sum(1 for e in errors if e.startswith("429")),
        "greedy": greedy_statuses | {"seconds": round(elapsed, 1)} if args.greedy else None,
        "p50_ms": round(percentile(latencies, 0.50), 1),
        "p99_ms": round(percentile(latencies, 0.99), 1),
        "update": updated,
        "rss_start_mb": round(rss_start / 2**20, 1),
        "rss_end_mb": round(rss_end / 2**20, 1),
        "rss_growth_pct": round(100 * (rss_end - rss_start) / rss_start, 1),
        "rss_workers_mb": {
            pid: [round(workers_start.get(pid, 0) / 2**20, 1), round(rss / 2**20, 1)]
            for pid, rss in workers_end.items()
        },
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--duration", type=float, default=30.0, help="seconds, at most 300")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--api-key", default="")
    parser.add_argument("--clients", type=int, default=1, help="client addresses to spread over")
    parser.add_argument(
        "--pace", type=float, default=0.0, help="requests/s per sender; 0: flat out"
    )
    parser.add_argument("--greedy", action="store_true", help="add one client over the limit")
    parser.add_argument(
        "--fresh", action="store_true", help="a new connection per request (reaches every worker)"
    )
    parser.add_argument(
        "--warmup", type=float, default=0.0, help="seconds of the same traffic before measuring"
    )
    args = parser.parse_args()
    if not re.match(r"^http://(127\.0\.0\.1|localhost|\[::1\])[:/]", args.url + "/"):
        parser.error("load drills run against loopback only")
    args.duration = min(args.duration, 300.0)
    report = asyncio.run(run(args))
    print(json.dumps(report, indent=2))
    return 0 if report["errors"] == 0 and report["update"].startswith(("200", "201")) else 1


if __name__ == "__main__":
    sys.exit(main())
