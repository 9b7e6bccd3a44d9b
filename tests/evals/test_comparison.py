"""Baseline comparison: per-metric deltas, the paired test, and regression detection."""

from __future__ import annotations

from typing import Any

import numpy as np
import pytest

from evals.comparison import compare, paired_p_value


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
