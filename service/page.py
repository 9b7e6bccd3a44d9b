"""The page at `/`: static HTML, CSS and JavaScript shipped inside the package, and the
example questions it offers, drawn from the indexed articles."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, FastAPI, Query
from fastapi.responses import FileResponse
from fastapi.staticfiles import StaticFiles

from index.quotes.model import Quote
from service.deps import SearcherDep
from service.routes import ERRORS
from service.schemas import ExampleOut, ExamplesOut

STATIC = Path(__file__).resolve().parent / "static"
TITLE_WORDS = 12
"""A document title used as a question is cut to this many words."""
QUESTION_TITLE_WORDS = 8
"""A speaker's title longer than this makes a clumsy question: ask by name instead."""

router = APIRouter(include_in_schema=False)
api = APIRouter(responses=ERRORS, tags=["page"])


PAGE_HEADERS = {
    # The page loads its script and styles from /static and calls this API only: no inline
    # script, no other origin, no framing (clickjacking).
    "Content-Security-Policy": "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


@router.get("/")
def page() -> FileResponse:
    """The page (its shell needs no key: it asks for one and sends it with its calls)."""
    return FileResponse(STATIC / "index.html", media_type="text/html", headers=PAGE_HEADERS)


def _ask_about(quote: Quote, turn: int) -> str:
    """Every other speaker is asked about by title ("Who is the head of X?") or else by
    organisation, when short enough to read as a question; the rest by name."""
    speaker = quote.speaker
    title = speaker.title.removeprefix("the ")
    if turn % 2 and len(title.split()) <= QUESTION_TITLE_WORDS:
        return f"Who is the {title}?"
    if turn % 2 and 0 < len(speaker.organization.split()) <= QUESTION_TITLE_WORDS:
        return f"Who spoke for {speaker.organization}?"
    return f"What did {speaker.name} say?"


def example_questions(
    documents: dict[str, str], quotes: list[Quote], limit: int
) -> list[ExampleOut]:
    """Questions the index can answer, from its quotes: one per person quoted (named with
    a title, most quoted first). A document without such a speaker offers its title.
    Documents take turns, so one article does not take every example. `documents` maps
    ids to titles."""
    counts = Counter(q.speaker.name for q in quotes if q.speaker.title)
    per_doc: dict[str, list[ExampleOut]] = {doc_id: [] for doc_id in documents}
    seen: set[str] = set()
    for quote in sorted(quotes, key=lambda q: (-counts[q.speaker.name], q.doc_id, q.start)):
        name = quote.speaker.name
        if not quote.speaker.title or name in seen or quote.doc_id not in per_doc:
            continue
        seen.add(name)
        question = _ask_about(quote, len(seen) - 1)
        per_doc[quote.doc_id].append(ExampleOut(question=question, doc_id=quote.doc_id))
    for doc_id, title in documents.items():
        words = title.rstrip("…. ").split()
        if not per_doc[doc_id] and words:
            question = " ".join(words[:TITLE_WORDS])
            per_doc[doc_id].append(ExampleOut(question=question, doc_id=doc_id))
    turns = [examples for examples in per_doc.values() if examples]
    found: list[ExampleOut] = []
    for round_ in range(max((len(t) for t in turns), default=0)):
        found += [examples[round_] for examples in turns if round_ < len(examples)]
    return found[:limit]


@api.get("/v1/examples", response_model=ExamplesOut, operation_id="list_examples")
def examples(searcher: SearcherDep, limit: Annotated[int, Query(ge=1, le=50)] = 6) -> ExamplesOut:
    """Example questions drawn from the indexed articles (their speakers and titles)."""
    titles = {doc.id: doc.title for doc in searcher.index.documents.values()}
    return ExamplesOut(examples=example_questions(titles, list(searcher.index.quotes), limit))


def install_page(app: FastAPI) -> None:
    """Serve `/`, its assets under `/static` (nothing is fetched from the internet) and the
    example questions."""
    app.include_router(router)
    app.include_router(api)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
