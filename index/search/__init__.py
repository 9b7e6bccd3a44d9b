"""Search: a question -> the plan of its mode -> ranked passages, highlights and quotes."""

from index.search.searcher import Hit, Searcher, SearchResult, result_rows

__all__ = ["Hit", "SearchResult", "Searcher", "result_rows"]
