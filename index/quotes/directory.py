"""Speaker directory: the people and organisations quoted across an archive, one id each.

Within an article the extractor already resolves "he" and "Li" to a full name
(index.quotes.speakers). The directory links those names across articles:

- a person's full name is keyed by first name and surname, with honorifics and titles
  before it ("Mr.", "Sen.", "President") and middle initials set aside, so "Donald J.
  Trump", "Donald Trump" and "Billionaire Donald Trump" are one person. When two full names
  with different middle initials share a key ("George W. Bush", "George H. W. Bush"), they
  stay apart, and the bare "George Bush" is linked to neither;
- a surname alone ("Trump", "Mr. Trump") is linked to the one full name with that surname
  among the same article's speakers, else to the one full name with that surname in the
  archive. With two or more candidates it is linked to none ("Clinton": Bill and Hillary),
  unless one of them is quoted by full name DOMINANCE times as often as all the others
  together ("Trump": Donald, not Melania). A suffix makes another person ("Donald Trump
  Jr."), reached by the full name only;
- organisations ("Fox News", "the White House", "GOP") are never merged with people;
- phrases that are not names ("early results", "the judge", "I") get no id.

The directory is a pure function of the quotes: deterministic, rebuilt in full on every
index update (a new article can make a surname ambiguous), and stored in the index
version as `speakers.json` (schema-versioned plain JSON).
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from index.quotes.lexicon import ORG_NOUNS, PRONOUNS, SOURCE_NOUNS, SPEECH_NOUNS
from index.quotes.model import Quote

DIRECTORY_SCHEMA = 1
"""Version of `speakers.json`; raise it when its shape or the linking rules change."""
FILE_NAME = "speakers.json"
DOMINANCE = 10
"""A surname shared by several people is linked to one of them only when that one is
quoted by full name at least this many times as often as all the others together (in an
archive of 2016 politics "Trump" is Donald, not Melania); 0 would link every surname to the
most quoted person, infinity to no one when two people share it."""
MAX_LISTED = 20
"""Titles and organisations kept per speaker: the most frequent ones."""

# Words before a name that are no part of it: honorifics, ranks, offices, descriptors.
HONORIFICS = frozenset(
    [
        "mr",
        "mrs",
        "ms",
        "miss",
        "mx",
        "dr",
        "prof",
        "professor",
        "sir",
        "dame",
        "lord",
        "lady",
        "rev",
        "reverend",
        "fr",
        "father",
        "pastor",
        "rabbi",
        "imam",
        "sen",
        "senator",
        "rep",
        "representative",
        "congressman",
        "congresswoman",
        "assemblyman",
        "assemblywoman",
        "councilman",
        "councilwoman",
        "gov",
        "governor",
        "lt",
        "lieutenant",
        "president",
        "vice",
        "pres",
        "premier",
        "chancellor",
        "prime",
        "minister",
        "secretary",
        "ambassador",
        "mayor",
        "speaker",
        "chairman",
        "chairwoman",
        "chair",
        "judge",
        "justice",
        "chief",
        "attorney",
        "general",
        "gen",
        "col",
        "colonel",
        "maj",
        "major",
        "capt",
        "captain",
        "sgt",
        "sergeant",
        "adm",
        "admiral",
        "cmdr",
        "commander",
        "sheriff",
        "detective",
        "officer",
        "agent",
        "spokesman",
        "spokeswoman",
        "spokesperson",
        "billionaire",
        "businessman",
        "businesswoman",
        "candidate",
        "nominee",
        "former",
        "late",
        "the",
    ]
)
SUFFIXES = frozenset(["jr", "sr", "ii", "iii", "iv", "v"])
PARTICLES = frozenset(
    ["de", "van", "von", "der", "den", "da", "di", "du", "del", "della", "la", "le", "bin", "al"]
)
# Words that make a capitalised phrase an organisation ("Fox News", "the White House").
ORG_WORDS = ORG_NOUNS | frozenset(
    [
        "news",
        "times",
        "post",
        "journal",
        "tribune",
        "herald",
        "gazette",
        "press",
        "magazine",
        "network",
        "television",
        "tv",
        "radio",
        "house",
        "senate",
        "congress",
        "parliament",
        "police",
        "army",
        "navy",
        "foundation",
        "fund",
        "trust",
        "society",
        "club",
        "league",
        "coalition",
        "alliance",
        "federation",
        "caucus",
        "church",
        "board",
        "service",
        "services",
        "inc",
        "corp",
        "co",
        "llc",
        "ltd",
        "reuters",
        "bloomberg",
        "pac",
        "project",
        "network",
        "studies",
        "research",
        "academy",
        "school",
        "hospital",
        "republicans",
        "democrats",
    ]
)
# Capitalised words that stand for no one in particular when they are the whole "name".
NOT_NAMES = (
    PRONOUNS
    | SOURCE_NOUNS
    | SPEECH_NOUNS
    | frozenset(
        [
            "others",
            "aides",
            "officials",
            "critics",
            "supporters",
            "sources",
            "experts",
            "analysts",
            "voters",
            "residents",
            "people",
            "republican",
            "democrat",
            "conservative",
            "liberal",
            "independent",
            "americans",
            "everyone",
            "someone",
            "many",
            "some",
            "both",
            "all",
        ]
    )
)
_WORD = re.compile(r"[^\s,]+")


@dataclass(frozen=True)
class _Name:
    """A speaker name read as a person or organisation: `key` links it, `display` shows it."""

    kind: str  # person, surname (a person's surname alone) or organization
    key: tuple[str, ...]
    display: str
    marker: str = ""  # a person's middle initials ("j", "hw")
    suffix: str = ""  # "jr", "iii": a different person from the bare name


@dataclass(frozen=True)
class SpeakerEntry:
    """One person or organisation of the directory (the DESIGN.md Speaker shape).

    `names` are the name variants seen, most frequent first; `titles` and `organizations`
    the descriptors seen (at most MAX_LISTED each, most frequent first); `quote_ids` the
    linked quotes in index order.
    """

    id: str
    name: str
    kind: str
    names: tuple[str, ...]
    titles: tuple[str, ...]
    organizations: tuple[str, ...]
    documents: int
    quote_ids: tuple[str, ...]

    @property
    def quotes(self) -> int:
        return len(self.quote_ids)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "name": self.name,
            "kind": self.kind,
            "names": list(self.names),
            "titles": list(self.titles),
            "organizations": list(self.organizations),
            "quotes": self.quotes,
            "documents": self.documents,
            "quote_ids": list(self.quote_ids),
        }

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> SpeakerEntry:
        return cls(
            id=str(row["id"]),
            name=str(row["name"]),
            kind=str(row["kind"]),
            names=tuple(row["names"]),
            titles=tuple(row["titles"]),
            organizations=tuple(row["organizations"]),
            documents=int(row["documents"]),
            quote_ids=tuple(row["quote_ids"]),
        )


@dataclass(frozen=True)
class Directory:
    """Every linked speaker, ordered by id, and which speaker each quote is linked to."""

    speakers: tuple[SpeakerEntry, ...] = ()

    def __post_init__(self) -> None:
        by_id = {s.id: s for s in self.speakers}
        by_quote = {qid: s.id for s in self.speakers for qid in s.quote_ids}
        by_key: dict[tuple[str, ...], list[SpeakerEntry]] = defaultdict(list)
        for entry in self.speakers:
            keys = set()
            for read in filter(None, map(read_name, entry.names)):
                keys.add(_lookup_key(read))
                if read.kind == "person" and not read.suffix:
                    keys.add(("surname", read.key[1]))  # "Trump" finds Donald Trump
            for key in sorted(keys):
                by_key[key].append(entry)
        object.__setattr__(self, "_by_id", by_id)
        object.__setattr__(self, "_by_quote", by_quote)
        object.__setattr__(self, "_by_key", dict(by_key))

    def get(self, speaker_id: str) -> SpeakerEntry | None:
        found: SpeakerEntry | None = self.__dict__["_by_id"].get(speaker_id)
        return found

    def speaker_of(self, quote_id: str) -> str:
        """The id the quote is linked to, or "" when it is not linked."""
        found: str = self.__dict__["_by_quote"].get(quote_id, "")
        return found

    def resolve(self, query: str) -> SpeakerEntry | None:
        """The speaker a name or id means: the entry with that id; else one whose name
        variants read the same ("Donald J. Trump", "Sen. Sanders"); for a surname alone
        the most quoted person with that surname. None when no entry matches."""
        found = self.get(query.strip())
        if found is not None:
            return found
        read = read_name(query)
        if read is None:
            return None
        by_key: dict[tuple[str, ...], list[SpeakerEntry]] = self.__dict__["_by_key"]
        candidates = by_key.get(_lookup_key(read), [])
        if read.kind == "person" and read.marker:
            marked = [e for e in candidates if any(read_name(n) == read for n in e.names)]
            candidates = marked or candidates
        return min(candidates, key=lambda e: (-e.quotes, e.id), default=None)

    def search(self, query: str) -> list[SpeakerEntry]:
        """Entries whose id, or one of whose name variants, contains `query` (ignoring case
        and accents), most quoted first."""
        needle = _fold_text(query)
        found = [
            e
            for e in self.speakers
            if needle in e.id or any(needle in _fold_text(n) for n in (e.name, *e.names))
        ]
        return sorted(found, key=lambda e: (-e.quotes, e.id))

    def link(self, quotes: Iterable[Quote]) -> tuple[Quote, ...]:
        """`quotes` with `speaker.id` set from the directory ("" when not linked)."""
        return tuple(
            q
            if q.speaker.id == self.speaker_of(q.id)
            else replace(q, speaker=replace(q.speaker, id=self.speaker_of(q.id)))
            for q in quotes
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "schema_version": DIRECTORY_SCHEMA,
            "speakers": [s.to_json() for s in self.speakers],
        }

    @classmethod
    def from_json(cls, row: dict[str, Any]) -> Directory:
        if row.get("schema_version") != DIRECTORY_SCHEMA:
            raise ValueError(
                f"speaker directory schema {row.get('schema_version')!r}, "
                f"expected {DIRECTORY_SCHEMA}"
            )
        return cls(tuple(SpeakerEntry.from_json(s) for s in row["speakers"]))


def _fold(word: str) -> str:
    """Lower case without accents or dots: "Calderón" -> "calderon", "J." -> "j"."""
    plain = unicodedata.normalize("NFKD", word.replace("’", "'"))
    return "".join(c for c in plain if not unicodedata.combining(c)).casefold().strip(".'")


def _fold_text(text: str) -> str:
    plain = unicodedata.normalize("NFKD", text.replace("’", "'"))
    return " ".join("".join(c for c in plain if not unicodedata.combining(c)).casefold().split())


def _lookup_key(read: _Name) -> tuple[str, ...]:
    """What a query must share with a name variant to mean its speaker: a person's first
    name, surname and suffix; a surname alone; an organisation's words."""
    if read.kind == "person":
        return ("person", read.key[0], read.key[1], read.suffix)
    if read.kind == "surname":
        return ("surname", read.key[0])
    return ("organization", *read.key)


def _initials(word: str) -> str | None:
    """The initials a word stands for ("J." -> "j", "H.W." -> "hw"), or None for a word."""
    letters = word.replace(".", "")
    if len(letters) == 1 and letters.isalpha():
        return letters.lower()
    if "." in word and letters.isalpha() and letters.isupper() and len(letters) <= 3:
        return letters.lower()
    return None


def read_name(raw: str) -> _Name | None:
    """How the directory reads a speaker name; None when it is no name ("the judge", "I").

    Leading honorifics and titles are dropped; a name whose every remaining word is
    capitalised (particles like "van" aside) is a person, unless a word marks an
    organisation ("News", "Committee", "House") or it is an acronym ("GOP", "CNN").
    """
    words = _WORD.findall(raw.strip())
    while len(words) > 1 and _fold(words[0]) in HONORIFICS:
        words = words[1:]
    if not words or any(ch.isdigit() for w in words for ch in w):
        return None
    if any(not w[:1].isupper() and _fold(w) not in PARTICLES for w in words):
        return None
    folded = [_fold(w) for w in words]
    if any(not f for f in folded):
        return None
    display = " ".join(words)
    if len(words) == 1:
        if folded[0] in NOT_NAMES or len(folded[0]) < 2:
            return None
        if (words[0].isupper() and len(words[0]) <= 6) or folded[0] in ORG_WORDS:
            return _Name("organization", (folded[0],), display)
        return _Name("surname", (folded[0],), display)
    if any(f in ORG_WORDS for f in folded) or len(words) > 5:
        return _Name("organization", tuple(f for f in folded if f != "the"), display)
    return _person(words, folded, display)


def _person(words: list[str], folded: list[str], display: str) -> _Name | None:
    suffix = ""
    while len(words) > 2 and folded[-1] in SUFFIXES:
        suffix = folded[-1] + suffix
        words, folded = words[:-1], folded[:-1]
    last = len(words) - 1
    while last > 1 and folded[last - 1] in PARTICLES:
        last -= 1  # "Ludwig van Beethoven": the surname is "van beethoven"
    middles = [_initials(w) or _fold(w)[:1] for w in words[1:last]]
    surname = " ".join(folded[last:])
    if surname in NOT_NAMES:
        return None
    first = _initials(words[0]) or folded[0]
    return _Name("person", (first, surname), display, "".join(middles), suffix)


def _surname(name: _Name) -> str:
    return name.key[-1]


def _slug(parts: Iterable[str]) -> str:
    text = "-".join(parts)
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "speaker"


def _clean(text: str) -> str:
    return " ".join(text.split())


def build_directory(quotes: Sequence[Quote]) -> Directory:
    """Link the speakers of `quotes` into people and organisations (see the module doc).

    Deterministic: the same quotes give the same ids, whatever their order.
    """
    names = {q.speaker.name: read_name(q.speaker.name) for q in quotes}
    groups = _person_groups([n for n in names.values() if n is not None])
    # people of each surname in the archive, and the full-name people each article quotes
    by_surname: dict[str, set[tuple[str, ...]]] = defaultdict(set)
    for group in set(groups.values()):
        by_surname[group[2]].add(group)
    in_article: dict[str, dict[str, set[tuple[str, ...]]]] = defaultdict(lambda: defaultdict(set))
    full_quotes: Counter[tuple[str, ...]] = Counter()
    for q in quotes:
        read = names[q.speaker.name]
        if read is not None and read.kind == "person":
            group = groups[read]
            in_article[q.doc_id][group[2]].add(group)
            full_quotes[group] += 1

    members: dict[tuple[str, ...], list[Quote]] = defaultdict(list)
    for q in quotes:
        read = names[q.speaker.name]
        if read is None:
            continue
        if read.kind == "person":
            members[groups[read]].append(q)
        elif read.kind == "organization":
            members[("o", *read.key)].append(q)
        else:
            local = in_article[q.doc_id].get(_surname(read), set())
            pool = local or by_surname.get(_surname(read), set())
            if not pool:
                members[("s", *read.key)].append(q)
            elif (person := _dominant(pool, full_quotes)) is not None:
                members[person].append(q)
            # else two or more people with this surname: ambiguous, not linked
    return Directory(_entries(members, names))


def _dominant(
    pool: set[tuple[str, ...]], full_quotes: Counter[tuple[str, ...]]
) -> tuple[str, ...] | None:
    """The one person of `pool`, or the one quoted by full name at least DOMINANCE times as
    often as all the others together; None when the surname is ambiguous."""
    ranked = sorted(pool, key=lambda g: (-full_quotes[g], g))
    others = sum(full_quotes[g] for g in ranked[1:])
    return ranked[0] if full_quotes[ranked[0]] >= DOMINANCE * others else None


def _person_groups(read: Iterable[_Name]) -> dict[_Name, tuple[str, ...]]:
    """Each person name's group key ("p", first, surname, marker): names differing only by
    a middle initial share one, unless two different middles are seen for the same first
    name and surname; then each middle has its own and the bare name one of its own."""
    people = {n for n in read if n.kind == "person"}
    markers: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for name in people:
        if name.marker:
            markers[(*name.key, name.suffix)].add(name.marker)
    groups: dict[_Name, tuple[str, ...]] = {}
    for name in people:
        split = len(markers[(*name.key, name.suffix)]) > 1
        surname = f"{name.key[1]} {name.suffix}" if name.suffix else name.key[1]
        groups[name] = ("p", name.key[0], surname, name.marker if split else "")
    return groups


def _ranked(values: Iterable[str], limit: int | None = None) -> tuple[str, ...]:
    counts = Counter(v for v in values if v)
    ordered = sorted(counts, key=lambda v: (-counts[v], v))
    return tuple(ordered[:limit] if limit is not None else ordered)


def _entries(
    members: dict[tuple[str, ...], list[Quote]], names: dict[str, _Name | None]
) -> tuple[SpeakerEntry, ...]:
    taken: set[str] = set()
    entries = []
    for group in sorted(members):
        quotes = sorted(members[group], key=lambda q: (q.doc_id, q.start, q.end, q.id))
        kind = {"p": "person", "s": "person", "o": "organization"}[group[0]]
        # the display name: the most frequent form of the name proper (no honorific)
        full = [
            read.display
            for q in quotes
            if (read := names[q.speaker.name]) is not None and read.kind != "surname"
        ]
        shown = full or [names[q.speaker.name].display for q in quotes]  # type: ignore[union-attr]
        counts = Counter(shown)
        name = min(counts, key=lambda v: (-counts[v], -len(v), v))
        parts = (group[1], group[3], group[2]) if group[0] == "p" else group[1:]
        base = _slug(p for p in parts if p)
        speaker_id, n = base, 1
        while speaker_id in taken:
            n += 1
            speaker_id = f"{base}-{n}"
        taken.add(speaker_id)
        entries.append(
            SpeakerEntry(
                id=speaker_id,
                name=name,
                kind=kind,
                names=_ranked(q.speaker.name for q in quotes),
                titles=_ranked((_clean(q.speaker.title) for q in quotes), MAX_LISTED),
                organizations=_ranked((_clean(q.speaker.organization) for q in quotes), MAX_LISTED),
                documents=len({q.doc_id for q in quotes}),
                quote_ids=tuple(q.id for q in quotes),
            )
        )
    return tuple(sorted(entries, key=lambda e: e.id))


def write_directory(path: Path, directory: Directory) -> None:
    """Write `directory` as `speakers.json` in the version directory `path`."""
    (path / FILE_NAME).write_text(
        json.dumps(directory.to_json(), ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )


def read_directory(path: Path) -> Directory | None:
    """The directory stored in the version directory `path`, or None when there is none or
    it has another schema (the caller rebuilds it from the quotes)."""
    file = path / FILE_NAME
    if not file.exists():
        return None
    try:
        return Directory.from_json(json.loads(file.read_text(encoding="utf-8")))
    except (ValueError, KeyError, TypeError):
        return None
