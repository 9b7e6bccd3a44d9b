"""Wire schemas: the JSON shapes of DESIGN.md as pydantic models (requests and ...Out)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.settings import K_CEILING, QUESTION_CEILING, Mode, Settings

# The defaults; the limits in force are Settings.max_question_chars and max_k, checked by
# service.limits (the schema only carries hard ceilings so the settings can raise them).
MAX_QUESTION_CHARS: int = Settings.model_fields["max_question_chars"].default
MAX_K: int = Settings.model_fields["max_k"].default
DOC_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._\-]{0,127}$"


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
Metadata = Annotated[str, Field(max_length=2000), AfterValidator(_no_nul)]


class SearchRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    question: Question
    k: K = 5
    mode: Mode | None = Field(
        None, description="hybrid, dense or lexical; the server default when omitted"
    )
    doc_ids: list[Annotated[str, Field(max_length=512)]] | None = Field(
        None, max_length=1000, description="Only search these documents"
    )


class DocumentIn(BaseModel):
    """An article to add, or to replace the article with the same id."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(
        pattern=DOC_ID_PATTERN,
        description="Letters, digits, '.', '_' or '-', at most 128, starting alphanumeric",
    )
    text: Annotated[str, Field(min_length=1), AfterValidator(_meaningful)]
    title: Metadata = ""
    source: Metadata = ""
    url: Metadata = ""
    published: Metadata = ""


class DocumentWriteOut(BaseModel):
    """What a write did, and the index version now serving."""

    id: str
    status: str = Field(description="created, replaced, unchanged or deleted")
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


class SearchResponse(BaseModel):
    question: str
    mode: str
    passages: list[PassageOut]
    timings_ms: dict[str, float]


class DocumentSummaryOut(BaseModel):
    id: str
    title: str
    source: str
    url: str
    published: str
    passages: int


class DocumentListOut(BaseModel):
    documents: list[DocumentSummaryOut]


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
    status: str


class ReadyOut(BaseModel):
    status: str
    documents: int
    passages: int
    model: str
    built_at: str
    index_id: str
    mode: str
    fusion: str


class ErrorBody(BaseModel):
    code: str
    message: str
    details: list[object] = []


class ErrorOut(BaseModel):
    error: ErrorBody
