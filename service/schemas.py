"""Wire schemas: the JSON shapes of DESIGN.md as pydantic models (requests and ...Out)."""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    Strict,
    WithJsonSchema,
    model_serializer,
    model_validator,
)

from index.search.modes import MODES, check_mode
from service.settings import K_CEILING, QUESTION_CEILING, Settings

MAX_MESSAGES = 1000  # hard ceiling; SAYSO_MAX_MESSAGES is the limit in force
MAX_MESSAGE_CHARS = 8000
DEFAULT_MAX_TOKENS = 800
MIN_CONTEXT_TOKENS = 32
MAX_CONTEXT_TOKENS = 32000
"""Bounds of /v1/context's `max_tokens` (the token cap)."""
# The defaults; the limits in force are Settings.max_question_chars and max_k, checked by
# service.limits (the schema only carries hard ceilings so the settings can raise them).
MAX_QUESTION_CHARS: int = Settings.model_fields["max_question_chars"].default
MAX_K: int = Settings.model_fields["max_k"].default
Mode = Annotated[
    str, AfterValidator(check_mode), WithJsonSchema({"type": "string", "enum": list(MODES)})
]
"""A retrieval mode's name, validated against the registry (index.search.modes)."""
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$"
QuoteKind = Literal["direct", "indirect"]
"""index.quotes.model.KINDS, as a wire enum."""
WriteStatus = Literal["created", "replaced", "unchanged", "deleted"]
"""index.updates.ChangeKind, as a wire enum."""
EXAMPLE_QUESTION = "How much did China invest in R&D in 2024?"


def _meaningful(text: str) -> str:
    if not text.strip():
        raise ValueError("must contain some text, not only whitespace")
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text.strip()


def _no_nul(text: str) -> str:
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text


Question = Annotated[
    str,
    Field(
        min_length=1,
        max_length=QUESTION_CEILING,
        description=f"The question; at most SAYSO_MAX_QUESTION_CHARS characters "
        f"(default {MAX_QUESTION_CHARS})",
    ),
    AfterValidator(_meaningful),
]
K = Annotated[
    int,
    Field(
        ge=1,
        le=K_CEILING,
        description=f"How many passages to return, 1 to SAYSO_MAX_K (default {MAX_K})",
    ),
]
BodyK = Annotated[K, Strict()]
"""`k` in a JSON body: a JSON integer (`true` or `"5"` is refused, not read as 1 or 5)."""
Metadata = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]


RERANK_HELP = (
    "true: re-order the hybrid's best passages with the cross-encoder (the same as mode "
    "'rerank'; needs SAYSO_RERANKER); false: no cross-encoder; omitted: as the mode says"
)


class SearchRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"question": EXAMPLE_QUESTION, "k": 5, "mode": "hybrid"},
                {"question": "What did Denis Depoux say about AI?", "speaker": "Depoux"},
            ]
        },
    )

    question: Question
    k: BodyK = 5
    mode: Mode | None = Field(
        None,
        description="hybrid, dense, lexical, quality, rescore or ensemble (the last two need "
        "a second model) or rerank (needs a cross-encoder); the server default when omitted",
    )
    rerank: bool | None = Field(None, description=RERANK_HELP)
    doc_ids: list[Annotated[str, Field(max_length=512)]] | None = Field(
        None, max_length=1000, description="Only search these documents"
    )
    speaker: Annotated[str, Field(min_length=1, max_length=200)] | None = Field(
        None,
        description="Only passages quoting this speaker (matched on name, title or "
        "organisation, case-insensitive)",
    )


class DocumentIn(BaseModel):
    """An article to add, or to replace the article with the same id."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "id": "city-budget-2026",
                    "title": "City adopts its 2026 budget",
                    "source": "Example Gazette",
                    "text": "The council adopted the budget on Monday.\n"
                    '"This budget keeps the libraries open," said Ana Ruiz, the mayor.',
                }
            ]
        },
    )

    id: str = Field(
        pattern=DOC_ID_PATTERN,
        description="Letters, digits, '.', '_' or '-', at most 128, starting alphanumeric",
    )
    text: Annotated[str, Field(min_length=1), AfterValidator(_meaningful)]
    title: Metadata = ""
    source: Metadata = ""
    url: Metadata = ""
    published: Metadata = ""


class BatchItemOut(BaseModel):
    id: str
    status: str = Field(description="created, replaced or unchanged")


class BatchWriteOut(BaseModel):
    """What a batch write did: one index version for all its documents."""

    index_id: str = Field(description="The index version now serving")
    documents: int
    passages: int
    created: int
    replaced: int
    unchanged: int
    results: list[BatchItemOut] = Field(description="One per posted document, in order")


class DocumentWriteOut(BaseModel):
    """What a write did, and the index version now serving."""

    id: str
    status: WriteStatus = Field(description="created, replaced, unchanged or deleted")
    index_id: str
    documents: int
    passages: int


class SpanOut(BaseModel):
    start: int
    end: int


class PassageOut(BaseModel):
    id: str
    doc_id: str
    title: str
    source: str
    text: str
    start: int
    end: int
    rank: int
    score: float
    scores: dict[str, float]
    highlights: list[SpanOut]
    quote_ids: list[str] = Field(description="Ids of the quotes this passage holds")


class SearchResponse(BaseModel):
    question: str
    mode: Mode
    passages: list[PassageOut]
    quotes: list[QuoteOut] = Field(
        description="Quotes in these passages: speakers the question names first, "
        "then by relevance (`score`, the best cosine of a sentence the quote overlaps)"
    )
    timings_ms: dict[str, float]
    answerable: bool | None = Field(
        None,
        description="Whether the best passage is a confident match (null in lexical mode, "
        "which has no question vector)",
    )
    confidence: float | None = Field(
        None, ge=0, le=1, description="Calibrated probability that the best passage answers"
    )


class QuotesOut(BaseModel):
    quotes: list[QuoteOut]


class QuotePageOut(QuotesOut):
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page"
    )


class ExtractIn(BaseModel):
    """Any article text; its quotes are extracted and returned, nothing is stored."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "text": '"We will open two more clinics next year," said Ana Ruiz, the '
                    "city's mayor. She added that hiring would start in March."
                }
            ]
        },
    )

    text: Annotated[str, Field(min_length=1), AfterValidator(_meaningful)]
    title: Metadata = ""


class DocumentSummaryOut(BaseModel):
    id: str
    title: str
    source: str
    url: str
    published: str
    passages: int


class DocumentListOut(BaseModel):
    documents: list[DocumentSummaryOut]
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page"
    )


class StoredPassageOut(BaseModel):
    id: str
    doc_id: str
    text: str
    start: int
    end: int


class DocumentOut(BaseModel):
    id: str
    title: str
    source: str
    url: str
    published: str
    text: str
    passages: list[StoredPassageOut]


class HealthOut(BaseModel):
    status: Literal["ok"]


class StoreOut(BaseModel):
    kind: str
    location: str


class ReadyOut(BaseModel):
    status: Literal["ready"]
    documents: int
    passages: int
    model: str
    built_at: str
    index_id: str
    mode: Mode
    fusion: str
    modes: list[Mode] = []
    profile: dict[str, object] = {}
    writes: Literal["open", "key", "disabled"] = Field(
        "open",
        description="Who may add or delete documents: anyone (loopback, no key), holders of "
        "SAYSO_API_KEY, or nobody (a public address without a key)",
    )
    store: StoreOut | None = None


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[object] = []


class ErrorOut(BaseModel):
    error: ErrorBody


class MessageIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    role: Literal["user", "assistant"]
    content: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)]


class ContextRequest(BaseModel):
    """A chat (`messages`, the last user turn is answered) or a bare `question`."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "messages": [
                        {"role": "user", "content": EXAMPLE_QUESTION},
                        {"role": "assistant", "content": "More than 3.6 trillion yuan [1]."},
                        {"role": "user", "content": "And what about chips?"},
                    ],
                    "k": 4,
                    "max_tokens": 800,
                },
                {"question": EXAMPLE_QUESTION},
            ]
        },
    )

    messages: list[MessageIn] | None = Field(
        None, min_length=1, max_length=MAX_MESSAGES, description="The conversation so far"
    )
    question: Question | None = Field(None, description="Instead of messages: one question")
    k: BodyK = 5
    max_tokens: int = Field(
        DEFAULT_MAX_TOKENS,
        ge=MIN_CONTEXT_TOKENS,
        le=MAX_CONTEXT_TOKENS,
        description="Budget for `context`, counted with the embedding model's tokenizer",
    )
    mode: Mode | None = Field(None, description="A retrieval mode; the server default when omitted")
    doc_ids: list[Annotated[str, Field(max_length=512)]] | None = Field(
        None, max_length=1000, description="Only search these documents"
    )

    @model_validator(mode="before")
    @classmethod
    def _null_means_default(cls, data: Any) -> Any:
        # A model calling the strict search tool sends null for "the default".
        if isinstance(data, dict):
            return {
                key: value
                for key, value in data.items()
                if not (value is None and key in ("k", "max_tokens"))
            }
        return data

    @model_validator(mode="after")
    def _one_input(self) -> ContextRequest:
        if (self.messages is None) == (self.question is None):
            raise ValueError("give either messages or question, not both or neither")
        if self.messages is not None:
            users = [m for m in self.messages if m.role == "user"]
            if not users or not users[-1].content.strip():
                raise ValueError("the last user message must contain some text")
            if any("\x00" in m.content for m in self.messages):
                raise ValueError("messages must not contain NUL characters")
        return self


class SpeakerOut(BaseModel):
    name: str
    title: str = ""
    organization: str = ""
    id: str | None = Field(
        None, description="The speaker directory's id (GET /v1/speakers/{id}); absent if unlinked"
    )

    @model_serializer(mode="wrap")
    def _without_missing_id(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        row: dict[str, Any] = handler(self)
        if row.get("id") is None:
            row.pop("id", None)
        return row


class SpeakerFields(BaseModel):
    """A person or organisation quoted across the archive (the DESIGN.md Speaker shape)."""

    id: str
    name: str = Field(description="The most frequent form of the name")
    kind: str = Field(description="person or organization")
    names: list[str] = Field(description="Every name variant quotes carry, most frequent first")
    titles: list[str] = Field(description="Titles seen, most frequent first (at most 20)")
    organizations: list[str] = Field(description="Organisations seen, most frequent first")
    documents: int = Field(description="How many articles quote this speaker")


class SpeakerEntryOut(SpeakerFields):
    quotes: int = Field(description="How many quotes are linked to this speaker")


class SpeakersOut(BaseModel):
    speakers: list[SpeakerEntryOut] = Field(description="Most quoted first")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page; null on the last page"
    )


class SpeakerDetailOut(SpeakerFields):
    """One speaker with its linked quotes (a page of them, in document order)."""

    quotes: list[QuoteOut]
    quote_count: int = Field(description="How many quotes are linked to this speaker")
    next_cursor: str | None = Field(
        None, description="Pass as `cursor` for the next page of quotes; null on the last"
    )


class QuoteOut(BaseModel):
    id: str
    doc_id: str
    passage_id: str | None = None
    text: str
    kind: QuoteKind = "direct"
    start: int
    end: int
    cue: str = ""
    speaker: SpeakerOut
    score: float | None = None


class CitationOut(BaseModel):
    n: int = Field(description="The marker [n] in `context`")
    passage_id: str
    doc_id: str
    title: str
    source: str
    url: str
    start: int = Field(description="Document character offset of the cited text")
    end: int
    quote_ids: list[str]
    text: str = Field(description="document.text[start:end], as shown in `context`")
    highlights: list[SpanOut] = Field(description="Best-matching sentences (document offsets)")


class ContextResponse(BaseModel):
    query: str = Field(description="What was searched: the last user turn, made self-contained")
    question: str = Field(description="The last user turn as written")
    rewritten: bool
    context: str
    tokens: int = Field(description="Tokens in `context` (embedding model's tokenizer)")
    citations: list[CitationOut]
    quotes: list[QuoteOut]


class ToolCallOut(BaseModel):
    method: Literal["GET", "POST"]
    path: str = Field(description="The route; `{name}` is filled from the argument `name`")
    arguments: Literal["body", "query", "path"] = Field(
        description="Where the tool's arguments go: the JSON body, the query string (leave "
        "out nulls) or the path"
    )


class ToolsOut(BaseModel):
    format: Literal["openai", "anthropic"] = Field(description="The form of `tools`")
    tools: list[dict[str, Any]] = Field(
        description="Tool definitions: OpenAI function tools with `strict: true`, or "
        "Anthropic tools with `input_schema` (the same JSON Schema)"
    )
    calls: dict[str, ToolCallOut] = Field(description="Tool name -> the HTTP call to make")


class ExampleOut(BaseModel):
    question: str
    doc_id: str = Field(description="The document the question was drawn from")


class ExamplesOut(BaseModel):
    examples: list[ExampleOut]
