"""Mode `cascade`: ColBERT re-orders the fused head, a cross-encoder re-reads it when unsure."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from index.disk import Index
from index.search import Searcher
from index.search.late import LateModel
from index.search.modes import (
    CASCADE_DEPTH,
    CASCADE_GATE,
    DEFAULT_MODE,
    MODES,
    Plan,
    Reorder,
    get_plan,
)
from index.search.rerank import RerankModel
from index.search.second import embedded_texts
from service.limits import resolve_mode
from service.settings import Settings, SettingsError, load_settings
from tests.conftest import LEAN_PROFILE, FakeEncoder
from tests.index.search.test_late import HashTokens
from tests.index.search.test_rerank import FakeReranker

QUESTION = "new quality productive forces"


class Contrary:
    """A late-interaction stand-in that ranks the fused list upside down (the fused list's
    best passage gets the lowest MaxSim): what a cascade must not lose unread."""

    def __init__(self, order: Sequence[str]) -> None:
        self.rank = {text: i for i, text in enumerate(order)}

    def encode_query(self, text: str) -> np.ndarray:
        return np.ones((1, 1), dtype=np.float32)

    def encode_passages(self, texts: Sequence[str]) -> list[np.ndarray]:
        return [np.array([[float(self.rank.get(t, 0))]], dtype=np.float32) for t in texts]


def searcher(index: Index, reranker: FakeReranker, late: LateModel | None = None) -> Searcher:
    return Searcher(
        index,
        FakeEncoder(),
        late=late or LateModel("fake", HashTokens(), None),
        reranker=RerankModel("fake-cross-encoder", reranker),
    )


def gated(gate: float) -> Plan:
    plan = get_plan("cascade")
    late, cross = plan.reorder
    return replace(plan, reorder=(late, replace(cross, gate=gate)))


def test_cascade_needs_both_models_and_gates_only_a_later_stage() -> None:
    plan = get_plan("cascade")
    assert plan.needs == "SAYSO_LATE_MODEL and SAYSO_RERANKER"
    assert [s.model for s in plan.reorder] == ["late-interaction", "cross-encoder"]
    assert plan.reorder[1].gate == CASCADE_GATE and plan.reorder[1].depth == CASCADE_DEPTH
    with pytest.raises(ValueError, match="only a later stage"):
        Plan("bad", "gated first stage", reorder=(Reorder("cross-encoder", gate=0.1),))


def test_a_sure_late_stage_skips_the_cross_encoder(fake_index: Index) -> None:
    reranker = FakeReranker()
    engine = searcher(fake_index, reranker)
    late = engine.search(QUESTION, k=5, mode="late")
    result = engine.search(QUESTION, k=5, mode=gated(0.0))  # never unsure enough
    assert reranker.calls == []
    assert "late" in result.timings_ms and "rerank" not in result.timings_ms
    assert [h.passage.id for h in result.hits] == [h.passage.id for h in late.hits]
    assert [h.score for h in result.hits] == [h.score for h in late.hits]


def test_an_unsure_late_stage_calls_the_cross_encoder_on_both_heads(fake_index: Index) -> None:
    texts = dict(zip([p.id for p in fake_index.passages], embedded_texts(fake_index), strict=True))
    plain = searcher(fake_index, FakeReranker())
    fused = [h.passage.id for h in plain.search(QUESTION, k=10, mode="hybrid").hits]
    # MaxSim ranks the fused list upside down: the fused top 3 fall out of ColBERT's top 3.
    contrary = LateModel("contrary", Contrary([texts[i] for i in fused]), None, weight=1.0)
    reranker = FakeReranker()
    engine = searcher(fake_index, reranker, late=contrary)
    late_order = [h.passage.id for h in engine.search(QUESTION, k=10, mode="late").hits]
    result = engine.search(QUESTION, k=10, mode=gated(2.0))  # always unsure enough
    (read,) = reranker.calls
    wanted = set(late_order[:CASCADE_DEPTH]) | set(fused[:CASCADE_DEPTH])
    assert len(wanted) == 2 * CASCADE_DEPTH
    assert sorted(read) == sorted(texts[i] for i in wanted)
    assert "rerank" in result.timings_ms
    head = result.hits[: len(wanted)]
    assert {h.passage.id for h in head} == wanted and all("rerank" in h.scores for h in head)
    assert all("rerank" not in h.scores for h in result.hits[len(wanted) :])
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)


def test_cascade_profile_names_both_stages(fake_index: Index) -> None:
    profile = searcher(fake_index, FakeReranker()).profile("cascade")
    assert profile["late"] == {"depth": 10, "weight": 0.8, "text": "embedded"}
    assert profile["rerank"] == {
        "depth": CASCADE_DEPTH,
        "weight": 0.8,
        "text": "embedded",
        "gate": CASCADE_GATE,
    }


def test_the_default_profile_has_the_cascade_and_its_models(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    for name in LEAN_PROFILE:
        monkeypatch.delenv(name, raising=False)
    settings = Settings()
    assert settings.mode == "cascade" == DEFAULT_MODE
    assert settings.late_model == "answerai-colbert-small-v1"
    assert settings.reranker == "ms-marco-MiniLM-L-12-v2"
    monkeypatch.setenv("SAYSO_RERANKER", "")
    with pytest.raises(SettingsError, match="SAYSO_MODE=cascade needs SAYSO_RERANKER"):
        load_settings()
    monkeypatch.setenv("SAYSO_MODE", "hybrid")  # needs no extra model
    assert load_settings().mode == "hybrid"


def test_rerank_false_drops_the_cross_encoder() -> None:
    engine = type("S", (), {"modes": list(MODES)})()
    assert resolve_mode("cascade", False, engine) == "late"
    assert resolve_mode("rerank", False, engine) == "hybrid"
    assert resolve_mode("cascade", True, engine) == "rerank"
    assert resolve_mode("cascade", None, engine) == "cascade"


def test_cascade_orders_the_same_over_qdrant(fake_index: Index) -> None:
    from index.stores.registry import StoreConfig, open_store, sync_store

    store = open_store(StoreConfig(name="qdrant", location=":memory:"), fake_index)
    sync_store(store, fake_index)
    late = LateModel("fake", HashTokens(), None)
    reranker = RerankModel("fake-cross-encoder", FakeReranker())
    local = Searcher(fake_index, FakeEncoder(), late=late, reranker=reranker)
    remote = Searcher(fake_index, FakeEncoder(), store=store, late=late, reranker=reranker)
    for question in ("new quality productive forces", "What did Huang Hanquan say?"):
        left = local.search(question, k=5, mode=gated(2.0))
        right = remote.search(question, k=5, mode=gated(2.0))
        assert [h.passage.id for h in left.hits] == [h.passage.id for h in right.hits]
        assert [h.scores.get("rerank") for h in left.hits] == [
            h.scores.get("rerank") for h in right.hits
        ]
