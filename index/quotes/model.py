"""Quote and Speaker: the immutable records the quote extractor produces."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

KINDS = ("direct", "indirect")
# The version of the extraction rules. Raise it when a change alters what they extract:
# an index built under another version extracts its quotes again (index.build).
RULES_VERSION = 6


@dataclass(frozen=True)
class Speaker:
    """Who is quoted: full `name`, the whole descriptor as `title`, and its organisation.

    `id` is the speaker directory's id for the person (index.quotes.directory), set when
    the quote is indexed and linked; "" otherwise (and always for fresh extractions).
    """

    name: str
    title: str = ""
    organization: str = ""
    id: str = ""

    def to_json(self) -> dict[str, str]:
        row = {"name": self.name, "title": self.title, "organization": self.organization}
        return row | ({"id": self.id} if self.id else {})

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Speaker:
        return cls(
            name=str(row["name"]),
            title=str(row.get("title", "") or ""),
            organization=str(row.get("organization", "") or ""),
            id=str(row.get("id", "") or ""),
        )


@dataclass(frozen=True)
class Quote:
    """One attributed statement: `document.text[start:end] == text` (character offsets).

    For direct quotes `text` is the words inside the quote marks (a trailing comma that
    belongs to the attribution is dropped); for indirect ones it is the reported content.
    """

    id: str
    doc_id: str
    text: str
    kind: str
    start: int
    end: int
    cue: str
    speaker: Speaker

    def to_json(self) -> dict[str, Any]:
        """The DESIGN.md Quote shape without `passage_id` and `score` (the indexer adds them)."""
        return {
            "id": self.id,
            "doc_id": self.doc_id,
            "text": self.text,
            "kind": self.kind,
            "start": self.start,
            "end": self.end,
            "cue": self.cue,
            "speaker": self.speaker.to_json(),
        }

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Quote:
        kind = str(row["kind"])
        if kind not in KINDS:
            raise ValueError(f"unknown quote kind {kind!r}; expected one of {', '.join(KINDS)}")
        return cls(
            id=str(row["id"]),
            doc_id=str(row["doc_id"]),
            text=str(row["text"]),
            kind=kind,
            start=int(row["start"]),
            end=int(row["end"]),
            cue=str(row.get("cue", "") or ""),
            speaker=Speaker.from_json(row["speaker"]),
        )
