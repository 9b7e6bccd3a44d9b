"""Batching: concurrent one-question encodes share one encoder call (leader/follower queue).

A caller that finds the encoder idle runs its question at once, alone: no wait, so a lone
client pays nothing. Callers that arrive while an encode is running queue up; when it ends,
the first of them leads: it takes the queue (at most MAX_BATCH) and encodes it in one call,
then passes the lead on. While concurrency is recent, a caller finding the encoder idle
waits up to `window_s` first so that the clients about to send can join it.

Only exact encoders may be batched: a padded batch must give each question the vector it
gets alone. fp32 ONNX does (bit-identical on the dev questions); int8 with dynamic
quantisation does not (activation scales are computed over the whole batch, so a batch
mate moves a question's vector by up to 0.011 cosine), which is why service.wiring wraps
only fp32 encoders (docs/experiments/performance.md, "Batching").
"""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from index.models.encoder import Encoder, encode_queries, encode_spans

MAX_BATCH = 16


@dataclass
class _Pending:
    text: str
    done: threading.Event = field(default_factory=threading.Event)
    lead: bool = False
    vector: np.ndarray | None = None
    error: BaseException | None = None


class BatchingEncoder:
    """An Encoder whose one-text calls from concurrent threads are encoded together.

    Calls with several texts (index builds) go straight to the wrapped encoder. Questions
    go through `encode_queries` of the wrapped encoder (its query prefix, if any) whether
    they come in by `encode` or `encode_queries`, as the searcher embeds them.
    """

    def __init__(self, encoder: Encoder, window_s: float, max_batch: int = MAX_BATCH) -> None:
        self.inner = encoder
        self.window_s = window_s
        self.max_batch = max_batch
        self.dimension: int = int(getattr(encoder, "dimension", 0))
        self._lock = threading.Lock()
        self._queue: list[_Pending] = []
        self._busy = False
        self._last_size = 0
        self._last_end = 0.0
        self.calls = 0  # encoder calls made for questions (for tests and benchmarks)

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) != 1:
            return self.inner.encode(texts)
        return self._one(texts[0])

    def encode_spans(
        self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]]
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """Builds only: straight to the wrapped encoder (ValueError if it has no token states)."""
        return encode_spans(self.inner, texts, spans)

    def encode_queries(self, texts: Sequence[str]) -> np.ndarray:
        if len(texts) != 1:
            return encode_queries(self.inner, texts)
        return self._one(texts[0])

    def _one(self, text: str) -> np.ndarray:
        mine = _Pending(text)
        with self._lock:
            self._queue.append(mine)
            fresh = not self._busy
            if fresh:
                self._busy = mine.lead = True
        while True:
            if mine.lead:
                mine.lead = False
                self._lead(fresh)
            mine.done.wait()
            if mine.vector is not None or mine.error is not None:
                break
            mine.done.clear()  # woken to lead the next batch, not answered yet
            fresh = False
        if mine.error is not None:
            raise mine.error
        assert mine.vector is not None
        return mine.vector[None, :]

    def _lead(self, fresh: bool) -> None:
        """Encode one batch (the leader's question first), then pass the lead on."""
        # A caller that finds the encoder idle waits the window only while concurrency is
        # recent (the last batch had company): a lone client never waits.
        recent = self._last_size > 1 and time.monotonic() - self._last_end < 0.05
        if fresh and recent and self.window_s > 0:
            time.sleep(self.window_s)
        with self._lock:
            batch, self._queue = self._queue[: self.max_batch], self._queue[self.max_batch :]
        self._run(batch)
        with self._lock:
            self._last_size, self._last_end = len(batch), time.monotonic()
            if self._queue:
                self._queue[0].lead = True
                self._queue[0].done.set()
            else:
                self._busy = False

    def _run(self, batch: list[_Pending]) -> None:
        self.calls += 1
        try:
            vectors = encode_queries(self.inner, [p.text for p in batch])
            for pending, vector in zip(batch, vectors, strict=True):
                pending.vector = vector
        except BaseException as exc:  # every waiter hears of it, none hangs
            for pending in batch:
                pending.error = exc
        finally:
            for pending in batch:
                pending.done.set()
