"""Links between quotes and passages: which passages hold which quotes (by offsets)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from index.passages import Passage
from index.quotes.model import Quote


def passages_of(quote: Quote, passages: Sequence[Passage]) -> list[str]:
    """Ids of the passages of the quote's document that overlap it, in text order."""
    return [
        p.id
        for p in passages
        if p.doc_id == quote.doc_id and p.start < quote.end and quote.start < p.end
    ]


def quotes_by_passage(
    passages: Sequence[Passage], quotes: Sequence[Quote]
) -> dict[str, tuple[dict[str, Any], ...]]:
    """Each passage's quotes as JSON rows (the DESIGN.md Quote shape with `passage_id`,
    the first passage holding the quote); a quote spanning two passages is in both."""
    by_doc: dict[str, list[Passage]] = {}
    for passage in passages:
        by_doc.setdefault(passage.doc_id, []).append(passage)
    linked: dict[str, list[dict[str, Any]]] = {}
    for quote in quotes:
        ids = passages_of(quote, by_doc.get(quote.doc_id, []))
        if not ids:
            continue
        row = quote.to_json() | {"passage_id": ids[0]}
        for passage_id in ids:
            linked.setdefault(passage_id, []).append(row)
    return {pid: tuple(rows) for pid, rows in linked.items()}


def speaker_contexts(passages: Sequence[Passage], quotes: Sequence[Quote]) -> dict[str, str]:
    """For each passage holding quotes, a line naming their speakers ("Name, title; ..."),
    so a passage that says only "He stressed ..." is still found by who is speaking."""
    names: dict[str, dict[str, str]] = {}
    for passage_id, rows in quotes_by_passage(passages, quotes).items():
        for row in rows:
            speaker = row["speaker"]
            line = ", ".join(part for part in (speaker["name"], speaker["title"]) if part)
            names.setdefault(passage_id, {}).setdefault(speaker["name"], line)
    return {pid: "; ".join(lines.values()) for pid, lines in names.items()}
