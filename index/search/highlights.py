"""Highlights: the sentences of each retrieved passage that best match the question."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from index.passages import Passage, Span
from index.retrieval.lexical import Tokenizer
from index.stores.model import StoredHit

HIGHLIGHT_MARGIN = 0.05
"""Sentences within this cosine of a passage's best sentence are highlighted too."""


def highlights(
    hits: Sequence[StoredHit], query: np.ndarray | None, question: str, tokenize: Tokenizer
) -> list[tuple[Span, ...]]:
    """Each passage's sentences that best match the question, in text order (offsets into
    the document).

    With a question vector: the most similar sentence and any within HIGHLIGHT_MARGIN
    cosine of it. Without (lexical mode, or no sentence vectors stored): the sentences
    sharing the most query terms (all such hits tokenised in one batch).
    """
    by_terms = [h.passage for h in hits if query is None or h.sentence_vectors is None]
    overlaps = iter(term_overlaps(by_terms, question, tokenize))
    result = []
    for hit in hits:
        if query is not None and hit.sentence_vectors is not None:
            sims = hit.sentence_vectors @ query
            keep = sims >= sims.max() - HIGHLIGHT_MARGIN
        else:
            sims = next(overlaps)
            keep = (sims == sims.max()) & (sims > 0)
        spans = zip(hit.passage.sentences, keep, strict=True)
        result.append(tuple(span for span, chosen in spans if chosen))
    return result


def term_overlaps(
    passages: Sequence[Passage], question: str, tokenize: Tokenizer
) -> list[np.ndarray]:
    """Per passage, how many question terms each of its sentences shares."""
    if not passages:
        return []
    texts = [question] + [
        p.text[s - p.start : e - p.start] for p in passages for s, e in p.sentences
    ]
    tokens = tokenize.distinct(texts)
    counts = np.array([len(tokens[0] & sent) for sent in tokens[1:]], dtype=np.float32)
    bounds = np.cumsum([0] + [len(p.sentences) for p in passages])
    return [counts[bounds[i] : bounds[i + 1]] for i in range(len(passages))]
