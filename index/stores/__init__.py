"""Passage stores: where passages, their vectors and quotes live and are searched.

This face exports the seam (index.stores.model); stores are opened by name through
index.stores.registry, which imports the stores themselves.
"""

from __future__ import annotations

from index.stores.model import (
    DocumentRecord,
    PassageStore,
    StoredHit,
    StoreQuery,
    StoreStats,
)

__all__ = ["DocumentRecord", "PassageStore", "StoreQuery", "StoreStats", "StoredHit"]
