"""The client's result types: frozen dataclasses mirroring DESIGN.md's JSON, and SaysoError.

Only the standard library: `service.client` re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

# Result types: frozen dataclasses mirroring the JSON shapes of DESIGN.md. Unknown fields are
# ignored, so a newer server does not break an older client.


@dataclass(frozen=True)
class Span:
    """A character range [start, end) of a document's text."""

    start: int
    end: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Span:
        return cls(start=int(data["start"]), end=int(data["end"]))


@dataclass(frozen=True)
class Speaker:
    name: str
    title: str = ""
    organization: str = ""
    id: str | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Speaker:
        return cls(
            name=data["name"],
            title=data.get("title") or "",
            organization=data.get("organization") or "",
            id=data.get("id"),
        )


@dataclass(frozen=True)
class Quote:
    """An attributed quote; `start`/`end` are offsets into its document's text."""

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    speaker: Speaker
    passage_id: str | None = None
    kind: str = "direct"
    cue: str = ""
    score: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Quote:
        return cls(
            id=data["id"],
            doc_id=data["doc_id"],
            text=data["text"],
            start=int(data["start"]),
            end=int(data["end"]),
            speaker=Speaker.from_json(data["speaker"]),
            passage_id=data.get("passage_id"),
            kind=data.get("kind", "direct"),
            cue=data.get("cue", ""),
            score=data.get("score"),
        )


@dataclass(frozen=True)
class Passage:
    """A search hit: `rank` 1 is best, `score` higher is better."""

    id: str
    doc_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    rank: int
    score: float
    scores: Mapping[str, float] = field(default_factory=dict)
    highlights: tuple[Span, ...] = ()
    quote_ids: tuple[str, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Passage:
        return cls(
            id=data["id"],
            doc_id=data["doc_id"],
            title=data.get("title", ""),
            source=data.get("source", ""),
            text=data["text"],
            start=int(data["start"]),
            end=int(data["end"]),
            rank=int(data["rank"]),
            score=float(data["score"]),
            scores=dict(data.get("scores") or {}),
            highlights=tuple(Span.from_json(h) for h in data.get("highlights") or ()),
            quote_ids=tuple(data.get("quote_ids") or ()),
        )


@dataclass(frozen=True)
class SearchResult:
    question: str
    passages: tuple[Passage, ...]
    quotes: tuple[Quote, ...]
    mode: str = ""
    timings_ms: Mapping[str, float] = field(default_factory=dict)
    answerable: bool | None = None
    confidence: float | None = None

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> SearchResult:
        return cls(
            question=data["question"],
            passages=tuple(Passage.from_json(p) for p in data["passages"]),
            quotes=tuple(Quote.from_json(q) for q in data.get("quotes") or ()),
            mode=data.get("mode", ""),
            timings_ms=dict(data.get("timings_ms") or {}),
            answerable=data.get("answerable"),
            confidence=data.get("confidence"),
        )

    def quotes_of(self, passage: Passage) -> tuple[Quote, ...]:
        """The quotes this passage holds, in the order of its `quote_ids`."""
        by_id = {q.id: q for q in self.quotes}
        return tuple(by_id[i] for i in passage.quote_ids if i in by_id)


@dataclass(frozen=True)
class Citation:
    """Citation `n` of a context: the text `[n]` refers to, with its document offsets."""

    n: int
    passage_id: str
    doc_id: str
    title: str
    source: str
    url: str
    start: int
    end: int
    text: str
    quote_ids: tuple[str, ...] = ()
    highlights: tuple[Span, ...] = ()

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Citation:
        return cls(
            n=int(data["n"]),
            passage_id=data["passage_id"],
            doc_id=data["doc_id"],
            title=data.get("title", ""),
            source=data.get("source", ""),
            url=data.get("url", ""),
            start=int(data["start"]),
            end=int(data["end"]),
            text=data["text"],
            quote_ids=tuple(data.get("quote_ids") or ()),
            highlights=tuple(Span.from_json(h) for h in data.get("highlights") or ()),
        )


@dataclass(frozen=True)
class Context:
    """POST /v1/context: numbered context for a chat turn; `[n]` is `citations[n-1]`."""

    query: str
    question: str
    rewritten: bool
    context: str
    tokens: int
    citations: tuple[Citation, ...]
    quotes: tuple[Quote, ...]

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Context:
        return cls(
            query=data["query"],
            question=data["question"],
            rewritten=bool(data["rewritten"]),
            context=data["context"],
            tokens=int(data["tokens"]),
            citations=tuple(Citation.from_json(c) for c in data["citations"]),
            quotes=tuple(Quote.from_json(q) for q in data.get("quotes") or ()),
        )


@dataclass(frozen=True)
class StoredPassage:
    id: str
    doc_id: str
    text: str
    start: int
    end: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> StoredPassage:
        return cls(data["id"], data["doc_id"], data["text"], int(data["start"]), int(data["end"]))


@dataclass(frozen=True)
class DocumentSummary:
    id: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""
    passages: int = 0

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DocumentSummary:
        return cls(
            id=data["id"],
            title=data.get("title", ""),
            source=data.get("source", ""),
            url=data.get("url", ""),
            published=data.get("published", ""),
            passages=int(data.get("passages", 0)),
        )


@dataclass(frozen=True)
class Document:
    """One article with its full text; passage offsets index into `text`."""

    id: str
    text: str
    passages: tuple[StoredPassage, ...]
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Document:
        return cls(
            id=data["id"],
            text=data["text"],
            passages=tuple(StoredPassage.from_json(p) for p in data.get("passages") or ()),
            title=data.get("title", ""),
            source=data.get("source", ""),
            url=data.get("url", ""),
            published=data.get("published", ""),
        )


@dataclass(frozen=True)
class WriteResult:
    """What a write did (`status`: created, replaced, unchanged or deleted)."""

    id: str
    status: str
    index_id: str
    documents: int
    passages: int

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> WriteResult:
        return cls(
            id=data["id"],
            status=data["status"],
            index_id=data["index_id"],
            documents=int(data["documents"]),
            passages=int(data["passages"]),
        )


class SaysoError(Exception):
    """Any failure: the server's error shape (`status`, `code`, `message`, `details`), or
    `status` None with code `unreachable` / `timeout` when no answer came."""

    def __init__(
        self, status: int | None, code: str, message: str, details: Sequence[Any] = ()
    ) -> None:
        super().__init__(f"{status or 'no response'} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.details = list(details)
