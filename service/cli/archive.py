"""`sayso add` / `sayso rm`: articles into and out of the local index or a running server."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from service.cli.common import UserError

if TYPE_CHECKING:
    from index.documents import Document
    from index.updates import Batch
    from service.settings import Settings

TIMEOUT_S = 600.0  # a big batch is embedded before the server answers


@dataclass(frozen=True)
class Origin:
    """Where a document came from: a file, and the line of a .jsonl file."""

    path: Path
    line: int = 0

    def __str__(self) -> str:
        return f"{self.path}:{self.line}" if self.line else str(self.path)


def read_files(paths: Sequence[Path]) -> tuple[list[Document], list[Origin]]:
    """The articles in `paths` (.txt, .md: one each; .jsonl: one a line), in order; a
    UserError names the file (and line) of anything unreadable or an id given twice."""
    from index.documents import SUFFIXES, DocumentError, load_text_file

    documents: list[Document] = []
    origins: list[Origin] = []
    for path in paths:
        if not path.is_file():
            raise UserError(f"{path}: no such file")
        suffix = path.suffix.lower()
        if suffix not in SUFFIXES:
            raise UserError(f"{path}: not an article file (expected {', '.join(SUFFIXES)})")
        try:
            if suffix == ".jsonl":
                found = list(_jsonl(path))
            else:
                found = [(load_text_file(path), Origin(path))]
        except DocumentError as exc:
            raise UserError(str(exc)) from None
        except (OSError, UnicodeDecodeError) as exc:
            raise UserError(f"{path}: cannot be read ({exc})") from None
        for document, origin in found:
            if document.id in (d.id for d in documents):
                first = origins[[d.id for d in documents].index(document.id)]
                raise UserError(f"{origin}: document id {document.id!r} is also in {first}")
            documents.append(document)
            origins.append(origin)
    return documents, origins


def _jsonl(path: Path) -> list[tuple[Document, Origin]]:
    from index.documents import DocumentError, jsonl_objects, make_document

    found = []
    for number, row in jsonl_objects(path):
        if not isinstance(row.get("text"), str):
            raise UserError(f"{path}:{number}: each line needs a string 'text'")
        try:
            document = make_document(
                str(row.get("id") or f"{path.stem}-{number}"),
                row["text"],
                title=str(row.get("title") or ""),
                source=str(row.get("source") or ""),
                url=str(row.get("url") or ""),
                published=str(row.get("published") or ""),
            )
        except DocumentError as exc:
            raise UserError(f"{path}:{number}: {exc}") from None
        found.append((document, Origin(path, number)))
    return found


def apply_locally(
    settings: Settings, upserts: Sequence[Document] = (), deletes: Sequence[str] = ()
) -> Batch:
    """One new version of the index directory (built first if there is none), or none
    when nothing changes; the model loads only if something must be embedded."""
    from index.disk import current_version
    from index.updates import LastDocument, UnknownDocument, apply_local
    from service.cli.common import PendingEncoder, ensure_index

    encoder = PendingEncoder(settings)
    if current_version(settings.index_dir) is None:
        ensure_index(settings, encoder)
    try:
        return apply_local(
            settings.index_dir,
            encoder,
            model=settings.model,
            upserts=upserts,
            deletes=deletes,
        )
    except UnknownDocument as exc:
        raise UserError(f"there is no document with id {exc.args[0]!r} in the index") from None
    except LastDocument as exc:
        raise UserError(
            f"document {exc.args[0]!r} is the last one; add another before removing it"
        ) from None


def post_documents(
    url: str, key: str | None, documents: Sequence[Document], origins: Sequence[Origin]
) -> dict[str, Any]:
    """POST the documents as one batch; a refused item is reported by its file and line."""
    body = [d.to_json() for d in documents]
    answer = _call("POST", f"{url.rstrip('/')}/v1/documents", key, json=body)
    if answer.status_code == 422:
        _refused(answer.json(), origins)
    return _checked(answer)


def delete_document(url: str, key: str | None, doc_id: str) -> dict[str, Any]:
    answer = _call("DELETE", f"{url.rstrip('/')}/v1/documents/{doc_id}", key)
    return _checked(answer)


def _call(method: str, url: str, key: str | None, **kwargs: Any) -> Any:
    import httpx

    headers = {"Authorization": f"Bearer {key}"} if key else {}
    try:
        return httpx.request(method, url, headers=headers, timeout=TIMEOUT_S, **kwargs)
    except httpx.HTTPError as exc:
        raise UserError(f"cannot reach {url}: {exc}") from None


def _error(answer: Any) -> str:
    try:
        error = answer.json()["error"]
        return f"{error['message']} ({answer.status_code} {error['code']})"
    except (ValueError, KeyError, TypeError):
        return f"the server answered {answer.status_code}: {answer.text[:200]}"


def _checked(answer: Any) -> dict[str, Any]:
    if answer.status_code >= 400:
        raise UserError(_error(answer))
    body: dict[str, Any] = answer.json()
    return body


def _refused(body: dict[str, Any], origins: Sequence[Origin]) -> None:
    """Name the file (and line) of the first item a refused batch complains about."""
    details = body.get("error", {}).get("details") or []
    for detail in details:
        position = str(detail.get("field", "")).split(".")[0]
        if position.isdigit() and int(position) < len(origins):
            where = origins[int(position)]
            raise UserError(
                f"{where}: {detail.get('message')} (the server refused the batch; "
                "nothing was written)"
            )
    raise UserError(str(body.get("error", {}).get("message", body)))


def report(results: Sequence[tuple[str, str]], index_id: str, documents: int) -> None:
    for doc_id, kind in results:
        typer.echo(f"{kind:<10} {doc_id}")
    typer.echo(f"index {index_id}: {documents} document(s)", err=True)
