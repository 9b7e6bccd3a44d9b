"""Dense retrieval: a FAISS inner-product index over unit vectors."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    import faiss

EXACT_MAX = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
HNSW_EF_SEARCH = 128


class DenseIndex:
    """Inner-product search; over unit vectors the score is cosine in [-1, 1].

    Exact (FAISS flat) up to `exact_max` vectors; above, approximate (HNSW, M=32,
    efConstruction=80, efSearch=128 saved with the index): flat search costs O(n) per
    query, which stops being interactive somewhere past a few hundred thousand rows on
    one core, while HNSW stays logarithmic at a recall the scale bench measures.
    """

    def __init__(self, index: faiss.Index) -> None:
        self._index = index

    @classmethod
    def from_vectors(cls, vectors: np.ndarray, *, exact_max: int = EXACT_MAX) -> DenseIndex:
        import faiss

        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        dimension = vectors.shape[1]
        if len(vectors) > exact_max:
            hnsw = faiss.IndexHNSWFlat(dimension, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            hnsw.hnsw.efSearch = HNSW_EF_SEARCH
            index: faiss.Index = hnsw
        else:
            index = faiss.IndexFlatIP(dimension)
        if len(vectors):
            index.add(vectors)
        return cls(index)

    @property
    def kind(self) -> str:
        """ "hnsw" for the approximate index, "flat" for the exact one."""
        return "hnsw" if "HNSW" in type(self._index).__name__ else "flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    @property
    def dimension(self) -> int:
        return int(self._index.d)

    def vectors(self) -> np.ndarray:
        """All stored vectors, one row per passage, in insertion order."""
        if not len(self):
            return np.zeros((0, self.dimension), dtype=np.float32)
        return np.asarray(self._index.reconstruct_n(0, len(self)), dtype=np.float32)

    def search(self, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Top-k rows for one unit query vector: (row indices, cosine scores), best first."""
        k = min(k, len(self))
        if k <= 0:
            return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.float32)
        scores, rows = self._index.search(query.reshape(1, -1).astype(np.float32), k)
        keep = rows[0] >= 0
        return rows[0][keep], scores[0][keep]

    def save(self, path: Path) -> None:
        import faiss

        faiss.write_index(self._index, str(path))

    @classmethod
    def load(cls, path: Path) -> DenseIndex:
        import faiss

        return cls(faiss.read_index(str(path)))
