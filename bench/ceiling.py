"""How far any mix of the shipped modes could go on a question set: an upper bound.

Reads the TREC runs `sayso eval QUESTIONS --mode ... --k N --run-out DIR/run` wrote (one
per mode, run.{mode}) and the index they were run on, and reports on the same questions:
- each mode's Hit@1 and Hit@3;
- a per-question oracle: the share of questions that at least one mode answers at rank 1
  (at rank 3 or better) (no rule that picks a mode per question can do better);
- the best convex mix of the modes' min-max scaled scores, weights on a 0.1 grid chosen on
  these very questions (no weighted fusion of these modes can do better at that grid).
Both are tuned on the questions they are reported on, so they bound, they do not predict.

Usage: python bench/ceiling.py QUESTIONS.jsonl INDEX_DIR RUN_FILE [RUN_FILE ...]
"""

from __future__ import annotations

import argparse
import itertools
from pathlib import Path

import numpy as np

from evals.datasets import answer_qrels, load_questions
from evals.runs import read_run
from index.disk import read_index

_GRID = np.round(np.arange(0.0, 1.01, 0.1), 1)


def _scaled(ranking: tuple[tuple[str, float], ...], ids: list[str]) -> np.ndarray:
    """Scores over all passages, min-max scaled; passages missing from the run score 0."""
    given = dict(ranking)
    low = min(given.values())
    scores = np.array([given.get(pid, low) for pid in ids])
    span = scores.max() - scores.min()
    return (scores - scores.min()) / span if span else np.zeros(len(ids))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("questions", type=Path)
    parser.add_argument("index", type=Path)
    parser.add_argument("runs", type=Path, nargs="+")
    args = parser.parse_args()
    queries = load_questions(args.questions).queries
    index = read_index(args.index)
    ids = [p.id for p in index.passages]
    qrels = answer_qrels(queries, {p.id: p.text for p in index.passages})
    modes = [path.suffix.lstrip(".") for path in args.runs]
    runs = {mode: read_run(path) for mode, path in zip(modes, args.runs, strict=True)}
    n = len(queries)
    for depth in (1, 3):
        hit = {
            m: {q.id: any(pid in qrels[q.id] for pid, _ in runs[m][q.id][:depth]) for q in queries}
            for m in modes
        }
        for mode in modes:
            print(f"{mode:<10} Hit@{depth} {sum(hit[mode].values()) / n:.3f}")
        missed = [q.id for q in queries if not any(hit[m][q.id] for m in modes)]
        print(f"oracle     Hit@{depth} {1 - len(missed) / n:.3f}; in no mode: {' '.join(missed)}")
    scaled = {m: np.stack([_scaled(runs[m][q.id], ids) for q in queries]) for m in modes}
    relevant = np.array([[pid in qrels[q.id] for pid in ids] for q in queries])
    best, weights = -1, ()
    for combo in itertools.product(_GRID, repeat=len(modes)):
        if abs(sum(combo) - 1.0) > 1e-6:
            continue
        mixed = sum(w * scaled[m] for w, m in zip(combo, modes, strict=True))
        hits = int(relevant[np.arange(n), np.argmax(mixed, axis=1)].sum())
        if hits > best:
            best, weights = hits, combo
    shown = ", ".join(f"{m} {w:.1f}" for m, w in zip(modes, weights, strict=True) if w)
    print(f"best mix   Hit@1 {best / n:.3f} ({shown})")


if __name__ == "__main__":
    main()
