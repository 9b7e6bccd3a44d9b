"""Rocchio feedback and the answerability signal against hand-computed values."""

from __future__ import annotations

import math

import numpy as np
import pytest

from index.retrieval.confidence import confidence
from index.retrieval.feedback import rocchio


def test_rocchio_hand_computed() -> None:
    query = np.array([1.0, 0.0], dtype=np.float32)
    feedback = np.array([[0.0, 1.0], [0.0, 1.0]], dtype=np.float32)
    moved = rocchio(query, feedback, beta=1.0)
    # q + 1.0 * mean(F) = (1, 1) -> (1/sqrt 2, 1/sqrt 2)
    assert moved == pytest.approx([1 / math.sqrt(2), 1 / math.sqrt(2)])
    assert float(np.linalg.norm(moved)) == pytest.approx(1.0)


def test_rocchio_half_beta_mean_of_two() -> None:
    query = np.array([1.0, 0.0, 0.0], dtype=np.float32)
    feedback = np.array([[0.0, 1.0, 0.0], [0.0, 0.0, 1.0]], dtype=np.float32)
    moved = rocchio(query, feedback, beta=0.5)
    # (1, 0.25, 0.25) / sqrt(1.125)
    norm = math.sqrt(1.125)
    assert moved == pytest.approx([1 / norm, 0.25 / norm, 0.25 / norm])


def test_rocchio_without_feedback_is_identity() -> None:
    query = np.array([0.6, 0.8], dtype=np.float32)
    assert rocchio(query, np.zeros((0, 2), dtype=np.float32)) is query
    assert rocchio(query, np.ones((1, 2), dtype=np.float32), beta=0.0) is query


def test_confidence_hand_computed() -> None:
    # slope 2, bias -1, cosine 0.5: z = 0 -> p = 0.5, at the threshold
    result = confidence(0.5, slope=2.0, bias=-1.0, threshold=0.5)
    assert result.confidence == pytest.approx(0.5)
    assert result.answerable
    low = confidence(0.0, slope=2.0, bias=-1.0, threshold=0.5)
    assert low.confidence == pytest.approx(1 / (1 + math.e), abs=1e-4)
    assert not low.answerable


def test_confidence_is_a_probability_and_monotone() -> None:
    values = [confidence(c).confidence for c in (-1.0, 0.0, 0.2, 0.5, 1.0)]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert values == sorted(values)
    assert confidence(-1e6, slope=1.0).confidence == 0.0
