"""Document writes: add, replace, delete; atomic swaps under concurrent reads; keys; persistence."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.build import update_index
from index.disk import BuildSettings, read_index
from index.documents import load_documents
from index.search import Searcher
from service.app import create_app
from service.indexing import open_index
from service.settings import Settings
from tests.conftest import FAKE_MODEL, SEED_ID, FakeEncoder

LOCAL: dict[str, Any] = {"base_url": "http://127.0.0.1", "client": ("127.0.0.1", 50000)}
"""A caller on this machine: writes without a key are accepted only from one."""

STORY = {
    "id": "harbour-story",
    "title": "Harbour cranes",
    "source": "Test Wire",
    "text": "The harbour bought twelve electric cranes.\n\nDock workers said the cranes "
    "are quieter and cut diesel use by half.",
}


@pytest.fixture()
def settings(tmp_path: Path, seeds_copy: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", seeds_dir=seeds_copy, model=FAKE_MODEL)


@pytest.fixture()
def encoder() -> FakeEncoder:
    return FakeEncoder()


def make_client(settings: Settings, encoder: FakeEncoder) -> TestClient:
    index = update_index(
        settings.index_dir,
        load_documents(settings.seeds_dir),
        BuildSettings(model=FAKE_MODEL),
        encoder,
    )
    return TestClient(create_app(settings, Searcher(index, encoder)), **LOCAL)


@pytest.fixture()
def client(settings: Settings, encoder: FakeEncoder) -> Iterator[TestClient]:
    with make_client(settings, encoder) as test_client:
        yield test_client


def test_add_replace_unchanged_delete(client: TestClient, encoder: FakeEncoder) -> None:
    created = client.post("/v1/documents", json=STORY)
    assert created.status_code == 201, created.text
    assert created.json()["status"] == "created" and created.json()["documents"] == 2
    hits = client.get("/v1/search", params={"q": "electric cranes harbour", "k": 1}).json()
    assert hits["passages"][0]["doc_id"] == "harbour-story"

    encoder.calls.clear()
    changed = dict(STORY, text="The harbour bought twenty electric cranes.")
    replaced = client.post("/v1/documents", json=changed)
    assert replaced.status_code == 200 and replaced.json()["status"] == "replaced"
    assert sum(encoder.calls) <= 3  # the one changed passage and its sentences, nothing else
    assert "twenty" in client.get("/v1/documents/harbour-story").json()["text"]

    same = client.post("/v1/documents", json=changed)
    assert same.status_code == 200 and same.json()["status"] == "unchanged"

    deleted = client.delete("/v1/documents/harbour-story")
    assert deleted.status_code == 200 and deleted.json()["status"] == "deleted"
    assert client.get("/v1/documents/harbour-story").status_code == 404
    assert client.delete("/v1/documents/harbour-story").json()["error"]["code"] == (
        "document_not_found"
    )


def test_the_last_document_cannot_be_deleted(client: TestClient) -> None:
    response = client.delete(f"/v1/documents/{SEED_ID}")
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "last_document"


@pytest.mark.parametrize(
    "body",
    [
        {"id": "../etc/passwd", "text": "x"},
        {"id": "ok", "text": "   "},
        {"id": "ok", "text": "nul\x00"},
        {"id": "ok"},
        {"id": "ok", "text": "fine", "extra": 1},
        {"id": "ok", "text": 5},
    ],
)
def test_bad_documents_are_422(client: TestClient, body: dict[str, object]) -> None:
    response = client.post("/v1/documents", json=body)
    assert response.status_code == 422, response.text
    assert response.json()["error"]["details"]


def test_writes_are_durable_and_survive_a_rebuild_from_seeds(
    client: TestClient, settings: Settings
) -> None:
    assert client.post("/v1/documents", json=STORY).status_code == 201
    on_disk = read_index(settings.index_dir, model=FAKE_MODEL)
    assert "harbour-story" in on_disk.documents
    assert on_disk.manifest.api_documents == ["harbour-story"]
    # A restart (or `sayso build`) from seeds keeps what the API added...
    kept = open_index(settings, FakeEncoder(), force=True).index
    assert set(kept.documents) == {SEED_ID, "harbour-story"}
    # ...unless asked to index exactly the seeds.
    reset = open_index(settings, FakeEncoder(), reset=True).index
    assert set(reset.documents) == {SEED_ID}


def test_reads_during_updates_all_succeed(client: TestClient) -> None:
    errors: list[str] = []
    stop = threading.Event()

    def read() -> None:
        while not stop.is_set():
            response = client.post("/v1/search", json={"question": "cranes innovation", "k": 5})
            if response.status_code != 200:
                errors.append(response.text)
                continue
            body = response.json()
            for passage in body["passages"]:
                doc = client.get(f"/v1/passages/{passage['id']}")
                # A passage served by one version may be gone in the next; never a 5xx.
                if doc.status_code not in (200, 404):
                    errors.append(doc.text)

    readers = [threading.Thread(target=read) for _ in range(3)]
    for thread in readers:
        thread.start()
    try:
        for n in range(6):
            story = dict(STORY, id=f"story-{n % 3}", text=f"Version {n}. " + STORY["text"])
            assert client.post("/v1/documents", json=story).status_code in (200, 201)
        assert client.delete("/v1/documents/story-0").status_code == 200
    finally:
        stop.set()
        for thread in readers:
            thread.join()
    assert errors == []
    assert {d["id"] for d in client.get("/v1/documents").json()["documents"]} == {
        SEED_ID,
        "story-1",
        "story-2",
    }


def test_concurrent_writers_lose_nothing(client: TestClient, settings: Settings) -> None:
    def write(prefix: str) -> None:
        for n in range(3):
            story = dict(STORY, id=f"{prefix}-{n}", text=f"{prefix} {n}. " + STORY["text"])
            assert client.post("/v1/documents", json=story).status_code == 201

    writers = [threading.Thread(target=write, args=(p,)) for p in ("a", "b")]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    expected = {SEED_ID} | {f"{p}-{n}" for p in ("a", "b") for n in range(3)}
    assert {d["id"] for d in client.get("/v1/documents").json()["documents"]} == expected
    assert set(read_index(settings.index_dir).documents) == expected


def test_a_build_by_another_process_is_not_overwritten(
    client: TestClient, settings: Settings
) -> None:
    (settings.seeds_dir / "extra.txt").write_text("An extra seed story about ports.", "utf-8")
    open_index(settings, FakeEncoder())  # what `sayso build` does, behind the server's back
    assert client.post("/v1/documents", json=STORY).status_code == 201
    ids = {d["id"] for d in client.get("/v1/documents").json()["documents"]}
    assert ids == {SEED_ID, "extra", "harbour-story"}


def test_a_full_disk_is_507_and_leaves_no_partial_version(
    client: TestClient, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from index import disk

    real_save = disk.np.save

    def full(path: Any, *args: Any, **kwargs: Any) -> None:
        if str(path).endswith("titles.npy"):
            raise OSError(errno.ENOSPC, "No space left on device")
        real_save(path, *args, **kwargs)

    monkeypatch.setattr(disk.np, "save", full)
    response = client.post("/v1/documents", json=STORY)
    assert response.status_code == 507, response.text
    assert set(response.json()["error"]) == {"code", "message", "details"}
    assert response.json()["error"]["code"] == "insufficient_storage"
    assert not list(settings.index_dir.glob(".tmp-*"))
    monkeypatch.setattr(disk.np, "save", real_save)
    assert client.get("/v1/documents/harbour-story").status_code == 404
    assert client.post("/v1/documents", json=STORY).status_code == 201
