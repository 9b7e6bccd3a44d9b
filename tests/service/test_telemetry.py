"""Request ids, one JSON log line per request, and Prometheus metrics."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL


@pytest.fixture()
def client(fake_searcher: Searcher) -> Iterator[TestClient]:
    app = create_app(Settings(model=FAKE_MODEL), searcher=fake_searcher, startup_builds=1)
    with TestClient(app) as test_client:
        yield test_client


def test_request_id_is_returned_or_echoed(client: TestClient) -> None:
    fresh = client.get("/healthz").headers["x-request-id"]
    assert len(fresh) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "trace-42.a"})
    assert echoed.headers["x-request-id"] == "trace-42.a"
    hostile = client.get("/healthz", headers={"X-Request-ID": "bad id\twith spaces"})
    assert hostile.headers["x-request-id"] != "bad id\twith spaces"
    assert client.get("/nope").headers["x-request-id"]  # errors carry one too


def test_one_json_log_line_per_request(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level("INFO", logger="sayso.access"):
        response = client.get("/v1/documents/missing", headers={"X-Request-ID": "abc123"})
    lines = [json.loads(r.getMessage()) for r in caplog.records if r.name == "sayso.access"]
    assert len(lines) == 1
    line = lines[0]
    assert line["request_id"] == response.headers["x-request-id"] == "abc123"
    assert line["status"] == 404
    assert line["route"] == "/v1/documents/{doc_id}"
    assert line["duration_ms"] >= 0


def test_metrics(client: TestClient) -> None:
    client.get("/v1/search", params={"q": "China"})
    client.get("/v1/documents/a")
    client.get("/v1/documents/b")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'sayso_http_requests_total{method="GET",route="/v1/search",status="200"} 1.0' in text
    assert (
        'sayso_http_requests_total{method="GET",route="/v1/documents/{doc_id}",status="404"} 2.0'
        in text
    )
    assert 'sayso_http_request_duration_seconds_bucket{le="0.005",method="GET"' in text
    assert "sayso_index_documents 1.0" in text
    assert "sayso_index_passages" in text
    assert "sayso_index_builds_total 1.0" in text
    assert "sayso_index_updates_total 0.0" in text
