"""Retrieval modes as data: one frozen Plan per mode, registered in MODES.

A plan names the stages a question runs through: which retrievers (dense, lexical, a second
model's ranking), how their lists are fused, whether the question vector is moved by
pseudo-relevance feedback, and which stronger model re-reads the head of the fused list.
`Searcher.search` runs a plan and never branches on a mode's name; settings validation, the
CLI help, `/readyz` and the docs read this registry. Adding a mode is adding a Plan here.
Measured quality and cost of each mode: docs/modes.md.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

DEFAULT_MODE = "cascade"
CASCADE_DEPTH = 3
"""Passages the cross-encoder of `cascade` reads: ColBERT's top 3 and the fused list's top 3."""
CASCADE_GATE = 0.2
"""`cascade` calls the cross-encoder when ColBERT's top two mixed scores differ by less than
this: the smallest gate reaching the best Hit@1 on the seed dev questions (44% of them
gated); docs/experiments/retrieval-quality.md."""


@dataclass(frozen=True)
class Feedback:
    """Rocchio feedback: the question vector moved `beta` of the way towards the mean of the
    first pass's best `docs` passages, then searched again (index.retrieval.feedback)."""

    beta: float
    docs: int = 3


@dataclass(frozen=True)
class Reorder:
    """A stage that re-reads the fused list's best `depth` passages with a stronger model and
    ranks them by (1 - weight) * minmax(fused) + weight * minmax(model score); the rest keep
    their order below. `model` is "second" (a second dense model's cosine, SAYSO_SECOND_MODEL),
    "late-interaction" (ColBERT MaxSim over cached token vectors, SAYSO_LATE_MODEL; None depth
    and weight: the model's own) or "cross-encoder" (SAYSO_RERANKER; None depth and weight:
    SAYSO_RERANK_DEPTH/_WEIGHT).

    In a cascade (a plan with several stages), a later stage reads the top `depth` of the
    list the stage before it made together with the first stage's top `depth` wherever they
    went (so a passage the fused list ranked high is never lost unread), and ranks them by
    the same mix with the previous stage's score in place of the fused one. `gate`: run
    only when the previous stage is unsure, that is when its top two scores (a mix in
    [0, 1]) differ by less than `gate`; None: always."""

    model: Literal["second", "late-interaction", "cross-encoder"]
    depth: int | None = None
    weight: float | None = None
    gate: float | None = None


@dataclass(frozen=True)
class Plan:
    """What one mode runs. `fusion` and `weights` (dense, lexical) None mean the searcher's
    configured ones (SAYSO_FUSION); `second` > 0 adds the second model's own ranking as a
    third retriever with that weight (needs a store that fuses extra rankings). `reorder`:
    the re-ordering stages run on the fused list, in order (empty: none)."""

    name: str
    summary: str
    dense: bool = True
    lexical: bool = True
    fusion: str | None = None
    weights: tuple[float, float] | None = None
    second: float = 0.0
    feedback: Feedback | None = None
    reorder: tuple[Reorder, ...] = ()

    def __post_init__(self) -> None:
        if self.reorder and self.reorder[0].gate is not None:
            raise ValueError(f"mode {self.name!r}: only a later stage can be gated")

    def _reads(self, model: str) -> bool:
        return any(stage.model == model for stage in self.reorder)

    @property
    def needs_second_model(self) -> bool:
        return self.second > 0 or self._reads("second")

    @property
    def needs_reranker(self) -> bool:
        return self._reads("cross-encoder")

    @property
    def needs_late_model(self) -> bool:
        return self._reads("late-interaction")

    @property
    def needs(self) -> str | None:
        """The settings this mode needs beyond the defaults, for messages (None: nothing)."""
        needs = []
        if self.needs_second_model:
            needs.append("SAYSO_SECOND_MODEL")
        if self.second > 0:
            needs.append("SAYSO_STORE=faiss")
        if self.needs_late_model:
            needs.append("SAYSO_LATE_MODEL")
        if self.needs_reranker:
            needs.append("SAYSO_RERANKER")
        return " and ".join(needs) or None


PLANS = (
    Plan("hybrid", "dense and BM25 lists fused (SAYSO_FUSION)"),
    Plan("dense", "the embedding model alone", lexical=False),
    Plan("lexical", "BM25 alone", dense=False),
    Plan(
        "quality",
        "hybrid with z-score fusion and Rocchio feedback: a second search per question",
        fusion="zscore",
        feedback=Feedback(beta=0.5),
    ),
    Plan(
        "rescore",
        "hybrid, then its best 10 passages re-ordered with a second dense model",
        reorder=(Reorder("second", depth=10, weight=0.5),),
    ),
    Plan(
        "ensemble",
        "BM25, the first and a second dense model as three retrievers, fused",
        fusion="minmax",
        weights=(1.0, 1.0),
        second=1.0,
    ),
    Plan(
        "late",
        "hybrid, then its best 10 passages re-ordered by ColBERT MaxSim (token vectors cached)",
        reorder=(Reorder("late-interaction"),),
    ),
    Plan(
        "cascade",
        "late, then, when ColBERT is unsure, a cross-encoder re-reads the top 3",
        reorder=(
            Reorder("late-interaction"),
            Reorder("cross-encoder", depth=CASCADE_DEPTH, weight=0.8, gate=CASCADE_GATE),
        ),
    ),
    Plan(
        "rerank",
        "hybrid, then its best passages re-read by a cross-encoder",
        reorder=(Reorder("cross-encoder"),),
    ),
)

MODES: dict[str, Plan] = {plan.name: plan for plan in PLANS}
"""Every mode by name, in the order the docs list them."""


def get_plan(mode: str) -> Plan:
    """The plan of `mode`; an unknown name raises ValueError listing the choices."""
    try:
        return MODES[mode]
    except KeyError:
        raise ValueError(f"unknown mode {mode!r}; choose one of: {', '.join(MODES)}") from None


def check_mode(mode: str) -> str:
    """`mode` if it names a registered mode, else ValueError listing the choices."""
    return get_plan(mode).name


def describe_modes() -> str:
    """The modes with what each needs, for help texts: "hybrid, ..., rerank (needs X)"."""
    return ", ".join(
        plan.name if plan.needs is None else f"{plan.name} (needs {plan.needs})" for plan in PLANS
    )
