"""Quote extraction: parse, find direct and reported quotes, resolve speakers, number them."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING

from index.quotes.direct import Candidate, find_direct, marked_ranges
from index.quotes.indirect import find_indirect
from index.quotes.marks import as_double_marks
from index.quotes.model import Quote, Speaker
from index.quotes.nlp import pipeline
from index.quotes.speakers import Resolver, describe

if TYPE_CHECKING:
    from spacy.tokens import Doc

log = logging.getLogger(__name__)
BATCH_SIZE = 16


def extract_quotes(text: str, doc_id: str = "") -> list[Quote]:
    """Quotes in `text`, in document order; `text[q.start:q.end] == q.text` for each."""
    return extract_quotes_batch([(doc_id, text)])[0]


def extract_quotes_batch(texts: Sequence[tuple[str, str]]) -> list[list[Quote]]:
    """Quotes for each `(doc_id, text)` pair, parsing the texts as one spaCy batch (with
    British-style single quote marks read as double ones, `as_double_marks`)."""
    docs = pipeline().pipe((as_double_marks(text) for _, text in texts), batch_size=BATCH_SIZE)
    return [
        quotes_from_doc(doc, doc_id, text) for (doc_id, text), doc in zip(texts, docs, strict=True)
    ]


def quotes_from_doc(doc: Doc, doc_id: str = "", text: str | None = None) -> list[Quote]:
    """Quotes from an already parsed document: offsets into `doc.text`, quote texts from
    `text` when given (the original of a text parsed with its quote marks rewritten at the
    same offsets)."""
    direct = find_direct(doc)
    candidates = direct + find_indirect(doc, direct, marked_ranges(doc))
    speakers = _speakers(doc, candidates, len(direct))
    order = sorted(range(len(candidates)), key=lambda i: (candidates[i].start, candidates[i].end))
    quotes: list[Quote] = []
    full_text = doc.text if text is None else text
    for i in order:
        cand, speaker = candidates[i], speakers[i]
        if speaker is None or not speaker.name:
            continue
        text = full_text[cand.start : cand.end]
        quotes.append(
            Quote(
                id=f"{doc_id}:q{len(quotes)}",
                doc_id=doc_id,
                text=text,
                kind=cand.kind,
                start=cand.start,
                end=cand.end,
                cue=cand.cue,
                speaker=speaker,
            )
        )
    return quotes


def _speakers(doc: Doc, candidates: list[Candidate], n_direct: int) -> list[Speaker | None]:
    """Resolve subjects left to right (coreference needs document order), then let
    continuation quotes take the speaker of the quote they continue."""
    resolver = Resolver(doc, [(c.start, c.end) for c in candidates[:n_direct]])
    speakers: list[Speaker | None] = [None] * len(candidates)
    with_subject = [i for i, c in enumerate(candidates) if c.subject >= 0]
    for i in sorted(with_subject, key=lambda i: doc[candidates[i].subject].idx):
        speakers[i] = resolver.resolve(describe(doc[candidates[i].subject]))
    for i, cand in enumerate(candidates[:n_direct]):
        if cand.follow >= 0 and speakers[i] is None:
            speakers[i] = speakers[cand.follow]
            candidates[i] = _with_cue(cand, cand.cue or candidates[cand.follow].cue)
    return speakers


def _with_cue(cand: Candidate, cue: str) -> Candidate:
    from dataclasses import replace

    return replace(cand, cue=cue)
