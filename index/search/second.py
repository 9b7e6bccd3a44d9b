"""A second dense model: its passage vectors (a cache beside the index) and top-N rescoring.

The `rescore` mode runs the hybrid first stage (BM25 + the first model), then rescoring
re-orders its best passages (index.search.modes) by a convex mix of the first stage's fused
score and the second model's cosine, both min-max scaled over those passages. The
second model's passage vectors are embedded at build time (or on first load) and cached
under `<index root>/second/<model>/`, keyed by a hash of the exact text embedded, so
unchanged passages are never re-embedded across builds and live updates.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.build import Progress, embed, indexed_text
from index.disk import Index
from index.models.encoder import Encoder
from index.quotes.links import speaker_contexts
from index.retrieval.fusion import scale_minmax

log = logging.getLogger(__name__)

CACHE_VERSION = 1
CHECKPOINT = 512
"""Passages embedded between two saves of the cache during a long build."""


def text_key(text: str) -> str:
    """The cache key of one embedded text: sha256 of its UTF-8 bytes, 32 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def embedded_texts(index: Index) -> list[str]:
    """What the first model embedded for each passage, in passage order (same for the second)."""
    settings = index.settings
    contexts = speaker_contexts(index.passages, index.quotes) if settings.speaker_context else {}
    return [indexed_text(p, index.documents, settings, contexts) for p in index.passages]


def cache_dir(root: Path, model: str) -> Path:
    """Where the vectors of `model` for the index under `root` are cached."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in model.strip("/"))
    return root / "second" / (slug or "model")


def _load_cache(directory: Path, model: str) -> dict[str, np.ndarray]:
    info_path = directory / "info.json"
    if not info_path.is_file():
        return {}
    try:
        info = json.loads(info_path.read_text())
        keys = json.loads((directory / "keys.json").read_text())
        vectors = np.load(directory / "vectors.npy", allow_pickle=False)
    except (OSError, ValueError) as exc:
        log.warning("ignoring the unreadable second-model cache %s: %s", directory, exc)
        return {}
    if info.get("model") != model or info.get("version") != CACHE_VERSION:
        return {}
    if len(keys) != len(vectors):
        log.warning("ignoring the inconsistent second-model cache %s", directory)
        return {}
    return dict(zip(keys, vectors, strict=True))


def replace_folder(directory: Path, fill: Callable[[Path], None], what: str) -> None:
    """Replace `directory` with a new folder that `fill` writes, swapped in by rename, so a
    reader sees the old cache or the new one, never half of one. `what` names it in logs."""
    directory.parent.mkdir(parents=True, exist_ok=True)
    work = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-"))
    try:
        fill(work)
        old = Path(tempfile.mkdtemp(dir=directory.parent, prefix=f".{directory.name}-old-"))
        try:
            if directory.exists():
                os.replace(directory, old / "cache")
            os.replace(work, directory)
        except OSError as exc:  # another process swapping the same cache: its copy is as good
            log.warning("could not update the %s %s: %s", what, directory, exc)
        shutil.rmtree(old, ignore_errors=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _write_cache(directory: Path, model: str, keys: list[str], vectors: np.ndarray) -> None:
    """Replace the cache with these rows."""

    def fill(work: Path) -> None:
        np.save(work / "vectors.npy", np.ascontiguousarray(vectors, dtype=np.float32))
        (work / "keys.json").write_text(json.dumps(keys))
        info = {"model": model, "version": CACHE_VERSION, "dimension": int(vectors.shape[1])}
        (work / "info.json").write_text(json.dumps(info, indent=2) + "\n")

    replace_folder(directory, fill, "second-model cache")


def passage_vectors(
    index: Index,
    encoder: Encoder,
    model: str,
    root: Path,
    *,
    progress: Progress | None = None,
    workers: int = 1,
) -> np.ndarray:
    """Unit vectors of `model` for every passage of `index`, rows in passage order.

    Rows whose embedded text is in the cache under `root` are reused; the others are
    embedded with `encoder`, saved every CHECKPOINT passages (a long build that is stopped
    resumes where it was; `workers` chunks are encoded at once), and the cache is finally
    rewritten to hold exactly this index's rows (so it never grows past the live index).
    """
    texts = embedded_texts(index)
    keys = [text_key(t) for t in texts]
    directory = cache_dir(root, model)
    cached = _load_cache(directory, model)
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in cached}.items())
    if missing:
        log.info("embedding %d passage(s) with the second model %s", len(missing), model)
    for begin in range(0, len(missing), CHECKPOINT):
        part = missing[begin : begin + CHECKPOINT]
        fresh = embed(encoder, [t for _, t in part], workers=workers)
        cached.update(zip([k for k, _ in part], fresh, strict=True))
        if progress:
            progress(begin + len(part), len(missing))
        if begin + len(part) < len(missing):
            _write_cache(directory, model, list(cached), np.vstack(list(cached.values())))
    matrix = np.vstack([cached[k] for k in keys]) if keys else np.zeros((0, 0), np.float32)
    if missing or set(cached) != set(keys):
        _write_cache(directory, model, keys, matrix)
    return np.ascontiguousarray(matrix, dtype=np.float32)


@dataclass(frozen=True)
class SecondModel:
    """A loaded second dense model: its name, its question encoder and where its vectors live."""

    name: str
    encoder: Encoder
    root: Path

    def vectors(self, index: Index) -> np.ndarray:
        return passage_vectors(index, self.encoder, self.name, self.root)


def rescore(
    first: Sequence[float],
    second: Sequence[float],
    *,
    depth: int,
    weight: float,
) -> list[tuple[int, float]]:
    """Re-order a first-stage ranking by mixing in a second model's scores.

    `first` holds the first stage's scores best first, `second` the second model's scores
    (cosine) for the same positions. The first `depth` positions are ranked by
    (1 - weight) * minmax(first) + weight * minmax(second), each scaled over those
    positions; later positions keep their order below them, scored (1 - weight) times
    their first score on the same scale (so scores never increase down the list).
    Returns (original position, new score) pairs, best first.
    """
    if len(first) != len(second):
        raise ValueError("first and second must score the same passages")
    if not first:
        return []
    top = min(depth, len(first))
    head = np.asarray(first[:top], dtype=np.float64)
    low, spread = head.min(), head.max() - head.min()
    scaled_first = (
        (np.asarray(first, dtype=np.float64) - low) / spread
        if spread > 0
        else np.where(np.arange(len(first)) < top, 1.0, 0.0)
    )
    mixed = (1 - weight) * scaled_first[:top] + weight * scale_minmax(
        np.asarray(second[:top], dtype=np.float64)
    )
    order = np.argsort(-mixed, kind="stable")
    ranked = [(int(i), float(mixed[i])) for i in order]
    floor = min(score for _, score in ranked)
    tail = [(i, min(floor, float((1 - weight) * scaled_first[i]))) for i in range(top, len(first))]
    return ranked + tail


def second_ranking(
    vectors: np.ndarray, query: np.ndarray, depth: int, rows: np.ndarray | None = None
) -> dict[int, float]:
    """The second model's best `depth` passage rows (among `rows`; None: all) with cosines."""
    pool = np.arange(len(vectors)) if rows is None else rows
    if not len(pool) or depth <= 0:
        return {}
    # Unfiltered: one matrix-vector product, no copy of the matrix (8 MB at SciFact's size).
    sims = vectors @ query if rows is None else vectors[rows] @ query
    if len(pool) > depth:
        part = np.argpartition(-sims, depth - 1)[:depth]
        pool, sims = pool[part], sims[part]
    return {int(r): float(c) for r, c in zip(pool, sims, strict=True)}


def second_scores(vectors: np.ndarray, rows: Sequence[int], query: np.ndarray) -> np.ndarray:
    """Cosine of the second model's question vector with the given passage rows."""
    if not len(rows):
        return np.zeros(0, dtype=np.float32)
    return np.asarray(vectors[list(rows)] @ query, dtype=np.float32)
