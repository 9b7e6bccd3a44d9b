"""GET /v1/tools: tool definitions for a chatbot's model, in OpenAI or Anthropic form.

Each tool is one capability (search, quotes, document) over an existing route; `calls`
says which route and where its arguments go. The schemas follow OpenAI's strict mode:
every object has `additionalProperties: false`, every property is required, and an
optional one is nullable (the model sends `null` for "use the default"). Bounds (`k`, the
context's token budget) are read from the live settings, so a tool never invites an
argument the server would refuse.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query

from service.deps import SettingsDep
from service.routes import ERRORS
from service.schemas import (
    DEFAULT_MAX_TOKENS,
    DOC_ID_PATTERN,
    MAX_CONTEXT_TOKENS,
    MIN_CONTEXT_TOKENS,
    ToolCallOut,
    ToolsOut,
)
from service.settings import Settings

router = APIRouter(responses=ERRORS, tags=["chat"])

SEARCH_TOOL = "search_news"
QUOTES_TOOL = "find_quotes"
DOCUMENT_TOOL = "get_document"
QUOTES_LIMIT = 100
"""Most quotes one tool call may ask for (the route allows more; a model's context does not)."""

ToolFormat = Literal["openai", "anthropic"]

CALLS: dict[str, ToolCallOut] = {
    SEARCH_TOOL: ToolCallOut(method="POST", path="/v1/context", arguments="body"),
    QUOTES_TOOL: ToolCallOut(method="GET", path="/v1/quotes", arguments="query"),
    DOCUMENT_TOOL: ToolCallOut(method="GET", path="/v1/documents/{doc_id}", arguments="path"),
}


def _nullable(kind: str, description: str, **bounds: Any) -> dict[str, Any]:
    return {"type": [kind, "null"], "description": description, **bounds}


def _object(properties: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """A strict-mode object: no extra keys, every property required."""
    return {
        "type": "object",
        "properties": properties,
        "required": list(properties),
        "additionalProperties": False,
    }


def _specs(settings: Settings) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, description, parameters schema) of each tool, bounded by `settings`."""
    search = _object(
        {
            "question": {
                "type": "string",
                "description": "A self-contained question or keywords, at most "
                f"{settings.max_question_chars} characters",
            },
            "k": _nullable(
                "integer",
                f"How many passages to return, 1 to {settings.max_k}; null for 5",
                minimum=1,
                maximum=settings.max_k,
            ),
            "max_tokens": _nullable(
                "integer",
                "Token budget of the returned context, "
                f"{MIN_CONTEXT_TOKENS} to {MAX_CONTEXT_TOKENS}; null for {DEFAULT_MAX_TOKENS}",
                minimum=MIN_CONTEXT_TOKENS,
                maximum=MAX_CONTEXT_TOKENS,
            ),
        }
    )
    quotes = _object(
        {
            "speaker": _nullable(
                "string", "Only quotes whose speaker's name, title or organisation contains this"
            ),
            "q": _nullable("string", "A topic: rank the quotes by relevance to it"),
            "doc_id": _nullable("string", "Only quotes from this document"),
            "limit": _nullable(
                "integer",
                f"How many quotes to return, 1 to {QUOTES_LIMIT}; null for 50",
                minimum=1,
                maximum=QUOTES_LIMIT,
            ),
        }
    )
    document = _object(
        {
            "doc_id": {
                "type": "string",
                "pattern": DOC_ID_PATTERN,
                "description": "The document id, as in a search result's `doc_id`",
            }
        }
    )
    return [
        (
            SEARCH_TOOL,
            "Search the news articles indexed by sayso. Returns numbered passages "
            "([1], [2], ...) with titles, sources, character offsets and attributed quotes, "
            "ready to cite. Ask one self-contained question per call.",
            search,
        ),
        (
            QUOTES_TOOL,
            "Find attributed quotes in the news articles: who said what, with the speaker's "
            "title and organisation and character offsets. Filter by speaker, rank by a topic, "
            "or both.",
            quotes,
        ),
        (
            DOCUMENT_TOOL,
            "Get one news article by id: its title, source, full text and passages with "
            "character offsets.",
            document,
        ),
    ]


def tool_definitions(settings: Settings, form: ToolFormat = "openai") -> list[dict[str, Any]]:
    """The tools in OpenAI's function form (`strict: true`) or Anthropic's `input_schema`
    form; the JSON Schema is the same in both."""
    if form == "anthropic":
        return [
            {"name": name, "description": description, "input_schema": schema}
            for name, description, schema in _specs(settings)
        ]
    return [
        {
            "type": "function",
            "function": {
                "name": name,
                "description": description,
                "parameters": schema,
                "strict": True,
            },
        }
        for name, description, schema in _specs(settings)
    ]


@router.get("/v1/tools", response_model=ToolsOut, operation_id="list_tools")
def tools(
    settings: SettingsDep,
    form: Annotated[
        ToolFormat,
        Query(
            alias="format",
            description="openai: `{type, function: {..., strict}}`; anthropic: `input_schema`",
        ),
    ] = "openai",
) -> ToolsOut:
    """Tool definitions for a chatbot whose model calls tools. `calls` says how to run each:
    its JSON arguments go in the body (POST), the query string (drop nulls) or the path."""
    return ToolsOut(format=form, tools=tool_definitions(settings, form), calls=CALLS)
