"""Baseline comparison: per-metric deltas, the paired test, and regression detection."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from evals.comparison import compare, holm, paired_p_value


def payload(values: list[float], mode: str = "hybrid") -> dict[str, Any]:
    return {
        "config": {"modes": [mode], "metrics": ["RR@10"]},
        "per_query": [
            {"qid": f"q{i}", "mode": mode, "RR@10": v, "latency_ms": 1.0}
            for i, v in enumerate(values)
        ],
    }


GOOD = [1.0, 1.0, 0.5, 1.0, 0.5, 1.0, 1.0, 0.5, 1.0, 1.0]


def test_no_change_is_no_regression() -> None:
    [diff] = compare(payload(GOOD), payload(GOOD))
    assert diff.delta == 0.0 and diff.p_value == 1.0 and not diff.regression
    assert diff.queries == 10


def test_significant_drop_is_a_regression() -> None:
    worse = [v - 0.25 if i % 5 else v - 0.5 for i, v in enumerate(GOOD)]
    [diff] = compare(payload(worse), payload(GOOD))
    assert diff.delta == pytest.approx(-0.3)
    assert diff.p_value < 0.05
    assert diff.regression


def test_small_or_insignificant_drops_pass() -> None:
    tiny = [v - 0.005 for v in GOOD]
    assert not compare(payload(tiny), payload(GOOD))[0].regression  # within max_drop
    noisy = [0.0, 1.0, *GOOD[2:]]  # one query down a lot, one up: not significant
    diff = compare(payload(noisy), payload(GOOD))[0]
    assert diff.delta < -0.01 and diff.p_value > 0.05 and not diff.regression


def test_only_shared_modes_and_queries_are_paired() -> None:
    assert compare(payload(GOOD, "dense"), payload(GOOD, "hybrid")) == []


def test_paired_p_value_matches_scipy() -> None:
    from scipy import stats

    a, b = np.array([0.2, 0.5, 0.9, 0.4]), np.array([0.1, 0.55, 0.6, 0.3])
    assert paired_p_value(a, b) == pytest.approx(stats.ttest_rel(a, b).pvalue)


def test_not_a_result_file() -> None:
    with pytest.raises(ValueError, match="not a `sayso eval --json` result"):
        compare(payload(GOOD), {"metrics": {}})


def test_holm_adjusts_by_hand() -> None:
    # m = 4: sorted 0.01, 0.02, 0.03, 0.04 -> 0.04, 0.06, 0.06 (monotone), 0.04 -> 0.06
    assert holm([0.03, 0.01, 0.04, 0.02]) == pytest.approx([0.06, 0.04, 0.06, 0.06])
    assert holm([0.5, 0.9]) == pytest.approx([1.0, 1.0])
    assert holm([]) == []


def test_several_tests_are_corrected_with_holm() -> None:
    metrics = ["RR@10", "Hit@1", "Hit@3", "nDCG@10", "R@10"]
    worse = [v - 0.25 if i % 5 else v - 0.5 for i, v in enumerate(GOOD)]
    noisy = [v - 0.3 if i < 4 else v for i, v in enumerate(GOOD)]  # p ~ 0.02 alone

    def several(values: list[float]) -> dict[str, Any]:
        return {
            "config": {"modes": ["hybrid"], "metrics": metrics},
            "per_query": [
                {"qid": f"q{i}", "mode": "hybrid"} | {m: v for m in metrics}
                for i, v in enumerate(values)
            ],
        }

    base = several(GOOD)
    cur = several(noisy)
    cur["per_query"] = [row | {"RR@10": w} for row, w in zip(cur["per_query"], worse, strict=True)]
    diffs = {d.metric: d for d in compare(cur, base)}
    assert diffs["RR@10"].regression  # significant even after correction
    raw = diffs["Hit@1"]
    assert raw.p_value < 0.05 and raw.p_adjusted == pytest.approx(min(1.0, 4 * raw.p_value))
    assert not raw.regression  # four like it: not significant once corrected
    alone = {d.metric: d for d in compare(cur, base, correction="none")}
    assert alone["Hit@1"].regression and alone["Hit@1"].p_adjusted == alone["Hit@1"].p_value
    with pytest.raises(ValueError, match="choose one of: holm, none"):
        compare(cur, base, correction="bonferroni")
