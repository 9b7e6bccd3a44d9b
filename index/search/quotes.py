"""Quote ranking: which quotes answer a question, and which speakers a question names."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from index.disk import Index
from index.quotes.directory import Directory
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


@dataclass(frozen=True)
class SpeakerChoice:
    """Who a speaker filter means: a directory entry (`id`), or an unlinked name."""

    id: str
    names: tuple[str, ...]
    """The speaker names its quotes carry (what passage stores filter on)."""

    def holds(self, quote: Quote) -> bool:
        """Whether `quote` is this speaker's."""
        return quote.speaker.id == self.id if self.id else quote.speaker.name in self.names


def choose_speaker(
    query: str, directory: Directory, quotes: Iterable[Quote]
) -> SpeakerChoice | None:
    """The speaker a filter means: the directory entry with that id or name ("Trump",
    "Donald J. Trump"); else the first speaker whose name, title or organisation contains
    `query` (`speaker_filter`), as an entry when its quotes are linked. None: no one."""
    entry = directory.resolve(query)
    if entry is None:
        quotes = list(quotes)
        names = speaker_filter(query, (q.speaker for q in quotes))
        if not names:
            return None
        ids = {q.speaker.id for q in quotes if q.speaker.name == names[0]}
        entry = directory.get(ids.pop()) if len(ids) == 1 else None
        if entry is None:
            return SpeakerChoice("", (names[0],))
    return SpeakerChoice(entry.id, entry.names)


def speaker_key(speaker: Speaker) -> str:
    """What quote ranking knows a speaker by: the directory id when linked, else the name."""
    return f"#{speaker.id}" if speaker.id else speaker.name


SpeakerTokens = dict[str, tuple[frozenset[str], frozenset[str], frozenset[str]]]
"""Per speaker (`speaker_key`): the tokens of its names, those of its titles and
organisations only, and those of its shown name."""


def speaker_tokens(
    speakers: Iterable[Speaker], tokenize: Tokenize, directory: Directory | None = None
) -> SpeakerTokens:
    """Token sets of each distinct speaker, computed once per index (not per question): one
    row per directory entry (all its name variants, titles and organisations) and one per
    name no entry holds."""
    table: SpeakerTokens = {}
    for speaker in {s.name: s for s in speakers if not s.id}.values():
        name, role = tokenize([speaker.name, f"{speaker.title} {speaker.organization}"])
        table[speaker.name] = (frozenset(name), frozenset(role) - frozenset(name), frozenset(name))
    for entry in directory.speakers if directory is not None else ():
        shown, *variants = tokenize([entry.name, *entry.names])
        role = tokenize([" ".join((*entry.titles, *entry.organizations))])[0]
        names = frozenset(shown).union(*variants)
        table[f"#{entry.id}"] = (names, frozenset(role) - names, frozenset(shown))
    return table


def named_speakers(question: str, table: SpeakerTokens, tokenize: Tokenize) -> set[str]:
    """Speakers (`speaker_key`) a question names: by a name token ("Li", "Depoux"), or by
    at least two tokens of their title and organisation ("TCL's chairman", "the Roland
    Berger executive"). Of those, only the ones sharing the most tokens with the question,
    and of these the ones whose shown name has the fewest words the question lacks
    ("Donald Trump" over "Donald Trump Jr." for "What did Donald Trump say?")."""
    asked = set(tokenize([question])[0])
    best, chosen = (0, 0), set[str]()
    for key, (name_tokens, role_tokens, shown) in table.items():
        by_name, by_role = len(asked & name_tokens), len(asked & role_tokens)
        if not by_name and by_role < 2:
            continue
        overlap = (2 * by_name + by_role, -len(shown - asked))
        if overlap > best or not chosen:
            best, chosen = overlap, {key}
        elif overlap == best:
            chosen.add(key)
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
        named_one = speaker_key(quote.speaker) in named
        ranked.append(ScoredQuote(quote, passage_id, float(score), named_one))
    ranked.sort(key=lambda s: (not s.named, -s.score, s.quote.doc_id, s.quote.start))
    return ranked
