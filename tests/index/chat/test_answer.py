"""The extractive answer: verbatim sentences with their offsets, cited [n], speakers named."""

from __future__ import annotations

from index.chat.answer import NO_ANSWER, extractive_answer
from index.chat.context import build_context
from index.disk import Index
from index.models.tokens import token_counter
from index.search import Searcher
from tests.conftest import FAKE_MODEL


def test_sentences_are_verbatim_and_cited(fake_index: Index, fake_searcher: Searcher) -> None:
    count = token_counter(FAKE_MODEL)
    hits = fake_searcher.search("What did Denis Depoux say about AI?", k=5).hits
    built = build_context(hits, fake_index.documents, count, 800, fake_index.quotes)
    answer = extractive_answer(built.citations, fake_searcher.passage, built.quotes)
    assert 1 <= len(answer.sentences) <= 3
    for sentence in answer.sentences:
        text = fake_index.documents[sentence.doc_id].text
        assert text[sentence.start : sentence.end] == sentence.text
        assert sentence.rendered().endswith(f"{sentence.text} [{sentence.n}]")
    quoted = [s for s in answer.sentences if s.speaker]
    assert all(s.speaker not in s.text for s in quoted)
    assert extractive_answer((), fake_searcher.passage).text == NO_ANSWER


def test_token_budget_cuts_at_a_word_and_keeps_offsets(
    fake_index: Index, fake_searcher: Searcher
) -> None:
    count = token_counter(FAKE_MODEL)
    hits = fake_searcher.search("How much did China invest in R&D in 2024?", k=3).hits
    built = build_context(hits, fake_index.documents, count, 800, fake_index.quotes)
    whole = extractive_answer(built.citations, fake_searcher.passage, built.quotes)
    cut = extractive_answer(
        built.citations, fake_searcher.passage, built.quotes, count_tokens=count, max_tokens=8
    )
    assert cut.truncated and not whole.truncated
    assert count(cut.text) <= 8 and len(cut.sentences) == 1
    (sentence,) = cut.sentences
    assert whole.sentences[0].text.startswith(sentence.text)
    text = fake_index.documents[sentence.doc_id].text
    assert text[sentence.start : sentence.end] == sentence.text
