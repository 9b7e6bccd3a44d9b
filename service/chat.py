"""Chatbot routes: citable context for a conversation turn (tools: service/tools.py)."""

from __future__ import annotations

from fastapi import APIRouter

from index.chat.context import Citation, Context, available_quotes, build_context
from index.chat.conversation import Message, Rewrite, fused_search, queries, rewrite
from index.models.tokens import TokenCounter
from index.search import Searcher
from service.deps import SearcherDep, SettingsDep, TokenCounterDep
from service.errors import ApiError
from service.limits import check_k, check_mode, check_question
from service.routes import ERRORS, quote_out
from service.schemas import (
    CitationOut,
    ContextRequest,
    ContextResponse,
    SpanOut,
)
from service.settings import Settings

router = APIRouter(responses=ERRORS, tags=["chat"])


def _check_limits(body: ContextRequest, settings: Settings) -> None:
    """The configured limits: k, question length, number of messages (422 / the error shape)."""
    check_k(body.k, settings)
    if body.question is not None:
        check_question(body.question, settings)
    if body.messages is not None:
        if len(body.messages) > settings.max_messages:
            message = (
                f"must hold at most {settings.max_messages} messages, got {len(body.messages)}"
            )
            raise ApiError(
                422,
                "invalid_request",
                f"Invalid 'messages': {message}; send only the recent turns.",
                [{"field": "messages", "message": message}],
            )
        last = max(n for n, m in enumerate(body.messages) if m.role == "user")
        check_question(body.messages[last].content, settings, field=f"messages.{last}.content")


def _rewrite(body: ContextRequest) -> Rewrite:
    if body.messages is None:
        assert body.question is not None  # guaranteed by ContextRequest's validator
        return rewrite([Message("user", body.question)])
    return rewrite([Message(m.role, m.content) for m in body.messages])


def citation_out(citation: Citation) -> CitationOut:
    return CitationOut(
        n=citation.n,
        passage_id=citation.passage_id,
        doc_id=citation.doc_id,
        title=citation.title,
        source=citation.source,
        url=citation.url,
        start=citation.start,
        end=citation.end,
        quote_ids=list(citation.quote_ids),
        text=citation.text,
        highlights=[SpanOut(start=s, end=e) for s, e in citation.highlights],
    )


def chat_context(
    body: ContextRequest, searcher: Searcher, settings: Settings, count_tokens: TokenCounter
) -> tuple[Rewrite, Context]:
    """The last user turn made self-contained, and its numbered context: what /v1/context
    answers, and what the OpenAI-compatible chat and the MCP search tool build on."""
    _check_limits(body, settings)
    rewritten = _rewrite(body)
    hits = fused_search(
        searcher,
        queries(rewritten),
        k=body.k,
        mode=check_mode(body.mode or settings.mode, searcher),
        doc_ids=body.doc_ids,
    )
    built = build_context(
        hits,
        searcher.index.documents,
        count_tokens,
        body.max_tokens,
        available_quotes(searcher.index, hits),
    )
    return rewritten, built


def context_response(rewritten: Rewrite, built: Context) -> ContextResponse:
    passage_ids = {q: c.passage_id for c in built.citations for q in c.quote_ids}
    return ContextResponse(
        query=rewritten.query,
        question=rewritten.question,
        rewritten=rewritten.query != rewritten.question,
        context=built.text,
        tokens=built.tokens,
        citations=[citation_out(c) for c in built.citations],
        quotes=[quote_out(q, passage_ids.get(q.id), None) for q in built.quotes],
    )


@router.post("/v1/context", response_model=ContextResponse, operation_id="get_context")
def context(
    body: ContextRequest,
    searcher: SearcherDep,
    settings: SettingsDep,
    count_tokens: TokenCounterDep,
) -> ContextResponse:
    """Numbered, citable context for the last user turn of a chat (or a bare question).

    Follow-ups are made self-contained from earlier turns (no language model: see
    index/conversation.py); `context` fits in `max_tokens` of the embedding model's
    tokenizer; `[n]` in `context` is citation `n`.
    """
    return context_response(*chat_context(body, searcher, settings, count_tokens))
