"""Best-unit dense scores: a passage scored as a whole and by its best unit.

A passage's units are its sentences and its document's title. For the candidates a query
gathered (the dense and the lexical lists), the dense score becomes

    (1 - w) * cos(question, passage) + w * max over units of cos(question, unit)

so a passage holding one sentence that answers the question is not drowned by the rest of
it, and a document whose title matches lifts its passages. Then the best `depth` are kept
as the dense ranking that fusion sees. SciFact train chose w = 0.7 among 0, 0.3, 0.5, 0.7
(CHANGELOG, "Sentence-level vectors"); w = 0 is the passage cosine alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

UNIT_WEIGHT = 0.7


def best_unit_ranking(
    keys: Sequence[int],
    passage: np.ndarray,
    best_unit: np.ndarray,
    weight: float,
    depth: int,
) -> dict[int, float]:
    """The best `depth` of `keys` by the mixed score, ties broken by key.

    `passage` and `best_unit` are each candidate's cosines; a candidate without units
    (best_unit -inf: no sentence vectors, no title) keeps its passage cosine.
    """
    unit = np.where(np.isfinite(best_unit), best_unit, passage)
    mixed = (1.0 - weight) * passage.astype(np.float64) + weight * unit.astype(np.float64)
    order = sorted(range(len(keys)), key=lambda n: (-mixed[n], keys[n]))[:depth]
    return {int(keys[n]): float(mixed[n]) for n in order}


def segment_max(values: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Max of each consecutive segment of `values` (segment n has lengths[n] items);
    -inf for an empty segment."""
    best = np.full(len(lengths), -np.inf, dtype=np.float64)
    filled = lengths > 0
    if filled.any():
        starts = np.concatenate(([0], np.cumsum(lengths[filled])[:-1]))
        best[filled] = np.maximum.reduceat(values, starts)
    return best
