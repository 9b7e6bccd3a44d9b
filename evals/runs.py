"""Runs: ranked result lists per query, aggregated from passages and written as TREC run files.

A TREC run file has one line per retrieved item, `qid Q0 docid rank score tag`, and is
read by trec_eval and ir_measures. Those tools order by score (ties broken by document id),
not by the rank column, so `ranking` makes scores strictly decreasing: every evaluator then
scores exactly the order sayso returned.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import numpy as np

Ranking = tuple[tuple[str, float], ...]
"""(id, score) pairs, best first, with strictly decreasing scores; ids are unique."""

Run = Mapping[str, Ranking]
"""Query id -> its ranking."""


def ranking(scored: Iterable[tuple[str, float]], k: int | None = None) -> Ranking:
    """The first `k` distinct ids of `scored` (best first), each keeping its first (best) score.

    Aggregating passages to documents this way scores each document by its best passage
    (MaxP, Dai and Callan, SIGIR 2019). A score not below its predecessor's in float32 is
    lowered to the next float32 below it, so the order survives evaluators that sort by
    score: pytrec_eval (behind ir_measures' nDCG) compares scores as float32 and breaks
    ties by document id, so a step of one float64 ulp was a tie again there.
    """
    out: list[tuple[str, float]] = []
    seen: set[str] = set()
    for item, score in scored:
        if item in seen:
            continue
        if k is not None and len(out) >= k:
            break
        seen.add(item)
        value = float(score)
        if out and np.float32(value) >= np.float32(out[-1][1]):
            value = float(np.nextafter(np.float32(out[-1][1]), np.float32(-np.inf)))
        out.append((item, value))
    return tuple(out)


def run_lines(run: Run, tag: str) -> Iterator[str]:
    """TREC run lines `qid Q0 docid rank score tag` (scores written to full precision)."""
    if not tag or any(c.isspace() for c in tag):
        raise ValueError(f"run tag {tag!r} must be one word")
    for qid, ranked in run.items():
        for rank, (docid, score) in enumerate(ranked, start=1):
            yield f"{qid} Q0 {docid} {rank} {score!r} {tag}\n"


def write_run(path: Path, run: Run, tag: str) -> None:
    """Write `run` as a TREC run file at `path` (parents created)."""
    for qid, ranked in run.items():
        for docid, _ in ranked:
            if any(c.isspace() for c in qid + docid):
                raise ValueError(f"ids in a run file cannot hold spaces: {qid!r} {docid!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8") as out:
        out.writelines(run_lines(run, tag))


def read_runs(path: Path) -> dict[str, dict[str, Ranking]]:
    """A TREC run file (`qid Q0 docid rank score tag`) as one run per tag, in file order of
    first appearance; each query's items ordered by descending score (ties by document id).
    Raises ValueError naming the file and line of a bad row."""
    scores: dict[str, dict[str, list[tuple[str, float]]]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read run {path}: {exc.strerror}") from None
    for number, line in enumerate(lines, start=1):
        parts = line.split()
        if not parts:
            continue
        if len(parts) != 6:
            raise ValueError(f"{path}:{number}: expected 'qid Q0 docid rank score tag'")
        try:
            score = float(parts[4])
        except ValueError:
            raise ValueError(f"{path}:{number}: score {parts[4]!r} is not a number") from None
        scores.setdefault(parts[5], {}).setdefault(parts[0], []).append((parts[2], score))
    if not scores:
        raise ValueError(f"{path} holds no run lines")
    return {
        tag: {
            qid: tuple(sorted(items, key=lambda item: (-item[1], item[0])))
            for qid, items in by_query.items()
        }
        for tag, by_query in scores.items()
    }


def read_run(path: Path) -> dict[str, Ranking]:
    """A TREC run file back as one run (every tag together), each query's items ordered by
    descending score."""
    merged: dict[str, list[tuple[str, float]]] = {}
    for run in read_runs(path).values():
        for qid, items in run.items():
            merged.setdefault(qid, []).extend(items)
    return {
        qid: tuple(sorted(items, key=lambda item: (-item[1], item[0])))
        for qid, items in merged.items()
    }


def without_identical(run: Run) -> dict[str, Ranking]:
    """`run` without any item whose id is its query's id: BEIR's `ignore_identical_ids`, for
    datasets whose queries are themselves corpus documents (ArguAna, Quora), where finding
    the query itself is no answer."""
    return {qid: tuple(item for item in ranked if item[0] != qid) for qid, ranked in run.items()}


def run_paths(path: Path, modes: Sequence[str]) -> dict[str, Path]:
    """Where each mode's run goes: `path` itself for one mode; with several, `{mode}` in the
    name is replaced, or the mode is added before the suffix (run.trec -> run.dense.trec)."""
    if "{mode}" in str(path):
        return {mode: Path(str(path).replace("{mode}", mode)) for mode in modes}
    if len(modes) == 1:
        return {modes[0]: path}
    return {mode: path.with_name(f"{path.stem}.{mode}{path.suffix}") for mode in modes}
