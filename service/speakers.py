"""Speaker routes: the directory of people and organisations quoted across the archive."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from index.quotes.directory import SpeakerEntry
from service.deps import SearcherDep
from service.errors import ApiError
from service.pages import page
from service.routes import CURSOR_HELP, ERRORS, quote_key, quote_out
from service.schemas import SpeakerDetailOut, SpeakerEntryOut, SpeakersOut

router = APIRouter(responses=ERRORS, tags=["speakers"])


def _fields(entry: SpeakerEntry) -> dict[str, Any]:
    return {
        "id": entry.id,
        "name": entry.name,
        "kind": entry.kind,
        "names": list(entry.names),
        "titles": list(entry.titles),
        "organizations": list(entry.organizations),
        "documents": entry.documents,
    }


def _rank(entry: SpeakerEntry) -> list[Any]:
    return [-entry.quotes, entry.id]


@router.get("/v1/speakers", response_model=SpeakersOut, operation_id="list_speakers")
def list_speakers(
    searcher: SearcherDep,
    q: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="Only speakers with a name variant (or id) containing this, "
            "ignoring case and accents",
        ),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=1000, description="Speakers per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=2000, description=CURSOR_HELP)] = None,
) -> SpeakersOut:
    """People and organisations quoted in the archive, most quoted first, one id each
    (names linked across articles: "Donald J. Trump", "Mr. Trump")."""
    directory = searcher.index.speakers
    found = directory.search(q) if q is not None else sorted(directory.speakers, key=_rank)
    chosen, next_cursor = page(found, "speakers", _rank, limit, cursor)
    return SpeakersOut(
        speakers=[SpeakerEntryOut(**_fields(e), quotes=e.quotes) for e in chosen],
        next_cursor=next_cursor,
    )


@router.get(
    "/v1/speakers/{speaker_id}", response_model=SpeakerDetailOut, operation_id="get_speaker"
)
def get_speaker(
    speaker_id: str,
    searcher: SearcherDep,
    limit: Annotated[int, Query(ge=1, le=1000, description="Quotes per page")] = 50,
    cursor: Annotated[str | None, Query(max_length=2000, description=CURSOR_HELP)] = None,
) -> SpeakerDetailOut:
    """One speaker with its quotes, in document order, a page at a time."""
    entry = searcher.index.speakers.get(speaker_id)
    if entry is None:
        raise ApiError(404, "speaker_not_found", f"There is no speaker with id {speaker_id!r}.")
    found = searcher.find_quotes(speaker=entry.id, limit=len(searcher.quotes))
    found.sort(key=lambda s: quote_key(s.quote))
    chosen, next_cursor = page(found, "speaker-quotes", lambda s: quote_key(s.quote), limit, cursor)
    return SpeakerDetailOut(
        **_fields(entry),
        quotes=[quote_out(s.quote, s.passage_id, None) for s in chosen],
        quote_count=entry.quotes,
        next_cursor=next_cursor,
    )
