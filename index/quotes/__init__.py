"""Attributed quotes: who said what, with exact character offsets into the article."""

from __future__ import annotations

from index.quotes.extract import (
    ExtractionStopped,
    extract_quotes,
    extract_quotes_batch,
    extract_quotes_until,
    quotes_from_doc,
)
from index.quotes.model import Quote, Speaker

__all__ = [
    "ExtractionStopped",
    "Quote",
    "Speaker",
    "extract_quotes",
    "extract_quotes_batch",
    "extract_quotes_until",
    "quotes_from_doc",
]
