"""Evaluation: run every query through a retriever in each mode, score the runs, shape the JSON."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from evals.datasets import Dataset, Qrels, answer_qrels
from evals.metrics import canonical_name, latency_summary, mean, parse_metrics, per_query
from evals.retrieval import Retrieved, Retriever
from evals.runs import Run, ranking

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


def _ranked(retrieved: Retrieved, unit: str, k: int) -> list[tuple[str, float]]:
    items = [
        (hit.doc_id if unit == "document" else hit.passage_id, hit.score) for hit in retrieved.hits
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
) -> Evaluation:
    """Retrieve `passage_k` (default `k`) passages per query and mode, keep the first `k`
    documents (BEIR, TREC: each scored by its best passage) or passages (question files),
    and score them.

    For a question file the judgements are the passages holding an answer: all of
    `passages` (id -> text) when given, else those retrieved by any mode.
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
    results = []
    for mode in modes:
        run = {qid: tuple(_ranked(r, unit, k)) for qid, r in retrieved[mode].items()}
        values = per_query(qrels, run, names)
        latencies = {qid: r.latency_ms for qid, r in retrieved[mode].items()}
        summary = mean(values, names) | latency_summary(list(latencies.values()))
        results.append(ModeResult(mode, run, values, latencies, summary))
    return Evaluation(
        dataset=dataset,
        unit=unit,
        k=k,
        metric_names=names,
        modes=tuple(results),
        qrels=qrels,
        index=retriever.describe(),
    )
