"""Sentence vectors, encoded (the default) or pooled from the passage's token states."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

import numpy as np
import pytest

from index.build import _text_spans, build_index, indexed_text
from index.disk import BuildSettings, Index
from index.documents import Document
from index.models.encoder import pool_spans
from index.quotes.links import speaker_contexts
from tests.conftest import FakeEncoder


@pytest.fixture(scope="module")
def pooled(seed_documents: list[Document], fake_settings: BuildSettings) -> Index:
    settings = replace(fake_settings, sentence_scheme="pooled")
    return build_index(seed_documents, settings, FakeEncoder())


@pytest.fixture(scope="module")
def encoded(seed_documents: list[Document], fake_settings: BuildSettings) -> Index:
    return build_index(seed_documents, fake_settings, FakeEncoder())


def _texts(index: Index) -> list[str]:
    contexts = speaker_contexts(index.passages, index.quotes)
    return [indexed_text(p, index.documents, index.settings, contexts) for p in index.passages]


def test_the_default_scheme_encodes_each_sentence_on_its_own(encoded: Index) -> None:
    sentences = [
        encoded.documents[p.doc_id].text[s:e] for p in encoded.passages for s, e in p.sentences
    ]
    assert np.array_equal(encoded.sentence_vectors, FakeEncoder().encode(sentences))
    # left out of the manifest at its default: indexes from before the setting stay current
    assert "sentence_scheme" not in encoded.manifest.settings


def test_pooled_sentences_are_the_token_states_of_their_span(pooled: Index) -> None:
    encoder, row = FakeEncoder(), 0
    assert pooled.manifest.settings["sentence_scheme"] == "pooled"
    for passage, text in zip(pooled.passages, _texts(pooled), strict=True):
        spans = _text_spans(passage, text)
        for (start, end), (doc_start, doc_end) in zip(spans, passage.sentences, strict=True):
            # the span in the indexed text (after the speaker line) is the sentence
            assert text[start:end] == pooled.documents[passage.doc_id].text[doc_start:doc_end]
        expected = pool_spans(*encoder.token_states(text), spans, len(text))
        assert np.allclose(pooled.sentence_vectors[row : row + len(spans)], expected)
        row += len(spans)
    assert row == len(pooled.sentence_vectors)


def test_pooling_keeps_passage_and_title_vectors(pooled: Index, encoded: Index) -> None:
    assert pooled.passages == encoded.passages
    assert np.array_equal(pooled.dense.vectors(), encoded.dense.vectors())
    assert np.array_equal(pooled.title_vectors, encoded.title_vectors)
    assert not pooled.settings.embeds_like(encoded.settings)  # a switch re-embeds


def test_sentences_past_the_token_limit_are_encoded_on_their_own(
    seed_documents: list[Document], fake_settings: BuildSettings
) -> None:
    class Truncating(FakeEncoder):
        """Its tokens reach only the first sentence of each passage."""

        def encode_spans(
            self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
        ) -> tuple[np.ndarray, list[np.ndarray]]:
            vectors, pooled = super().encode_spans(texts, spans)
            for rows in pooled:
                rows[1:] = 0.0
            return vectors, pooled

    settings = replace(fake_settings, sentence_scheme="pooled", quotes=False)
    index = build_index(seed_documents, settings, Truncating())
    plain = build_index(seed_documents, replace(settings, sentence_scheme="encoded"), FakeEncoder())
    row = 0
    for passage in index.passages:
        count = len(passage.sentences)
        rest = slice(row + 1, row + count)
        assert np.array_equal(index.sentence_vectors[rest], plain.sentence_vectors[rest])
        row += count
    assert not np.array_equal(index.sentence_vectors, plain.sentence_vectors)


def test_an_unknown_scheme_lists_the_choices() -> None:
    with pytest.raises(ValueError, match="choose one of: encoded, pooled"):
        BuildSettings(sentence_scheme="mean")
