"""The context block: numbering, quotes with speakers, token budget (index/context.py)."""

from __future__ import annotations

from dataclasses import dataclass

from index.chat.context import build_context
from index.models.tokens import token_counter
from index.search import Searcher
from tests.conftest import FAKE_MODEL


@dataclass(frozen=True)
class FakeSpeaker:
    name: str
    title: str = ""
    organization: str = ""


@dataclass(frozen=True)
class FakeQuote:
    id: str
    doc_id: str
    text: str
    start: int
    end: int
    speaker: FakeSpeaker


def test_blocks_are_numbered_and_carry_quotes(fake_searcher: Searcher) -> None:
    hits = fake_searcher.search("AI opportunities business", k=3).hits
    passage = hits[0].passage
    quote = FakeQuote(
        "q1",
        passage.doc_id,
        passage.text[5:40],
        passage.start + 5,
        passage.start + 40,
        FakeSpeaker("Denis Depoux", "global managing director", "Roland Berger"),
    )
    count = token_counter(FAKE_MODEL)
    built = build_context(hits, fake_searcher.index.documents, count, 2000, [quote])
    assert [c.n for c in built.citations] == [1, 2, 3]
    assert built.text.startswith("[1] ")
    assert "\n\n[2] " in built.text and "\n\n[3] " in built.text
    assert f"- Denis Depoux (global managing director): “{quote.text}”" in built.text
    assert built.citations[0].quote_ids == ("q1",)
    assert built.quotes == (quote,)
    assert built.tokens == count(built.text)


def test_budget_cuts_at_a_word_and_moves_the_end(fake_searcher: Searcher) -> None:
    hits = fake_searcher.search("innovation", k=5).hits
    count = token_counter(FAKE_MODEL)
    documents = fake_searcher.index.documents
    for budget in (40, 90, 150):
        built = build_context(hits, documents, count, budget)
        assert built.tokens <= budget
        last = built.citations[-1]
        text = documents[last.doc_id].text
        assert text[last.start : last.end] == last.text
        assert last.text in built.text
    assert build_context(hits, documents, count, 10).citations == ()


def test_duplicate_passages_keep_one_number(fake_searcher: Searcher) -> None:
    hits = fake_searcher.search("venture capital", k=2).hits
    count = token_counter(FAKE_MODEL)
    built = build_context([*hits, *hits], fake_searcher.index.documents, count, 4000)
    assert [c.passage_id for c in built.citations] == [h.passage.id for h in hits]
