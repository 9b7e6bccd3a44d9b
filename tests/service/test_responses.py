"""Search responses serialised once per passage: the same JSON as the pydantic model's."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient

from index.search import Searcher
from service.responses import search_json
from service.routes import search_response
from service.schemas import SearchResponse

QUESTIONS = [
    "What are new quality productive forces?",
    "What did Huang Hanquan say about innovation?",
    "zzzz no such words",
]


@pytest.mark.parametrize("question", QUESTIONS)
@pytest.mark.parametrize("mode", ["hybrid", "dense", "lexical"])
def test_bytes_equal_the_models_json(fake_searcher: Searcher, question: str, mode: str) -> None:
    result = fake_searcher.search(question, k=5, mode=mode)
    fast = search_json(result, fake_searcher)
    again = search_json(result, fake_searcher)  # from the per-passage cache this time
    model = search_response(result, fake_searcher).model_dump_json().encode()
    assert json.loads(fast) == json.loads(model)
    assert list(json.loads(fast)) == list(json.loads(model))  # key order too
    assert again == fast
    SearchResponse.model_validate_json(fast)


def test_quotes_keep_their_passage_and_score(fake_searcher: Searcher) -> None:
    result = fake_searcher.search("What did Huang Hanquan say?", k=10, mode="hybrid")
    assert result.quotes, "the seed article has quotes"
    body = json.loads(search_json(result, fake_searcher))
    model = json.loads(search_response(result, fake_searcher).model_dump_json())
    assert body["quotes"] == model["quotes"]
    assert [list(q) for q in body["quotes"]] == [list(q) for q in model["quotes"]]


def test_http_search_serves_the_bytes(fake_client: TestClient) -> None:
    response = fake_client.post("/v1/search", json={"question": "innovation", "k": 3})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = SearchResponse.model_validate(response.json())
    assert [p.rank for p in body.passages] == [1, 2, 3]
    got = fake_client.get("/v1/search", params={"q": "innovation", "k": 3}).json()
    assert [p["id"] for p in got["passages"]] == [p.id for p in body.passages]
