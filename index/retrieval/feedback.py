"""Pseudo-relevance feedback: a question vector moved towards its first-pass best passages."""

from __future__ import annotations

import numpy as np

ROCCHIO_BETA = 0.5
ROCCHIO_DOCS = 3


def rocchio(query: np.ndarray, feedback: np.ndarray, beta: float = ROCCHIO_BETA) -> np.ndarray:
    """Rocchio's positive update (Rocchio, 1971), renormalised: q' = (q + beta * mean(F)) / |.|.

    `query` is a unit vector of shape (d,); `feedback` holds the unit vectors of the
    passages taken as relevant, shape (n, d). With no feedback rows or beta 0 the query
    comes back unchanged. The result is unit length (cosine stays an inner product).
    """
    if beta == 0 or not len(feedback):
        return query
    moved = query + beta * feedback.mean(axis=0)
    norm = float(np.linalg.norm(moved))
    return (moved / norm).astype(np.float32) if norm > 0 else query
