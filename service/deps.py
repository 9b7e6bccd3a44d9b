"""Dependencies: Annotated aliases that hand routes what they need from app state."""

from __future__ import annotations

import hmac
from typing import Annotated, Literal

from fastapi import Depends, Request, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import SecretStr
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import State

from index.disk import current_version
from index.models.tokens import TokenCounter, token_counter
from index.search import Searcher
from index.updates import IndexHolder
from service.clients import is_local, is_loopback
from service.errors import ApiError
from service.listening import listening_sockets
from service.settings import Settings

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics", "/", "/favicon.ico"})
"""Probes, scrapes and the page shell stay open even when reads are protected (the page
asks for the key and sends it with its own API calls)."""
OPEN_PREFIXES = ("/static/",)
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})


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


def _check_key(request: Request, secret: SecretStr) -> None:
    key = secret.get_secret_value()
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


def _host_name(value: str) -> str:
    """The name in a Host header, without port or IPv6 brackets, lower case."""
    value = value.strip().lower()
    if value.startswith("["):
        return value[1 : value.find("]")] if "]" in value else value
    return value.rsplit(":", 1)[0] if value.count(":") == 1 else value


def allowed_hosts(request: Request, settings: Settings) -> set[str]:
    """SAYSO_ALLOWED_HOSTS, or by default the loopback names, SAYSO_HOST and the address
    this connection reached (the socket the server is bound to)."""
    if settings.allowed_hosts:
        return {_host_name(host) for host in settings.allowed_hosts}
    server = request.scope.get("server")
    bound = {str(server[0]).lower()} if server else set()
    return set(LOOPBACK_NAMES) | {settings.host.lower()} | bound


def _check_host(request: Request, settings: Settings) -> None:
    """A write's Host must be one this server answers to: a page on another site that
    re-points its own name at 127.0.0.1 (DNS rebinding) still sends its own name."""
    hosts = allowed_hosts(request, settings)
    host = _host_name(request.headers.get("host", ""))
    if "*" not in hosts and host not in hosts:
        raise ApiError(
            403,
            "host_not_allowed",
            f"Writes are refused for Host {host!r}; add it to SAYSO_ALLOWED_HOSTS to allow it.",
        )


def _check_origin(request: Request) -> None:
    """A key-less write from a browser page must come from this server's own page: CORS
    settings never open writes without a key."""
    origin = request.headers.get("origin")
    if origin is None:
        return
    host = request.headers.get("host", "")
    if origin.lower() not in (f"http://{host}".lower(), f"https://{host}".lower()):
        raise ApiError(
            403,
            "cross_origin_write",
            "Writes from another site's page need the API key; set SAYSO_API_KEY.",
        )


def public_listeners(state: State) -> list[str] | None:
    """The addresses other than loopback that this process listens on (0.0.0.0, ::, an
    interface's), looked up once per app, at its first key-less write (service.listening),
    and kept; None where the system cannot say (not Linux)."""
    if not hasattr(state, "public_listeners"):
        found = listening_sockets()
        public = None if found is None else {s.address for s in found}
        state.public_listeners = (
            None
            if public is None
            else sorted(address for address in public if not is_loopback(address))
        )
    listeners: list[str] | None = state.public_listeners
    return listeners


def _disabled(address: str) -> ApiError:
    return ApiError(
        403,
        "writes_disabled",
        f"Writes are disabled: the service listens on {address} without an API key; "
        "set SAYSO_API_KEY (or bind to 127.0.0.1) to allow them.",
    )


def require_writer(request: Request, settings: SettingsDep, _: BearerDep) -> None:
    """Writes need the API key when one is set. Without one, only this machine may write:
    a loopback client on a loopback socket (whichever way the server was started), not
    through a proxy unless it is trusted (SAYSO_TRUSTED_PROXIES), with a Host this server
    answers to and no other site's Origin.

    "A loopback socket" means every socket the process listens on: a server bound to
    0.0.0.0 also takes the network's connections, though a local client reaching it
    through 127.0.0.1 looks loopback in the request. Where the listening sockets cannot be
    read (no /proc: not Linux), only the connection's own address is checked."""
    if settings.api_key is not None:
        if settings.allowed_hosts:
            _check_host(request, settings)
        _check_key(request, settings.api_key)
        return
    if not is_loopback(settings.host):
        raise _disabled(settings.host)
    public = public_listeners(request.app.state)
    if public:
        raise _disabled(public[0])
    if not is_local(request.scope, settings.trusted_proxies):
        raise ApiError(
            403,
            "writes_disabled",
            "Writes without an API key are accepted only from this machine (a loopback "
            "client on a loopback address); set SAYSO_API_KEY to allow them from elsewhere.",
        )
    _check_host(request, settings)
    _check_origin(request)


def write_access(
    settings: Settings, listeners: list[str] | None = None
) -> Literal["open", "key", "disabled"]:
    """Who may write, as require_writer decides: anyone (loopback, no key), holders of the
    API key, or nobody (a public address without a key: SAYSO_HOST, or one of the
    `listeners` that public_listeners found)."""
    if settings.api_key is not None:
        return "key"
    return "open" if is_loopback(settings.host) and not listeners else "disabled"


def require_reader(request: Request, settings: SettingsDep) -> None:
    """Reads are open unless SAYSO_PROTECT_READS is on (settings make sure a key is set);
    probes and the page shell stay open."""
    path = request.url.path
    if path in OPEN_PATHS or path.startswith(OPEN_PREFIXES):
        return
    if settings.protect_reads and settings.api_key is not None:
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
