"""How `sayso serve` runs uvicorn: header size, read and idle timeouts, a connection cap.

uvicorn closes a keep-alive connection that idles after a response, but not one that
never finishes its request: a client may open a connection, send half a header (or a
body a byte at a time, or nothing at all) and hold it for ever. `ReadTimeoutH11Protocol`
closes a connection that has made no progress on its request for `read_timeout`
seconds. It runs on h11 because h11 bounds the request head
(h11_max_incomplete_event_size); the httptools parser has no such limit.

With `uvicorn --factory service.app:create_app`, pass the same options:
`--http service.server:ReadTimeoutH11Protocol --h11-max-incomplete-event-size 65536
--timeout-keep-alive 5 --limit-concurrency 1000` (the read timeout is then the class
default, `READ_TIMEOUT`).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.settings import Settings

READ_TIMEOUT = 10.0
"""Seconds a request may go without progress (head or body bytes) before it is closed."""
_WAITING_FOR_CLIENT = (h11.IDLE, h11.SEND_BODY)


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request stalls (slowloris)."""

    read_timeout = READ_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._progress = time.monotonic()
        self._watch = self.loop.call_later(self.read_timeout, self._check_progress)

    def data_received(self, data: bytes) -> None:
        head_pending = self.conn.their_state == h11.IDLE
        super().data_received(data)
        # A head counts once complete (one byte at a time is no progress); body bytes count.
        if not head_pending or self.conn.their_state != h11.IDLE:
            self._progress = time.monotonic()

    def on_response_complete(self) -> None:
        self._progress = time.monotonic()
        super().on_response_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        self._watch.cancel()
        super().connection_lost(exc)

    def _check_progress(self) -> None:
        if self.transport.is_closing():
            return
        stalled = time.monotonic() - self._progress
        if self.conn.their_state in _WAITING_FOR_CLIENT and stalled >= self.read_timeout:
            self.transport.close()
            return
        self._watch = self.loop.call_later(
            max(0.05, self.read_timeout - stalled), self._check_progress
        )


def uvicorn_options(settings: Settings) -> dict[str, Any]:
    """Keyword arguments for uvicorn.run: the limits above from settings."""
    protocol = type(
        "ReadTimeoutH11Protocol",
        (ReadTimeoutH11Protocol,),
        {"read_timeout": settings.read_timeout},
    )
    return {
        "http": protocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections,
    }
