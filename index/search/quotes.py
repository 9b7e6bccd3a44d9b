"""Quote ranking: which quotes answer a question, and which speakers a question names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.disk import Index
from index.quotes.model import Quote, Speaker

Tokenize = Callable[[Sequence[str]], list[list[str]]]


@dataclass(frozen=True)
class ScoredQuote:
    """A quote with its relevance: `score` is the best cosine between the question and a
    sentence the quote overlaps (in [-1, 1]; 0 without a question vector); `named` is true
    when the question names the quote's speaker by name or by role."""

    quote: Quote
    passage_id: str
    score: float
    named: bool


def speaker_filter(query: str, speakers: Iterable[Speaker]) -> list[str]:
    """Full names of the speakers whose name, title or organisation contains `query`
    (case-insensitive); name matches first."""
    needle = query.casefold().strip()
    by_name, by_role = [], []
    for speaker in {s.name: s for s in speakers}.values():
        if needle in speaker.name.casefold():
            by_name.append(speaker.name)
        elif needle in f"{speaker.title} {speaker.organization}".casefold():
            by_role.append(speaker.name)
    return sorted(by_name) + sorted(by_role)


SpeakerTokens = dict[str, tuple[frozenset[str], frozenset[str]]]
"""Per speaker name: the tokens of the name, and those of title and organisation only."""


def speaker_tokens(speakers: Iterable[Speaker], tokenize: Tokenize) -> SpeakerTokens:
    """Token sets of each distinct speaker, computed once per index (not per question)."""
    table: SpeakerTokens = {}
    for speaker in {s.name: s for s in speakers}.values():
        name, role = tokenize([speaker.name, f"{speaker.title} {speaker.organization}"])
        table[speaker.name] = (frozenset(name), frozenset(role) - frozenset(name))
    return table


def named_speakers(question: str, table: SpeakerTokens, tokenize: Tokenize) -> set[str]:
    """Speakers a question names: by a name token ("Li", "Depoux"), or by at least two
    tokens of their title and organisation ("TCL's chairman", "the Roland Berger
    executive"). Of those, only the ones sharing the most tokens with the question."""
    asked = set(tokenize([question])[0])
    best, chosen = 0, set()
    for name, (name_tokens, role_tokens) in table.items():
        by_name, by_role = len(asked & name_tokens), len(asked & role_tokens)
        if not by_name and by_role < 2:
            continue
        overlap = 2 * by_name + by_role
        if overlap > best:
            best, chosen = overlap, {name}
        elif overlap == best:
            chosen.add(name)
    return chosen


class QuoteScorer:
    """Scores quotes against a question vector through the sentences they overlap
    (passage vectors when the index stores no sentence vectors)."""

    def __init__(self, index: Index) -> None:
        self.index = index
        self._rows: dict[str, list[int]] = {}
        sentence_rows = index.settings.sentence_vectors and len(index.sentence_vectors)
        by_doc: dict[str, list[tuple[int, int, int]]] = {}
        row = 0
        for number, passage in enumerate(index.passages):
            for start, end in passage.sentences:
                by_doc.setdefault(passage.doc_id, []).append(
                    (start, end, row if sentence_rows else number)
                )
                row += 1
        for quote in index.quotes:
            spans = by_doc.get(quote.doc_id, [])
            rows = [r for s, e, r in spans if s < quote.end and quote.start < e]
            self._rows[quote.id] = sorted(set(rows))
        self._matrix = index.sentence_vectors if sentence_rows else index.dense.vectors()

    def scores(self, query: np.ndarray | None, quotes: Sequence[Quote]) -> np.ndarray:
        """One score per quote: max cosine over its sentences, or 0 without a query."""
        out = np.zeros(len(quotes), dtype=np.float32)
        if query is None:
            return out
        for n, quote in enumerate(quotes):
            rows = self._rows.get(quote.id)
            if rows:
                out[n] = float(np.max(self._matrix[rows] @ query))
        return out


def rank_quotes(
    quotes: Sequence[tuple[Quote, str]], scores: np.ndarray, named: set[str]
) -> list[ScoredQuote]:
    """Quotes (with their passage ids) best first: named speakers first, then by score,
    then in document order. Each quote appears once."""
    seen: set[str] = set()
    ranked = []
    for (quote, passage_id), score in zip(quotes, scores, strict=True):
        if quote.id in seen:
            continue
        seen.add(quote.id)
        ranked.append(ScoredQuote(quote, passage_id, float(score), quote.speaker.name in named))
    ranked.sort(key=lambda s: (not s.named, -s.score, s.quote.doc_id, s.quote.start))
    return ranked
