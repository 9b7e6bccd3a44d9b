"""Passage stores: where passages, their vectors and quotes live and are searched."""

from __future__ import annotations

from index.stores.model import (
    DocumentRecord,
    PassageStore,
    StoredHit,
    StoreQuery,
    StoreStats,
)
from index.stores.registry import STORES, StoreConfig, open_store, sync_store

__all__ = [
    "STORES",
    "DocumentRecord",
    "PassageStore",
    "StoreConfig",
    "StoreQuery",
    "StoreStats",
    "StoredHit",
    "open_store",
    "sync_store",
]
