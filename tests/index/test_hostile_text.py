"""Hostile text: punctuation runs that made spaCy quadratic, paragraphs with no sentence ends."""

from __future__ import annotations

import time

import pytest

from index.documents import make_document
from index.passages import split_passages
from index.quotes import extract_quotes
from index.tokenizable import MAX_PUNCTUATION_RUN, tokenizable


@pytest.mark.parametrize(
    "text",
    [
        'He said: "We will win." Then he left!?',
        "“Prices — up 3% — won’t fall…”",
        "Wait" + "!" * MAX_PUNCTUATION_RUN,
    ],
)
def test_ordinary_text_is_unchanged(text: str) -> None:
    assert tokenizable(text) == text


def test_long_runs_keep_their_length_and_ends() -> None:
    text = "a " + '"' * 5000 + " b ($)" * 3 + "!?" * 400
    out = tokenizable(text)
    assert len(out) == len(text)
    assert out.startswith("a " + '"' * 8 + " ")
    assert out.endswith(" " + "!?" * 4)
    assert max(len(run) for run in out.split()) <= MAX_PUNCTUATION_RUN


@pytest.mark.parametrize("unit", ['"', "“", "$", ")", '("', "'"])
def test_extract_is_fast_on_punctuation_runs(unit: str) -> None:
    text = "Smith said: " + unit * (20_000 // len(unit)) + " and left."
    started = time.process_time()
    quotes = extract_quotes(text)
    # Before the runs were blanked: 20,000 straight quote marks cost 77 s of CPU.
    assert time.process_time() - started < 10
    assert all(text[q.start : q.end] == q.text for q in quotes)


def test_extract_offsets_hold_next_to_a_long_run() -> None:
    text = '"' * 40 + "\n“We will build it,” said Mayor Ana Ruiz of Springfield."
    quotes = extract_quotes(text)
    assert [q.text for q in quotes] == ["We will build it"]
    assert all(text[q.start : q.end] == q.text for q in quotes)


def test_a_paragraph_without_punctuation_stays_within_the_word_budget() -> None:
    words = [f"word{n % 97}" for n in range(60_000)]
    doc = make_document("flat", "Title line.\n" + "  ".join(words))
    passages = split_passages(doc, max_words=120)
    assert len(passages) >= 500
    for passage in passages:
        assert len(passage.text.split()) <= 120
        assert doc.text[passage.start : passage.end] == passage.text
        for start, end in passage.sentences:
            assert doc.text[start:end].strip() == doc.text[start:end]


def test_a_punctuation_run_in_a_document_keeps_passage_offsets() -> None:
    doc = make_document("runs", "It rained. " + "!" * 30_000 + " Then it stopped.\nNext.")
    for passage in split_passages(doc, max_words=40, min_words=5):
        assert doc.text[passage.start : passage.end] == passage.text


def test_the_pipeline_is_reloaded_once_its_vocabulary_has_grown() -> None:
    from index.quotes.nlp import pipeline

    before = pipeline()
    new_words = " ".join(f"zqxw{n}vk" for n in range(300))
    extract_quotes(f"Ana Ruiz said {new_words}.")
    assert pipeline(max_new_strings=100_000) is before
    renewed = pipeline(max_new_strings=100)
    assert renewed is not before
    assert pipeline(max_new_strings=100) is renewed
