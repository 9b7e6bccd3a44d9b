"""Replicas: several app processes over one index directory and one store agree after a write."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.build import update_index
from index.disk import BuildSettings, read_index
from index.documents import load_documents
from index.search import Searcher
from index.stores.registry import StoreConfig, open_store, sync_store
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL, FakeEncoder
from tests.service.test_writes import LOCAL, STORY


@pytest.fixture(params=["faiss", "qdrant"])
def replicas(
    request: pytest.FixtureRequest, tmp_path: Path, seeds_copy: Path
) -> Iterator[tuple[TestClient, TestClient]]:
    """Two apps, as two replicas would be: each loaded the index on its own; with Qdrant
    they share one store (one in-memory client stands in for the server)."""
    settings = Settings(
        index_dir=tmp_path / "index",
        seeds_dir=seeds_copy,
        model=FAKE_MODEL,
        store=request.param,
    )
    encoder = FakeEncoder()
    index = update_index(
        settings.index_dir, load_documents(seeds_copy), BuildSettings(model=FAKE_MODEL), encoder
    )
    store = None
    if request.param == "qdrant":
        store = open_store(StoreConfig(name="qdrant", location=":memory:"), index)
        sync_store(store, index)

    def replica() -> TestClient:
        loaded = read_index(settings.index_dir, model=FAKE_MODEL)
        return TestClient(create_app(settings, Searcher(loaded, encoder, store=store)), **LOCAL)

    with replica() as first, replica() as second:
        yield first, second


def test_a_write_on_one_replica_is_served_by_the_other(
    replicas: tuple[TestClient, TestClient],
) -> None:
    first, second = replicas
    before = second.get("/readyz").json()["documents"]
    assert first.post("/v1/documents", json=STORY).status_code == 201

    assert second.get("/readyz").json()["documents"] == before + 1
    listed = {d["id"] for d in second.get("/v1/documents").json()["documents"]}
    assert "harbour-story" in listed
    assert second.get("/v1/documents/harbour-story").status_code == 200
    found = second.get("/v1/search", params={"q": "electric cranes harbour", "k": 1})
    assert found.status_code == 200, found.text
    assert found.json()["passages"][0]["doc_id"] == "harbour-story"

    assert second.delete("/v1/documents/harbour-story").status_code == 200
    assert first.get("/readyz").json()["documents"] == before
    assert first.get("/v1/documents/harbour-story").status_code == 404
    hits = first.get("/v1/search", params={"q": "electric cranes harbour", "k": 3}).json()
    assert all(p["doc_id"] != "harbour-story" for p in hits["passages"])
