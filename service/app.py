"""The app factory: create_app() builds a FastAPI app whose lifespan loads the index."""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware

from index.search import Searcher
from service.chat import router as chat_router
from service.errors import install_error_handlers
from service.page import install_page
from service.routes import router
from service.settings import Settings

if TYPE_CHECKING:
    from index.dense import Encoder
    from index.store import Index
    from index.stores import PassageStore

log = logging.getLogger(__name__)


def load_searcher(settings: Settings) -> Searcher:
    """Load the encoder and the live index named by `settings` (raises IndexStoreError)."""
    from index.dense import SentenceTransformerEncoder
    from index.store import read_index

    index = read_index(settings.index_dir, model=settings.model)
    return searcher_for(index, SentenceTransformerEncoder(settings.model), settings)


def open_configured_store(index: Index, settings: Settings, *, sync: bool = False) -> PassageStore:
    """The store `settings` selects, over passages embedded like `index`. With `sync`, it
    is first brought up to date with the index (changed documents only); serving workers
    do not sync, `sayso build` and `sayso serve` do."""
    from index.stores import open_store, sync_store

    store = open_store(settings.store_config(), index, settings.index_dir)
    if sync:
        written, removed = sync_store(store, index)
        if written or removed:
            log.info(
                "store %s: %d document(s) written, %d removed", settings.store, written, removed
            )
    return store


def searcher_for(
    index: Index, encoder: Encoder, settings: Settings, *, sync: bool = False
) -> Searcher:
    """A Searcher over `index` whose retrieval runs on the store `settings` selects."""
    store = open_configured_store(index, settings, sync=sync)
    return Searcher(index, encoder, fusion=settings.fusion, store=store)


def _load_in_background(app: FastAPI, settings: Settings) -> threading.Thread:
    def load() -> None:
        try:
            app.state.searcher = load_searcher(settings)
            log.info("index loaded from %s", settings.index_dir)
        except Exception as exc:  # reported by /readyz, never fatal to the process
            log.error("could not load the index: %s", exc)
            app.state.load_error = str(exc)

    thread = threading.Thread(target=load, name="sayso-load", daemon=True)
    thread.start()
    return thread


def create_app(settings: Settings | None = None, searcher: Searcher | None = None) -> FastAPI:
    """A sayso app. With `searcher`, it serves that; otherwise its lifespan loads the index
    from `settings.index_dir` in the background (/readyz says when it is ready)."""
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.settings = settings
        app.state.searcher = searcher
        app.state.load_error = None
        if searcher is None:
            _load_in_background(app, settings)
        yield

    app = FastAPI(
        title="sayso",
        summary="Question answering over news: passages and the quotes that matter.",
        version="0.1.0",
        lifespan=lifespan,
    )
    install_error_handlers(app)
    if settings.cors_origins:
        # Closed unless configured: browsers on other origins may then read responses.
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST", "DELETE", "OPTIONS"],
            allow_headers=["Authorization", "Content-Type"],
            max_age=600,
        )
    app.include_router(router)
    app.include_router(chat_router)
    install_page(app)
    return app
