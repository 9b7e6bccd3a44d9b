"""Direct quotes: spans inside quote marks, and the reporting clause that frames each."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from index.quotes.lexicon import (
    BACK_CUES,
    CLOSE_MARKS,
    CUE_VERBS,
    FINITE_TAGS,
    IT_CUES,
    OPEN_MARKS,
    PHRASAL_CUES,
    QUOTE_ONLY_CUES,
    SENTENCE_END,
    SPEECH_NOUNS,
    STRAIGHT_MARKS,
)
from index.quotes.speakers import may_speak, subject_of
from index.quotes.subjects import clause_of

if TYPE_CHECKING:
    from spacy.tokens import Doc, Token

_MAX_FRAME = 40
_MIN_FLOATING_WORDS = 3
_MAX_TITLE_WORDS = 4
_TITLE_FUNCTION_WORDS = frozenset(["of", "and", "the", "a", "an", "to", "in", "on", "for", "&"])
_BREAKS = frozenset(":;—–")
_DASHES = frozenset("-—–―")
_NOT_SOURCES = frozenset(["DATE", "TIME", "CARDINAL", "ORDINAL", "MONEY", "PERCENT", "QUANTITY"])
_MAX_SIGNATURE = 10  # tokens of a dash and a name ending a quote's line
_SUBJECT_DEPS = ("nsubj", "nsubjpass")
_PLACING = frozenset(["in", "into", "on", "onto", "through", "out", "off", "away"])
# Dependents of a cue that carry what was said; in front of a quote they make it a partial
# quote inside reported speech (`she tells audiences that after 44 male presidents, “…”`).
_CONTENT_DEPS = frozenset(["ccomp", "xcomp", "advcl", "mark", "csubj", "conj", "parataxis"])


@dataclass(frozen=True)
class Candidate:
    """A quote before speaker resolution; offsets are characters into the parsed text.

    `subject` is the token index of the speaker phrase; `follow` the position (in the
    list of direct candidates) of another quote whose speaker this one shares.
    """

    start: int
    end: int
    kind: str
    cue: str = ""
    cue_token: int = -1
    subject: int = -1
    follow: int = -1


@dataclass(frozen=True)
class _Marked:
    open_i: int
    close_i: int  # -1 when the paragraph ends before the quote closes
    start: int
    end: int
    paragraph: int
    words: int  # whitespace-separated words inside the marks


def _paragraphs(doc: Doc) -> list[int]:
    numbers, current = [], 0
    for token in doc:
        if token.is_space and "\n" in token.text:
            current += 1
        numbers.append(current)
    return numbers


def _is_open(token: Token) -> bool:
    if token.text in OPEN_MARKS:
        return True
    if token.text not in STRAIGHT_MARKS:
        return False
    previous = token.doc[token.i - 1] if token.i else None
    # the character before the mark, without building `doc.text` (linear in the document)
    before = " " if previous is None or previous.whitespace_ else previous.text[-1]
    return before.isspace() or before in "([{—–-:"


def _is_close(token: Token) -> bool:
    return token.text in CLOSE_MARKS or (token.text in STRAIGHT_MARKS and not _is_open(token))


def _closes_as_open(doc: Doc, token: Token) -> bool:
    """An opening mark typed where a closing one belongs (`“It's unusual,“ said Noble`):
    glued to the word or punctuation before it and followed by a space or the end."""
    if token.text not in OPEN_MARKS or token.i == 0:
        return False
    previous = doc[token.i - 1]
    return not previous.whitespace_ and not previous.is_space and bool(token.whitespace_)


def _spaced_close(doc: Doc, token: Token) -> bool:
    """A straight mark standing apart from the words on both sides while a quote is open
    closes it (`'a flight to quality,' " he said`): an opening mark is glued to the word
    it opens."""
    if token.text not in STRAIGHT_MARKS:
        return False
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None
    return bool(token.whitespace_) or following is None or following.is_space


def _span(text: str, start: int, end: int) -> tuple[int, int]:
    """Trim whitespace and a trailing comma (it belongs to the attribution, not the speaker)."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and (text[end - 1].isspace() or text[end - 1] == ","):
        end -= 1
    return start, end


def marked_spans(doc: Doc, paragraphs: list[int]) -> list[_Marked]:
    """Paired quote marks, paragraph by paragraph; an unclosed quote ends with its paragraph."""
    found: list[_Marked] = []
    opened: Token | None = None
    text = doc.text
    for token in doc:
        if opened is not None and paragraphs[token.i] != paragraphs[opened.i]:
            found.append(_unclosed(doc, text, opened, token.i, paragraphs))
            opened = None
        if opened is None and _is_open(token):
            opened = token
        elif opened is not None and (
            _is_close(token) or _closes_as_open(doc, token) or _spaced_close(doc, token)
        ):
            start, end = _span(text, opened.idx + len(opened.text), token.idx)
            if start < end:
                words = len(text[start:end].split())
                found.append(_Marked(opened.i, token.i, start, end, paragraphs[opened.i], words))
            opened = None
        elif opened is not None and token.text in OPEN_MARKS:
            found.append(_unclosed(doc, text, opened, token.i, paragraphs))
            opened = token
    if opened is not None:
        found.append(_unclosed(doc, text, opened, len(doc), paragraphs))
    return [m for m in found if m.start < m.end]


def _unclosed(doc: Doc, text: str, opened: Token, stop: int, paragraphs: list[int]) -> _Marked:
    last = stop - 1
    while last > opened.i and (doc[last].is_space or doc[last].text in OPEN_MARKS):
        last -= 1
    end = doc[last].idx + len(doc[last].text) if last > opened.i else opened.idx + 1
    start, end = _span(text, opened.idx + len(opened.text), end)
    return _Marked(opened.i, -1, start, end, paragraphs[opened.i], len(text[start:end].split()))


def _is_cue(token: Token) -> bool:
    return token.lemma_.lower() in CUE_VERBS and token.pos_ in ("VERB", "AUX")


def _is_quote_cue(token: Token) -> bool:
    """A cue, or a verb that frames only a quote in marks: a manner of speaking
    (`whispered`), `fired back`, `put it`, or a verb whose object is a statement (`issued
    the following statement`)."""
    if _is_cue(token):
        return True
    if token.pos_ != "VERB":
        return False
    lemma = token.lemma_.lower()
    if lemma in QUOTE_ONLY_CUES:
        return True
    children = list(token.children)
    if lemma in BACK_CUES and any(
        c.dep_ in ("prt", "advmod") and c.lower_ == "back" for c in children
    ):
        return True
    it = next((c for c in children if c.dep_ == "dobj" and c.lower_ == "it"), None)
    if lemma in IT_CUES and it is not None and it.i + 1 < len(token.doc):
        # not `putting it into the file`, `put it on hold`
        return token.doc[it.i + 1].lower_ not in _PLACING
    return any(c.dep_ == "dobj" and c.lemma_.lower() in SPEECH_NOUNS for c in children)


def _blocks(token: Token) -> bool:
    """A finite verb that ends a frame: not an auxiliary ("will say") and not inside a
    relative clause of the speaker ("Dorothy Poynter, who grew up there, said")."""
    if token.tag_ not in FINITE_TAGS or token.dep_ in ("aux", "auxpass"):
        return False
    return not any(t.dep_ in ("relcl", "acl") for t in (token, *token.ancestors))


def _after_frame(doc: Doc, mark: _Marked, paragraphs: list[int]) -> Token | None:
    """`“…,” said X, head of Y.` / `“…,” X said.`: the first cue after the closing mark,
    with no other finite verb or sentence end in between. A quote ending in a comma, `!`
    or `?` also takes any speech-like verb there (`“Go back,” Trump barked.`)."""
    if mark.close_i < 0:
        return None
    last = mark.close_i - 1
    while last > mark.open_i and doc[last].is_space:
        last -= 1
    open_ended = last > mark.open_i and doc[last].text[-1:] in ",!?"
    if doc[last].text == "." and _capitalised_after(doc, mark.close_i):
        return None  # `“… social change.” And then he promised that …`: a new sentence
    stop = min(len(doc), mark.close_i + 1 + _MAX_FRAME)
    words = [t for t in doc[mark.close_i + 1 : stop] if not (t.is_punct or t.is_space)][:2]
    if [t.pos_ for t in words] in (["CCONJ", "VERB"], ["CCONJ", "AUX"]):
        return None  # `“…” and vowing to compete`: a second predicate, no frame after it
    j = mark.close_i + 1
    while j < stop:
        token = doc[j]
        if paragraphs[j] != mark.paragraph:
            return None
        if token.text in OPEN_MARKS | STRAIGHT_MARKS:
            # a short quoted name inside the frame (`X, wearing “Ted Cruz” pins, said`)
            j = _inner_close(doc, j, stop)
            if j < 0:
                return None
            j += 1
            continue
        if _is_cue(token) or (open_ended and _cue_tagged_noun(doc, mark, token)):
            return token
        if token.lower_ == "according" and any(c.lower_ == "to" for c in token.children):
            return token  # `“…,” according to a court document filed by X`
        if open_ended and token.pos_ == "VERB" and token.tag_ in ("VBD", "VBZ"):
            subject = subject_of(token)
            inverted = j == mark.close_i + 1
            between = subject is not None and mark.close_i < subject.i < j
            return token if inverted or between else None
        if _blocks(token) or token.text in SENTENCE_END:
            return None
        j += 1
    return None


def _capitalised_after(doc: Doc, i: int) -> bool:
    """Whether the word after token `i` opens with a capital and is no name."""
    following = next((t for t in doc[i + 1 : i + 4] if not t.is_space), None)
    return following is not None and following.text[:1].isupper() and following.pos_ != "PROPN"


def _inner_close(doc: Doc, j: int, stop: int) -> int:
    """Index of the mark closing a quoted name of a few words opened at `j`, or -1."""
    for k in range(j + 1, min(stop, j + 6)):
        if doc[k].text in CLOSE_MARKS | STRAIGHT_MARKS:
            return k
        if doc[k].text in SENTENCE_END or doc[k].is_space:
            return -1
    return -1


def _cue_tagged_noun(doc: Doc, mark: _Marked, token: Token) -> bool:
    """`“…,” the editorial read.` / `the two write.` with the cue tagged as a noun: a
    cue word ending a short phrase after the quote, with no verb after it."""
    if token.pos_ != "NOUN" or token.lemma_.lower() not in CUE_VERBS:
        return False
    between = doc[mark.close_i + 1 : token.i]
    if not between or between[0].pos_ not in ("DET", "NUM", "PROPN", "PRON"):
        return False
    if any(t.pos_ in ("VERB", "AUX") for t in between):
        return False
    following = doc[token.i + 1] if token.i + 1 < len(doc) else None
    return following is None or following.pos_ in ("PUNCT", "ADP", "SPACE")


def _dash_attribution(doc: Doc, mark: _Marked, paragraphs: list[int]) -> Token | None:
    """A quote that opens its paragraph and is signed with a dash and a name, on a line
    of its own (`"…"` then `- Bernie Sanders.`) or ending the quote's own line (`“…” ―
    Ana Ruiz`): the name."""
    if mark.close_i < 0 or not _starts_sentence(doc, mark):
        return None
    j = mark.close_i + 1
    while j < len(doc) and (doc[j].is_space or doc[j].is_punct) and doc[j].text not in _DASHES:
        if paragraphs[j] > mark.paragraph + 1:
            return None
        j += 1
    if j >= len(doc) or doc[j].text not in _DASHES:
        return None
    if paragraphs[j] == mark.paragraph:
        rest = doc[j : j + _MAX_SIGNATURE + 1]
        if len(rest) > _MAX_SIGNATURE and paragraphs[rest[-1].i] == mark.paragraph:
            return None  # the line runs on: a dash inside a sentence, not a signature
    elif paragraphs[j] != mark.paragraph + 1:
        return None
    for token in doc[j + 1 : j + 4]:
        if token.pos_ == "PROPN":
            return token.head if token.dep_ == "compound" else token
        if not token.is_title:
            return None
    return None


def _bracket_source(doc: Doc, mark: _Marked, paragraphs: list[int]) -> Token | None:
    """A quote that ends its paragraph with its source in brackets (`“…” [NYT.]`, the
    citation of a newsletter's excerpt): the last name or noun in the brackets."""
    if mark.close_i < 0 or mark.words < _MIN_FLOATING_WORDS:
        return None
    j = mark.close_i + 1
    if j >= len(doc) or doc[j].text != "[":
        return None
    for k in range(j + 1, min(len(doc) - 1, j + 8)):
        if doc[k].text != "]":
            continue
        after = doc[k + 1]
        ends = after.is_space or after.text in SENTENCE_END
        if paragraphs[after.i] == mark.paragraph and not ends:
            return None
        names = [t for t in doc[j + 1 : k] if t.pos_ in ("PROPN", "NOUN")]
        return names[-1] if names else None
    return None


def _colon_source(doc: Doc, mark: _Marked, paragraphs: list[int]) -> Token | None:
    """A quote introduced by a colon after the one it comes from, with no cue
    (`Republican pollster Daron Shaw: “…”`, `From the report: “…”`, `the board was
    conclusive in its findings: “…”`): the name or noun right before the colon, else
    the subject of the clause the colon ends."""
    j = _previous_token(doc, mark, paragraphs)
    if j < 1 or doc[j].text != ":":
        return None
    if mark.words < _MIN_FLOATING_WORDS:
        return None
    before = doc[j - 1]
    name = _name(before)
    if name is not None:
        return name
    lead = doc[before.sent.start : j]
    if not any(t.pos_ in ("VERB", "AUX") for t in lead):
        # `Maria Lopez, on the plant: “…”`: a verbless lead names its source first
        name = next((n for n in map(_name, lead) if n is not None), None)
        if name is not None:
            return name
    subject = subject_of(clause_of(before))
    if (
        subject is not None
        and subject.i < j
        and paragraphs[subject.i] == paragraphs[j]
        and may_speak(subject)
    ):
        return subject
    if before.pos_ == "NOUN" and may_speak(before):
        return before.head if before.dep_ == "compound" else before
    return None


def _name(token: Token) -> Token | None:
    """The head of the proper name `token` is part of, unless it is a date or a number."""
    if token.pos_ != "PROPN" or token.ent_type_ in _NOT_SOURCES:
        return None
    return token.head if token.dep_ in ("compound", "flat") else token


def _transcript_line(doc: Doc, mark: _Marked) -> Candidate | None:
    """A transcript's line in marks, opening with its speaker in capitals and a colon
    (`"RAMOS: Secretary Clinton, did you …`): what follows the colon, said by that name."""
    stop = mark.close_i if mark.close_i >= 0 else len(doc)
    for k in range(mark.open_i + 1, min(stop, mark.open_i + 5)):
        token = doc[k]
        if token.text == ":" and k > mark.open_i + 1:
            said = next((t for t in doc[k + 1 : stop] if not t.is_space), None)
            if said is None or said.idx >= mark.end:
                return None
            return Candidate(said.idx, mark.end, "direct", "", -1, k - 1)
        if not (token.is_alpha and token.is_upper and len(token) > 1):
            return None
    return None


def _previous_token(doc: Doc, mark: _Marked, paragraphs: list[int]) -> int:
    """Index of the last word before the opening mark, in its paragraph or, when the
    previous paragraph ends with a colon (`Cruz continued:` then the quote), in that one."""
    j = mark.open_i - 1
    while j >= 0 and doc[j].is_space:
        j -= 1
    if j < 0:
        return -1
    if paragraphs[j] != mark.paragraph and not (
        paragraphs[j] == mark.paragraph - 1 and doc[j].text == ":"
    ):
        return -1
    return j


def _before_frame(doc: Doc, mark: _Marked, paragraphs: list[int]) -> Token | None:
    """`X, chairman of Y, said: “…”` / `X said, “…”` / `she wrote “…”`: the cue right before
    the mark, or the last cue (or `according`) before a colon or comma there, with no
    other finite verb in between."""
    j = _previous_token(doc, mark, paragraphs)
    if j < 0:
        return None
    if _is_cue(doc[j]) and doc[j].lemma_.lower() not in PHRASAL_CUES:
        return doc[j]
    if doc[j].text not in _BREAKS and doc[j].text != ",":
        return None
    paragraph = paragraphs[j]
    for k in range(j, max(-1, j - _MAX_FRAME), -1):
        token = doc[k]
        if paragraphs[k] != paragraph or token.text in SENTENCE_END:
            return None
        if token.text in CLOSE_MARKS | STRAIGHT_MARKS:
            return None
        if _is_quote_cue(token) or token.lower_ == "according":
            return token
        if _blocks(token):
            return None
    return None


def _reported_before(doc: Doc, verb: Token, mark: _Marked) -> int:
    """Index of the first word of a reported statement between a cue and a quote, or -1.

    `she said, “…”` and `he told reporters on Monday: “…”` have only the cue's own
    dependents there; `Axelrod noted that although X, “…”` has its content, so the quote
    is a fragment of reported speech, not a direct quote."""
    if verb.i > mark.open_i or verb.lower_ == "according":
        return -1
    for token in doc[verb.i + 1 : mark.open_i]:
        if token.is_punct or token.is_space:
            continue
        child = token
        while child.head.i not in (verb.i, child.i):
            if mark.open_i <= child.head.i:
                return token.i  # attached to a word of the quote or after it
            child = child.head
        if child.head.i == verb.i and child.dep_ in _CONTENT_DEPS:
            return token.i
    return -1


def _starts_sentence(doc: Doc, mark: _Marked) -> bool:
    j = mark.open_i - 1
    while j >= 0 and doc[j].is_space and "\n" not in doc[j].text:
        j -= 1
    if j < 0 or "\n" in doc[j].text:
        return True
    previous = doc[j].text
    # a closing mark (`“Meet the Press.” “Listening …`) or an abbreviation that ends the
    # sentence before it (`in Santa Monica, Calif. “The reality …`)
    ended = previous[-1:] in SENTENCE_END and previous[:1].isalpha()
    return ended or previous in SENTENCE_END | _BREAKS | CLOSE_MARKS | STRAIGHT_MARKS


def _cue_text(verb: Token) -> str:
    particle = next((c for c in verb.children if c.dep_ == "prt"), None)
    return f"{verb.lower_} {particle.lower_}" if particle is not None else verb.lower_


def _speaker_token(doc: Doc, verb: Token, mark: _Marked) -> Token | None:
    """The cue's subject, skipping subjects inside the quote itself ("telling the crowd,
    “Some people ...”") or across a paragraph break, by climbing to governing verbs.

    A parse that takes a word of the quote as the subject (`“Anybody who attacks him ...,”
    said Louise Sunshine`) may still give the cue a second subject outside it; failing
    that, the name between the quote and the cue stands in (`_nearest_name`)."""
    stop = mark.close_i if mark.close_i >= 0 else len(doc)

    def usable(subject: Token) -> bool:
        low, high = sorted((subject.i, verb.i))
        crosses = any("\n" in t.text for t in doc[low:high])
        return not (mark.open_i <= subject.i <= stop) and not crosses

    current: Token | None = verb
    for _ in range(4):
        if current is None:
            break
        subject = subject_of(current)
        if subject is None:
            break
        objects = [c for c in subject.children if c.dep_ == "pobj"]
        if subject.pos_ == "ADP" and objects:
            subject = objects[0]  # `Of Carson, Levine, ..., said`: "Of" parsed as the subject
        if usable(subject):
            return subject
        other = next((c for c in current.children if c.dep_ in _SUBJECT_DEPS and usable(c)), None)
        if other is not None:
            return other
        current = current.head if current.head is not current else None
    return _nearest_name(doc, verb, mark)


def _nearest_name(doc: Doc, verb: Token, mark: _Marked) -> Token | None:
    """When the parse gives the cue no subject: the proper noun or pronoun between the
    quote and the cue (`“…,” Ramos, 58, told AFP`), else right after the cue."""
    stop = mark.close_i if mark.close_i >= 0 else len(doc)
    if mark.close_i >= 0 and mark.close_i < verb.i:
        between = doc[mark.close_i + 1 : verb.i]
        found = [t for t in between if t.pos_ in ("PROPN", "PRON")]
        if found:
            return (
                _antecedent(found[0])
                if found[0].pos_ == "PRON"
                else found[0].head
                if found[0].dep_ == "compound"
                else found[0]
            )
        # `“…?” the 43-year-old asked`: a noun phrase with no name, parsed without a verb
        nouns = [t for t in between if t.pos_ in ("NOUN", "ADJ", "NUM")]
        if nouns and not any(t.pos_ in ("VERB", "AUX") or t.text in SENTENCE_END for t in between):
            return nouns[-1]
    if verb.i < mark.open_i:
        # `In a statement, her adviser, Jake Sullivan, said: “…”` parsed without a subject:
        # the closest name or pronoun before the cue, in its sentence and paragraph and
        # outside parentheses (`Paul Ryan (R-WI) said`)
        depth = 0
        for token in reversed(doc[max(0, verb.i - _MAX_FRAME) : verb.i]):
            if "\n" in token.text or token.text in SENTENCE_END | CLOSE_MARKS | STRAIGHT_MARKS:
                break
            depth += (token.text == ")") - (token.text == "(")
            if depth == 0 and token.pos_ in ("PROPN", "PRON"):
                return token.head if token.dep_ == "compound" else _antecedent(token)
    for token in doc[verb.i + 1 : verb.i + 4]:
        inside = mark.open_i <= token.i <= stop
        if token.pos_ in ("PROPN", "PRON") and not inside:
            return token.head if token.dep_ == "compound" else token
        if token.pos_ == "PROPN" and token.i < mark.open_i:
            return token
        if _inverted_name(token, verb, stop):
            return token
    if mark.close_i >= 0 and verb.i == mark.close_i + 1:
        # `“…,” read the statement` / `tweeted a German user`: the noun of the inverted
        # subject the parse made an object
        for token in doc[verb.i + 1 : verb.i + 5]:
            if token.is_punct or token.is_space or token.pos_ in ("VERB", "AUX"):
                break
            if token.pos_ in ("NOUN", "NUM"):
                return token
    return None


def _inverted_name(token: Token, verb: Token, stop: int) -> bool:
    """`“…,” said Skelly, explaining ...` with "Skelly" tagged as an adverb: a capitalised
    word right after a cue that follows the quote, not a date or a function word."""
    return (
        token.i == verb.i + 1
        and verb.i > stop
        and token.is_title
        and token.ent_type_ in ("", "PERSON", "ORG", "NORP")
        and token.pos_ not in ("DET", "ADP", "CCONJ", "SCONJ", "AUX", "PART")
    )


def _antecedent(token: Token) -> Token:
    """The noun a relative pronoun stands for (`an intelligence source, who was not
    authorized to speak, told ...`: the source, not "who"); other tokens unchanged."""
    if token.tag_ in ("WP", "WDT") and token.head.dep_ == "relcl":
        return token.head.head
    return token


def _resumes(doc: Doc, marks: list[_Marked], n: int) -> bool:
    """Quote `n` is the second half of one split by its frame (`“The risk,” said X, an
    economist, “is that …”`): the previous quote opens the sentence and ends with a comma,
    and only the frame and a comma stand between them."""
    mark = marks[n]
    if n == 0 or mark.open_i == 0 or doc[mark.open_i - 1].text != ",":
        return False
    previous = marks[n - 1]
    if previous.close_i < 0 or previous.paragraph != mark.paragraph:
        return False
    if mark.open_i - previous.close_i > _MAX_FRAME:
        return False
    if doc[previous.close_i - 1].text != "," or not _starts_sentence(doc, previous):
        return False
    between = doc[previous.close_i + 1 : mark.open_i]
    return not any(t.text in SENTENCE_END or "\n" in t.text for t in between)


def _framed(
    doc: Doc, mark: _Marked, paragraphs: list[int], resumes: bool = False
) -> Candidate | None:
    verb = _after_frame(doc, mark, paragraphs) if _starts_sentence(doc, mark) else None
    verb = verb or _before_frame(doc, mark, paragraphs)
    if verb is None:
        name = (
            _dash_attribution(doc, mark, paragraphs)
            or _colon_source(doc, mark, paragraphs)
            or _bracket_source(doc, mark, paragraphs)
        )
        if name is not None:
            return Candidate(mark.start, mark.end, "direct", "", -1, name.i)
        return _transcript_line(doc, mark)
    if verb.lower_ == "according":
        to = next((c for c in verb.children if c.lower_ == "to"), None)
        source = next((c for c in to.children if c.dep_ == "pobj"), None) if to else None
        if source is None:
            return None
        return Candidate(mark.start, mark.end, "direct", "according to", verb.i, source.i)
    # `Said Lopez: “…”` parsed with no subject for "Said": the name before the colon
    subject = _speaker_token(doc, verb, mark) or _colon_source(doc, mark, paragraphs)
    start, end, kind = mark.start, mark.end, "direct"
    # the frame between the halves of a split quote is no reported statement
    reported = -1 if resumes else _reported_before(doc, verb, mark)
    if reported >= 0:
        # the reported statement, closing mark included: `that after …, “It's time.”`
        start, kind = doc[reported].idx, "indirect"
        if mark.close_i >= 0:
            end = doc[mark.close_i].idx + len(doc[mark.close_i].text)
    return Candidate(
        start,
        end,
        kind,
        _cue_text(verb),
        verb.i,
        subject.i if subject is not None else -1,
    )


def marked_ranges(doc: Doc) -> list[tuple[int, int]]:
    """Character spans of everything inside quote marks, framed or not."""
    return [(m.start, m.end) for m in marked_spans(doc, _paragraphs(doc))]


def find_direct(doc: Doc) -> list[Candidate]:
    """Direct quotes in document order, each framed by a cue or continuing a framed one.

    A quote with no cue of its own shares the speaker of the previous framed quote in its
    paragraph, of the next one when it runs on into the next paragraph, or of the last
    framed quote of the paragraph before; short unframed phrases (scare quotes) are dropped.
    """
    paragraphs = _paragraphs(doc)
    marks = marked_spans(doc, paragraphs)
    resumes = [_resumes(doc, marks, n) for n in range(len(marks))]
    framed = [_framed(doc, m, paragraphs, r) for m, r in zip(marks, resumes, strict=True)]
    owner = [n if c is not None and c.subject >= 0 else -1 for n, c in enumerate(framed)]
    found: list[tuple[int, Candidate]] = []  # each candidate with the mark it comes from
    text = doc.text
    for n, (mark, cand) in enumerate(zip(marks, framed, strict=True)):
        if _is_title(text[mark.start : mark.end]):
            continue
        if cand is None or cand.subject < 0:
            floating = _starts_sentence(doc, mark) or resumes[n]
            short = mark.words < _MIN_FLOATING_WORDS and not _whole_sentence(doc, mark, text)
            if cand is None and (short or not floating):
                continue
            if cand is None and not resumes[n]:
                cand = _framed_by_previous(doc, marks, n, paragraphs)
                owner[n] = n if cand is not None else -1
        if cand is not None and cand.subject >= 0:
            found.append((n, cand))
            continue
        owner[n] = _continued_from(marks, owner, n)
        if owner[n] >= 0:
            cue = cand.cue if cand is not None else ""
            found.append((n, Candidate(mark.start, mark.end, "direct", cue, follow=owner[n])))
    return _renumber(found)


def _whole_sentence(doc: Doc, mark: _Marked, text: str) -> bool:
    """A short quote that is a sentence of its own (`“We're hopeful.”` after a framed quote,
    not a scare-quoted phrase): it opens a sentence with a capital and ends one."""
    quoted = text[mark.start : mark.end].rstrip()
    return quoted[:1].isupper() and quoted[-1:] in SENTENCE_END and _starts_sentence(doc, mark)


def _framed_by_previous(
    doc: Doc, marks: list[_Marked], n: int, paragraphs: list[int]
) -> Candidate | None:
    """A quote opening the sentence after a partial quote and its frame (`Golf clubs are
    “just scratching out a profit,” Hedge said. “Golf is a razor-thin industry.”`): the
    partial quote is part of a reported statement, so no framed quote precedes this one,
    but the frame after the partial quote names its speaker."""
    if n == 0 or marks[n - 1].paragraph != marks[n].paragraph:
        return None
    previous = marks[n - 1]
    verb = _after_frame(doc, previous, paragraphs)
    if verb is None or verb.i >= marks[n].open_i or verb.lower_ == "according":
        return None
    subject = _speaker_token(doc, verb, previous)
    if subject is None:
        return None
    mark = marks[n]
    return Candidate(mark.start, mark.end, "direct", _cue_text(verb), verb.i, subject.i)


def _is_title(quoted: str) -> bool:
    """A name in title case (`told “Fox and Friends”`, `wrote “Peter Pan”`), not words
    someone said: at most four words, each capitalised or a short function word."""
    if any(c in quoted for c in "!?.") or quoted.isupper():
        return False  # an exclamation, a question, a sentence, a shouted slogan
    words = quoted.rstrip(",").split()
    return (
        0 < len(words) <= _MAX_TITLE_WORDS
        and all(w[:1].isupper() or w in _TITLE_FUNCTION_WORDS for w in words)
        and any(w[:1].isupper() for w in words[1:])
    )


def _continued_from(marks: list[_Marked], owner: list[int], n: int) -> int:
    """Index (into `marks`) of the framed quote whose speaker quote `n` shares, or -1."""
    paragraph = marks[n].paragraph
    for k in range(n - 1, -1, -1):
        if marks[k].paragraph < paragraph - 1:
            break
        if owner[k] >= 0:
            return owner[k]
    if marks[n].close_i < 0:
        for k in range(n + 1, len(marks)):
            if marks[k].paragraph > paragraph + 2:
                break
            if owner[k] == k:
                return k
    return -1


def _renumber(found: list[tuple[int, Candidate]]) -> list[Candidate]:
    """The candidates, with `follow` turned from a mark index into an index into them,
    through the mark each comes from (a framed quote reported as a statement no longer
    spans its mark: `X said the gain is “ten times the loss,” he said. “Trade helps.”`)."""
    position = {n: i for i, (n, _) in enumerate(found)}
    return [replace(c, follow=position.get(c.follow, -1)) if c.follow >= 0 else c for _, c in found]
