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


@pytest.fixture()
def separate_disks(
    tmp_path: Path, seeds_copy: Path
) -> Iterator[tuple[TestClient, TestClient, Path]]:
    """Two replicas that share nothing but the Qdrant engine: each has its own index
    directory, built from the seeds on its own. Qdrant's local mode on disk takes a file
    lock (one client per directory per machine), and no Qdrant server can be installed
    here (it is neither a Debian nor a PyPI package), so one in-process client stands in
    for the server, with one QdrantStore per replica as two connections would be."""
    from index.stores.qdrant import QdrantStore, connect

    client = connect(str(tmp_path / "qdrant"))
    encoder = FakeEncoder()
    apps = []
    for name in ("east", "west"):
        settings = Settings(
            index_dir=tmp_path / name,
            seeds_dir=seeds_copy,
            model=FAKE_MODEL,
            store="qdrant",
            store_location=str(tmp_path / "qdrant"),
        )
        index = update_index(
            settings.index_dir, load_documents(seeds_copy), BuildSettings(model=FAKE_MODEL), encoder
        )
        store = QdrantStore(client, collection="sayso", dimension=index.manifest.dimension)
        sync_store(store, index, keep_api=True)
        apps.append(
            TestClient(create_app(settings, Searcher(index, encoder, store=store)), **LOCAL)
        )
    with apps[0] as east, apps[1] as west:
        yield east, west, tmp_path


def test_replicas_on_separate_disks_share_writes_through_qdrant(
    separate_disks: tuple[TestClient, TestClient, Path],
) -> None:
    east, west, root = separate_disks
    assert east.get("/readyz").json()["store"] == {
        "kind": "qdrant",
        "location": str(root / "qdrant"),
    }
    before = west.get("/readyz").json()["documents"]
    assert east.post("/v1/documents", json=STORY).status_code == 201

    assert west.get("/readyz").json()["documents"] == before + 1
    assert west.get("/v1/documents/harbour-story").json()["text"] == STORY["text"]
    found = west.get("/v1/search", params={"q": "electric cranes harbour", "k": 1}).json()
    assert found["passages"][0]["doc_id"] == "harbour-story"
    # west's own directory now holds the document, as an API document
    assert "harbour-story" in read_index(root / "west").manifest.api_documents

    assert west.delete("/v1/documents/harbour-story").status_code == 200
    assert east.get("/readyz").json()["documents"] == before
    assert east.get("/v1/documents/harbour-story").status_code == 404


def test_a_replica_starting_from_the_seeds_keeps_the_others_documents(
    tmp_path: Path, seeds_copy: Path
) -> None:
    """A new replica syncs its seed index into the store without deleting API documents it
    has not seen; it adopts them from the store on its first request."""
    from index.stores.qdrant import QdrantStore, connect

    client = connect(":memory:")
    encoder = FakeEncoder()
    build = BuildSettings(model=FAKE_MODEL)
    first = update_index(tmp_path / "a", load_documents(seeds_copy), build, encoder)
    store = QdrantStore(client, collection="sayso", dimension=first.manifest.dimension)
    sync_store(store, first)
    settings = Settings(index_dir=tmp_path / "a", model=FAKE_MODEL, store="qdrant")
    with TestClient(create_app(settings, Searcher(first, encoder, store=store)), **LOCAL) as a:
        assert a.post("/v1/documents", json=STORY).status_code == 201

    fresh = update_index(tmp_path / "b", load_documents(seeds_copy), build, encoder)
    assert sync_store(store, fresh, keep_api=True) == (0, 0)
    later = Settings(index_dir=tmp_path / "b", model=FAKE_MODEL, store="qdrant")
    with TestClient(create_app(later, Searcher(fresh, encoder, store=store)), **LOCAL) as b:
        assert b.get("/v1/documents/harbour-story").status_code == 200
