"""Fusion: pure functions that merge ranked lists from several retrievers into one.

Each input is a mapping from a candidate (a passage row) to its score in one retriever,
higher is better. Each method returns fused scores, higher is better.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np

Ranking = Mapping[int, float]
Fuser = Callable[[Sequence[Ranking], Sequence[float]], dict[int, float]]

RRF_K = 60


def ranks(ranking: Ranking) -> dict[int, int]:
    """1-based ranks by descending score; ties broken by candidate id."""
    ordered = sorted(ranking.items(), key=lambda item: (-item[1], item[0]))
    return {candidate: position for position, (candidate, _) in enumerate(ordered, start=1)}


def rrf(rankings: Sequence[Ranking], weights: Sequence[float], k: int = RRF_K) -> dict[int, float]:
    """Reciprocal rank fusion (Cormack, Clarke and Büttcher, SIGIR 2009).

    score(d) = sum_i w_i / (k + rank_i(d)), ranks starting at 1, k = 60; a list that does
    not contain d contributes nothing.
    """
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for candidate, rank in ranks(ranking).items():
            fused[candidate] = fused.get(candidate, 0.0) + weight / (k + rank)
    return fused


def _convex(
    rankings: Sequence[Ranking], weights: Sequence[float], scale: Callable[[np.ndarray], np.ndarray]
) -> dict[int, float]:
    fused: dict[int, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        if not ranking:
            continue
        candidates = list(ranking)
        scaled = scale(np.array([ranking[c] for c in candidates], dtype=np.float64))
        floor = float(scaled.min())
        for candidate, value in zip(candidates, scaled, strict=True):
            fused[candidate] = fused.get(candidate, 0.0) + weight * (float(value) - floor)
    return fused


def scale_minmax(values: np.ndarray) -> np.ndarray:
    """Scores scaled to [0, 1] over these values (all 1 when they are equal)."""
    spread = values.max() - values.min()
    return (values - values.min()) / spread if spread > 0 else np.ones_like(values)


def _zscore(values: np.ndarray) -> np.ndarray:
    std = values.std()
    return (values - values.mean()) / std if std > 0 else np.zeros_like(values)


def minmax(rankings: Sequence[Ranking], weights: Sequence[float]) -> dict[int, float]:
    """Convex combination of min-max normalised scores (Lee, SIGIR 1997; Bruch et al. 2023).

    Each list's scores are scaled to [0, 1] over its own candidates; a candidate missing
    from a list gets that list's minimum (0).
    """
    return _convex(rankings, weights, scale_minmax)


def zscore(rankings: Sequence[Ranking], weights: Sequence[float]) -> dict[int, float]:
    """Convex combination of z-normalised scores; a missing candidate gets the list minimum."""
    return _convex(rankings, weights, _zscore)


FUSERS: dict[str, Fuser] = {"rrf": rrf, "minmax": minmax, "zscore": zscore}


def get_fuser(name: str) -> Fuser:
    """The fusion function registered under `name`."""
    try:
        return FUSERS[name]
    except KeyError:
        raise ValueError(
            f"unknown fusion method {name!r}; choose one of: {', '.join(sorted(FUSERS))}"
        ) from None
