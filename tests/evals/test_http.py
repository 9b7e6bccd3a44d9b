"""Evaluating over HTTP gives the same runs as evaluating in-process."""

from __future__ import annotations

from fastapi.testclient import TestClient

from evals.datasets import load_questions
from evals.evaluation import evaluate
from evals.retrieval import HttpRetriever, LocalRetriever
from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL, ROOT

DEV = ROOT / "evals" / "data" / "dev_questions.jsonl"


def test_http_matches_in_process(fake_searcher: Searcher) -> None:
    data = load_questions(DEV)
    names = ["Success@1", "RR@10"]
    app = create_app(Settings(model=FAKE_MODEL), searcher=fake_searcher)
    with TestClient(app) as client:
        remote = evaluate(
            data, HttpRetriever("http://testserver", client=client), ["hybrid", "lexical"],
            k=20, metrics=names,
        )  # fmt: skip
    passages = {p.id: p.text for p in fake_searcher.index.passages}
    local = evaluate(
        data, LocalRetriever(fake_searcher), ["hybrid", "lexical"], k=20, metrics=names,
        passages=passages,
    )  # fmt: skip
    for there, here in zip(remote.modes, local.modes, strict=True):
        assert [d for d, _ in there.run["dev-001"]] == [d for d, _ in here.run["dev-001"]]
        assert there.metrics["RR@10"] == here.metrics["RR@10"]
    assert remote.index["index_id"] == fake_searcher.index.manifest.index_id
    assert remote.index["url"] == "http://testserver"
