"""End to end: a real `sayso serve` process asked through the official clients, the
`openai` package (plain and streaming) and the `mcp` SDK (streamable HTTP at /mcp, and
stdio against `python -m service mcp`). The weightless hashing encoder keeps start-up
short; retrieval quality through these protocols is measured in bench/protocols.py."""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import httpx
import httpx2
import openai
import pytest
from mcp import Client, StdioServerParameters
from mcp.client.streamable_http import streamable_http_client
from mcp_types import TextContent

from tests.conftest import SEED_ID
from tests.processes import sayso_env, sayso_server

pytestmark = [pytest.mark.e2e, pytest.mark.anyio]

KEY = "e2e-secret"
QUESTION = "Who is the Roland Berger managing director quoted in the article?"


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    return "asyncio"


def server_env(root: Path) -> dict[str, str]:
    return sayso_env(root / "index", api_key=KEY)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("e2e-protocols")
    with sayso_server(server_env(root), root / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def chat(server: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server}/v1", api_key="unused", max_retries=0)


def text_of(result: Any) -> str:
    """The text rendering of a tool result."""
    (block,) = result.content
    assert isinstance(block, TextContent)
    return block.text


def document_text(server: str, doc_id: str) -> str:
    text: str = httpx.get(f"{server}/v1/documents/{doc_id}").json()["text"]
    return text


def test_openai_plain_completion(server: str, chat: openai.OpenAI) -> None:
    completion = chat.chat.completions.create(
        model="sayso", messages=[{"role": "user", "content": QUESTION}]
    )
    message = completion.choices[0].message
    assert completion.choices[0].finish_reason == "stop"
    assert message.role == "assistant" and message.content and "[1]" in message.content
    extra = completion.model_extra or {}
    citations = extra["citations"]
    assert (message.model_extra or {})["citations"] == citations
    text = document_text(server, citations[0]["doc_id"])
    for citation in citations:
        assert text[citation["start"] : citation["end"]] == citation["text"]
        for quote in citation["quotes"]:
            assert text[quote["start"] : quote["end"]] == quote["text"]
    for sentence in extra["sentences"]:
        assert text[sentence["start"] : sentence["end"]] == sentence["text"]
    speakers = {q["speaker"]["name"] for c in citations for q in c["quotes"]}
    assert "Denis Depoux" in speakers


def test_openai_streaming(chat: openai.OpenAI) -> None:
    messages: Any = [{"role": "user", "content": QUESTION}]
    plain = chat.chat.completions.create(model="sayso", messages=messages)
    stream = chat.chat.completions.create(
        model="sayso", messages=messages, stream=True, stream_options={"include_usage": True}
    )
    chunks = list(stream)
    assert chunks[0].choices[0].delta.role == "assistant"
    assert (chunks[0].model_extra or {})["citations"] == (plain.model_extra or {})["citations"]
    text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert text == plain.choices[0].message.content
    finishes = [c.choices[0].finish_reason for c in chunks if c.choices]
    assert finishes[-1] == "stop" and set(finishes[:-1]) == {None}
    assert chunks[-1].usage is not None and chunks[-1].usage.completion_tokens > 0


def test_openai_follow_up_uses_the_conversation(chat: openai.OpenAI) -> None:
    completion = chat.chat.completions.create(
        model="sayso-hybrid",
        messages=[
            {"role": "system", "content": "Answer from the news."},
            {"role": "user", "content": "How much did China invest in R&D in 2024?"},
            {"role": "assistant", "content": "More than 3.6 trillion yuan."},
            {"role": "user", "content": "And what about chips?"},
        ],
        extra_body={"k": 3},
    )
    extra = completion.model_extra or {}
    assert extra["query"].startswith("And what about chips? ") and "R&D" in extra["query"]
    assert len(extra["citations"]) <= 3


def test_openai_models_and_errors(chat: openai.OpenAI) -> None:
    assert "sayso" in [model.id for model in chat.models.list()]
    with pytest.raises(openai.NotFoundError) as missing:
        chat.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "x"}])
    assert missing.value.code == "model_not_found" and missing.value.status_code == 404
    with pytest.raises(openai.UnprocessableEntityError) as invalid:
        chat.chat.completions.create(
            model="sayso", messages=[{"role": "user", "content": "x"}], extra_body={"k": 10_000}
        )
    assert invalid.value.code == "invalid_request"
    assert isinstance(invalid.value, openai.APIError)


async def check_read_tools(client: Client) -> None:
    search = await client.call_tool("search", {"question": QUESTION, "k": 3})
    assert not search.is_error and search.structured_content
    citation = search.structured_content["citations"][0]
    assert {"n", "passage_id", "doc_id", "start", "end", "quote_ids"} <= set(citation)
    quotes = await client.call_tool("quotes", {"speaker": "Depoux"})
    assert {q["speaker"]["name"] for q in quotes.structured_content["quotes"]} == {"Denis Depoux"}
    document = await client.call_tool("get_document", {"doc_id": citation["doc_id"]})
    text = document.structured_content["text"]
    assert text[citation["start"] : citation["end"]] == citation["text"]
    passage = await client.call_tool("get_passage", {"passage_id": citation["passage_id"]})
    assert passage.structured_content["start"] == citation["start"]
    listed = await client.call_tool("list_documents", {})
    assert SEED_ID in {d["id"] for d in listed.structured_content["documents"]}
    extracted = await client.call_tool(
        "extract_quotes", {"text": "“We will win,” said Jane Doe, chief executive of Acme."}
    )
    assert extracted.structured_content["quotes"][0]["speaker"]["name"] == "Jane Doe"
    bad = await client.call_tool("search", {"question": "x", "k": "lots"})
    assert bad.is_error and bad.content
    missing = await client.call_tool("get_document", {"doc_id": "nope"})
    assert missing.is_error and "document_not_found" in text_of(missing)


@pytest.fixture
async def keyed(server: str) -> AsyncIterator[Client]:
    headers = {"Authorization": f"Bearer {KEY}"}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=60) as http,
        Client(streamable_http_client(f"{server}/mcp", http_client=http)) as client,
    ):
        yield client


async def test_mcp_over_http(server: str) -> None:
    async with Client(f"{server}/mcp") as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "search" in names and "add_document" not in names
        await check_read_tools(client)


async def test_mcp_writes_need_the_key(keyed: Client) -> None:
    names = {t.name for t in (await keyed.list_tools()).tools}
    assert {"add_document", "delete_document"} <= names
    text = "“Tides turn slowly,” said Mara Quill, harbour master of Port Evenmoor."
    added = await keyed.call_tool("add_document", {"id": "harbour", "text": text})
    assert not added.is_error and added.structured_content["status"] == "created"
    quotes = await keyed.call_tool("quotes", {"doc_id": "harbour"})
    assert quotes.structured_content["quotes"][0]["speaker"]["name"] == "Mara Quill"
    deleted = await keyed.call_tool("delete_document", {"doc_id": "harbour"})
    assert deleted.structured_content["status"] == "deleted"
    again = await keyed.call_tool("delete_document", {"doc_id": "harbour"})
    assert again.is_error and "document_not_found" in text_of(again)


async def test_mcp_over_stdio(tmp_path: Path) -> None:
    env = server_env(tmp_path) | {"SAYSO_API_KEY": ""}
    params = StdioServerParameters(
        command=sys.executable, args=["-m", "service", "mcp"], env=env, cwd=str(tmp_path)
    )
    async with Client(params, read_timeout_seconds=300) as client:
        names = {t.name for t in (await client.list_tools()).tools}
        assert "search" in names and "add_document" not in names
        await check_read_tools(client)
