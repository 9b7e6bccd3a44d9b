"""`cascade` against `hybrid` over HTTP, interleaved, and how many questions it gates.

    python bench/gating.py evals/data/dev_questions.jsonl [--url http://127.0.0.1:8000] [--passes 2]

Each question is sent in mode `hybrid` then in mode `cascade`, alternating, --passes times
(so both modes see the same load). Prints the p50 of each, their ratio, and for `cascade`
the questions the cross-encoder read (`timings_ms.rerank` present) with the p50 of the
gated and the ungated ones. Needs a running server with both models (the defaults).
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path

import httpx


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("--url", default="http://127.0.0.1:8000")
    parser.add_argument("--passes", type=int, default=2)
    parser.add_argument("--k", type=int, default=10)
    args = parser.parse_args()
    rows = [json.loads(line) for line in args.questions.read_text().splitlines() if line.strip()]
    hybrid: list[float] = []
    gated: list[float] = []
    ungated: list[float] = []
    with httpx.Client(base_url=args.url, timeout=60) as client:
        for _ in range(args.passes):
            for row in rows:
                for mode in ("hybrid", "cascade"):
                    start = time.perf_counter()
                    response = client.post(
                        "/v1/search", json={"question": row["question"], "k": args.k, "mode": mode}
                    )
                    took = 1000 * (time.perf_counter() - start)
                    response.raise_for_status()
                    if mode == "hybrid":
                        hybrid.append(took)
                    elif "rerank" in response.json()["timings_ms"]:
                        gated.append(took)
                    else:
                        ungated.append(took)
    both = gated + ungated
    print(f"{len(rows)} questions, {args.passes} passes")
    print(f"hybrid p50 {statistics.median(hybrid):.1f} ms")
    print(
        f"cascade p50 {statistics.median(both):.1f} ms "
        f"({statistics.median(both) / statistics.median(hybrid):.2f}x hybrid)"
    )
    print(f"gated {len(gated) // args.passes} of {len(rows)} questions")
    for name, times in (("ungated", ungated), ("gated", gated)):
        if times:
            print(f"  {name} p50 {statistics.median(times):.1f} ms")


if __name__ == "__main__":
    main()
