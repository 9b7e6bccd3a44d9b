"""Late interaction: the fused list's head re-ordered by ColBERT MaxSim over cached token vectors.

Mode `late` (the default) runs the hybrid first stage, then scores its best LATE_DEPTH
passages with MaxSim between the question's token vectors (one 32-token encode) and each
passage's token vectors, and ranks them by (1 - LATE_WEIGHT) * minmax(fused) +
LATE_WEIGHT * minmax(MaxSim), the mix of `rescore` and `rerank`. Passage token vectors
depend only on the text read (what the dense model embedded), so they are computed once
(at load for an index's passages, or on first need) and cached under
`<index root>/late/<model>/`, keyed by a hash of that text, like the second model's
vectors (index.search.second). The stage reads passage texts, not the store, so it behaves
the same over FAISS and Qdrant. Experiments: docs/experiments/retrieval-quality.md.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from index.models.colbert import TokenEncoder, maxsims
from index.search.second import replace_folder, text_key

log = logging.getLogger(__name__)

LATE_DEPTH = 10
"""Fused passages the late-interaction model re-orders; the rest keep their order below."""
LATE_WEIGHT = 0.8
"""Weight of MaxSim (min-max scaled over the head); the fused score gets 1 - weight. Chosen
on seed dev with the cross-encoder's depth and weight (docs/experiments/retrieval-quality.md)."""
CACHE_VERSION = 1
SAVE_EVERY = 256
"""Passages encoded on demand between two saves of the cache."""


def cache_dir(root: Path, model: str) -> Path:
    """Where the token vectors of `model` for the index under `root` are cached."""
    slug = "".join(c if c.isalnum() or c in "-_." else "_" for c in model.strip("/"))
    return root / "late" / (slug or "model")


class LateModel:
    """A late-interaction model and its token-vector cache (thread-safe).

    Vectors are float16 (about 0.8 KB per token at 384 dimensions): those of the cache on
    disk memory-mapped, new ones in memory; MaxSim is computed in float32.
    """

    def __init__(
        self,
        name: str,
        encoder: TokenEncoder,
        root: Path | None,
        *,
        depth: int = LATE_DEPTH,
        weight: float = LATE_WEIGHT,
    ) -> None:
        if depth < 1 or not 0.0 <= weight <= 1.0:
            raise ValueError("late-interaction depth must be >= 1 and weight within [0, 1]")
        self.name = name
        self.encoder = encoder
        self.depth = depth
        self.weight = weight
        self._directory = None if root is None else cache_dir(root, name)
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] = self._load()
        self._unsaved = 0

    def scores(self, question: str, texts: Sequence[str]) -> np.ndarray:
        """MaxSim of `question` with each text (float32, in the order of `texts`)."""
        query = self.encoder.encode_query(question)
        return self.scores_for(query, texts)

    def scores_for(self, query: np.ndarray, texts: Sequence[str]) -> np.ndarray:
        """MaxSim of encoded question tokens `query` with each text's cached token vectors."""
        return maxsims(query, self.passage_vectors(texts))

    def passage_vectors(self, texts: Sequence[str]) -> list[np.ndarray]:
        """Each text's token vectors: from the cache, or encoded now (and cached)."""
        keys = [text_key(t) for t in texts]
        with self._lock:
            missing = {k: t for k, t in zip(keys, texts, strict=True) if k not in self._vectors}
        if missing:
            fresh = self.encoder.encode_passages(list(missing.values()))
            with self._lock:
                for key, vectors in zip(missing, fresh, strict=True):
                    self._vectors[key] = vectors.astype(np.float16)
                self._unsaved += len(missing)
                due = self._unsaved >= SAVE_EVERY
            if due:
                self.save()
        with self._lock:
            return [self._vectors[k] for k in keys]

    def warm(self, texts: Sequence[str], progress: Callable[[int, int], None] | None = None) -> int:
        """Encode every text not cached yet (in chunks, saving after each); returns how many."""
        with self._lock:
            todo = list(dict.fromkeys(t for t in texts if text_key(t) not in self._vectors))
        if todo:
            log.info(
                "encoding %d passage(s) with the late-interaction model %s", len(todo), self.name
            )
        for begin in range(0, len(todo), SAVE_EVERY):
            self.passage_vectors(todo[begin : begin + SAVE_EVERY])
            self.save()
            if progress:
                progress(begin + len(todo[begin : begin + SAVE_EVERY]), len(todo))
        return len(todo)

    def save(self) -> None:
        """Write the cache (atomically: a temporary directory renamed into place)."""
        if self._directory is None:
            return
        with self._lock:
            keys = list(self._vectors)
            arrays = [self._vectors[k] for k in keys]
            self._unsaved = 0
        _write(self._directory, self.name, keys, arrays)

    def _load(self) -> dict[str, np.ndarray]:
        directory = self._directory
        if directory is None or not (directory / "info.json").is_file():
            return {}
        try:
            info = json.loads((directory / "info.json").read_text())
            keys = json.loads((directory / "keys.json").read_text())
            offsets = np.load(directory / "offsets.npy", allow_pickle=False)
            # Memory-mapped: a server holds only the pages it reads, and workers share them.
            tokens = np.load(directory / "tokens.npy", mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError) as exc:
            log.warning("ignoring the unreadable late-interaction cache %s: %s", directory, exc)
            return {}
        if info.get("model") != self.name or info.get("version") != CACHE_VERSION:
            return {}
        if len(offsets) != len(keys) + 1 or int(offsets[-1]) != len(tokens):
            log.warning("ignoring the inconsistent late-interaction cache %s", directory)
            return {}
        return {k: tokens[offsets[i] : offsets[i + 1]] for i, k in enumerate(keys)}


def _write(directory: Path, model: str, keys: list[str], arrays: list[np.ndarray]) -> None:
    def fill(work: Path) -> None:
        offsets = np.cumsum([0] + [len(a) for a in arrays]).astype(np.int64)
        dim = int(arrays[0].shape[1]) if arrays else 0
        tokens = np.vstack(arrays) if arrays else np.zeros((0, dim), np.float16)
        np.save(work / "tokens.npy", np.ascontiguousarray(tokens, dtype=np.float16))
        np.save(work / "offsets.npy", offsets)
        (work / "keys.json").write_text(json.dumps(keys))
        info = {"model": model, "version": CACHE_VERSION, "dimension": dim}
        (work / "info.json").write_text(json.dumps(info, indent=2) + "\n")

    replace_folder(directory, fill, "late-interaction cache")
