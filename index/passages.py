"""Passages: paragraph- and sentence-aware chunks of a document, with exact offsets."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import TYPE_CHECKING, Any

from index.documents import Document
from index.tokenizable import tokenizable

if TYPE_CHECKING:
    from spacy.language import Language

Span = tuple[int, int]

_PARAGRAPH = re.compile(r"[^\n]+")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Passage:
    """A contiguous slice of one document: `document.text[start:end] == text`.

    `sentences` are the (start, end) document offsets of the passage's sentences, in
    order; they are what highlights point at.
    """

    id: str
    doc_id: str
    text: str
    start: int
    end: int
    sentences: tuple[Span, ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "text": self.text,
            "start": self.start,
            "end": self.end,
            "sentences": [list(span) for span in self.sentences],
        }

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Passage:
        return cls(
            id=row["id"],
            doc_id=row["doc_id"],
            text=row["text"],
            start=row["start"],
            end=row["end"],
            sentences=tuple((int(s), int(e)) for s, e in row["sentences"]),
        )


@lru_cache(maxsize=1)
def _sentencizer() -> Language:
    import spacy

    nlp = spacy.blank("en")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 50_000_000
    return nlp


def paragraph_spans(text: str) -> list[Span]:
    """(start, end) of each non-blank line of `text`, whitespace trimmed."""
    spans = []
    for match in _PARAGRAPH.finditer(text):
        start, end = _trim(text, match.start(), match.end())
        if start < end:
            spans.append((start, end))
    return spans


def _trim(text: str, start: int, end: int) -> Span:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def sentence_spans(texts: Sequence[str], offsets: Sequence[int]) -> list[list[Span]]:
    """Sentence spans for each text, shifted by its offset (spaCy's rule sentencizer, on
    the text with long punctuation runs blanked so it stays linear: same offsets)."""
    result = []
    docs = _sentencizer().pipe((tokenizable(text) for text in texts), batch_size=256)
    for text, doc, offset in zip(texts, docs, offsets, strict=True):
        spans = []
        for sent in doc.sents:
            start, end = _trim(text, sent.start_char, sent.end_char)
            if start < end:
                spans.append((start + offset, end + offset))
        result.append(spans)
    return result


def _words(text: str, span: Span) -> int:
    return len(text[span[0] : span[1]].split())


def _word_pieces(text: str, sentence: Span, max_words: int) -> list[Span]:
    """`sentence` itself, or, when it has more than `max_words` words (a paragraph with no
    sentence punctuation), consecutive pieces of at most `max_words` words cut between
    words, with exact offsets."""
    if _words(text, sentence) <= max_words:
        return [sentence]
    words = [m.span() for m in _WORD.finditer(text, sentence[0], sentence[1])]
    return [
        (words[i][0], words[min(i + max_words, len(words)) - 1][1])
        for i in range(0, len(words), max_words)
    ]


def _chunk_sentences(text: str, sentences: list[Span], max_words: int) -> list[list[Span]]:
    """Greedy runs of whole sentences, each within `max_words` (a longer sentence is cut
    into pieces of `max_words` words)."""
    chunks: list[list[Span]] = []
    current: list[Span] = []
    count = 0
    for sent in (piece for s in sentences for piece in _word_pieces(text, s, max_words)):
        words = _words(text, sent)
        if current and count + words > max_words:
            chunks.append(current)
            current, count = [], 0
        current.append(sent)
        count += words
    if current:
        chunks.append(current)
    return chunks


def split_passages(doc: Document, *, max_words: int = 120, min_words: int = 25) -> list[Passage]:
    """Split a document into passages.

    Paragraphs (line breaks) are the primary unit. A paragraph over `max_words` becomes
    several passages on sentence boundaries; a paragraph under `min_words` merges with
    the following one(s) while the merged passage stays within `max_words`. Offsets are
    document offsets; passage ids are `{doc_id}:p{n}` with n from 0.
    """
    text = doc.text
    paragraphs = paragraph_spans(text)
    sentences = sentence_spans([text[s:e] for s, e in paragraphs], [s for s, _ in paragraphs])
    units: list[list[Span]] = []
    for sents in sentences:
        units.extend(_chunk_sentences(text, sents, max_words))
    return [
        _make_passage(doc, n, group)
        for n, group in enumerate(_merge_short(text, units, max_words, min_words))
    ]


def _merge_short(
    text: str, units: Iterable[list[Span]], max_words: int, min_words: int
) -> list[list[Span]]:
    merged: list[list[Span]] = []
    for unit in units:
        words = sum(_words(text, s) for s in unit)
        if merged:
            previous = sum(_words(text, s) for s in merged[-1])
            if previous < min_words and previous + words <= max_words:
                merged[-1] = merged[-1] + unit
                continue
        merged.append(list(unit))
    return merged


def _make_passage(doc: Document, n: int, sentences: list[Span]) -> Passage:
    start, end = sentences[0][0], sentences[-1][1]
    return Passage(
        id=f"{doc.id}:p{n}",
        doc_id=doc.id,
        text=doc.text[start:end],
        start=start,
        end=end,
        sentences=tuple(sentences),
    )
