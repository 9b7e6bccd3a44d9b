"""Offline grid for issue 22 over bench/quality_probe.py rows: Hit@1/Hit@3 and CPU per variant."""

from __future__ import annotations

import json
import statistics
import sys
from pathlib import Path

import numpy as np


def minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return np.zeros_like(x) if hi <= lo else (x - lo) / (hi - lo)


def order(row: dict, model: str | None, depth: int, weight: float) -> list[int]:
    fused = np.array([h["score"] for h in row["hits"]])
    if model is None:
        return list(range(len(fused)))
    scores = np.array(row[model] if model != "cb+ce" else row["ce"])
    d = min(depth, len(fused))
    mix = (1 - weight) * minmax(fused[:d]) + weight * minmax(scores[:d])
    head = sorted(range(d), key=lambda i: -mix[i])
    return head + list(range(d, len(fused)))


def hits(row: dict, ranked: list[int]) -> tuple[int, int]:
    rel = [row["hits"][i]["rel"] for i in ranked]
    return int(any(rel[:1])), int(any(rel[:3]))


def main() -> None:
    rows = [json.loads(x) for x in Path(sys.argv[1]).read_text().splitlines()]
    n = len(rows)
    print(f"{n} questions")
    variants = [("hybrid", None, 10, 0.0)]
    for d in (3, 5, 10):
        for w in (0.5, 0.8, 1.0):
            variants.append((f"ce d{d} w{w}", "ce", d, w))
            variants.append((f"colbert d{d} w{w}", "colbert", d, w))
    for name, model, d, w in variants:
        h1 = h3 = 0
        for r in rows:
            a, b = hits(r, order(r, model, d, w))
            h1 += a
            h3 += b
        print(f"{name:22} Hit@1 {h1}/{n}  Hit@3 {h3}/{n}")
    three_way(rows)
    gates(rows)
    cascades(rows)
    for key in ("hybrid", "ce", "colbert"):
        cpu = statistics.median(r["cpu"][key] for r in rows) * 1000
        print(f"{key} CPU median {cpu:.1f} ms")


def rank_of(row: dict, ranked: list[int]) -> int:
    return next((k + 1 for k, i in enumerate(ranked) if row["hits"][i]["rel"]), 99)


def mix(row: dict, wf: float, wc: float, we: float, d: int = 10) -> tuple[list[int], np.ndarray]:
    f = minmax(np.array([h["score"] for h in row["hits"]][:d]))
    c = minmax(np.array(row["colbert"][:d]))
    e = minmax(np.array(row["ce"][:d]))
    m = wf * f + wc * c + we * e
    return sorted(range(d), key=lambda i: -m[i]), m


def three_way(rows: list[dict]) -> None:
    print("fused / colbert / cross-encoder weights over the top 10 (Hit@1, Hit@3):")
    for wf in (0.1, 0.2, 0.3):
        for wc in (0.2, 0.4, 0.6):
            we = round(1 - wf - wc, 2)
            ranks = [rank_of(r, mix(r, wf, wc, we)[0]) for r in rows]
            print(wf, wc, we, sum(x == 1 for x in ranks), sum(x <= 3 for x in ranks))


def gates(rows: list[dict]) -> None:
    print("colbert 0.2/0.8 always; cross-encoder (0.2/0.2/0.6) when the top-1 margin < t:")
    for t in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 1.01):
        h1 = h3 = gated = 0
        for r in rows:
            ranked, m = mix(r, 0.2, 0.8, 0.0)
            top = sorted(m, reverse=True)
            if top[0] - top[1] < t:
                gated += 1
                ranked = mix(r, 0.2, 0.2, 0.6)[0]
            k = rank_of(r, ranked)
            h1, h3 = h1 + (k == 1), h3 + (k <= 3)
        print(f"t={t}: gated {gated}/{len(rows)} Hit@1 {h1} Hit@3 {h3}")
    print("cross-encoder (0.2/0.8) when answerability < t, else hybrid:")
    for t in (0.5, 0.7, 0.8, 0.9):
        h1 = h3 = gated = 0
        for r in rows:
            ranked = list(range(len(r["hits"])))
            if r["answerability"] < t:
                gated += 1
                ranked = mix(r, 0.2, 0.0, 0.8)[0]
            k = rank_of(r, ranked)
            h1, h3 = h1 + (k == 1), h3 + (k <= 3)
        print(f"t={t}: gated {gated}/{len(rows)} Hit@1 {h1} Hit@3 {h3}")


def cascade(row: dict, gate: float, depth: int, weight: float = 0.8) -> tuple[int, bool, int]:
    """Mode `cascade` on one row: ColBERT 0.2/0.8 over the top 10; when its top two mixed
    scores differ by less than `gate`, the cross-encoder reads ColBERT's top `depth` and the
    fused list's top `depth` and re-orders them by (1 - weight) * minmax(ColBERT mix) +
    weight * minmax(logit). Returns (rank of the first relevant, gated, pairs read)."""
    n = len(row["hits"])
    late = minmax(np.array([h["score"] for h in row["hits"]]))
    late = 0.2 * late + 0.8 * minmax(np.array(row["colbert"]))
    order = sorted(range(n), key=lambda i: -late[i])
    top = sorted(late, reverse=True)
    gated = n > 1 and top[0] - top[1] < gate
    pairs = 0
    if gated:
        wanted = set(order[:depth]) | set(range(min(depth, n)))
        head = [i for i in order if i in wanted]
        pairs = len(head)
        mixed = (1 - weight) * minmax(late[head]) + weight * minmax(np.array(row["ce"])[head])
        ranked = [head[j] for j in sorted(range(len(head)), key=lambda j: -mixed[j])]
        order = ranked + [i for i in order if i not in wanted]
    return rank_of(row, order), gated, pairs


def cascades(rows: list[dict]) -> None:
    print("cascade: ColBERT, then the cross-encoder (w 0.8) on both top-depth heads when unsure:")
    for depth in (3, 5):
        for gate in (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 2.0):
            found = [cascade(r, gate, depth) for r in rows]
            print(
                f"depth {depth} gate {gate}: Hit@1 {sum(k == 1 for k, _, _ in found)} "
                f"Hit@3 {sum(k <= 3 for k, _, _ in found)} gated {sum(g for _, g, _ in found)}"
                f"/{len(rows)} pairs {sum(p for _, _, p in found)}"
            )


if __name__ == "__main__":
    main()
