"""The on-disk index: atomic versions, manifest checks, incremental rebuilds, damage."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from index.build import is_current, update_index
from index.disk import (
    SCHEMA_VERSION,
    BuildSettings,
    Index,
    IndexStoreError,
    current_version,
    read_index,
    remove_leftovers,
    writer_lock,
)
from index.documents import load_documents
from tests.conftest import FakeEncoder


def test_index_round_trips(tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings) -> None:
    documents = load_documents(seeds_copy)
    built = update_index(tmp_path, documents, fake_settings, FakeEncoder())
    loaded = read_index(tmp_path, model=fake_settings.model)
    assert loaded.passages == built.passages
    assert loaded.manifest == built.manifest
    assert loaded.dense.vectors() == pytest.approx(built.dense.vectors())
    version = current_version(tmp_path)
    assert version is not None
    names = {p.name for p in version.iterdir()}
    assert {"manifest.json", "documents.jsonl", "passages.jsonl", "dense.faiss", "lexical"} <= names
    assert {"sentences.npy", "titles.npy"} <= names
    assert np.array_equal(loaded.title_vectors, built.title_vectors)
    assert loaded.title_vectors.shape == (len(documents), FakeEncoder.dimension)
    assert not list(version.rglob("*.pkl"))
    assert is_current(tmp_path, documents, fake_settings)


def test_rebuild_embeds_only_changed_documents(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    (seeds_copy / "other.txt").write_text("A second story.\n\nIt has two paragraphs.", "utf-8")
    encoder = FakeEncoder()
    first = update_index(tmp_path, load_documents(seeds_copy), fake_settings, encoder)
    embedded_first = sum(encoder.calls)

    encoder.calls.clear()
    (seeds_copy / "other.txt").write_text("A changed story.", "utf-8")
    second = update_index(tmp_path, load_documents(seeds_copy), fake_settings, encoder)
    changed = [p for p in second.passages if p.doc_id == "other"]
    title = 1 if second.documents["other"].title else 0
    assert sum(encoder.calls) == len(changed) + sum(len(p.sentences) for p in changed) + title
    assert sum(encoder.calls) < embedded_first
    unchanged = [p for p in first.passages if p.doc_id != "other"]
    assert [p for p in second.passages if p.doc_id != "other"] == unchanged
    # Unchanged documents keep their title vectors; titles stay in document order.
    rows = {doc_id: n for n, doc_id in enumerate(second.documents)}
    for doc_id, n in zip(first.documents, range(len(first.documents)), strict=True):
        if doc_id != "other":
            assert np.array_equal(second.title_vectors[rows[doc_id]], first.title_vectors[n])
    assert second.title_vectors.shape == (len(second.documents), FakeEncoder.dimension)


def test_model_mismatch_is_refused_with_the_fix(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    update_index(tmp_path, load_documents(seeds_copy), fake_settings, FakeEncoder())
    with pytest.raises(IndexStoreError, match="sayso build"):
        read_index(tmp_path, model="another-model")


def test_schema_mismatch_is_refused(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    update_index(tmp_path, load_documents(seeds_copy), fake_settings, FakeEncoder())
    version = current_version(tmp_path)
    assert version is not None
    manifest = version / "manifest.json"
    manifest.write_text(
        manifest.read_text().replace(
            f'"schema_version": {SCHEMA_VERSION}', f'"schema_version": {SCHEMA_VERSION + 1}'
        )
    )
    with pytest.raises(IndexStoreError, match="schema"):
        read_index(tmp_path)
    assert not is_current(tmp_path, load_documents(seeds_copy), fake_settings)


def test_settings_change_makes_the_index_stale(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    documents = load_documents(seeds_copy)
    update_index(tmp_path, documents, fake_settings, FakeEncoder())
    assert not is_current(tmp_path, documents, replace(fake_settings, max_words=60))


def test_vectors_of_another_encoder_precision_are_re_embedded(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    documents = load_documents(seeds_copy)
    update_index(tmp_path, documents, fake_settings, FakeEncoder())
    int8 = replace(fake_settings, quantized=not fake_settings.quantized)
    assert not is_current(tmp_path, documents, int8)
    encoder = FakeEncoder()
    rebuilt = update_index(tmp_path, documents, int8, encoder)
    assert sum(encoder.calls) >= len(rebuilt.passages)  # nothing reused across precisions


@pytest.mark.parametrize("name", ["passages.jsonl", "dense.faiss", "manifest.json"])
def test_damaged_files_are_named(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings, name: str
) -> None:
    update_index(tmp_path, load_documents(seeds_copy), fake_settings, FakeEncoder())
    version = current_version(tmp_path)
    assert version is not None
    target = version / name
    target.write_bytes(target.read_bytes()[: len(target.read_bytes()) // 2])
    with pytest.raises(IndexStoreError, match="rebuild"):
        read_index(tmp_path)


def test_missing_index_says_how_to_build(tmp_path: Path) -> None:
    with pytest.raises(IndexStoreError, match="sayso build"):
        read_index(tmp_path / "nothing")


def test_title_context_and_no_sentence_vectors(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    from index.search import Searcher

    settings = replace(fake_settings, title_context=True, sentence_vectors=False)
    encoder = FakeEncoder()
    built = update_index(tmp_path, load_documents(seeds_copy), settings, encoder)
    assert sum(encoder.calls) == len(built.passages)
    assert built.sentence_vectors.shape == (0, FakeEncoder.dimension)
    assert built.title_vectors.shape == (0, FakeEncoder.dimension)
    loaded = read_index(tmp_path)
    hit = Searcher(loaded, encoder).search("venture capital", k=1).hits[0]
    assert (
        hit.highlights
        and "venture capital"
        in loaded.documents[hit.passage.doc_id].text[hit.highlights[0][0] : hit.highlights[0][1]]
    )


def test_speaker_context_is_indexed_but_never_returned(
    fake_index: Index, fake_settings: BuildSettings
) -> None:
    from index.build import indexed_text
    from index.quotes.links import speaker_contexts

    contexts = speaker_contexts(fake_index.passages, fake_index.quotes)
    he_stressed = next(p for p in fake_index.passages if p.text.startswith("He stressed"))
    assert contexts[he_stressed.id].startswith("Huang Hanquan, head of the Chinese Academy")
    text = indexed_text(he_stressed, fake_index.documents, fake_settings, contexts)
    assert text.startswith("Huang Hanquan") and text.endswith(he_stressed.text)
    off = replace(fake_settings, speaker_context=False)
    assert indexed_text(he_stressed, fake_index.documents, off, contexts) == he_stressed.text
    document = fake_index.documents[he_stressed.doc_id]
    assert document.text[he_stressed.start : he_stressed.end] == he_stressed.text


def test_leftovers_of_killed_writers_are_removed_unless_a_writer_is_at_work(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    update_index(tmp_path, load_documents(seeds_copy), fake_settings, FakeEncoder())
    half_written = tmp_path / ".tmp-20260101T000000-dead"
    half_written.mkdir()
    (half_written / "passages.jsonl").write_text("{}\n")
    pointer = tmp_path / ".CURRENT-dead"
    pointer.write_text("nothing\n")
    with writer_lock(tmp_path):  # a writer at work: its files are not leftovers
        remove_leftovers(tmp_path)
        assert half_written.is_dir() and pointer.is_file()
    remove_leftovers(tmp_path)
    assert not half_written.exists() and not pointer.exists()
    assert read_index(tmp_path, model=fake_settings.model).passages  # the live version stays
    remove_leftovers(tmp_path / "missing")  # no index yet: nothing to do, no error


def test_index_from_other_quote_rules_extracts_again_and_re_embeds_changed_speaker_lines(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings
) -> None:
    documents = load_documents(seeds_copy)
    older = replace(fake_settings, quote_rules=fake_settings.quote_rules - 1)
    first = update_index(tmp_path, documents, older, FakeEncoder())
    # what older rules might have said: another name for one speaker
    quotes_file = first.path / "quotes.jsonl"
    rows = [json.loads(line) for line in quotes_file.read_text("utf-8").splitlines()]
    renamed = rows[0]["speaker"]["name"]
    for row in rows:
        if row["speaker"]["name"] == renamed:
            row["speaker"]["name"] = "Someone Else"
    quotes_file.write_text("".join(json.dumps(r) + "\n" for r in rows), "utf-8")
    assert not is_current(tmp_path, documents, fake_settings)

    encoder = FakeEncoder()
    second = update_index(tmp_path, documents, fake_settings, encoder)
    assert second.quotes == first.quotes  # extracted again, not the stored ones
    assert {q.speaker.name for q in second.quotes} >= {renamed}
    changed = [
        p
        for p in second.passages
        if any(
            q.speaker.name == renamed and p.start < q.end and q.start < p.end for q in second.quotes
        )
    ]
    assert changed and len(changed) < len(second.passages)
    assert sum(encoder.calls) == len(changed) + sum(len(p.sentences) for p in changed)
    assert is_current(tmp_path, documents, fake_settings)


@pytest.mark.parametrize(
    ("name", "damage"),
    [
        ("sentences.npy", lambda a: a[:, :-1]),
        ("sentences.npy", lambda a: a[:-1]),
        ("titles.npy", lambda a: np.vstack([a, a])),
        ("titles.npy", lambda a: a.astype(np.int64)),
        ("lexical/indptr.npy", lambda a: a[:-2]),
        ("lexical/indices.npy", lambda a: a + 10_000),
    ],
)
def test_arrays_of_the_wrong_shape_are_refused_at_load(
    tmp_path: Path, seeds_copy: Path, fake_settings: BuildSettings, name: str, damage: Any
) -> None:
    update_index(tmp_path, load_documents(seeds_copy), fake_settings, FakeEncoder())
    version = current_version(tmp_path)
    assert version is not None
    np.save(version / name, damage(np.load(version / name)), allow_pickle=False)
    with pytest.raises(IndexStoreError, match=r"damaged .*rebuild"):
        read_index(tmp_path)
