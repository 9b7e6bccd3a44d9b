"""Stores chosen by name in one place: "faiss" (embedded default) or "qdrant"."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from index.disk import Index
from index.stores.embedded import EmbeddedStore, records_of
from index.stores.model import PassageStore
from index.stores.qdrant import QdrantStore, connect

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class StoreConfig:
    """Which store and where: `location` is a server URL, ":memory:" or a directory
    (ignored by "faiss", whose files live in the index directory)."""

    name: str = "faiss"
    location: str = ""
    collection: str = "sayso"


def _open_faiss(config: StoreConfig, index: Index, root: Path | None) -> PassageStore:
    return EmbeddedStore(index, root=root)


def _open_qdrant(config: StoreConfig, index: Index, root: Path | None) -> PassageStore:
    settings = index.settings
    return QdrantStore(
        connect(config.location or str(Path("var") / "qdrant")),
        collection=config.collection,
        dimension=index.manifest.dimension,
        stem=settings.stem,
        stopwords=settings.stopwords,
        sentence_vectors=settings.sentence_vectors,
    )


STORES: dict[str, Callable[[StoreConfig, Index, Path | None], PassageStore]] = {
    "faiss": _open_faiss,
    "qdrant": _open_qdrant,
}


def check_store(name: str) -> str:
    if name not in STORES:
        raise ValueError(f"unknown store {name!r}; choose one of: {', '.join(sorted(STORES))}")
    return name


def open_store(config: StoreConfig, index: Index, root: Path | None = None) -> PassageStore:
    """The store `config` names, for passages embedded like `index` (its model, settings)."""
    return STORES[check_store(config.name)](config, index, root)


def sync_store(store: PassageStore, index: Index, *, keep_api: bool = False) -> tuple[int, int]:
    """Make `store` hold exactly `index`'s documents, reusing its vectors; only documents
    whose digest changed (their text, or the build settings) are written. Returns
    (documents upserted, documents deleted). With `keep_api`, documents the store holds as
    added through the API are kept even when `index` lacks them: a replica starting from
    the seeds must not delete what another replica was given (it adopts them instead)."""
    if isinstance(store, EmbeddedStore):
        return (0, 0)  # the index files are the store
    details = store.stats().details
    stored: dict[str, str] = dict(details.get("doc_hashes", {}))
    wanted = index.digests()
    changed = [doc_id for doc_id, digest in wanted.items() if stored.get(doc_id) != digest]
    if details.get("catalogued", len(stored)) < len(stored):
        changed = list(wanted)  # written before the store kept documents: write them all once
    kept = set(details.get("api_documents", ())) if keep_api else set()
    removed = [doc_id for doc_id in stored if doc_id not in wanted and doc_id not in kept]
    if changed:
        store.upsert(records_of(index, changed))
    for doc_id in removed:
        store.delete(doc_id)
    log.info("store synced: %d document(s) written, %d removed", len(changed), len(removed))
    return (len(changed), len(removed))
