"""Context: retrieved passages as a numbered, citable text block trimmed to a token budget.

The block is made for a language model's prompt. Each passage becomes

    [n] Title (Source)
    passage text
    Quotes:
    - Speaker Name (title): “quoted words”

`n` is the citation number: one per distinct passage, in rank order, so the same passage
always has the same marker. Blocks are added best first while the token count (the
embedding model's tokenizer, without special tokens) stays within the budget; the first
block that does not fit whole is cut at a word boundary (its citation's `end` moves with
it) when at least MIN_PARTIAL_TOKENS remain, and nothing is added after it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from index.documents import Document
from index.passages import Span
from index.search import Hit

MIN_PARTIAL_TOKENS = 24
ELLIPSIS = " …"


class SpeakerLike(Protocol):
    @property
    def name(self) -> str: ...
    @property
    def title(self) -> str: ...
    @property
    def organization(self) -> str: ...


class QuoteLike(Protocol):
    """What context needs of a quote (the DESIGN.md Quote shape); offsets are document
    character offsets, `document.text[start:end] == text`."""

    @property
    def id(self) -> str: ...
    @property
    def doc_id(self) -> str: ...
    @property
    def text(self) -> str: ...
    @property
    def start(self) -> int: ...
    @property
    def end(self) -> int: ...
    @property
    def speaker(self) -> SpeakerLike: ...


@dataclass(frozen=True)
class Citation:
    """One numbered source: `document.text[start:end]` is exactly what the context shows."""

    n: int
    passage_id: str
    doc_id: str
    title: str
    source: str
    url: str
    start: int
    end: int
    quote_ids: tuple[str, ...]
    highlights: tuple[Span, ...]
    text: str


@dataclass(frozen=True)
class Context:
    text: str
    tokens: int
    citations: tuple[Citation, ...]
    quotes: tuple[Any, ...]


def quotes_in(hit: Hit, quotes: Iterable[QuoteLike]) -> list[QuoteLike]:
    """The quotes lying wholly inside the hit's passage, in text order."""
    passage = hit.passage
    inside = [
        q
        for q in quotes
        if q.doc_id == passage.doc_id and passage.start <= q.start and q.end <= passage.end
    ]
    return sorted(inside, key=lambda q: (q.start, q.end))


def speaker_label(speaker: SpeakerLike) -> str:
    """ "Name (title)" or just the name; the title usually names the organisation already."""
    detail = speaker.title or speaker.organization
    return f"{speaker.name} ({detail})" if detail else speaker.name


def _block(n: int, doc: Document, text: str, quotes: Sequence[QuoteLike]) -> str:
    heading = f"[{n}] {doc.title or doc.id}" + (f" ({doc.source})" if doc.source else "")
    lines = [heading, text]
    if quotes:
        lines.append("Quotes:")
        lines += [f"- {speaker_label(q.speaker)}: “{q.text}”" for q in quotes]
    return "\n".join(lines)


def _cut(text: str, fits: Callable[[str], bool]) -> int:
    """The longest word-boundary prefix length of `text` for which `fits` holds (0 if none)."""
    bounds = [i for i, ch in enumerate(text) if ch.isspace()] + [len(text)]
    low, high = 0, len(bounds)  # bounds[:low] fit, bounds[high:] do not
    while low < high:
        middle = (low + high) // 2
        if fits(text[: bounds[middle]].rstrip()):
            low = middle + 1
        else:
            high = middle
    return len(text[: bounds[low - 1]].rstrip()) if low else 0


def _partial(
    n: int,
    doc: Document,
    hit: Hit,
    quotes: Sequence[QuoteLike],
    count_tokens: Callable[[str], int],
    room: int,
) -> tuple[str, int, list[QuoteLike]] | None:
    """The hit's block cut to `room` tokens: (block, end offset, quotes kept), or None."""
    passage = hit.passage
    if room < MIN_PARTIAL_TOKENS:
        return None

    def upto(length: int) -> list[QuoteLike]:
        return [q for q in quotes if q.end <= passage.start + length]

    def fits(text: str) -> bool:
        return count_tokens(_block(n, doc, text + ELLIPSIS, upto(len(text)))) <= room

    length = _cut(passage.text, fits)
    if length == 0:
        return None
    block = _block(n, doc, passage.text[:length] + ELLIPSIS, upto(length))
    return block, passage.start + length, upto(length)


def build_context(
    hits: Sequence[Hit],
    documents: Mapping[str, Document],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    quotes: Iterable[QuoteLike] = (),
) -> Context:
    """The numbered context for `hits` (best first) within `max_tokens` tokens."""
    pool = list(quotes)
    blocks: list[str] = []
    citations: list[Citation] = []
    kept_quotes: list[QuoteLike] = []
    seen: set[str] = set()
    used = 0
    for hit in hits:
        passage = hit.passage
        if passage.id in seen:
            continue
        doc = documents[passage.doc_id]
        n = len(citations) + 1
        inside = quotes_in(hit, pool)
        block = _block(n, doc, passage.text, inside)
        end = passage.end
        cost = count_tokens(block)
        if used + cost > max_tokens:
            cut = _partial(n, doc, hit, inside, count_tokens, max_tokens - used)
            if cut is None:
                break
            block, end, inside = cut
            cost = count_tokens(block)
        seen.add(passage.id)
        blocks.append(block)
        used += cost
        kept_quotes += inside
        citations.append(
            Citation(
                n=n,
                passage_id=passage.id,
                doc_id=doc.id,
                title=doc.title,
                source=doc.source,
                url=doc.url,
                start=passage.start,
                end=end,
                quote_ids=tuple(q.id for q in inside),
                highlights=tuple((s, e) for s, e in hit.highlights if e <= end),
                text=passage.text[: end - passage.start],
            )
        )
        if end != passage.end:
            break
    text = "\n\n".join(blocks)
    return Context(
        text=text, tokens=count_tokens(text), citations=tuple(citations), quotes=tuple(kept_quotes)
    )


def available_quotes(index: object, hits: Sequence[Hit]) -> list[Any]:
    """Every quote the searcher can offer for `hits`: those attached to hits (a `quotes`
    attribute) and those stored in the index (`index.quotes`, a sequence or a mapping).
    Empty until the index carries quotes; the context then simply has none."""
    found: list[Any] = []
    for hit in hits:
        found += list(getattr(hit, "quotes", ()) or ())
    stored = getattr(index, "quotes", None) or ()
    if isinstance(stored, Mapping):
        stored = stored.values()
    found += list(stored)
    unique = {getattr(q, "id", None) or id(q): q for q in found}
    return [q for q in unique.values() if hasattr(q, "speaker") and hasattr(q, "start")]
