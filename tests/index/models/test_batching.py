"""The batching queue: concurrent questions share encoder calls, each gets its own vector."""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np
import pytest

from index.models.batching import BatchingEncoder
from index.models.encoder import bundled_model_path
from index.models.onnx import OnnxEncoder, ensure_onnx
from tests.conftest import FakeEncoder


class SlowEncoder(FakeEncoder):
    """The fake encoder, held inside its first call until released (to pile up a queue)."""

    def __init__(self) -> None:
        super().__init__()
        self.entered = threading.Event()
        self.release = threading.Event()

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if not self.calls:
            self.entered.set()
            self.release.wait(5)
        return super().encode(texts)


class Broken(FakeEncoder):
    def encode(self, texts: Sequence[str]) -> np.ndarray:
        raise RuntimeError("model failed")


def run_concurrently(batcher: BatchingEncoder, questions: list[str]) -> list[np.ndarray]:
    out: list[np.ndarray | None] = [None] * len(questions)

    def ask(i: int) -> None:
        out[i] = batcher.encode([questions[i]])

    threads = [threading.Thread(target=ask, args=(i,)) for i in range(len(questions))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert all(v is not None for v in out)
    return [v for v in out if v is not None]


def test_a_lone_question_runs_at_once_alone() -> None:
    inner = FakeEncoder()
    batcher = BatchingEncoder(inner, window_s=0.002)
    vector = batcher.encode(["What are new quality productive forces?"])
    assert inner.calls == [1]
    np.testing.assert_array_equal(vector, inner.encode(["What are new quality productive forces?"]))


def test_questions_queued_behind_a_running_encode_share_one_call() -> None:
    inner = SlowEncoder()
    batcher = BatchingEncoder(inner, window_s=0.0)
    questions = [f"question {i} on innovation" for i in range(8)]
    first = threading.Thread(target=batcher.encode, args=(["the first question"],))
    first.start()
    assert inner.entered.wait(5)
    results: list[np.ndarray] = []
    waiting = threading.Thread(target=lambda: results.extend(run_concurrently(batcher, questions)))
    waiting.start()
    while len(batcher._queue) < len(questions):  # all eight queued behind the first
        threading.Event().wait(0.001)
    inner.release.set()
    first.join(5)
    waiting.join(10)
    assert inner.calls == [1, 8]  # the first alone, then the eight together
    expected = FakeEncoder().encode(questions)
    np.testing.assert_array_equal(np.vstack(results), expected)


def test_several_texts_go_straight_through() -> None:
    inner = FakeEncoder()
    batcher = BatchingEncoder(inner, window_s=0.002)
    vectors = batcher.encode(["a", "b", "c"])
    assert inner.calls == [3] and vectors.shape == (3, inner.dimension)


def test_an_encoder_error_reaches_every_waiter() -> None:
    batcher = BatchingEncoder(Broken(), window_s=0.0)
    with pytest.raises(RuntimeError, match="model failed"):
        batcher.encode(["a question"])
    assert not batcher._busy  # the next caller can lead


@pytest.mark.model
def test_fp32_vectors_do_not_depend_on_batch_mates(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    """Why only fp32 is batched: padded in a batch, fp32 gives each question its own vector
    to float noise; int8's dynamic quantisation scales activations over the whole batch."""
    model_dir = bundled_model_path()
    cache = tmp_path_factory.mktemp("onnx-batching")
    questions = [
        "What are new quality productive forces?",
        "Who is Huang Hanquan?",
        "How does China plan to support innovation in traditional industries over the next "
        "five years, according to the article?",
        "AI",
    ]
    fp32 = OnnxEncoder(model_dir, ensure_onnx(model_dir, cache))
    alone = np.vstack([fp32.encode([q]) for q in questions])
    batched = np.vstack(run_concurrently(BatchingEncoder(fp32, 0.002), questions))
    np.testing.assert_allclose(fp32.encode(questions), alone, atol=1e-5)
    np.testing.assert_allclose(batched, alone, atol=1e-5)
    int8 = OnnxEncoder(model_dir, ensure_onnx(model_dir, cache, quantize=True))
    int8_alone = np.vstack([int8.encode([q]) for q in questions])
    assert np.abs(int8.encode(questions) - int8_alone).max() > 1e-3
