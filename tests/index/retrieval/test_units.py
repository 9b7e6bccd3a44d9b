"""Best-unit dense scores (index/units.py): the mix, the segment max, and the stores' use."""

from __future__ import annotations

import numpy as np
import pytest

from index.disk import Index
from index.retrieval.units import best_unit_ranking, segment_max
from index.search import Searcher
from tests.conftest import FakeEncoder


def test_best_unit_ranking_mixes_passage_and_best_unit() -> None:
    keys = [7, 3, 5]
    passage = np.array([0.5, 0.6, 0.4])
    best = np.array([0.9, 0.6, -np.inf])  # key 5 has no units: its passage cosine stands
    ranking = best_unit_ranking(keys, passage, best, weight=0.7, depth=3)
    assert list(ranking) == [7, 3, 5]
    assert ranking[7] == pytest.approx(0.3 * 0.5 + 0.7 * 0.9)
    assert ranking[5] == pytest.approx(0.4)
    assert list(best_unit_ranking(keys, passage, best, weight=0.0, depth=3)) == [3, 7, 5]
    assert list(best_unit_ranking(keys, passage, best, weight=0.7, depth=1)) == [7]


def test_best_unit_ranking_breaks_ties_by_key() -> None:
    ranking = best_unit_ranking([9, 2, 4], np.full(3, 0.5), np.full(3, 0.5), 0.7, 3)
    assert list(ranking) == [2, 4, 9]


def test_segment_max_handles_empty_segments() -> None:
    values = np.array([0.1, 0.4, 0.2, 0.9])
    best = segment_max(values, np.array([2, 0, 1, 1]))
    assert best.tolist() == [0.4, -np.inf, 0.2, 0.9]
    assert segment_max(np.array([]), np.array([0, 0])).tolist() == [-np.inf, -np.inf]


def brute_force(index: Index, query: np.ndarray, weight: float) -> list[int]:
    """Every passage row by (1 - w) * cos(passage) + w * max(cos(sentence), cos(title))."""
    titles = dict(zip(index.documents, index.title_vectors, strict=True))
    row = 0
    scores = []
    for n, passage in enumerate(index.passages):
        sentences = index.sentence_vectors[row : row + len(passage.sentences)]
        row += len(passage.sentences)
        units = [*(sentences @ query), float(titles[passage.doc_id] @ query)]
        scores.append((1 - weight) * float(index.dense.vectors()[n] @ query) + weight * max(units))
    return sorted(range(len(scores)), key=lambda n: (-scores[n], n))


@pytest.mark.parametrize("weight", [0.0, 0.3, 0.7, 1.0])
def test_dense_mode_ranks_by_the_best_unit_mix(fake_index: Index, weight: float) -> None:
    assert len(fake_index.title_vectors) == len(fake_index.documents)
    assert fake_index.title_vectors.any(axis=1).all()  # the seed articles have titles
    searcher = Searcher(fake_index, FakeEncoder(), unit_weight=weight)
    for question in ("venture capital guidance fund", "What did the TCL chairman say?"):
        hits = searcher.search(question, k=10, mode="dense").hits
        expected = brute_force(fake_index, searcher.embed(question), weight)[:10]
        assert [fake_index.passages.index(h.passage) for h in hits] == expected
        # the reported dense score stays the passage's own cosine
        vectors = fake_index.dense.vectors()
        for hit in hits:
            row = fake_index.passages.index(hit.passage)
            cosine = float(vectors[row] @ searcher.embed(question))
            assert hit.scores["dense"] == pytest.approx(cosine, abs=1e-5)


def test_profile_reports_the_unit_weight(fake_index: Index) -> None:
    assert (
        Searcher(fake_index, FakeEncoder(), unit_weight=0.4).profile("hybrid")["unit_weight"] == 0.4
    )


def test_qdrant_mixes_the_same_units_as_the_embedded_store(fake_index: Index) -> None:
    """Both stores read each candidate's sentences and its document's title."""
    from index.retrieval.fusion import minmax
    from index.stores import StoreQuery
    from index.stores.embedded import EmbeddedStore
    from index.stores.registry import sync_store
    from tests.index.stores.test_stores import qdrant_store

    qdrant = qdrant_store(fake_index)
    sync_store(qdrant, fake_index)
    embedded = EmbeddedStore(fake_index)
    query = FakeEncoder().encode(["national venture capital guidance fund"])[0]
    store_query = StoreQuery(
        text="fund", vector=query, lexical=False, k=10, depth=10, fuse=minmax, unit_weight=0.7
    )
    rows = {p.id: n for n, p in enumerate(fake_index.passages)}
    expected = brute_force(fake_index, query, 0.7)[:10]
    for store in (embedded, qdrant):
        hits = store.search(store_query)
        assert [rows[h.passage.id] for h in hits] == expected, store.engine
    qdrant.client.close()
