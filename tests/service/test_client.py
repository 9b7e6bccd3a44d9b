"""The Python client: typed results from the in-process app, retries, errors, the API key."""

from __future__ import annotations

import asyncio
import itertools
import json
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient

from service.client import AsyncSaysoClient, SaysoClient, SaysoError
from tests.conftest import ROOT, SEED_ID
from tests.processes import free_port

QUESTION = "What did Denis Depoux say about AI?"


def _forward(app_client: TestClient) -> httpx.MockTransport:
    """A sync transport into the in-process app (TestClient runs its lifespan)."""

    def handle(request: httpx.Request) -> httpx.Response:
        answer = app_client.request(
            request.method, str(request.url), content=request.content, headers=request.headers
        )
        return httpx.Response(answer.status_code, headers=answer.headers, content=answer.content)

    return httpx.MockTransport(handle)


@pytest.fixture()
def client(fake_client: TestClient) -> Iterator[SaysoClient]:
    with SaysoClient("http://sayso.test", transport=_forward(fake_client)) as sayso:
        yield sayso


def test_search_gives_typed_passages_with_exact_offsets(client: SaysoClient) -> None:
    result = client.search(QUESTION, k=4)
    assert [p.rank for p in result.passages] == [1, 2, 3, 4]
    assert all(a.score >= b.score for a, b in itertools.pairwise(result.passages))
    document = client.document(result.passages[0].doc_id)
    for passage in result.passages:
        assert document.text[passage.start : passage.end] == passage.text
        for span in passage.highlights:
            assert passage.start <= span.start < span.end <= passage.end
        for quote in result.quotes_of(passage):
            assert document.text[quote.start : quote.end] == quote.text
            assert quote.speaker.name
    assert any(q.speaker.name == "Denis Depoux" for q in result.quotes)
    stored = client.passage(result.passages[0].id)
    assert (stored.start, stored.end, stored.text) == (
        result.passages[0].start,
        result.passages[0].end,
        result.passages[0].text,
    )


def test_filters_reach_the_server(client: SaysoClient) -> None:
    result = client.search(QUESTION, k=3, mode="lexical", doc_ids=[SEED_ID], speaker="Depoux")
    assert result.mode == "lexical"
    assert result.passages
    for passage in result.passages:
        assert "Denis Depoux" in {q.speaker.name for q in result.quotes_of(passage)}
    assert client.search(QUESTION, doc_ids=["no-such-doc"]).passages == ()


def test_context_quotes_extract_and_documents(client: SaysoClient) -> None:
    context = client.context(
        messages=[
            {"role": "user", "content": "Who is Denis Depoux?"},
            {"role": "assistant", "content": "A managing director at Roland Berger."},
            {"role": "user", "content": "What did he say about AI?"},
        ],
        k=3,
    )
    assert context.rewritten and "Depoux" in context.query
    assert context.citations[0].n == 1 and "[1]" in context.context
    document = client.document(context.citations[0].doc_id)
    for citation in context.citations:
        assert document.text[citation.start : citation.end] == citation.text

    quotes = client.quotes(speaker="Depoux", limit=5)
    assert quotes and all(q.speaker.name == "Denis Depoux" for q in quotes)
    text = '"We will reopen the harbour," said Maria Lopez, the mayor.'
    (extracted,) = client.extract(text)
    assert text[extracted.start : extracted.end] == extracted.text
    assert extracted.speaker.name == "Maria Lopez"
    assert [d.id for d in client.documents()] == [SEED_ID]


def test_async_client_gives_the_same_answers(fake_client: TestClient, client: SaysoClient) -> None:
    async def ask() -> tuple[Any, ...]:
        transport = httpx.ASGITransport(app=fake_client.app)
        async with AsyncSaysoClient("http://sayso.test", transport=transport) as sayso:
            result = await sayso.search(QUESTION, k=3)
            return (
                result,
                await sayso.document(SEED_ID),
                await sayso.documents(),
                await sayso.quotes(speaker="Depoux"),
                await sayso.context(question=QUESTION),
            )

    result, document, summaries, quotes, context = asyncio.run(ask())
    assert result.passages == client.search(QUESTION, k=3).passages
    assert document == client.document(SEED_ID)
    assert summaries == client.documents()
    assert quotes == client.quotes(speaker="Depoux")
    assert context.citations == client.context(question=QUESTION).citations


@pytest.mark.parametrize(
    ("call", "status", "code"),
    [
        (lambda c: c.document("nope"), 404, "document_not_found"),
        (lambda c: c.passage("nope"), 404, "passage_not_found"),
        (lambda c: c.search("   "), 422, "invalid_request"),
        (lambda c: c.search("x", k=0), 422, "invalid_request"),
        (lambda c: c.context(), 422, "invalid_request"),
    ],
)
def test_errors_carry_the_error_shape(
    client: SaysoClient, call: Callable[[SaysoClient], Any], status: int, code: str
) -> None:
    with pytest.raises(SaysoError) as caught:
        call(client)
    assert (caught.value.status, caught.value.code) == (status, code)
    assert caught.value.message.endswith(".")
    if status == 422:
        assert caught.value.details and "field" in caught.value.details[0]


# Retry and failure paths, against scripted transports.


def _scripted(*steps: Exception | httpx.Response) -> tuple[httpx.MockTransport, list[Any]]:
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        step = steps[min(len(seen), len(steps)) - 1]
        if isinstance(step, Exception):
            raise step
        # a fresh copy: a Response's stream is consumed by the client that reads it
        return httpx.Response(step.status_code, headers=step.headers, content=step.content)

    return httpx.MockTransport(handle), seen


def _error(status: int, code: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {"error": {"code": code, "message": f"{code}.", "details": []}}
    return httpx.Response(status, json=body, headers=headers)


READY = httpx.Response(200, json={"status": "ready", "documents": 1})


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("slow"),
        httpx.RemoteProtocolError("a reused connection was closed"),
        _error(503, "not_ready"),
        _error(429, "rate_limited", {"Retry-After": "0"}),
    ],
)
def test_retries_then_succeeds(failure: Exception | httpx.Response) -> None:
    transport, seen = _scripted(failure, failure, READY)
    with SaysoClient("http://x", retries=2, backoff=0, transport=transport) as sayso:
        assert sayso.ready()["status"] == "ready"
    assert len(seen) == 3


def test_retries_are_bounded_and_back_off() -> None:
    transport, seen = _scripted(httpx.ConnectError("refused"))
    started = time.monotonic()
    with (
        SaysoClient("http://x", retries=3, backoff=0.02, transport=transport) as sayso,
        pytest.raises(SaysoError) as caught,
    ):
        sayso.ready()
    assert len(seen) == 4
    assert time.monotonic() - started >= 0.02 + 0.04 + 0.08
    assert (caught.value.status, caught.value.code) == (None, "unreachable")


@pytest.mark.parametrize(
    ("failure", "status", "code"),
    [
        (_error(429, "rate_limited", {"Retry-After": "3600"}), 429, "rate_limited"),
        (_error(429, "rate_limited"), 429, "rate_limited"),
        (_error(503, "draining"), 503, "draining"),
        (_error(500, "internal_error"), 500, "internal_error"),
        (httpx.Response(502, text="<html>Bad gateway</html>"), 502, "http_error"),
        (httpx.ReadTimeout("no answer"), None, "timeout"),
        (httpx.ProxyError("refused"), None, "unreachable"),
    ],
)
def test_final_failures_are_not_retried(
    failure: Exception | httpx.Response, status: int | None, code: str
) -> None:
    transport, seen = _scripted(failure, READY)
    with (
        SaysoClient("http://x", retries=3, backoff=0, transport=transport) as sayso,
        pytest.raises(SaysoError) as caught,
    ):
        sayso.ready()
    assert len(seen) == 1
    assert (caught.value.status, caught.value.code) == (status, code)


def test_a_write_is_not_resent_once_the_connection_broke_mid_way() -> None:
    written = {"id": "a", "status": "created", "index_id": "i", "documents": 2, "passages": 9}
    for write in (lambda c: c.add_document("a", "Some text."), lambda c: c.delete_document("a")):
        broken = httpx.RemoteProtocolError("closed")
        transport, seen = _scripted(broken, httpx.Response(200, json=written))
        with (
            SaysoClient("http://x", retries=3, backoff=0, transport=transport) as sayso,
            pytest.raises(SaysoError, match="unreachable"),
        ):
            write(sayso)
        assert len(seen) == 1
    transport, seen = _scripted(httpx.ConnectError("refused"), httpx.Response(201, json=written))
    with SaysoClient("http://x", retries=3, backoff=0, transport=transport) as sayso:
        assert sayso.add_document("a", "Some text.").status == "created"
    assert len(seen) == 2


def test_async_client_retries_then_succeeds() -> None:
    async def ask() -> dict[str, Any]:
        async with AsyncSaysoClient("http://x", retries=2, backoff=0, transport=transport) as c:
            return await c.ready()

    transport, seen = _scripted(httpx.ConnectError("refused"), _error(503, "not_ready"), READY)
    assert asyncio.run(ask())["status"] == "ready"
    assert len(seen) == 3


def test_api_key_and_bodies_are_sent() -> None:
    written = {"id": "a", "status": "created", "index_id": "i", "documents": 2, "passages": 9}
    transport, seen = _scripted(httpx.Response(201, json=written))
    with SaysoClient("http://x/", api_key="s3cret", transport=transport) as sayso:
        result = sayso.add_document("a", "Some text.", title="T")
        sayso.delete_document("a b#1")
    assert result.status == "created" and result.documents == 2
    assert all(r.headers["authorization"] == "Bearer s3cret" for r in seen)
    assert json.loads(seen[0].content) == {
        "id": "a",
        "text": "Some text.",
        "title": "T",
        "source": "",
        "url": "",
        "published": "",
    }
    assert (seen[1].method, seen[1].url.raw_path) == ("DELETE", b"/v1/documents/a%20b%231")
    transport, seen = _scripted(READY)
    with SaysoClient("http://x", transport=transport) as sayso:
        sayso.ready()
    assert "authorization" not in seen[0].headers


def test_documents_follow_the_cursor() -> None:
    pages = [
        httpx.Response(200, json={"documents": [{"id": "a"}], "next_cursor": "c1"}),
        httpx.Response(200, json={"documents": [{"id": "b"}], "next_cursor": None}),
    ]
    transport, seen = _scripted(*pages)
    with SaysoClient("http://x", transport=transport) as sayso:
        assert [d.id for d in sayso.documents()] == ["a", "b"]
    assert seen[1].url.params["cursor"] == "c1"


# A real socket: nothing listens at first, then a server starts on that port.


class _Ready(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b'{"status": "ready"}'
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_a_dead_port_is_retried_until_a_server_listens() -> None:
    port = free_port()
    with (
        SaysoClient(f"http://127.0.0.1:{port}", retries=1, backoff=0.01) as sayso,
        pytest.raises(SaysoError, match="unreachable"),
    ):
        sayso.ready()

    servers: list[HTTPServer] = []

    def start_late() -> None:
        time.sleep(0.3)
        servers.append(HTTPServer(("127.0.0.1", port), _Ready))
        servers[0].serve_forever()

    thread = threading.Thread(target=start_late, daemon=True)
    thread.start()
    try:
        with SaysoClient(f"http://127.0.0.1:{port}", retries=8, backoff=0.05) as sayso:
            assert sayso.ready() == {"status": "ready"}
    finally:
        while not servers:
            time.sleep(0.05)
        servers[0].shutdown()
        servers[0].server_close()
        thread.join(5)


def test_importing_the_client_loads_no_server_stack() -> None:
    code = (
        "import sys, service.client; "
        "print(sorted(m for m in ('fastapi', 'torch', 'numpy', 'index', 'starlette') "
        "if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "[]"
