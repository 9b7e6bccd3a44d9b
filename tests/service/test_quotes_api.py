"""Quotes over HTTP: in search responses, the speaker filter, /v1/quotes and /v1/extract."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

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


@pytest.fixture(scope="module")
def text(client: TestClient) -> str:
    doc = client.get("/v1/documents/china-daily-new-quality-productive-forces").json()
    return str(doc["text"])


def assert_quote_offsets(quotes: list[dict[str, Any]], text: str) -> None:
    for quote in quotes:
        assert text[quote["start"] : quote["end"]] == quote["text"]
        assert quote["speaker"]["name"]


def test_search_returns_quotes_of_its_passages(client: TestClient, text: str) -> None:
    body = client.post("/v1/search", json={"question": "artificial intelligence AI", "k": 5}).json()
    assert body["quotes"]
    assert_quote_offsets(body["quotes"], text)
    ids = {qid for p in body["passages"] for qid in p["quote_ids"]}
    assert {q["id"] for q in body["quotes"]} <= ids
    for quote in body["quotes"]:
        assert quote["passage_id"] in {p["id"] for p in body["passages"]} | {None}


@pytest.mark.parametrize(
    ("question", "speaker"),
    [
        ("What did TCL's chairman say about enterprises?", "Li Dongsheng"),
        ("What does the Roland Berger executive think?", "Denis Depoux"),
        ("What did Huang say about technological revolution?", "Huang Hanquan"),
    ],
)
def test_named_speaker_quotes_come_first(client: TestClient, question: str, speaker: str) -> None:
    body = client.post("/v1/search", json={"question": question, "k": 8}).json()
    assert body["quotes"][0]["speaker"]["name"] == speaker


def test_speaker_filter_narrows_to_one_speaker(client: TestClient) -> None:
    body = client.post(
        "/v1/search", json={"question": "innovation", "k": 10, "speaker": "depoux"}
    ).json()
    assert body["passages"]
    assert {q["speaker"]["name"] for q in body["quotes"]} == {"Denis Depoux"}
    nobody = client.get("/v1/search", params={"q": "innovation", "speaker": "Nobody Atall"})
    assert nobody.json()["passages"] == []


def test_quotes_endpoint_filters(client: TestClient, text: str) -> None:
    everything = client.get("/v1/quotes").json()["quotes"]
    assert len(everything) >= 5
    assert_quote_offsets(everything, text)
    by_org = client.get("/v1/quotes", params={"speaker": "TCL"}).json()["quotes"]
    assert by_org and {q["speaker"]["name"] for q in by_org} == {"Li Dongsheng"}
    assert client.get("/v1/quotes", params={"doc_id": "nope"}).json()["quotes"] == []
    limited = client.get("/v1/quotes", params={"limit": 2}).json()["quotes"]
    assert len(limited) == 2
    ranked = client.get("/v1/quotes", params={"q": "AI opportunities business"}).json()["quotes"]
    scores = [q["score"] for q in ranked]
    assert scores == sorted(scores, reverse=True)


def test_extract_stores_nothing(client: TestClient) -> None:
    posted = "“We will build the bridge,” said Maria Lopez, mayor of Springfield."
    quotes = client.post("/v1/extract", json={"text": posted}).json()["quotes"]
    assert [q["speaker"]["name"] for q in quotes] == ["Maria Lopez"]
    assert posted[quotes[0]["start"] : quotes[0]["end"]] == quotes[0]["text"]
    assert "Maria Lopez" not in str(client.get("/v1/quotes").json())


@pytest.mark.parametrize("payload", [{}, {"text": "  "}, {"text": "x", "extra": 1}, {"text": 5}])
def test_extract_rejects_bad_bodies(client: TestClient, payload: Any) -> None:
    response = client.post("/v1/extract", json=payload)
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"
