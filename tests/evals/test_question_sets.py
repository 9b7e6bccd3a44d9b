"""Sanity checks for the hand-written evaluation sets in evals/data/.

These check the data, not the retrieval system: every expected answer string
is copied exactly from the seed article and pins down a single paragraph,
ids are unique, required fields are present and the sets are big enough.
"""

import json
import re

import pytest

from index.documents import load_text_file
from tests.conftest import ROOT

DATA = ROOT / "evals" / "data"
ARTICLE = ROOT / "seeds" / "china-daily-new-quality-productive-forces.txt"

MINIMUMS = {
    "dev_questions.jsonl": 45,
    "heldout_questions.jsonl": 30,
    "unanswerable.jsonl": 40,
    "conversations.jsonl": 12,
}


def load(name):
    with open(DATA / name, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


def article_text():
    # The indexed text: front matter and the trailing "Source:" line are not passages.
    return load_text_file(ARTICLE).text


def paragraphs():
    return [p.strip() for p in re.split(r"\n\s*\n", article_text()) if p.strip()]


def answered_sets():
    return (
        [("dev_questions.jsonl", r) for r in load("dev_questions.jsonl")]
        + [("heldout_questions.jsonl", r) for r in load("heldout_questions.jsonl")]
        + [("conversations.jsonl", r) for r in load("conversations.jsonl")]
    )


@pytest.mark.parametrize("name,minimum", sorted(MINIMUMS.items()))
def test_counts(name, minimum):
    assert len(load(name)) >= minimum


def test_ids_unique_across_all_sets():
    ids = [r["id"] for name in MINIMUMS for r in load(name)]
    assert len(ids) == len(set(ids))


@pytest.mark.parametrize(
    "name,prefix",
    [
        ("dev_questions.jsonl", "dev-"),
        ("heldout_questions.jsonl", "held-"),
        ("unanswerable.jsonl", "neg-"),
        ("conversations.jsonl", "conv-"),
    ],
)
def test_id_prefixes(name, prefix):
    for r in load(name):
        assert r["id"].startswith(prefix), r["id"]


@pytest.mark.parametrize("name", ["dev_questions.jsonl", "heldout_questions.jsonl"])
def test_question_fields(name):
    for r in load(name):
        assert set(r) == {"id", "question", "answers"}, r["id"]
        assert isinstance(r["question"], str) and r["question"].strip(), r["id"]
        assert isinstance(r["answers"], list) and r["answers"], r["id"]
        assert all(isinstance(a, str) and a for a in r["answers"]), r["id"]


def test_answers_are_exact_substrings_of_one_paragraph():
    paras = paragraphs()
    for name, r in answered_sets():
        homes = set()
        for a in r["answers"]:
            assert a in article_text(), f"{name} {r['id']}: {a!r} not in article"
            hits = [i for i, p in enumerate(paras) if a in p]
            assert len(hits) == 1, f"{name} {r['id']}: {a!r} in paragraphs {hits}"
            assert 2 <= len(a.split()) <= 8, f"{name} {r['id']}: {a!r} length"
            homes.add(hits[0])
        assert len(homes) == 1, f"{name} {r['id']}: answers span paragraphs {homes}"


def test_dev_covers_every_paragraph():
    paras = paragraphs()
    counts = [0] * len(paras)
    for r in load("dev_questions.jsonl"):
        i = next(i for i, p in enumerate(paras) if r["answers"][0] in p)
        counts[i] += 1
    for i, (p, n) in enumerate(zip(paras, counts, strict=True)):
        wanted = 2 if len(p.split()) > 10 else 1
        assert n >= wanted, f"paragraph {i} has {n} dev questions: {p[:60]!r}"


def test_unanswerable():
    rows = load("unanswerable.jsonl")
    for r in rows:
        assert set(r) == {"id", "question", "kind"}, r["id"]
        assert r["question"].strip(), r["id"]
        assert r["kind"] in {"out_of_domain", "near_miss"}, r["id"]
    kinds = [r["kind"] for r in rows]
    assert kinds.count("out_of_domain") >= 20
    assert kinds.count("near_miss") >= 20


def test_conversations():
    for r in load("conversations.jsonl"):
        assert set(r) == {"id", "messages", "answers"}, r["id"]
        msgs = r["messages"]
        assert len(msgs) >= 3, r["id"]
        for i, m in enumerate(msgs):
            assert set(m) == {"role", "content"}, r["id"]
            assert m["role"] == ("user" if i % 2 == 0 else "assistant"), r["id"]
            assert m["content"].strip(), r["id"]
        assert msgs[-1]["role"] == "user", r["id"]
