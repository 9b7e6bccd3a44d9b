"""A typed Python client for a sayso server: sync and async, with retries and the API key.

Needs only httpx and the standard library (no FastAPI, torch or index code), so a chatbot or
agent can `from service.client import SaysoClient` without loading the retrieval stack.

    with SaysoClient("http://127.0.0.1:8000") as sayso:
        for passage in sayso.search("How much did China spend on R&D?", k=3).passages:
            print(passage.rank, passage.title, passage.text[:80])

Offsets (`start`, `end`) are character offsets into the document's text, exactly as the
server sends them: `document(p.doc_id).text[p.start:p.end] == p.text`.
"""

from __future__ import annotations

import asyncio
import functools
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import quote

import httpx

from service.client_types import (
    Citation,
    Context,
    Document,
    DocumentSummary,
    Passage,
    Quote,
    SaysoError,
    SearchResult,
    Span,
    Speaker,
    StoredPassage,
    WriteResult,
)

__all__ = [
    "AsyncSaysoClient",
    "Citation",
    "Context",
    "Document",
    "DocumentSummary",
    "Passage",
    "Quote",
    "SaysoClient",
    "SaysoError",
    "SearchResult",
    "Span",
    "Speaker",
    "StoredPassage",
    "WriteResult",
]

DEFAULT_TIMEOUT_S = 30.0
DEFAULT_RETRIES = 3
DEFAULT_BACKOFF_S = 0.25
MAX_BACKOFF_S = 4.0
MAX_RETRY_AFTER_S = 30.0
"""A server's Retry-After longer than this is not waited for: the error is raised."""
USER_AGENT = "sayso-client/1"


# Requests: built once, sent by either client.


@dataclass(frozen=True)
class _Request:
    method: str
    path: str
    params: Mapping[str, Any] | None = None
    json: Any = None
    reads_only: bool = True
    """No side effect on the server: safe to resend after a connection broke mid-way."""


def _drop_none(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if v is not None}


def _search(
    question: str,
    k: int,
    mode: str | None,
    doc_ids: Sequence[str] | None,
    speaker: str | None,
    rerank: bool | None,
) -> _Request:
    body = _drop_none(
        {
            "question": question,
            "k": k,
            "mode": mode,
            "doc_ids": None if doc_ids is None else list(doc_ids),
            "speaker": speaker,
            "rerank": rerank,
        }
    )
    return _Request("POST", "/v1/search", json=body)


def _context(
    question: str | None,
    messages: Sequence[Mapping[str, str]] | None,
    k: int,
    max_tokens: int,
    mode: str | None,
    doc_ids: Sequence[str] | None,
) -> _Request:
    body = _drop_none(
        {
            "question": question,
            "messages": None if messages is None else [dict(m) for m in messages],
            "k": k,
            "max_tokens": max_tokens,
            "mode": mode,
            "doc_ids": None if doc_ids is None else list(doc_ids),
        }
    )
    return _Request("POST", "/v1/context", json=body)


def _quotes(speaker: str | None, doc_id: str | None, q: str | None, limit: int) -> _Request:
    params = _drop_none({"speaker": speaker, "doc_id": doc_id, "q": q, "limit": limit})
    return _Request("GET", "/v1/quotes", params=params)


def _documents(cursor: str | None) -> _Request:
    return _Request("GET", "/v1/documents", params=_drop_none({"cursor": cursor}))


def _add_document(
    id: str, text: str, title: str, source: str, url: str, published: str
) -> _Request:
    body = {"id": id, "text": text, "title": title, "source": source, "url": url}
    body["published"] = published
    return _Request("POST", "/v1/documents", json=body, reads_only=False)


def _quote_list(data: Mapping[str, Any]) -> list[Quote]:
    return [Quote.from_json(q) for q in data["quotes"]]


def _document_page(data: Mapping[str, Any]) -> tuple[list[DocumentSummary], str | None]:
    return [DocumentSummary.from_json(d) for d in data["documents"]], data.get("next_cursor")


# Responses and retries.


def _error(response: httpx.Response) -> SaysoError:
    try:
        error = response.json()["error"]
        return SaysoError(
            response.status_code, error["code"], error["message"], error.get("details") or ()
        )
    except (ValueError, KeyError, TypeError):
        text = response.text.strip()[:200] or response.reason_phrase
        return SaysoError(response.status_code, "http_error", text)


def _retry_after(response: httpx.Response) -> float | None:
    """Seconds to wait before retrying this response, or None when it is final."""
    if response.status_code not in (429, 503):
        return None
    header = response.headers.get("retry-after")
    if header is None:
        # A 503 without Retry-After is retried only while the index is loading.
        return 0.0 if response.status_code == 503 and _error(response).code == "not_ready" else None
    try:
        seconds = float(header)
    except ValueError:
        return None  # an HTTP date: rare enough to leave to the caller
    return seconds if 0 <= seconds <= MAX_RETRY_AFTER_S else None


@functools.cache
def _shared_ssl_context() -> ssl.SSLContext:
    """The default certificate checks, built once: building them takes ~30 ms, which a
    client made per call (the async retrievers make one per event loop call) would pay."""
    return httpx.create_ssl_context()


class _Base:
    def __init__(
        self,
        base_url: str,
        api_key: str | None,
        timeout: float,
        retries: int,
        backoff: float,
        verify: ssl.SSLContext | bool,
    ) -> None:
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        self.base_url = base_url.rstrip("/")
        self.retries = retries
        self.backoff = backoff
        self._options: dict[str, Any] = {
            "base_url": self.base_url,
            "timeout": httpx.Timeout(timeout),
            "verify": _shared_ssl_context() if verify is True else verify,
            "headers": {"User-Agent": USER_AGENT}
            | ({"Authorization": f"Bearer {api_key}"} if api_key else {}),
        }

    def _delay(self, attempt: int) -> float:
        """Exponential backoff: backoff, 2 x backoff, ... capped at MAX_BACKOFF_S."""
        return float(min(self.backoff * 2**attempt, MAX_BACKOFF_S))

    def _next_wait(self, attempt: int, response: httpx.Response) -> float | None:
        wait = _retry_after(response)
        if wait is None or attempt >= self.retries:
            return None
        return max(wait, self._delay(attempt))

    def _unreachable(self, exc: httpx.TransportError) -> SaysoError:
        if isinstance(exc, httpx.TimeoutException) and not isinstance(exc, httpx.ConnectTimeout):
            return SaysoError(None, "timeout", f"No answer from {self.base_url} in time: {exc!r}")
        return SaysoError(None, "unreachable", f"Cannot reach {self.base_url}: {exc!r}")


# Connection failures before the request reached the server are retried for every call; a
# connection that broke mid-way (a keep-alive connection the server closed as it was reused)
# only for reads. A read timeout never is: the server is busy, and asking again adds load.
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout)
_BROKEN = (httpx.RemoteProtocolError, httpx.ReadError, httpx.WriteError)


def _retryable(request: _Request, exc: httpx.TransportError) -> bool:
    return isinstance(exc, _NOT_SENT) or (request.reads_only and isinstance(exc, _BROKEN))


class SaysoClient(_Base):
    """Synchronous client. `retries` bounds the retries of one call (connection errors, 503
    not_ready, 429 with Retry-After up to MAX_RETRY_AFTER_S); `timeout` is in seconds;
    `verify` is httpx's (an ssl.SSLContext, or False for no certificate checks)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key, timeout, retries, backoff, verify)
        self._http = httpx.Client(transport=transport, **self._options)

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def close(self) -> None:
        self._http.close()

    def _send(self, request: _Request) -> Any:
        attempt = 0
        while True:
            try:
                response = self._http.request(
                    request.method, request.path, params=request.params, json=request.json
                )
            except httpx.TransportError as exc:
                if attempt >= self.retries or not _retryable(request, exc):
                    raise self._unreachable(exc) from exc
                time.sleep(self._delay(attempt))
            else:
                if response.is_success:
                    return response.json()
                wait = self._next_wait(attempt, response)
                if wait is None:
                    raise _error(response)
                time.sleep(wait)
            attempt += 1

    def ready(self) -> dict[str, Any]:
        """GET /readyz: index facts (documents, passages, model, index_id, ...)."""
        data: dict[str, Any] = self._send(_Request("GET", "/readyz"))
        return data

    def search(
        self,
        question: str,
        k: int = 5,
        mode: str | None = None,
        doc_ids: Sequence[str] | None = None,
        speaker: str | None = None,
        rerank: bool | None = None,
    ) -> SearchResult:
        """POST /v1/search: passages best first, with their quotes."""
        request = _search(question, k, mode, doc_ids, speaker, rerank)
        return SearchResult.from_json(self._send(request))

    def context(
        self,
        question: str | None = None,
        messages: Sequence[Mapping[str, str]] | None = None,
        k: int = 5,
        max_tokens: int = 800,
        mode: str | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Context:
        """POST /v1/context: a bare question or a chat ({"role", "content"} messages)."""
        request = _context(question, messages, k, max_tokens, mode, doc_ids)
        return Context.from_json(self._send(request))

    def quotes(
        self,
        speaker: str | None = None,
        doc_id: str | None = None,
        q: str | None = None,
        limit: int = 50,
    ) -> list[Quote]:
        """GET /v1/quotes: stored quotes, filtered; with `q`, best first."""
        return _quote_list(self._send(_quotes(speaker, doc_id, q, limit)))

    def extract(self, text: str, title: str = "") -> list[Quote]:
        """POST /v1/extract: the quotes of any text (offsets into `text`); nothing stored."""
        request = _Request("POST", "/v1/extract", json={"text": text, "title": title})
        return _quote_list(self._send(request))

    def documents(self) -> list[DocumentSummary]:
        """GET /v1/documents: every document (following `next_cursor` pages if any)."""
        return _collect(lambda cursor: _document_page(self._send(_documents(cursor))))

    def document(self, doc_id: str) -> Document:
        """GET /v1/documents/{id}: one document with its text and passages."""
        return Document.from_json(self._send(_Request("GET", f"/v1/documents/{_segment(doc_id)}")))

    def passage(self, passage_id: str) -> StoredPassage:
        """GET /v1/passages/{id}."""
        path = f"/v1/passages/{_segment(passage_id)}"
        return StoredPassage.from_json(self._send(_Request("GET", path)))

    def add_document(
        self,
        id: str,
        text: str,
        *,
        title: str = "",
        source: str = "",
        url: str = "",
        published: str = "",
    ) -> WriteResult:
        """POST /v1/documents: add or replace an article (needs the API key when one is set)."""
        request = _add_document(id, text, title, source, url, published)
        return WriteResult.from_json(self._send(request))

    def delete_document(self, doc_id: str) -> WriteResult:
        """DELETE /v1/documents/{id}."""
        path = f"/v1/documents/{_segment(doc_id)}"
        return WriteResult.from_json(self._send(_Request("DELETE", path, reads_only=False)))


class AsyncSaysoClient(_Base):
    """The asynchronous twin of SaysoClient: the same methods, awaited."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        backoff: float = DEFAULT_BACKOFF_S,
        verify: ssl.SSLContext | bool = True,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        super().__init__(base_url, api_key, timeout, retries, backoff, verify)
        self._http = httpx.AsyncClient(transport=transport, **self._options)

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        await self._http.aclose()

    async def _send(self, request: _Request) -> Any:
        attempt = 0
        while True:
            try:
                response = await self._http.request(
                    request.method, request.path, params=request.params, json=request.json
                )
            except httpx.TransportError as exc:
                if attempt >= self.retries or not _retryable(request, exc):
                    raise self._unreachable(exc) from exc
                await asyncio.sleep(self._delay(attempt))
            else:
                if response.is_success:
                    return response.json()
                wait = self._next_wait(attempt, response)
                if wait is None:
                    raise _error(response)
                await asyncio.sleep(wait)
            attempt += 1

    async def ready(self) -> dict[str, Any]:
        data: dict[str, Any] = await self._send(_Request("GET", "/readyz"))
        return data

    async def search(
        self,
        question: str,
        k: int = 5,
        mode: str | None = None,
        doc_ids: Sequence[str] | None = None,
        speaker: str | None = None,
        rerank: bool | None = None,
    ) -> SearchResult:
        request = _search(question, k, mode, doc_ids, speaker, rerank)
        return SearchResult.from_json(await self._send(request))

    async def context(
        self,
        question: str | None = None,
        messages: Sequence[Mapping[str, str]] | None = None,
        k: int = 5,
        max_tokens: int = 800,
        mode: str | None = None,
        doc_ids: Sequence[str] | None = None,
    ) -> Context:
        request = _context(question, messages, k, max_tokens, mode, doc_ids)
        return Context.from_json(await self._send(request))

    async def quotes(
        self,
        speaker: str | None = None,
        doc_id: str | None = None,
        q: str | None = None,
        limit: int = 50,
    ) -> list[Quote]:
        return _quote_list(await self._send(_quotes(speaker, doc_id, q, limit)))

    async def extract(self, text: str, title: str = "") -> list[Quote]:
        request = _Request("POST", "/v1/extract", json={"text": text, "title": title})
        return _quote_list(await self._send(request))

    async def documents(self) -> list[DocumentSummary]:
        found: list[DocumentSummary] = []
        cursor: str | None = None
        while True:
            page, cursor = _document_page(await self._send(_documents(cursor)))
            found.extend(page)
            if not cursor:
                return found

    async def document(self, doc_id: str) -> Document:
        path = f"/v1/documents/{_segment(doc_id)}"
        return Document.from_json(await self._send(_Request("GET", path)))

    async def passage(self, passage_id: str) -> StoredPassage:
        path = f"/v1/passages/{_segment(passage_id)}"
        return StoredPassage.from_json(await self._send(_Request("GET", path)))

    async def add_document(
        self,
        id: str,
        text: str,
        *,
        title: str = "",
        source: str = "",
        url: str = "",
        published: str = "",
    ) -> WriteResult:
        request = _add_document(id, text, title, source, url, published)
        return WriteResult.from_json(await self._send(request))

    async def delete_document(self, doc_id: str) -> WriteResult:
        path = f"/v1/documents/{_segment(doc_id)}"
        return WriteResult.from_json(await self._send(_Request("DELETE", path, reads_only=False)))


def _segment(segment: str) -> str:
    """A path segment, percent-encoded (ids may hold characters like '#')."""
    return quote(segment, safe="")


Page = tuple[list[DocumentSummary], str | None]


def _collect(page: Callable[[str | None], Page]) -> list[DocumentSummary]:
    found: list[DocumentSummary] = []
    cursor: str | None = None
    while True:
        items, cursor = page(cursor)
        found.extend(items)
        if not cursor:
            return found
