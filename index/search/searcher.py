"""The searcher: runs a mode's plan over one loaded index -> ranked passages, highlights, quotes."""

from __future__ import annotations

import time
from collections.abc import Collection, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from index.disk import Index
from index.models.encoder import Encoder, encode_queries
from index.passages import Passage, Span
from index.quotes.links import quotes_by_passage
from index.quotes.model import Quote
from index.retrieval.confidence import Answerability, confidence
from index.retrieval.feedback import rocchio
from index.retrieval.fusion import get_fuser
from index.retrieval.units import UNIT_WEIGHT
from index.search.highlights import highlights
from index.search.late import LateModel
from index.search.modes import (
    DEFAULT_MODE,
    MODES,
    Feedback,
    Plan,
    Reorder,
    get_plan,
)
from index.search.quotes import (
    QuoteScorer,
    ScoredQuote,
    SpeakerChoice,
    choose_speaker,
    named_speakers,
    rank_quotes,
    speaker_filter,
    speaker_tokens,
)
from index.search.rerank import RERANK_TEXT, RerankModel, rerank
from index.search.second import (
    SecondModel,
    embedded_texts,
    rescore,
    second_ranking,
    second_scores,
)
from index.stores.embedded import EmbeddedStore
from index.stores.model import PassageStore, StoredHit, StoreQuery
from index.stores.registry import sync_store

CANDIDATES = 100


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
        late: LateModel | None = None,
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
        self._vectors: np.ndarray | None = None
        self.quotes = {q.id: q for q in index.quotes}
        self._quote_scorer = QuoteScorer(index) if index.quotes else None
        self._speaker_tokens = speaker_tokens(
            (q.speaker for q in index.quotes), index.lexical.tokenize, index.speakers
        )
        self.second = second
        self._second_vectors = second.vectors(index) if second is not None else None
        self.reranker = reranker
        self.late = late
        # What the cross-encoder reads for each passage (index.search.rerank.RERANK_TEXT);
        # the late-interaction model reads the same text.
        self._rerank_texts = (
            dict(zip(self._rows, embedded_texts(index), strict=True))
            if late is not None or (reranker is not None and RERANK_TEXT == "embedded")
            else {}
        )
        # The late-interaction question encode overlaps the first stage (embed + search).
        self._late_pool = ThreadPoolExecutor(1, "late-encoder") if late is not None else None
        # The two question encodes of `ensemble` overlap: one runs here, one in this pool.
        self._pool = ThreadPoolExecutor(1, "second-encoder") if second is not None else None
        self._doc_rows: dict[str, list[int]] = {}
        for row, p in enumerate(index.passages):
            self._doc_rows.setdefault(p.doc_id, []).append(row)
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
            late=self.late,
        )

    def profile(self, mode: str) -> dict[str, object]:
        """What a mode runs: fusion, weights, candidate depth, feedback, re-ordering (/readyz)."""
        plan = get_plan(mode)
        feedback = plan.feedback
        profile: dict[str, object] = {
            "mode": plan.name,
            "fusion": plan.fusion or self.fusion,
            "weights": list(plan.weights or self.weights),
            "candidates": self.candidates,
            "unit_weight": self.unit_weight if self.index.settings.sentence_vectors else 0.0,
            "feedback": None if feedback is None else _describe(feedback),
            "second_model": self.second.name if self.second is not None else None,
            "reranker": self.reranker.name if self.reranker is not None else None,
            "late_model": self.late.name if self.late is not None else None,
        }
        if plan.second > 0:
            profile["ensemble"] = {
                "second_weight": plan.second,
                "feedback_beta": feedback.beta if feedback is not None else 0.0,
            }
        if self._can_run(plan):
            for step in plan.reorder:
                depth, weight = self._reorder_knobs(step)
                stage: dict[str, object] = {"depth": depth, "weight": weight}
                if step.model == "cross-encoder":
                    stage["text"] = RERANK_TEXT
                if step.model == "late-interaction":
                    stage["text"] = "embedded"
                if step.gate is not None:
                    stage["gate"] = step.gate
                profile[_stage_name(step)] = stage
        return profile

    @property
    def default_mode(self) -> str:
        """DEFAULT_MODE when this searcher has its models, else `hybrid` (which needs none)."""
        return DEFAULT_MODE if self._can_run(get_plan(DEFAULT_MODE)) else "hybrid"

    @property
    def modes(self) -> list[str]:
        """The modes this searcher can run (see `_can_run`)."""
        return [name for name, plan in MODES.items() if self._can_run(plan)]

    def _can_run(self, plan: Plan) -> bool:
        """A second model for plans that read one (and a store that fuses extra rankings
        for a second model's own ranking, the embedded one), a cross-encoder for `rerank`."""
        if plan.needs_second_model and self.second is None:
            return False
        if plan.second > 0 and not self.store.extra_rankings:
            return False
        if plan.needs_late_model and self.late is None:
            return False
        return not (plan.needs_reranker and self.reranker is None)

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
        mode: str | Plan | None = None,
        doc_ids: Collection[str] | None = None,
        speaker: str | None = None,
    ) -> SearchResult:
        """The k passages that best answer `question`, best first (rank 1 first), by the plan
        of `mode` (a registered name, or a Plan; None: `default_mode`). `doc_ids` and
        `speaker` (a quoted person's name or directory id, see
        index.search.quotes.choose_speaker) restrict what is searched."""
        if mode is None:
            mode = self.default_mode
        plan = mode if isinstance(mode, Plan) else get_plan(mode)
        if not self._can_run(plan):
            raise ValueError(
                f"mode {plan.name!r} needs a model this searcher lacks: set {plan.needs}"
            )
        started = time.perf_counter()
        timings: dict[str, float] = {}
        chosen = None
        if speaker is not None:
            chosen = choose_speaker(speaker, self.index.speakers, self.quotes.values())
            if chosen is None:
                return SearchResult(question=question, mode=plan.name, hits=[], timings_ms=timings)
        late_query = None
        if plan.needs_late_model and self.late is not None and self._late_pool is not None:
            late_query = self._late_pool.submit(self.late.encoder.encode_query, question)
        query = second_query = None
        if plan.second > 0:
            query, second_query = self._embed_both(question)
            timings["embed"] = _ms(started)
        elif plan.dense:
            query = self.embed(question)
            timings["embed"] = _ms(started)
        mark = time.perf_counter()
        store_query = StoreQuery(
            text=question,
            vector=query,
            lexical=plan.lexical,
            k=max(k, self._head_depth(plan)),
            depth=max(self.candidates, k),
            fuse=get_fuser(plan.fusion or self.fusion),
            weights=plan.weights or self.weights,
            doc_ids=None if doc_ids is None else tuple(doc_ids),
            speaker=None if chosen is None else chosen.names[0],
            unit_weight=self.unit_weight,
            speakers=() if chosen is None else chosen.names[1:],
        )
        if second_query is not None:
            store_query = self._second_query(store_query, second_query, plan, chosen)
        elif plan.feedback is not None and query is not None:
            moved = self._feedback(store_query, query, plan.feedback)
            store_query = replace(store_query, vector=moved)
        # A shared store can hold a document this process's catalogue does not have yet
        # (or no longer has) for the moment between another replica's write and our refresh.
        stored = [
            hit
            for hit in self.store.search(store_query)
            if hit.passage.doc_id in self.index.documents and self._quoting(hit, chosen)
        ]
        timings["search"] = _ms(mark)
        if second_query is not None:
            stored = self._with_second_scores(stored, second_query)
        first = stored
        for number, step in enumerate(plan.reorder):
            if not self._sure_enough(stored, step):
                mark = time.perf_counter()
                keep = first if number > 0 else []
                stored = self._reorder(question, stored, step, late_query, keep)
                timings[_stage_name(step)] = _ms(mark)
        stored = stored[:k]
        mark = time.perf_counter()
        spans = highlights(stored, query, question, self.index.lexical.tokenize)
        hits = [
            Hit(
                passage=hit.passage,
                rank=rank,
                score=hit.score,
                scores=hit.scores,
                highlights=found,
                quote_ids=tuple(str(row["id"]) for row in hit.quotes),
            )
            for rank, (hit, found) in enumerate(zip(stored, spans, strict=True), start=1)
        ]
        timings["highlight"] = _ms(mark)
        mark = time.perf_counter()
        quotes = self._ranked_quotes(question, query, hits, chosen)
        timings["quotes"] = _ms(mark)
        timings["total"] = _ms(started)
        # Lexical mode has no question vector: no answerability (None) rather than a guess.
        top = hits[0].scores.get("dense") if hits else -1.0
        return SearchResult(
            question=question,
            mode=plan.name,
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

    def _second_query(
        self,
        store_query: StoreQuery,
        second_query: np.ndarray,
        plan: Plan,
        chosen: SpeakerChoice | None = None,
    ) -> StoreQuery:
        """`store_query` with the second model's own ranking added as a third retriever,
        after feedback on both question vectors when the plan has feedback."""
        first_query = store_query.vector
        assert self._second_vectors is not None and first_query is not None
        rows = self._allowed_rows(store_query.doc_ids, chosen)
        store_query = replace(
            store_query,
            extra=(second_ranking(self._second_vectors, second_query, store_query.depth, rows),),
            extra_weights=(plan.second,),
        )
        if plan.feedback is None:
            return store_query
        top = self._first_pass(store_query, plan.feedback)
        if not top:
            return store_query
        beta = plan.feedback.beta
        moved = rocchio(second_query, self._second_vectors[top], beta)
        return replace(
            store_query,
            vector=rocchio(first_query, self._passage_vectors()[top], beta),
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

    def _quoting(self, hit: StoredHit, chosen: SpeakerChoice | None) -> bool:
        """Whether the hit quotes the chosen speaker (stores filter on names, which an
        unlinked namesake can share)."""
        if chosen is None:
            return True
        quotes = (self.quotes.get(str(row["id"])) for row in hit.quotes)
        return any(q is not None and chosen.holds(q) for q in quotes)

    def _allowed_rows(
        self, doc_ids: Collection[str] | None, speaker: SpeakerChoice | None
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
                if pid in self._rows and qid in self.quotes and speaker.holds(self.quotes[qid])
            }
            rows = quoted if rows is None else rows & quoted
        return np.array(sorted(rows or ()), dtype=np.int64)

    def _head_depth(self, plan: Plan) -> int:
        """How many first-stage passages a plan re-orders (0: none)."""
        return max((self._reorder_knobs(step)[0] for step in plan.reorder), default=0)

    @staticmethod
    def _sure_enough(stored: list[StoredHit], step: Reorder) -> bool:
        """A gated stage is skipped when the list's top two scores are `gate` or more apart."""
        if step.gate is None:
            return False
        return len(stored) < 2 or stored[0].score - stored[1].score >= step.gate

    def _reorder_knobs(self, stage: Reorder) -> tuple[int, float]:
        """The depth and weight of a re-ordering stage (a cross-encoder's and a late-interaction
        model's default to their own)."""
        if stage.model == "late-interaction":
            assert self.late is not None
            return stage.depth or self.late.depth, (
                self.late.weight if stage.weight is None else stage.weight
            )
        if stage.model == "cross-encoder":
            assert self.reranker is not None
            return stage.depth or self.reranker.depth, (
                self.reranker.weight if stage.weight is None else stage.weight
            )
        assert stage.depth is not None and stage.weight is not None
        return stage.depth, stage.weight

    def _reorder(
        self,
        question: str,
        stored: list[StoredHit],
        stage: Reorder,
        late_query: Future[np.ndarray] | None = None,
        keep: Sequence[StoredHit] = (),
    ) -> list[StoredHit]:
        """The list's best passages re-read by the stage's model and re-ordered by a convex
        mix of both scores (index.search.second.rescore); the model's own score is added to
        `scores` as "second" (cosine), "late" (MaxSim) or "rerank" (cross-encoder logit).
        `late_query` is the question's token vectors, when already under way. `keep` (a
        later stage of a cascade: the first stage's list): its best `depth` passages are read
        too, moved up to the head in the list's order."""
        depth, weight = self._reorder_knobs(stage)
        if keep:
            wanted = {h.passage.id for h in [*stored[:depth], *keep[:depth]]}
            stored = [h for h in stored if h.passage.id in wanted] + [
                h for h in stored if h.passage.id not in wanted
            ]
            depth = sum(h.passage.id in wanted for h in stored)
        head = stored[:depth]
        if stage.model == "second":
            assert self.second is not None and self._second_vectors is not None
            vector = encode_queries(self.second.encoder, [question])[0]
            rows = [self._rows[h.passage.id] for h in stored]
            model_scores = second_scores(self._second_vectors, rows, vector)  # every hit
            ranked = rescore(
                [h.score for h in stored], model_scores.tolist(), depth=depth, weight=weight
            )
            key = "second"
        elif stage.model == "late-interaction":
            assert self.late is not None
            tokens = (
                late_query.result()
                if late_query is not None
                else self.late.encoder.encode_query(question)
            )
            texts = [self._rerank_texts.get(h.passage.id, h.passage.text) for h in head]
            model_scores = self.late.scores_for(tokens, texts)
            ranked = rerank(
                [h.score for h in stored], model_scores.tolist(), depth=depth, weight=weight
            )
            key = "late"
        else:
            assert self.reranker is not None
            texts = [self._rerank_texts.get(h.passage.id, h.passage.text) for h in head]
            model_scores = self.reranker.scorer.score(question, texts)
            ranked = rerank(
                [h.score for h in stored], model_scores.tolist(), depth=depth, weight=weight
            )
            key = "rerank"
        return [
            replace(
                stored[i],
                score=score,
                scores=stored[i].scores
                | ({key: float(model_scores[i])} if i < len(model_scores) else {}),
            )
            for i, score in ranked
        ]

    def _first_pass(self, store_query: StoreQuery, feedback: Feedback) -> list[int]:
        """Catalogue rows of the first pass's best `feedback.docs` passages."""
        first = self.store.search(replace(store_query, k=feedback.docs))
        return [self._rows[h.passage.id] for h in first if h.passage.id in self._rows]

    def _passage_vectors(self) -> np.ndarray:
        if self._vectors is None:
            self._vectors = self.index.dense.vectors()  # once; the index never changes
        return self._vectors

    def _feedback(
        self, store_query: StoreQuery, query: np.ndarray, feedback: Feedback
    ) -> np.ndarray:
        """The question vector moved towards the first pass's best passages (Rocchio)."""
        rows = self._first_pass(store_query, feedback)
        if not rows:
            return query
        return rocchio(query, self._passage_vectors()[rows], feedback.beta)

    def _ranked_quotes(
        self,
        question: str,
        query: np.ndarray | None,
        hits: list[Hit],
        speaker: SpeakerChoice | None,
    ) -> list[ScoredQuote]:
        """The quotes in `hits`, ranked; only `speaker`'s when a speaker filter is given."""
        found = [
            (self.quotes[qid], hit.passage.id)
            for hit in hits
            for qid in hit.quote_ids
            if qid in self.quotes
        ]
        if speaker is not None:
            found = [(q, pid) for q, pid in found if speaker.holds(q)]
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
        """Stored quotes filtered by `speaker` (a directory id or a name the directory
        resolves, else name, title or organisation contains it) and `doc_id`; with `q`,
        ranked by relevance to it, else in document order."""
        quotes = list(self.quotes.values())
        if speaker is not None:
            entry = self.index.speakers.resolve(speaker)
            if entry is not None:
                quotes = [x for x in quotes if x.speaker.id == entry.id]
            else:
                names = set(speaker_filter(speaker, (x.speaker for x in quotes)))
                quotes = [x for x in quotes if x.speaker.name in names]
        if doc_id is not None:
            quotes = [x for x in quotes if x.doc_id == doc_id]
        found = [(x, self._quote_passage.get(x.id, "")) for x in quotes]
        if q is None:
            return [ScoredQuote(x, pid, 0.0, False) for x, pid in found][:limit]
        return self._rank(q, self.embed(q), found)[:limit]


def _stage_name(stage: Reorder) -> str:
    """The key of a re-ordering stage in timings and profiles: "rescore", "late" or "rerank"."""
    return {"second": "rescore", "late-interaction": "late"}.get(stage.model, "rerank")


def _describe(feedback: Feedback) -> str:
    return f"rocchio(beta={feedback.beta}, docs={feedback.docs})"


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
