"""Bounded quote extraction, for /v1/extract and document writes: a time budget, a few at a time.

Extraction is CPU work in spaCy that a thread cannot be forced out of, so it runs on its
own small pool (never the request threadpool /healthz and searches use) and checks a stop
flag between pipeline stages. A `Gate` runs such work: at most `concurrency` at once
(more get 503 with Retry-After), each given a time budget and stopped when its client
goes away. /v1/extract has one gate (SAYSO_EXTRACT_TIMEOUT, SAYSO_EXTRACT_CONCURRENCY),
POST /v1/documents another (SAYSO_WRITE_TIMEOUT, SAYSO_WRITE_CONCURRENCY; service.writes),
so anonymous extraction cannot crowd out writes.

The two differ in what a passed deadline means. An extraction is answered (503) at once
and its work stops at its next stage, only then freeing its slot, so abandoned work still
counts against the limit and the CPU spent stays bounded. A write (`drain=True`) is told
to stop and then awaited: it stops at its next stage with nothing written (503), or, if
it was already writing its new version, completes and is answered as usual, so the answer
never says "not written" about a write that was.
"""

from __future__ import annotations

import asyncio
import logging
import math
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from starlette.requests import Request

from index.quotes import ExtractionStopped, Quote, extract_quotes_until
from service.errors import ApiError
from service.settings import Settings

log = logging.getLogger(__name__)

POLL_SECONDS = 0.1
"""How often a waiting request looks at its deadline and its client."""
T = TypeVar("T")
Stop = Callable[[], bool]
"""Asked by the work between its stages: True means give up (raise ExtractionStopped)."""


class ClientGone(Exception):
    """The client closed the connection before its work finished."""


class Gate:
    """At most `concurrency` pieces of stoppable work at once, on threads of their own,
    each stopped past its time budget or when its client leaves.

    `what` names the work in messages ("Quote extraction"), `code` is the 503's error code
    and `knobs` the settings that tune it."""

    def __init__(self, concurrency: int, *, what: str, code: str, knobs: str) -> None:
        self.what = what
        self.code = code
        self.knobs = knobs
        self.concurrency = concurrency
        self._slots = threading.BoundedSemaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix=f"sayso-{code}")
        self._running: set[threading.Event] = set()

    def close(self) -> None:
        """Stop taking work; running work sees its stop flag and ends (so a stopping
        server does not wait for work nobody will read)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        for stop in list(self._running):
            stop.set()

    async def run(
        self, request: Request | None, work: Callable[[Stop], T], budget: float, *, drain: bool
    ) -> T:
        """`work(stop)`'s result, or ApiError 503 (every slot busy, or past `budget`
        seconds); ClientGone when `request`'s client leaves first. With `drain`, a deadline
        stops the work and waits for it (see the module docstring)."""
        if not self._slots.acquire(blocking=False):
            raise self.busy(f"all {self.concurrency} of its slots are in use", budget)
        stop = threading.Event()
        deadline = time.monotonic() + budget

        def task() -> T:
            self._running.add(stop)
            try:
                return work(stop.is_set)
            finally:
                self._running.discard(stop)
                self._slots.release()

        try:
            future = asyncio.wrap_future(self._pool.submit(task))
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._slots.release()
            raise self.busy("the server is stopping", 1) from None
        try:
            return await self._wait(request, future, stop, deadline, budget, drain)
        except ExtractionStopped:
            raise self.busy(f"it took longer than {budget:g} s", budget) from None
        finally:
            if not future.done():
                stop.set()

    async def _wait(
        self,
        request: Request | None,
        future: asyncio.Future[T],
        stop: threading.Event,
        deadline: float,
        budget: float,
        drain: bool,
    ) -> T:
        while True:
            done, _ = await asyncio.wait({future}, timeout=POLL_SECONDS)
            if done:
                return future.result()
            if not stop.is_set() and time.monotonic() > deadline:
                log.info("%s stopped: over its budget of %g s", self.what, budget)
                if not drain:
                    raise self.busy(f"it took longer than {budget:g} s", budget)
                stop.set()  # then wait: it stops at its next stage, or completes
            if request is not None and await request.is_disconnected():
                log.info("%s stopped: the client left", self.what)
                raise ClientGone

    def busy(self, reason: str, retry_after: float) -> ApiError:
        """The 503 of this gate, with Retry-After in whole seconds."""
        seconds = max(1, math.ceil(retry_after))
        return ApiError(
            503,
            self.code,
            f"{self.what} is unavailable: {reason}; retry later or send less text ({self.knobs}).",
            headers={"Retry-After": str(seconds)},
        )


class ExtractGate(Gate):
    """/v1/extract's gate: also a size budget (SAYSO_EXTRACT_MAX_CHARS, 413)."""

    def __init__(self, concurrency: int, timeout: float, max_chars: int) -> None:
        super().__init__(
            concurrency,
            what="Quote extraction",
            code="extract_unavailable",
            knobs="SAYSO_EXTRACT_TIMEOUT, SAYSO_EXTRACT_CONCURRENCY",
        )
        self.timeout = timeout
        self.max_chars = max_chars

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractGate:
        return cls(
            settings.extract_concurrency, settings.extract_timeout, settings.extract_max_chars
        )

    async def extract(self, request: Request | None, text: str) -> list[Quote]:
        """The quotes of `text`, or ApiError 413 (too long) / 503 (busy, or too slow).
        With `request`, the work also stops when its client goes away."""
        if len(text) > self.max_chars:
            raise ApiError(
                413,
                "payload_too_large",
                f"The text has {len(text)} characters; /v1/extract reads at most "
                f"{self.max_chars} (SAYSO_EXTRACT_MAX_CHARS).",
            )

        def work(stop: Stop) -> list[Quote]:
            return extract_quotes_until(text, stop, doc_id="text")

        return await self.run(request, work, self.timeout, drain=False)
