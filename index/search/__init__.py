"""Search: a question -> the plan of its mode -> ranked passages, highlights and quotes.

The searcher is imported on first use, so that reading the mode registry
(`index.search.modes`, which settings validation needs) stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from index.search.searcher import Hit, Searcher, SearchResult, result_rows

__all__ = ["Hit", "SearchResult", "Searcher", "result_rows"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        return getattr(importlib.import_module("index.search.searcher"), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
