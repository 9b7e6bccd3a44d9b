"""Lexical retrieval: BM25 (bm25s) over stemmed, stop-word-filtered tokens."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

log = logging.getLogger(__name__)

K1 = 1.2
B = 0.75


TOKEN_PATTERN = re.compile(r"(?u)\b\w\w+\b")
"""scikit-learn's CountVectorizer word pattern, as bm25s uses it."""


@lru_cache(maxsize=4)
def _stemmer(language: str) -> Any:
    import Stemmer

    return Stemmer.Stemmer(language)


@lru_cache(maxsize=4)
def stopword_list(name: str) -> tuple[str, ...]:
    """The stop words bm25s ships under `name` ("en"), or none for ""."""
    if not name:
        return ()
    from bm25s.stopwords import STOPWORDS_EN

    if name not in ("en", "english"):
        raise ValueError(f"unknown stop word list {name!r}; choose 'en' or ''")
    return tuple(STOPWORDS_EN)


@dataclass(frozen=True)
class Tokenizer:
    """Lower-case, split on the word pattern, drop stop words, then Snowball-stem.

    The same steps as `bm25s.tokenize`, without importing bm25s (and scipy) at query time:
    an index carries its stop word list, so loading it needs neither.
    """

    stem: str = "english"
    stopwords: frozenset[str] = frozenset()

    def __call__(self, texts: Sequence[str]) -> list[list[str]]:
        rows = [
            [w for w in TOKEN_PATTERN.findall(text.lower()) if w not in self.stopwords]
            for text in texts
        ]
        if not self.stem:
            return rows
        stemmer = _stemmer(self.stem)
        return [stemmer.stemWords(row) if row else [] for row in rows]

    def distinct(self, texts: Sequence[str]) -> list[set[str]]:
        """The set of each text's tokens, as __call__ makes them, stemming each distinct
        word once for all texts (cheap per-query highlights over many sentences)."""
        rows = [set(TOKEN_PATTERN.findall(text.lower())) - self.stopwords for text in texts]
        if not self.stem:
            return rows
        words = sorted(set().union(*rows))
        stems = dict(zip(words, _stemmer(self.stem).stemWords(words), strict=True))
        return [{stems[w] for w in row} for row in rows]


def tokenizer(stem: str = "english", stopwords: str = "en") -> Tokenizer:
    """The tokenizer for a stemmer language ("" for none) and a stop word list name."""
    return Tokenizer(stem=stem, stopwords=frozenset(stopword_list(stopwords)))


def tokenize(
    texts: Sequence[str], *, stem: str = "english", stopwords: str = "en"
) -> list[list[str]]:
    """Tokens of each text (see Tokenizer); `stem` a Snowball language or "", `stopwords`
    "en" or ""."""
    return tokenizer(stem, stopwords)(texts)


class LexicalIndex:
    """Okapi BM25 (Robertson et al., 1994) as Lucene >= 8 scores it, k1=1.2, b=0.75:
    idf = ln(1 + (N - df + 0.5) / (df + 0.5)), times tf / (tf + k1 (1 - b + b |d| / avgdl)).

    bm25s computes the score matrix at build time (a term x passage CSC matrix of
    precomputed per-term scores); a query sums the columns of its terms with numpy, so
    loading and querying need neither bm25s nor scipy. Scores are non-negative; higher is
    better; 0 means no query term occurs.
    """

    def __init__(
        self,
        data: np.ndarray,
        indices: np.ndarray,
        indptr: np.ndarray,
        vocab: dict[str, int],
        num_docs: int,
        tokenize: Tokenizer,
    ) -> None:
        self._data = data
        self._indices = indices
        self._indptr = indptr
        self._vocab = vocab
        self._num_docs = num_docs
        self.tokenize = tokenize

    def shape_problem(self) -> str | None:
        """What is wrong with the arrays loaded from disk, or None: one column per vocabulary
        term (`indptr`), each listing passage rows below `num_docs` with their scores."""
        if self._data.ndim != 1 or self._indices.shape != self._data.shape:
            return f"data {self._data.shape} and indices {self._indices.shape} differ"
        terms = len(self._vocab)  # bm25s may list the empty term without a column
        if self._indptr.ndim != 1 or len(self._indptr) not in (terms, terms + 1):
            return f"indptr has shape {self._indptr.shape} for {terms} terms"
        if int(self._indptr[-1]) != self._data.size or np.any(np.diff(self._indptr) < 0):
            return "indptr does not index the data"
        if (
            self._indices.size
            and not 0 <= int(self._indices.min()) <= int(self._indices.max()) < self._num_docs
        ):
            return f"indices point outside the {self._num_docs} passages"
        return None

    @classmethod
    def build(
        cls, texts: Sequence[str], *, stem: str = "english", stopwords: str = "en"
    ) -> LexicalIndex:
        import bm25s

        split = tokenizer(stem, stopwords)
        retriever = bm25s.BM25(k1=K1, b=B, method="lucene")
        # bm25s needs at least one token per document to size its matrices.
        retriever.index([row or ["\u2205"] for row in split(texts)], show_progress=False)
        scores = retriever.scores
        return cls(
            np.asarray(scores["data"], dtype=np.float32),
            np.asarray(scores["indices"], dtype=np.int32),
            np.asarray(scores["indptr"], dtype=np.int64),
            {str(term): int(i) for term, i in retriever.vocab_dict.items()},
            int(scores["num_docs"]),
            split,
        )

    def __len__(self) -> int:
        return self._num_docs

    def scores(self, query: str) -> np.ndarray:
        """BM25 score of every passage for `query`, shape (len(self),), float32.

        A term repeated in the query counts once per occurrence, as in bm25s."""
        out = np.zeros(self._num_docs, dtype=np.float32)
        for term in self.tokenize([query])[0]:
            column = self._vocab.get(term)
            if column is None:
                continue
            begin, end = self._indptr[column], self._indptr[column + 1]
            out[self._indices[begin:end]] += self._data[begin:end]
        return out

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows with a positive score: (row indices, BM25 scores), best first."""
        return top_k(self.scores(query), k)

    def save(self, directory: Path) -> None:
        """Plain files: three .npy arrays and a JSON of vocabulary and parameters."""
        np.save(directory / "data.npy", self._data, allow_pickle=False)
        np.save(directory / "indices.npy", self._indices, allow_pickle=False)
        np.save(directory / "indptr.npy", self._indptr, allow_pickle=False)
        params = {
            "format": 1,
            "method": "lucene",
            "k1": K1,
            "b": B,
            "num_docs": self._num_docs,
            "stem": self.tokenize.stem,
            "stopwords": sorted(self.tokenize.stopwords),
            "vocab": self._vocab,
        }
        (directory / "params.json").write_text(json.dumps(params, ensure_ascii=False))

    @classmethod
    def load(cls, directory: Path, *, stem: str = "english", stopwords: str = "en") -> LexicalIndex:
        """Load saved arrays; `stem` and `stopwords` only matter for the older bm25s layout
        (`*.csc.index.npy`), which did not record its tokenizer."""
        if not (directory / "params.json").exists() and (directory / "params.index.json").exists():
            return cls._load_bm25s_layout(directory, tokenizer(stem, stopwords))
        params = json.loads((directory / "params.json").read_text())
        return cls(
            np.load(directory / "data.npy", allow_pickle=False),
            np.load(directory / "indices.npy", allow_pickle=False),
            np.load(directory / "indptr.npy", allow_pickle=False),
            params["vocab"],
            int(params["num_docs"]),
            Tokenizer(stem=params["stem"], stopwords=frozenset(params["stopwords"])),
        )

    @classmethod
    def _load_bm25s_layout(cls, directory: Path, split: Tokenizer) -> LexicalIndex:
        params = json.loads((directory / "params.index.json").read_text())
        vocab = json.loads((directory / "vocab.index.json").read_text())
        return cls(
            np.load(directory / "data.csc.index.npy", allow_pickle=False),
            np.load(directory / "indices.csc.index.npy", allow_pickle=False),
            np.load(directory / "indptr.csc.index.npy", allow_pickle=False),
            {str(term): int(i) for term, i in vocab.items()},
            int(params["num_docs"]),
            split,
        )


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
