"""pool_spans: the mean of the token states starting in a span, unit length; zeros where
no token starts in it or truncation cut it off."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from index.models.encoder import encode_spans, pool_spans

STATES = np.array([[3.0, 0.0], [0.0, 4.0], [1.0, 1.0], [2.0, 0.0]], dtype=np.float32)
STARTS = np.array([0, 4, 9, 15])  # "abc def gh ijkl m": tokens at 0, 4, 9 and 15


def test_a_span_is_the_unit_mean_of_the_tokens_starting_in_it() -> None:
    pooled = pool_spans(STATES, STARTS, [(0, 8), (9, 16), (4, 5)], reach=100)
    # (3, 0) and (0, 4): mean (1.5, 2), length 2.5
    assert np.allclose(pooled[0], [0.6, 0.8])
    # (1, 1) and (2, 0): mean (1.5, 0.5)
    assert np.allclose(pooled[1], np.array([1.5, 0.5]) / np.hypot(1.5, 0.5))
    # a token belongs to the span its first character is in, whatever its length
    assert np.allclose(pooled[2], [0.0, 1.0])


def test_spans_without_tokens_or_past_the_reach_are_zero_rows() -> None:
    pooled = pool_spans(STATES, STARTS, [(1, 4), (9, 16), (0, 8)], reach=12)
    assert not pooled[0].any()  # no token starts in "bc "
    assert not pooled[1].any()  # ends after the last kept token: truncated
    assert np.allclose(pooled[2], [0.6, 0.8])


def test_an_encoder_without_token_states_is_refused_by_name() -> None:
    class Plain:
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            return np.ones((len(texts), 2), dtype=np.float32)

    with pytest.raises(ValueError, match="Plain has none"):
        encode_spans(Plain(), ["a b"], [[(0, 1)]])
