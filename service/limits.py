"""Limits: question length and k checks, request body size and per-client rate (ASGI middleware)."""

from __future__ import annotations

import math
import threading
import time
from collections import OrderedDict
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from index.search.modes import MODES
from service.buckets import RedisBuckets
from service.clients import client_address
from service.errors import ApiError, error_response
from service.settings import Settings

LARGE_BODY_PATHS = ("/v1/documents", "/v1/extract")
"""Routes whose bodies are whole articles, held to max_document_bytes."""
UNLIMITED_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes are never rate limited."""
MAX_TRACKED_CLIENTS = 10_000


def check_question(question: str, settings: Settings, field: str = "question") -> None:
    """422 (the error shape) when `question` is longer than SAYSO_MAX_QUESTION_CHARS."""
    limit = settings.max_question_chars
    if len(question) > limit:
        message = f"must be at most {limit} characters, got {len(question)}; shorten it"
        raise ApiError(
            422,
            "invalid_request",
            f"Invalid '{field}': {message}.",
            [{"field": field, "message": message}],
        )


def check_mode(mode: str, searcher: Any) -> str:
    """`mode`, or a 400 (the error shape) when this server cannot run it (`rescore`
    or `ensemble` without a second model, `ensemble` on the qdrant store, `rerank`
    without a cross-encoder)."""
    if mode not in searcher.modes:
        plan = MODES.get(mode)
        needs = f" (it needs {plan.needs})" if plan is not None and plan.needs else ""
        raise ApiError(
            400,
            "mode_unavailable",
            f"Mode '{mode}' is not available on this server{needs}; "
            f"choose one of: {', '.join(searcher.modes)}.",
        )
    return mode


WITHOUT_CROSS_ENCODER = {"rerank": "hybrid", "cascade": "late"}
"""What `"rerank": false` turns a mode that reads with the cross-encoder into."""


def resolve_mode(mode: str, rerank: bool | None, searcher: Any) -> str:
    """The mode a request runs: its `mode` (or the server default) with DESIGN.md's `rerank`
    flag applied. `rerank: true` on `hybrid`, `cascade` or `rerank` is mode `rerank`, the
    hybrid's best passages all re-read by the cross-encoder; `rerank: false` drops the
    cross-encoder (`rerank` -> `hybrid`, `cascade` -> `late`); omitted, the mode stands.
    The cross-encoder was tuned on the hybrid's passages, so `rerank: true` with another
    mode is a 422; on a server without SAYSO_RERANKER it is the same 400
    `mode_unavailable` as mode `rerank`."""
    if rerank is True:
        if mode not in ("hybrid", "cascade", "rerank"):
            message = f"re-orders the hybrid's passages: use mode 'hybrid', not {mode!r}"
            raise ApiError(
                422,
                "invalid_request",
                f"Invalid 'rerank': {message}.",
                [{"field": "rerank", "message": message}],
            )
        mode = "rerank"
    elif rerank is False:
        mode = WITHOUT_CROSS_ENCODER.get(mode, mode)
    return check_mode(mode, searcher)


def check_k(k: int, settings: Settings) -> None:
    """422 (the error shape) when `k` is above SAYSO_MAX_K."""
    if k > settings.max_k:
        message = f"must be between 1 and {settings.max_k}, got {k}"
        raise ApiError(
            422, "invalid_request", f"Invalid 'k': {message}.", [{"field": "k", "message": message}]
        )


def body_limit(settings: Settings, path: str) -> int:
    """The largest body, in bytes, accepted on `path`."""
    if path.startswith(LARGE_BODY_PATHS):
        return settings.max_document_bytes
    return settings.max_body_bytes


def _too_large(limit: int) -> HTTPException:
    return HTTPException(413, f"The request body is larger than {limit} bytes; send a smaller one.")


class BodySizeLimit:
    """Answers 413 once a request body passes its limit, counting the bytes as they stream.

    A Content-Length over the limit is refused before anything is read; a chunked or
    lying body is cut off at the first chunk that crosses the limit.
    """

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.settings = settings

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(self.settings, scope["path"])
        declared = _content_length(scope)
        if declared is not None and declared > limit:
            await _send_413(scope, receive, send, limit)
            return
        received = 0
        started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _too_large(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except HTTPException as exc:
            if exc.status_code != 413 or started:
                raise
            await _send_413(scope, receive, send, limit)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _send_413(scope: Scope, receive: Receive, send: Send, limit: int) -> None:
    exc = _too_large(limit)
    response = error_response(413, "payload_too_large", str(exc.detail))
    await response(scope, receive, send)


class TokenBuckets:
    """Per-client token buckets: `rate` tokens a second, at most `burst` saved up."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: str, now: float | None = None) -> float:
        """Take a token for `client`: 0 when allowed, else seconds until one is free."""
        now = time.monotonic() if now is None else now
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.rate)
            wait = 0.0 if tokens >= 1 else (1 - tokens) / self.rate
            self._buckets[client] = (tokens - 1 if wait == 0 else tokens, now)
            while len(self._buckets) > MAX_TRACKED_CLIENTS:
                self._buckets.popitem(last=False)
            return wait


class RateLimit:
    """429 with Retry-After once a client address exceeds SAYSO_RATE_LIMIT requests a second.

    The buckets live in this process, or in Redis when SAYSO_RATE_LIMIT_STORE names one
    (then every worker and replica shares them; this process's own are the fallback while
    Redis is unreachable)."""

    def __init__(self, app: ASGIApp, settings: Settings) -> None:
        self.app = app
        self.buckets = TokenBuckets(settings.rate_limit, settings.rate_burst)
        self.trusted_proxies = tuple(settings.trusted_proxies)
        self.shared: RedisBuckets | None = None
        if settings.rate_limit_store:
            self.shared = RedisBuckets(
                settings.rate_limit_store, settings.rate_limit, settings.rate_burst
            )

    async def _take(self, client: str) -> float:
        if self.shared is not None:
            wait = await self.shared.take(client)
            if wait is not None:
                return wait
        return self.buckets.take(client)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] in UNLIMITED_PATHS:
            await self.app(scope, receive, send)
            return
        # The peer, or behind a trusted proxy the forwarded client; never a header alone.
        wait = await self._take(client_address(scope, self.trusted_proxies) or "unknown")
        if wait > 0:
            seconds = max(1, math.ceil(wait))
            response = error_response(
                429,
                "rate_limited",
                f"Too many requests from this client; retry in {seconds} second(s).",
                headers={"Retry-After": str(seconds)},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
