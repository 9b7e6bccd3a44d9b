"""Comparison with a baseline: per-metric differences, a paired t-test, and regressions.

Both sides are `sayso eval --json` payloads. Queries are paired by (mode, query id); only
queries present on both sides count. The test is the two-sided paired t-test, the usual
choice for IR metrics (Smucker, Allan and Carterette, CIKM 2007). When several metrics and
modes are tested at once, their p-values are adjusted with Holm's step-down method (Holm,
Scand. J. Statistics 1979), which keeps the chance of any false regression below alpha;
`correction="none"` tests each one alone.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any

import numpy as np

MAX_DROP = 0.01
ALPHA = 0.05
CORRECTIONS = ("holm", "none")
"""Multiple-comparison corrections `compare` accepts."""


@dataclass(frozen=True)
class Difference:
    """One metric of one mode: means over the paired queries, current minus baseline.

    `regression` is set when the metric fell by more than the allowed drop and the fall is
    significant: its p-value, adjusted for the other tests of the same comparison
    (`p_adjusted`, Holm), is below alpha.
    """

    mode: str
    metric: str
    baseline: float
    current: float
    delta: float
    p_value: float
    queries: int
    regression: bool
    p_adjusted: float = 1.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def paired_p_value(current: np.ndarray, baseline: np.ndarray) -> float:
    """Two-sided paired t-test p-value; 1.0 when nothing changed, 0.0 for a constant shift."""
    diffs = np.asarray(current, dtype=np.float64) - np.asarray(baseline, dtype=np.float64)
    if len(diffs) < 2 or np.allclose(diffs, diffs[0]):
        return 1.0 if not len(diffs) or np.allclose(diffs, 0.0) else 0.0
    from scipy import stats

    return float(stats.ttest_rel(current, baseline).pvalue)


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm-adjusted p-values, in the input order: the i-th smallest of m is multiplied by
    m - i (i from 0), each kept at least as large as the one before it, capped at 1."""
    order = sorted(range(len(p_values)), key=lambda i: p_values[i])
    adjusted = [1.0] * len(p_values)
    running = 0.0
    for step, i in enumerate(order):
        running = max(running, min(1.0, (len(p_values) - step) * p_values[i]))
        adjusted[i] = running
    return adjusted


def _per_query(payload: Mapping[str, Any]) -> dict[tuple[str, str], Mapping[str, Any]]:
    try:
        return {(str(row["mode"]), str(row["qid"])): row for row in payload["per_query"]}
    except (KeyError, TypeError) as exc:
        raise ValueError(
            f"the baseline is not a `sayso eval --json` result (missing {exc})"
        ) from None


def compare(
    current: Mapping[str, Any],
    baseline: Mapping[str, Any],
    *,
    max_drop: float = MAX_DROP,
    alpha: float = ALPHA,
    correction: str = "holm",
) -> list[Difference]:
    """Differences for every metric and mode found in both payloads (latency excluded); a
    regression needs its p-value, adjusted over all of them by `correction`, below alpha."""
    if correction not in CORRECTIONS:
        raise ValueError(
            f"unknown correction {correction!r}; choose one of: {', '.join(CORRECTIONS)}"
        )
    now, before = _per_query(current), _per_query(baseline)
    names = [m for m in current.get("config", {}).get("metrics", []) if not m.startswith("latency")]
    modes = list(current.get("config", {}).get("modes", []))
    differences = []
    for mode in modes:
        pairs = sorted(key for key in now if key[0] == mode and key in before)
        for name in names:
            usable = [key for key in pairs if name in now[key] and name in before[key]]
            if not usable:
                continue
            cur = np.array([float(now[key][name]) for key in usable])
            old = np.array([float(before[key][name]) for key in usable])
            delta = float(cur.mean() - old.mean())
            p_value = paired_p_value(cur, old)
            differences.append(
                Difference(
                    mode=mode,
                    metric=name,
                    baseline=float(old.mean()),
                    current=float(cur.mean()),
                    delta=delta,
                    p_value=p_value,
                    queries=len(usable),
                    regression=False,
                )
            )
    ps = [d.p_value for d in differences]
    adjusted = holm(ps) if correction == "holm" else ps
    return [
        replace(d, p_adjusted=p, regression=d.delta < -max_drop and p < alpha)
        for d, p in zip(differences, adjusted, strict=True)
    ]
