"""OpenAI-compatible chat: POST /v1/chat/completions and GET /v1/models over /v1/context.

There is no language model: the assistant message is an extractive answer (index/chat/answer.py)
from the same numbered context as /v1/context, each sentence followed by its marker `[n]`.
The sources are in the extra field `citations` (on the response and on the message; on
the first chunk when streaming): citation `n`, passage and document ids, title, document
character offsets, and the quotes inside with their speakers. The OpenAI SDK keeps extra
fields: `completion.model_extra["citations"]`, `message.model_extra["citations"]`.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterator
from typing import Annotated, Any, Literal

from fastapi import APIRouter
from fastapi.exceptions import RequestValidationError
from fastapi.responses import StreamingResponse
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from index.chat.answer import Answer, extractive_answer
from index.chat.context import Context
from index.chat.conversation import Rewrite
from index.models.tokens import TokenCounter
from index.search import Searcher
from index.search.modes import MODES
from service.chat import chat_context, citation_out
from service.deps import SearcherDep, SettingsDep, TokenCounterDep
from service.errors import ApiError
from service.limits import check_mode
from service.routes import ERRORS, quote_out
from service.schemas import (
    DEFAULT_MAX_TOKENS,
    MAX_CONTEXT_TOKENS,
    MAX_MESSAGES,
    MIN_CONTEXT_TOKENS,
    CitationOut,
    ContextRequest,
    K,
    QuoteOut,
)
from service.settings import Settings

router = APIRouter(responses=ERRORS, tags=["openai"])

MODEL = "sayso"
"""The model name; `sayso-<mode>` picks a retrieval mode (GET /v1/models lists them)."""
CREATED = 1_767_225_600  # 2026-01-01, the `created` of every listed model


class ChatMessage(BaseModel):
    """An OpenAI chat message. Only user and assistant turns are searched; system,
    developer and tool messages are accepted and ignored, as are non-text content parts."""

    model_config = ConfigDict(extra="allow")

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: str | list[dict[str, Any]] | None = None

    def text(self) -> str:
        if isinstance(self.content, str):
            return self.content
        parts = self.content or []
        return "\n".join(str(p.get("text", "")) for p in parts if p.get("type") == "text")


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow")

    include_usage: bool = False


class ChatCompletionRequest(BaseModel):
    """The OpenAI request; sampling parameters (temperature, top_p, seed...) are accepted
    and ignored: the answer is extractive and deterministic."""

    model_config = ConfigDict(
        extra="allow",
        json_schema_extra={
            "examples": [
                {
                    "model": "sayso",
                    "messages": [{"role": "user", "content": "How much did China spend on R&D?"}],
                }
            ]
        },
    )

    model: str = Field(description="sayso, or sayso-<mode> (GET /v1/models)")
    messages: list[ChatMessage] = Field(min_length=1, max_length=MAX_MESSAGES)
    stream: bool = False
    stream_options: StreamOptions | None = None
    n: int = Field(1, ge=1, le=1, description="Only one choice is produced")
    max_tokens: int | None = Field(None, ge=1, description="Token budget of the answer")
    max_completion_tokens: int | None = Field(None, ge=1, description="Same as max_tokens")
    k: K = Field(5, description="sayso: passages to retrieve and cite (at most SAYSO_MAX_K)")
    context_tokens: int = Field(
        DEFAULT_MAX_TOKENS,
        ge=MIN_CONTEXT_TOKENS,
        le=MAX_CONTEXT_TOKENS,
        description="sayso: token budget of the cited context, as /v1/context's max_tokens",
    )
    doc_ids: list[Annotated[str, Field(max_length=512)]] | None = Field(
        None, max_length=1000, description="sayso: only search these documents"
    )


class ChatCitationOut(CitationOut):
    quotes: list[QuoteOut] = Field(description="The quotes inside the cited text, with speakers")


class AnswerSentenceOut(BaseModel):
    n: int = Field(description="Its citation")
    passage_id: str
    doc_id: str
    start: int = Field(description="Document character offset: document.text[start:end] == text")
    end: int
    text: str
    speaker: str = Field(
        "", description="Who is quoted, shown before the text when it names no one"
    )


class AssistantMessageOut(BaseModel):
    role: Literal["assistant"] = "assistant"
    content: str
    refusal: None = None
    citations: list[ChatCitationOut] = Field(description="sayso: the sources of the markers [n]")


class ChoiceOut(BaseModel):
    index: int = 0
    message: AssistantMessageOut
    finish_reason: Literal["stop", "length"]
    logprobs: None = None


class UsageOut(BaseModel):
    prompt_tokens: int
    completion_tokens: int
    total_tokens: int


class ChatCompletionOut(BaseModel):
    id: str
    object: Literal["chat.completion"] = "chat.completion"
    created: int
    model: str
    system_fingerprint: str = Field(description="The index version that answered")
    choices: list[ChoiceOut]
    usage: UsageOut
    citations: list[ChatCitationOut] = Field(description="sayso: the sources of the markers [n]")
    sentences: list[AnswerSentenceOut] = Field(
        description="sayso: each sentence of the answer, verbatim from its document"
    )
    query: str = Field(description="sayso: what was searched (the last user turn, self-contained)")


class ModelOut(BaseModel):
    id: str
    object: Literal["model"] = "model"
    created: int = CREATED
    owned_by: str = "sayso"


class ModelsOut(BaseModel):
    object: Literal["list"] = "list"
    data: list[ModelOut]


def model_mode(model: str, searcher: Searcher, settings: Settings) -> str:
    """The retrieval mode `model` names: sayso is the server default, sayso-<mode> that mode
    (400 mode_unavailable when this server cannot run it); 404 model_not_found otherwise."""
    if model == MODEL:
        return settings.mode
    mode = model.removeprefix(f"{MODEL}-")
    if mode == model or mode not in MODES:
        raise ApiError(
            404,
            "model_not_found",
            f"There is no model {model!r}; GET /v1/models lists them (e.g. {MODEL!r}).",
        )
    return check_mode(mode, searcher)


def _context_request(body: ChatCompletionRequest, mode: str) -> ContextRequest:
    """The /v1/context request for the chat: its user and assistant turns, as text.
    Invalid turns are a 422 naming their place in the request's `messages`."""
    origin = [n for n, m in enumerate(body.messages) if m.role in ("user", "assistant")]
    if not any(body.messages[n].role == "user" for n in origin):
        message = "must hold a user message"
        raise ApiError(
            422,
            "invalid_request",
            f"Invalid 'messages': {message}.",
            [{"field": "messages", "message": message}],
        )
    turns = [{"role": body.messages[n].role, "content": body.messages[n].text()} for n in origin]
    try:
        return ContextRequest.model_validate(
            {
                "messages": turns,
                "k": body.k,
                "max_tokens": body.context_tokens,
                "mode": mode,  # checked by model_mode
                "doc_ids": body.doc_ids,
            }
        )
    except ValidationError as exc:
        errors = []
        for error in exc.errors():
            loc = list(error["loc"])
            if loc[:1] == ["messages"] and len(loc) > 1 and isinstance(loc[1], int):
                loc[1] = origin[loc[1]]
            errors.append(error | {"loc": ("body", *loc)})
        raise RequestValidationError(errors) from None


def _citations(built: Context) -> list[ChatCitationOut]:
    quotes = {q.id: q for q in built.quotes}
    out = []
    for citation in built.citations:
        inside = [quote_out(quotes[q], citation.passage_id, None) for q in citation.quote_ids]
        out.append(ChatCitationOut(**citation_out(citation).model_dump(), quotes=inside))
    return out


def _completion(
    body: ChatCompletionRequest,
    rewritten: Rewrite,
    built: Context,
    answer: Answer,
    searcher: Searcher,
    count_tokens: TokenCounter,
) -> ChatCompletionOut:
    citations = _citations(built)
    prompt = sum(count_tokens(m.text()) for m in body.messages)
    completion = count_tokens(answer.text)
    return ChatCompletionOut(
        id=f"chatcmpl-{uuid.uuid4().hex}",
        created=int(time.time()),
        model=body.model,
        system_fingerprint=searcher.index.manifest.index_id,
        choices=[
            ChoiceOut(
                message=AssistantMessageOut(content=answer.text, citations=citations),
                finish_reason="length" if answer.truncated else "stop",
            )
        ],
        usage=UsageOut(
            prompt_tokens=prompt, completion_tokens=completion, total_tokens=prompt + completion
        ),
        citations=citations,
        sentences=[AnswerSentenceOut(**vars(s)) for s in answer.sentences],
        query=rewritten.query,
    )


def _sse(payload: dict[str, Any]) -> bytes:
    return f"data: {json.dumps(payload, ensure_ascii=False)}\n\n".encode()


def stream_chunks(done: ChatCompletionOut, answer: Answer, usage: bool) -> Iterator[bytes]:
    """The completion as chat.completion.chunk events: the role (with `citations`), one
    chunk per cited sentence, the finish reason, usage when asked, then `[DONE]`."""
    head = {
        "id": done.id,
        "object": "chat.completion.chunk",
        "created": done.created,
        "model": done.model,
        "system_fingerprint": done.system_fingerprint,
    }

    def chunk(delta: dict[str, Any], finish: str | None = None, **extra: Any) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return _sse(head | {"choices": [choice]} | extra)

    citations = [c.model_dump() for c in done.citations]
    yield chunk({"role": "assistant", "content": ""}, citations=citations, query=done.query)
    pieces = [s.rendered() for s in answer.sentences] or [answer.text]
    for n, piece in enumerate(pieces):
        yield chunk({"content": piece if n == 0 else f" {piece}"})
    yield chunk({}, done.choices[0].finish_reason)
    if usage:
        yield _sse(head | {"choices": [], "usage": done.usage.model_dump()})
    yield b"data: [DONE]\n\n"


@router.post(
    "/v1/chat/completions",
    response_model=ChatCompletionOut,
    operation_id="create_chat_completion",
    responses={200: {"content": {"text/event-stream": {}}, "description": "With stream: true"}},
)
def chat_completions(
    body: ChatCompletionRequest,
    searcher: SearcherDep,
    settings: SettingsDep,
    count_tokens: TokenCounterDep,
) -> Any:
    """An OpenAI chat completion whose answer is extracted from the indexed articles:
    sentences quoted verbatim, each followed by its citation marker `[n]`; the sources are
    in `citations`. Follow-ups are rewritten from earlier turns like /v1/context.
    `stream: true` sends chat.completion.chunk server-sent events ending in `[DONE]`."""
    mode = model_mode(body.model, searcher, settings)
    rewritten, built = chat_context(_context_request(body, mode), searcher, settings, count_tokens)
    answer = extractive_answer(
        built.citations,
        searcher.passage,
        built.quotes,
        count_tokens=count_tokens,
        max_tokens=body.max_completion_tokens or body.max_tokens,
    )
    done = _completion(body, rewritten, built, answer, searcher, count_tokens)
    if not body.stream:
        return done
    usage = body.stream_options is not None and body.stream_options.include_usage
    return StreamingResponse(
        stream_chunks(done, answer, usage),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-cache"},
    )


@router.get("/v1/models", response_model=ModelsOut, operation_id="list_models")
def models(searcher: SearcherDep) -> ModelsOut:
    """The model names /v1/chat/completions accepts: sayso (the server's default mode) and
    sayso-<mode> for each mode this server can run."""
    names = [MODEL] + [f"{MODEL}-{mode}" for mode in searcher.modes]
    return ModelsOut(data=[ModelOut(id=name) for name in names])
