"""Live updates: add, replace or delete documents in a served index, one writer at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from index.build import build_index
from index.disk import Index, IndexStoreError, current_version, read_index, write_index, writer_lock
from index.documents import Document
from index.search import Searcher
from index.stores.model import Catalogue

log = logging.getLogger(__name__)

ChangeKind = Literal["created", "replaced", "unchanged", "deleted"]


class UnknownDocument(KeyError):
    """DELETE of a document id the index does not hold."""


class LastDocument(ValueError):
    """DELETE of the only document: an index needs at least one passage."""


@dataclass(frozen=True)
class Change:
    """What one write did, and the index version that now serves."""

    doc_id: str
    kind: ChangeKind
    index: Index


class IndexHolder:
    """Holds the live Searcher; writers are serialised, readers never wait.

    A write builds a new Index from the current one (re-embedding only the changed
    document), writes it as a new version beside the old one (fsynced, CURRENT replaced
    atomically), and only then swaps the Searcher reference. A reader takes the reference
    once per request, so it sees the old index or the new one, never a mixture.
    """

    def __init__(
        self,
        root: Path,
        searcher: Searcher,
        *,
        on_swap: Callable[[Searcher], None] | None = None,
    ) -> None:
        self.root = root
        self._searcher = searcher
        self._on_swap = on_swap
        self._lock = threading.Lock()
        self._revision: str | None = None  # of a catalogue store, when last compared
        self.updates = 0

    @property
    def searcher(self) -> Searcher:
        return self._searcher

    @property
    def follows_store(self) -> bool:
        """Whether refresh() also asks the store (one that keeps the documents, Qdrant) for
        other replicas' writes: then it reads over the network, so call it off the loop."""
        return isinstance(self._searcher.store, Catalogue)

    def refresh(self) -> bool:
        """Serve the version another process (a replica, a worker, `sayso build`) made live.

        Cheap when nothing changed (CURRENT is read and compared). The new version is
        adopted as it is on disk: the store is not synced, because the process that wrote
        the version syncs it, and a reader that did might undo a newer write. With a store
        that keeps the documents (Qdrant), a write by a replica on another disk is adopted
        too (see `_refresh_catalogue`). Returns whether the served index changed; False
        while this process is writing.
        """
        changed = self._refresh_disk()
        return self._refresh_catalogue() or changed

    def _refresh_disk(self) -> bool:
        live = current_version(self.root)
        if live is None or live.name == self._searcher.index.manifest.index_id:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # a write here will build on, and serve, the newest version
        try:
            served = self._searcher.index
            live = current_version(self.root)
            if live is None or live.name == served.manifest.index_id:
                return False
            try:
                newer = read_index(self.root, model=served.manifest.model)
            except IndexStoreError as exc:
                log.warning("still serving %s, not %s: %s", served.manifest.index_id, live, exc)
                return False
            log.info("index %s was replaced on disk by %s", served.manifest.index_id, live.name)
            self._swap(self._searcher.with_index(newer, sync=False))
            return True
        finally:
            self._lock.release()

    def _refresh_catalogue(self) -> bool:
        """Rebuild the local index from the store's catalogue after another replica wrote.

        One small read of the store's revision per call; the catalogue itself is read only
        when the revision moved. Only changed documents are re-embedded (the encoder is the
        writer's, so the vectors are the ones the store already holds)."""
        store = self._searcher.store
        if not isinstance(store, Catalogue):
            return False
        revision = store.revision()
        if revision == self._revision or not self._lock.acquire(blocking=False):
            return False
        try:
            with writer_lock(self.root):
                return self._adopt(store, revision)
        finally:
            self._lock.release()

    def _adopt(self, store: Catalogue, revision: str | None = None) -> bool:
        """Make the local index hold the store's documents (both locks held)."""
        revision = store.revision() if revision is None else revision
        entries = store.catalogue()
        current = self._searcher.index
        # An empty catalogue is a store from before it kept documents: never adopt it.
        if not entries or {e.document.id: e.digest for e in entries} == current.digests():
            self._revision = revision
            return False
        documents = {e.document.id: e.document for e in entries}
        index = self._write(current, documents, {e.document.id for e in entries if e.api})
        self._swap(self._searcher.with_index(index, sync=False))
        log.info("index %s adopted the store's %d documents", index.manifest.index_id, len(entries))
        self._revision = revision
        return True

    def upsert(self, document: Document) -> Change:
        """Add `document`, or replace the document with its id; returns what changed."""
        with self._lock, writer_lock(self.root):
            current = self._latest()
            old = current.documents.get(document.id)
            if old is not None and old.content_hash == document.content_hash:
                return Change(document.id, "unchanged", current)
            documents = dict(current.documents)
            documents[document.id] = document
            api = {*current.manifest.api_documents, document.id}
            index = self._commit(current, documents, api)
            return Change(document.id, "created" if old is None else "replaced", index)

    def delete(self, doc_id: str) -> Change:
        """Remove a document; raises UnknownDocument or LastDocument."""
        with self._lock, writer_lock(self.root):
            current = self._latest()
            if doc_id not in current.documents:
                raise UnknownDocument(doc_id)
            if len(current.documents) == 1:
                raise LastDocument(doc_id)
            documents = {k: v for k, v in current.documents.items() if k != doc_id}
            api = set(current.manifest.api_documents) - {doc_id}
            index = self._commit(current, documents, api)
            return Change(doc_id, "deleted", index)

    def _latest(self) -> Index:
        """The index to build on: ours, or a newer version another process (sayso build) wrote."""
        index = self._searcher.index
        live = current_version(self.root)
        if live is not None and live.name != index.manifest.index_id:
            try:
                newer = read_index(self.root, model=index.manifest.model)
            except IndexStoreError as exc:
                log.warning("building on the served index, not on %s: %s", live, exc)
            else:
                log.info("index %s was replaced on disk by %s", index.manifest.index_id, live.name)
                self._swap(self._searcher.with_index(newer))
        store = self._searcher.store
        if isinstance(store, Catalogue):  # build on what every replica wrote, not only us
            self._adopt(store)
        return self._searcher.index

    def _commit(self, current: Index, documents: dict[str, Document], api: set[str]) -> Index:
        index = self._write(current, documents, api)
        self.updates += 1
        self._swap(self._searcher.with_index(index))
        manifest = index.manifest
        log.info("index %s now serves %d documents", manifest.index_id, manifest.documents)
        return index

    def _write(self, current: Index, documents: dict[str, Document], api: set[str]) -> Index:
        """A new version holding `documents`, built on `current` and written to disk."""
        built = build_index(
            list(documents.values()), current.settings, self._searcher.encoder, previous=current
        )
        manifest = replace(built.manifest, api_documents=sorted(api & set(documents)))
        index = replace(built, manifest=manifest)
        return replace(index, path=write_index(self.root, index))

    def _swap(self, searcher: Searcher) -> None:
        self._searcher = searcher
        if self._on_swap is not None:
            self._on_swap(searcher)
