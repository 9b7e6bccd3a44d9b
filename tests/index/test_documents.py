"""Loading articles from .txt (front matter, Source line), .md and .jsonl."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from index.documents import DocumentError, load_documents, make_document
from tests.conftest import SEED_ID, SEEDS


def test_seed_article_loads_with_source_and_title() -> None:
    [doc] = load_documents(SEEDS)
    assert doc.id == SEED_ID
    assert doc.source == "China Daily"
    assert not doc.text.rstrip().endswith("China Daily")
    assert doc.title.startswith("China’s sharpening focus")
    assert len(doc.title.split()) <= 15


def test_front_matter_gives_metadata(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text(
        "---\ntitle: Rates rise\nsource: Wire\nurl: https://example.org/a\n"
        "published: 2025-03-01\n---\n"
        "The bank raised rates.\n\nMarkets fell.\n",
        encoding="utf-8",
    )
    [doc] = load_documents(tmp_path)
    assert (doc.title, doc.source, doc.url, doc.published) == (
        "Rates rise",
        "Wire",
        "https://example.org/a",
        "2025-03-01",
    )
    assert doc.text == "The bank raised rates.\n\nMarkets fell."


def test_jsonl_one_article_per_line(tmp_path: Path) -> None:
    rows = [{"id": "x1", "text": "First story. It is short."}, {"text": "Second.", "title": "T"}]
    (tmp_path / "batch.jsonl").write_text("\n".join(json.dumps(r) for r in rows), encoding="utf-8")
    (tmp_path / "note.md").write_text("# Heading\n\nA markdown article.", encoding="utf-8")
    docs = {d.id: d for d in load_documents(tmp_path)}
    assert set(docs) == {"x1", "batch-2", "note"}
    assert docs["batch-2"].title == "T"
    assert docs["x1"].title == "First story."


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("bad.jsonl", "{not json}\n", "invalid JSON"),
        ("bad.jsonl", '{"id": "a"}\n', "string 'text'"),
        ("empty.txt", "   \n", "has no text"),
        ("fm.txt", "---\ntitle: x\nno end", "never closed"),
    ],
)
def test_bad_seed_files_name_the_problem(
    tmp_path: Path, name: str, content: str, message: str
) -> None:
    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(DocumentError, match=message):
        load_documents(tmp_path)


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    (tmp_path / "a.txt").write_text("One.", encoding="utf-8")
    (tmp_path / "a.md").write_text("Two.", encoding="utf-8")
    with pytest.raises(DocumentError, match="duplicate"):
        load_documents(tmp_path)


def test_missing_seeds_directory(tmp_path: Path) -> None:
    with pytest.raises(DocumentError, match="does not exist"):
        load_documents(tmp_path / "nope")


def test_content_hash_changes_with_text() -> None:
    a = make_document("d", "Some text.")
    assert a.content_hash == make_document("d", "Some text.").content_hash
    assert a.content_hash != make_document("d", "Other text.").content_hash
