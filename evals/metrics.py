"""Metrics: retrieval effectiveness computed by ir_measures, named the ir_measures way.

Names are parsed by ir_measures (`nDCG@10`, `R@100`, `RR@10`, `P@10`, `Success@1`, ...);
`Hit@k` and `MRR@k` are accepted as the usual aliases of `Success@k` and `RR@k`. Every
value is in [0, 1]. A query with no retrieved items scores 0 (as `trec_eval -c`), so
means are always over every judged query.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from evals.datasets import Qrels
from evals.runs import Run

DEFAULT_METRICS = ("nDCG@10", "R@100", "RR@10", "P@10", "Success@1", "Success@3", "Success@10")
_ALIASES = ((re.compile(r"^Hit@"), "Success@"), (re.compile(r"^MRR@"), "RR@"))


def canonical_name(name: str) -> str:
    """The ir_measures spelling of a metric name (Hit@3 -> Success@3, MRR@10 -> RR@10)."""
    name = name.strip()
    for pattern, replacement in _ALIASES:
        name = pattern.sub(replacement, name)
    return name


def parse_metrics(names: Sequence[str]) -> list[Any]:
    """ir_measures measure objects for `names`; an unknown name raises ValueError."""
    import ir_measures

    measures = []
    for name in names:
        try:
            measures.append(ir_measures.parse_measure(canonical_name(name)))
        except (ValueError, NameError, SyntaxError, TypeError):
            raise ValueError(
                f"unknown metric {name!r}; use ir_measures names such as "
                f"{', '.join(DEFAULT_METRICS)}"
            ) from None
    return measures


def per_query(qrels: Qrels, run: Run, names: Sequence[str]) -> dict[str, dict[str, float]]:
    """Each judged query's value of each metric, keyed by the canonical metric names."""
    import ir_measures

    measures = parse_metrics(names)
    canonical = {str(m): canonical_name(n) for m, n in zip(measures, names, strict=True)}
    values = {qid: dict.fromkeys(canonical.values(), 0.0) for qid in qrels}
    qrel_rows = [
        ir_measures.Qrel(qid, docid, int(grade))
        for qid, docs in qrels.items()
        for docid, grade in docs.items()
    ]
    run_rows = [
        ir_measures.ScoredDoc(qid, docid, float(score))
        for qid, ranked in run.items()
        if qid in qrels
        for docid, score in ranked
    ]
    if qrel_rows and run_rows:
        for metric in ir_measures.iter_calc(measures, qrel_rows, run_rows):
            if metric.query_id in values:
                values[metric.query_id][canonical[str(metric.measure)]] = float(metric.value)
    return values


def mean(values: Mapping[str, Mapping[str, float]], names: Sequence[str]) -> dict[str, float]:
    """The mean of each metric over queries (0.0 for no queries)."""
    return {
        name: float(np.mean([row[name] for row in values.values()])) if values else 0.0
        for name in (canonical_name(n) for n in names)
    }


def latency_summary(latencies_ms: Sequence[float]) -> dict[str, float]:
    """Median and 95th percentile of per-query latency, milliseconds (linear interpolation)."""
    if not latencies_ms:
        return {"latency_p50_ms": 0.0, "latency_p95_ms": 0.0}
    values = np.asarray(latencies_ms, dtype=np.float64)
    return {
        "latency_p50_ms": round(float(np.percentile(values, 50)), 3),
        "latency_p95_ms": round(float(np.percentile(values, 95)), 3),
    }
