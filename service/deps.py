"""Dependencies: Annotated aliases that hand routes what they need from app state."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from index.search import Searcher
from index.tokens import TokenCounter, token_counter
from service.errors import ApiError
from service.settings import Settings


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_searcher(request: Request) -> Searcher:
    searcher: Searcher | None = request.app.state.searcher
    if searcher is None:
        reason = request.app.state.load_error or "the index is still loading"
        raise ApiError(503, "not_ready", f"The service is not ready: {reason}.")
    return searcher


SettingsDep = Annotated[Settings, Depends(get_settings)]
SearcherDep = Annotated[Searcher, Depends(get_searcher)]


def get_token_counter(settings: Annotated[Settings, Depends(get_settings)]) -> TokenCounter:
    """The embedding model's tokenizer as a counter, loaded once per process."""
    return token_counter(settings.model)


TokenCounterDep = Annotated[TokenCounter, Depends(get_token_counter)]
