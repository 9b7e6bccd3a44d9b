"""Conversation eval: Hit@1 / Hit@3 of a chat's final turn, with and without query rewriting.

    sayso eval conversations [--data evals/data/conversations.jsonl]

Retrieves the answering passage for each conversation's last user turn under every
strategy in STRATEGIES. A hit is a passage containing one of the row's `answers`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from index.chat.conversation import Message, fused_search, last_user_turn, queries, rewrite
from index.search import Hit, Searcher

Strategy = Callable[[Searcher, Sequence[Message], int], list[Hit]]


def _alone(searcher: Searcher, messages: Sequence[Message], k: int) -> list[Hit]:
    return searcher.search(messages[last_user_turn(messages)].content, k=k).hits


def _concat(searcher: Searcher, messages: Sequence[Message], k: int) -> list[Hit]:
    users = [m.content for m in messages if m.role == "user"]
    return searcher.search(" ".join(users[-2:]), k=k).hits


def _rewrite_users(searcher: Searcher, messages: Sequence[Message], k: int) -> list[Hit]:
    return searcher.search(rewrite(messages, replies=False).query, k=k).hits


def _rewrite(searcher: Searcher, messages: Sequence[Message], k: int) -> list[Hit]:
    return searcher.search(rewrite(messages).query, k=k).hits


def _rewrite_fused(searcher: Searcher, messages: Sequence[Message], k: int) -> list[Hit]:
    return fused_search(searcher, queries(rewrite(messages)), k=k)


STRATEGIES: dict[str, Strategy] = {
    "last-turn-only": _alone,
    "concat-previous-user-turn": _concat,
    "rewrite-user-turns": _rewrite_users,
    "rewrite": _rewrite,
    "rewrite+fused": _rewrite_fused,
}


@dataclass(frozen=True)
class Score:
    hit1: float
    hit3: float
    misses: tuple[str, ...]


def evaluate(searcher: Searcher, rows: Sequence[dict[str, Any]], strategy: Strategy) -> Score:
    """Hit@1 and Hit@3 (fractions in [0, 1]) of `strategy` over conversation rows."""
    hit1 = hit3 = 0
    misses = []
    for row in rows:
        messages = [Message(m["role"], m["content"]) for m in row["messages"]]
        hits = strategy(searcher, messages, 3)
        found = [any(a in hit.passage.text for a in row["answers"]) for hit in hits]
        hit1 += bool(found[:1] and found[0])
        hit3 += any(found)
        if not any(found[:1]):
            misses.append(row["id"])
    return Score(hit1 / len(rows), hit3 / len(rows), tuple(misses))
