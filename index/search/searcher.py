"""Search: a question -> dense + lexical candidates -> fusion -> ranked passages with highlights."""

from __future__ import annotations

import time
from collections.abc import Collection
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from index.disk import Index
from index.models.encoder import Encoder, encode_queries
from index.passages import Passage, Span
from index.quotes.links import quotes_by_passage
from index.quotes.model import Quote
from index.retrieval.confidence import Answerability, confidence
from index.retrieval.feedback import ROCCHIO_BETA, ROCCHIO_DOCS, rocchio
from index.retrieval.fusion import get_fuser
from index.retrieval.units import UNIT_WEIGHT
from index.search.quotes import (
    QuoteScorer,
    ScoredQuote,
    named_speakers,
    rank_quotes,
    speaker_filter,
    speaker_tokens,
)
from index.search.rerank import RERANK_TEXT, RerankModel, rerank
from index.search.second import (
    ENSEMBLE_FEEDBACK,
    ENSEMBLE_FUSION,
    ENSEMBLE_WEIGHTS,
    RESCORE_DEPTH,
    RESCORE_WEIGHT,
    SecondModel,
    embedded_texts,
    rescore,
    second_ranking,
    second_scores,
)
from index.stores.embedded import EmbeddedStore
from index.stores.model import PassageStore, StoredHit, StoreQuery

BASE_MODES = ("hybrid", "dense", "lexical", "quality")
"""The modes every searcher runs; MODES adds those that need an extra model."""
SECOND_MODES = ("rescore", "ensemble")
"""The modes that need a second dense model (SAYSO_SECOND_MODEL)."""
MODES = (*BASE_MODES, *SECOND_MODES, "rerank")
"""`quality`: hybrid with QUALITY_FUSION and Rocchio feedback on the question vector (a
second store search); `rescore`: hybrid, then its best RESCORE_DEPTH passages re-ordered
with a second dense model (SAYSO_SECOND_MODEL, index.search.second); `ensemble`: BM25, the first
and the second model as three retrievers over every passage, fused with ENSEMBLE_FUSION
and ENSEMBLE_WEIGHTS (an embedded store only); `rerank`: hybrid, then its best
RERANK_DEPTH passages re-ordered with a cross-encoder (SAYSO_RERANKER, index.search.rerank); see
CHANGELOG "Retrieval quality experiments", "bge-small as a second model" and
"Cross-encoder reranker"."""
NEEDS = {
    "rescore": "SAYSO_SECOND_MODEL",
    "ensemble": "SAYSO_SECOND_MODEL and SAYSO_STORE=faiss",
    "rerank": "SAYSO_RERANKER",
}
"""The settings each optional mode needs."""
QUALITY_FUSION = "zscore"
CANDIDATES = 100
HIGHLIGHT_MARGIN = 0.05


@dataclass(frozen=True)
class Hit:
    """One retrieved passage. `score` is the mode's ranking score (higher is better);
    `scores` holds each retriever's own score: dense cosine in [-1, 1], lexical BM25 >= 0."""

    passage: Passage
    rank: int
    score: float
    scores: dict[str, float]
    highlights: tuple[Span, ...]
    quote_ids: tuple[str, ...] = ()


@dataclass(frozen=True)
class SearchResult:
    """Ranked passages, and the quotes they hold ranked for the question (see
    index.search.quotes: speakers the question names first, then by relevance)."""

    question: str
    mode: str
    hits: list[Hit]
    timings_ms: dict[str, float] = field(default_factory=dict)
    quotes: list[ScoredQuote] = field(default_factory=list)
    answerability: Answerability | None = None


def check_mode(mode: str) -> str:
    if mode not in MODES:
        raise ValueError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}")
    return mode


class Searcher:
    """Answers questions over one loaded index; safe to share between threads.

    Retrieval goes through a `PassageStore` (default: the embedded FAISS + BM25 store over
    `index`); `index` stays the catalogue of documents and passages the API lists.
    """

    def __init__(
        self,
        index: Index,
        encoder: Encoder,
        *,
        fusion: str = "minmax",
        weights: tuple[float, float] = (1.0, 1.0),
        candidates: int = CANDIDATES,
        store: PassageStore | None = None,
        second: SecondModel | None = None,
        reranker: RerankModel | None = None,
        unit_weight: float = UNIT_WEIGHT,
    ) -> None:
        self.index = index
        self.unit_weight = unit_weight
        self.encoder = encoder
        self.fuse = get_fuser(fusion)
        self.fusion = fusion
        self.weights = weights
        self.candidates = candidates
        self.store: PassageStore = store if store is not None else EmbeddedStore(index)
        self._rows = {p.id: row for row, p in enumerate(index.passages)}
        self._quality_fuse = get_fuser(QUALITY_FUSION)
        self._vectors: np.ndarray | None = None
        self.quotes = {q.id: q for q in index.quotes}
        self._quote_scorer = QuoteScorer(index) if index.quotes else None
        self._speaker_tokens = speaker_tokens(
            (q.speaker for q in index.quotes), index.lexical.tokenize
        )
        self.second = second
        self._second_vectors = second.vectors(index) if second is not None else None
        self.reranker = reranker
        # What the cross-encoder reads for each passage (index.search.rerank.RERANK_TEXT).
        self._rerank_texts = (
            dict(zip(self._rows, embedded_texts(index), strict=True))
            if reranker is not None and RERANK_TEXT == "embedded"
            else {}
        )
        # The two question encodes of `ensemble` overlap: one runs here, one in this pool.
        self._pool = ThreadPoolExecutor(1, "second-encoder") if second is not None else None
        self._doc_rows: dict[str, list[int]] = {}
        for row, p in enumerate(index.passages):
            self._doc_rows.setdefault(p.doc_id, []).append(row)
        self._ensemble_fuse = get_fuser(ENSEMBLE_FUSION)
        self._quote_passage = {
            str(row["id"]): str(row["passage_id"])
            for rows in quotes_by_passage(index.passages, index.quotes).values()
            for row in rows
        }

    def with_index(self, index: Index, *, sync: bool = True) -> Searcher:
        """A searcher like this one (encoder, fusion, weights) over another index version.

        An embedded store is rebuilt from the new version; an external store (Qdrant) is
        kept and, with `sync`, brought in step with it (changed documents only).
        """
        store = None
        if not isinstance(self.store, EmbeddedStore):
            if sync:
                from index.stores import sync_store

                sync_store(self.store, index)
            store = self.store
        return Searcher(
            index,
            self.encoder,
            fusion=self.fusion,
            weights=self.weights,
            candidates=self.candidates,
            store=store,
            second=self.second,
            reranker=self.reranker,
            unit_weight=self.unit_weight,
        )

    def profile(self, mode: str) -> dict[str, object]:
        """What a mode runs: fusion, weights, candidate depth and feedback (for /readyz)."""
        quality = mode == "quality"
        profile: dict[str, object] = {
            "mode": mode,
            "fusion": QUALITY_FUSION if quality else self.fusion,
            "weights": list(self.weights),
            "candidates": self.candidates,
            "unit_weight": self.unit_weight if self.index.settings.sentence_vectors else 0.0,
            "feedback": f"rocchio(beta={ROCCHIO_BETA}, docs={ROCCHIO_DOCS})" if quality else None,
            "second_model": self.second.name if self.second is not None else None,
            "reranker": self.reranker.name if self.reranker is not None else None,
        }
        if mode == "rescore":
            profile["rescore"] = {"depth": RESCORE_DEPTH, "weight": RESCORE_WEIGHT}
        if mode == "rerank":
            assert self.reranker is not None
            profile["rerank"] = {
                "depth": self.reranker.depth,
                "weight": self.reranker.weight,
                "text": RERANK_TEXT,
            }
        if mode == "ensemble":
            first, lexical, second = ENSEMBLE_WEIGHTS
            profile["fusion"] = ENSEMBLE_FUSION
            profile["weights"] = [first, lexical]
            profile["ensemble"] = {"second_weight": second, "feedback_beta": ENSEMBLE_FEEDBACK}
            if ENSEMBLE_FEEDBACK:
                profile["feedback"] = f"rocchio(beta={ENSEMBLE_FEEDBACK}, docs={ROCCHIO_DOCS})"
        return profile

    @property
    def modes(self) -> list[str]:
        """The modes this searcher can run: `rescore` needs a second model, `ensemble` a
        second model and a store that fuses extra rankings (the embedded one), `rerank` a
        cross-encoder."""
        available = {
            "rescore": self.second is not None,
            "ensemble": self.second is not None and self.store.extra_rankings,
            "rerank": self.reranker is not None,
        }
        return [mode for mode in MODES if available.get(mode, True)]

    def passage(self, passage_id: str) -> Passage | None:
        row = self._rows.get(passage_id)
        return None if row is None else self.index.passages[row]

    def embed(self, question: str) -> np.ndarray:
        vector: np.ndarray = self.encoder.encode([question])[0]
        return vector

    def search(
        self,
        question: str,
        k: int = 5,
        mode: str = "hybrid",
        doc_ids: Collection[str] | None = None,
        speaker: str | None = None,
    ) -> SearchResult:
        """The k passages that best answer `question`, best first (rank 1 first).

        `doc_ids` and `speaker` (a quoted person's full name) restrict what is searched.
        """
        check_mode(mode)
        if mode not in self.modes:
            raise ValueError(f"mode {mode!r} needs a model this searcher lacks: set {NEEDS[mode]}")
        started = time.perf_counter()
        timings: dict[str, float] = {}
        if speaker is not None:
            names = speaker_filter(speaker, (q.speaker for q in self.quotes.values()))
            if not names:
                return SearchResult(question=question, mode=mode, hits=[], timings_ms=timings)
            speaker = names[0]
        query = second_query = None
        if mode == "ensemble":
            query, second_query = self._embed_both(question)
            timings["embed"] = _ms(started)
        elif mode != "lexical":
            query = self.embed(question)
            timings["embed"] = _ms(started)
        mark = time.perf_counter()
        store_query = StoreQuery(
            text=question,
            vector=query,
            lexical=mode != "dense",
            k=max(k, self._head_depth(mode)),
            depth=max(self.candidates, k),
            fuse=self._quality_fuse if mode == "quality" else self.fuse,
            weights=self.weights,
            doc_ids=None if doc_ids is None else tuple(doc_ids),
            speaker=speaker,
            unit_weight=self.unit_weight,
        )
        if mode == "quality" and query is not None:
            store_query = replace(store_query, vector=self._feedback(store_query, query))
        if second_query is not None:
            store_query = self._ensemble_query(store_query, second_query)
        # A shared store can hold a document this process's catalogue does not have yet
        # (or no longer has) for the moment between another replica's write and our refresh.
        stored = [
            hit
            for hit in self.store.search(store_query)
            if hit.passage.doc_id in self.index.documents
        ]
        timings["search"] = _ms(mark)
        if second_query is not None:
            stored = self._with_second_scores(stored, second_query)
        if mode == "rescore":
            mark = time.perf_counter()
            stored = self._rescore(question, stored)[:k]
            timings["rescore"] = _ms(mark)
        elif mode == "rerank":
            mark = time.perf_counter()
            stored = self._rerank(question, stored)[:k]
            timings["rerank"] = _ms(mark)
        mark = time.perf_counter()
        hits = [
            Hit(
                passage=hit.passage,
                rank=rank,
                score=hit.score,
                scores=hit.scores,
                highlights=highlights,
                quote_ids=tuple(str(row["id"]) for row in hit.quotes),
            )
            for rank, (hit, highlights) in enumerate(
                zip(stored, self._highlights(stored, query, question), strict=True), start=1
            )
        ]
        timings["highlight"] = _ms(mark)
        mark = time.perf_counter()
        quotes = self._ranked_quotes(question, query, hits, speaker)
        timings["quotes"] = _ms(mark)
        timings["total"] = _ms(started)
        # Lexical mode has no question vector: no answerability (None) rather than a guess.
        top = hits[0].scores.get("dense") if hits else -1.0
        return SearchResult(
            question=question,
            mode=mode,
            hits=hits,
            timings_ms=timings,
            quotes=quotes,
            answerability=None if top is None else confidence(top),
        )

    def _embed_both(self, question: str) -> tuple[np.ndarray, np.ndarray]:
        """The question under both models; the second model's encode runs concurrently."""
        assert self.second is not None and self._pool is not None
        pending = self._pool.submit(encode_queries, self.second.encoder, [question])
        first = self.embed(question)
        return first, pending.result()[0]

    def _ensemble_query(self, store_query: StoreQuery, second_query: np.ndarray) -> StoreQuery:
        """`store_query` with the second model's ranking added (mode `ensemble`), after
        Rocchio feedback on both question vectors when ENSEMBLE_FEEDBACK is set."""
        first_query = store_query.vector
        assert self._second_vectors is not None and first_query is not None
        first_w, lexical_w, second_w = ENSEMBLE_WEIGHTS
        rows = self._allowed_rows(store_query.doc_ids, store_query.speaker)
        store_query = replace(
            store_query,
            fuse=self._ensemble_fuse,
            weights=(first_w, lexical_w),
            extra=(second_ranking(self._second_vectors, second_query, store_query.depth, rows),),
            extra_weights=(second_w,),
        )
        if not ENSEMBLE_FEEDBACK:
            return store_query
        first = self.store.search(replace(store_query, k=ROCCHIO_DOCS))
        top = [self._rows[h.passage.id] for h in first if h.passage.id in self._rows]
        if not top:
            return store_query
        if self._vectors is None:
            self._vectors = self.index.dense.vectors()
        moved = rocchio(second_query, self._second_vectors[top], ENSEMBLE_FEEDBACK)
        return replace(
            store_query,
            vector=rocchio(first_query, self._vectors[top], ENSEMBLE_FEEDBACK),
            extra=(second_ranking(self._second_vectors, moved, store_query.depth, rows),),
        )

    def _with_second_scores(self, stored: list[StoredHit], query: np.ndarray) -> list[StoredHit]:
        """Hits with the second model's cosine added to their `scores` as "second"."""
        assert self._second_vectors is not None
        cosines = second_scores(
            self._second_vectors, [self._rows[h.passage.id] for h in stored], query
        )
        return [
            replace(h, scores=h.scores | {"second": float(c)})
            for h, c in zip(stored, cosines, strict=True)
        ]

    def _allowed_rows(
        self, doc_ids: Collection[str] | None, speaker: str | None
    ) -> np.ndarray | None:
        """Catalogue rows a filtered query may return (None: no filter), as the store filters."""
        if doc_ids is None and speaker is None:
            return None
        rows: set[int] | None = None
        if doc_ids is not None:
            rows = {r for d in doc_ids for r in self._doc_rows.get(d, [])}
        if speaker is not None:
            quoted = {
                self._rows[pid]
                for qid, pid in self._quote_passage.items()
                if pid in self._rows
                and qid in self.quotes
                and self.quotes[qid].speaker.name == speaker
            }
            rows = quoted if rows is None else rows & quoted
        return np.array(sorted(rows or ()), dtype=np.int64)

    def _rescore(self, question: str, stored: list[StoredHit]) -> list[StoredHit]:
        """The first stage's hits re-ordered with the second model (index.search.second.rescore)."""
        assert self.second is not None and self._second_vectors is not None
        query = encode_queries(self.second.encoder, [question])[0]
        rows = [self._rows[h.passage.id] for h in stored]
        cosines = second_scores(self._second_vectors, rows, query)
        ranked = rescore(
            [h.score for h in stored], cosines.tolist(), depth=RESCORE_DEPTH, weight=RESCORE_WEIGHT
        )
        return [
            replace(
                stored[i],
                score=score,
                scores=stored[i].scores | {"second": float(cosines[i])},
            )
            for i, score in ranked
        ]

    def _head_depth(self, mode: str) -> int:
        """How many first-stage passages a mode re-orders (0: none)."""
        if mode == "rescore":
            return RESCORE_DEPTH
        if mode == "rerank" and self.reranker is not None:
            return self.reranker.depth
        return 0

    def _rerank(self, question: str, stored: list[StoredHit]) -> list[StoredHit]:
        """The first stage's hits re-ordered with the cross-encoder (index.search.rerank.rerank)."""
        model = self.reranker
        assert model is not None
        head = stored[: model.depth]
        texts = [self._rerank_texts.get(h.passage.id, h.passage.text) for h in head]
        logits = model.scorer.score(question, texts)
        ranked = rerank(
            [h.score for h in stored], logits.tolist(), depth=model.depth, weight=model.weight
        )
        return [
            replace(
                stored[i],
                score=score,
                scores=stored[i].scores | ({"rerank": float(logits[i])} if i < len(head) else {}),
            )
            for i, score in ranked
        ]

    def _feedback(self, store_query: StoreQuery, query: np.ndarray) -> np.ndarray:
        """The question vector moved towards the first pass's ROCCHIO_DOCS best passages."""
        first = self.store.search(replace(store_query, k=ROCCHIO_DOCS))
        rows = [self._rows[h.passage.id] for h in first if h.passage.id in self._rows]
        if not rows:
            return query
        if self._vectors is None:
            self._vectors = self.index.dense.vectors()  # once; the index never changes
        return rocchio(query, self._vectors[rows], ROCCHIO_BETA)

    def _ranked_quotes(
        self, question: str, query: np.ndarray | None, hits: list[Hit], speaker: str | None
    ) -> list[ScoredQuote]:
        """The quotes in `hits`, ranked; only `speaker`'s when a speaker filter is given."""
        found = [
            (self.quotes[qid], hit.passage.id)
            for hit in hits
            for qid in hit.quote_ids
            if qid in self.quotes
        ]
        if speaker is not None:
            found = [(q, pid) for q, pid in found if q.speaker.name == speaker]
        return self._rank(question, query, found)

    def _rank(
        self, question: str, query: np.ndarray | None, found: list[tuple[Quote, str]]
    ) -> list[ScoredQuote]:
        if not found or self._quote_scorer is None:
            return []
        named = named_speakers(question, self._speaker_tokens, self.index.lexical.tokenize)
        scores = self._quote_scorer.scores(query, [q for q, _ in found])
        return rank_quotes(found, scores, named)

    def find_quotes(
        self,
        *,
        q: str | None = None,
        speaker: str | None = None,
        doc_id: str | None = None,
        limit: int = 50,
    ) -> list[ScoredQuote]:
        """Stored quotes filtered by `speaker` (name, title or organisation contains it)
        and `doc_id`; with `q`, ranked by relevance to it, else in document order."""
        quotes = list(self.quotes.values())
        if speaker is not None:
            names = set(speaker_filter(speaker, (x.speaker for x in quotes)))
            quotes = [x for x in quotes if x.speaker.name in names]
        if doc_id is not None:
            quotes = [x for x in quotes if x.doc_id == doc_id]
        found = [(x, self._quote_passage.get(x.id, "")) for x in quotes]
        if q is None:
            return [ScoredQuote(x, pid, 0.0, False) for x, pid in found][:limit]
        return self._rank(q, self.embed(q), found)[:limit]

    def _highlights(
        self, hits: list[StoredHit], query: np.ndarray | None, question: str
    ) -> list[tuple[Span, ...]]:
        """Each passage's sentences that best match the question, in text order.

        With a question vector: the most similar sentence and any within HIGHLIGHT_MARGIN
        cosine of it. Without (lexical mode, or no sentence vectors stored): the sentences
        sharing the most query terms (all such hits tokenised in one batch).
        """
        by_terms = [h.passage for h in hits if query is None or h.sentence_vectors is None]
        overlaps = iter(self._term_overlaps(by_terms, question))
        result = []
        for hit in hits:
            if query is not None and hit.sentence_vectors is not None:
                sims = hit.sentence_vectors @ query
                keep = sims >= sims.max() - HIGHLIGHT_MARGIN
            else:
                sims = next(overlaps)
                keep = (sims == sims.max()) & (sims > 0)
            spans = zip(hit.passage.sentences, keep, strict=True)
            result.append(tuple(span for span, chosen in spans if chosen))
        return result

    def _term_overlaps(self, passages: list[Passage], question: str) -> list[np.ndarray]:
        """Per passage, how many question terms each of its sentences shares."""
        if not passages:
            return []
        texts = [question] + [
            p.text[s - p.start : e - p.start] for p in passages for s, e in p.sentences
        ]
        tokens = self.index.lexical.tokenize.distinct(texts)
        counts = np.array([len(tokens[0] & sent) for sent in tokens[1:]], dtype=np.float32)
        bounds = np.cumsum([0] + [len(p.sentences) for p in passages])
        return [counts[bounds[i] : bounds[i + 1]] for i in range(len(passages))]


def _ms(since: float) -> float:
    return round((time.perf_counter() - since) * 1000, 3)


def result_rows(result: SearchResult, index: Index) -> list[dict[str, Any]]:
    """Plain dicts for a result's hits (used by the CLI's --json and the evals)."""
    rows = []
    for hit in result.hits:
        doc = index.documents[hit.passage.doc_id]
        rows.append(
            {
                "id": hit.passage.id,
                "doc_id": doc.id,
                "title": doc.title,
                "source": doc.source,
                "text": hit.passage.text,
                "start": hit.passage.start,
                "end": hit.passage.end,
                "rank": hit.rank,
                "score": hit.score,
                "scores": hit.scores,
                "highlights": [{"start": s, "end": e} for s, e in hit.highlights],
            }
        )
    return rows
