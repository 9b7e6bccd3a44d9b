"""Bounded quote extraction for /v1/extract: a size budget, a time budget, a few at a time.

Extraction is CPU work in spaCy that a thread cannot be forced out of, so it runs on its
own small pool (never the request threadpool /healthz and searches use) and checks a stop
flag between pipeline stages. A request past SAYSO_EXTRACT_TIMEOUT, or whose client has
gone, sets the flag and is answered (503) or dropped at once; the work stops at its next
stage and only then frees its slot, so abandoned work still counts against
SAYSO_EXTRACT_CONCURRENCY and the CPU spent stays bounded.
"""

from __future__ import annotations

import asyncio
import math
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from starlette.requests import Request

from index.quotes import ExtractionStopped, Quote, extract_quotes_until
from service.errors import ApiError
from service.settings import Settings

POLL_SECONDS = 0.1
"""How often a waiting request looks at its deadline and its client."""


class ClientGone(Exception):
    """The client closed the connection before its extraction finished."""


class ExtractGate:
    """At most `concurrency` extractions at once, each stopped past `timeout` seconds."""

    def __init__(self, concurrency: int, timeout: float, max_chars: int) -> None:
        self.timeout = timeout
        self.max_chars = max_chars
        self._slots = threading.BoundedSemaphore(concurrency)
        self._pool = ThreadPoolExecutor(concurrency, thread_name_prefix="sayso-extract")
        self._running: set[threading.Event] = set()

    @classmethod
    def from_settings(cls, settings: Settings) -> ExtractGate:
        return cls(
            settings.extract_concurrency, settings.extract_timeout, settings.extract_max_chars
        )

    def close(self) -> None:
        """Stop taking work; running extractions see their stop flag and end (so a stopping
        server does not wait for work nobody will read)."""
        self._pool.shutdown(wait=False, cancel_futures=True)
        for stop in list(self._running):
            stop.set()

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
        if not self._slots.acquire(blocking=False):
            raise _busy("every extraction slot is in use", self.timeout)
        stop = threading.Event()
        deadline = time.monotonic() + self.timeout

        def work() -> list[Quote]:
            self._running.add(stop)
            try:
                return extract_quotes_until(text, stop.is_set, doc_id="text")
            finally:
                self._running.discard(stop)
                self._slots.release()

        try:
            future = asyncio.wrap_future(self._pool.submit(work))
        except RuntimeError:  # the pool is shut down: the server is stopping
            self._slots.release()
            raise _busy("the server is stopping", 1) from None
        try:
            return await self._wait(request, future, deadline)
        except ExtractionStopped:
            raise _busy("the extraction took too long", self.timeout) from None
        finally:
            if not future.done():
                stop.set()

    async def _wait(
        self, request: Request | None, future: asyncio.Future[list[Quote]], deadline: float
    ) -> list[Quote]:
        while True:
            done, _ = await asyncio.wait({future}, timeout=POLL_SECONDS)
            if done:
                return future.result()
            if time.monotonic() > deadline:
                raise _busy(f"the extraction took longer than {self.timeout:g} s", self.timeout)
            if request is not None and await request.is_disconnected():
                raise ClientGone


def _busy(reason: str, retry_after: float) -> ApiError:
    seconds = max(1, math.ceil(retry_after))
    return ApiError(
        503,
        "extract_unavailable",
        f"Quote extraction is unavailable: {reason}; retry later or send a shorter text "
        "(SAYSO_EXTRACT_TIMEOUT, SAYSO_EXTRACT_CONCURRENCY).",
        headers={"Retry-After": str(seconds)},
    )
