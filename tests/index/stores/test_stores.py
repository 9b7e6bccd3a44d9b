"""The store seam: the Qdrant store (embedded local mode) answers as the embedded default."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from index.build import build_index
from index.disk import BuildSettings, Index
from index.documents import make_document
from index.search import Searcher
from index.search.modes import MODES
from index.stores import StoreQuery
from index.stores.embedded import EmbeddedStore, records_of
from index.stores.qdrant import QdrantStore
from index.stores.registry import StoreConfig, open_store, sync_store
from service import wiring
from service.settings import Settings
from tests.conftest import ROOT, FakeEncoder

BASE_MODES = [name for name, plan in MODES.items() if plan.needs is None]

QUESTIONS = [
    "venture capital guidance fund",
    "R&D expenditure 2024",
    "What did Roland Berger say about innovation?",
    "new quality productive forces",
    "China",
    "zzz-no-such-term",
]


def qdrant_store(index: Index) -> QdrantStore:
    store = open_store(StoreConfig(name="qdrant", location=":memory:"), index)
    assert isinstance(store, QdrantStore)
    return store


@pytest.fixture(scope="module")
def qdrant_searcher(fake_index: Index) -> Iterator[Searcher]:
    store = qdrant_store(fake_index)
    assert sync_store(store, fake_index) == (len(fake_index.documents), 0)
    yield Searcher(fake_index, FakeEncoder(), store=store)
    store.client.close()


def same_results(a: Searcher, b: Searcher, question: str, **options: object) -> None:
    left = a.search(question, **options)  # type: ignore[arg-type]
    right = b.search(question, **options)  # type: ignore[arg-type]
    assert [h.passage for h in left.hits] == [h.passage for h in right.hits]
    assert [h.rank for h in left.hits] == [h.rank for h in right.hits]
    assert [h.highlights for h in left.hits] == [h.highlights for h in right.hits]
    for x, y in zip(left.hits, right.hits, strict=True):
        assert x.score == pytest.approx(y.score, rel=1e-5, abs=1e-6)
        assert x.scores.keys() == y.scores.keys()
        for name in x.scores:
            assert x.scores[name] == pytest.approx(y.scores[name], rel=1e-4, abs=1e-5)


@pytest.mark.parametrize("mode", BASE_MODES)
@pytest.mark.parametrize("question", QUESTIONS)
def test_qdrant_matches_embedded(
    fake_searcher: Searcher, qdrant_searcher: Searcher, mode: str, question: str
) -> None:
    same_results(fake_searcher, qdrant_searcher, question, k=8, mode=mode)


def test_doc_filter_matches(fake_searcher: Searcher, qdrant_searcher: Searcher) -> None:
    doc_id = next(iter(fake_searcher.index.documents))
    same_results(fake_searcher, qdrant_searcher, "innovation", k=5, doc_ids=[doc_id])
    assert qdrant_searcher.search("innovation", doc_ids=["no-such-doc"]).hits == []
    assert qdrant_searcher.search("innovation", doc_ids=[]).hits == []


def test_bm25_is_lucene_bm25(fake_index: Index, qdrant_searcher: Searcher) -> None:
    """Sparse vectors with the IDF modifier reproduce bm25s's Lucene BM25 to float precision."""
    for question in QUESTIONS[:4]:
        expected = fake_index.lexical.scores(question)
        hits = qdrant_searcher.search(question, k=len(fake_index.passages), mode="lexical").hits
        rows = {p.id: row for row, p in enumerate(fake_index.passages)}
        assert len(hits) == int((expected > 0).sum())
        for hit in hits:
            assert hit.scores["lexical"] == pytest.approx(expected[rows[hit.passage.id]], rel=1e-5)


def small_index(texts: dict[str, str]) -> Index:
    documents = [
        make_document(doc_id, text, title=doc_id.title()) for doc_id, text in texts.items()
    ]
    return build_index(documents, BuildSettings(model="fake"), FakeEncoder())


CORPUS = {
    "alpha": "The central bank raised rates. Inflation cooled slowly in the spring.",
    "beta": "A new battery factory opened in Hefei. It will employ two thousand workers.",
    "gamma": "Farmers reported a record harvest of rice. Prices fell in the autumn markets.",
}


def quoted(index: Index) -> list:  # type: ignore[type-arg]
    """Records of `index` with one quote attached to the first passage of "beta"."""
    records = records_of(index, list(index.documents))
    out = []
    for record in records:
        if record.document.id == "beta":
            passage = record.passages[0]
            start = record.document.text.index("It will")
            quote = {
                "id": "beta:q0",
                "doc_id": "beta",
                "passage_id": passage.id,
                "text": record.document.text[start : start + 32],
                "kind": "indirect",
                "start": start,
                "end": start + 32,
                "cue": "said",
                "speaker": {"name": "Li Wei", "title": "mayor", "organization": "Hefei"},
            }
            record = replace(record, quotes=((quote,),))
        out.append(record)
    return out


@pytest.fixture(params=["faiss", "qdrant"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[object]:
    index = small_index(CORPUS)
    if request.param == "faiss":
        from index.disk import write_index

        path = write_index(tmp_path, index)
        store: object = EmbeddedStore(replace(index, path=path), root=tmp_path)
    else:
        store = qdrant_store(index)
    store.upsert(quoted(index))  # type: ignore[attr-defined]
    yield store


def query(text: str, **options: object) -> StoreQuery:
    from index.retrieval.fusion import rrf

    vector = FakeEncoder().encode([text])[0]
    fields: dict[str, object] = {"vector": vector, "lexical": True, "k": 5, "depth": 100}
    return StoreQuery(text=text, fuse=rrf, **(fields | options))  # type: ignore[arg-type]


def test_quotes_round_trip_with_offsets(any_store: object) -> None:
    hits = any_store.search(query("battery factory workers"))  # type: ignore[attr-defined]
    top = hits[0]
    assert top.passage.doc_id == "beta"
    (quote,) = top.quotes
    text = CORPUS["beta"]
    assert text[quote["start"] : quote["end"]] == quote["text"]
    assert quote["speaker"]["name"] == "Li Wei"
    assert json.loads(json.dumps(quote)) == quote


def test_speaker_filter(any_store: object) -> None:
    hits = any_store.search(query("rates harvest", speaker="Li Wei"))  # type: ignore[attr-defined]
    assert [h.passage.doc_id for h in hits] == ["beta"]
    assert any_store.search(query("rates", speaker="Nobody")) == []  # type: ignore[attr-defined]


def test_upsert_replaces_and_delete_removes(any_store: object) -> None:
    store = any_store
    before = store.stats()  # type: ignore[attr-defined]
    assert (before.documents, before.quotes) == (3, 1)
    changed = small_index(
        {**CORPUS, "gamma": "Fishermen landed a record catch. Fish prices fell at the port."}
    )
    store.upsert(records_of(changed, ["gamma"]))  # type: ignore[attr-defined]
    hits = store.search(query("fishermen catch", lexical=True, vector=None))  # type: ignore[attr-defined]
    assert hits[0].passage.doc_id == "gamma" and "Fishermen" in hits[0].passage.text
    assert not store.search(query("harvest rice", vector=None))  # type: ignore[attr-defined]
    assert store.delete("gamma") is True  # type: ignore[attr-defined]
    assert store.delete("gamma") is False  # type: ignore[attr-defined]
    after = store.stats()  # type: ignore[attr-defined]
    assert (after.documents, after.passages) == (2, before.passages - 1)
    assert all(h.passage.doc_id != "gamma" for h in store.search(query("prices")))  # type: ignore[attr-defined]


def test_sync_writes_only_changed_documents(fake_index: Index) -> None:
    store = qdrant_store(fake_index)
    assert sync_store(store, fake_index) == (len(fake_index.documents), 0)
    assert sync_store(store, fake_index) == (0, 0)
    assert store.stats().passages == len(fake_index.passages)
    # quotes from other extraction rules, passages cut to another length: every document
    # is written again
    for change in ({"quote_rules": fake_index.settings.quote_rules + 1}, {"max_words": 60}):
        settings = replace(fake_index.settings, **change)
        changed = replace(
            fake_index, manifest=replace(fake_index.manifest, settings=settings.to_json())
        )
        assert sync_store(store, changed) == (len(fake_index.documents), 0)
        assert sync_store(store, changed) == (0, 0)


def test_unknown_store_lists_choices(fake_index: Index) -> None:
    with pytest.raises(ValueError, match="faiss, qdrant"):
        open_store(StoreConfig(name="cassandra"), fake_index)


def test_settings_select_the_store(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAYSO_STORE", "qdrant")
    monkeypatch.setenv("SAYSO_STORE_LOCATION", str(tmp_path / "q"))
    config = wiring.store_config(Settings())
    assert (config.name, config.location) == ("qdrant", str(tmp_path / "q"))
    monkeypatch.setenv("SAYSO_STORE", "cassandra")
    with pytest.raises(ValueError, match="faiss"):
        Settings()


def test_hnsw_above_threshold(fake_index: Index) -> None:
    from index.retrieval.dense import DenseIndex

    vectors = fake_index.dense.vectors()
    assert DenseIndex.from_vectors(vectors).kind == "flat"
    approximate = DenseIndex.from_vectors(vectors, exact_max=len(vectors) - 1)
    assert approximate.kind == "hnsw"
    rows, _ = approximate.search(vectors[3], 1)
    assert rows[0] == 3


@pytest.mark.model
def test_dev_set_parity_real_model(real_index: Index, real_searcher: Searcher) -> None:
    """On the development questions, Qdrant's Hit@1, Hit@3 and MRR@10 are within one
    question of the embedded default's, in every mode."""
    store = qdrant_store(real_index)
    sync_store(store, real_index)
    engine = Searcher(real_index, real_searcher.encoder, store=store)
    questions = [
        json.loads(line)
        for line in (ROOT / "evals/data/dev_questions.jsonl").read_text().splitlines()
    ]
    for mode in BASE_MODES:
        default, qdrant = (dev_metrics(s, questions, mode) for s in (real_searcher, engine))
        n = len(questions)
        assert abs(default["hit@1"] - qdrant["hit@1"]) * n <= 1, (mode, default, qdrant)
        assert abs(default["hit@3"] - qdrant["hit@3"]) * n <= 1, (mode, default, qdrant)
        assert abs(default["mrr@10"] - qdrant["mrr@10"]) * n <= 1, (mode, default, qdrant)
    store.client.close()


def dev_metrics(
    searcher: Searcher, questions: list[dict[str, object]], mode: str
) -> dict[str, float]:
    """Hit@1, Hit@3, MRR@10: a passage is relevant when it contains an answer string."""
    hit1 = hit3 = mrr = 0.0
    for row in questions:
        answers = [str(a).lower() for a in row["answers"]]  # type: ignore[attr-defined]
        hits = searcher.search(str(row["question"]), k=10, mode=mode).hits
        first = next(
            (h.rank for h in hits if any(a in h.passage.text.lower() for a in answers)), None
        )
        if first is not None:
            hit1 += first == 1
            hit3 += first <= 3
            mrr += 1.0 / first
    n = len(questions)
    return {"hit@1": hit1 / n, "hit@3": hit3 / n, "mrr@10": mrr / n}
