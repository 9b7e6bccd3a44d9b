"""The MCP tools in-process, through the mcp SDK's Client (no transport)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from mcp import Client
from mcp_types import TextContent

from index.disk import Index
from index.search import Searcher
from index.updates import IndexHolder
from service.mcp_server import build_server
from service.settings import Settings
from tests.conftest import FAKE_MODEL

pytestmark = pytest.mark.anyio
READ_TOOLS = {
    "search",
    "quotes",
    "list_documents",
    "get_document",
    "get_passage",
    "extract_quotes",
}


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


def settings(**extra: Any) -> Settings:
    return Settings(model=FAKE_MODEL, max_k=10, **extra)


def text_of(result: Any) -> str:
    """The text rendering of a tool result."""
    (block,) = result.content
    assert isinstance(block, TextContent)
    return block.text


async def call(server: Any, name: str, arguments: dict[str, Any]) -> Any:
    async with Client(server) as client:
        return await client.call_tool(name, arguments)


async def test_read_tools_only_without_a_key(fake_searcher: Searcher, tmp_path: Path) -> None:
    holder = IndexHolder(tmp_path, fake_searcher)
    server = build_server(settings(), lambda: fake_searcher, lambda: holder)
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
    assert {t.name for t in tools} == READ_TOOLS
    assert all(t.description and t.output_schema for t in tools)
    assert all(t.annotations and t.annotations.read_only_hint for t in tools)
    search = next(t for t in tools if t.name == "search")
    assert search.input_schema["properties"]["k"]["maximum"] == 10  # the live SAYSO_MAX_K
    keyed = build_server(settings(api_key="k"), lambda: fake_searcher, lambda: holder)
    async with Client(keyed) as client:
        names = {t.name for t in (await client.list_tools()).tools}
    assert names == READ_TOOLS | {"add_document", "delete_document"}


async def test_search_carries_citations_offsets_and_speakers(
    fake_searcher: Searcher, fake_index: Index
) -> None:
    server = build_server(settings(), lambda: fake_searcher)
    result = await call(server, "search", {"question": "What did Denis Depoux say about AI?"})
    assert not result.is_error
    out = result.structured_content
    assert out["citations"] and out["quotes"]
    for citation in out["citations"]:
        text = fake_index.documents[citation["doc_id"]].text
        assert text[citation["start"] : citation["end"]] == citation["text"]
        assert f"[{citation['n']}] passage {citation['passage_id']}" in text_of(result)
    assert all(q["speaker"]["name"] for q in out["quotes"])
    assert "Denis Depoux" in text_of(result)


async def test_each_read_tool(fake_searcher: Searcher, fake_index: Index) -> None:
    server = build_server(settings(), lambda: fake_searcher)
    doc_id = next(iter(fake_index.documents))
    passage = fake_index.passages[3]
    async with Client(server) as client:
        quotes = await client.call_tool("quotes", {"speaker": "Depoux", "topic": "AI"})
        listed = await client.call_tool("list_documents", {})
        document = await client.call_tool("get_document", {"doc_id": doc_id})
        stored = await client.call_tool("get_passage", {"passage_id": passage.id})
        extracted = await client.call_tool(
            "extract_quotes", {"text": "“We will win,” said Jane Doe, chief executive of Acme."}
        )
    found = quotes.structured_content["quotes"]
    assert found and {q["speaker"]["name"] for q in found} == {"Denis Depoux"}
    assert listed.structured_content["documents"][0]["id"] == doc_id
    assert document.structured_content["text"] == fake_index.documents[doc_id].text
    assert stored.structured_content["start"] == passage.start
    assert stored.structured_content["text"] == passage.text
    (quote,) = extracted.structured_content["quotes"]
    assert quote["speaker"]["name"] == "Jane Doe" and quote["text"] == "We will win"
    assert "Jane Doe" in text_of(extracted)


@pytest.mark.parametrize(
    ("name", "arguments", "message"),
    [
        ("search", {"question": "x", "k": 0}, "greater than or equal"),
        ("search", {"question": "x", "k": 11}, "less than or equal to 10"),
        ("search", {"question": "x", "mode": "semantic"}, "mode"),
        ("search", {"question": "x", "mode": "rescore"}, "mode_unavailable"),
        ("search", {}, "question"),
        ("search", {"question": "   "}, "invalid_request"),
        ("quotes", {"limit": "many"}, "limit"),
        ("get_document", {"doc_id": "nope"}, "document_not_found"),
        ("get_passage", {"passage_id": "nope"}, "passage_not_found"),
        ("extract_quotes", {"text": " "}, "invalid_request"),
    ],
)
async def test_bad_arguments_are_tool_errors(
    fake_searcher: Searcher, name: str, arguments: dict[str, Any], message: str
) -> None:
    result = await call(build_server(settings(), lambda: fake_searcher), name, arguments)
    assert result.is_error
    assert message in text_of(result)


async def test_not_ready_is_a_tool_error() -> None:
    from service.errors import ApiError

    def loading() -> Searcher:
        raise ApiError(503, "not_ready", "The service is not ready: the index is still loading.")

    result = await call(build_server(settings(), loading), "search", {"question": "x"})
    assert result.is_error and "not_ready" in text_of(result)


def test_http_endpoint_follows_protect_reads(fake_searcher: Searcher) -> None:
    from fastapi.testclient import TestClient

    from service.app import create_app

    app = create_app(settings(api_key="k", protect_reads=True), searcher=fake_searcher)
    with TestClient(app) as client:
        response = client.post("/mcp", json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "unauthorized"
