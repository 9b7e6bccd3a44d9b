"""Wire schemas: the JSON shapes of DESIGN.md as pydantic models (requests and ...Out)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from service.settings import Mode

MAX_QUESTION_CHARS = 2000
MAX_K = 50


def _meaningful(text: str) -> str:
    if not text.strip():
        raise ValueError("must contain some text, not only whitespace")
    if "\x00" in text:
        raise ValueError("must not contain NUL characters")
    return text.strip()


Question = Annotated[
    str, Field(min_length=1, max_length=MAX_QUESTION_CHARS), AfterValidator(_meaningful)
]
K = Annotated[int, Field(ge=1, le=MAX_K, description="How many passages to return")]


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
