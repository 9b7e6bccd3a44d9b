"""Fusion methods against hand-computed values."""

from __future__ import annotations

import pytest

from index.retrieval.fusion import get_fuser, minmax, ranks, rrf, zscore


def test_ranks_break_ties_by_id() -> None:
    assert ranks({3: 1.0, 1: 1.0, 2: 5.0}) == {2: 1, 1: 2, 3: 3}


def test_rrf_hand_computed() -> None:
    dense = {10: 0.9, 20: 0.5}
    lexical = {20: 7.0, 30: 3.0}
    fused = rrf([dense, lexical], [1.0, 1.0], k=60)
    assert fused[10] == pytest.approx(1 / 61)
    assert fused[20] == pytest.approx(1 / 62 + 1 / 61)
    assert fused[30] == pytest.approx(1 / 62)


def test_rrf_weights_scale_contributions() -> None:
    fused = rrf([{1: 1.0}, {2: 1.0}], [2.0, 0.5], k=0)
    assert fused == {1: 2.0, 2: 0.5}


def test_minmax_hand_computed() -> None:
    fused = minmax([{1: 0.8, 2: 0.4, 3: 0.6}, {1: 2.0, 4: 10.0}], [0.5, 0.5])
    assert fused[1] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert fused[2] == pytest.approx(0.0)
    assert fused[3] == pytest.approx(0.5 * 0.5)
    assert fused[4] == pytest.approx(0.5 * 1.0)


def test_zscore_orders_by_standardised_sum() -> None:
    fused = zscore([{1: 1.0, 2: 2.0, 3: 3.0}], [1.0])
    assert fused[3] > fused[2] > fused[1] == pytest.approx(0.0)


def test_unknown_fusion_lists_choices() -> None:
    with pytest.raises(ValueError, match="minmax, rrf, zscore"):
        get_fuser("borda")


def test_minmax_equal_weights_hand_computed_half() -> None:
    # the default: min-max with equal weights; dense {1: 0.9, 2: 0.5}, lexical {2: 8, 3: 4}
    fused = minmax([{1: 0.9, 2: 0.5}, {2: 8.0, 3: 4.0}], [0.5, 0.5])
    assert fused == pytest.approx({1: 0.5, 2: 0.5, 3: 0.0})


def test_zscore_weights_hand_computed() -> None:
    # dense {1: 1, 2: 3}: z = (-1, 1), shifted by the minimum -> (0, 2); lexical {1: 5}: std 0
    fused = zscore([{1: 1.0, 2: 3.0}, {1: 5.0}], [0.25, 0.75])
    assert fused == pytest.approx({1: 0.0, 2: 0.5})
