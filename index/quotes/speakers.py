"""Speakers: the name, title and organisation of a subject phrase, and who pronouns mean."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from index.quotes.lexicon import (
    CLOSE_MARKS,
    CUE_VERBS,
    GENDERED_PRONOUNS,
    GENDERED_WORDS,
    NEUTER,
    OPEN_MARKS,
    ORG_NOUNS,
    PLURAL,
    PRONOUNS,
    SINGULAR_PERSON,
    SOURCE_NOUNS,
    STRAIGHT_MARKS,
)
from index.quotes.model import Speaker
from index.quotes.subjects import asked, clause_of, entities, main_subject, one_word_entity

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_NAME_LABELS = frozenset(["PERSON", "ORG", "GPE", "NORP", "FAC"])
_ORG_LABELS = frozenset(["ORG", "GPE", "NORP", "FAC"])
_NAME_DEPS = frozenset(
    ["compound", "amod", "det", "nmod", "poss", "nummod", "cc", "conj", "flat", "quantmod", "case"]
)
_ORG_PREPS = frozenset(["of", "at", "for", "with", "from"])
_LEADING_DROP = frozenset(["the", "a", "an"])
_TRIM = " \t\n,;:.—–-'’\"“”"
_QUOTE_MARKS = OPEN_MARKS | CLOSE_MARKS | STRAIGHT_MARKS
_PHRASE_STOPS = _QUOTE_MARKS | {":"}
_SUBJECT_DEPS = ("nsubj", "nsubjpass")
_PERSON_SUFFIXES = ("er", "or", "ist", "ian", "man", "woman", "person")
_INHERIT_DEPS = ("conj", "advcl", "xcomp", "pcomp", "acl", "prep", "pobj")


@dataclass(frozen=True)
class Mention:
    """A subject phrase read off the parse; `kind` is person, org, plural, nominal or pronoun."""

    start: int
    name: str
    title: str
    organization: str
    kind: str
    head_lemma: str


def subject_of(verb: Token, depth: int = 0) -> Token | None:
    """The grammatical subject of a reporting verb, inherited from the governing verb for
    participles and conjuncts ("..., while highlighting that ..."); a relative pronoun
    stands for the noun it modifies, or for its author when it is a thing ("a sign that
    read")."""
    for child in verb.children:
        passive_it = child.dep_ == "nsubjpass" and child.lower_ == "it"
        if child.dep_ in _SUBJECT_DEPS and not passive_it:
            if child.tag_ in ("WP", "WDT") and verb.dep_ == "relcl":
                return _author(verb.head, depth)
            return child
        if child.dep_ == "agent":
            objects = [c for c in child.children if c.dep_ == "pobj"]
            if objects:
                return objects[0]
    if depth < 4 and verb.dep_ in _INHERIT_DEPS and verb.head is not verb:
        return subject_of(_reporting(verb), depth + 1)
    return None


def may_speak(token: Token) -> bool:
    """A name, a personal pronoun, or a noun for a person, an organisation or a text
    (`pollster`, `the board`, `the report`), not `the rules are simple:`."""
    if token.pos_ == "PROPN" or token.ent_type_ in ("PERSON", "ORG", "NORP", "GPE"):
        return True
    if token.pos_ == "PRON":
        return token.lower_ in PRONOUNS
    lemma = token.lemma_.lower()
    return lemma in ORG_NOUNS or lemma in SOURCE_NOUNS or lemma.endswith(_PERSON_SUFFIXES)


def _author(thing: Token, depth: int) -> Token:
    """Who speaks through a thing that cannot speak: the subject of the verb it is the
    object of ("Ana Ruiz hoisted a sign that read “…”", "the company released a video that
    said “…”"), else the thing itself ("a sign outside read")."""
    if thing.dep_ != "dobj" or may_speak(thing) or depth >= 4:
        return thing
    return subject_of(thing.head, depth + 1) or thing


def _reporting(verb: Token) -> Token:
    """The verb a subject-less speech verb takes its subject from: its head, or the verb
    reporting that head when the parser hung the speech verb under a reported clause whose
    subject cannot speak or is "it" ("Starr said Clinton's situation reminds him of the book,
    explaining, “…”": Starr explains) or, for a participle, a clause that quotes the
    reporter ("Trump told Newsmax that Romney “had a crazy policy,” adding, “…”")."""
    head = verb.head
    if verb.lemma_ not in CUE_VERBS or head.dep_ != "ccomp" or head.head.lemma_ not in CUE_VERBS:
        return head
    subject = next((c for c in head.children if c.dep_ in _SUBJECT_DEPS), None)
    mute = subject is None or subject.lower_ == "it" or not may_speak(subject)
    quoting = verb.dep_ == "advcl" and any(t.text in _QUOTE_MARKS for t in head.subtree)
    return head.head if mute or quoting else head


def _entity(token: Token) -> Span | None:
    """The named entity holding `token`, read off the IOB tags around it (`doc.ents`
    builds every entity of the document again on each access)."""
    if not token.ent_type_:
        return None
    from spacy.tokens import Span

    doc, start, end = token.doc, token.i, token.i + 1
    while doc[start].ent_iob_ == "I" and start > 0 and doc[start - 1].ent_type == token.ent_type:
        start -= 1
    while end < len(doc) and doc[end].ent_iob_ == "I" and doc[end].ent_type == token.ent_type:
        end += 1
    return Span(doc, start, end, label=token.ent_type_)


def _text(doc: Doc, start: int, end: int) -> str:
    """Text of tokens [start, end), trimmed of punctuation and a leading article."""
    while start < end and doc[start].lower_ in _LEADING_DROP:
        start += 1
    if start >= end:
        return ""
    text = doc[start:end].text.strip(_TRIM)
    if text.endswith(("’s", "'s")):
        text = text[:-2]
    return text.strip(_TRIM)


def _name_bounds(head: Token) -> tuple[int, int]:
    """Token bounds of the name inside a subject phrase (entity, proper-noun run or NP)."""
    ent = _entity(head)
    if ent is not None and ent.label_ in _NAME_LABELS and ent.end - ent.start <= 8:
        start = ent.start
        if ent.label_ == "PERSON":  # "spokesperson Liu Yan": the name starts at a proper noun
            while start < head.i and head.doc[start].pos_ != "PROPN":
                start += 1
        return start, ent.end
    if head.pos_ == "PROPN":
        start = head.i
        while start > 0 and head.doc[start - 1].pos_ == "PROPN":
            start -= 1
        return start, head.i + 1
    keep = _collect(head)
    return min(keep), max(keep) + 1


def _collect(head: Token) -> set[int]:
    keep = {head.i}
    for child in head.children:
        if child.dep_ in _NAME_DEPS:
            keep.update(t.i for t in child.subtree)
    return keep


def _appositive(head: Token) -> tuple[int, int] | None:
    """Token bounds of the appositive after a name, up to a colon or quote mark (the
    parse may hang the quote a colon introduces under the name before it)."""
    stop = next(
        (t.i for t in head.doc[head.i + 1 : head.sent.end] if t.text in _PHRASE_STOPS),
        head.sent.end,
    )
    parts = [c for c in head.children if c.dep_ == "appos" and c.pos_ != "NUM" and c.i < stop]
    if not parts:
        return None
    return min(c.left_edge.i for c in parts), min(stop, max(c.right_edge.i for c in parts) + 1)


def _organization(doc: Doc, start: int, end: int) -> str:
    """The organisation a descriptor names: the object of its first of/at/for phrase that
    holds a proper noun (from that noun on), else an ORG-like entity inside it."""
    for token in doc[start:end]:
        if token.dep_ != "prep" or token.lower_ not in _ORG_PREPS:
            continue
        for obj in (c for c in token.children if c.dep_ == "pobj"):
            span = [t for t in obj.subtree if t.i < end]
            first = next((t.i for t in span if t.pos_ == "PROPN"), None)
            if first is None:
                continue
            ent = _entity(doc[first])
            if ent is not None and ent.label_ == "GPE" and token.lower_ == "from":
                continue  # where someone is from (`a retiree from Tucson`) is no employer
            if ent is not None and ent.label_ in _ORG_LABELS:
                return _text(doc, ent.start, ent.end)  # NER spans survive bad parses
            return _text(doc, first, span[-1].i + 1)
    for ent in doc[start:end].ents:
        # a place named in passing (`a nurse in Phoenix`) is not an organisation
        if ent.label_ in _ORG_LABELS and ent.label_ != "GPE":
            return _text(doc, ent.start, ent.end)
    return ""


def _kind(head: Token, name_start: int, name_end: int, has_title: bool) -> str:
    if head.pos_ == "PRON" or head.lower_ in PRONOUNS:
        return "pronoun"
    if any(c.dep_ == "conj" for c in head.children) or head.tag_ in ("NNS", "NNPS"):
        return "plural"
    ent = _entity(head)
    if ent is not None and ent.label_ == "PERSON":
        return "person"
    if head.pos_ == "PROPN":
        if ent is not None and ent.label_ in _ORG_LABELS and not has_title:
            return "org"
        return "person" if name_end - name_start <= 4 else "org"
    return "nominal"


def _named_appositive(head: Token) -> Token | None:
    """The person named in apposition to a common-noun subject, if any."""
    if head.pos_ != "NOUN":
        return None
    for child in head.children:
        if child.dep_ == "appos" and child.pos_ == "PROPN" and child.ent_type_ == "PERSON":
            return child
    return None


def describe(head: Token) -> Mention:
    """Read name, title and organisation off a subject token and its dependents.

    Title words before the name ("ministry spokesperson Liu Yan") and an appositive after
    it ("Huang Hanquan, head of ...") both go into `title`.
    """
    doc = head.doc
    named = _named_appositive(head)
    if named is not None:
        # "her adviser, Jake Sullivan," / "his wife, Jane,": the name is the appositive
        mention = describe(named)
        title = _text(doc, head.left_edge.i, head.i + 1)
        organization = mention.organization or _organization(doc, head.left_edge.i, head.i + 1)
        return replace(mention, title=mention.title or title, organization=organization)
    start, end = _name_bounds(head)
    if any(c.dep_ == "conj" for c in head.children) and head.pos_ != "PRON":
        keep = _collect(head)
        start, end = min(keep), max(keep) + 1
    before = _text(doc, head.left_edge.i, start) if head.left_edge.i < start else ""
    if before and doc[start - 1].dep_ not in ("compound", "amod", "nmod", "poss"):
        before = ""
    appos = _appositive(head)
    after = _text(doc, *appos) if appos else ""
    title = ", ".join(part for part in (before, after) if part)
    organization = _organization(doc, *appos) if appos else ""
    if not organization and before:
        organization = _organization(doc, head.left_edge.i, start)
    name = _text(doc, start, end) or head.text
    kind = _kind(head, start, end, bool(title))
    return Mention(doc[start].idx, name, title, organization, kind, head.lemma_.lower())


@dataclass(frozen=True)
class _Entry:
    start: int
    speaker: Speaker
    kind: str
    subject: bool  # a grammatical subject (or a speaker), preferred by pronouns


def _gender_votes(ent: Span) -> Counter[str]:
    """Evidence of a person's gender near one mention: an honorific or gendered role word
    just before the name, or, for the subject of a main clause, the first personal pronoun
    later in its sentence that is a subject ("Fiorina said she ...") or a possessive of the
    name's own clause ("Fiorina threw her support"). Not a pronoun of another clause
    ("Mukasey said the scandal is the latest issue in her career"), nor one after a name
    inside reported content ("Phillips said that Sanders had treated her family")."""
    votes: Counter[str] = Counter()
    doc = ent.doc
    for token in doc[max(0, ent.start - 3) : ent.start]:
        gender = GENDERED_WORDS.get(token.lower_.rstrip("."))
        if gender:
            votes[gender] += 2
    if main_subject(ent.root):
        for token in doc[ent.end : ent.sent.end]:
            if token.ent_type_ == "PERSON":
                break  # "Kopp said agents want to interview Clinton and her aides"
            gender = GENDERED_PRONOUNS.get(token.lower_)
            verb = ent.root.head
            own = token.dep_ == "poss" and token.i > verb.i and clause_of(token).i == verb.i
            if gender and (token.dep_ in _SUBJECT_DEPS or own):
                votes[gender] += 1
                break
    return votes


class Resolver:
    """Maps mentions to full speakers, in document order (call `resolve` left to right).

    Full names seen earlier (named entities outside quotes, and earlier speakers) stand
    behind surnames ("Li", "Professor Chen"); he/she go to the most recent person who
    was the subject of a main clause (or a speaker), not one merely mentioned or the subject
    of a clause inside another; they/it go to the most recent group or organisation.
    """

    def __init__(self, doc: Doc, quoted: Sequence[tuple[int, int]] = ()) -> None:
        self._known: list[_Entry] = []
        self._best: dict[str, Speaker] = {}
        self._votes: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self._people = _gendered_orgs(doc, quoted)
        counts = Counter(ent.text for ent in doc.ents if ent.label_ == "PERSON")
        for ent in entities(doc):
            if any(s <= ent.start_char < e for s, e in quoted):
                continue  # people named inside a quote are not who "he said" means
            mention = describe(ent.root)
            name = _text(doc, ent.start, ent.end)
            if ent.root.pos_ != "PROPN" and not self._seen(name, ent.start_char):
                continue  # "Turnout at the event ..." tagged PERSON at a sentence start
            named = ent.label_ == "PERSON" or (ent.label_ in _ORG_LABELS and bool(mention.title))
            kind = (
                "person" if named and ent.label_ != "ORG" else "org" if ent.label_ == "ORG" else ""
            )
            known_person = name in self._people or name.rsplit(" ", 1)[-1] in self._people
            kind = "person" if kind == "org" and known_person else kind
            lone = kind == "person" and " " not in name and counts[ent.text] < 2
            lone = lone and not (ent.root.dep_ == "appos" and ent.root.head.pos_ == "NOUN")
            if lone and self._named(name, ent.start_char) is None:
                continue  # a lone capitalised word ("Turnout ...") that names no one known
            if kind:
                subject = main_subject(ent.root) or asked(ent.root)
                self._known.append(_Entry(ent.start_char, Speaker(name), kind, subject))
                if mention.name == name and mention.title and name not in self._best:
                    self._best[name] = Speaker(name, mention.title, mention.organization)
                if kind == "person":
                    self._votes[self._full(self._known[-1]).name].update(_gender_votes(ent))
        self._untagged_subjects(doc, quoted)

    def _untagged_subjects(self, doc: Doc, quoted: Sequence[tuple[int, int]]) -> None:
        """Surnames of people named earlier that head a main clause without a PERSON tag
        ("In her speech, Rhimes declared ...", "And Obama ... seems to agree" with "Obama"
        tagged GPE): the small model misses or mislabels many of them."""
        for token in doc:
            if token.pos_ != "PROPN" or token.ent_type_ == "PERSON" or not main_subject(token):
                continue
            if token.ent_type_ and not one_word_entity(token):
                continue  # "Obama" tagged GPE, not a word of a longer place or company name
            if any(s <= token.idx < e for s, e in quoted):
                continue
            if self._named(token.text, token.idx) is not None:
                self._known.append(_Entry(token.idx, Speaker(token.text), "person", True))

    def _seen(self, name: str, at: int) -> bool:
        """Whether a person of that name, or with it as a surname, was named before `at`
        ("Sanders wasn't impressed." with "Sanders" tagged as a common noun)."""
        people = (e for e in self._before(at) if e.kind == "person")
        return any(e.speaker.name == name for e in people) or self._named(name, at) is not None

    def _before(self, at: int) -> list[_Entry]:
        return [entry for entry in self._known if entry.start < at]

    def _full(self, entry: _Entry) -> Speaker:
        """The best-known speaker for an entry; a lone surname becomes the full name."""
        speaker = entry.speaker
        if entry.kind == "person" and len(speaker.name.split()) == 1:
            longer = self._named(speaker.name, entry.start)
            if longer is not None:
                return longer
        return self._best.get(speaker.name, speaker)

    def _named(self, name: str, at: int) -> Speaker | None:
        words = set(name.split())
        matches = [
            e
            for e in self._before(at)
            if e.kind == "person" and words < set(e.speaker.name.split())
        ]
        # "Trump" is Donald Trump, not the more recent "Trump University": a lone word
        # that ends a longer name (a surname) beats one that only occurs in it
        ends = [e for e in matches if e.speaker.name.split()[-1] in words]
        return self._full(max(ends or matches, key=lambda e: e.start)) if matches else None

    def _gender(self, entry: _Entry) -> str:
        votes = self._votes.get(self._full(entry).name)
        if not votes or votes["m"] == votes["f"]:
            return ""
        return "m" if votes["m"] > votes["f"] else "f"

    def _pronoun(self, word: str, at: int) -> Speaker | None:
        seen = self._before(at)
        if word in SINGULAR_PERSON:
            want = "f" if word in ("she", "her") else "m"
            people = [e for e in seen if e.kind == "person" and self._gender(e) in ("", want)]
            pool = [e for e in people if e.subject] or people
        elif word in PLURAL:
            pool = [e for e in seen if e.subject and e.kind in ("plural", "org")]
            pool = pool or [e for e in seen if e.kind == "org"]
        elif word in NEUTER:
            pool = [e for e in seen if e.kind == "org"]
        else:
            pool = []
        return self._full(max(pool, key=lambda e: e.start)) if pool else None

    def resolve(self, mention: Mention) -> Speaker:
        """The full speaker for a mention, remembered for later pronouns and surnames."""
        speaker: Speaker | None = None
        kind = _resolved_kind(mention)
        if mention.kind == "pronoun":
            speaker = self._pronoun(mention.name.lower(), mention.start)
        elif mention.kind in ("person", "org") and len(mention.name.split()) == 1:
            speaker = self._named(mention.name, mention.start)
            kind = "person" if speaker is not None else kind
        elif mention.kind == "nominal" and mention.head_lemma in ORG_NOUNS:
            orgs = [e for e in self._before(mention.start) if e.kind == "org"]
            orgs = [e for e in orgs if e.subject] or orgs
            speaker = self._full(max(orgs, key=lambda e: e.start)) if orgs else None
        if speaker is None:
            speaker = Speaker(mention.name, mention.title, mention.organization)
            known = self._best.get(speaker.name)
            if known is not None and not speaker.title:
                speaker = known
        if kind == "org" and speaker.name in self._people:
            kind = "person"
        if mention.kind == "pronoun" and speaker.name == mention.name:
            return speaker  # unresolved ("I", "you"): no one for a later "he" to mean
        known = self._best.get(speaker.name)
        if known is None or (speaker.title and not known.title):
            self._best[speaker.name] = speaker
        self._known.append(_Entry(mention.start, speaker, kind, True))
        return speaker


def _gendered_orgs(doc: Doc, quoted: Sequence[tuple[int, int]]) -> set[str]:
    """Names the small English model tags ORG that gender evidence shows to be people
    ("Carly Fiorina threw her support ..."), and the surnames they contain."""
    people: set[str] = set()
    for ent in doc.ents:
        if ent.label_ != "ORG" or ent.root.pos_ != "PROPN" or ent.end - ent.start > 3:
            continue
        if any(s <= ent.start_char < e for s, e in quoted):
            continue
        if _gender_votes(ent):
            people.add(_text(doc, ent.start, ent.end))
    return people | {name.split()[-1] for name in people}


def _resolved_kind(mention: Mention) -> str:
    word = mention.name.lower()
    if mention.kind == "pronoun":
        return "plural" if word in PLURAL else "org" if word in NEUTER else "person"
    if mention.kind == "nominal":
        return "org" if mention.head_lemma in ORG_NOUNS else "plural"
    return mention.kind
