"""Input limits from settings, body size counted as it streams, rate limiting, API keys."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.search import Searcher
from service.app import create_app
from service.limits import TokenBuckets
from service.settings import Settings
from tests.conftest import FAKE_MODEL


def client_for(searcher: Searcher, **settings: Any) -> TestClient:
    return TestClient(create_app(Settings(model=FAKE_MODEL, **settings), searcher=searcher))


def error_code(response: Any, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body["error"]) == {"code", "message", "details"}
    return str(body["error"]["code"])


def test_question_and_k_limits_follow_settings(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, max_question_chars=10, max_k=3) as client:
        too_long = client.post("/v1/search", json={"question": "x" * 11})
        assert error_code(too_long, 422) == "invalid_request"
        assert "at most 10 characters" in too_long.json()["error"]["message"]
        assert error_code(client.get("/v1/search", params={"q": "y" * 11}), 422)
        assert error_code(client.post("/v1/search", json={"question": "ok", "k": 4}), 422)
        assert client.post("/v1/search", json={"question": "ok", "k": 3}).status_code == 200
    with client_for(fake_searcher, max_question_chars=5000, max_k=80) as client:
        response = client.post("/v1/search", json={"question": "China " * 500, "k": 60})
        assert response.status_code == 200


def test_max_messages_setting_exists() -> None:
    assert Settings().max_messages == 50
    assert Settings(max_messages=5).max_messages == 5


def test_declared_body_too_large_is_413(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, max_body_bytes=1024) as client:
        response = client.post("/v1/search", json={"question": "x" * 2000})
        assert error_code(response, 413) == "payload_too_large"
        assert "1024 bytes" in response.json()["error"]["message"]
        assert client.post("/v1/search", json={"question": "China"}).status_code == 200


def test_streamed_body_is_counted(fake_searcher: Searcher) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"question": "'
        for _ in range(10):
            yield b"x" * 200
        yield b'"}'

    with client_for(fake_searcher, max_body_bytes=1024) as client:
        response = client.post(
            "/v1/search", content=chunks(), headers={"content-type": "application/json"}
        )
        assert "content-length" not in response.request.headers
        assert error_code(response, 413) == "payload_too_large"


def test_documents_have_their_own_limit(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, max_document_bytes=4096) as client:
        big = {"id": "big", "text": "word " * 2000}
        assert error_code(client.post("/v1/documents", json=big), 413) == "payload_too_large"


def test_rate_limit_answers_429_with_retry_after(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, rate_limit=0.5, rate_burst=2) as client:
        statuses = [client.get("/v1/documents").status_code for _ in range(3)]
        assert statuses == [200, 200, 429]
        limited = client.get("/v1/documents")
        assert error_code(limited, 429) == "rate_limited"
        assert int(limited.headers["retry-after"]) >= 1
        assert client.get("/healthz").status_code == 200  # probes are never limited


def test_token_buckets_refill_per_client() -> None:
    buckets = TokenBuckets(rate=1.0, burst=1)
    assert buckets.take("a", now=0.0) == 0
    assert buckets.take("a", now=0.0) == pytest.approx(1.0)
    assert buckets.take("b", now=0.0) == 0
    assert buckets.take("a", now=1.0) == 0


STORY = {"id": "keyed", "text": "A story added with a key."}


def test_writes_need_the_key_when_one_is_set(fake_searcher: Searcher, tmp_path: Any) -> None:
    with client_for(fake_searcher, api_key="s3cret", index_dir=tmp_path) as client:
        assert error_code(client.post("/v1/documents", json=STORY), 401) == "unauthorized"
        wrong = client.post("/v1/documents", json=STORY, headers={"Authorization": "Bearer nope"})
        assert error_code(wrong, 401) == "unauthorized"
        assert wrong.headers["www-authenticate"].startswith("Bearer")
        assert error_code(client.delete("/v1/documents/x"), 401) == "unauthorized"
        assert client.get("/v1/search", params={"q": "China"}).status_code == 200
        ok = client.post("/v1/documents", json=STORY, headers={"Authorization": "Bearer s3cret"})
        assert ok.status_code == 201, ok.text


def test_without_a_key_writes_need_loopback(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, host="0.0.0.0") as client:
        response = client.post("/v1/documents", json=STORY)
        assert error_code(response, 403) == "writes_disabled"
        assert "SAYSO_API_KEY" in response.json()["error"]["message"]
        assert client.get("/v1/documents").status_code == 200


def test_reads_can_be_protected(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, api_key="k", protect_reads=True) as client:
        assert error_code(client.get("/v1/documents"), 401) == "unauthorized"
        authorised = client.get("/v1/documents", headers={"Authorization": "Bearer k"})
        assert authorised.status_code == 200
        assert client.get("/healthz").status_code == 200
        assert client.get("/readyz").status_code == 200
