"""Cross-encoders: (question, passage) pairs scored jointly by an ONNX model."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.models.onnx import inference_session
from index.models.packaged import packaged_model_dir

log = logging.getLogger(__name__)

RERANKERS = ("ms-marco-MiniLM-L-12-v2",)
"""Packaged cross-encoders (index.packaged_models) SAYSO_RERANKER may name."""

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
        cache_dir: Path | None = None,
    ) -> None:
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
        self._session: Any = inference_session(model_dir / "model.onnx", threads, cache_dir)
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


def load_reranker(
    name: str, *, threads: int | None = None, cache_dir: Path | None = None
) -> CrossEncoder:
    """The cross-encoder `name`: a packaged model (index.packaged_models) or a folder
    holding `model.onnx` and `tokenizer.json`. Raises ValueError naming the choices.
    `cache_dir` keeps its optimised graph (see inference_session)."""

    folder = Path(name)
    if name in RERANKERS:
        folder = packaged_model_dir(name)
    elif not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
        raise ValueError(
            f"unknown reranker {name!r}; choose one of: {', '.join(RERANKERS)}, "
            "or a folder holding model.onnx and tokenizer.json"
        )
    log.info("loading the cross-encoder %s from %s", name, folder)
    return CrossEncoder(folder, threads=threads, cache_dir=cache_dir)
