"""Search over the seed index with the fake encoder: modes, ranks, highlights, filters."""

from __future__ import annotations

import pytest

from index.search import Searcher
from index.search.modes import MODES

BASE_MODES = [name for name, plan in MODES.items() if plan.needs is None]


@pytest.mark.parametrize("mode", BASE_MODES)
def test_ranks_scores_and_offsets(fake_searcher: Searcher, mode: str) -> None:
    result = fake_searcher.search("venture capital guidance fund", k=4, mode=mode)
    assert [hit.rank for hit in result.hits] == list(range(1, len(result.hits) + 1))
    scores = [hit.score for hit in result.hits]
    assert scores == sorted(scores, reverse=True)
    documents = fake_searcher.index.documents
    for hit in result.hits:
        text = documents[hit.passage.doc_id].text
        assert text[hit.passage.start : hit.passage.end] == hit.passage.text
        assert hit.highlights
        for start, end in hit.highlights:
            assert hit.passage.start <= start < end <= hit.passage.end
    assert "venture capital" in result.hits[0].passage.text


def test_hybrid_keeps_component_scores(fake_searcher: Searcher) -> None:
    result = fake_searcher.search("R&D expenditure 2024", k=3, mode="hybrid")
    top = result.hits[0]
    assert set(top.scores) == {"dense", "lexical"}
    assert -1.0 <= top.scores["dense"] <= 1.0
    assert top.scores["lexical"] > 0
    assert {"embed", "search", "total"} <= set(result.timings_ms)


def test_lexical_mode_does_not_embed(fake_searcher: Searcher) -> None:
    result = fake_searcher.search("Roland Berger", k=2, mode="lexical")
    assert "embed" not in result.timings_ms
    assert set(result.hits[0].scores) == {"lexical"}


def test_doc_filter(fake_searcher: Searcher) -> None:
    assert fake_searcher.search("innovation", k=5, doc_ids=["no-such-doc"]).hits == []
    doc_id = next(iter(fake_searcher.index.documents))
    hits = fake_searcher.search("innovation", k=5, mode="dense", doc_ids=[doc_id]).hits
    assert hits and all(h.passage.doc_id == doc_id for h in hits)


def test_k_larger_than_corpus(fake_searcher: Searcher) -> None:
    hits = fake_searcher.search("China", k=50, mode="dense").hits
    assert len(hits) == len(fake_searcher.index.passages)


def test_unknown_mode(fake_searcher: Searcher) -> None:
    with pytest.raises(ValueError, match="hybrid, dense, lexical"):
        fake_searcher.search("x", mode="semantic")


def test_quality_mode_and_answerability(fake_searcher: Searcher) -> None:
    result = fake_searcher.search("venture capital guidance fund", k=3, mode="quality")
    assert [h.rank for h in result.hits] == [1, 2, 3]
    assert result.answerability is not None
    assert 0.0 <= result.answerability.confidence <= 1.0
    assert fake_searcher.profile("quality")["feedback"]
    assert fake_searcher.profile("hybrid")["fusion"] == fake_searcher.fusion
    assert fake_searcher.search("Roland Berger", k=2, mode="lexical").answerability is None
