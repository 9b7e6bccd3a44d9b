"""Answer: an extractive reply built from numbered context, each sentence cited `[n]`.

There is no language model. For each citation of a Context (index/chat/context.py), best
first, the reply takes one sentence of the cited text, verbatim: the first of the
passage's highlighted sentences (those that best match the question) not already used,
else the passage's first sentence. A sentence inside a quote grows to the whole quote (all the
passage's sentences it overlaps) and is introduced by its speaker's name, unless the text
names them. Each sentence is followed by its citation marker, so

    China invested 3.6 trillion yuan in R&D in 2024. [1] Denis Depoux: “AI will ...,” he said. [2]

Every sentence keeps its document offsets: `document.text[start:end] == text`. A token
budget keeps whole sentences while they fit; a first sentence that does not fit is cut
at a word boundary (its `end` moves with it) and the answer is marked `truncated`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace

from index.chat.context import Citation, QuoteLike
from index.passages import Passage, Span

MAX_SENTENCES = 3
NO_ANSWER = "I found nothing in the indexed articles about that."


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of the answer: `document.text[start:end] == text`, cited as `[n]`."""

    n: int
    passage_id: str
    doc_id: str
    start: int
    end: int
    text: str
    speaker: str = ""
    """The name of the person quoted in `text`, when the text does not name them."""

    def rendered(self) -> str:
        prefix = f"{self.speaker}: " if self.speaker else ""
        return f"{prefix}{self.text} [{self.n}]"


@dataclass(frozen=True)
class Answer:
    sentences: tuple[AnswerSentence, ...]
    truncated: bool = False

    @property
    def text(self) -> str:
        """The reply: each sentence followed by its marker; NO_ANSWER when there is none."""
        return " ".join(s.rendered() for s in self.sentences) or NO_ANSWER


def _candidates(citation: Citation, passage: Passage | None) -> list[Span]:
    """Spans to quote from `citation`, best first, within its cited range."""
    inside = [(s, e) for s, e in citation.highlights if citation.start <= s and e <= citation.end]
    if passage is not None:
        inside += [(s, e) for s, e in passage.sentences if citation.start <= s < citation.end]
    else:
        inside.append((citation.start, citation.end))
    return inside


def _quoted(
    citation: Citation, span: Span, passage: Passage | None, quotes: Sequence[QuoteLike]
) -> tuple[Span, str]:
    """`span` grown to the quotes it overlaps (whole passage sentences, within the cited
    text), and the speaker's name of the first of them."""
    inside = [
        q for q in quotes if q.doc_id == citation.doc_id and q.start < span[1] and span[0] < q.end
    ]
    if not inside:
        return span, ""
    start, end = span
    for quote in inside:
        for s, e in passage.sentences if passage is not None else ():
            if s < quote.end and quote.start < e and citation.start <= s and e <= citation.end:
                start, end = min(start, s), max(end, e)
    return (start, end), inside[0].speaker.name


def _names(speaker: str, text: str) -> bool:
    """Whether `text` already names `speaker` (any part of the name, as a word)."""
    found = set(re.findall(r"\w+", text))
    return any(part in found for part in re.findall(r"\w+", speaker) if len(part) > 1)


def _sentence(
    citation: Citation, span: Span, passage: Passage | None, quotes: Sequence[QuoteLike]
) -> AnswerSentence:
    (start, end), speaker = _quoted(citation, span, passage, quotes)
    end = min(end, citation.end)
    offset = citation.start
    text = citation.text[start - offset : end - offset]
    return AnswerSentence(
        n=citation.n,
        passage_id=citation.passage_id,
        doc_id=citation.doc_id,
        start=start,
        end=end,
        text=text,
        speaker="" if _names(speaker, text) else speaker,
    )


def _cut(sentence: AnswerSentence, fits: Callable[[AnswerSentence], bool]) -> AnswerSentence | None:
    """The longest word-boundary prefix of `sentence` that fits, or None."""
    cuts = [i for i, ch in enumerate(sentence.text) if ch.isspace()]
    for cut in reversed(cuts):
        text = sentence.text[:cut].rstrip()
        if not text:
            continue
        shorter = replace(sentence, end=sentence.start + len(text), text=text)
        if fits(shorter):
            return shorter
    return None


def extractive_answer(
    citations: Sequence[Citation],
    passage: Callable[[str], Passage | None],
    quotes: Sequence[QuoteLike] = (),
    *,
    max_sentences: int = MAX_SENTENCES,
    count_tokens: Callable[[str], int] | None = None,
    max_tokens: int | None = None,
) -> Answer:
    """At most `max_sentences` sentences, one per citation in citation order (see module
    doc); `passage` looks a cited passage up by id; `quotes` are the context's quotes.
    With `count_tokens` and `max_tokens`, the rendered answer fits that token budget."""
    chosen: list[AnswerSentence] = []
    seen: set[str] = set()
    for citation in citations:
        if len(chosen) == max_sentences:
            break
        stored = passage(citation.passage_id)
        for span in _candidates(citation, stored):
            sentence = _sentence(citation, span, stored, quotes)
            key = " ".join(sentence.text.split()).lower()
            if key and key not in seen:
                seen.add(key)
                chosen.append(sentence)
                break
    if count_tokens is None or max_tokens is None:
        return Answer(tuple(chosen))

    def fits(sentences: Sequence[AnswerSentence]) -> bool:
        return count_tokens(Answer(tuple(sentences)).text) <= max_tokens

    kept: list[AnswerSentence] = []
    for sentence in chosen:
        if fits([*kept, sentence]):
            kept.append(sentence)
            continue
        if not kept:
            cut = _cut(sentence, lambda s: fits([s]))
            kept += [cut] if cut is not None else []
        return Answer(tuple(kept), truncated=True)
    return Answer(tuple(kept))
