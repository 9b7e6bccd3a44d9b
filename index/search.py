"""Search: a question -> dense + lexical candidates -> fusion -> ranked passages with highlights."""

from __future__ import annotations

import time
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from index.dense import Encoder
from index.fusion import get_fuser
from index.lexical import tokenize, top_k
from index.passages import Passage, Span
from index.store import Index

MODES = ("hybrid", "dense", "lexical")
CANDIDATES = 100
HIGHLIGHT_MARGIN = 0.05


@dataclass(frozen=True)
class Hit:
    """One retrieved passage. `score` is the mode's ranking score (higher is better);
    `scores` holds each retriever's own score: dense cosine in [-1, 1], lexical BM25 >= 0."""

    passage: Passage
    rank: int
    score: float
    scores: dict[str, float]
    highlights: tuple[Span, ...]


@dataclass(frozen=True)
class SearchResult:
    question: str
    mode: str
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    return mode


class Searcher:
    """Answers questions over one loaded index; safe to share between threads."""

    def __init__(
        self,
        index: Index,
        encoder: Encoder,
        *,
        fusion: str = "rrf",
        weights: tuple[float, float] = (1.0, 1.0),
        candidates: int = CANDIDATES,
    ) -> None:
        self.index = index
        self.encoder = encoder
        self.fuse = get_fuser(fusion)
        self.fusion = fusion
        self.weights = weights
        self.candidates = candidates
        self._rows = {p.id: row for row, p in enumerate(index.passages)}
        self._doc_rows: dict[str, list[int]] = {}
        for row, passage in enumerate(index.passages):
            self._doc_rows.setdefault(passage.doc_id, []).append(row)
        self._vectors = index.dense.vectors()
        self._sentence_starts: np.ndarray | None = None
        if index.settings.sentence_vectors:
            self._sentence_starts = np.cumsum([0] + [len(p.sentences) for p in index.passages])

    def with_index(self, index: Index) -> Searcher:
        """A searcher like this one (encoder, fusion, weights) over another index version."""
        return Searcher(
            index,
            self.encoder,
            fusion=self.fusion,
            weights=self.weights,
            candidates=self.candidates,
        )

    def passage(self, passage_id: str) -> Passage | None:
        row = self._rows.get(passage_id)
        return None if row is None else self.index.passages[row]

    def embed(self, question: str) -> np.ndarray:
        vector: np.ndarray = self.encoder.encode([question])[0]
        return vector

    def search(
        self,
        question: str,
        k: int = 5,
        mode: str = "hybrid",
        doc_ids: Collection[str] | None = None,
    ) -> SearchResult:
        """The k passages that best answer `question`, best first (rank 1 first)."""
        check_mode(mode)
        started = time.perf_counter()
        timings: dict[str, float] = {}
        query = None
        if mode != "lexical":
            query = self.embed(question)
            timings["embed"] = _ms(started)
        mark = time.perf_counter()
        allowed = self._allowed_rows(doc_ids)
        depth = max(self.candidates, k)
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        lexical_scores = self.index.lexical.scores(question) if mode != "dense" else None
        if query is not None:
            dense = self._dense(query, depth, allowed)
        if lexical_scores is not None:
            lexical = self._lexical(lexical_scores, depth, allowed)
        ranked = self._rank(mode, dense, lexical)[:k]
        timings["search"] = _ms(mark)
        mark = time.perf_counter()
        hits = [
            self._hit(row, rank, score, query, lexical_scores, question)
            for rank, (row, score) in enumerate(ranked, start=1)
        ]
        timings["highlight"] = _ms(mark)
        timings["total"] = _ms(started)
        return SearchResult(question=question, mode=mode, hits=hits, timings_ms=timings)

    def _allowed_rows(self, doc_ids: Collection[str] | None) -> np.ndarray | None:
        if doc_ids is None:
            return None
        rows = [row for doc_id in doc_ids for row in self._doc_rows.get(doc_id, [])]
        return np.array(sorted(rows), dtype=np.int64)

    def _dense(self, query: np.ndarray, depth: int, allowed: np.ndarray | None) -> dict[int, float]:
        if allowed is None:
            rows, scores = self.index.dense.search(query, depth)
        else:
            sims = self._vectors[allowed] @ query
            order = np.argsort(-sims, kind="stable")[:depth]
            rows, scores = allowed[order], sims[order]
        return {int(r): float(s) for r, s in zip(rows, scores, strict=True)}

    def _lexical(
        self, scores: np.ndarray, depth: int, allowed: np.ndarray | None
    ) -> dict[int, float]:
        if allowed is not None:
            masked = np.zeros_like(scores)
            masked[allowed] = scores[allowed]
            scores = masked
        rows, values = top_k(scores, depth)
        return {int(r): float(s) for r, s in zip(rows, values, strict=True)}

    def _rank(
        self, mode: str, dense: dict[int, float], lexical: dict[int, float]
    ) -> list[tuple[int, float]]:
        if mode == "dense":
            fused = dense
        elif mode == "lexical":
            fused = lexical
        else:
            fused = self.fuse([dense, lexical], self.weights)
        return sorted(fused.items(), key=lambda item: (-item[1], item[0]))

    def _hit(
        self,
        row: int,
        rank: int,
        score: float,
        query: np.ndarray | None,
        lexical_scores: np.ndarray | None,
        question: str,
    ) -> Hit:
        scores: dict[str, float] = {}
        if query is not None:
            scores["dense"] = float(self._vectors[row] @ query)
        if lexical_scores is not None:
            scores["lexical"] = float(lexical_scores[row])
        return Hit(
            passage=self.index.passages[row],
            rank=rank,
            score=score,
            scores=scores,
            highlights=self._highlights(row, query, question),
        )

    def _highlights(self, row: int, query: np.ndarray | None, question: str) -> tuple[Span, ...]:
        """The passage's sentences that best match the question, in text order.

        With a question vector: the most similar sentence and any within HIGHLIGHT_MARGIN
        cosine of it. Without (lexical mode, or no sentence vectors stored): the sentences
        sharing the most query terms.
        """
        sentences = self.index.passages[row].sentences
        if query is not None and self._sentence_starts is not None:
            begin, end = self._sentence_starts[row], self._sentence_starts[row + 1]
            sims = self.index.sentence_vectors[begin:end] @ query
            keep = sims >= sims.max() - HIGHLIGHT_MARGIN
        else:
            sims = self._term_overlap(row, question)
            keep = (sims == sims.max()) & (sims > 0)
        return tuple(span for span, chosen in zip(sentences, keep, strict=True) if chosen)

    def _term_overlap(self, row: int, question: str) -> np.ndarray:
        settings = self.index.settings
        passage = self.index.passages[row]
        text = self.index.documents[passage.doc_id].text
        tokens = tokenize(
            [question] + [text[s:e] for s, e in passage.sentences],
            stem=settings.stem,
            stopwords=settings.stopwords,
        )
        terms = set(tokens[0])
        return np.array([len(terms & set(sent)) for sent in tokens[1:]], dtype=np.float32)


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


def result_rows(result: SearchResult, index: Index) -> list[dict[str, Any]]:
    """Plain dicts for a result's hits (used by the CLI's --json and the evals)."""
    rows = []
    for hit in result.hits:
        doc = index.documents[hit.passage.doc_id]
        rows.append(
            {
                "id": hit.passage.id,
                "doc_id": doc.id,
                "title": doc.title,
                "source": doc.source,
                "text": hit.passage.text,
                "start": hit.passage.start,
                "end": hit.passage.end,
                "rank": hit.rank,
                "score": hit.score,
                "scores": hit.scores,
                "highlights": [{"start": s, "end": e} for s, e in hit.highlights],
            }
        )
    return rows
