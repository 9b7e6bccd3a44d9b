"""CORS for browser code on another origin: closed by default; when configured, the
request id and Retry-After are readable and X-Request-ID may be sent."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL

ORIGIN = "https://chat.example"


def make_client(searcher: Searcher, **settings: Any) -> TestClient:
    app = create_app(Settings(model=FAKE_MODEL, **settings), searcher=searcher)
    return TestClient(app, raise_server_exceptions=False)


def exposed(response: Any) -> set[str]:
    header = response.headers.get("access-control-expose-headers", "")
    return {name.strip().lower() for name in header.split(",") if name.strip()}


def test_preflight_allows_request_id_and_auth(fake_searcher: Searcher) -> None:
    with make_client(fake_searcher, cors_origins=ORIGIN) as client:
        preflight = client.options(
            "/v1/documents",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-request-id, authorization, content-type",
            },
        )
        assert preflight.status_code == 200, preflight.text
        assert preflight.headers["access-control-allow-origin"] == ORIGIN
        allowed = preflight.headers["access-control-allow-headers"].lower()
        assert {"x-request-id", "authorization", "content-type"} <= {
            h.strip() for h in allowed.split(",")
        }
        other = client.options(
            "/v1/search",
            headers={
                "Origin": ORIGIN,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "x-secret",
            },
        )
        assert other.status_code == 400  # headers outside the list stay refused


def test_responses_expose_request_id_and_retry_after(fake_searcher: Searcher) -> None:
    with make_client(fake_searcher, cors_origins=ORIGIN) as client:
        response = client.get(
            "/v1/search", params={"q": "R&D"}, headers={"Origin": ORIGIN, "X-Request-ID": "abc-1"}
        )
        assert response.status_code == 200
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert {"x-request-id", "retry-after"} <= exposed(response)
        assert response.headers["x-request-id"] == "abc-1"


def test_rate_limited_answers_are_readable_cross_origin(fake_searcher: Searcher) -> None:
    with make_client(fake_searcher, cors_origins=ORIGIN, rate_limit=0.01, rate_burst=1) as client:
        statuses = []
        for _ in range(3):
            response = client.get("/v1/documents", headers={"Origin": ORIGIN})
            statuses.append(response.status_code)
        assert 429 in statuses, statuses
        assert response.status_code == 429
        assert response.headers["access-control-allow-origin"] == ORIGIN
        assert "retry-after" in exposed(response) and int(response.headers["retry-after"]) >= 1


def test_closed_unless_configured(fake_searcher: Searcher) -> None:
    with make_client(fake_searcher) as client:
        response = client.get("/healthz", headers={"Origin": ORIGIN})
        assert "access-control-allow-origin" not in response.headers
        assert not exposed(response)
        preflight = client.options(
            "/v1/search",
            headers={"Origin": ORIGIN, "Access-Control-Request-Method": "POST"},
        )
        assert "access-control-allow-origin" not in preflight.headers
