"""Conversation: a chat's last user turn made into a self-contained retrieval query.

No language model is involved. A follow-up ("What did he say about AI?", "And what about
chips?", "Who announced it?") is recognised by surface cues, and the query is expanded
with the salient terms of the turns before it:

1. `is_follow_up` says whether the last user turn leans on earlier turns: it has an
   anaphor (he, its, there, that, the second one...), opens with an ellipsis cue (and,
   what about, anything, also...), or has at most `SHORT_CONTENT_WORDS` content words.
2. `salient_terms` keeps a turn's content words: names, numbers and other words that are
   not stop words, question words or chat filler, in order, without repeats.
3. `rewrite` appends to the follow-up the salient terms of the previous user turn and the
   names (capitalised words) of the assistant turn after it; a self-contained question
   is returned unchanged. The follow-up's own words come first and are kept whole, so
   lexical and dense retrieval still weigh what is new in the turn.

Searches can also fuse the follow-up alone with its expansion (`queries` gives both);
`evals/conversations.py` measures each strategy on evals/data/conversations.jsonl.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from index.retrieval.fusion import rrf

if TYPE_CHECKING:
    from index.search import Hit, Searcher

ROLES = ("user", "assistant")
SHORT_CONTENT_WORDS = 3
MAX_CONTEXT_TERMS = 12

_WORD = re.compile(r"[$]?\w[\w’'&.\-]*\w|[$]?\w")
_ANAPHOR_WORDS = (
    "he she him her his hers they them their theirs it its this that these those there "
    "former latter second first third one ones same such"
)
_ANAPHORS = frozenset(_ANAPHOR_WORDS.split())
_ELLIPSIS_OPENERS = (
    "and ",
    "but ",
    "also ",
    "what about",
    "how about",
    "anything",
    "any more",
    "anyone else",
    "did any",
    "who else",
    "what else",
    "so ",
    "then ",
    "why?",
    "how?",
    "really",
)
_STOPWORD_TEXT = """a an the of in on at to for from by with about into over under as and or
    but not no
    is are was were be been being do does did done has have had having will would shall
    should can could may might must i me my we our you your he she him her his they them
    their it its this that these those there here what which who whom whose when where why
    how anything any some more most much many other else also just only very too so then
    than say said says tell told think thinks thought mention mentioned quoted quote
    article piece story text please know want like did does get got one ones same such
    former latter second first third plans plan yes ok okay thanks thank"""
_STOPWORDS = frozenset(_STOPWORD_TEXT.split())


@dataclass(frozen=True)
class Message:
    """One chat turn; `role` is "user" or "assistant"."""

    role: str
    content: str

    def __post_init__(self) -> None:
        if self.role not in ROLES:
            raise ValueError(f"unknown role {self.role!r}; choose one of: {', '.join(ROLES)}")


@dataclass(frozen=True)
class Rewrite:
    """The retrieval query for a chat's last user turn.

    `question` is that turn as written; `query` is what to search for (equal to
    `question` when the turn is self-contained); `added` are the context terms appended.
    """

    question: str
    query: str
    follow_up: bool
    added: tuple[str, ...] = ()


def words(text: str) -> list[str]:
    """The word tokens of `text`, in order (keeps $, internal apostrophes, dots, hyphens)."""
    return _WORD.findall(text)


def content_words(text: str) -> list[str]:
    """Words of `text` that are not stop words, question words or chat filler."""
    return [w for w in words(text) if w.lower() not in _STOPWORDS]


def is_follow_up(question: str) -> bool:
    """Whether `question` needs earlier turns to be understood (anaphor, ellipsis, brevity)."""
    lowered = question.strip().lower()
    if lowered.startswith(_ELLIPSIS_OPENERS):
        return True
    tokens = [w.lower() for w in words(lowered)]
    if any(t in _ANAPHORS for t in tokens):
        return True
    return len(content_words(question)) <= SHORT_CONTENT_WORDS


def salient_terms(text: str) -> list[str]:
    """Content words of `text` in order of first appearance, without repeats (case-folded)."""
    seen: set[str] = set()
    terms = []
    for word in content_words(text):
        key = word.lower()
        if key not in seen:
            seen.add(key)
            terms.append(word)
    return terms


def names(text: str) -> list[str]:
    """Capitalised words and numbers of `text` (a cheap stand-in for named entities)."""
    return [w for w in salient_terms(text) if w[0].isupper() or w[0].isdigit() or w[0] == "$"]


def last_user_turn(messages: Sequence[Message]) -> int:
    """Index of the last user message; ValueError when there is none."""
    for position in range(len(messages) - 1, -1, -1):
        if messages[position].role == "user":
            return position
    raise ValueError("the conversation has no user message")


def context_terms(messages: Sequence[Message], turn: int, *, replies: bool = True) -> list[str]:
    """Terms from before `turn`: the previous user turn's salient terms, then the names in
    the assistant replies after it; terms already in the turn itself are left out."""
    own = {w.lower() for w in words(messages[turn].content)}
    earlier = [m for m in messages[:turn] if m.role == "user"]
    terms: list[str] = []
    if earlier:
        previous = messages.index(earlier[-1])
        terms += salient_terms(earlier[-1].content)
        for reply in messages[previous + 1 : turn]:
            if replies and reply.role == "assistant":
                terms += names(reply.content)
    seen: set[str] = set()
    kept = []
    for term in terms:
        key = term.lower()
        if key not in own and key not in seen:
            seen.add(key)
            kept.append(term)
    return kept[:MAX_CONTEXT_TERMS]


def rewrite(messages: Sequence[Message], *, replies: bool = True) -> Rewrite:
    """The self-contained query for the last user turn of `messages` (see module doc).

    With `replies=False` only earlier user turns are used, never the assistant's words.
    """
    turn = last_user_turn(messages)
    question = messages[turn].content.strip()
    if not is_follow_up(question):
        return Rewrite(question=question, query=question, follow_up=False)
    added = tuple(context_terms(messages, turn, replies=replies))
    if not added:
        return Rewrite(question=question, query=question, follow_up=True)
    return Rewrite(
        question=question, query=f"{question} {' '.join(added)}", follow_up=True, added=added
    )


def queries(rewritten: Rewrite) -> list[str]:
    """The queries to search and fuse: the expansion, then the follow-up alone when they differ."""
    if rewritten.query == rewritten.question:
        return [rewritten.query]
    return [rewritten.query, rewritten.question]


def fused_search(
    searcher: Searcher,
    texts: Sequence[str],
    k: int = 5,
    mode: str = "hybrid",
    doc_ids: Sequence[str] | None = None,
) -> list[Hit]:
    """Search each of `texts` and fuse the rankings with reciprocal rank fusion (the first
    text weighs most on ties); hits are renumbered from rank 1, each keeping the score,
    scores and highlights of the first query that found it."""
    depth = max(k, 20)
    results = [searcher.search(text, k=depth, mode=mode, doc_ids=doc_ids) for text in texts]
    if len(results) == 1:
        return results[0].hits[:k]
    rows: dict[str, int] = {}
    first: dict[int, Hit] = {}
    rankings: list[dict[int, float]] = []
    for result in results:
        ranking: dict[int, float] = {}
        for hit in result.hits:
            row = rows.setdefault(hit.passage.id, len(rows))
            first.setdefault(row, hit)
            ranking[row] = -float(hit.rank)
        rankings.append(ranking)
    weights = [1.0 + 1e-6 * (len(rankings) - i) for i in range(len(rankings))]
    fused = sorted(rrf(rankings, weights).items(), key=lambda item: (-item[1], item[0]))
    return [
        replace(first[row], rank=rank, score=score)
        for rank, (row, score) in enumerate(fused[:k], start=1)
    ]
