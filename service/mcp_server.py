"""MCP: sayso's tools for agents, over stdio (`sayso mcp`) and streamable HTTP (`/mcp`,
served by service/mcp_http.py, which imports this module on its first request).

A curated set, not a copy of the OpenAPI: `search` (numbered, citable passages with
offsets and the quotes inside with their speakers: /v1/context), `quotes` (by speaker
and/or topic), `get_document`, `get_passage`, `list_documents`, `extract_quotes` (any
text, nothing stored); `add_document` and `delete_document` only when SAYSO_API_KEY is
set (and over HTTP, only to callers that send it). Each tool calls what the HTTP route
calls and returns its JSON shape as structured content, with a text rendering beside it.
A bad argument or a failed call is a tool error (`isError`), never a crash.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

from mcp.server import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import CallToolResult, TextContent, ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from index.chat.context import speaker_label
from index.models.tokens import token_counter
from index.search import Searcher
from index.updates import IndexHolder
from service import __version__, chat, routes, writes
from service.errors import ApiError
from service.extraction import ExtractGate
from service.schemas import (
    DEFAULT_MAX_TOKENS,
    MAX_CONTEXT_TOKENS,
    MIN_CONTEXT_TOKENS,
    ContextRequest,
    ContextResponse,
    DocumentIn,
    DocumentListOut,
    DocumentOut,
    DocumentWriteOut,
    ExtractIn,
    Mode,
    QuoteOut,
    QuotesOut,
    StoredPassageOut,
)
from service.settings import Settings

log = logging.getLogger(__name__)

INSTRUCTIONS = (
    "sayso searches news articles. Call `search` with a self-contained question; cite its "
    "passages by their numbers [n]. Each citation has the document id and the character "
    "offsets of the cited text; quotes carry the speaker's name, title and organisation."
)
MAX_QUOTES = 200
READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(destructive_hint=True, idempotent_hint=True, open_world_hint=False)

Out = TypeVar("Out", bound=BaseModel)


def _result(out: BaseModel, text: str) -> CallToolResult:
    """Structured content (the HTTP route's JSON) plus a text rendering for the model."""
    return CallToolResult(
        content=[TextContent(type="text", text=text)],
        structured_content=out.model_dump(mode="json"),
    )


def _call(work: Callable[[], Out]) -> Out:
    """Run a route's work; its API errors and invalid input become tool errors."""
    try:
        return work()
    except (ApiError, ValidationError) as exc:
        raise _tool_error(exc) from None


async def _call_async(work: Awaitable[Out]) -> Out:
    """`_call` for work that awaits (a write through its gate)."""
    try:
        return await work
    except (ApiError, ValidationError) as exc:
        raise _tool_error(exc) from None


def _tool_error(exc: ApiError | ValidationError) -> ToolError:
    if isinstance(exc, ApiError):
        return ToolError(f"{exc.code}: {exc.message}")
    first = exc.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "arguments"
    return ToolError(f"invalid_request: {where}: {first['msg']}")


def _quote_line(quote: QuoteOut) -> str:
    where = f"{quote.doc_id} [{quote.start}:{quote.end}]"
    return f"- {speaker_label(quote.speaker)}: “{quote.text}” ({where}, id {quote.id})"


def _quotes_text(quotes: list[QuoteOut]) -> str:
    return "\n".join(_quote_line(q) for q in quotes) or "No quotes found."


def _context_text(out: ContextResponse) -> str:
    sources = [
        f"[{c.n}] passage {c.passage_id}, document {c.doc_id} [{c.start}:{c.end}]"
        for c in out.citations
    ]
    if not sources:
        return f"Searched for: {out.query}\nNothing found."
    return f"Searched for: {out.query}\n\n{out.context}\n\nSources:\n" + "\n".join(sources)


def build_server(
    settings: Settings,
    searcher: Callable[[], Searcher],
    holder: Callable[[], IndexHolder] | None = None,
) -> MCPServer:
    """The MCP server over the searcher `searcher()` returns at each call (it may raise
    ApiError, e.g. 503 while loading). Write tools are added when `holder` is given and
    an API key is configured. (The SDK evaluates string annotations in this module's
    globals, so they name only module-level types; `search`'s `k` gets the live bound.)"""
    server: MCPServer = MCPServer(
        "sayso", instructions=INSTRUCTIONS, version=__version__, log_level="WARNING"
    )

    def search(
        question: Annotated[str, Field(description="A self-contained question or keywords")],
        k: int = 5,  # bounded by the live SAYSO_MAX_K below
        max_tokens: Annotated[
            int,
            Field(
                ge=MIN_CONTEXT_TOKENS,
                le=MAX_CONTEXT_TOKENS,
                description="Token budget of the context (embedding model's tokenizer)",
            ),
        ] = DEFAULT_MAX_TOKENS,
        mode: Annotated[Mode | None, Field(description="Retrieval mode")] = None,
        doc_ids: Annotated[list[str] | None, Field(description="Only these documents")] = None,
    ) -> Annotated[CallToolResult, ContextResponse]:
        """Numbered, citable passages that answer the question ([1], [2], ...), each with
        its document id and character offsets, and the attributed quotes inside them
        (speaker name, title, organisation)."""

        def work() -> ContextResponse:
            body = ContextRequest(
                question=question, k=k, max_tokens=max_tokens, mode=mode, doc_ids=doc_ids
            )
            count = token_counter(settings.model)
            return chat.context_response(*chat.chat_context(body, searcher(), settings, count))

        out = _call(work)
        return _result(out, _context_text(out))

    # A real annotation object is used as is, so the listed schema carries the live bound.
    search.__annotations__["k"] = Annotated[
        int, Field(ge=1, le=settings.max_k, description=f"Passages to cite, 1 to {settings.max_k}")
    ]
    server.add_tool(search, title="Search the news articles", annotations=READ)

    @server.tool(title="Find quotes", annotations=READ)
    def quotes(
        speaker: Annotated[
            str | None, Field(description="Name, title or organisation contains this")
        ] = None,
        topic: Annotated[str | None, Field(description="Rank the quotes by relevance")] = None,
        doc_id: Annotated[str | None, Field(description="Only this document")] = None,
        limit: Annotated[int, Field(ge=1, le=MAX_QUOTES)] = 20,
    ) -> Annotated[CallToolResult, QuotesOut]:
        """Attributed quotes in the indexed articles, by speaker and/or topic: each with
        its speaker, document id and character offsets."""

        out = _call(
            lambda: routes.list_quotes(
                searcher(), settings, speaker=speaker, doc_id=doc_id, q=topic, limit=limit
            )
        )
        return _result(out, _quotes_text(out.quotes))

    @server.tool(title="List documents", annotations=READ)
    def list_documents() -> Annotated[CallToolResult, DocumentListOut]:
        """Every indexed article: id, title, source, url, date and number of passages."""
        out = _call(lambda: routes.list_documents(searcher()))
        lines = [f"- {d.id}: {d.title} ({d.source}, {d.published})" for d in out.documents]
        return _result(out, "\n".join(lines) or "No documents.")

    @server.tool(title="Get a document", annotations=READ)
    def get_document(doc_id: str) -> Annotated[CallToolResult, DocumentOut]:
        """One article with its full text and its passages (ids and character offsets)."""
        out = _call(lambda: routes.get_document(doc_id, searcher()))
        heading = f"{out.title or out.id}" + (f" ({out.source})" if out.source else "")
        return _result(out, f"{heading}\n\n{out.text}")

    @server.tool(title="Get a passage", annotations=READ)
    def get_passage(passage_id: str) -> Annotated[CallToolResult, StoredPassageOut]:
        """One passage by id (as cited by `search`), with its document character offsets."""
        out = _call(lambda: routes.get_passage(passage_id, searcher()))
        return _result(out, f"{out.id} ({out.doc_id} [{out.start}:{out.end}])\n{out.text}")

    extract_gate = ExtractGate.from_settings(settings)

    @server.tool(title="Extract quotes from text", annotations=READ)
    async def extract_quotes(
        text: Annotated[str, Field(description="Any article text")],
        title: str = "",
    ) -> Annotated[CallToolResult, QuotesOut]:
        """The attributed quotes of any text (speaker, kind, character offsets into
        `text`); nothing is stored."""
        body = _call(lambda: ExtractIn(text=text, title=title))
        try:  # bounded like /v1/extract: size, time and concurrency budgets
            found = await extract_gate.extract(None, body.text)
        except ApiError as exc:
            raise ToolError(f"{exc.code}: {exc.message}") from None
        out = QuotesOut(quotes=[routes.quote_out(q, None, None) for q in found])
        return _result(out, _quotes_text(out.quotes))

    if holder is not None and settings.api_key:
        _add_write_tools(server, settings, holder)
    return server


def _add_write_tools(
    server: MCPServer, settings: Settings, holder: Callable[[], IndexHolder]
) -> None:
    gate = writes.write_gate(settings)  # bounded like POST /v1/documents

    @server.tool(title="Add or replace a document", annotations=WRITE)
    async def add_document(
        id: Annotated[str, Field(description="Letters, digits, '.', '_' or '-'")],
        text: str,
        title: str = "",
        source: str = "",
        url: str = "",
        published: str = "",
    ) -> Annotated[CallToolResult, DocumentWriteOut]:
        """Add an article, or replace the one with the same id; the index is updated
        atomically before this returns."""

        async def work() -> DocumentWriteOut:
            body = DocumentIn(
                id=id, text=text, title=title, source=source, url=url, published=published
            )
            document = writes.validated(body)
            written = await writes.apply(gate, None, holder(), settings, [document])
            return writes.change_out(document, written)

        out = await _call_async(work())
        return _result(out, f"{out.status} {out.id}: index {out.index_id}, {out.documents} docs")

    @server.tool(title="Delete a document", annotations=WRITE)
    def delete_document(doc_id: str) -> Annotated[CallToolResult, DocumentWriteOut]:
        """Remove an article from the index."""
        out = _call(lambda: writes.delete_document(doc_id, holder(), None))
        return _result(out, f"{out.status} {out.id}: index {out.index_id}, {out.documents} docs")


def serve_stdio(settings: Settings, searcher: Searcher) -> None:
    """`sayso mcp`: the tools over stdin/stdout until the client closes them."""
    holder = IndexHolder(settings.index_dir, searcher)

    def live() -> Searcher:
        holder.refresh()  # a version `sayso serve` or `sayso add` made live meanwhile
        return holder.searcher

    build_server(settings, live, lambda: holder).run("stdio")
