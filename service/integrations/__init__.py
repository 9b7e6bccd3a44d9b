"""Framework retrievers over the sayso client (install the `frameworks` extra to use them).

Each adapter only translates shapes: the search, its offsets and its quotes come from the
server unchanged (STYLE.md point 12). This module imports no framework.
"""

from __future__ import annotations

from typing import Any

from service.client_types import Passage, Quote, SearchResult


def quote_metadata(quote: Quote) -> dict[str, Any]:
    """A quote as plain JSON-able data; `start`/`end` are offsets into the document's text."""
    return {
        "id": quote.id,
        "text": quote.text,
        "kind": quote.kind,
        "start": quote.start,
        "end": quote.end,
        "cue": quote.cue,
        "speaker": quote.speaker.name,
        "speaker_title": quote.speaker.title,
        "speaker_organization": quote.speaker.organization,
    }


def passage_metadata(result: SearchResult, passage: Passage) -> dict[str, Any]:
    """The metadata both adapters attach to a passage: ids, offsets, score, rank, quotes."""
    return {
        "passage_id": passage.id,
        "doc_id": passage.doc_id,
        "title": passage.title,
        "source": passage.source,
        "start": passage.start,
        "end": passage.end,
        "score": passage.score,
        "rank": passage.rank,
        "scores": dict(passage.scores),
        "highlights": [[h.start, h.end] for h in passage.highlights],
        "quotes": [quote_metadata(q) for q in result.quotes_of(passage)],
    }
