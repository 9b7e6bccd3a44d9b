"""Write routes: add, replace or delete articles; the index is updated atomically.

POST /v1/documents takes one article (a JSON object) or a batch (a JSON array, or NDJSON
with `Content-Type: application/x-ndjson`). A batch is all or nothing: every document is
validated first, and one bad document refuses the whole batch (422, one detail per
problem with its position) before anything is written; a valid batch becomes ONE new
index version. Sending a batch again is cheap: documents whose content did not change
are reported `unchanged` and not embedded again.

A write runs the same quote extraction as /v1/extract, so it is bounded the same way
(service.extraction), by a gate of its own: SAYSO_WRITE_CONCURRENCY writes at once (the
one being applied and those waiting for it; 503 with Retry-After beyond), each with a
time budget of SAYSO_WRITE_TIMEOUT seconds per WRITE_BUDGET_CHARS characters of article
text (and at least SAYSO_WRITE_TIMEOUT), stopped between stages once past it (503,
nothing written) or once its client has left.
"""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI, Request, Response
from pydantic import TypeAdapter, ValidationError
from starlette.concurrency import run_in_threadpool

from index.documents import Document, DocumentError, make_document
from index.updates import Batch, Change, IndexHolder, LastDocument, UnknownDocument
from service.deps import HolderDep, SettingsDep, WriterDep
from service.errors import ApiError
from service.extraction import ClientGone, Gate, Stop
from service.schemas import BatchItemOut, BatchWriteOut, DocumentIn, DocumentWriteOut, ErrorOut
from service.settings import Settings

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 415, 422, 429, 503, 507)
}
NDJSON = "application/x-ndjson"
WRITE_BUDGET_CHARS = 100_000
"""A write may run SAYSO_WRITE_TIMEOUT seconds per this many characters of article text."""

router = APIRouter(responses=WRITE_ERRORS, tags=["documents"])

_ONE = TypeAdapter(DocumentIn)


def _out(change: Change) -> DocumentWriteOut:
    manifest = change.index.manifest
    return DocumentWriteOut(
        id=change.doc_id,
        status=change.kind,
        index_id=manifest.index_id,
        documents=manifest.documents,
        passages=manifest.passages,
    )


async def _body(request: Request) -> tuple[Any, bool]:
    """The parsed body and whether it is a batch (an array or NDJSON); 400 when unreadable."""
    raw = await request.body()
    media = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        text = raw.decode("utf-8")
        if media == NDJSON:
            return [_ndjson_line(n, line) for n, line in _lines(text)], True
        if media not in ("", "application/json") and not media.endswith("+json"):
            raise ApiError(
                415,
                "unsupported_media_type",
                f"Send application/json (one document or an array) or {NDJSON}, not {media}.",
            )
        parsed = json.loads(text)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(
            400,
            "bad_request",
            "The request body could not be read: send UTF-8 encoded JSON.",
            [{"field": "body", "message": str(exc)}],
        ) from None
    return parsed, isinstance(parsed, list)


def _lines(text: str) -> list[tuple[int, str]]:
    return [(n, line) for n, line in enumerate(text.splitlines(), start=1) if line.strip()]


def _ndjson_line(number: int, line: str) -> Any:
    try:
        return json.loads(line)
    except json.JSONDecodeError as exc:
        raise ApiError(
            400,
            "bad_request",
            f"Line {number} of the NDJSON body is not valid JSON ({exc.msg}).",
            [{"field": f"line {number}", "message": exc.msg}],
        ) from None


BodyDep = Annotated[tuple[Any, bool], Depends(_body)]


def _document(item: Any, where: str) -> tuple[Document | None, list[dict[str, Any]]]:
    """The document an item describes, or the problems with it (fields prefixed by `where`)."""
    try:
        body = _ONE.validate_python(item)
        document = make_document(
            body.id,
            body.text,
            title=body.title,
            source=body.source,
            url=body.url,
            published=body.published,
        )
    except ValidationError as exc:
        return None, [
            {
                "field": ".".join(filter(None, (where, *map(str, error["loc"])))) or "body",
                "message": error["msg"],
            }
            for error in exc.errors()
        ]
    except DocumentError as exc:
        return None, [{"field": ".".join(filter(None, (where, "text"))), "message": str(exc)}]
    return document, []


def _invalid(details: list[dict[str, Any]], batch: bool) -> ApiError:
    first = details[0]
    more = f" (and {len(details) - 1} more problem(s))" if len(details) > 1 else ""
    refused = " Nothing was written: a batch is all or nothing." if batch else ""
    return ApiError(
        422,
        "invalid_request",
        f"Invalid '{first['field']}': {first['message']}{more}.{refused}",
        details,
    )


def _batch(items: list[Any], limit: int) -> list[Document]:
    if not items:
        raise ApiError(422, "invalid_request", "The batch is empty: send at least one document.")
    if len(items) > limit:
        raise ApiError(
            422,
            "batch_too_large",
            f"A batch holds at most {limit} documents (SAYSO_MAX_BATCH_DOCUMENTS), "
            f"got {len(items)}; split it.",
            [{"field": "body", "message": f"at most {limit} documents"}],
        )
    documents: list[Document] = []
    details: list[dict[str, Any]] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(items):
        document, problems = _document(item, str(n))
        details += problems
        if document is None:
            continue
        if document.id in seen:
            details.append(
                {
                    "field": f"{n}.id",
                    "message": f"id {document.id!r} is also item {seen[document.id]}",
                }
            )
        seen.setdefault(document.id, n)
        documents.append(document)
    if details:
        raise _invalid(details, batch=True)
    return documents


def write_gate(settings: Settings) -> Gate:
    """The gate POST /v1/documents runs its writes through (see the module docstring)."""
    return Gate(
        settings.write_concurrency,
        what="The write",
        code="write_unavailable",
        knobs="SAYSO_WRITE_TIMEOUT, SAYSO_WRITE_CONCURRENCY; nothing was written",
    )


def write_budget(settings: Settings, documents: list[Document]) -> float:
    """Seconds a write of `documents` may run: SAYSO_WRITE_TIMEOUT per WRITE_BUDGET_CHARS
    characters of their text, and at least SAYSO_WRITE_TIMEOUT (the cost of a write is
    its extraction and embedding, linear in the text, plus writing the new version)."""
    characters = sum(len(document.text) for document in documents)
    return settings.write_timeout * max(1.0, characters / WRITE_BUDGET_CHARS)


async def apply(
    gate: Gate,
    request: Request | None,
    holder: IndexHolder,
    settings: Settings,
    documents: list[Document],
) -> Batch:
    """`documents` written as one version through `gate` (the app's write_gate; the MCP
    tools have their own): 503 past the budget or the concurrency limit, 499 when the
    client leaves first."""

    def work(stop: Stop) -> Batch:
        return holder.write(documents, stop=stop)

    try:
        return await gate.run(request, work, write_budget(settings, documents), drain=True)
    except ClientGone:
        raise ApiError(499, "client_gone", "The client closed the connection.") from None


def _documents(parsed: Any, is_batch: bool, limit: int) -> list[Document]:
    """The validated documents of a body (422 for any problem, before anything is written)."""
    if is_batch:
        return _batch(parsed, limit)
    document, problems = _document(parsed, "")
    if document is None:
        raise _invalid(problems, batch=False)
    return [document]


def validated(body: DocumentIn) -> Document:
    """The document of one validated article (422 for what the model cannot check, such as
    text with no passage); the MCP write tool's path."""
    document, problems = _document(body.model_dump(), "")
    if document is None:
        raise _invalid(problems, batch=False)
    return document


def change_out(document: Document, written: Batch) -> DocumentWriteOut:
    """The answer to a write of one document."""
    return _out(Change(document.id, written.results[0][1], written.index))


_BODY_DOC = {
    "required": True,
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {"$ref": "#/components/schemas/DocumentIn"},
                    {"type": "array", "items": {"$ref": "#/components/schemas/DocumentIn"}},
                ]
            }
        },
        NDJSON: {"schema": {"type": "string", "description": "One DocumentIn per line"}},
    },
}


@router.post(
    "/v1/documents",
    response_model=DocumentWriteOut | BatchWriteOut,
    status_code=201,
    responses={200: {"model": DocumentWriteOut | BatchWriteOut, "description": "Not created"}},
    openapi_extra={"requestBody": _BODY_DOC},
    operation_id="put_document",
)
async def put_documents(
    body: BodyDep,
    holder: HolderDep,
    _: WriterDep,
    settings: SettingsDep,
    request: Request,
    response: Response,
) -> DocumentWriteOut | BatchWriteOut:
    """Add an article, or replace the one with the same id (201 created, 200 replaced or
    unchanged); or a batch of them (a JSON array or NDJSON; 200) as one index version.

    A batch is all or nothing: one invalid document refuses it whole (422, a detail per
    problem, `field` starting with the item's position). Only changed articles are
    embedded; the answer comes after the new index version is on disk and serving.
    Bounded: SAYSO_WRITE_CONCURRENCY and SAYSO_WRITE_TIMEOUT (per 100,000 characters of
    text), past which the answer is 503 with Retry-After and nothing is written.
    """
    parsed, is_batch = body
    documents = await run_in_threadpool(_documents, parsed, is_batch, settings.max_batch_documents)
    gate: Gate = request.app.state.write_gate
    written = await apply(gate, request, holder, settings, documents)
    if not is_batch:
        out = change_out(documents[0], written)
        if out.status != "created":
            response.status_code = 200
        return out
    response.status_code = 200
    kinds = [kind for _, kind in written.results]
    manifest = written.index.manifest
    return BatchWriteOut(
        index_id=manifest.index_id,
        documents=manifest.documents,
        passages=manifest.passages,
        created=kinds.count("created"),
        replaced=kinds.count("replaced"),
        unchanged=kinds.count("unchanged"),
        results=[BatchItemOut(id=doc_id, status=kind) for doc_id, kind in written.results],
    )


@router.delete(
    "/v1/documents/{doc_id}", response_model=DocumentWriteOut, operation_id="delete_document"
)
def delete_document(doc_id: str, holder: HolderDep, _: WriterDep) -> DocumentWriteOut:
    """Remove an article; answers once the index without it is on disk and serving."""
    try:
        return _out(holder.delete(doc_id))
    except UnknownDocument:
        raise ApiError(
            404, "document_not_found", f"There is no document with id {doc_id!r}."
        ) from None
    except LastDocument:
        raise ApiError(
            409,
            "last_document",
            f"Document {doc_id!r} is the only one; add another before deleting it.",
        ) from None


def install_document_schemas(app: FastAPI) -> None:
    """Put DocumentIn into the OpenAPI components: POST /v1/documents reads its body itself
    (one object, an array or NDJSON), so FastAPI does not add the model it refers to."""
    generate = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = generate()
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.setdefault(
                "DocumentIn",
                DocumentIn.model_json_schema(ref_template="#/components/schemas/{model}"),
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
