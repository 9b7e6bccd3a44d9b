"""How sayso runs uvicorn: header size, read and idle timeouts, a connection cap, and
malformed HTTP answered in the one error shape.

uvicorn closes a keep-alive connection that idles after a response, but not one that
never finishes its request: a client may open a connection, send half a header (or a
body a byte at a time, or nothing at all) and hold it for ever. `ReadTimeoutH11Protocol`
closes a connection that has made no progress on its request for SAYSO_READ_TIMEOUT
seconds. It runs on h11 because h11 bounds the request head
(h11_max_incomplete_event_size); the httptools parser has no such limit. A request h11
cannot parse (a bad request line or header: 400; a head over the limit: 431) is answered
with the JSON error shape, not uvicorn's plain text.

The class is module-level and takes its read timeout from the settings, so it pickles by
reference: `sayso serve --workers N` hands it to every worker process, which reads
SAYSO_READ_TIMEOUT from the environment it inherits. With `uvicorn --factory
service.app:create_app`, pass the same options (the read timeout comes from
SAYSO_READ_TIMEOUT there too): `--http service.server:ReadTimeoutH11Protocol
--h11-max-incomplete-event-size 65536 --timeout-keep-alive 5 --limit-concurrency 1000`.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from functools import cache
from http import HTTPStatus
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

from service.settings import Settings, SettingsError, load_settings

log = logging.getLogger(__name__)

READ_TIMEOUT = 10.0
"""Seconds a request may go without progress when the settings cannot be read."""
_WAITING_FOR_CLIENT = (h11.IDLE, h11.SEND_BODY)
_configured: float | None = None


def configure(settings: Settings) -> None:
    """Use `settings.read_timeout` in this process (`sayso serve`); a process that was not
    told (a uvicorn worker, `uvicorn --factory`) reads SAYSO_READ_TIMEOUT itself."""
    global _configured
    _configured = settings.read_timeout


@cache
def _from_environment() -> float:
    try:
        return load_settings().read_timeout
    except SettingsError:  # the app factory refuses these settings with the message
        return READ_TIMEOUT


def read_timeout() -> float:
    """Seconds a request may go without progress (head or body bytes) before it is closed."""
    return _configured if _configured is not None else _from_environment()


class _Connection(h11.Connection):
    """h11's connection, remembering why it refused the client's bytes (h11 knows whether
    the head was malformed, 400, or too long, 431; uvicorn answers both with a plain 400)."""

    refused: h11.RemoteProtocolError | None = None

    def next_event(self) -> Any:
        try:
            return super().next_event()
        except h11.RemoteProtocolError as exc:
            self.refused = exc
            raise


class ReadTimeoutH11Protocol(H11Protocol):
    """uvicorn's h11 protocol, closing connections whose request stalls (slowloris) and
    answering unparseable requests with the JSON error shape."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit = self.config.h11_max_incomplete_event_size
        if limit is None:
            self.conn = _Connection(h11.SERVER)
        else:
            self.conn = _Connection(h11.SERVER, limit)
        self.read_timeout = read_timeout()

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

    def send_400_response(self, msg: str) -> None:
        """uvicorn calls this for a request h11 refused; answer it in the error shape."""
        refused = self.conn.refused if isinstance(self.conn, _Connection) else None
        status = refused.error_status_hint if refused is not None else 400
        if status == 431:
            limit = self.config.h11_max_incomplete_event_size
            code = "request_header_too_large"
            message = f"The request line and headers are longer than {limit} bytes."
        else:
            status = 400
            code = "bad_request"
            message = "The request is not valid HTTP/1.1 (a malformed request line or header)."
        body = {"error": {"code": code, "message": message, "details": []}}
        data = json.dumps(body).encode()
        headers = [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(data)).encode()),
            (b"connection", b"close"),
        ]
        reason = HTTPStatus(status).phrase
        response = h11.Response(status_code=status, headers=headers, reason=reason)
        try:
            self.transport.write(self.conn.send(response))
            self.transport.write(self.conn.send(h11.Data(data=data)))
            self.transport.write(self.conn.send(h11.EndOfMessage()))
        except h11.LocalProtocolError:  # a response had already started: just close
            log.debug("could not answer a malformed request: a response is under way")
        self.transport.close()

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
    """Keyword arguments for uvicorn.run: the limits above from settings. The protocol
    class pickles by reference, so the same options serve `--workers N`."""
    configure(settings)
    return {
        "http": ReadTimeoutH11Protocol,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "timeout_keep_alive": settings.keep_alive_timeout,
        "limit_concurrency": settings.max_connections,
    }
