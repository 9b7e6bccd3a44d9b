"""Wiring: settings -> encoders, second models, cross-encoders, stores and searchers.

The one place that turns configuration into working parts; the app, the CLI, the evals
commands and the benchmarks call it, so every entry point honours the same settings
(SAYSO_ENCODER, SAYSO_STORE, SAYSO_SECOND_MODEL, SAYSO_RERANKER, ...).
"""

from __future__ import annotations

import logging
import os
import threading
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from index.disk import BuildSettings, Index
from index.models.batching import BatchingEncoder
from index.models.colbert import load_late_model
from index.models.crossencoder import load_reranker
from index.models.encoder import Encoder
from index.models.encoders import load_encoder
from index.models.packaged import PACKAGED_MODELS
from index.search import Searcher
from index.search.late import LateModel
from index.search.rerank import RerankModel
from index.search.second import SecondModel, embedded_texts
from index.stores import PassageStore
from index.stores.registry import StoreConfig, sync_store
from index.stores.registry import open_store as open_named_store
from service.settings import Settings

log = logging.getLogger(__name__)


def encoder(settings: Settings) -> Encoder:
    """The configured encoder (loads the model; exports it to ONNX on first use)."""
    return load_encoder(
        settings.model,
        settings.encoder,
        settings.models_dir / slug(settings.model),
        threads=settings.encoder_threads or None,
    )


# int8 dynamic quantisation computes activation scales over the whole batch, so batch
# mates move a question's vector (up to 0.011 cosine on the dev questions): never batched.
EXACT_UNDER_BATCHING = frozenset({"onnx", "torch"})


def query_encoder(loaded: Encoder, settings: Settings) -> Encoder:
    """`loaded`, behind a batching queue for concurrent questions (SAYSO_BATCH_WINDOW_MS)
    when its vectors do not depend on their batch mates (packaged models run int8)."""
    exact = settings.encoder in EXACT_UNDER_BATCHING and settings.model not in PACKAGED_MODELS
    if settings.batch_window_ms <= 0 or not exact:
        return loaded
    if isinstance(loaded, BatchingEncoder):
        return loaded
    return BatchingEncoder(loaded, settings.batch_window_ms / 1000)


def second_model(settings: Settings, root: Path | None = None) -> SecondModel | None:
    """The second model over the index under `root` (default: the index directory), or None
    when SAYSO_SECOND_MODEL is unset. Loads its encoder (exported to ONNX on first use)."""
    if not settings.second_model:
        return None
    # fp32 always: the second model's cached passage vectors must not change precision with
    # SAYSO_ENCODER. (A packaged model, bge-small-en-v1.5, runs its package's own int8 file.)
    backend = "torch" if settings.encoder == "torch" else "onnx"
    loaded = load_encoder(
        settings.second_model,
        backend,
        settings.models_dir / slug(settings.second_model),
        threads=settings.encoder_threads or None,
    )
    return SecondModel(settings.second_model, loaded, root or settings.index_dir)


def reranker(settings: Settings) -> RerankModel | None:
    """The cross-encoder (loaded now), or None when SAYSO_RERANKER is unset."""
    if not settings.reranker:
        return None
    scorer = load_reranker(
        settings.reranker,
        threads=settings.encoder_threads or None,
        cache_dir=settings.models_dir / slug(settings.reranker),
    )
    return RerankModel(settings.reranker, scorer, settings.rerank_depth, settings.rerank_weight)


def build_settings(settings: Settings) -> BuildSettings:
    """What an index is built with; a change makes the index stale."""
    return BuildSettings(
        model=settings.model,
        quantized=settings.encoder == "onnx-int8",
        max_words=settings.max_words,
        dense_exact_max=settings.dense_exact_max,
        speaker_context=settings.speaker_context,
        sentence_scheme=settings.sentence_scheme,
    )


def build_workers(settings: Settings) -> int:
    """Processes and threads a build uses at once (SAYSO_BUILD_WORKERS, 0: one per core)."""
    return settings.build_workers or os.cpu_count() or 1


def store_config(settings: Settings) -> StoreConfig:
    return StoreConfig(
        name=settings.store, location=settings.store_location, collection=settings.store_collection
    )


def store_location(settings: Settings) -> str:
    """Where the configured store lives, safe to show: the index directory for faiss; for
    qdrant the server URL without user, password or query (API keys), or the directory."""
    if settings.store == "faiss":
        return str(settings.index_dir)
    return redact_url(settings.store_location or str(Path("var") / "qdrant"))


def redact_url(location: str) -> str:
    """`location` without credentials: a URL loses its user info, query and fragment."""
    parts = urlsplit(location)
    if not parts.scheme or not parts.netloc:
        return location  # a path or ":memory:"
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    netloc = f"{host}:{parts.port}" if parts.port else host
    return urlunsplit((parts.scheme, netloc, parts.path, "", ""))


def open_store(
    index: Index, settings: Settings, *, sync: bool = False, keep_api: bool = True
) -> PassageStore:
    """The store `settings` selects, over passages embedded like `index`. With `sync`, it
    is first brought up to date with the index (changed documents only); serving workers
    do not sync, `sayso build` and `sayso serve` do. A store that keeps the documents
    (qdrant) keeps the API documents other replicas wrote unless `keep_api` is False
    (`sayso build --reset`); this process adopts them on its first request."""
    store = open_named_store(store_config(settings), index, settings.index_dir)
    if sync:
        written, removed = sync_store(store, index, keep_api=keep_api)
        if written or removed:
            log.info(
                "store %s: %d document(s) written, %d removed", settings.store, written, removed
            )
    return store


Warm = Literal["now", "background", "never"]
"""When the late-interaction model computes every passage's token vectors: now (before the
searcher is returned), in a background thread (a server: ready at once, a passage not yet
warm is encoded when first read), or never (only the heads a question reads, as read)."""


def late_model(
    settings: Settings, root: Path | None = None, index: Index | None = None, warm: Warm = "now"
) -> LateModel | None:
    """The late-interaction model (loaded now) with its token-vector cache under `root`
    (default: the index directory), or None when SAYSO_LATE_MODEL is empty. With `index`,
    every passage's token vectors are computed as `warm` says (once; cached by text)."""
    if not settings.late_model:
        return None
    # One thread: the question's encode runs beside the first stage's, one core each
    # (two threads each oversubscribe a small machine and cost more CPU per question).
    cache = settings.models_dir / slug(settings.late_model)
    encoder = load_late_model(settings.late_model, threads=1, cache_dir=cache)
    late = LateModel(settings.late_model, encoder, root or settings.index_dir)
    if index is not None and warm != "never":
        texts = embedded_texts(index)
        if warm == "now":
            late.warm(texts)
        else:
            threading.Thread(target=late.warm, args=(texts,), name="late-warm", daemon=True).start()
    return late


def searcher(
    index: Index,
    encoder: Encoder,
    settings: Settings,
    *,
    sync: bool = False,
    root: Path | None = None,
    warm: Warm = "now",
) -> Searcher:
    """A Searcher over `index` with every model and the store `settings` select. `root` is
    the index directory the second model's vectors and the late-interaction model's token
    vectors are cached under (default: index_dir). `warm`: when every passage's token
    vectors are computed (see Warm; evaluations of a large corpus read only the head of
    each ranking, a one-off question only its own)."""
    return Searcher(
        index,
        query_encoder(encoder, settings),
        fusion=settings.fusion,
        store=open_store(index, settings, sync=sync),
        second=second_model(settings, root),
        reranker=reranker(settings),
        unit_weight=settings.unit_weight,
        late=late_model(settings, root, index, warm),
    )


def slug(model: str) -> str:
    """A directory name for a model name or path."""
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in model.strip("/")) or "model"
