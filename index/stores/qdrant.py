"""Qdrant as the passage store: dense + sparse (BM25) vectors, payload filters, one API
for the embedded local mode (tests) and a clustered server (production)."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from index.documents import Document
from index.passages import Passage
from index.retrieval.lexical import bm25_document_weights, bm25_query_weights, tokenize
from index.retrieval.units import best_unit_ranking
from index.stores.model import (
    CatalogueEntry,
    DocumentRecord,
    StoredHit,
    StoreQuery,
    StoreStats,
    rank_candidates,
    speakers_of,
)

if TYPE_CHECKING:
    from qdrant_client import QdrantClient
    from qdrant_client.http import models as qm

log = logging.getLogger(__name__)

UPSERT_BATCH = 256
META_ID = str(uuid.UUID(int=0))
REVISION_ID = str(uuid.UUID(int=1))
"""The meta point whose `revision` changes with every write (replicas poll it)."""


def point_id(passage_id: str) -> str:
    """Qdrant ids are UUIDs or integers: a passage's is a UUID derived from its id."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"sayso:{passage_id}"))


def connect(location: str) -> QdrantClient:
    """A client for a server URL (http[s]://...), ":memory:", or a local directory."""
    from qdrant_client import QdrantClient

    if location.startswith(("http://", "https://")):
        return QdrantClient(url=location, timeout=30)
    if location == ":memory:":
        return QdrantClient(location=":memory:")
    return QdrantClient(path=location)


class QdrantStore:
    """Passages as points of one collection: "dense" vector (dot product over unit
    vectors = cosine), "sentences" multivector (not indexed; read back for highlights)
    and "lexical" sparse vector with the IDF modifier (BM25, see bm25_document_weights).

    The corpus mean passage length used for BM25 is fixed by the first upsert into an
    empty collection; later upserts reuse it (rebuild the store to re-weight).
    """

    engine = "qdrant"
    extra_rankings = False
    """Candidates are Qdrant points, not catalogue rows: a second model's ranking cannot join."""

    def __init__(
        self,
        client: QdrantClient,
        *,
        collection: str,
        dimension: int,
        stem: str = "english",
        stopwords: str = "en",
        sentence_vectors: bool = True,
    ) -> None:
        self.client = client
        self.collection = collection
        self.meta_collection = f"{collection}_meta"
        self.documents_collection = f"{collection}_documents"
        self.dimension = dimension
        self.stem = stem
        self.stopwords = stopwords
        self.sentence_vectors = sentence_vectors
        self._ensure_collections()

    # -- schema ------------------------------------------------------------------------

    def _ensure_collections(self) -> None:
        from qdrant_client.http import models as qm

        if not self.client.collection_exists(self.collection):
            vectors = {"dense": qm.VectorParams(size=self.dimension, distance=qm.Distance.DOT)}
            if self.sentence_vectors:
                vectors["sentences"] = qm.VectorParams(
                    size=self.dimension,
                    distance=qm.Distance.DOT,
                    multivector_config=qm.MultiVectorConfig(
                        comparator=qm.MultiVectorComparator.MAX_SIM
                    ),
                    hnsw_config=qm.HnswConfigDiff(m=0),  # stored, never searched
                    on_disk=True,
                )
                vectors["title"] = qm.VectorParams(
                    size=self.dimension,
                    distance=qm.Distance.DOT,
                    hnsw_config=qm.HnswConfigDiff(m=0),  # read back for index.retrieval.units
                    on_disk=True,
                )
            self.client.create_collection(
                self.collection,
                vectors_config=vectors,
                sparse_vectors_config={"lexical": qm.SparseVectorParams(modifier=qm.Modifier.IDF)},
            )
            if not self._local:
                for field in ("doc_id", "speakers"):
                    self.client.create_payload_index(
                        self.collection, field, field_schema=qm.PayloadSchemaType.KEYWORD
                    )
        for name in (self.meta_collection, self.documents_collection):
            if not self.client.collection_exists(name):
                self.client.create_collection(name, vectors_config={})
        # A collection created before title vectors existed has none: its units are sentences.
        params = self.client.get_collection(self.collection).config.params.vectors
        self._titles = isinstance(params, dict) and "title" in params

    @property
    def _local(self) -> bool:
        return type(self.client._client).__name__ == "QdrantLocal"

    def _meta(self) -> dict[str, Any]:
        points = self.client.retrieve(self.meta_collection, [META_ID], with_payload=True)
        return dict(points[0].payload or {}) if points else {"avgdl": 0.0, "documents": {}}

    def _save_meta(self, meta: dict[str, Any]) -> None:
        from qdrant_client.http import models as qm

        revision = {"revision": uuid.uuid4().hex}
        self.client.upsert(
            self.meta_collection,
            [
                qm.PointStruct(id=META_ID, vector={}, payload=meta),
                qm.PointStruct(id=REVISION_ID, vector={}, payload=revision),
            ],
        )

    # -- the document catalogue ---------------------------------------------------------

    def revision(self) -> str:
        """Changes with every write; "" before the first."""
        points = self.client.retrieve(self.meta_collection, [REVISION_ID], with_payload=True)
        return str((points[0].payload or {}).get("revision", "")) if points else ""

    def catalogue(self) -> list[CatalogueEntry]:
        """Every stored document with its text, API flag and digest."""
        entries = []
        offset: Any = None
        while True:
            points, offset = self.client.scroll(
                self.documents_collection, limit=256, offset=offset, with_payload=True
            )
            for point in points:
                payload = point.payload or {}
                entries.append(
                    CatalogueEntry(
                        Document(**payload["document"]),
                        bool(payload.get("api")),
                        str(payload.get("digest", "")),
                    )
                )
            if offset is None:
                return sorted(entries, key=lambda entry: entry.document.id)

    def _save_documents(self, records: Sequence[DocumentRecord]) -> None:
        from qdrant_client.http import models as qm

        points = [
            qm.PointStruct(
                id=point_id(f"document:{r.document.id}"),
                vector={},
                payload={
                    "document": r.document.to_json(),
                    "api": r.api,
                    "digest": r.digest or r.document.content_hash,
                },
            )
            for r in records
        ]
        for begin in range(0, len(points), UPSERT_BATCH):
            self.client.upsert(self.documents_collection, points[begin : begin + UPSERT_BATCH])

    # -- writes ------------------------------------------------------------------------

    def upsert(self, records: Sequence[DocumentRecord]) -> None:
        meta = self._meta()
        tokens = [
            tokenize(r.lexical_texts, stem=self.stem, stopwords=self.stopwords)
            if r.passages
            else []
            for r in records
        ]
        if not meta["documents"] or not meta["avgdl"]:
            lengths = [max(len(t), 1) for rows in tokens for t in rows]
            meta["avgdl"] = float(np.mean(lengths)) if lengths else 1.0
        points = [
            self._point(record, n, row_tokens[n], meta["avgdl"])
            for record, row_tokens in zip(records, tokens, strict=True)
            for n in range(len(record.passages))
        ]
        for begin in range(0, len(points), UPSERT_BATCH):
            self.client.upsert(self.collection, points[begin : begin + UPSERT_BATCH])
        for record in records:
            stored = meta["documents"].get(record.document.id, {}).get("passages", 0)
            if stored > len(record.passages):  # a shorter version: drop the leftover tail
                self._delete_points(record.document.id, from_seq=len(record.passages))
            meta["documents"][record.document.id] = {
                "hash": record.digest or record.document.content_hash,
                "passages": len(record.passages),
                "quotes": sum(len(q) for q in record.quotes),
                "title": record.document.title,
                "api": record.api,
            }
        self._save_documents(records)
        self._save_meta(meta)

    def _point(self, record: DocumentRecord, n: int, tokens: list[str], avgdl: float) -> Any:
        from qdrant_client.http import models as qm

        passage = record.passages[n]
        weights = bm25_document_weights(tokens, avgdl)
        vector: dict[str, Any] = {
            "dense": record.vectors[n].tolist(),
            "lexical": qm.SparseVector(indices=list(weights), values=list(weights.values())),
        }
        if self.sentence_vectors and len(record.sentence_vectors):
            begin = sum(len(p.sentences) for p in record.passages[:n])
            rows = record.sentence_vectors[begin : begin + len(passage.sentences)]
            vector["sentences"] = rows.tolist()
            title = record.title_vector
            if self._titles and title is not None and title.any():
                vector["title"] = title.tolist()
        quotes = [dict(q) for q in record.passage_quotes(n)]
        return qm.PointStruct(
            id=point_id(passage.id),
            vector=vector,
            payload={
                "doc_id": passage.doc_id,
                "seq": n,
                "passage": passage.to_json(),
                "title": record.document.title,
                "source": record.document.source,
                "quotes": quotes,
                "speakers": speakers_of(quotes),
            },
        )

    def _delete_points(self, doc_id: str, from_seq: int = 0) -> None:
        from qdrant_client.http import models as qm

        must: list[Any] = [qm.FieldCondition(key="doc_id", match=qm.MatchValue(value=doc_id))]
        if from_seq:
            must.append(qm.FieldCondition(key="seq", range=qm.Range(gte=from_seq)))
        self.client.delete(
            self.collection, points_selector=qm.FilterSelector(filter=qm.Filter(must=must))
        )

    def delete(self, doc_id: str) -> bool:
        meta = self._meta()
        if doc_id not in meta["documents"]:
            return False
        self._delete_points(doc_id)
        self.client.delete(self.documents_collection, [point_id(f"document:{doc_id}")])
        del meta["documents"][doc_id]
        self._save_meta(meta)
        return True

    # -- search ------------------------------------------------------------------------

    def search(self, query: StoreQuery) -> list[StoredHit]:
        from qdrant_client.http import models as qm

        if query.extra:
            raise ValueError("the qdrant store cannot fuse extra rankings (a second model)")
        if query.doc_ids is not None and not query.doc_ids:
            return []
        where = self._filter(query)
        sparse = self._sparse_query(query.text) if query.lexical else None
        requests = []
        if query.vector is not None:
            requests.append(
                qm.QueryRequest(
                    query=query.vector.tolist(),
                    using="dense",
                    limit=query.depth,
                    filter=where,
                    with_payload=["doc_id", "seq"],
                )
            )
        if sparse is not None:
            requests.append(
                qm.QueryRequest(
                    query=sparse,
                    using="lexical",
                    limit=query.depth,
                    filter=where,
                    with_payload=["doc_id", "seq"],
                )
            )
        responses = iter(self.client.query_batch_points(self.collection, requests))
        dense_points = next(responses).points if query.vector is not None else []
        lexical_points = next(responses).points if sparse is not None else []
        keys = sorted({_order(p) for p in [*dense_points, *lexical_points]})
        position = {key: i for i, key in enumerate(keys)}
        ids = {position[_order(p)]: str(p.id) for p in [*dense_points, *lexical_points]}
        dense = {position[_order(p)]: float(p.score) for p in dense_points}
        lexical = {position[_order(p)]: float(p.score) for p in lexical_points}
        if dense and query.unit_weight and self.sentence_vectors:
            assert query.vector is not None
            dense = self._best_units(query, sorted(set(dense) | set(lexical)), ids)
        ranked = rank_candidates(
            query.vector is not None, query.lexical, dense, lexical, query.fuse, query.weights
        )[: query.k]
        return self._hits(query, ranked, ids, lexical, sparse)

    def _best_units(
        self, query: StoreQuery, keys: list[int], ids: dict[int, str]
    ) -> dict[int, float]:
        """The dense ranking with each candidate's best unit mixed in (index.retrieval.units)."""
        assert query.vector is not None
        points = {
            str(p.id): p.vector if isinstance(p.vector, dict) else {}
            for p in self.client.retrieve(
                self.collection,
                [ids[key] for key in keys],
                with_payload=False,
                with_vectors=["dense", "sentences", "title"]
                if self._titles
                else ["dense", "sentences"],
            )
        }
        passage = np.empty(len(keys))
        best = np.full(len(keys), -np.inf)
        for n, key in enumerate(keys):
            vectors = points[ids[key]]
            passage[n] = np.asarray(vectors["dense"], dtype=np.float32) @ query.vector
            units = [
                *(vectors.get("sentences") or ()),
                *([vectors["title"]] if "title" in vectors else ()),
            ]
            if units:
                best[n] = float((np.asarray(units, dtype=np.float32) @ query.vector).max())
        return best_unit_ranking(keys, passage, best, query.unit_weight, query.depth)

    def _filter(self, query: StoreQuery) -> qm.Filter | None:
        from qdrant_client.http import models as qm

        must: list[Any] = []
        if query.doc_ids is not None:
            must.append(qm.FieldCondition(key="doc_id", match=qm.MatchAny(any=list(query.doc_ids))))
        names = query.speaker_names()
        if names is not None:
            must.append(qm.FieldCondition(key="speakers", match=qm.MatchAny(any=list(names))))
        return qm.Filter(must=must) if must else None

    def _sparse_query(self, text: str) -> qm.SparseVector | None:
        from qdrant_client.http import models as qm

        weights = bm25_query_weights(tokenize([text], stem=self.stem, stopwords=self.stopwords)[0])
        if not weights:
            return None
        return qm.SparseVector(indices=list(weights), values=list(weights.values()))

    def _hits(
        self,
        query: StoreQuery,
        ranked: list[tuple[int, float]],
        ids: dict[int, str],
        lexical: dict[int, float],
        sparse: qm.SparseVector | None,
    ) -> list[StoredHit]:
        """Fetch the ranked points with vectors; fill in scores the candidate lists lack."""
        from qdrant_client.http import models as qm

        if not ranked:
            return []
        wanted = [ids[key] for key, _ in ranked]
        names = ["dense", "sentences"] if self.sentence_vectors else ["dense"]
        points = {
            str(p.id): p
            for p in self.client.retrieve(
                self.collection, wanted, with_payload=True, with_vectors=names
            )
        }
        missing = [ids[key] for key, _ in ranked if key not in lexical]
        lexical_by_id = {ids[key]: score for key, score in lexical.items()}
        if sparse is not None and missing:
            found = self.client.query_points(
                self.collection,
                query=sparse,
                using="lexical",
                limit=len(missing),
                query_filter=qm.Filter(must=[qm.HasIdCondition(has_id=missing)]),
                with_payload=False,
            ).points
            lexical_by_id |= {str(p.id): float(p.score) for p in found}
        hits = []
        for key, score in ranked:
            point = points[ids[key]]
            vectors: dict[str, Any] = point.vector if isinstance(point.vector, dict) else {}
            payload = point.payload or {}
            scores: dict[str, float] = {}
            if query.vector is not None:
                dense_row = np.asarray(vectors["dense"], dtype=np.float32)
                scores["dense"] = float(dense_row @ query.vector)
            if query.lexical:
                scores["lexical"] = lexical_by_id.get(ids[key], 0.0)
            sentences = vectors.get("sentences")
            hits.append(
                StoredHit(
                    passage=Passage.from_json(payload["passage"]),
                    score=score,
                    scores=scores,
                    sentence_vectors=None
                    if sentences is None
                    else np.asarray(sentences, dtype=np.float32),
                    quotes=tuple(payload.get("quotes") or ()),
                )
            )
        return hits

    def stats(self) -> StoreStats:
        meta = self._meta()
        documents: dict[str, dict[str, Any]] = meta["documents"]
        return StoreStats(
            documents=len(documents),
            passages=int(self.client.count(self.collection, exact=True).count),
            quotes=sum(int(d.get("quotes", 0)) for d in documents.values()),
            engine=self.engine,
            details={
                "collection": self.collection,
                "avgdl": meta["avgdl"],
                "doc_hashes": {doc_id: d["hash"] for doc_id, d in documents.items()},
                "api_documents": sorted(i for i, d in documents.items() if d.get("api")),
                "catalogued": int(self.client.count(self.documents_collection, exact=True).count),
            },
        )


def _order(point: Any) -> tuple[str, int]:
    """Where a passage sits in corpus order (document id, then position): the tie-break."""
    payload = point.payload or {}
    return (str(payload["doc_id"]), int(payload["seq"]))
