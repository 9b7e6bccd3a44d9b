"""The on-disk index: versioned directories of plain files behind an atomic CURRENT pointer.

Layout of an index root:

    CURRENT                 name of the live version (replaced atomically)
    versions/<id>/          one complete index, never modified once written
        manifest.json       schema version, model, dimension, counts, hashes, settings
        documents.jsonl     passages.jsonl
        dense.faiss         passage vectors (FAISS inner product: flat, or HNSW when large)
        sentences.npy       sentence vectors, rows in passage-then-sentence order
        titles.npy          one title vector per document, in documents.jsonl order
                            (zeros for an untitled document; none without sentence vectors)
        lexical/            bm25s arrays and JSON (no pickle)
        quotes.jsonl        attributed quotes, each speaker with its directory id if linked
        speakers.json       the speaker directory (index.quotes.directory), schema-versioned

A writer builds a version in a temporary directory, fsyncs it, renames it into
`versions/`, then replaces CURRENT; readers only ever see complete versions.
"""

from __future__ import annotations

import errno
import fcntl
import hashlib
import json
import logging
import os
import shutil
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from index.documents import Document
from index.passages import Passage
from index.quotes.directory import Directory, build_directory, read_directory, write_directory
from index.quotes.model import RULES_VERSION, Quote
from index.retrieval.dense import DenseIndex
from index.retrieval.lexical import LexicalIndex

log = logging.getLogger(__name__)

SCHEMA_VERSION = 2
KEEP_VERSIONS = 2


class IndexStoreError(RuntimeError):
    """An index that is missing, incomplete or built differently; the message says the fix."""


class DiskFullError(IndexStoreError):
    """No space (or quota) left to write an index version; nothing half-written is kept."""


class IndexSchemaError(IndexStoreError):
    """An index written by an older sayso version: its documents are readable (see
    `read_documents`), its vectors and files are not. (A newer version's index is refused
    with a plain IndexStoreError: rebuilding it here would discard what that version wrote.)"""


SENTENCE_SCHEMES = ("encoded", "pooled")
"""How a build makes sentence vectors (`BuildSettings.sentence_scheme`); the first is the
default."""


@dataclass(frozen=True)
class BuildSettings:
    """Everything besides the documents that decides what an index contains."""

    model: str = "all-MiniLM-L6-v2"
    # Vectors from the int8-quantised encoder: questions must be embedded the same way.
    quantized: bool = False
    max_words: int = 120
    min_words: int = 25
    stem: str = "english"
    stopwords: str = "en"
    title_context: bool = False  # embed and BM25-index each passage as "title\n\ntext"
    sentence_vectors: bool = True  # also embed every sentence (highlights, sentence scoring)
    # How sentence vectors are made (SENTENCE_SCHEMES): "encoded", each sentence encoded on
    # its own; "pooled", the mean of the passage's token states over the sentence's
    # characters, from the passage's one forward pass.
    sentence_scheme: str = "encoded"
    # Above this many passages the dense index is approximate (HNSW), at or below exact.
    dense_exact_max: int = 100_000
    quotes: bool = True  # extract attributed quotes at build time (off for IR benchmarks)
    # Embed and BM25-index each passage after a line naming the speakers it quotes.
    speaker_context: bool = True
    # The quote extraction rules the quotes came from (index.quotes.model.RULES_VERSION).
    quote_rules: int = RULES_VERSION

    def __post_init__(self) -> None:
        if self.sentence_scheme not in SENTENCE_SCHEMES:
            raise ValueError(
                f"unknown sentence scheme {self.sentence_scheme!r}; choose one of: "
                + ", ".join(SENTENCE_SCHEMES)
            )

    def to_json(self) -> dict[str, Any]:
        """The settings as a manifest stores them. `sentence_scheme` is left out at its
        default, so indexes (and store digests) from before the field existed stay current."""
        row = asdict(self)
        if row["sentence_scheme"] == SENTENCE_SCHEMES[0]:
            del row["sentence_scheme"]
        return row

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> BuildSettings:
        """Settings as a manifest stored them; a manifest from before `quote_rules` was
        recorded reads as rules version 0 (older than any)."""
        return cls(**{"quote_rules": 0, **row})

    def embeds_like(self, other: BuildSettings) -> bool:
        """Whether vectors built under `other` are valid under these settings."""
        keys: tuple[str, ...] = ("model", "quantized", "max_words", "min_words", "title_context")
        keys += ("sentence_vectors", "sentence_scheme")
        if self.speaker_context or other.speaker_context:
            keys += ("speaker_context", "quotes")
        return all(getattr(self, key) == getattr(other, key) for key in keys)


@dataclass(frozen=True)
class Manifest:
    schema_version: int
    index_id: str
    built_at: str
    model: str
    dimension: int
    documents: int
    passages: int
    corpus_hash: str
    settings: dict[str, Any]
    doc_hashes: dict[str, str] = field(default_factory=dict)
    # Documents added through the HTTP API: the index is their only copy, so a rebuild
    # from seeds/ keeps them (see README "Where documents live").
    api_documents: list[str] = field(default_factory=list)
    quotes: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Index:
    """A loaded index version; treat as immutable (a new version replaces it whole)."""

    manifest: Manifest
    documents: dict[str, Document]
    passages: list[Passage]
    dense: DenseIndex
    sentence_vectors: np.ndarray
    title_vectors: np.ndarray
    lexical: LexicalIndex
    path: Path
    quotes: tuple[Quote, ...] = ()
    # The speakers of `quotes` linked across articles; each quote's speaker.id points here.
    speakers: Directory = field(default_factory=Directory)

    @property
    def settings(self) -> BuildSettings:
        return BuildSettings.from_json(self.manifest.settings)

    def digests(self) -> dict[str, str]:
        """Per document, a digest of what a passage store holds for it: its text's hash and
        the build settings that shaped its passages, vectors and quotes (the quote rules,
        `max_words`, the model ...), so a store rewrites it when either changes."""
        shape = json.dumps(self.settings.to_json(), sort_keys=True).encode()
        built = hashlib.sha256(shape).hexdigest()[:12]
        return {doc_id: f"{digest}+{built}" for doc_id, digest in self.manifest.doc_hashes.items()}

    def title_rows(self) -> np.ndarray:
        """Each passage's row in `title_vectors` (its document's), in passage order."""
        rows = {doc_id: n for n, doc_id in enumerate(self.documents)}
        return np.array([rows[p.doc_id] for p in self.passages], dtype=np.int64)


def corpus_hash(doc_hashes: dict[str, str]) -> str:
    """One hash for the whole corpus: document ids and content hashes, sorted."""
    digest = hashlib.sha256()
    for doc_id in sorted(doc_hashes):
        digest.update(f"{doc_id}\t{doc_hashes[doc_id]}\n".encode())
    return digest.hexdigest()


def new_manifest(
    documents: Sequence[Document],
    passages: int,
    dimension: int,
    settings: BuildSettings,
    quotes: int = 0,
) -> Manifest:
    hashes = {doc.id: doc.content_hash for doc in documents}
    now = datetime.now(UTC)
    return Manifest(
        schema_version=SCHEMA_VERSION,
        index_id=f"{now:%Y%m%dT%H%M%S}-{uuid.uuid4().hex[:8]}",
        built_at=now.isoformat(timespec="seconds"),
        model=settings.model,
        dimension=dimension,
        documents=len(documents),
        passages=passages,
        corpus_hash=corpus_hash(hashes),
        settings=settings.to_json(),
        doc_hashes=hashes,
        quotes=quotes,
    )


def _write_jsonl(path: Path, rows: Iterable[dict[str, Any]]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for row in rows:
            out.write(json.dumps(row, ensure_ascii=False) + "\n")


def _read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as lines:
        for number, line in enumerate(lines, start=1):
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise IndexStoreError(
                    f"{path}:{number} is corrupt ({exc.msg}); rebuild with `sayso build`"
                ) from exc


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _fsync_tree(directory: Path) -> None:
    for path in sorted(directory.rglob("*"), reverse=True):
        _fsync(path)
    _fsync(directory)


@contextmanager
def writer_lock(root: Path) -> Iterator[None]:
    """Hold the index root's writer lock (an flock, so it also excludes other processes).

    Builds and live updates take it so two writers never interleave; readers never do.
    """
    root.mkdir(parents=True, exist_ok=True)
    with (root / ".lock").open("a") as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def write_index(root: Path, index: Index) -> Path:
    """Write `index` as a new version under `root` and make it current; returns its path.
    On a full disk, raises DiskFullError after removing the partial version."""
    versions = root / "versions"
    versions.mkdir(parents=True, exist_ok=True)
    tmp = root / f".tmp-{index.manifest.index_id}"
    shutil.rmtree(tmp, ignore_errors=True)
    try:
        tmp.mkdir()
        _write_version(tmp, index)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        if exc.errno in (errno.ENOSPC, errno.EDQUOT):
            raise DiskFullError(
                f"no space left to write the index under {root} ({exc.strerror}); "
                "free some disk space and retry"
            ) from exc
        raise
    final = versions / index.manifest.index_id
    os.replace(tmp, final)
    _fsync(versions)  # the rename must be durable before CURRENT can point at it
    _set_current(root, index.manifest.index_id)
    _prune(root, keep=index.manifest.index_id)
    return final


def _write_version(tmp: Path, index: Index) -> None:
    _write_jsonl(tmp / "documents.jsonl", (d.to_json() for d in index.documents.values()))
    _write_jsonl(tmp / "passages.jsonl", (p.to_json() for p in index.passages))
    _write_jsonl(tmp / "quotes.jsonl", (q.to_json() for q in index.quotes))
    write_directory(tmp, index.speakers)
    index.dense.save(tmp / "dense.faiss")
    np.save(tmp / "sentences.npy", index.sentence_vectors, allow_pickle=False)
    np.save(tmp / "titles.npy", index.title_vectors, allow_pickle=False)
    (tmp / "lexical").mkdir()
    index.lexical.save(tmp / "lexical")
    # The manifest goes last: a version directory without one is never loaded.
    (tmp / "manifest.json").write_text(json.dumps(index.manifest.to_json(), indent=2) + "\n")
    _fsync_tree(tmp)


def _set_current(root: Path, version: str) -> None:
    pointer = root / f".CURRENT-{uuid.uuid4().hex}"
    with pointer.open("w") as out:
        out.write(version + "\n")
        out.flush()
        os.fsync(out.fileno())
    os.replace(pointer, root / "CURRENT")
    _fsync(root)


def _remove_leftovers(root: Path) -> None:
    """Delete what killed writers left: half-written versions and unrenamed pointers."""
    for tmp in root.glob(".tmp-*"):
        shutil.rmtree(tmp, ignore_errors=True)
    for pointer in root.glob(".CURRENT-*"):
        pointer.unlink(missing_ok=True)


def remove_leftovers(root: Path) -> None:
    """`_remove_leftovers` for a reader that found the index current and writes nothing.

    Only when no writer holds the lock (a writer at work owns its `.tmp-*` and prunes the
    rest itself when it finishes): a build killed mid-write is cleaned up by the next
    `sayso build` / `serve` even when there is nothing to rebuild.
    """
    if not root.is_dir():
        return
    with (root / ".lock").open("a") as handle:
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return
        try:
            _remove_leftovers(root)
        finally:
            fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _prune(root: Path, keep: str) -> None:
    """Remove leftovers of killed writers and all but the newest KEEP_VERSIONS versions."""
    _remove_leftovers(root)
    # Newest by write time: several versions can share one second of their id's timestamp.
    versions = sorted(
        (p for p in (root / "versions").iterdir() if p.is_dir()),
        key=lambda p: (p.stat().st_mtime_ns, p.name),
    )
    for old in versions[:-KEEP_VERSIONS]:
        if old.name != keep:
            shutil.rmtree(old, ignore_errors=True)


def current_version(root: Path) -> Path | None:
    """The live version directory, or None when no index has been written."""
    pointer = root / "CURRENT"
    if not pointer.is_file():
        return None
    name = pointer.read_text().strip()
    return root / "versions" / name if name else None


def read_documents(root: Path) -> tuple[list[Document], list[str]]:
    """The live version's documents and the ids of those added through the API, from an
    index of any schema (documents.jsonl and the manifest keep their shape across schemas),
    so an index written by another sayso version can be rebuilt without losing any."""
    manifest = read_manifest(root)
    version = current_version(root)
    if manifest is None or version is None:
        return [], []
    try:
        documents = [Document(**row) for row in _read_jsonl(version / "documents.jsonl")]
    except Exception as exc:
        raise IndexStoreError(
            f"documents of the index at {version} are unreadable ({type(exc).__name__}: {exc})"
        ) from exc
    return documents, list(manifest.api_documents)


def read_manifest(root: Path) -> Manifest | None:
    """The live manifest, or None when there is no index; raises on an unreadable one."""
    version = current_version(root)
    if version is None:
        return None
    path = version / "manifest.json"
    try:
        return Manifest(**json.loads(path.read_text()))
    except (OSError, json.JSONDecodeError, TypeError) as exc:
        raise IndexStoreError(f"{path} is unreadable ({exc}); rebuild with `sayso build`") from exc


def check_manifest(manifest: Manifest, model: str | None) -> None:
    """Refuse an index written by another schema or for another model."""
    if manifest.schema_version != SCHEMA_VERSION:
        older = manifest.schema_version < SCHEMA_VERSION
        raise (IndexSchemaError if older else IndexStoreError)(
            f"index schema {manifest.schema_version} differs from this sayso's "
            f"{SCHEMA_VERSION}; rebuild with `sayso build`"
        )
    if model is not None and manifest.model != model:
        raise IndexStoreError(
            f"index was built with model {manifest.model!r} but {model!r} is configured; "
            "rebuild with `sayso build` or set SAYSO_MODEL to the index's model"
        )


def read_index(root: Path, *, model: str | None = None) -> Index:
    """Load the live version under `root`, checking its manifest against `model`.

    A writer in another process may replace and prune the version being read; then the
    read is retried on the new live version rather than reported as damage.
    """
    for _ in range(3):
        before = current_version(root)
        try:
            return _read_live(root, model)
        except IndexStoreError:
            if current_version(root) == before:
                raise
    return _read_live(root, model)


def _matrix_problem(name: str, matrix: np.ndarray, dimension: int, rows: int = -1) -> str | None:
    """What is wrong with a float matrix of `rows` (any, when -1) rows by `dimension`."""
    if matrix.ndim != 2 or matrix.dtype.kind != "f":
        return f"{name} is {matrix.dtype} with shape {matrix.shape}, not a float matrix"
    if matrix.shape[0] and matrix.shape[1] != dimension:
        return f"{name} has {matrix.shape[1]} columns, the manifest says {dimension}"
    if rows >= 0 and matrix.shape[0] != rows:
        return f"{name} has {matrix.shape[0]} rows, not {rows}"
    return None


def _shape_problem(
    manifest: Manifest,
    settings: BuildSettings,
    documents: list[Document],
    passages: list[Passage],
    dense: DenseIndex,
    lexical: LexicalIndex,
) -> str | None:
    """Arrays that do not fit the manifest: served, they would fail requests with 500s."""
    if len(dense) and dense.dimension != manifest.dimension:
        return (
            f"dense.faiss has dimension {dense.dimension}, the manifest says {manifest.dimension}"
        )
    if len(documents) != manifest.documents:
        return f"{len(documents)} documents, the manifest says {manifest.documents}"
    return lexical.shape_problem()


def _read_live(root: Path, model: str | None) -> Index:
    manifest = read_manifest(root)
    if manifest is None:
        raise IndexStoreError(f"no index at {root}; build one with `sayso build`")
    check_manifest(manifest, model)
    version = current_version(root)
    assert version is not None
    try:
        documents = [Document(**row) for row in _read_jsonl(version / "documents.jsonl")]
        passages = [Passage.from_json(row) for row in _read_jsonl(version / "passages.jsonl")]
        quotes = (
            tuple(  # absent from indexes written before quotes were extracted
                Quote.from_json(row) for row in _read_jsonl(version / "quotes.jsonl")
            )
            if (version / "quotes.jsonl").exists()
            else ()
        )
        dense = DenseIndex.load(version / "dense.faiss")
        sentence_vectors = np.load(version / "sentences.npy", allow_pickle=False)
        title_vectors = np.load(version / "titles.npy", allow_pickle=False)
        settings = BuildSettings.from_json(manifest.settings)
        lexical = LexicalIndex.load(
            version / "lexical", stem=settings.stem, stopwords=settings.stopwords
        )
    except IndexStoreError:
        raise
    except Exception as exc:  # any unreadable file: name it and say the fix
        raise IndexStoreError(
            f"index at {version} is damaged ({type(exc).__name__}: {exc}); "
            "rebuild with `sayso build`"
        ) from exc
    # written before the directory existed (or under other linking rules): built again
    directory = read_directory(version) or build_directory(quotes)
    if not (len(passages) == len(dense) == len(lexical) == manifest.passages):
        raise IndexStoreError(
            f"index at {version} is inconsistent (passage counts differ); "
            "rebuild with `sayso build`"
        )
    problem = _shape_problem(manifest, settings, documents, passages, dense, lexical) or (
        _matrix_problem("sentences.npy", sentence_vectors, manifest.dimension)
        if not settings.sentence_vectors
        else _matrix_problem(
            "sentences.npy",
            sentence_vectors,
            manifest.dimension,
            sum(len(p.sentences) for p in passages),
        )
        or _matrix_problem("titles.npy", title_vectors, manifest.dimension, len(documents))
    )
    if problem:
        raise IndexStoreError(
            f"index at {version} is damaged ({problem}); rebuild with `sayso build`"
        )
    return Index(
        manifest=manifest,
        documents={d.id: d for d in documents},
        passages=passages,
        dense=dense,
        sentence_vectors=sentence_vectors,
        title_vectors=title_vectors,
        lexical=lexical,
        path=version,
        quotes=directory.link(quotes),
        speakers=directory,
    )
