"""Token counting with the embedding model's own tokenizer (tokenizer.json, loaded once)."""

from __future__ import annotations

import logging
from functools import lru_cache
from pathlib import Path
from typing import Protocol

from index.models.encoder import bundled_model_path, resolve_model

log = logging.getLogger(__name__)


class TokenCounter(Protocol):
    """Counts the tokens of a text (without the special tokens a model adds)."""

    def __call__(self, text: str) -> int: ...


class TokenizerCounter:
    """Counts word pieces with a Hugging Face `tokenizers` tokenizer.json."""

    def __init__(self, path: Path) -> None:
        from tokenizers import Tokenizer

        self.path = path
        self._tokenizer = Tokenizer.from_file(str(path))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()

    def __call__(self, text: str) -> int:
        return len(self._tokenizer.encode(text, add_special_tokens=False).ids)


def tokenizer_path(model: str) -> Path:
    """The tokenizer.json of `model` if it is a local folder with one, else the bundled
    all-MiniLM-L6-v2's (also what a hub name or a test's fake model falls back to)."""
    try:
        candidate = Path(resolve_model(model)) / "tokenizer.json"
    except (RuntimeError, ValueError):  # ValueError: a packaged model not installed
        candidate = Path()
    if candidate.is_file():
        return candidate
    return bundled_model_path() / "tokenizer.json"


@lru_cache(maxsize=4)
def token_counter(model: str) -> TokenCounter:
    """The token counter for `model`, built once per process and model name."""
    path = tokenizer_path(model)
    log.info("counting tokens with %s", path)
    return TokenizerCounter(path)
