"""The store seam: one Protocol (upsert, delete, search, stats) and the records it passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

import numpy as np

from index.documents import Document
from index.passages import Passage
from index.retrieval.fusion import Fuser

QuoteRow = Mapping[str, Any]
"""A quote in its JSON shape (DESIGN.md `Quote`, with `passage_id`); kept verbatim."""


@dataclass(frozen=True)
class DocumentRecord:
    """One document ready to store: its passages with their vectors and quotes.

    `vectors` has one unit row per passage; `sentence_vectors` one unit row per passage
    sentence, passage after passage (empty when sentence vectors are not stored);
    `title_vector` is the document title's (zeros when untitled; None when sentence vectors
    are not stored); `lexical_texts` is what BM25 indexes for each passage; `quotes` are
    grouped by passage; `digest` changes whenever any of it may (sync compares it).
    """

    document: Document
    passages: tuple[Passage, ...]
    vectors: np.ndarray
    sentence_vectors: np.ndarray
    lexical_texts: tuple[str, ...]
    quotes: tuple[tuple[QuoteRow, ...], ...] = ()
    title_vector: np.ndarray | None = None
    digest: str = ""  # what the store records for the document (`Index.digests`)
    api: bool = False  # added through the API (the index is its only copy)

    def passage_quotes(self, n: int) -> tuple[QuoteRow, ...]:
        return self.quotes[n] if n < len(self.quotes) else ()


@dataclass(frozen=True)
class StoreQuery:
    """A hybrid query. `vector` is None in lexical mode; `lexical` is False in dense mode.

    `depth` candidates are taken from each retriever, fused with `fuse`, and the best `k`
    returned. `doc_ids` and `speaker` restrict the passages searched (None: no filter);
    `speakers` are more names of the same speaker (a passage quoting any name passes).
    With `unit_weight` > 0 and unit vectors stored, the dense scores of every candidate
    are mixed with its best unit's (index.retrieval.units). `extra` holds more retrievers'
    candidates (a second dense model's cosines), keyed by passage row in the catalogue's
    order, fused after dense and lexical with `extra_weights`; only stores whose
    `extra_rankings` is True accept them.
    """

    text: str
    vector: np.ndarray | None
    lexical: bool
    k: int
    depth: int
    fuse: Fuser
    weights: tuple[float, float] = (1.0, 1.0)
    doc_ids: tuple[str, ...] | None = None
    speaker: str | None = None
    extra: tuple[Mapping[int, float], ...] = ()
    extra_weights: tuple[float, ...] = ()
    unit_weight: float = 0.0
    speakers: tuple[str, ...] = ()

    def speaker_names(self) -> tuple[str, ...] | None:
        """Every name the speaker filter accepts (None: no filter)."""
        return None if self.speaker is None else (self.speaker, *self.speakers)


@dataclass(frozen=True)
class StoredHit:
    """One ranked passage as a store returns it.

    `score` is the fused score (or the single retriever's in dense / lexical mode);
    `scores` holds dense cosine in [-1, 1] and BM25 >= 0 for the retrievers that ran.
    `sentence_vectors` are the passage's sentence rows, or None when not stored.
    """

    passage: Passage
    score: float
    scores: dict[str, float]
    sentence_vectors: np.ndarray | None
    quotes: tuple[QuoteRow, ...] = ()


@dataclass(frozen=True)
class StoreStats:
    documents: int
    passages: int
    quotes: int
    engine: str
    details: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class CatalogueEntry:
    """A document as a catalogue store holds it: the article, whether it was added through
    the API, and the digest of what the store holds for it (`Index.digests`)."""

    document: Document
    api: bool
    digest: str


@runtime_checkable
class Catalogue(Protocol):
    """A store that also keeps the documents themselves (Qdrant), so replicas on separate
    disks can rebuild their local index from it. `revision` changes with every write."""

    def revision(self) -> str: ...

    def catalogue(self) -> list[CatalogueEntry]: ...


class PassageStore(Protocol):
    """Where passages live. Implementations: the embedded FAISS + BM25 files, Qdrant."""

    engine: str
    """The engine's name as /readyz reports it: "faiss" or "qdrant"."""
    extra_rankings: bool
    """Whether `search` fuses `StoreQuery.extra` (rankings keyed by catalogue row)."""

    def upsert(self, records: Sequence[DocumentRecord]) -> None:
        """Add or replace these documents (all their passages) in one step."""
        ...

    def delete(self, doc_id: str) -> bool:
        """Remove a document's passages and quotes; False when it was not stored."""
        ...

    def search(self, query: StoreQuery) -> list[StoredHit]:
        """The best `query.k` passages, best first, after filters and fusion."""
        ...

    def stats(self) -> StoreStats: ...


def rank_candidates(
    mode_dense: bool,
    mode_lexical: bool,
    dense: Mapping[int, float],
    lexical: Mapping[int, float],
    fuse: Fuser,
    weights: tuple[float, float],
    extra: Sequence[Mapping[int, float]] = (),
    extra_weights: Sequence[float] = (),
) -> list[tuple[int, float]]:
    """Candidates (an int that orders passages as the corpus does) with their ranking score,
    best first, ties broken by that int: the one ranking rule every store applies.
    `extra` rankings (same ints) join the fusion with `extra_weights`."""
    if extra:
        rankings = [dense] if mode_dense else []
        rankings += [lexical] if mode_lexical else []
        used = [w for w, on in zip(weights, (mode_dense, mode_lexical), strict=True) if on]
        fused = fuse([*rankings, *extra], [*used, *extra_weights])
    elif mode_dense and mode_lexical:
        fused = fuse([dense, lexical], weights)
    else:
        fused = dict(dense if mode_dense else lexical)
    return sorted(fused.items(), key=lambda item: (-item[1], item[0]))


def speakers_of(quotes: Sequence[QuoteRow]) -> list[str]:
    """Distinct speaker names of these quotes, in order."""
    names: dict[str, None] = {}
    for quote in quotes:
        speaker = quote.get("speaker") or {}
        name = speaker.get("name") if isinstance(speaker, Mapping) else None
        if name:
            names[str(name)] = None
    return list(names)
