"""Who may write and from where: loopback peers, trusted proxies, Host, Origin, the secret key."""

from __future__ import annotations

import logging
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from index.search import Searcher
from service.app import create_app
from service.clients import client_address, is_local
from service.settings import Settings, SettingsError, load_settings
from tests.conftest import FAKE_MODEL

LOOPBACK = ("127.0.0.1", 50000)
ELSEWHERE = ("192.0.2.7", 50000)
UNKNOWN = "/v1/documents/no-such-document"
"""Deleting an unknown document: 404 once the writer is let in, nothing changes."""


def client_for(
    searcher: Searcher,
    peer: tuple[str, int] = LOOPBACK,
    base_url: str = "http://127.0.0.1",
    **settings: Any,
) -> TestClient:
    app = create_app(Settings(model=FAKE_MODEL, **settings), searcher=searcher)
    return TestClient(app, base_url=base_url, client=peer, raise_server_exceptions=False)


def code(response: Any) -> str:
    assert set(response.json()["error"]) == {"code", "message", "details"}
    return str(response.json()["error"]["code"])


def scope(peer: str, server: str = "127.0.0.1", forwarded: str | None = None) -> dict[str, Any]:
    headers = [(b"x-forwarded-for", forwarded.encode())] if forwarded else []
    return {"client": (peer, 1), "server": (server, 8000), "headers": headers}


def test_the_client_is_the_peer_unless_the_peer_is_a_trusted_proxy() -> None:
    spoofed = "203.0.113.9, 127.0.0.1"
    assert client_address(scope("192.0.2.7", forwarded=spoofed), []) == "192.0.2.7"
    assert client_address(scope("10.0.0.2", forwarded=spoofed), ["127.0.0.1"]) == "10.0.0.2"
    hops = "203.0.113.9, 198.51.100.4, 10.0.0.3"
    trusted = ["10.0.0.0/8"]
    assert client_address(scope("10.0.0.2", forwarded=hops), trusted) == "198.51.100.4"
    assert client_address(scope("10.0.0.2", forwarded="10.0.0.5"), trusted) == "10.0.0.5"
    assert client_address(scope("10.0.0.2"), trusted) == "10.0.0.2"


def test_local_means_a_loopback_client_on_a_loopback_socket() -> None:
    assert is_local(scope("127.0.0.1"), [])
    assert is_local(scope("::1", server="::1"), [])
    assert not is_local(scope("127.0.0.1", server="192.0.2.1"), [])  # bound to 0.0.0.0
    assert not is_local(scope("192.0.2.7"), [])
    # A same-host proxy that is not trusted: its forwarding headers give it away.
    assert not is_local(scope("127.0.0.1", forwarded="127.0.0.1"), [])
    assert is_local(scope("127.0.0.1", forwarded="127.0.0.1"), ["127.0.0.1"])
    assert not is_local(scope("127.0.0.1", forwarded="192.0.2.7"), ["127.0.0.1"])


def test_keyless_writes_from_this_machine_are_accepted(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher) as client:
        assert code(client.delete(UNKNOWN)) == "document_not_found"


def test_keyless_writes_from_another_machine_are_refused(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, peer=ELSEWHERE) as client:
        response = client.delete(UNKNOWN)
        assert response.status_code == 403 and code(response) == "writes_disabled"
        assert client.get("/v1/documents").status_code == 200


def test_keyless_writes_on_a_public_socket_are_refused_whatever_sayso_host_says(
    fake_searcher: Searcher,
) -> None:
    # `uvicorn --factory --host 0.0.0.0`: SAYSO_HOST keeps its loopback default.
    with client_for(fake_searcher, base_url="http://192.0.2.1:8000") as client:
        response = client.delete(UNKNOWN)
        assert response.status_code == 403 and code(response) == "writes_disabled"


def test_keyless_writes_through_a_proxy_need_it_trusted(fake_searcher: Searcher) -> None:
    via_proxy = {"X-Forwarded-For": "127.0.0.1"}
    with client_for(fake_searcher) as client:
        assert code(client.delete(UNKNOWN, headers=via_proxy)) == "writes_disabled"
    with client_for(fake_searcher, trusted_proxies="127.0.0.1") as client:
        assert code(client.delete(UNKNOWN, headers=via_proxy)) == "document_not_found"
        remote = {"X-Forwarded-For": "192.0.2.7"}
        assert code(client.delete(UNKNOWN, headers=remote)) == "writes_disabled"


def test_a_foreign_host_cannot_write(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher) as client:
        rebound = client.delete(UNKNOWN, headers={"Host": "attacker.example"})
        assert rebound.status_code == 403 and code(rebound) == "host_not_allowed"
        assert code(client.delete(UNKNOWN, headers={"Host": "localhost:8000"})) == (
            "document_not_found"
        )
        assert client.get("/v1/documents", headers={"Host": "attacker.example"}).is_success
    with client_for(fake_searcher, allowed_hosts="news.example") as client:
        assert code(client.delete(UNKNOWN, headers={"Host": "news.example"})) == (
            "document_not_found"
        )
        assert code(client.delete(UNKNOWN)) == "host_not_allowed"


def test_cors_never_opens_keyless_writes(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, cors_origins="*") as client:
        other_site = client.delete(UNKNOWN, headers={"Origin": "http://attacker.example"})
        assert other_site.status_code == 403 and code(other_site) == "cross_origin_write"
        own_page = client.delete(UNKNOWN, headers={"Origin": "http://127.0.0.1"})
        assert code(own_page) == "document_not_found"


def test_rotating_forwarded_for_does_not_bypass_the_rate_limit(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, rate_limit=0.01, rate_burst=3) as client:
        statuses = [
            client.get("/v1/documents", headers={"X-Forwarded-For": f"203.0.113.{n}"}).status_code
            for n in range(6)
        ]
        assert statuses == [200, 200, 200, 429, 429, 429]
    with client_for(
        fake_searcher, rate_limit=0.01, rate_burst=1, trusted_proxies="127.0.0.1"
    ) as client:
        first = client.get("/v1/documents", headers={"X-Forwarded-For": "203.0.113.1"})
        other = client.get("/v1/documents", headers={"X-Forwarded-For": "203.0.113.2"})
        again = client.get("/v1/documents", headers={"X-Forwarded-For": "203.0.113.1"})
        assert [first.status_code, other.status_code, again.status_code] == [200, 200, 429]


def test_the_access_log_records_the_real_peer(
    fake_searcher: Searcher, caplog: pytest.LogCaptureFixture
) -> None:
    logged = caplog.at_level(logging.INFO, logger="sayso.access")
    with logged, client_for(fake_searcher, peer=ELSEWHERE) as client:
        client.get("/healthz", headers={"X-Forwarded-For": "203.0.113.50"})
    lines = [r.getMessage() for r in caplog.records if r.name == "sayso.access"]
    assert lines and '"client": "192.0.2.7"' in lines[-1]
    assert "203.0.113.50" not in lines[-1]


def test_the_api_key_is_a_secret(fake_searcher: Searcher, caplog: pytest.LogCaptureFixture) -> None:
    key = "k3y-that-must-not-leak"
    settings = Settings(model=FAKE_MODEL, api_key=key)
    assert key not in repr(settings) and key not in str(settings.model_dump())
    with caplog.at_level(logging.DEBUG), client_for(fake_searcher, api_key=key) as client:
        bodies = [
            client.get("/readyz").text,
            client.delete(UNKNOWN).text,
            client.delete(UNKNOWN, headers={"Authorization": "Bearer wrong"}).text,
        ]
        ok = client.delete(UNKNOWN, headers={"Authorization": f"Bearer {key}"})
        assert code(ok) == "document_not_found"
    assert all(key not in body for body in bodies)
    assert all(key not in record.getMessage() for record in caplog.records)


def test_protected_reads_need_a_key_at_startup() -> None:
    with pytest.raises(ValidationError, match="SAYSO_PROTECT_READS=true needs SAYSO_API_KEY"):
        Settings(protect_reads=True)


def test_with_protected_reads_the_page_shell_stays_open(fake_searcher: Searcher) -> None:
    with client_for(fake_searcher, api_key="k", protect_reads=True) as client:
        assert client.get("/").status_code == 200
        assert client.get("/static/app.js").status_code == 200
        assert client.get("/v1/documents").status_code == 401


def test_a_bad_fusion_is_refused_naming_the_variable() -> None:
    with pytest.raises(SettingsError, match=r"SAYSO_FUSION: choose one of: minmax, rrf, zscore"):
        load_settings(fusion="bogus")


def test_trusted_proxies_must_be_addresses() -> None:
    with pytest.raises(ValidationError, match=r"'proxy\.example' is not an IP address"):
        Settings(trusted_proxies="10.0.0.0/8,proxy.example")


def test_k_must_be_a_json_integer(fake_client: TestClient) -> None:
    for bad in (True, "5", 2.5):
        response = fake_client.post("/v1/search", json={"question": "China", "k": bad})
        assert response.status_code == 422 and code(response) == "invalid_request", bad
    assert fake_client.post("/v1/search", json={"question": "China", "k": 2}).is_success
    assert fake_client.get("/v1/search", params={"q": "China", "k": "2"}).is_success


def test_a_trailing_slash_is_not_redirected_to_the_callers_host(fake_client: TestClient) -> None:
    response = fake_client.get(
        "/v1/documents/", headers={"Host": "attacker.example"}, follow_redirects=False
    )
    assert response.status_code == 404 and code(response) == "not_found"
    assert "location" not in response.headers


def test_the_page_sends_security_headers(fake_client: TestClient) -> None:
    headers = fake_client.get("/").headers
    policy = headers["content-security-policy"]
    assert "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "no-referrer"
