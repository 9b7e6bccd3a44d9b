"""Main-clause subjects and person entities read off a parse, mending the small model's
usual mistakes (names hung under the wrong word, a name run into its apposition)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.quotes.lexicon import FINITE_TAGS, SENTENCE_END

if TYPE_CHECKING:
    from spacy.tokens import Doc, Span, Token

_SUBJECT_DEPS = ("nsubj", "nsubjpass")


def clause_of(token: Token) -> Token:
    """The nearest verb above `token` (itself for a verb)."""
    while token.pos_ not in ("VERB", "AUX") and token.head.i != token.i:
        token = token.head
    return token


_SPLITS = frozenset(["-", "–", "—", ",", ";", "(", ")"])


def entities(doc: Doc) -> list[Span]:
    """The document's entities, with a PERSON entity cut at a dash or comma inside it: the
    small model runs a name into its apposition ("Deborah Jordan Reynolds - Santilli's
    girlfriend" tagged as one PERSON, which made "Santilli" a surname of hers)."""
    from spacy.tokens import Span

    result: list[Span] = []
    for ent in doc.ents:
        cuts = [t.i for t in ent if t.text in _SPLITS and _spaced(t)]
        if ent.label_ != "PERSON" or not cuts:
            result.append(ent)
            continue
        start = ent.start
        for end in [*cuts, ent.end]:
            if end > start:
                result.append(Span(doc, start, end, label=ent.label_))
            start = end + 1
    return result


def _spaced(token: Token) -> bool:
    """Punctuation with a space on either side ("Reynolds - Santilli", not "Ki-moon")."""
    return bool(token.whitespace_) or (token.i > 0 and bool(token.doc[token.i - 1].whitespace_))


def main_subject(token: Token) -> bool:
    """Whether `token` is the subject of a main clause (its sentence's root verb, or a verb
    conjoined to it), not of a clause inside another ("in the event that Clinton faces
    Trump, she replied": the antecedent of "she" is not Clinton). A name in apposition
    to the subject counts ("Another superdelegate, Michael Brown, explained")."""
    if token.dep_ == "appos" and token.head is not token:
        token = token.head
    if token.dep_ not in _SUBJECT_DEPS:
        return _misparsed_subject(token)
    verb = token.head
    while verb.dep_ == "conj" and verb.head is not verb:
        verb = verb.head
    if verb.tag_ in FINITE_TAGS and verb.dep_ in _NOT_CLAUSES:
        return True  # "..., Biden rubbished Trump's claim" with "rubbished" as a modifier
    return verb.dep_ == "ROOT" or opens_sentence(verb.left_edge)


_NOT_CLAUSES = frozenset(["amod", "compound", "nmod", "dep"])


def opens_sentence(token: Token) -> bool:
    """Whether a sentence or paragraph starts at `token`: the parser often hangs a whole
    sentence under the cue of the quote after it (`Rhimes declared ...: “…,” she said`)."""
    j = token.i - 1
    while j >= 0 and token.doc[j].is_space and "\n" not in token.doc[j].text:
        j -= 1
    return j < 0 or "\n" in token.doc[j].text or token.doc[j].text in SENTENCE_END


_CLAUSE_DEPS = frozenset(["advcl", "relcl", "ccomp", "csubj", "acl", "pcomp", "xcomp", "conj"])


def _misparsed_subject(token: Token) -> bool:
    """A name the parser attached elsewhere although a main verb follows it ("In Dayton,
    62-year-old Jane Doe also railed against ...", parsed as the object of "In"): the
    name, then only adverbs, then a finite verb that heads no clause inside another, and
    no subordinating word before the name in its sentence."""
    doc = token.doc
    j = token.i + 1
    while j < len(doc) and doc[j].pos_ == "PROPN" and doc[j].ent_type_ == token.ent_type_:
        j += 1
    while j < len(doc) and doc[j].pos_ == "ADV":
        j += 1
    if j >= len(doc) or doc[j].tag_ not in FINITE_TAGS or doc[j].dep_ in _CLAUSE_DEPS:
        return False
    before = doc[token.sent.start : token.i]
    return not any(t.pos_ == "SCONJ" or t.tag_ in ("WDT", "WP") for t in before)


def one_word_entity(token: Token) -> bool:
    """Whether `token` is an entity of its own ("Obama" tagged GPE), not part of a longer
    one ("New York")."""
    following = token.doc[token.i + 1] if token.i + 1 < len(token.doc) else None
    return token.ent_iob_ == "B" and (following is None or following.ent_iob_ != "I")


_QUESTION_VERBS = frozenset(["ask", "question", "press"])


def asked(token: Token) -> bool:
    """Whether `token` is the person a main clause asks ("Earhardt then asked Rubio which
    states he could win."): the "he said" that follows is the answer, so the one asked
    is as good an antecedent as a subject."""
    verb = token.head
    if token.dep_ not in ("dobj", "dative") or verb.lemma_ not in _QUESTION_VERBS:
        return False
    return verb.dep_ == "ROOT" or opens_sentence(verb.left_edge)
