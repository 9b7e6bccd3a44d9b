"""The HTTP API in-process: health, search (POST and GET), documents, passages."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL


@pytest.fixture(scope="module")
def client(fake_searcher: Searcher) -> Iterator[TestClient]:
    app = create_app(Settings(model=FAKE_MODEL), searcher=fake_searcher)
    with TestClient(app) as test_client:
        yield test_client


def test_health_and_ready(client: TestClient, fake_searcher: Searcher) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    body = ready.json()
    assert body["passages"] == len(fake_searcher.index.passages)
    assert body["documents"] == 1
    assert body["index_id"] == fake_searcher.index.manifest.index_id
    assert {"model", "built_at"} <= set(body)
    assert "quality" in body["modes"]
    assert body["profile"]["fusion"] == body["fusion"]
    assert "build" in body["profile"]


def test_post_search_shape_and_offsets(client: TestClient) -> None:
    response = client.post("/v1/search", json={"question": "venture capital fund", "k": 3})
    assert response.status_code == 200
    body = response.json()
    assert body["question"] == "venture capital fund"
    assert len(body["passages"]) == 3
    assert isinstance(body["answerable"], bool)
    assert 0.0 <= body["confidence"] <= 1.0
    for quote in body["quotes"]:
        assert any(quote["id"] in p["quote_ids"] for p in body["passages"])
    doc = client.get(f"/v1/documents/{body['passages'][0]['doc_id']}").json()
    for rank, passage in enumerate(body["passages"], start=1):
        assert passage["rank"] == rank
        assert doc["text"][passage["start"] : passage["end"]] == passage["text"]
        for span in passage["highlights"]:
            assert passage["start"] <= span["start"] < span["end"] <= passage["end"]
        assert set(passage["scores"]) == {"dense", "lexical"}
    assert {"embed", "search", "total"} <= set(body["timings_ms"])


def test_get_search_matches_post(client: TestClient) -> None:
    got = client.get("/v1/search", params={"q": "R&D expenditure", "k": 2, "mode": "lexical"})
    posted = client.post(
        "/v1/search", json={"question": "R&D expenditure", "k": 2, "mode": "lexical"}
    )
    assert got.status_code == posted.status_code == 200
    assert [p["id"] for p in got.json()["passages"]] == [p["id"] for p in posted.json()["passages"]]


def test_doc_ids_filter(client: TestClient) -> None:
    body = client.post("/v1/search", json={"question": "innovation", "doc_ids": ["nope"]}).json()
    assert body["passages"] == []


def test_documents_and_passages(client: TestClient) -> None:
    listing = client.get("/v1/documents").json()["documents"]
    assert [d["id"] for d in listing] == ["china-daily-new-quality-productive-forces"]
    assert listing[0]["source"] == "China Daily"
    doc = client.get(f"/v1/documents/{listing[0]['id']}").json()
    assert len(doc["passages"]) == listing[0]["passages"]
    first = doc["passages"][0]
    passage = client.get(f"/v1/passages/{first['id']}").json()
    assert passage == first
    assert doc["text"][passage["start"] : passage["end"]] == passage["text"]


def test_openapi_served(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert "/v1/search" in schema["paths"]
    assert client.get("/docs").status_code == 200


def test_not_ready_until_loaded(tmp_path: object) -> None:
    from pathlib import Path

    settings = Settings(index_dir=Path(str(tmp_path)) / "none", model=FAKE_MODEL)
    with TestClient(create_app(settings)) as test_client:
        assert test_client.get("/healthz").status_code == 200
        response = test_client.get("/v1/search", params={"q": "x"})
        assert response.status_code == 503
        assert response.json()["error"]["code"] == "not_ready"
        assert test_client.get("/readyz").status_code == 503
