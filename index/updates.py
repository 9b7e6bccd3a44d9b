"""Live updates: add, replace or delete documents in a served index, one writer at a time."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from index.build import BuildStopped, build_index
from index.disk import Index, IndexStoreError, current_version, read_index, write_index, writer_lock
from index.documents import Document
from index.models.encoder import Encoder
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


@dataclass(frozen=True)
class Batch:
    """What one write of several documents did: one result per document, in the order
    given, and the one index version that now serves (the old one if nothing changed)."""

    results: tuple[tuple[str, ChangeKind], ...]
    index: Index


def plan(
    current: Index, upserts: Sequence[Document] = (), deletes: Sequence[str] = ()
) -> tuple[dict[str, Document], set[str], tuple[tuple[str, ChangeKind], ...]]:
    """The documents and API-added ids after a write, and what it does to each document.

    Raises UnknownDocument for a delete of an id not in `current`, LastDocument when
    nothing would be left, ValueError for an id given twice.
    """
    ids = [d.id for d in upserts] + list(deletes)
    twice = sorted({i for i in ids if ids.count(i) > 1})
    if twice:
        raise ValueError(f"document id given twice in one write: {', '.join(twice)}")
    documents = dict(current.documents)
    api = set(current.manifest.api_documents)
    results: list[tuple[str, ChangeKind]] = []
    for document in upserts:
        old = current.documents.get(document.id)
        if old is not None and old.content_hash == document.content_hash:
            results.append((document.id, "unchanged"))
            continue
        documents[document.id] = document
        api.add(document.id)
        results.append((document.id, "created" if old is None else "replaced"))
    for doc_id in deletes:
        if doc_id not in current.documents:
            raise UnknownDocument(doc_id)
        del documents[doc_id]
        api.discard(doc_id)
        results.append((doc_id, "deleted"))
    if not documents:
        raise LastDocument(deletes[-1] if deletes else "")
    return documents, api, tuple(results)


def commit(
    root: Path,
    current: Index,
    documents: dict[str, Document],
    api: set[str],
    encoder: Encoder,
    stop: Callable[[], bool] | None = None,
) -> Index:
    """Build `documents` from `current` (re-embedding only changed documents) and write the
    result as the live version under `root`; the caller holds the writer lock.

    `stop` is asked between the build's stages and one last time before anything is
    written (BuildStopped, nothing written, once it answers True); from that last answer
    on, the write completes."""
    built = build_index(
        list(documents.values()), current.settings, encoder, previous=current, stop=stop
    )
    if stop is not None and stop():
        raise BuildStopped("write")
    manifest = replace(built.manifest, api_documents=sorted(api & set(documents)))
    index = replace(built, manifest=manifest)
    return replace(index, path=write_index(root, index))


def apply_local(
    root: Path,
    encoder: Encoder,
    *,
    model: str | None = None,
    upserts: Sequence[Document] = (),
    deletes: Sequence[str] = (),
) -> Batch:
    """Add, replace and delete documents of the index under `root` as one new version
    (for `sayso add` / `sayso rm`; a serving process adopts it on its next request).
    Nothing is written when nothing changes."""
    with writer_lock(root):
        current = read_index(root, model=model)
        documents, api, results = plan(current, upserts, deletes)
        if all(kind == "unchanged" for _, kind in results):
            return Batch(results, current)
        return Batch(results, commit(root, current, documents, api, encoder))


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

    def upsert(self, document: Document, stop: Callable[[], bool] | None = None) -> Change:
        """Add `document`, or replace the document with its id; returns what changed."""
        batch = self.write([document], stop=stop)
        return Change(document.id, batch.results[0][1], batch.index)

    def delete(self, doc_id: str) -> Change:
        """Remove a document; raises UnknownDocument or LastDocument."""
        batch = self.write(deletes=[doc_id])
        return Change(doc_id, "deleted", batch.index)

    def write(
        self,
        upserts: Sequence[Document] = (),
        deletes: Sequence[str] = (),
        stop: Callable[[], bool] | None = None,
    ) -> Batch:
        """Add or replace `upserts` and remove `deletes` as ONE new index version (none when
        nothing changes); all or nothing: raises as `plan` does before anything is built.

        With `stop` (a deadline, a client that left), the write is given up with
        BuildStopped when it answers True: after waiting for another write, between the
        build's stages, and last just before the new version is written; a stopped write
        leaves the index as it was."""
        with self._lock, writer_lock(self.root):
            if stop is not None and stop():
                raise BuildStopped("queued")
            current = self._latest()
            documents, api, results = plan(current, upserts, deletes)
            if all(kind == "unchanged" for _, kind in results):
                return Batch(results, current)
            return Batch(results, self._commit(current, documents, api, stop))

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

    def _commit(
        self,
        current: Index,
        documents: dict[str, Document],
        api: set[str],
        stop: Callable[[], bool] | None = None,
    ) -> Index:
        index = self._write(current, documents, api, stop)
        self.updates += 1
        self._swap(self._searcher.with_index(index))
        manifest = index.manifest
        log.info("index %s now serves %d documents", manifest.index_id, manifest.documents)
        return index

    def _write(
        self,
        current: Index,
        documents: dict[str, Document],
        api: set[str],
        stop: Callable[[], bool] | None = None,
    ) -> Index:
        """A new version holding `documents`, built on `current` and written to disk."""
        return commit(self.root, current, documents, api, self._searcher.encoder, stop)

    def _swap(self, searcher: Searcher) -> None:
        self._searcher = searcher
        if self._on_swap is not None:
            self._on_swap(searcher)
