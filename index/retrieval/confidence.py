"""Answerability: whether the best passage is a confident match, as a calibrated probability."""

from __future__ import annotations

import math
from dataclasses import dataclass

# Fitted by logistic regression on evals/data dev questions (answerable) and half of
# unanswerable.jsonl (even rows); see CHANGELOG "Retrieval quality experiments".
SLOPE = 6.3027
BIAS = -1.4227
THRESHOLD = 0.3946  # best accuracy on the fitting set: top cosine >= 0.158


@dataclass(frozen=True)
class Answerability:
    """`confidence` in [0, 1]: the estimated probability that the top passage answers the
    question; `answerable` is confidence >= the threshold."""

    answerable: bool
    confidence: float


def confidence(
    top_cosine: float, *, slope: float = SLOPE, bias: float = BIAS, threshold: float = THRESHOLD
) -> Answerability:
    """Platt scaling of the best passage's dense cosine: 1 / (1 + exp(-(slope * cos + bias))).

    `top_cosine` is the cosine in [-1, 1] between the question and the best passage.
    """
    z = slope * top_cosine + bias
    p = 1.0 / (1.0 + math.exp(-z)) if z >= -700 else 0.0
    return Answerability(answerable=p >= threshold, confidence=round(p, 4))
