"""Dependencies: Annotated aliases that hand routes what they need from app state."""

from __future__ import annotations

import hmac
import ipaddress
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from index.disk import current_version
from index.models.tokens import TokenCounter, token_counter
from index.search import Searcher
from index.updates import IndexHolder
from service.errors import ApiError
from service.settings import Settings

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})
"""Probes and scrapes stay open even when reads are protected."""


async def get_settings(request: Request) -> Settings:
    # async: a plain read of app state needs no threadpool hop (every request pays them).
    settings: Settings = request.app.state.settings
    return settings


SettingsDep = Annotated[Settings, Depends(get_settings)]


def current_searcher(request: Request) -> Searcher | None:
    """The live searcher, after adopting an index version another process made live."""
    holder: IndexHolder | None = getattr(request.app.state, "holder", None)
    if holder is not None:
        holder.refresh()
    searcher: Searcher | None = request.app.state.searcher
    return searcher


def live_searcher(state: State) -> Searcher:
    """The live searcher of an app's state (see current_searcher); 503 before it loads.
    For edges that have no request of their own (the MCP tools)."""
    holder: IndexHolder | None = getattr(state, "holder", None)
    if holder is not None:
        holder.refresh()
    searcher: Searcher | None = state.searcher
    if searcher is None:
        reason = state.load_error or "the index is still loading"
        raise ApiError(503, "not_ready", f"The service is not ready: {reason}.")
    return searcher


async def get_searcher(request: Request) -> Searcher:
    """The live searcher. On the event loop (no threadpool hop per request): CURRENT is
    read here, and only a version change (a rare reload) goes to a worker thread."""
    state = request.app.state
    holder: IndexHolder | None = getattr(state, "holder", None)
    served: Searcher | None = state.searcher
    if holder is not None and served is not None:
        live = current_version(holder.root)
        moved = live is not None and live.name != served.index.manifest.index_id
        if moved or holder.follows_store:
            await run_in_threadpool(holder.refresh)
    searcher: Searcher | None = state.searcher
    if searcher is None:
        return live_searcher(state)  # the 503 (or the index that loaded meanwhile)
    return searcher


def live_holder(state: State) -> IndexHolder:
    """The IndexHolder that writes go through; 503 before the index loads."""
    holder: IndexHolder | None = getattr(state, "holder", None)
    if holder is None:
        live_searcher(state)  # not loaded yet: the same 503
        raise ApiError(503, "not_ready", "The service is not ready: the index cannot be updated.")
    return holder


def get_holder(request: Request) -> IndexHolder:
    return live_holder(request.app.state)


def is_loopback(host: str) -> bool:
    """True for 127.0.0.0/8, ::1 and localhost: addresses only this machine can reach."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _check_key(request: Request, key: str) -> None:
    header = request.headers.get("authorization", "")
    scheme, _, given = header.partition(" ")
    if scheme.lower() != "bearer" or not given.strip():
        raise ApiError(
            401,
            "unauthorized",
            "This endpoint needs the header 'Authorization: Bearer <SAYSO_API_KEY>'.",
            headers={"WWW-Authenticate": "Bearer"},
        )
    if not hmac.compare_digest(given.strip().encode(), key.encode()):
        raise ApiError(
            401,
            "unauthorized",
            "The API key is not valid; send the key the service was started with.",
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )


BEARER = HTTPBearer(
    auto_error=False,
    scheme_name="bearer",
    description="SAYSO_API_KEY, as `Authorization: Bearer <key>`: needed for writes when a key "
    "is set, and for reads too with SAYSO_PROTECT_READS",
)
"""Declares the scheme in the OpenAPI (the Authorize button of /docs); never refuses a
request itself: _check_key does, with the JSON error shape."""
BearerDep = Annotated[HTTPAuthorizationCredentials | None, Security(BEARER)]


def require_writer(request: Request, settings: SettingsDep, _: BearerDep) -> None:
    """Writes need the API key when one is set; without one, only a loopback-bound service
    accepts them (anyone who can reach a public address could otherwise change the corpus)."""
    if settings.api_key:
        _check_key(request, settings.api_key)
    elif not is_loopback(settings.host):
        raise ApiError(
            403,
            "writes_disabled",
            f"Writes are disabled: the service listens on {settings.host} without an API key; "
            "set SAYSO_API_KEY (or bind to 127.0.0.1) to allow them.",
        )


def write_access(settings: Settings) -> Literal["open", "key", "disabled"]:
    """Who may write, as require_writer decides: anyone (loopback, no key), holders of the
    API key, or nobody (a public address without a key)."""
    if settings.api_key:
        return "key"
    return "open" if is_loopback(settings.host) else "disabled"


def require_reader(request: Request, settings: SettingsDep) -> None:
    """Reads are open unless SAYSO_PROTECT_READS is on and an API key is set."""
    if settings.protect_reads and settings.api_key and request.url.path not in OPEN_PATHS:
        _check_key(request, settings.api_key)


async def reader_access(request: Request, settings: SettingsDep) -> None:
    """require_reader as the app-wide dependency: async, so no request pays a threadpool
    hop for it (it only compares a header)."""
    require_reader(request, settings)


SearcherDep = Annotated[Searcher, Depends(get_searcher)]


def get_token_counter(settings: Annotated[Settings, Depends(get_settings)]) -> TokenCounter:
    """The embedding model's tokenizer as a counter, loaded once per process."""
    return token_counter(settings.model)


TokenCounterDep = Annotated[TokenCounter, Depends(get_token_counter)]
HolderDep = Annotated[IndexHolder, Depends(get_holder)]
WriterDep = Annotated[None, Depends(require_writer)]
