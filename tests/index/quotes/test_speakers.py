"""Speakers: names, titles and organisations, pronouns and their antecedents."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

pytest.importorskip("spacy")
from index.quotes import Speaker, extract_quotes
from tests.index.quotes.util import check_offsets, hand_quotes, only

if TYPE_CHECKING:
    from spacy.tokens import Doc


def test_curly_quote_speaker_after_with_title_and_organization() -> None:
    text = (
        "“We expect the harbor to reopen by the spring,” said Maria Lopez, "
        "director of the Valencia Port Authority."
    )
    quote = only(text)
    assert quote.text == "We expect the harbor to reopen by the spring"
    assert quote.cue == "said"
    assert quote.speaker == Speaker(
        "Maria Lopez", "director of the Valencia Port Authority", "Valencia Port Authority"
    )


@pytest.mark.parametrize(
    ("sentence", "cue"),
    [
        ("“It was a long night,” Okafor told reporters.", "told"),
        ("“Nobody warned the tenants,” Okafor added.", "added"),
        ("“Prices rose in every region,” Okafor noted.", "noted"),
    ],
)
def test_told_added_noted_resolve_surname(sentence: str, cue: str) -> None:
    text = "Amara Okafor, chief economist at Lagos Capital Partners, spoke in Abuja.\n" + sentence
    quote = only(text)
    assert quote.cue == cue
    assert quote.speaker.name == "Amara Okafor"
    assert quote.speaker.organization == "Lagos Capital Partners"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        # the parser takes "[Smith]" inside the quote as the first subject of "said"
        (
            "“I find that in conversations with other teachers, [Smith] can be very "
            "polarizing,” Kilfoyle said.",
            "Kilfoyle",
        ),
        # "said" gets no subject at all: the name right before the cue stands in
        (
            "In a statement to the Observer, her senior policy adviser, Jake Sullivan, "
            "said: “The minister believes that cooperation is essential.”",
            "Jake Sullivan",
        ),
        ("Senator Paul Ryan (R-WI) said: “These images have no place in a campaign.”", "Paul Ryan"),
    ],
)
def test_speaker_outside_the_quote_when_the_parse_puts_it_inside(text: str, speaker: str) -> None:
    assert only(text).speaker.name == speaker


def test_person_tagged_as_organisation_is_found_by_her_pronoun() -> None:
    # the small English model tags "Carly Fiorina" ORG; "her support" shows a person
    text = (
        "Carly Fiorina threw her support behind the senator on Wednesday.\n\n"
        "“He has fought for our liberty,” she said."
    )
    assert only(text).speaker.name == "Carly Fiorina"


def test_title_before_the_name() -> None:
    quote = only(
        "Foreign ministry spokesperson Liu Yan said the talks would resume on Monday.", "indirect"
    )
    assert quote.speaker.name == "Liu Yan"
    assert quote.speaker.title == "Foreign ministry spokesperson"


def test_coreference_across_paragraphs() -> None:
    text = (
        "Chen Wei, a professor of economics at Fudan University, spoke at the forum.\n"
        "The forum drew hundreds of delegates from across the region.\n"
        "Professor Chen warned that local debt remains a serious risk.\n"
        "Turnout at the event was higher than last year.\n"
        "“We have to act before the next downturn,” he said.\n"
        "Chen added that reforms should start with the provinces."
    )
    quotes = extract_quotes(text, "doc")
    check_offsets(text, quotes)
    assert len(quotes) == 3
    expected = Speaker("Chen Wei", "professor of economics at Fudan University", "Fudan University")
    assert [q.speaker for q in quotes] == [expected] * 3
    assert [q.kind for q in quotes] == ["indirect", "direct", "indirect"]
    assert [q.id for q in quotes] == ["doc:q0", "doc:q1", "doc:q2"]


def _speakers(text: str) -> list[tuple[str, str]]:
    quotes = extract_quotes(text, "t")
    check_offsets(text, quotes)
    return [(q.kind, q.speaker.name) for q in quotes]


def test_pronoun_skips_the_subject_of_a_subordinate_clause() -> None:
    text = (
        "Maria Lopez, an actress, campaigned for the senator in Ohio on Sunday.\n"
        "Asked whether she would vote for him if Anna Berg wins the nomination, "
        "she replied: “I don't know yet.”"
    )
    assert _speakers(text)[-1] == ("direct", "Maria Lopez")


def test_gender_evidence_stops_at_another_person() -> None:
    # "her aides" are Maria Lopez's, which says nothing about Glen Kopp
    text = (
        "James Comey said he was very close to the investigation.\n"
        "Glen Kopp, a former prosecutor, said agents want to interview Maria Lopez and her aides.\n"
        "“They are within the zone of interest of the investigation,” he said."
    )
    assert _speakers(text)[-1] == ("direct", "Glen Kopp")


def test_pronoun_finds_a_surname_subject_the_parser_hangs_under_the_next_cue() -> None:
    text = (
        "Several awards went to Shonda Rhimes, Mary Keller and Anna Berg.\n"
        "In her speech, Rhimes declared the need for strong will: “Change the world, and "
        "then change it again,” she said."
    )
    assert _speakers(text) == [("indirect", "Shonda Rhimes"), ("direct", "Shonda Rhimes")]


def test_pronoun_finds_a_sentence_subject_the_parser_hangs_under_the_next_cue() -> None:
    # parsed as `declared` <- ccomp <- `said`: still the subject of its own sentence
    text = (
        "Anna Berg won the Legend award.\nIn her speech, Shonda Rhimes declared the need "
        "for strong will: “Change the world, and then change it again,” she said."
    )
    assert _speakers(text) == [("indirect", "Shonda Rhimes"), ("direct", "Shonda Rhimes")]


def test_surname_the_tagger_calls_a_common_noun_is_still_an_antecedent() -> None:
    # a hand-built parse, as the small model gives it for "Sanders wasn't impressed."
    from spacy.tokens import Doc

    from index.quotes.nlp import pipeline
    from index.quotes.speakers import Mention, Resolver

    rows = [  # word, tag, dependency, head, entity
        ("Bernie", "PROPN", "compound", 1, "B-PERSON"),
        ("Sanders", "PROPN", "nsubj", 2, "I-PERSON"),
        ("spoke", "VERB", "ROOT", 2, "O"),
        (".", "PUNCT", "punct", 2, "O"),
        ("Barack", "PROPN", "compound", 5, "B-PERSON"),
        ("Obama", "PROPN", "nsubj", 6, "I-PERSON"),
        ("spoke", "VERB", "ROOT", 6, "O"),
        (".", "PUNCT", "punct", 6, "O"),
        ("Sanders", "NOUN", "nsubj", 9, "B-PERSON"),
        ("was", "AUX", "ROOT", 9, "O"),
        ("calm", "ADJ", "acomp", 9, "O"),
        (".", "PUNCT", "punct", 9, "O"),
    ]
    words, pos, deps, heads, ents = (list(column) for column in zip(*rows, strict=True))
    doc = Doc(pipeline().vocab, words=words, pos=pos, deps=deps, heads=heads, ents=ents)
    he = Mention(len(doc.text), "he", "", "", "pronoun", "he")
    assert Resolver(doc).resolve(he).name == "Bernie Sanders"


def test_pronoun_finds_a_name_in_apposition_to_the_subject() -> None:
    text = (
        "Tom Becker backed the senator on Monday.\nAnother superdelegate, Michael Brown, "
        "explained the reason for his support.\n"
        "“It is time to stand behind our candidate,” he declared."
    )
    assert _speakers(text) == [("indirect", "Michael Brown"), ("direct", "Michael Brown")]


def test_first_name_in_apposition_names_the_speaker() -> None:
    text = (
        "Tom Becker spoke first at the rally.\nHis wife, Jane, called for an open primary.\n"
        "“Shutting people out of the process is not smart,” she said."
    )
    quotes = extract_quotes(text, "t")
    check_offsets(text, quotes)
    assert [(q.kind, q.speaker.name) for q in quotes] == [("indirect", "Jane"), ("direct", "Jane")]
    assert quotes[0].speaker.title == "His wife"


def _hand_parsed(rows: list[tuple[str, str, str, str, int, str]]) -> Doc:
    """A Doc from (word, pos, tag, dependency, head, entity IOB) rows: the small model's
    mistakes, fixed here so a test does not depend on a model version."""
    from spacy.tokens import Doc

    from index.quotes.nlp import pipeline

    words, pos, tags, deps, heads, ents = (list(column) for column in zip(*rows, strict=True))
    return Doc(pipeline().vocab, words=words, pos=pos, tags=tags, deps=deps, heads=heads, ents=ents)


def _he_after(doc: Doc, pronoun: str = "he") -> str:
    from index.quotes.speakers import Mention, Resolver

    he = Mention(len(doc.text), pronoun, "", "", "pronoun", pronoun)
    return Resolver(doc).resolve(he).name


_TWO_SPEAKERS = [
    ("Barack", "PROPN", "NNP", "compound", 1, "B-PERSON"),
    ("Obama", "PROPN", "NNP", "nsubj", 2, "I-PERSON"),
    ("spoke", "VERB", "VBD", "ROOT", 2, "O"),
    (".", "PUNCT", ".", "punct", 2, "O"),
    ("Maria", "PROPN", "NNP", "compound", 5, "B-PERSON"),
    ("Lopez", "PROPN", "NNP", "nsubj", 6, "I-PERSON"),
    ("spoke", "VERB", "VBD", "ROOT", 6, "O"),
    (".", "PUNCT", ".", "punct", 6, "O"),
]


def test_pronoun_finds_a_subject_the_parser_made_an_object() -> None:
    # "In Dayton, John Miller also railed ...", parsed with "Miller" as the object of "In"
    rows = [
        *_TWO_SPEAKERS,
        ("In", "ADP", "IN", "prep", 14, "O"),
        ("Dayton", "PROPN", "NNP", "compound", 12, "B-GPE"),
        (",", "PUNCT", ",", "punct", 12, "O"),
        ("John", "PROPN", "NNP", "compound", 12, "B-PERSON"),
        ("Miller", "PROPN", "NNP", "pobj", 8, "I-PERSON"),
        ("also", "ADV", "RB", "advmod", 14, "O"),
        ("railed", "VERB", "VBD", "ROOT", 14, "O"),
        (".", "PUNCT", ".", "punct", 14, "O"),
    ]
    assert _he_after(_hand_parsed(rows)) == "John Miller"


def test_pronoun_finds_a_known_surname_the_tagger_calls_a_place() -> None:
    # "Obama agreed." with "Obama" tagged GPE, as the small model often does
    rows = [
        *_TWO_SPEAKERS,
        ("Obama", "PROPN", "NNP", "nsubj", 9, "B-GPE"),
        ("agreed", "VERB", "VBD", "ROOT", 9, "O"),
        (".", "PUNCT", ".", "punct", 9, "O"),
    ]
    assert _he_after(_hand_parsed(rows)) == "Barack Obama"


def test_surname_means_the_person_it_ends_not_a_later_name_it_starts() -> None:
    text = (
        "Donald Trump held a rally in Ohio on Monday.\n"
        "Trump Taylor, a singer, performed at the event.\n"
        "“We are going to win big,” Trump said."
    )
    assert _speakers(text) == [("direct", "Donald Trump")]


def test_unresolved_first_person_is_no_antecedent_for_he() -> None:
    text = (
        "Tom Becker, the mayor, arrived late to the meeting.\n“I was not there,” I said.\n"
        "“It was a long day,” he told me."
    )
    assert _speakers(text)[-1] == ("direct", "Tom Becker")


def test_gender_evidence_only_from_a_pronoun_of_the_same_clause() -> None:
    # "her" belongs to a clause inside the reported content: it says nothing of Mukasey
    text = (
        "Michael Mukasey spoke at the convention.\n"
        "Mukasey said the scandal is only the latest issue in her political career.\n"
        "“She should not be president,” he said."
    )
    assert _speakers(text)[-1] == ("direct", "Michael Mukasey")


def test_relative_pronoun_before_a_cue_without_subject_means_the_noun_it_modifies() -> None:
    # "..., a White House official who spoke said, “We agree.”", parsed with no subject
    # for "said": the speaker is the official, not "who"
    rows = [  # word, pos, tag, dependency, head, entity IOB, space after
        ("On", "ADP", "IN", "prep", 9, "O", True),
        ("Monday", "PROPN", "NNP", "pobj", 0, "B-DATE", False),
        (",", "PUNCT", ",", "punct", 9, "O", True),
        ("a", "DET", "DT", "det", 6, "O", True),
        ("White", "PROPN", "NNP", "compound", 5, "B-ORG", True),
        ("House", "PROPN", "NNP", "compound", 6, "I-ORG", True),
        ("official", "NOUN", "NN", "appos", 1, "O", True),
        ("who", "PRON", "WP", "nsubj", 8, "O", True),
        ("spoke", "VERB", "VBD", "relcl", 6, "O", True),
        ("said", "VERB", "VBD", "ROOT", 9, "O", False),
        (",", "PUNCT", ",", "punct", 9, "O", True),
        ("“", "PUNCT", "``", "punct", 13, "O", False),
        ("We", "PRON", "PRP", "nsubj", 13, "O", True),
        ("agree", "VERB", "VBP", "ccomp", 9, "O", False),
        (".", "PUNCT", ".", "punct", 13, "O", False),
        ("”", "PUNCT", "''", "punct", 13, "O", False),
    ]
    quotes = hand_quotes(rows)
    assert [(q.kind, q.text, q.speaker.name) for q in quotes] == [
        ("direct", "We agree.", "White House official")
    ]


def test_no_gender_evidence_from_a_name_inside_reported_content() -> None:
    # "her family" is Anna Berg's: Becker, the subject of the reported clause, stays a "he"
    text = (
        "Tom Becker met the families on Monday.\nAnna Berg said she was angry.\n"
        "She said that Becker had ignored her family.\n"
        "“I listened to every one of them,” he said."
    )
    assert _speakers(text)[-1] == ("direct", "Tom Becker")


def test_he_after_a_question_is_the_person_asked() -> None:
    text = (
        "Last month, the Herald's Anna Berg asked Tom Becker whether questions about his "
        "health were fair game.\n“Sure it is. I would not have run if I was not healthy,” he said."
    )
    assert _speakers(text)[-1] == ("direct", "Tom Becker")


def test_a_person_entity_run_into_its_apposition_is_cut_at_the_dash() -> None:
    # the small model tags "Deborah Reynolds - Santilli's" as one PERSON
    from spacy.tokens import Doc

    from index.quotes.nlp import pipeline
    from index.quotes.speakers import Mention, Resolver

    rows = [  # word, dependency, head, entity IOB, space after
        ("Deborah", "compound", 1, "B-PERSON", True),
        ("Reynolds", "nsubj", 7, "I-PERSON", True),
        ("-", "punct", 1, "I-PERSON", True),
        ("Santilli", "poss", 5, "I-PERSON", False),
        ("'s", "case", 3, "I-PERSON", True),
        ("girlfriend", "appos", 1, "O", True),
        ("-", "punct", 1, "O", True),
        ("told", "ROOT", 7, "O", True),
        ("reporters", "dobj", 7, "O", False),
        (".", "punct", 7, "O", False),
    ]
    words, deps, heads, ents, spaces = (list(column) for column in zip(*rows, strict=True))
    pos = ["PROPN", "PROPN", "PUNCT", "PROPN", "PART", "NOUN", "PUNCT", "VERB", "NOUN", "PUNCT"]
    doc = Doc(
        pipeline().vocab, words=words, spaces=spaces, pos=pos, deps=deps, heads=heads, ents=ents
    )
    surname = Mention(len(doc.text), "Reynolds", "", "", "person", "reynolds")
    assert Resolver(doc).resolve(surname).name == "Deborah Reynolds"


def test_full_name_tagged_organisation_is_a_person_when_its_surname_is_one() -> None:
    # the small model tags "Carly Fiorina" and "Fiorina" ORG throughout; "her support"
    # shows "Fiorina" is a woman, so "Carly Fiorina" is a person too
    rows = [
        ("Carly", "PROPN", "NNP", "compound", 1, "B-ORG"),
        ("Fiorina", "PROPN", "NNP", "nsubj", 2, "I-ORG"),
        ("spoke", "VERB", "VBD", "ROOT", 2, "O"),
        (".", "PUNCT", ".", "punct", 2, "O"),
        ("Tom", "PROPN", "NNP", "compound", 5, "B-PERSON"),
        ("Becker", "PROPN", "NNP", "nsubj", 6, "I-PERSON"),
        ("spoke", "VERB", "VBD", "ROOT", 6, "O"),
        (".", "PUNCT", ".", "punct", 6, "O"),
        ("Fiorina", "PROPN", "NNP", "nsubj", 9, "B-ORG"),
        ("threw", "VERB", "VBD", "ROOT", 9, "O"),
        ("her", "PRON", "PRP$", "poss", 11, "O"),
        ("support", "NOUN", "NN", "dobj", 9, "O"),
        (".", "PUNCT", ".", "punct", 9, "O"),
    ]
    assert _he_after(_hand_parsed(rows), "she") == "Carly Fiorina"


def test_pronoun_finds_the_subject_of_a_main_verb_parsed_as_a_modifier() -> None:
    # "Repeating his speech, Joe Biden rubbished the claim." with "rubbished" as an
    # adjective of "claim", the parse the small model gives
    rows = [
        *_TWO_SPEAKERS,
        ("Repeating", "VERB", "VBG", "advcl", 16, "O"),
        ("his", "PRON", "PRP$", "poss", 10, "O"),
        ("speech", "NOUN", "NN", "dobj", 8, "O"),
        (",", "PUNCT", ",", "punct", 16, "O"),
        ("Joe", "PROPN", "NNP", "compound", 13, "B-PERSON"),
        ("Biden", "PROPN", "NNP", "nsubj", 14, "I-PERSON"),
        ("rubbished", "VERB", "VBD", "amod", 16, "O"),
        ("the", "DET", "DT", "det", 16, "O"),
        ("claim", "NOUN", "NN", "ROOT", 16, "O"),
        (".", "PUNCT", ".", "punct", 16, "O"),
    ]
    assert _he_after(_hand_parsed(rows)) == "Joe Biden"


def test_preposition_parsed_as_the_subject_gives_its_object() -> None:
    # `Of Carson, Levine said, “…”` parsed with "Of" as the subject and Levine its object
    rows = [  # word, pos, tag, dependency, head, entity IOB, space after
        ("Of", "ADP", "IN", "nsubj", 4, "O", True),
        ("Carson", "PROPN", "NNP", "nmod", 3, "B-PERSON", False),
        (",", "PUNCT", ",", "punct", 3, "O", True),
        ("Levine", "PROPN", "NNP", "pobj", 0, "B-PERSON", True),
        ("said", "VERB", "VBD", "ROOT", 4, "O", False),
        (",", "PUNCT", ",", "punct", 4, "O", True),
        ("“", "PUNCT", "``", "punct", 8, "O", False),
        ("He", "PRON", "PRP", "nsubj", 8, "O", True),
        ("is", "AUX", "VBZ", "ccomp", 4, "O", True),
        ("scary", "ADJ", "JJ", "acomp", 8, "O", False),
        (".", "PUNCT", ".", "punct", 8, "O", False),
        ("”", "PUNCT", "''", "punct", 8, "O", False),
    ]
    quotes = hand_quotes(rows)
    assert [(q.kind, q.text, q.speaker.name) for q in quotes] == [
        ("direct", "He is scary.", "Levine")
    ]


_WE_WON = [  # “We won,”
    ("“", "PUNCT", "``", "punct", 2, "O", False),
    ("We", "PRON", "PRP", "nsubj", 2, "O", True),
    ("won", "VERB", "VBD", "ccomp", 5, "O", False),
    (",", "PUNCT", ",", "punct", 2, "O", False),
    ("”", "PUNCT", "''", "punct", 2, "O", True),
]


def test_inverted_cue_whose_name_the_parser_hung_elsewhere() -> None:
    # `“We won,” said Jim Bopp, a lawyer.` with "Bopp" parsed as a dependent of "won"
    rows = [
        *_WE_WON,
        ("said", "VERB", "VBD", "ROOT", 5, "O", True),
        ("Jim", "PROPN", "NNP", "compound", 7, "B-PERSON", True),
        ("Bopp", "PROPN", "NNP", "npadvmod", 2, "I-PERSON", False),
        (",", "PUNCT", ",", "punct", 7, "O", True),
        ("a", "DET", "DT", "det", 10, "O", True),
        ("lawyer", "NOUN", "NN", "appos", 7, "O", False),
        (".", "PUNCT", ".", "punct", 5, "O", False),
    ]
    assert [(q.kind, q.text, q.speaker.name) for q in hand_quotes(rows)] == [
        ("direct", "We won", "Jim Bopp")
    ]


def test_inverted_cue_with_a_name_tagged_as_an_adverb() -> None:
    # `“We won,” said Skelly, smiling.` with "Skelly" tagged as an adverb
    rows = [
        *_WE_WON,
        ("said", "VERB", "VBD", "ROOT", 5, "O", True),
        ("Skelly", "ADV", "RB", "advmod", 5, "O", False),
        (",", "PUNCT", ",", "punct", 5, "O", True),
        ("smiling", "VERB", "VBG", "advcl", 5, "O", False),
        (".", "PUNCT", ".", "punct", 5, "O", False),
    ]
    assert [(q.kind, q.speaker.name) for q in hand_quotes(rows)] == [("direct", "Skelly")]


def test_speaker_after_the_quote_is_a_noun_phrase_without_a_name() -> None:
    # `“Is it over?” the 43-year-old asked.` parsed with "old" as the root, "asked" its modifier
    rows = [
        ("“", "PUNCT", "``", "punct", 2, "O", False),
        ("Is", "AUX", "VBZ", "ROOT", 2, "O", True),
        ("it", "PRON", "PRP", "nsubj", 1, "O", True),
        ("over", "ADV", "RB", "advmod", 1, "O", False),
        ("?", "PUNCT", ".", "punct", 1, "O", False),
        ("”", "PUNCT", "''", "punct", 1, "O", True),
        ("the", "DET", "DT", "det", 11, "O", True),
        ("43", "NUM", "CD", "nummod", 9, "B-DATE", False),
        ("-", "PUNCT", "HYPH", "punct", 9, "I-DATE", False),
        ("year", "NOUN", "NN", "npadvmod", 11, "I-DATE", False),
        ("-", "PUNCT", "HYPH", "punct", 11, "I-DATE", False),
        ("old", "ADJ", "JJ", "ROOT", 11, "I-DATE", True),
        ("asked", "VERB", "VBN", "acl", 11, "O", False),
        (".", "PUNCT", ".", "punct", 11, "O", False),
    ]
    quotes = hand_quotes(rows)
    assert [(q.kind, q.text) for q in quotes] == [("direct", "Is it over?")]
    assert "old" in quotes[0].speaker.name


def test_cue_after_the_quote_tagged_as_a_noun() -> None:
    # `“We won,” the two write.` with "write" tagged as a noun
    rows = [
        *_WE_WON,
        ("the", "DET", "DT", "det", 7, "O", True),
        ("two", "NUM", "CD", "nummod", 7, "O", True),
        ("write", "NOUN", "NN", "ROOT", 7, "O", False),
        (".", "PUNCT", ".", "punct", 7, "O", False),
    ]
    assert [(q.kind, q.text) for q in hand_quotes(rows)] == [("direct", "We won")]


def test_inverted_cue_with_a_nameless_speaker_parsed_as_its_object() -> None:
    # `“We won,” said the coach, smiling.` with "coach" parsed as the object of "said"
    rows = [
        *_WE_WON,
        ("said", "VERB", "VBD", "ROOT", 5, "O", True),
        ("the", "DET", "DT", "det", 7, "O", True),
        ("coach", "NOUN", "NN", "dobj", 5, "O", False),
        (",", "PUNCT", ",", "punct", 5, "O", True),
        ("smiling", "VERB", "VBG", "advcl", 5, "O", False),
        (".", "PUNCT", ".", "punct", 5, "O", False),
    ]
    quotes = hand_quotes(rows)
    assert [(q.kind, q.text) for q in quotes] == [("direct", "We won")]
    assert "coach" in quotes[0].speaker.name


@pytest.mark.parametrize(
    ("text", "organization"),
    [
        ("“The debate was a long night,” said Rob Lee, a retiree from Tucson.", ""),
        ("“We are ready,” said Maria Lopez, 41, a nurse in Phoenix.", ""),
        ("“We are ready,” said Maria Lopez, an economist from Goldman Sachs.", "Goldman Sachs"),
    ],
)
def test_a_place_in_the_descriptor_is_no_organisation(text: str, organization: str) -> None:
    assert only(text).speaker.organization == organization
