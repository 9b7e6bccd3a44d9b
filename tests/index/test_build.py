"""Builds: parallel encoding and quote extraction change nothing; stages report progress."""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from index.build import EMBED_CHUNK, build_index, embed
from index.disk import BuildSettings
from index.documents import Document
from index.progress import LogStages, Progress, only_embedding
from index.quotes import extract_quotes_batch
from index.quotes.extract import PARALLEL_MIN
from tests.conftest import FakeEncoder


def test_embedding_on_several_threads_gives_the_same_vectors() -> None:
    texts = [f"passage number {n} " + "word " * (n % 37) for n in range(3 * EMBED_CHUNK + 5)]
    encoder = FakeEncoder()
    one = embed(encoder, texts)
    calls = sorted(encoder.calls)
    encoder.calls.clear()
    several = embed(encoder, texts, workers=3)
    assert np.array_equal(one, several)
    assert sorted(encoder.calls) == calls  # the same chunks, so the same int8 batches


def test_a_build_reports_each_stage_to_its_end(
    seed_documents: list[Document], fake_settings: BuildSettings
) -> None:
    seen: dict[str, tuple[int, int]] = {}

    def stages(name: str) -> Progress:
        def update(done: int, total: int) -> None:
            seen[name] = (done, total)

        return update

    index = build_index(seed_documents, fake_settings, FakeEncoder(), stages=stages, workers=2)
    assert set(seen) == {"passages", "quotes", "embedding"}
    assert seen["passages"] == (len(seed_documents), len(seed_documents))
    assert seen["quotes"] == (len(seed_documents), len(seed_documents))
    texts = len(index.passages) + len(index.sentence_vectors)
    assert seen["embedding"][0] == seen["embedding"][1] >= texts


def test_a_bare_progress_hears_only_the_embedding() -> None:
    heard: list[tuple[int, int]] = []
    stages = only_embedding(lambda done, total: heard.append((done, total)))
    stages("quotes")(1, 2)
    stages("embedding")(3, 4)
    assert heard == [(3, 4)]


def test_stages_in_the_log_say_count_and_percent(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="test.build")
    update = LogStages(logging.getLogger("test.build"), every=3600)("quotes")
    for done in range(1, 201):
        update(done, 200)
    lines = [r.getMessage() for r in caplog.records]
    assert lines[0] == "quotes: 1/200 (0%)"
    assert lines[-1].startswith("quotes: 200/200 (100%) in ")
    assert len(lines) == 2  # nothing between, within `every` seconds


@pytest.mark.slow
def test_quotes_from_worker_processes_are_the_quotes_of_one(seed_documents: list[Document]) -> None:
    text = seed_documents[0].text
    pairs = [(f"doc{n}", text if n % 2 else text[: len(text) // 2]) for n in range(PARALLEL_MIN)]
    heard: list[int] = []
    parallel = extract_quotes_batch(pairs, processes=2, progress=lambda d, t: heard.append(d))
    assert parallel == extract_quotes_batch(pairs)
    assert heard[-1] == PARALLEL_MIN and heard == sorted(heard)


def test_workers_leave_the_index_as_it_was(
    seed_documents: list[Document], fake_settings: BuildSettings, tmp_path: Path
) -> None:
    settings = replace(fake_settings, quotes=False)
    one = build_index(seed_documents, settings, FakeEncoder())
    two = build_index(seed_documents, settings, FakeEncoder(), workers=2)
    assert one.passages == two.passages
    assert np.array_equal(one.dense.vectors(), two.dense.vectors())
    assert np.array_equal(one.sentence_vectors, two.sentence_vectors)
