"""Documents: articles loaded from a seeds directory (.txt, .md, .jsonl)."""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

SUFFIXES = (".txt", ".md", ".jsonl")
_SOURCE_LINE = re.compile(r"\n[ \t]*Source:[ \t]*(?P<name>[^\n]+?)[ \t]*\n*\Z")
_TITLE_WORDS = 14


class DocumentError(ValueError):
    """A seed file that cannot be read as an article; the message names the file."""


@dataclass(frozen=True)
class Document:
    """One article. `text` is the body that every offset in the index points into."""

    id: str
    text: str
    title: str = ""
    source: str = ""
    url: str = ""
    published: str = ""

    @property
    def content_hash(self) -> str:
        """SHA-256 of everything that ends up in the index for this document."""
        payload = json.dumps(
            [self.id, self.text, self.title, self.source, self.url, self.published],
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_json(self) -> dict[str, str]:
        return {
            "id": self.id,
            "title": self.title,
            "source": self.source,
            "url": self.url,
            "published": self.published,
            "text": self.text,
        }


def make_document(
    doc_id: str,
    text: str,
    *,
    title: str = "",
    source: str = "",
    url: str = "",
    published: str = "",
) -> Document:
    """Build a document from a body text, applying the seed conventions of DESIGN.md.

    A last line `Source: NAME` becomes `source` (when none is given) and is cut from the
    text; without a title the first sentence, shortened, stands in.
    """
    body = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    match = _SOURCE_LINE.search("\n" + body)
    if match:
        source = source or match.group("name").strip()
        body = ("\n" + body)[: match.start()].strip()
    if not body:
        raise DocumentError(f"document {doc_id!r} has no text")
    return Document(
        id=doc_id,
        text=body,
        title=(title or _first_sentence_title(body)).strip(),
        source=source.strip(),
        url=url.strip(),
        published=str(published).strip(),
    )


def _first_sentence_title(text: str) -> str:
    first = re.split(r"(?<=[.!?])\s", text.strip(), maxsplit=1)[0].strip()
    words = first.split()
    if len(words) <= _TITLE_WORDS:
        return first
    return " ".join(words[:_TITLE_WORDS]).rstrip(",;:") + "…"


def _split_front_matter(raw: str, path: Path) -> tuple[dict[str, object], str]:
    if not raw.startswith("---"):
        return {}, raw
    import yaml  # here: most corpora have no front matter, and the import costs a server's start

    lines = raw.split("\n")
    for i in range(1, len(lines)):
        if lines[i].strip() == "---":
            try:
                meta = yaml.safe_load("\n".join(lines[1:i])) or {}
            except yaml.YAMLError as exc:
                raise DocumentError(f"{path}: front matter is not valid YAML ({exc})") from exc
            if not isinstance(meta, dict):
                raise DocumentError(f"{path}: front matter must be a mapping")
            return meta, "\n".join(lines[i + 1 :])
    raise DocumentError(f"{path}: front matter opened with '---' but never closed")


def load_text_file(path: Path) -> Document:
    """Read one .txt/.md article; the document id is the file name without extension."""
    try:
        raw = path.read_text(encoding="utf-8").lstrip("\ufeff")
    except UnicodeDecodeError as exc:
        raise DocumentError(f"{path}: not valid UTF-8 ({exc.reason})") from exc
    meta, body = _split_front_matter(raw.replace("\r\n", "\n"), path)
    return make_document(
        path.stem,
        body,
        title=str(meta.get("title", "") or ""),
        source=str(meta.get("source", "") or ""),
        url=str(meta.get("url", "") or ""),
        published=str(meta.get("published", "") or ""),
    )


def jsonl_objects(
    path: Path, error: type[ValueError] = DocumentError
) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; `error` names the file and line of
    invalid JSON or a line that is not an object."""
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise error(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
            if not isinstance(row, dict):
                raise error(f"{path}:{number}: each line must be a JSON object")
            yield number, row


def load_jsonl_file(path: Path) -> Iterator[Document]:
    """Read one article per line: {"id", "title", "text", "source", "url", "published"}."""
    for number, row in jsonl_objects(path):
        if not isinstance(row.get("text"), str):
            raise DocumentError(f"{path}:{number}: each line needs a string 'text'")
        yield make_document(
            str(row.get("id") or f"{path.stem}-{number}"),
            row["text"],
            title=str(row.get("title") or ""),
            source=str(row.get("source") or ""),
            url=str(row.get("url") or ""),
            published=str(row.get("published") or ""),
        )


def load_documents(seeds_dir: Path) -> list[Document]:
    """All articles under `seeds_dir`, sorted by id; duplicate ids are an error."""
    if not seeds_dir.is_dir():
        raise DocumentError(f"seeds directory {seeds_dir} does not exist")
    documents: dict[str, Document] = {}
    for path in sorted(seeds_dir.rglob("*")):
        if path.suffix.lower() not in SUFFIXES or not path.is_file():
            continue
        if path.suffix.lower() == ".jsonl":
            found = list(load_jsonl_file(path))
        else:
            found = [load_text_file(path)]
        for doc in found:
            if doc.id in documents:
                raise DocumentError(f"{path}: duplicate document id {doc.id!r}")
            documents[doc.id] = doc
    return [documents[key] for key in sorted(documents)]
