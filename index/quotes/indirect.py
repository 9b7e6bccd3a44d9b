"""Reported speech: `X said (that) …`, `X called for …`, `according to X, …`."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import replace
from itertools import accumulate
from typing import TYPE_CHECKING

from index.quotes.direct import Candidate
from index.quotes.lexicon import (
    CLAUSE_ONLY,
    CUE_VERBS,
    INFINITIVE_CUES,
    OBJECT_CUES,
    PHRASAL_CUES,
)
from index.quotes.speakers import subject_of

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_MIN_TOKENS = 3
_TRIM_CHARS = " \t\n,;:.—–-"
_CLAUSE_DEPS = ("ccomp",)


def _subtree_bounds(token: Token) -> tuple[int, int]:
    return token.left_edge.i, token.right_edge.i + 1


def _to_clause_end(verb: Token, content: Token) -> tuple[int, int]:
    """From `content` to the end of the cue's clause: "stressed the need to X, while Y"."""
    return content.left_edge.i, max(content.right_edge.i, verb.right_edge.i) + 1


def _same_paragraph(a: Token, b: Token) -> bool:
    low, high = sorted((a.i, b.i))
    return not any("\n" in t.text for t in a.doc[low:high])


def _clause(verb: Token) -> Token | None:
    """The clause a cue verb reports, preferring one after it in its own paragraph: the
    parser runs a quote in the paragraph before into the sentence (`“…” ¶ The agency said
    it would appeal.` with both clauses under "said")."""
    clauses = [c for c in verb.children if c.dep_ in _CLAUSE_DEPS]
    near = [c for c in clauses if _same_paragraph(verb, c)]
    after = [c for c in near if c.i > verb.i]
    return next(iter(after or near or clauses), None)


def _naming(verb: Token) -> tuple[tuple[int, int], str] | None:
    """`X called Y Z`: the object and what the speaker called it ("She called the plan a
    gift to the banks" reports "the plan a gift to the banks")."""
    obj = next((c for c in verb.children if c.dep_ == "dobj"), None)
    name = next((c for c in verb.children if c.dep_ == "oprd"), None)
    if obj is None or name is None:
        return None
    return (obj.left_edge.i, max(obj.right_edge.i, name.right_edge.i) + 1), verb.lower_


def _infinitive(verb: Token) -> tuple[int, int] | None:
    """A request or commitment as an infinitive, with the one asked: "urged voters to stay
    home", "vowed to fight on". Not in a relative clause ("the senator, who vowed to …"):
    its speaker is a description that rarely resolves."""
    xcomp = next((c for c in verb.children if c.dep_ == "xcomp"), None)
    if (
        xcomp is None
        or verb.dep_ == "relcl"
        or not any(c.dep_ == "aux" and c.lower_ == "to" for c in xcomp.children)
    ):
        return None
    obj = next((c for c in verb.children if c.dep_ == "dobj" and c.i < xcomp.i), None)
    return (obj or xcomp).left_edge.i, xcomp.right_edge.i + 1


def _complement(verb: Token) -> tuple[tuple[int, int], str] | None:
    """Token bounds of the reported content of a cue verb, and the cue as written."""
    lemma = verb.lemma_.lower()
    children = list(verb.children)
    clause = _clause(verb)
    particle = PHRASAL_CUES.get(lemma)
    if particle is not None:
        linked = next((c for c in children if c.lower_ == particle), None)
        if linked is None:
            return _naming(verb)
        cue = f"{verb.lower_} {particle}"
        objects = [c for c in linked.children if c.dep_ == "pobj"]
        if objects:
            return _to_clause_end(verb, objects[0]), cue
        return (_subtree_bounds(clause), cue) if clause is not None else None
    if clause is not None:
        return _subtree_bounds(clause), verb.lower_
    if lemma in INFINITIVE_CUES:
        bounds = _infinitive(verb)
        if bounds is not None:
            return bounds, verb.lower_
    if lemma in CLAUSE_ONLY:
        return None
    if lemma in OBJECT_CUES:
        obj = next((c for c in children if c.dep_ == "dobj"), None)
        if obj is not None:
            return _to_clause_end(verb, obj), verb.lower_
    if verb.dep_ == "parataxis" and verb.head.i < verb.i:
        # "The country should ..., Huang said." parsed with the cue as a side clause.
        left = verb.left_edge.i
        return (verb.head.sent.start, left), verb.lower_
    if verb.dep_ == "parataxis":
        # "In 2015, she said, the port lost money.": the rest of the sentence after the cue
        return (verb.right_edge.i + 1, verb.head.right_edge.i + 1), verb.lower_
    return None


def _according(token: Token) -> tuple[tuple[int, int], Token] | None:
    """`according to X, …`: content is the governing clause without the phrase itself."""
    to = next((c for c in token.children if c.lower_ == "to"), None)
    source = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
    if source is None:
        return None
    phrase = {t.i for t in token.subtree}
    rest = [t.i for t in token.head.subtree if t.i not in phrase]
    if not rest:
        return None
    return (min(rest), max(rest) + 1), source


def _trimmed(doc: Doc, start: int, end: int) -> tuple[int, int]:
    """Character bounds of tokens [start, end) without edge punctuation and space."""
    if start >= end:
        return 0, 0
    text = doc[start:end].text  # the tokens' text only: `doc.text` is linear in the document
    first, last = 0, len(text)
    while first < last and text[first] in _TRIM_CHARS:
        first += 1
    while last > first and text[last - 1] in _TRIM_CHARS:
        last -= 1
    return doc[start].idx + first, doc[start].idx + last


class _Spans:
    """Character spans answering "does any contain / overlap ..." in O(log n): sorted by
    start, with the largest end among each prefix (a page of quotes has thousands)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        ordered = sorted(spans)
        self._starts = [start for start, _ in ordered]
        self._max_ends = list(accumulate((end for _, end in ordered), max))

    def _max_end_before(self, n: int) -> int:
        return self._max_ends[n - 1] if n else -1

    def contain(self, position: int) -> bool:
        """Some span has start <= position < end."""
        return self._max_end_before(bisect_right(self._starts, position)) > position

    def overlap(self, start: int, end: int) -> bool:
        """Some span (s, e) has s < end and start < e."""
        return self._max_end_before(bisect_left(self._starts, end)) > start


def find_indirect(
    doc: Doc, direct: list[Candidate], marked: list[tuple[int, int]] | None = None
) -> list[Candidate]:
    """Reported statements outside direct quotes, in document order.

    A statement whose content overlaps a direct quote is that quote's frame and is
    dropped; so is a cue inside quote marks (`marked`: the quoted speaker's own words);
    nested reports keep only the outermost.
    """
    quoted = [(c.start, c.end) for c in direct]
    inside_marks = _Spans(quoted + list(marked or []))
    quotes = _Spans(quoted)
    used = {c.cue_token for c in direct}
    found: list[Candidate] = []
    for token in doc:
        if token.i in used or inside_marks.contain(token.idx):
            continue
        cand = _candidate(doc, token)
        if cand is None or quotes.overlap(cand.start, cand.end):
            continue
        found.append(cand)
    return _outermost(doc, found)


def _candidate(doc: Doc, token: Token) -> Candidate | None:
    if token.lower_ == "according":
        hit = _according(token)
        if hit is None:
            return None
        (start, end), source = hit
        first, last = _trimmed(doc, start, end)
        return Candidate(first, last, "indirect", "according to", token.i, source.i)
    if token.lemma_.lower() not in CUE_VERBS or token.pos_ not in ("VERB", "AUX"):
        return None
    comp = _complement(token)
    subject = subject_of(token)
    if comp is None or subject is None or subject.pos_ == "DET":
        return None
    (start, end), cue = comp
    if end - start < _MIN_TOKENS or start <= subject.i < end:
        return None
    first, last = _trimmed(doc, start, end)
    if first >= last:
        return None
    return Candidate(first, last, "indirect", cue, token.i, subject.i)


def _outermost(doc: Doc, found: list[Candidate]) -> list[Candidate]:
    """Drop reports nested in another's content, except a participle clause of the same
    speaker ("… that X, while calling for Y"): that one ends the outer content."""
    found.sort(key=lambda c: (c.start, -(c.end - c.start)))
    kept: list[Candidate] = []
    text = doc.text
    for cand in found:
        if kept and cand.start < kept[-1].end:
            outer = kept[-1]
            cue = doc[cand.cue_token]
            clause_start = cue.left_edge.idx
            if cue.tag_ != "VBG" or clause_start <= outer.start:
                continue
            end = clause_start
            while end > outer.start and text[end - 1] in _TRIM_CHARS:
                end -= 1
            kept[-1] = replace(outer, end=end)
            inside = outer.start <= doc[cand.subject].idx < outer.end
            cand = replace(cand, subject=outer.subject) if inside else cand
        kept.append(cand)
    return kept
