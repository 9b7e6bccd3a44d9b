"""The app factory: create_app() builds a FastAPI app whose lifespan loads the index."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anyio.to_thread
from fastapi import Depends, FastAPI, Request, Security
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import Response
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.routing import Route

from index.search import Searcher
from index.updates import IndexHolder
from service import __version__
from service.apidocs import install_docs, operation_id
from service.chat import router as chat_router
from service.deps import BEARER, live_holder, live_searcher, reader_access
from service.errors import install_error_handlers
from service.extraction import ExtractGate
from service.indexing import load_searcher
from service.limits import BodySizeLimit, RateLimit
from service.logs import configure_logging
from service.mcp_http import McpEndpoint
from service.openai_chat import router as openai_router
from service.page import install_page
from service.routes import router
from service.settings import Settings, load_settings
from service.speakers import router as speakers_router
from service.telemetry import REQUEST_ID_HEADER, Metrics, RequestTelemetry
from service.tools import router as tools_router
from service.writes import install_document_schemas, write_gate
from service.writes import router as write_router

log = logging.getLogger(__name__)


def serve_searcher(app: FastAPI, settings: Settings, searcher: Searcher) -> None:
    """Make `searcher` live, with an IndexHolder for writes to `settings.index_dir`."""

    def publish(new: Searcher) -> None:
        app.state.searcher = new

    app.state.holder = IndexHolder(settings.index_dir, searcher, on_swap=publish)
    app.state.searcher = searcher


def _load_in_background(app: FastAPI, settings: Settings) -> threading.Thread:
    def load() -> None:
        try:
            serve_searcher(app, settings, load_searcher(settings))
            log.info("index loaded from %s", settings.index_dir)
        except Exception as exc:  # reported by /readyz, never fatal to the process
            log.error("could not load the index: %s", exc)
            app.state.load_error = str(exc)

    thread = threading.Thread(target=load, name="sayso-load", daemon=True)
    thread.start()
    return thread


def _index_state(app: FastAPI) -> dict[str, Any]:
    holder: IndexHolder | None = getattr(app.state, "holder", None)
    if holder is not None:
        holder.refresh()  # the version another replica made live, as requests see it
    searcher: Searcher | None = getattr(app.state, "searcher", None)
    manifest = searcher.index.manifest if searcher else None
    return {
        "documents": manifest.documents if manifest else 0,
        "passages": manifest.passages if manifest else 0,
        "builds": getattr(app.state, "builds", 0),
        "updates": holder.updates if holder else 0,
    }


def create_app(
    settings: Settings | None = None,
    searcher: Searcher | None = None,
    *,
    startup_builds: int = 0,
    wait_for_index: bool = False,
) -> FastAPI:
    """A sayso app. With `searcher`, it serves that; otherwise its lifespan loads the index
    from `settings.index_dir` in the background (/readyz says when it is ready).
    `startup_builds` counts full builds done before serving (for /metrics). With
    `wait_for_index`, startup waits for the load, so the server accepts connections only
    once it can answer them (workers sharing one socket: the ready ones take the traffic).

    Without `settings`, they come from SAYSO_* variables, validated now: a bad value raises
    SettingsError naming the variable, before anything is served. Logging is configured
    here and again at startup (after uvicorn's own), so every way of starting logs alike.
    """
    settings = settings or load_settings()
    configure_logging(settings.log_level)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        configure_logging(settings.log_level)
        app.state.settings = settings
        app.state.searcher = None
        app.state.holder = None
        app.state.load_error = None
        app.state.builds = startup_builds
        app.state.extract_gate = ExtractGate.from_settings(settings)
        app.state.write_gate = write_gate(settings)
        if searcher is None:
            loading = _load_in_background(app, settings)
            if wait_for_index:
                await anyio.to_thread.run_sync(loading.join)
        else:
            serve_searcher(app, settings, searcher)
        async with mcp.run():
            yield
        app.state.extract_gate.close()
        app.state.write_gate.close()

    # With protected reads every route shows the lock in /docs, so "Try it out" sends the key.
    protected = settings.protect_reads and settings.api_key is not None
    reads_need_key = [Security(BEARER)] if protected else []
    app = FastAPI(
        title="sayso",
        summary="Question answering over news: passages and the quotes that matter.",
        version=__version__,
        lifespan=lifespan,
        dependencies=[Depends(reader_access), *reads_need_key],
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=operation_id,
        # No redirect from /path/ to /path: Starlette builds its Location from the Host
        # header, which a client controls. A trailing slash is a 404 in the error shape.
        redirect_slashes=False,
    )
    install_error_handlers(app)
    install_docs(app)
    install_document_schemas(app)
    app.include_router(router)
    app.include_router(speakers_router)
    app.include_router(chat_router)
    app.include_router(tools_router)
    app.include_router(openai_router)
    mcp = McpEndpoint(settings, lambda: live_searcher(app.state), lambda: live_holder(app.state))
    app.router.routes.append(Route("/mcp", mcp, include_in_schema=False))  # an ASGI app
    install_page(app)
    app.include_router(write_router)
    metrics = Metrics(lambda: _index_state(app))

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        """Prometheus text format: per-route requests and latency, index size, builds."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    # Added innermost first: telemetry wraps everything, so 413s and 429s are logged too.
    app.add_middleware(BodySizeLimit, settings=settings)
    if settings.rate_limit > 0:
        app.add_middleware(RateLimit, settings=settings)
    app.add_middleware(RequestTelemetry, metrics=metrics, trusted_proxies=settings.trusted_proxies)
    if settings.cors_origins:
        # Outermost, so errors from the limits carry CORS headers too. Closed unless configured.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type", REQUEST_ID_HEADER],
            # Browser code may read these: the id to quote in a bug report, when to retry.
            expose_headers=[REQUEST_ID_HEADER, "Retry-After"],
            max_age=600,
        )
    return app


def create_worker_app() -> FastAPI:
    """The app one of `sayso serve --workers N`'s processes serves: settings from SAYSO_*
    variables (the command exported its flags), the index loaded before it accepts."""
    return create_app(wait_for_index=True)
