"""POST /v1/context, GET /v1/tools, CORS and the page, in-process."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.models.tokens import token_counter
from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]


FOLLOW_UP = [
    {"role": "user", "content": "How much did China invest in R&D in 2024?"},
    {"role": "assistant", "content": "More than 3.6 trillion yuan, up 8.3 percent."},
    {"role": "user", "content": "And what about chips?"},
]


def make_client(searcher: Searcher, **settings: Any) -> TestClient:
    app = create_app(Settings(model=FAKE_MODEL, **settings), searcher=searcher)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(fake_searcher: Searcher) -> Iterator[TestClient]:
    with make_client(fake_searcher) as test_client:
        yield test_client


def test_context_shape_and_offsets(client: TestClient) -> None:
    response = client.post("/v1/context", json={"messages": FOLLOW_UP, "k": 4})
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {
        "query",
        "question",
        "rewritten",
        "context",
        "tokens",
        "citations",
        "quotes",
    }
    assert body["question"] == "And what about chips?"
    assert body["rewritten"] and body["query"].startswith("And what about chips? ")
    assert "R&D" in body["query"]
    assert body["quotes"] == [] or all("speaker" in q for q in body["quotes"])
    doc = client.get(f"/v1/documents/{body['citations'][0]['doc_id']}").json()
    for citation in body["citations"]:
        assert {
            "n",
            "passage_id",
            "doc_id",
            "title",
            "source",
            "url",
            "start",
            "end",
            "quote_ids",
        } <= set(citation)
        assert doc["text"][citation["start"] : citation["end"]] == citation["text"]
        assert f"[{citation['n']}] {citation['title']}" in body["context"]
        assert citation["text"] in body["context"]
    assert body["tokens"] <= 800


def test_markers_match_citations_and_are_stable(client: TestClient) -> None:
    body = client.post("/v1/context", json={"question": "innovation in China", "k": 5}).json()
    numbers = [c["n"] for c in body["citations"]]
    assert numbers == list(range(1, len(numbers) + 1))
    markers = [int(m) for m in re.findall(r"^\[(\d+)\] ", body["context"], flags=re.MULTILINE)]
    assert markers == numbers
    assert len({c["passage_id"] for c in body["citations"]}) == len(numbers)
    again = client.post("/v1/context", json={"question": "innovation in China", "k": 5}).json()
    assert [(c["n"], c["passage_id"]) for c in again["citations"]] == [
        (c["n"], c["passage_id"]) for c in body["citations"]
    ]


def test_bare_question_is_searched_as_is(client: TestClient) -> None:
    body = client.post("/v1/context", json={"question": "venture capital guidance fund"}).json()
    assert body["query"] == body["question"] == "venture capital guidance fund"
    assert body["rewritten"] is False
    assert body["citations"]


@pytest.mark.parametrize("budget", [40, 100, 300])
def test_max_tokens_trims_the_context(client: TestClient, budget: int) -> None:
    payload = {"question": "new quality productive forces", "k": 10, "max_tokens": budget}
    body = client.post("/v1/context", json=payload).json()
    count = token_counter(FAKE_MODEL)
    assert count(body["context"]) == body["tokens"] <= budget
    assert body["citations"]
    wide = client.post("/v1/context", json=payload | {"max_tokens": 4000}).json()
    assert len(body["citations"]) <= len(wide["citations"])
    assert body["citations"][0]["passage_id"] == wide["citations"][0]["passage_id"]


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"messages": []},
        {"question": "x", "messages": [{"role": "user", "content": "x"}]},
        {"messages": [{"role": "system", "content": "x"}]},
        {"messages": [{"role": "assistant", "content": "only me"}]},
        {"messages": [{"role": "user", "content": "   "}]},
        {"messages": [{"role": "user", "content": "nul\x00"}]},
        {"messages": [{"role": "user"}]},
        {"messages": "hello"},
        {"question": "ok", "max_tokens": 0},
        {"question": "ok", "k": 0},
        {"question": "ok", "mode": "semantic"},
        {"question": "ok", "extra": True},
        {"question": ""},
    ],
)
def test_bad_context_bodies(client: TestClient, payload: Any) -> None:
    assert_error(client.post("/v1/context", json=payload), 422, "invalid_request")


def test_context_before_ready(tmp_path: Any) -> None:
    settings = Settings(index_dir=tmp_path / "none", model=FAKE_MODEL)
    with TestClient(create_app(settings)) as test_client:
        response = test_client.post("/v1/context", json={"question": "x"})
        assert_error(response, 503, "not_ready")


def test_cors_closed_by_default(client: TestClient) -> None:
    headers = {"Origin": "https://chat.example", "Access-Control-Request-Method": "POST"}
    preflight = client.options("/v1/context", headers=headers)
    assert "access-control-allow-origin" not in preflight.headers
    simple = client.get("/v1/tools", headers={"Origin": "https://chat.example"})
    assert "access-control-allow-origin" not in simple.headers


def test_cors_allows_configured_origins(fake_searcher: Searcher) -> None:
    origins = "https://chat.example, https://other.example"
    with make_client(fake_searcher, cors_origins=origins) as test_client:
        headers = {
            "Origin": "https://chat.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        }
        preflight = test_client.options("/v1/context", headers=headers)
        assert preflight.status_code == 200
        assert preflight.headers["access-control-allow-origin"] == "https://chat.example"
        denied = test_client.get("/v1/tools", headers={"Origin": "https://evil.example"})
        assert "access-control-allow-origin" not in denied.headers


def test_cors_origins_from_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAYSO_CORS_ORIGINS", "https://a.example,https://b.example")
    assert Settings().cors_origins == ["https://a.example", "https://b.example"]
    monkeypatch.setenv("SAYSO_CORS_ORIGINS", "*")
    assert Settings().cors_origins == ["*"]
    monkeypatch.delenv("SAYSO_CORS_ORIGINS")
    assert Settings().cors_origins == []


def test_page_and_assets_are_served(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assets = re.findall(r'(?:src|href)="([^"#][^"]*)"', page.text)  # not the #view links
    assert assets and all(a.startswith("/static/") for a in assets)
    for asset in assets:
        assert client.get(asset).status_code == 200
    assert_error(client.get("/static/missing.js"), 404, "not_found")


def test_configured_limits_apply_to_context(fake_searcher: Searcher) -> None:
    turns = [{"role": "user", "content": "first"}, {"role": "assistant", "content": "ok"}] * 3
    with make_client(fake_searcher, max_messages=4, max_question_chars=20, max_k=3) as client:
        assert_error(client.post("/v1/context", json={"messages": turns}), 422, "invalid_request")
        long_turn = [{"role": "user", "content": "x" * 21}]
        assert_error(
            client.post("/v1/context", json={"messages": long_turn}), 422, "invalid_request"
        )
        assert_error(
            client.post("/v1/context", json={"question": "ok", "k": 4}), 422, "invalid_request"
        )
        ok = client.post("/v1/context", json={"messages": turns[:3], "k": 3})
        assert ok.status_code == 200, ok.text
