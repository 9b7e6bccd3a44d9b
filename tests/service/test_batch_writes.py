"""Batch writes (one version per batch, all or nothing) and cursor pagination."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.build import update_index
from index.disk import BuildSettings
from index.documents import load_documents
from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL, SEED_ID, FakeEncoder


def make_client(settings: Settings, encoder: FakeEncoder) -> TestClient:
    documents = load_documents(settings.seeds_dir)
    index = update_index(settings.index_dir, documents, BuildSettings(model=FAKE_MODEL), encoder)
    local: dict[str, Any] = {"base_url": "http://127.0.0.1", "client": ("127.0.0.1", 50000)}
    return TestClient(create_app(settings, Searcher(index, encoder)), **local)


def story(n: int, text: str = "") -> dict[str, str]:
    return {
        "id": f"story-{n}",
        "title": f"Story {n}",
        "text": text or f"The council approved plan number {n} for the harbour district.",
    }


@pytest.fixture()
def settings(tmp_path: Path, seeds_copy: Path) -> Settings:
    return Settings(
        index_dir=tmp_path / "index",
        seeds_dir=seeds_copy,
        model=FAKE_MODEL,
        max_batch_documents=5,
        max_document_bytes=4096,
    )


@pytest.fixture()
def client(settings: Settings) -> Iterator[TestClient]:
    with make_client(settings, FakeEncoder()) as test_client:
        yield test_client


def versions(settings: Settings) -> int:
    return sum(1 for _ in (settings.index_dir / "versions").iterdir())


def test_a_json_array_is_one_version_with_results_in_order(
    client: TestClient, settings: Settings
) -> None:
    holder: Any = client.app.state.holder  # type: ignore[attr-defined]
    before = holder.updates
    answer = client.post("/v1/documents", json=[story(1), story(2), story(3)])
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert [r["id"] for r in body["results"]] == ["story-1", "story-2", "story-3"]
    assert {r["status"] for r in body["results"]} == {"created"}
    assert (body["created"], body["replaced"], body["unchanged"]) == (3, 0, 0)
    assert body["documents"] == 4 and holder.updates == before + 1
    assert client.get("/readyz").json()["index_id"] == body["index_id"]

    again = client.post("/v1/documents", json=[story(1), story(2, "Plan two was dropped today.")])
    statuses = [r["status"] for r in again.json()["results"]]
    assert statuses == ["unchanged", "replaced"] and holder.updates == before + 2

    same = client.post("/v1/documents", json=[story(1)]).json()
    assert same["unchanged"] == 1 and same["index_id"] == again.json()["index_id"]
    assert holder.updates == before + 2  # nothing changed: no new version


def test_ndjson_is_a_batch(client: TestClient) -> None:
    lines = "\n".join(json.dumps(story(n)) for n in (4, 5)) + "\n\n"
    answer = client.post(
        "/v1/documents", content=lines, headers={"Content-Type": "application/x-ndjson"}
    )
    assert answer.status_code == 200, answer.text
    assert [r["status"] for r in answer.json()["results"]] == ["created", "created"]
    assert client.get("/v1/documents/story-5").status_code == 200


@pytest.mark.parametrize(
    ("items", "field"),
    [
        ([story(1), {"id": "bad", "text": "   "}], "1.text"),
        ([story(1), {"text": "no id here"}], "1.id"),
        ([story(1), {"id": "bad id!", "text": "x"}], "1.id"),
        ([story(1), story(1)], "1.id"),
        ([story(1), "not an object"], "1"),
    ],
)
def test_one_bad_document_refuses_the_whole_batch(
    client: TestClient, settings: Settings, items: list[Any], field: str
) -> None:
    before = versions(settings)
    answer = client.post("/v1/documents", json=items)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "invalid_request" and "all or nothing" in error["message"]
    assert any(d["field"].startswith(field) for d in error["details"]), error["details"]
    assert client.get("/v1/documents/story-1").status_code == 404  # the good one was not kept
    assert versions(settings) == before


def test_batch_limits(client: TestClient) -> None:
    too_many = client.post("/v1/documents", json=[story(n) for n in range(6)])
    assert too_many.status_code == 422 and too_many.json()["error"]["code"] == "batch_too_large"
    empty = client.post("/v1/documents", json=[])
    assert empty.status_code == 422 and empty.json()["error"]["code"] == "invalid_request"
    big = [story(n, "word " * 500) for n in range(3)]  # over max_document_bytes in all
    assert client.post("/v1/documents", json=big).status_code == 413
    broken = client.post(
        "/v1/documents",
        content='{"id": "a", "text": "x"}\n{oops\n',
        headers={"Content-Type": "application/x-ndjson"},
    )
    assert broken.status_code == 400 and "Line 2" in broken.json()["error"]["message"]
    xml = client.post("/v1/documents", content="<doc/>", headers={"Content-Type": "text/xml"})
    assert xml.status_code == 415 and xml.json()["error"]["code"] == "unsupported_media_type"


def test_a_single_object_still_answers_as_before(client: TestClient) -> None:
    created = client.post("/v1/documents", json=story(9))
    assert created.status_code == 201 and created.json()["status"] == "created"
    bad = client.post("/v1/documents", json={"id": "x", "text": " "})
    assert bad.status_code == 422 and bad.json()["error"]["details"][0]["field"] == "text"


def walk(client: TestClient, path: str, key: str, **params: Any) -> list[Any]:
    items, cursor = [], None
    for _ in range(100):
        page = client.get(path, params=params | ({"cursor": cursor} if cursor else {})).json()
        items += page[key]
        cursor = page.get("next_cursor")
        if cursor is None:
            return items
    raise AssertionError("the pages never end")


def test_documents_pages_in_id_order_and_survive_writes(client: TestClient) -> None:
    client.post("/v1/documents", json=[story(n) for n in (1, 2, 3, 4)])
    everything = client.get("/v1/documents", params={"limit": 1000}).json()
    assert everything["next_cursor"] is None
    ids = [d["id"] for d in everything["documents"]]
    assert ids == sorted(ids) and len(ids) == 5
    assert [d["id"] for d in walk(client, "/v1/documents", "documents", limit=2)] == ids
    first = client.get("/v1/documents", params={"limit": 2}).json()
    client.post("/v1/documents", json=story(0))  # lands before the cursor: not seen, no repeat
    rest = walk(client, "/v1/documents", "documents", limit=2, cursor=first["next_cursor"])
    assert [d["id"] for d in first["documents"] + rest] == ids


def test_quotes_pages(fake_client: TestClient) -> None:
    everything = fake_client.get("/v1/quotes", params={"limit": 1000}).json()
    assert everything["next_cursor"] is None and len(everything["quotes"]) > 3
    paged = walk(fake_client, "/v1/quotes", "quotes", limit=2)
    assert [q["id"] for q in paged] == [q["id"] for q in everything["quotes"]]
    ranked = fake_client.get("/v1/quotes", params={"q": "innovation", "limit": 1000}).json()
    paged = walk(fake_client, "/v1/quotes", "quotes", q="innovation", limit=3)
    assert [q["id"] for q in paged] == [q["id"] for q in ranked["quotes"]]


@pytest.mark.parametrize("cursor", ["nonsense", "e30", "WyJzcGVha2VycyIsWzFdXQ"])
def test_a_bad_cursor_is_a_400(fake_client: TestClient, cursor: str) -> None:
    for path in ("/v1/documents", "/v1/quotes"):
        answer = fake_client.get(path, params={"cursor": cursor})
        assert answer.status_code == 400, (path, answer.text)
        error = answer.json()["error"]
        assert error["code"] == "invalid_cursor" and error["details"][0]["field"] == "cursor"


def test_a_cursor_of_one_listing_is_refused_by_another(fake_client: TestClient) -> None:
    quotes = fake_client.get("/v1/quotes", params={"limit": 1}).json()
    assert quotes["next_cursor"]
    answer = fake_client.get("/v1/documents", params={"cursor": quotes["next_cursor"]})
    assert answer.status_code == 400
    assert fake_client.get("/v1/documents").json()["documents"][0]["id"] == SEED_ID
