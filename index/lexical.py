"""Lexical retrieval: BM25 (bm25s) over stemmed, stop-word-filtered tokens."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Any:
    import Stemmer

    return Stemmer.Stemmer(language)


def tokenize(
    texts: Sequence[str], *, stem: str = "english", stopwords: str = "en"
) -> list[list[str]]:
    """bm25s tokenisation (scikit-learn word pattern, lower-cased), stop words and stemming.

    `stem` is a Snowball language name or "" for none; `stopwords` "en" or "" for none.
    """
    import bm25s

    tokens = bm25s.tokenize(
        list(texts),
        lower=True,
        stopwords=stopwords or None,
        stemmer=_stemmer(stem) if stem else None,
        return_ids=False,
        show_progress=False,
    )
    return [[t for t in row if t] for row in tokens]


_WORD = re.compile(r"(?u)\b\w\w+\b")  # bm25s's (scikit-learn's) token pattern


@lru_cache(maxsize=4)
def _stopword_set(name: str) -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN) if name == "en" else frozenset()


def term_sets(
    texts: Sequence[str], *, stem: str = "english", stopwords: str = "en"
) -> list[set[str]]:
    """The distinct terms of each text as `tokenize` makes them (same pattern, stop words and
    stemmer), without bm25s's vocabulary bookkeeping: cheap enough for per-query highlights.
    Each distinct word is stemmed once per call."""
    stop = _stopword_set(stopwords)
    stemmer = _stemmer(stem) if stem else None
    words = [set(_WORD.findall(text.lower())) - stop for text in texts]
    if stemmer is None:
        return words
    vocabulary = sorted(set().union(*words))
    stems = dict(zip(vocabulary, stemmer.stemWords(vocabulary), strict=True))
    return [{stems[w] for w in row} for row in words]


class LexicalIndex:
    """Okapi BM25 (Robertson et al., 1994) as Lucene >= 8 scores it, k1=1.2, b=0.75:
    idf = ln(1 + (N - df + 0.5) / (df + 0.5)), times tf / (tf + k1 (1 - b + b |d| / avgdl)).

    Scores are non-negative; higher is better; 0 means no query term occurs.
    """

    def __init__(self, retriever: Any, *, stem: str, stopwords: str) -> None:
        self._bm25 = retriever
        self.stem = stem
        self.stopwords = stopwords

    @classmethod
    def build(
        cls, texts: Sequence[str], *, stem: str = "english", stopwords: str = "en"
    ) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        corpus = tokenize(texts, stem=stem, stopwords=stopwords)
        # bm25s needs at least one token per document to size its matrices.
        retriever.index([row or ["\u2205"] for row in corpus], show_progress=False)
        return cls(retriever, stem=stem, stopwords=stopwords)

    def __len__(self) -> int:
        return int(self._bm25.scores["num_docs"])

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for `query`, shape (len(self),), float32."""
        vocab = self._bm25.vocab_dict
        ids = [
            vocab[t]
            for t in tokenize([query], stem=self.stem, stopwords=self.stopwords)[0]
            if t in vocab
        ]
        if not ids:
            return np.zeros(len(self), dtype=np.float32)
        return np.asarray(self._bm25.get_scores_from_ids(ids), dtype=np.float32)

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows with a positive score: (row indices, BM25 scores), best first."""
        return top_k(self.scores(query), k)

    def save(self, directory: Path) -> None:
        self._bm25.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, *, stem: str, stopwords: str) -> LexicalIndex:
        import bm25s

        retriever = bm25s.BM25.load(str(directory), show_progress=False, verbosity=0)
        return cls(retriever, stem=stem, stopwords=stopwords)


def top_k(scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Indices and values of the k largest positive scores, best first (ties by index)."""
    positive = np.flatnonzero(scores > 0)
    if k <= 0 or not len(positive):
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
    if len(positive) > k:
        part = np.argpartition(-scores[positive], k - 1)[:k]
        positive = positive[part]
    order = np.lexsort((positive, -scores[positive]))
    rows = positive[order]
    return rows.astype(np.int64), scores[rows].astype(np.float32)


def term_id(term: str) -> int:
    """A stable 32-bit id for a token (engines with sparse vectors index by integer).

    Two terms sharing an id merge their postings; at a 10^6-term vocabulary that is about
    a hundred pairs, each nudging BM25 of a rare word: documented, accepted.
    """
    import hashlib

    return int.from_bytes(hashlib.blake2b(term.encode(), digest_size=4).digest(), "little")


def bm25_document_weights(
    tokens: Sequence[str], avgdl: float, *, k1: float = K1, b: float = B
) -> dict[int, float]:
    """Per-term document weights of Lucene BM25 without the idf factor:
    tf / (tf + k1 (1 - b + b |d| / avgdl)), keyed by `term_id`.

    An engine that multiplies these by idf = ln(1 + (N - df + 0.5) / (df + 0.5)) at query
    time (Qdrant's sparse vectors with the IDF modifier) and sums over query terms
    reproduces `LexicalIndex.scores` exactly, `avgdl` being the corpus mean length.
    """
    counts: dict[int, int] = {}
    for token in tokens:
        key = term_id(token)
        counts[key] = counts.get(key, 0) + 1
    norm = k1 * (1 - b + b * max(len(tokens), 1) / max(avgdl, 1e-9))
    return {key: tf / (tf + norm) for key, tf in counts.items()}


def bm25_query_weights(tokens: Sequence[str]) -> dict[int, float]:
    """Query-side weights: how often each term occurs (bm25s sums repeated query terms)."""
    counts: dict[int, float] = {}
    for token in tokens:
        key = term_id(token)
        counts[key] = counts.get(key, 0.0) + 1.0
    return counts
