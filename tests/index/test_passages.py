"""Passage splitting: paragraphs, sentences, word budgets and exact offsets."""

from __future__ import annotations

from index.documents import Document, make_document
from index.passages import split_passages


def assert_offsets(doc: Document) -> None:
    passages = split_passages(doc, max_words=40, min_words=8)
    assert passages
    for passage in passages:
        assert doc.text[passage.start : passage.end] == passage.text
        for start, end in passage.sentences:
            assert passage.start <= start < end <= passage.end
            assert doc.text[start:end].strip() == doc.text[start:end]


def test_seed_offsets_hold(seed_documents: list[Document]) -> None:
    for doc in seed_documents:
        assert_offsets(doc)
        for passage in split_passages(doc):
            assert doc.text[passage.start : passage.end] == passage.text


def test_curly_quotes_and_non_ascii_offsets() -> None:
    text = (
        "“Ça va très bien,” said Zoë Ångström, chief of Société Générale’s 研究 unit.\n"
        "She added: ‘Prices — up 3% — won’t fall.’ 中文句子。 Another sentence here!\n\n"
        "Emoji 🚀 lines count too. Café owners agreed."
    )
    assert_offsets(make_document("intl", text))


def test_long_paragraph_splits_on_sentence_boundaries() -> None:
    sentence = "The committee reviewed the budget for the coming fiscal year in detail."
    doc = make_document("long", " ".join([sentence] * 12))
    passages = split_passages(doc, max_words=40, min_words=5)
    assert len(passages) == 4
    for passage in passages:
        assert passage.text.endswith("detail.")
        assert len(passage.text.split()) <= 40


def test_short_paragraphs_merge_until_budget() -> None:
    doc = make_document("short", "Tiny one.\nTiny two.\nTiny three.\n" + "word " * 50)
    passages = split_passages(doc, max_words=60, min_words=10)
    assert passages[0].text.startswith("Tiny one.\nTiny two.\nTiny three.")
    assert [p.id for p in passages] == [f"short:p{n}" for n in range(len(passages))]


def test_paragraphs_never_merge_past_budget() -> None:
    doc = make_document("p", "Short.\n" + " ".join(["long"] * 30) + ".")
    passages = split_passages(doc, max_words=20, min_words=5)
    assert passages[0].text == "Short."
