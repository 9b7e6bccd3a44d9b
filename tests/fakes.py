"""Test doubles: a deterministic hashing encoder (SAYSO_MODEL=python:tests.fakes:HashEncoder)."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from index.models.encoder import pool_spans

HASH_MODEL = "python:tests.fakes:HashEncoder"
"""The model name that selects HashEncoder through the encoder registry's plugin form."""


class HashEncoder:
    """Bag of word prefixes hashed into 512 dimensions: deterministic, fast, a little semantic.

    It needs no weights, so subprocess tests (kill drills, real servers) can use it; its
    retrieval quality is far below a real model's.
    """

    dimension = 512

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        out = np.zeros((len(texts), self.dimension), dtype=np.float32)
        for row, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                digest = hashlib.blake2b(word[:5].encode(), digest_size=4).digest()
                out[row, int.from_bytes(digest, "little") % self.dimension] += 1.0
            out[row, 0] += 1e-3  # never a zero vector
        normalised: np.ndarray = out / np.linalg.norm(out, axis=1, keepdims=True)
        return normalised

    def token_states(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """One hashed one-hot state per word and the words' start offsets: the fake's
        "last hidden states", which `encode_spans` pools."""
        words = list(re.finditer(r"\w+", text.lower()))
        states = np.zeros((len(words), self.dimension), dtype=np.float32)
        for row, word in enumerate(words):
            digest = hashlib.blake2b(word.group()[:5].encode(), digest_size=4).digest()
            states[row, int.from_bytes(digest, "little") % self.dimension] = 1.0
        return states, np.array([w.start() for w in words], dtype=np.int64)

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode(texts)` and each span pooled from the text's word states (no truncation)."""
        pooled = [
            pool_spans(*self.token_states(text), list(text_spans), len(text))
            for text, text_spans in zip(texts, spans, strict=True)
        ]
        return self.encode(texts), pooled


LATE_MODEL = "python:tests.fakes:HashTokens"
"""The SAYSO_LATE_MODEL name that selects HashTokens (no weights load)."""


class HashTokens:
    """A late-interaction double: one hashed one-hot vector per word (64 dimensions), the
    question padded to 32 tokens with a fixed vector, as ColBERT pads with [MASK]."""

    dimension = 64
    query_tokens = 32

    def _word(self, word: str) -> np.ndarray:
        vector = np.zeros(self.dimension, dtype=np.float32)
        digest = hashlib.blake2b(word[:5].encode(), digest_size=4).digest()
        vector[1 + int.from_bytes(digest, "little") % (self.dimension - 1)] = 1.0
        return vector

    def _tokens(self, text: str) -> list[np.ndarray]:
        return [self._word(w) for w in re.findall(r"\w+", text.lower())]

    def encode_query(self, text: str) -> np.ndarray:
        mask = np.zeros(self.dimension, dtype=np.float32)
        mask[0] = 1.0
        tokens = self._tokens(text)[: self.query_tokens]
        return np.vstack(tokens + [mask] * (self.query_tokens - len(tokens)))

    def encode_passages(self, texts: Sequence[str]) -> list[np.ndarray]:
        return [
            np.vstack(self._tokens(t) or [np.eye(self.dimension, dtype=np.float32)[0]])
            for t in texts
        ]
