"""The embedded default store: FAISS + BM25 in memory, files as index/disk.py writes them."""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np

from index.build import assemble_index, indexed_text
from index.disk import Index, write_index
from index.quotes.links import quotes_by_passage, speaker_contexts
from index.retrieval.lexical import top_k
from index.retrieval.units import best_unit_ranking, segment_max
from index.stores.model import (
    DocumentRecord,
    QuoteRow,
    StoredHit,
    StoreQuery,
    StoreStats,
    rank_candidates,
    speakers_of,
)


class EmbeddedStore:
    """Searches a loaded `Index` in memory. With a `root`, upsert and delete write a new
    version under it (the whole lexical index is rebuilt: bm25s has no incremental update).

    Each passage's quotes come from the index (`quotes_by_passage`); the speaker filter
    searches only passages quoting that speaker.
    """

    engine = "faiss"
    extra_rankings = True
    """Candidates are passage rows of the loaded index, so `StoreQuery.extra` applies as is."""

    def __init__(self, index: Index, *, root: Path | None = None) -> None:
        self._lock = threading.Lock()
        self.root = root
        self._load(index)

    def _load(self, index: Index) -> None:
        self.index = index
        self._quotes: Mapping[str, tuple[QuoteRow, ...]] = quotes_by_passage(
            index.passages, index.quotes
        )
        self._vectors = index.dense.vectors()
        self._doc_rows: dict[str, list[int]] = {}
        self._speaker_rows: dict[str, list[int]] = {}
        for row, passage in enumerate(index.passages):
            self._doc_rows.setdefault(passage.doc_id, []).append(row)
            for name in speakers_of(self._quotes.get(passage.id, ())):
                self._speaker_rows.setdefault(name, []).append(row)
        self._sentence_starts: np.ndarray | None = None
        if index.settings.sentence_vectors:
            self._sentence_starts = np.cumsum([0] + [len(p.sentences) for p in index.passages])
            self._title_rows = index.title_rows()
            self._titled: np.ndarray = np.any(index.title_vectors != 0, axis=1)

    # -- search ------------------------------------------------------------------------

    def search(self, query: StoreQuery) -> list[StoredHit]:
        index = self.index  # one version for the whole query, even if a write lands meanwhile
        allowed = self._allowed(query)
        lexical_scores = index.lexical.scores(query.text) if query.lexical else None
        dense: dict[int, float] = {}
        lexical: dict[int, float] = {}
        if query.vector is not None:
            dense = self._dense(query.vector, query.depth, allowed)
        if lexical_scores is not None:
            lexical = self._lexical(lexical_scores, query.depth, allowed)
        if dense and query.unit_weight and self._sentence_starts is not None:
            assert query.vector is not None
            keys = sorted(set(dense) | set(lexical))
            passage, best = self._units(np.array(keys, dtype=np.int64), query.vector)
            dense = best_unit_ranking(keys, passage, best, query.unit_weight, query.depth)
        extra = query.extra
        if extra and allowed is not None:
            keep = set(allowed.tolist())
            extra = tuple({r: s for r, s in ranking.items() if r in keep} for ranking in extra)
        ranked = rank_candidates(
            query.vector is not None,
            query.lexical,
            dense,
            lexical,
            query.fuse,
            query.weights,
            extra,
            query.extra_weights,
        )[: query.k]
        return [self._hit(row, score, query, lexical_scores) for row, score in ranked]

    def _allowed(self, query: StoreQuery) -> np.ndarray | None:
        rows: set[int] | None = None
        if query.doc_ids is not None:
            rows = {r for doc_id in query.doc_ids for r in self._doc_rows.get(doc_id, [])}
        names = query.speaker_names()
        if names is not None:
            quoted = {r for name in names for r in self._speaker_rows.get(name, [])}
            rows = quoted if rows is None else rows & quoted
        return None if rows is None else np.array(sorted(rows), dtype=np.int64)

    def _dense(self, query: np.ndarray, depth: int, allowed: np.ndarray | None) -> dict[int, float]:
        if allowed is None:
            rows, scores = self.index.dense.search(query, depth)
        else:
            sims = self._vectors[allowed] @ query
            order = np.argsort(-sims, kind="stable")[:depth]
            rows, scores = allowed[order], sims[order]
        return {int(r): float(s) for r, s in zip(rows, scores, strict=True)}

    def _units(self, rows: np.ndarray, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Passage cosines of `rows`, and each one's best unit cosine (sentences, title)."""
        assert self._sentence_starts is not None
        begins = self._sentence_starts[rows]
        lengths = self._sentence_starts[rows + 1] - begins
        offsets = np.concatenate(([0], np.cumsum(lengths)[:-1]))
        sentence_rows = np.repeat(begins - offsets, lengths) + np.arange(lengths.sum())
        best = segment_max(self.index.sentence_vectors[sentence_rows] @ query, lengths)
        titles = self._title_rows[rows]
        title = np.where(self._titled[titles], self.index.title_vectors[titles] @ query, -np.inf)
        return self._vectors[rows] @ query, np.maximum(best, title)

    @staticmethod
    def _lexical(scores: np.ndarray, depth: int, allowed: np.ndarray | None) -> dict[int, float]:
        if allowed is not None:
            masked = np.zeros_like(scores)
            masked[allowed] = scores[allowed]
            scores = masked
        rows, values = top_k(scores, depth)
        return {int(r): float(s) for r, s in zip(rows, values, strict=True)}

    def _hit(
        self, row: int, score: float, query: StoreQuery, lexical_scores: np.ndarray | None
    ) -> StoredHit:
        passage = self.index.passages[row]
        scores: dict[str, float] = {}
        if query.vector is not None:
            scores["dense"] = float(self._vectors[row] @ query.vector)
        if lexical_scores is not None:
            scores["lexical"] = float(lexical_scores[row])
        sentences = None
        if self._sentence_starts is not None:
            begin, end = self._sentence_starts[row], self._sentence_starts[row + 1]
            sentences = self.index.sentence_vectors[begin:end]
        return StoredHit(
            passage=passage,
            score=score,
            scores=scores,
            sentence_vectors=sentences,
            quotes=self._quotes.get(passage.id, ()),
        )

    # -- writes ------------------------------------------------------------------------

    def upsert(self, records: Sequence[DocumentRecord]) -> None:
        replaced = {r.document.id for r in records}
        self._rewrite(replaced, records)

    def delete(self, doc_id: str) -> bool:
        if doc_id not in self.index.documents:
            return False
        self._rewrite({doc_id}, ())
        return True

    def _rewrite(self, removed: set[str], records: Sequence[DocumentRecord]) -> None:
        if self.root is None:
            raise RuntimeError("this embedded store is read-only (opened without an index root)")
        with self._lock:
            kept = records_of(self.index, [d for d in self.index.documents if d not in removed])
            index = assemble_index([*kept, *records], self.index.settings)
            path = write_index(self.root, index)
            self._load(replace(index, path=path))

    def stats(self) -> StoreStats:
        manifest = self.index.manifest
        return StoreStats(
            documents=manifest.documents,
            passages=manifest.passages,
            quotes=sum(len(rows) for rows in self._quotes.values()),
            engine=self.engine,
            details={"index_id": manifest.index_id, "dense": self.index.dense.kind},
        )


def records_of(index: Index, doc_ids: Sequence[str]) -> list[DocumentRecord]:
    """Stored documents as records again (their vectors reused, nothing re-embedded)."""
    vectors = index.dense.vectors()
    quotes = quotes_by_passage(index.passages, index.quotes)
    contexts = speaker_contexts(index.passages, index.quotes)
    starts = np.cumsum([0] + [len(p.sentences) for p in index.passages])
    store_sentences = index.settings.sentence_vectors
    rows_of: dict[str, list[int]] = {}
    for row, passage in enumerate(index.passages):
        rows_of.setdefault(passage.doc_id, []).append(row)
    titles = dict(zip(index.documents, index.title_vectors, strict=False))
    digests = index.digests()
    api = set(index.manifest.api_documents)
    records = []
    empty = np.zeros((0, index.dense.dimension), dtype=np.float32)
    for doc_id in doc_ids:
        rows = rows_of.get(doc_id, [])
        passages = tuple(index.passages[row] for row in rows)
        sentences = [index.sentence_vectors[starts[r] : starts[r + 1]] for r in rows]
        records.append(
            DocumentRecord(
                document=index.documents[doc_id],
                passages=passages,
                vectors=vectors[rows] if rows else empty,
                sentence_vectors=np.vstack(sentences) if store_sentences and rows else empty,
                lexical_texts=tuple(
                    indexed_text(p, index.documents, index.settings, contexts) for p in passages
                ),
                quotes=tuple(quotes.get(p.id, ()) for p in passages),
                title_vector=titles.get(doc_id),
                digest=digests.get(doc_id, ""),
                api=doc_id in api,
            )
        )
    return records
