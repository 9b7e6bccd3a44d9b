"""Follow-up detection and query rewriting (pure functions, no model)."""

from __future__ import annotations

from itertools import pairwise

import pytest

from index.chat.conversation import (
    Message,
    fused_search,
    is_follow_up,
    queries,
    rewrite,
    salient_terms,
)
from index.search import Searcher


def chat(*turns: str) -> list[Message]:
    return [Message("user" if i % 2 == 0 else "assistant", t) for i, t in enumerate(turns)]


@pytest.mark.parametrize(
    "question",
    [
        "What did he say about AI?",
        "And what about chips?",
        "Anything from him on financing?",
        "Who announced it?",
        "What are its plans there?",
        "And in dollars?",
        "Did any of the experts echo that?",
    ],
)
def test_follow_ups_are_detected(question: str) -> None:
    assert is_follow_up(question)


@pytest.mark.parametrize(
    "question",
    [
        "How much did China invest in R&D in 2024?",
        "Who is the Roland Berger managing director quoted in the article?",
        "What is the national venture capital guidance fund?",
    ],
)
def test_self_contained_questions_are_not(question: str) -> None:
    assert not is_follow_up(question)


def test_salient_terms_keep_names_and_numbers_once() -> None:
    terms = salient_terms("How much did China invest in R&D in 2024? China, again.")
    assert terms == ["China", "invest", "R&D", "2024", "again"]


def test_rewrite_expands_a_follow_up_with_earlier_turns() -> None:
    messages = chat(
        "Who is the Roland Berger managing director quoted in the article?",
        "Denis Depoux, the global managing director of the consultancy Roland Berger.",
        "What did he say about AI?",
    )
    rewritten = rewrite(messages)
    assert rewritten.follow_up
    assert rewritten.question == "What did he say about AI?"
    assert rewritten.query.startswith("What did he say about AI? ")
    assert {"Roland", "Berger", "Denis", "Depoux"} <= set(rewritten.added)
    assert "managing" in rewritten.added
    assert queries(rewritten) == [rewritten.query, rewritten.question]


def test_rewrite_without_replies_uses_user_turns_only() -> None:
    messages = chat("What does Aveva do?", "Cui Jingyi runs its China business.", "Its plans?")
    assert rewrite(messages, replies=False).added == ("Aveva",)
    assert rewrite(messages).added == ("Aveva", "Cui", "Jingyi", "China")


def test_self_contained_question_is_unchanged() -> None:
    messages = chat("Who is Pan Helin?", "An expert.", "How much did China invest in R&D in 2024?")
    rewritten = rewrite(messages)
    assert rewritten.query == rewritten.question
    assert not rewritten.follow_up
    assert queries(rewritten) == [rewritten.question]


def test_first_turn_follow_up_has_nothing_to_add() -> None:
    rewritten = rewrite(chat("And what about it?"))
    assert rewritten.follow_up and rewritten.query == "And what about it?"


def test_bad_conversations() -> None:
    with pytest.raises(ValueError, match="no user message"):
        rewrite([Message("assistant", "hello")])
    with pytest.raises(ValueError, match="unknown role"):
        Message("system", "x")


def test_fused_search_ranks_from_one_without_repeats(fake_searcher: Searcher) -> None:
    hits = fused_search(fake_searcher, ["chips", "R&D investment 2024"], k=4)
    assert [h.rank for h in hits] == [1, 2, 3, 4]
    assert len({h.passage.id for h in hits}) == 4
    assert all(a.score >= b.score for a, b in pairwise(hits))
    single = fused_search(fake_searcher, ["chips"], k=3)
    assert [h.passage.id for h in single] == [
        h.passage.id for h in fake_searcher.search("chips", k=3).hits
    ]
