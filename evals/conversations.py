"""Conversation eval: Hit@1 / Hit@3 of a chat's final turn, with and without query rewriting.

    python -m evals.conversations [--data evals/data/conversations.jsonl] [--seeds seeds]

Builds a throwaway index of the seeds with the real bundled model (or uses --index) and
retrieves the answering passage for each conversation's last user turn under every
strategy in STRATEGIES. A hit is a passage containing one of the row's `answers`.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
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


def _searcher(seeds: Path, index_dir: Path | None) -> Searcher:
    from index.build import update_index
    from index.disk import BuildSettings, read_index
    from index.documents import load_documents
    from index.models.encoder import SentenceTransformerEncoder

    encoder = SentenceTransformerEncoder()
    if index_dir is not None:
        return Searcher(read_index(index_dir), encoder)
    root = Path(tempfile.mkdtemp(prefix="sayso-conv-"))
    return Searcher(update_index(root, load_documents(seeds), BuildSettings(), encoder), encoder)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("evals/data/conversations.jsonl"))
    parser.add_argument("--seeds", type=Path, default=Path("seeds"))
    parser.add_argument("--index", type=Path, default=None, help="use this built index")
    args = parser.parse_args(argv)
    rows = [json.loads(line) for line in args.data.read_text().splitlines() if line.strip()]
    searcher = _searcher(args.seeds, args.index)
    out = sys.stdout
    out.write(f"{len(rows)} conversations, final turn, hybrid, k=3\n")
    out.write(f"{'strategy':28} {'Hit@1':>6} {'Hit@3':>6}  misses@1\n")
    for name, strategy in STRATEGIES.items():
        score = evaluate(searcher, rows, strategy)
        misses = " ".join(m.removeprefix("conv-") for m in score.misses)
        out.write(f"{name:28} {score.hit1:6.3f} {score.hit3:6.3f}  {misses}\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
