"""Every error path answers with the one shape: {"error": {"code", "message", "details"}}."""

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
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"}
    error = body["error"]
    assert set(error) == {"code", "message", "details"}
    assert error["code"] == code
    assert isinstance(error["message"], str) and error["message"]
    assert isinstance(error["details"], list)
    return error


@pytest.mark.parametrize(
    "payload",
    [
        {},
        {"question": ""},
        {"question": "   \n\t"},
        {"question": "x" * 2001},
        {"question": "ok", "k": 0},
        {"question": "ok", "k": 51},
        {"question": "ok", "k": "five"},
        {"question": "ok", "k": 10**30},
        {"question": "ok", "mode": "semantic"},
        {"question": 42},
        {"question": "nul\x00byte"},
        {"question": "ok", "unexpected": 1},
        {"question": "ok", "doc_ids": "not-a-list"},
        [],
        "a string",
    ],
)
def test_bad_search_bodies(client: TestClient, payload: Any) -> None:
    error = assert_error(client.post("/v1/search", json=payload), 422, "invalid_request")
    assert error["details"]


def test_invalid_json(client: TestClient) -> None:
    response = client.post(
        "/v1/search", content=b'{"question": ', headers={"content-type": "application/json"}
    )
    assert_error(response, 422, "invalid_request")


def test_invalid_utf8(client: TestClient) -> None:
    response = client.post(
        "/v1/search",
        content=b'{"question": "\xff\xfe"}',
        headers={"content-type": "application/json"},
    )
    error = assert_error(response, 400, "bad_request")
    assert "UTF-8" in error["message"]


@pytest.mark.parametrize(
    "params",
    [{}, {"q": ""}, {"q": "ok", "k": "x"}, {"q": "ok", "mode": "nope"}, {"q": "ok", "k": 99}],
)
def test_bad_search_queries(client: TestClient, params: dict[str, Any]) -> None:
    assert_error(client.get("/v1/search", params=params), 422, "invalid_request")


def test_unknown_ids(client: TestClient) -> None:
    assert_error(client.get("/v1/documents/nope"), 404, "document_not_found")
    assert_error(client.get("/v1/passages/nope:p9"), 404, "passage_not_found")


def test_unknown_route_and_method(client: TestClient) -> None:
    assert_error(client.get("/v2/nothing"), 404, "not_found")
    assert_error(client.delete("/v1/search"), 405, "method_not_allowed")


def test_service_survives_bad_input(client: TestClient) -> None:
    for _ in range(3):
        client.post(
            "/v1/search", content=b"\x00\x01garbage", headers={"content-type": "application/json"}
        )
    assert client.post("/v1/search", json={"question": "China"}).status_code == 200
