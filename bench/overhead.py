"""Where a search request's CPU goes, stage by stage, in process (not a test; never fails on time).

CPU time of the process (`time.process_time`: the threadpool hop counts; other jobs on a
shared machine do not) per dev question,
median over --passes interleaved passes, for nested slices of one request:

- encode: the bare encoder on the question (the floor);
- search: `Searcher.search` (encode + BM25 + FAISS + units + fusion + highlights + quotes),
  with its own per-stage split from a cProfile run;
- response: search + the wire response built and serialised to JSON bytes;
- asgi: the whole app driven in process by one raw ASGI call (routing, dependencies,
  validation, middleware), no sockets;

then the shares of each difference. Uvicorn's own part is measured by bench/serve.py (server
CPU per request over HTTP).

    python bench/overhead.py [--passes 5]   # SAYSO_INDEX_DIR etc. from the environment
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import json
import pstats
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def questions() -> list[str]:
    path = ROOT / "evals" / "data" / "dev_questions.jsonl"
    return [json.loads(line)["question"] for line in path.read_text().splitlines() if line]


def asgi_call(app: Any, body: bytes) -> bytes:
    """One POST /v1/search through the ASGI app; returns the response body."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/v1/search",
        "raw_path": b"/v1/search",
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 8000),
        "state": {},
    }
    chunks: list[bytes] = []
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.body":
            chunks.append(message.get("body", b""))

    LOOP.run_until_complete(app(scope, receive, send))
    return b"".join(chunks)


LOOP = asyncio.new_event_loop()


def cpu_ms(fn: Callable[[], object]) -> float:
    began = time.process_time()
    fn()
    return (time.process_time() - began) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--passes", type=int, default=5)
    args = parser.parse_args()

    from service import responses, routes
    from service.app import create_app
    from service.indexing import load_searcher
    from service.settings import Settings

    settings = Settings()
    searcher = load_searcher(settings)
    app = create_app(settings, searcher)
    # The lifespan sets app.state; run it once by hand.
    lifespan = app.router.lifespan_context(app)
    LOOP.run_until_complete(lifespan.__aenter__())
    qs = questions()
    encoder = searcher.encoder
    slices: dict[str, Callable[[str], object]] = {
        "encode": lambda q: encoder.encode([q]),
        "search": lambda q: searcher.search(q, k=5, mode=settings.mode),
        "response (pydantic, before)": lambda q: routes.search_response(
            searcher.search(q, k=5, mode=settings.mode), searcher
        ).model_dump_json(),
        "response": lambda q: responses.search_json(
            searcher.search(q, k=5, mode=settings.mode), searcher
        ),
        "asgi": lambda q: asgi_call(app, json.dumps({"question": q, "k": 5}).encode()),
    }
    for fn in slices.values():  # warm up
        fn("warm up")
    samples: dict[str, list[float]] = {name: [] for name in slices}
    for _ in range(args.passes):
        for q in qs:
            for name, fn in slices.items():  # interleaved: drift hits every slice alike
                samples[name].append(cpu_ms(lambda fn=fn, q=q: fn(q)))  # type: ignore[misc]
    med = {name: statistics.median(values) for name, values in samples.items()}
    print("| slice | CPU ms per question (median) | x encode |")
    print("| --- | --- | --- |")
    for name, value in med.items():
        print(f"| {name} | {value:.3f} | {value / med['encode']:.2f} |")
    parts = {
        "encode": med["encode"],
        "retrieval + highlights + quotes": med["search"] - med["encode"],
        "response build + JSON (pydantic, before)": med["response (pydantic, before)"]
        - med["search"],
        "response build + JSON": med["response"] - med["search"],
        "routing, validation, middleware": med["asgi"] - med["response"],
    }
    print("\n| part | CPU ms | share of in-process request |")
    print("| --- | --- | --- |")
    for name, value in parts.items():
        print(f"| {name} | {value:.3f} | {value / med['asgi']:.0%} |")

    profile = cProfile.Profile()
    profile.enable()
    for q in qs:
        searcher.search(q, k=5, mode=settings.mode)
    profile.disable()
    print("\ncProfile of Searcher.search over the dev questions (cumulative, top 25):")
    pstats.Stats(profile).sort_stats("cumulative").print_stats(25)


if __name__ == "__main__":
    main()
