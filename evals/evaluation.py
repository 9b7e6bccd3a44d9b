"""Evaluation: run every query through a retriever in each mode, score the runs, shape the JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.datasets import Dataset, Qrels, answer_qrels
from evals.metrics import canonical_name, latency_summary, mean, parse_metrics, per_query
from evals.retrieval import Retrieved, Retriever
from evals.runs import Run, ranking, without_identical

Progress = Callable[[int, int], None]
"""Called with (queries done, queries to do) over all modes."""

TOP_IDS = 3


@dataclass(frozen=True)
class ModeResult:
    """One mode's run, per-query metric values, latencies (ms) and their summary."""

    mode: str
    run: Run
    per_query: Mapping[str, Mapping[str, float]]
    latencies_ms: Mapping[str, float]
    metrics: Mapping[str, float]


@dataclass(frozen=True)
class Evaluation:
    """Everything one `sayso eval` measured; `to_json` is the documented output shape."""

    dataset: Dataset
    unit: str  # "document" (BEIR, TREC) or "passage" (question files)
    k: int
    metric_names: tuple[str, ...]
    modes: tuple[ModeResult, ...]
    qrels: Qrels
    index: Mapping[str, Any]

    def to_json(self) -> dict[str, Any]:
        """`{"metrics": {<first mode's metrics>, "modes": {mode: metrics}}, "per_query": [...],
        "index": {...}, "config": {...}}`; per-query rows are ordered by mode, then query."""
        first = dict(self.modes[0].metrics) if self.modes else {}
        questions = {q.id: q.text for q in self.dataset.queries}
        rows = []
        for result in self.modes:
            for qid, values in result.per_query.items():
                rows.append(
                    {"qid": qid, "mode": result.mode, "question": questions.get(qid, "")}
                    | dict(values)
                    | {
                        "latency_ms": round(result.latencies_ms.get(qid, 0.0), 3),
                        "relevant": sum(1 for g in self.qrels.get(qid, {}).values() if g > 0),
                        "top": [item for item, _ in result.run.get(qid, ())[:TOP_IDS]],
                    }
                )
        return {
            "metrics": first | {"modes": {r.mode: dict(r.metrics) for r in self.modes}},
            "per_query": rows,
            "index": dict(self.index),
            "config": {
                "dataset": self.dataset.name,
                "kind": self.dataset.kind,
                "unit": self.unit,
                "k": self.k,
                "modes": [r.mode for r in self.modes],
                "metrics": list(self.metric_names),
                "queries": len(self.dataset.queries),
            },
        }


def _ranked(
    retrieved: Retrieved, unit: str, k: int, skip: str | None = None
) -> list[tuple[str, float]]:
    """The first `k` distinct ids retrieved, leaving out `skip` (the query's own id)."""
    items = [
        (hit.doc_id if unit == "document" else hit.passage_id, hit.score)
        for hit in retrieved.hits
        if (hit.doc_id if unit == "document" else hit.passage_id) != skip
    ]
    return list(ranking(items, k))


def evaluate(
    dataset: Dataset,
    retriever: Retriever,
    modes: Sequence[str],
    *,
    k: int = 100,
    metrics: Sequence[str],
    passages: Mapping[str, str] | None = None,
    passage_k: int | None = None,
    progress: Progress | None = None,
    ignore_identical_ids: bool = False,
) -> Evaluation:
    """Retrieve `passage_k` (default `k`) passages per query and mode, keep the first `k`
    documents (BEIR, TREC: each scored by its best passage) or passages (question files),
    and score them.

    For a question file the judgements are the passages holding an answer: all of
    `passages` (id -> text) when given, else those retrieved by any mode. With
    `ignore_identical_ids`, a query's own id is left out of its ranking (BEIR's rule for
    datasets whose queries are documents) and the next item moves up.
    """
    names = tuple(canonical_name(n) for n in metrics)
    parse_metrics(names)  # fail before any retrieval on a bad name
    unit = "passage" if dataset.kind == "questions" else "document"
    todo, done = len(modes) * len(dataset.queries), 0
    retrieved: dict[str, dict[str, Retrieved]] = {}
    for mode in modes:
        retrieved[mode] = {}
        if dataset.queries:  # untimed warm-up: lazy loading must not count as latency
            retriever.retrieve(dataset.queries[0].text, passage_k or k, mode)
        for query in dataset.queries:
            retrieved[mode][query.id] = retriever.retrieve(query.text, passage_k or k, mode)
            done += 1
            if progress:
                progress(done, todo)
    qrels = _judgements(dataset, retrieved, passages)
    results = []
    for mode in modes:
        run = {
            qid: tuple(_ranked(r, unit, k, qid if ignore_identical_ids else None))
            for qid, r in retrieved[mode].items()
        }
        latencies = {qid: r.latency_ms for qid, r in retrieved[mode].items()}
        results.append(_scored(mode, run, qrels, names, latencies))
    return Evaluation(
        dataset=dataset,
        unit=unit,
        k=k,
        metric_names=names,
        modes=tuple(results),
        qrels=qrels,
        index=retriever.describe(),
    )


def _judgements(
    dataset: Dataset,
    retrieved: Mapping[str, Mapping[str, Retrieved]],
    passages: Mapping[str, str] | None,
) -> Qrels:
    """The dataset's qrels; for a question file, the passages holding an answer."""
    qrels = dataset.qrels
    if dataset.kind == "questions":
        if passages is None:
            passages = {
                hit.passage_id: hit.text
                for by_query in retrieved.values()
                for result in by_query.values()
                for hit in result.hits
            }
        qrels = answer_qrels(dataset.queries, passages)
    return qrels


def _scored(
    mode: str,
    run: Run,
    qrels: Qrels,
    names: Sequence[str],
    latencies: Mapping[str, float],
) -> ModeResult:
    values = per_query(qrels, run, names)
    summary = mean(values, names) | latency_summary(list(latencies.values()))
    return ModeResult(mode, run, values, latencies, summary)


def evaluate_runs(
    dataset: Dataset,
    runs: Mapping[str, Run],
    *,
    k: int = 100,
    metrics: Sequence[str],
    passages: Mapping[str, str] | None = None,
    ignore_identical_ids: bool = False,
    source: Mapping[str, Any] | None = None,
) -> Evaluation:
    """Score external runs (name -> run, e.g. one per tag of a TREC run file) as `evaluate`
    scores sayso's own: same metrics, same cut at `k`, same report; no latencies. Items are
    documents for BEIR and TREC data, passages (of `passages`, id -> text) for a question
    file, whose judgements need those texts."""
    names = tuple(canonical_name(n) for n in metrics)
    parse_metrics(names)
    if dataset.kind == "questions" and passages is None:
        raise ValueError("scoring a run on a question file needs the index's passages")
    qrels = _judgements(dataset, {}, passages)
    wanted = {q.id for q in dataset.queries}
    results = []
    for name, run in runs.items():
        kept = without_identical(run) if ignore_identical_ids else run
        cut = {qid: ranking(kept[qid], k) for qid in wanted if qid in kept}
        results.append(_scored(name, cut, qrels, names, {}))
    return Evaluation(
        dataset=dataset,
        unit="passage" if dataset.kind == "questions" else "document",
        k=k,
        metric_names=names,
        modes=tuple(results),
        qrels=qrels,
        index=dict(source or {}),
    )
