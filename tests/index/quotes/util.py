"""What the quote tests share: the seed article, its gold quotes, offset checks."""

from __future__ import annotations

from index.quotes import Quote, extract_quotes
from tests.conftest import ROOT

SEED = ROOT / "seeds" / "china-daily-new-quality-productive-forces.txt"
GOLD = ROOT / "evals" / "data" / "seed_quotes_gold.json"


def check_offsets(text: str, quotes: list[Quote]) -> None:
    for quote in quotes:
        assert text[quote.start : quote.end] == quote.text
    assert [q.start for q in quotes] == sorted(q.start for q in quotes)


def direct(text: str) -> list[Quote]:
    return [q for q in extract_quotes(text, "t") if q.kind == "direct"]


def only(text: str, kind: str = "direct") -> Quote:
    quotes = [q for q in extract_quotes(text, "t") if q.kind == kind]
    check_offsets(text, quotes)
    assert len(quotes) == 1, quotes
    return quotes[0]


def hand_quotes(rows: list[tuple[str, str, str, str, int, str, bool]]) -> list[Quote]:
    """Quotes from a hand-parsed Doc: (word, pos, tag, dependency, head, entity IOB, space
    after) rows, the small model's mistakes written out so the test pins the rule."""
    from spacy.tokens import Doc

    from index.quotes.extract import quotes_from_doc
    from index.quotes.nlp import pipeline

    words, pos, tags, deps, heads, ents, spaces = (
        list(column) for column in zip(*rows, strict=True)
    )
    lemmas = {
        "said": "say",
        "asked": "ask",
        "won": "win",
        "is": "be",
        "did": "do",
        "spoke": "speak",
        "urged": "urge",
        "called": "call",
    }
    doc = Doc(
        pipeline().vocab,
        words=words,
        spaces=spaces,
        pos=pos,
        tags=tags,
        deps=deps,
        heads=heads,
        ents=ents,
        lemmas=[lemmas.get(w, w.lower()) for w in words],
    )
    quotes = quotes_from_doc(doc, "t")
    check_offsets(doc.text, quotes)
    return quotes
