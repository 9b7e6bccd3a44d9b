"""Loaders for question files, BEIR directories and TREC topics/qrels, on small fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest

from evals.datasets import (
    DatasetError,
    answer_qrels,
    has_answer,
    load_beir,
    load_dataset,
    load_qrels,
    load_questions,
    load_topics,
    load_trec,
)
from tests.conftest import ROOT

FIXTURES = ROOT / "tests" / "fixtures"
BEIR = FIXTURES / "beir-tiny"
TREC = FIXTURES / "trec"
DEV = ROOT / "evals" / "data" / "dev_questions.jsonl"


def test_beir_split_queries_qrels_and_corpus() -> None:
    data = load_beir(BEIR, "test")
    assert data.kind == "beir" and data.name == "beir-tiny/test"
    assert [q.id for q in data.queries] == ["q1", "q2", "q3"]  # q4 is judged in train only
    assert data.qrels == {"q1": {"d1": 1, "d2": 0}, "q2": {"d3": 2}, "q3": {"d4": 1}}
    assert data.documents is not None
    docs = {d.id: d for d in data.documents}
    assert len(docs) == 7
    assert docs["d7"].text == "Untitled note" and docs["d7"].title == ""  # title stands in
    assert docs["d1"].title == "Solar panels"
    assert docs["d1"].text.startswith("Photovoltaic solar panels")
    assert [q.id for q in load_beir(BEIR, "train").queries] == ["q4"]


def test_beir_missing_split_is_a_clear_error() -> None:
    with pytest.raises(DatasetError, match=r"dev\.tsv does not exist"):
        load_beir(BEIR, "dev")


def test_trec_topics_sgml_and_tsv() -> None:
    sgml = load_topics(TREC / "topics.txt")
    assert [(q.id, q.text) for q in sgml] == [
        ("301", "solar electricity"),
        ("302", "espresso coffee"),
    ]
    tsv = load_topics(TREC / "topics.tsv")
    assert [q.id for q in tsv] == ["301", "302", "303"]


def test_trec_qrels_and_dataset_keep_judged_topics() -> None:
    assert load_qrels(TREC / "qrels.txt") == {"301": {"d1": 1, "d5": 0}, "302": {"d3": 2}}
    data = load_trec(TREC / "topics.tsv", TREC / "qrels.txt", BEIR / "corpus.jsonl")
    assert [q.id for q in data.queries] == ["301", "302"]
    assert data.documents is not None and len(data.documents) == 7
    assert load_trec(TREC / "topics.txt", TREC / "qrels.txt").documents is None


def test_question_file_and_dispatch() -> None:
    data = load_dataset(DEV)
    assert data.kind == "questions" and data.queries[0].id == "dev-001"
    assert data.queries[0].answers == ("drive industrial upgrades",)
    assert load_dataset(BEIR).kind == "beir"
    assert load_dataset(TREC / "topics.txt", qrels=TREC / "qrels.txt").kind == "trec"
    with pytest.raises(DatasetError, match="expected a BEIR directory"):
        load_dataset(TREC / "topics.txt")


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"id": "a", "question": "q?"}', "'answers' must be a list"),
        ('{"id": "a", "question": "", "answers": ["x"]}', "'question' must be a non-empty string"),
        ("not json", "invalid JSON"),
    ],
)
def test_bad_question_lines_name_file_and_line(tmp_path: Path, line: str, message: str) -> None:
    path = tmp_path / "q.jsonl"
    path.write_text('{"id": "ok", "question": "q?", "answers": ["x"]}\n' + line + "\n")
    with pytest.raises(DatasetError, match=f"q.jsonl:2: {message}"):
        load_questions(path)


def test_answer_matching_dpr_convention() -> None:
    assert has_answer("China’s  Innovation\nDrive", ("china’s innovation drive",))
    assert not has_answer("China's innovation", ("innovation drive",))
    data = load_questions(DEV)
    qrels = answer_qrels(data.queries[:1], {"p0": "will drive industrial upgrades", "p1": "other"})
    assert qrels == {"dev-001": {"p0": 1}}


def test_answers_match_on_word_boundaries() -> None:
    assert not has_answer("a fund of 100 billion yuan", ("10",))
    assert has_answer("a fund of 10 billion yuan", ("10",))
    assert has_answer("costs rose 10%.", ("10%",))
    assert not has_answer("as he said", ("ai",))
    assert has_answer("“AI,” he said", ("“ai,”",))  # punctuation at the edges matches as written
    assert has_answer("(AI) and more", ("ai",))


def test_beir_query_without_id_names_file_and_line(tmp_path: Path) -> None:
    (tmp_path / "qrels").mkdir()
    (tmp_path / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\td1\t1\n")
    (tmp_path / "corpus.jsonl").write_text('{"_id": "d1", "text": "x"}\n')
    (tmp_path / "queries.jsonl").write_text('{"_id": "q1", "text": "a"}\n{"text": "b"}\n')
    with pytest.raises(DatasetError, match=r"queries\.jsonl:2: missing '_id'"):
        load_beir(tmp_path)
