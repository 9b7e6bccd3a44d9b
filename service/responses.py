"""Search responses as JSON bytes, with each passage's and quote's fixed fields serialised once.

A SearchResponse built through pydantic costs more CPU than retrieval itself on a small
index (docs/experiments/performance.md). What never changes for a passage (id, doc_id,
title, source, text, offsets) or a quote (everything but its score and passage) is
serialised the first time it is returned and kept per searcher (a searcher serves one
index version, so the cache goes with it); a request only serialises its own numbers.
The bytes are the same document as `SearchResponse(...).model_dump_json()` with the same
key order (tests/test_responses.py holds them equal).
"""

from __future__ import annotations

import weakref
from typing import Any

import orjson

from index.quotes.model import Quote
from index.search import Hit, Searcher, SearchResult
from index.search.quotes import ScoredQuote

_FRAGMENTS: weakref.WeakKeyDictionary[Searcher, dict[str, tuple[bytes, bytes]]] = (
    weakref.WeakKeyDictionary()
)


def search_json(result: SearchResult, searcher: Searcher) -> bytes:
    """The SearchResponse of `result` as UTF-8 JSON bytes."""
    cache = _FRAGMENTS.get(searcher)
    if cache is None:
        cache = _FRAGMENTS.setdefault(searcher, {})
    answer = result.answerability
    head = orjson.dumps({"question": result.question, "mode": result.mode})[:-1]
    passages = b",".join(_passage(hit, searcher, cache) for hit in result.hits)
    quotes = b",".join(_quote(q, cache) for q in result.quotes)
    tail = orjson.dumps(
        {
            "timings_ms": result.timings_ms,
            "answerable": None if answer is None else bool(answer.answerable),
            "confidence": None if answer is None else float(answer.confidence),
        }
    )[1:]
    return b"".join((head, b',"passages":[', passages, b'],"quotes":[', quotes, b"],", tail))


def _passage(hit: Hit, searcher: Searcher, cache: dict[str, tuple[bytes, bytes]]) -> bytes:
    key = "p" + hit.passage.id
    fixed = cache.get(key, (b"",))[0]
    if not fixed:
        passage = hit.passage
        doc = searcher.index.documents[passage.doc_id]
        fixed = orjson.dumps(
            {
                "id": passage.id,
                "doc_id": doc.id,
                "title": doc.title,
                "source": doc.source,
                "text": passage.text,
                "start": passage.start,
                "end": passage.end,
            }
        )[:-1]
        cache[key] = (fixed, b"")
    own = orjson.dumps(
        {
            "rank": hit.rank,
            "score": float(hit.score),
            "scores": {name: float(value) for name, value in hit.scores.items()},
            "highlights": [{"start": s, "end": e} for s, e in hit.highlights],
            "quote_ids": list(hit.quote_ids),
        }
    )
    return fixed + b"," + own[1:]


def _quote(scored: ScoredQuote, cache: dict[str, tuple[bytes, bytes]]) -> bytes:
    quote = scored.quote
    key = "q" + quote.id
    parts = cache.get(key)
    if parts is None:
        # passage_id sits between doc_id and text in the wire shape: keep the two halves.
        # (`,"text":` cannot occur inside a JSON string, where the quote is escaped.)
        before, after = orjson.dumps(_quote_fields(quote))[:-1].split(b',"text":', 1)
        parts = cache[key] = (before + b',"passage_id":', b',"text":' + after)
    passage = orjson.dumps(scored.passage_id or None)
    return b"".join(
        (parts[0], passage, parts[1], b',"score":', orjson.dumps(float(scored.score)), b"}")
    )


def _quote_fields(quote: Quote) -> dict[str, Any]:
    return {
        "id": quote.id,
        "doc_id": quote.doc_id,
        "text": quote.text,
        "kind": quote.kind,
        "start": quote.start,
        "end": quote.end,
        "cue": quote.cue,
        "speaker": quote.speaker.to_json(),  # with "id" when the directory links it
    }
