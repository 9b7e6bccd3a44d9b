"""Routes: health, search, documents and passages over the loaded index."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from index.passages import Passage
from index.quotes.model import Quote
from index.search import SearchResult
from service.clients import is_loopback
from service.deps import (
    SearcherDep,
    SettingsDep,
    current_searcher,
    public_listeners,
    write_access,
)
from service.errors import ApiError, error_response
from service.extraction import ClientGone, ExtractGate
from service.limits import check_k, check_question, resolve_mode
from service.pages import offset_page, page
from service.responses import search_json
from service.schemas import (
    MAX_QUESTION_CHARS,
    RERANK_HELP,
    DocumentListOut,
    DocumentOut,
    DocumentSummaryOut,
    ErrorOut,
    ExtractIn,
    HealthOut,
    K,
    Mode,
    PassageOut,
    Question,
    QuoteOut,
    QuotePageOut,
    QuotesOut,
    ReadyOut,
    SearchRequest,
    SearchResponse,
    SpanOut,
    SpeakerOut,
    StoredPassageOut,
    StoreOut,
)
from service.settings import Settings
from service.wiring import store_location

CURSOR_HELP = "The next_cursor of the previous page; omit for the first page"
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 404, 413, 422, 429, 503)
}

router = APIRouter(responses=ERRORS)


class JSONBytes(Response):
    """JSON already serialised (service.responses): FastAPI neither re-validates nor
    re-encodes it; `response_model` still documents the shape in OpenAPI."""

    media_type = "application/json"


@router.get("/healthz", response_model=HealthOut, tags=["health"], operation_id="health")
async def healthz() -> HealthOut:
    """Up while the process is up."""
    return HealthOut(status="ok")


@router.get("/readyz", response_model=ReadyOut, tags=["health"], operation_id="ready")
def readyz(request: Request, settings: SettingsDep) -> Any:
    """200 with index facts once the index is loaded; 503 before (or if loading failed)."""
    searcher = current_searcher(request)
    if searcher is None:
        reason = request.app.state.load_error or "the index is still loading"
        return error_response(503, "not_ready", f"The service is not ready: {reason}.")
    manifest = searcher.index.manifest
    return ReadyOut(
        status="ready",
        documents=manifest.documents,
        passages=manifest.passages,
        model=manifest.model,
        built_at=manifest.built_at,
        index_id=manifest.index_id,
        mode=settings.mode,
        fusion=searcher.fusion,
        modes=searcher.modes,
        profile=searcher.profile(settings.mode) | {"build": manifest.settings},
        writes=write_access(settings, _listeners(request, settings)),
        store=StoreOut(kind=searcher.store.engine, location=store_location(settings)),
    )


def _listeners(request: Request, settings: Settings) -> list[str] | None:
    """The public listeners, looked up only where they decide who may write."""
    if settings.api_key is not None or not is_loopback(settings.host):
        return None
    return public_listeners(request.app.state)


def search_response(result: SearchResult, searcher: Any) -> SearchResponse:
    """The SearchResponse model of `result` (the wire bytes come from service.responses)."""
    documents = searcher.index.documents
    passages = []
    for hit in result.hits:
        doc = documents[hit.passage.doc_id]
        passages.append(
            PassageOut(
                id=hit.passage.id,
                doc_id=doc.id,
                title=doc.title,
                source=doc.source,
                text=hit.passage.text,
                start=hit.passage.start,
                end=hit.passage.end,
                rank=hit.rank,
                score=hit.score,
                scores=hit.scores,
                highlights=[SpanOut(start=s, end=e) for s, e in hit.highlights],
                quote_ids=list(hit.quote_ids),
            )
        )
    answer = result.answerability
    return SearchResponse(
        question=result.question,
        mode=result.mode,
        passages=passages,
        quotes=[quote_out(q.quote, q.passage_id, q.score) for q in result.quotes],
        timings_ms=result.timings_ms,
        answerable=None if answer is None else answer.answerable,
        confidence=None if answer is None else answer.confidence,
    )


def quote_out(quote: Quote, passage_id: str | None, score: float | None) -> QuoteOut:
    """The DESIGN.md Quote shape."""
    return QuoteOut(
        id=quote.id,
        doc_id=quote.doc_id,
        passage_id=passage_id or None,
        text=quote.text,
        kind=quote.kind,
        start=quote.start,
        end=quote.end,
        cue=quote.cue,
        speaker=SpeakerOut(
            name=quote.speaker.name,
            title=quote.speaker.title,
            organization=quote.speaker.organization,
            id=quote.speaker.id or None,
        ),
        score=score,
    )


@router.post("/v1/search", response_model=SearchResponse, tags=["search"], operation_id="search")
def search(body: SearchRequest, searcher: SearcherDep, settings: SettingsDep) -> Any:
    """The passages that best answer a question, best first."""
    check_question(body.question, settings)
    check_k(body.k, settings)
    mode = resolve_mode(body.mode or settings.mode, body.rerank, searcher)
    result = searcher.search(
        body.question, k=body.k, mode=mode, doc_ids=body.doc_ids, speaker=body.speaker
    )
    return JSONBytes(search_json(result, searcher))


@router.get("/v1/search", response_model=SearchResponse, tags=["search"], operation_id="search_get")
def search_get(
    q: Annotated[
        Question, Query(description=f"The question (default limit {MAX_QUESTION_CHARS} characters)")
    ],
    searcher: SearcherDep,
    settings: SettingsDep,
    k: Annotated[K, Query()] = 5,
    mode: Annotated[Mode | None, Query()] = None,
    rerank: Annotated[bool | None, Query(description=RERANK_HELP)] = None,
    speaker: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
) -> Any:
    """The same as POST /v1/search, for curl and browsers."""
    check_question(q, settings, field="q")
    check_k(k, settings)
    result = searcher.search(
        q, k=k, mode=resolve_mode(mode or settings.mode, rerank, searcher), speaker=speaker
    )
    return JSONBytes(search_json(result, searcher))


@router.get("/v1/quotes", response_model=QuotePageOut, tags=["quotes"], operation_id="list_quotes")
def list_quotes(
    searcher: SearcherDep,
    settings: SettingsDep,
    speaker: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="A speaker id or a name the speaker directory knows (every variant "
            "of that person); else name, title or organisation contains",
        ),
    ] = None,
    doc_id: Annotated[str | None, Query(min_length=1, max_length=512)] = None,
    q: Annotated[Question | None, Query(description="Rank the quotes by relevance to this")] = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 50,
    cursor: Annotated[str | None, Query(max_length=2000, description=CURSOR_HELP)] = None,
) -> QuotePageOut:
    """Stored quotes, filtered, a page at a time; with `q`, best first by relevance (else
    in document order)."""
    if q is not None:
        check_question(q, settings, field="q")
    found = searcher.find_quotes(q=q, speaker=speaker, doc_id=doc_id, limit=len(searcher.quotes))
    if q is not None:
        chosen, next_cursor = offset_page(found, "quotes-ranked", limit, cursor)
    else:
        found.sort(key=lambda s: quote_key(s.quote))
        chosen, next_cursor = page(found, "quotes", lambda s: quote_key(s.quote), limit, cursor)
    return QuotePageOut(
        quotes=[quote_out(s.quote, s.passage_id, s.score if q else None) for s in chosen],
        next_cursor=next_cursor,
    )


def quote_key(quote: Quote) -> list[Any]:
    """Document order: the sort key of quote listings and their cursors."""
    return [quote.doc_id, quote.start, quote.end, quote.id]


@router.post(
    "/v1/extract", response_model=QuotesOut, tags=["quotes"], operation_id="extract_quotes"
)
async def extract(body: ExtractIn, request: Request) -> QuotesOut:
    """The attributed quotes of any posted text (offsets into `text`); nothing is stored.
    Bounded: SAYSO_EXTRACT_MAX_CHARS (413), SAYSO_EXTRACT_TIMEOUT and
    SAYSO_EXTRACT_CONCURRENCY (503 with Retry-After)."""
    gate: ExtractGate = request.app.state.extract_gate
    try:
        quotes = await gate.extract(request, body.text)
    except ClientGone:
        raise ApiError(499, "client_gone", "The client closed the connection.") from None
    return QuotesOut(quotes=[quote_out(q, None, None) for q in quotes])


@router.get(
    "/v1/documents",
    response_model=DocumentListOut,
    tags=["documents"],
    operation_id="list_documents",
)
def list_documents(
    searcher: SearcherDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Documents per page")] = 100,
    cursor: Annotated[str | None, Query(max_length=2000, description=CURSOR_HELP)] = None,
) -> DocumentListOut:
    """The indexed documents without their text, by id, a page at a time."""
    ordered = sorted(searcher.index.documents.values(), key=lambda d: d.id)
    chosen, next_cursor = page(ordered, "documents", lambda d: [d.id], limit, cursor)
    wanted = {d.id for d in chosen}
    counts: dict[str, int] = {}
    for passage in searcher.index.passages:
        if passage.doc_id in wanted:
            counts[passage.doc_id] = counts.get(passage.doc_id, 0) + 1
    return DocumentListOut(
        next_cursor=next_cursor,
        documents=[
            DocumentSummaryOut(
                id=d.id,
                title=d.title,
                source=d.source,
                url=d.url,
                published=d.published,
                passages=counts.get(d.id, 0),
            )
            for d in chosen
        ],
    )


@router.get(
    "/v1/documents/{doc_id}",
    response_model=DocumentOut,
    tags=["documents"],
    operation_id="get_document",
)
def get_document(doc_id: str, searcher: SearcherDep) -> DocumentOut:
    """One document with its full text and its passages."""
    doc = searcher.index.documents.get(doc_id)
    if doc is None:
        raise ApiError(404, "document_not_found", f"There is no document with id {doc_id!r}.")
    return DocumentOut(
        id=doc.id,
        title=doc.title,
        source=doc.source,
        url=doc.url,
        published=doc.published,
        text=doc.text,
        passages=[_stored(p) for p in searcher.index.passages if p.doc_id == doc_id],
    )


@router.get(
    "/v1/passages/{passage_id}",
    response_model=StoredPassageOut,
    tags=["documents"],
    operation_id="get_passage",
)
def get_passage(passage_id: str, searcher: SearcherDep) -> StoredPassageOut:
    """One passage by id."""
    passage = searcher.passage(passage_id)
    if passage is None:
        raise ApiError(404, "passage_not_found", f"There is no passage with id {passage_id!r}.")
    return _stored(passage)


def _stored(passage: Passage) -> StoredPassageOut:
    return StoredPassageOut(
        id=passage.id,
        doc_id=passage.doc_id,
        text=passage.text,
        start=passage.start,
        end=passage.end,
    )
