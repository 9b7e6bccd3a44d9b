"""Write routes: add, replace or delete an article; the index is updated atomically."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response

from index.documents import DocumentError, make_document
from index.updates import Change, LastDocument, UnknownDocument
from service.deps import HolderDep, WriterDep
from service.errors import ApiError
from service.schemas import DocumentIn, DocumentWriteOut, ErrorOut

WRITE_ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorOut} for code in (400, 401, 403, 404, 409, 413, 422, 429, 503, 507)
}

router = APIRouter(responses=WRITE_ERRORS, tags=["documents"])


def _out(change: Change) -> DocumentWriteOut:
    manifest = change.index.manifest
    return DocumentWriteOut(
        id=change.doc_id,
        status=change.kind,
        index_id=manifest.index_id,
        documents=manifest.documents,
        passages=manifest.passages,
    )


@router.post(
    "/v1/documents",
    response_model=DocumentWriteOut,
    status_code=201,
    responses={200: {"model": DocumentWriteOut, "description": "Replaced or unchanged"}},
    operation_id="put_document",
)
def put_document(
    body: DocumentIn, holder: HolderDep, _: WriterDep, response: Response
) -> DocumentWriteOut:
    """Add an article, or replace the one with the same id (201 created, 200 replaced).

    Only the changed article is embedded; the answer comes after the new index version is
    on disk and serving.
    """
    try:
        document = make_document(
            body.id,
            body.text,
            title=body.title,
            source=body.source,
            url=body.url,
            published=body.published,
        )
    except DocumentError as exc:
        raise ApiError(
            422,
            "invalid_request",
            f"Invalid 'text': {exc}.",
            [{"field": "text", "message": str(exc)}],
        ) from exc
    change = holder.upsert(document)
    if change.kind != "created":
        response.status_code = 200
    return _out(change)


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
