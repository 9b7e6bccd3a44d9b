"""Metric wiring (ir_measures) checked against values computed by hand on a toy run."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from evals.metrics import canonical_name, latency_summary, mean, parse_metrics, per_query
from evals.runs import ranking, write_run

QRELS = {"q1": {"d1": 1, "d3": 1, "d9": 0}, "q2": {"d5": 1}, "q3": {"d7": 1}}
RUN = {
    "q1": ranking([("d2", 0.9), ("d1", 0.8), ("d4", 0.7), ("d3", 0.6)]),
    "q2": ranking([("d5", 3.0), ("d6", 2.0)]),
    "q3": (),  # nothing retrieved: every metric is 0, and the query still counts
}
NAMES = ["nDCG@10", "RR@10", "P@2", "Success@1", "Hit@2", "R@3", "MRR@1"]


def test_per_query_values_by_hand() -> None:
    values = per_query(QRELS, RUN, NAMES)
    ideal = 1 + 1 / math.log2(3)
    assert values["q1"]["nDCG@10"] == pytest.approx((1 / math.log2(3) + 1 / math.log2(5)) / ideal)
    assert values["q1"]["RR@10"] == pytest.approx(0.5)
    assert values["q1"]["P@2"] == pytest.approx(0.5)
    assert values["q1"]["Success@1"] == 0.0
    assert values["q1"]["Success@2"] == 1.0
    assert values["q1"]["R@3"] == pytest.approx(0.5)
    assert values["q1"]["RR@1"] == 0.0
    assert values["q2"] == {
        "nDCG@10": 1.0, "RR@10": 1.0, "P@2": 0.5, "Success@1": 1.0,
        "Success@2": 1.0, "R@3": 1.0, "RR@1": 1.0,
    }  # fmt: skip
    assert set(values["q3"].values()) == {0.0}


def test_means_are_over_every_judged_query() -> None:
    means = mean(per_query(QRELS, RUN, NAMES), NAMES)
    assert means["RR@10"] == pytest.approx((0.5 + 1.0 + 0.0) / 3)
    assert means["Success@1"] == pytest.approx(1 / 3)


def test_aliases_and_unknown_names() -> None:
    assert canonical_name("Hit@3") == "Success@3"
    assert canonical_name("MRR@10") == "RR@10"
    assert [str(m) for m in parse_metrics(["nDCG@10", "Hit@1"])] == ["nDCG@10", "Success@1"]
    with pytest.raises(ValueError, match="unknown metric 'Bogus@3'"):
        parse_metrics(["Bogus@3"])


def test_latency_percentiles() -> None:
    summary = latency_summary([10.0, 20.0, 30.0, 40.0, 1000.0])
    assert summary["latency_p50_ms"] == 30.0
    assert summary["latency_p95_ms"] == pytest.approx(40 + 0.8 * 960)
    assert latency_summary([]) == {"latency_p50_ms": 0.0, "latency_p95_ms": 0.0}


def test_run_file_scored_independently_by_ir_measures(tmp_path: Path) -> None:
    """ir_measures reading our run file from disk agrees with what we report."""
    import ir_measures

    path = tmp_path / "toy.run"
    write_run(path, RUN, tag="toy")
    qrels_path = tmp_path / "toy.qrels"
    qrels_path.write_text(
        "".join(f"{q} 0 {d} {g}\n" for q, docs in QRELS.items() for d, g in docs.items())
    )
    measures = [ir_measures.parse_measure(n) for n in ("nDCG@10", "RR@10", "P@2")]
    theirs = ir_measures.calc_aggregate(
        measures,
        list(ir_measures.read_trec_qrels(str(qrels_path))),
        list(ir_measures.read_trec_run(str(path))),
    )
    # q3 retrieved nothing: both sides count it as 0 (like `trec_eval -c`).
    names = ["nDCG@10", "RR@10", "P@2"]
    ours = mean(per_query(QRELS, RUN, names), names)
    assert {str(m): round(v, 6) for m, v in theirs.items()} == {
        k: round(v, 6) for k, v in ours.items()
    }
