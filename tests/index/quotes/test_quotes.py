"""Quote extraction: direct and reported speech, speakers, coreference, offsets, seed gold."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

pytest.importorskip("spacy")
from index.documents import load_text_file
from index.quotes import Quote, Speaker, extract_quotes, extract_quotes_batch

if TYPE_CHECKING:
    from spacy.tokens import Doc

REPO = Path(__file__).resolve().parents[1]
SEED = REPO / "seeds" / "china-daily-new-quality-productive-forces.txt"
GOLD = REPO / "evals" / "data" / "seed_quotes_gold.json"


def _check_offsets(text: str, quotes: list[Quote]) -> None:
    for quote in quotes:
        assert text[quote.start : quote.end] == quote.text
    assert [q.start for q in quotes] == sorted(q.start for q in quotes)


def _direct(text: str) -> list[Quote]:
    return [q for q in extract_quotes(text, "t") if q.kind == "direct"]


def _only(text: str, kind: str = "direct") -> Quote:
    quotes = [q for q in extract_quotes(text, "t") if q.kind == kind]
    _check_offsets(text, quotes)
    assert len(quotes) == 1, quotes
    return quotes[0]


def test_curly_quote_speaker_after_with_title_and_organization() -> None:
    text = (
        "“We expect the harbor to reopen by the spring,” said Maria Lopez, "
        "director of the Valencia Port Authority."
    )
    quote = _only(text)
    assert quote.text == "We expect the harbor to reopen by the spring"
    assert quote.cue == "said"
    assert quote.speaker == Speaker(
        "Maria Lopez", "director of the Valencia Port Authority", "Valencia Port Authority"
    )


def test_straight_quote_marks() -> None:
    text = (
        '"Our engineers are working around the clock," said Tom Becker, '
        "a spokesman for Northwind Shipping."
    )
    quote = _only(text)
    assert quote.text == "Our engineers are working around the clock"
    assert quote.speaker.name == "Tom Becker"
    assert quote.speaker.organization == "Northwind Shipping"


def test_speaker_before_with_colon_and_multi_sentence_quote() -> None:
    text = (
        "Amara Okafor, chief economist at Lagos Capital Partners, said: “Inflation has "
        "peaked. Rates will fall next year. Investors should prepare.”"
    )
    quote = _only(text)
    assert (
        quote.text == "Inflation has peaked. Rates will fall next year. Investors should prepare."
    )
    assert quote.speaker.name == "Amara Okafor"
    assert quote.speaker.title == "chief economist at Lagos Capital Partners"
    assert quote.speaker.organization == "Lagos Capital Partners"


def test_quote_split_by_attribution_gives_two_quotes_same_speaker() -> None:
    text = (
        "Hannah Weiss opened the new bridge on Monday.\n"
        "“The first phase is finished,” she said. “The second will take longer.”"
    )
    quotes = extract_quotes(text, "t")
    _check_offsets(text, quotes)
    direct = [q for q in quotes if q.kind == "direct"]
    assert [q.text for q in direct] == [
        "The first phase is finished",
        "The second will take longer.",
    ]
    assert {q.speaker.name for q in direct} == {"Hannah Weiss"}


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
    quote = _only(text)
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
    assert _only(text).speaker.name == speaker


def test_person_tagged_as_organisation_is_found_by_her_pronoun() -> None:
    # the small English model tags "Carly Fiorina" ORG; "her support" shows a person
    text = (
        "Carly Fiorina threw her support behind the senator on Wednesday.\n\n"
        "“He has fought for our liberty,” she said."
    )
    assert _only(text).speaker.name == "Carly Fiorina"


def test_nested_single_quotes_stay_inside_the_double_quote() -> None:
    text = "“The crowd kept shouting ‘open the gates’ until midnight,” said Tom Becker."
    quote = _only(text)
    assert quote.text == "The crowd kept shouting ‘open the gates’ until midnight"
    assert quote.speaker.name == "Tom Becker"


@pytest.mark.parametrize(
    ("text", "fragment", "speaker"),
    [
        (
            "Nora Helms noted that although the rail line is not new to the valley, "
            "“every town along it will feel the change.”",
            "every town along it will feel the change",
            "Nora Helms",
        ),
        (
            "Pedro Alves tells his students that after forty years of waiting, "
            "“the bridge is finally ours.”",
            "the bridge is finally ours",
            "Pedro Alves",
        ),
    ],
)
def test_quote_inside_a_reported_statement_is_reported_speech(
    text: str, fragment: str, speaker: str
) -> None:
    """The quoted words are part of what is reported, not a direct quote of their own."""
    assert not _direct(text)
    quote = _only(text, "indirect")
    assert quote.text.startswith("that ")
    assert fragment in quote.text
    assert quote.speaker.name == speaker


@pytest.mark.parametrize(
    "text",
    [
        "Nora Helms told reporters on Monday: “Every town along the line will feel it.”",
        "Nora Helms said in an interview, “Every town along the line will feel it.”",
    ],
)
def test_cue_with_its_own_objects_before_a_quote_stays_direct(text: str) -> None:
    quote = _only(text)
    assert quote.text == "Every town along the line will feel it."
    assert quote.speaker.name == "Nora Helms"


def test_scare_quotes_are_not_quotes() -> None:
    text = "The so-called “smart” meters were installed across the district last year."
    assert extract_quotes(text, "t") == []


@pytest.mark.parametrize(
    ("text", "cue", "content", "speaker"),
    [
        (
            "Maria Lopez said that the harbor would reopen in the spring.",
            "said",
            "that the harbor would reopen in the spring",
            "Maria Lopez",
        ),
        (
            "Tom Becker called for an independent review of the dredging contract.",
            "called for",
            "an independent review of the dredging contract",
            "Tom Becker",
        ),
        (
            "Maria Lopez stressed the importance of keeping the fishing fleet informed.",
            "stressed",
            "the importance of keeping the fishing fleet informed",
            "Maria Lopez",
        ),
        (
            "Tom Becker warned that fuel prices could rise again before winter.",
            "warned",
            "that fuel prices could rise again before winter",
            "Tom Becker",
        ),
        (
            "According to the Federal Aviation Administration, the runway will close for a week.",
            "according to",
            "the runway will close for a week",
            "Federal Aviation Administration",
        ),
        (
            "The new terminal will cost 40 million euros, said the European Investment Bank.",
            "said",
            "The new terminal will cost 40 million euros",
            "European Investment Bank",
        ),
    ],
)
def test_reported_speech(text: str, cue: str, content: str, speaker: str) -> None:
    quote = _only(text, "indirect")
    assert (quote.cue, quote.text, quote.speaker.name) == (cue, content, speaker)


def test_called_it_names_the_object_and_what_it_was_called() -> None:
    text = "The mayor called the new bridge a waste of money, and said she would vote against it."
    quotes = extract_quotes(text, "t")
    assert [(q.cue, q.text) for q in quotes] == [
        ("called", "the new bridge a waste of money"),
        ("said", "she would vote against it"),
    ]


@pytest.mark.parametrize(
    ("text", "content"),
    [
        (
            "Ana Ruiz urged residents to stay indoors until the storm passed.",
            "residents to stay indoors until the storm passed",
        ),
        ("Tom Becker vowed to fight the ruling in court.", "to fight the ruling in court"),
        (
            "Ana Ruiz accused the council of hiding the cost of the new bridge.",
            "the council of hiding the cost of the new bridge",
        ),
        ("The ministry announced a ban on fishing in the bay.", "a ban on fishing in the bay"),
        (
            "Tom Becker cited rising fuel prices and a shortage of drivers.",
            "rising fuel prices and a shortage of drivers",
        ),
        ("The mayor mentioned the delays at the port.", "the delays at the port"),
    ],
)
def test_infinitive_or_object_of_a_reporting_verb_is_the_content(text: str, content: str) -> None:
    """A request or commitment as an infinitive (`urged`, `vowed`), or the object of a
    verb whose object is what was said (`accused`, `announced`, `cited`, `mentioned`)."""
    assert _only(text, "indirect").text == content


def test_cue_in_the_middle_of_the_sentence_reports_the_rest() -> None:
    quote = _only("On most days, the workers said, the ferry leaves late.", "indirect")
    assert (quote.text, quote.speaker.name) == ("the ferry leaves late", "workers")


def test_company_said_in_a_statement_resolves_to_the_organisation() -> None:
    text = (
        "Northwind Shipping reported a loss last quarter. "
        "The company said in a statement that it would cut 200 jobs."
    )
    quote = _only(text, "indirect")
    assert quote.text == "that it would cut 200 jobs"
    assert quote.speaker.name == "Northwind Shipping"


def test_title_before_the_name() -> None:
    quote = _only(
        "Foreign ministry spokesperson Liu Yan said the talks would resume on Monday.", "indirect"
    )
    assert quote.speaker.name == "Liu Yan"
    assert quote.speaker.title == "Foreign ministry spokesperson"


def test_while_highlighting_that() -> None:
    text = (
        "Alice Martin, the chief executive of Brightwater Energy, opened the plant.\n"
        "She welcomed the subsidy while highlighting that the grid needs upgrades."
    )
    quote = _only(text, "indirect")
    assert quote.cue == "highlighting"
    assert quote.text == "that the grid needs upgrades"
    assert quote.speaker == Speaker(
        "Alice Martin", "chief executive of Brightwater Energy", "Brightwater Energy"
    )


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
    _check_offsets(text, quotes)
    assert len(quotes) == 3
    expected = Speaker("Chen Wei", "professor of economics at Fudan University", "Fudan University")
    assert [q.speaker for q in quotes] == [expected] * 3
    assert [q.kind for q in quotes] == ["indirect", "direct", "indirect"]
    assert [q.id for q in quotes] == ["doc:q0", "doc:q1", "doc:q2"]


def test_json_round_trip() -> None:
    quote = _only(
        "“Rates will fall,” said Amara Okafor, chief economist at Lagos Capital Partners."
    )
    row = quote.to_json()
    assert set(row) == {"id", "doc_id", "text", "kind", "start", "end", "cue", "speaker"}
    assert set(row["speaker"]) == {"name", "title", "organization"}
    assert Quote.from_json(json.loads(json.dumps(row))) == quote
    with pytest.raises(ValueError, match="direct"):
        Quote.from_json({**row, "kind": "rumour"})


def test_batch_matches_single_calls_and_empty_text() -> None:
    texts = [("a", "“Rates will fall,” said Amara Okafor."), ("b", ""), ("c", "No quotes here.")]
    batch = extract_quotes_batch(texts)
    assert batch == [extract_quotes(text, doc_id) for doc_id, text in texts]
    assert batch[0][0].id == "a:q0" and batch[1] == [] and batch[2] == []


def test_offsets_hold_with_leading_whitespace_and_windows_quotes() -> None:
    text = '   \n\n  "Tariffs hurt farmers," said Tom Becker.\n“They also hurt buyers,” he added.  '
    quotes = extract_quotes(text, "t")
    _check_offsets(text, quotes)
    assert [q.speaker.name for q in quotes] == ["Tom Becker", "Tom Becker"]


def test_seed_article_matches_gold() -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    doc = load_text_file(SEED)
    quotes = extract_quotes(doc.text, doc.id)
    _check_offsets(doc.text, quotes)
    direct = [q.to_json() for q in quotes if q.kind == "direct"]
    strip = [{k: v for k, v in q.items() if k not in ("id", "doc_id")} for q in direct]
    assert strip == gold["direct"]
    indirect = [q for q in quotes if q.kind == "indirect"]
    found = 0
    for want in gold["indirect"]:
        for quote in indirect:
            shared = min(want["end"], quote.end) - max(want["start"], quote.start)
            longest = max(want["end"] - want["start"], quote.end - quote.start)
            if shared / longest >= 0.8 and quote.speaker.name == want["speaker"]["name"]:
                found += 1
                break
    assert found == len(gold["indirect"]), f"{found} of {len(gold['indirect'])}"
    assert len(indirect) == len(gold["indirect"])


def _speakers(text: str) -> list[tuple[str, str]]:
    quotes = extract_quotes(text, "t")
    _check_offsets(text, quotes)
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
    _check_offsets(text, quotes)
    assert [(q.kind, q.speaker.name) for q in quotes] == [("indirect", "Jane"), ("direct", "Jane")]
    assert quotes[0].speaker.title == "His wife"


@pytest.mark.parametrize(
    ("text", "quoted", "speaker"),
    [
        (
            "Maria Lopez leaned toward the microphone and whispered: “We will not give up.”",
            "We will not give up.",
            "Maria Lopez",
        ),
        (
            "Asked about the lawsuit, Tom Becker fired back: “Let them sue us in court.”",
            "Let them sue us in court.",
            "Tom Becker",
        ),
        (
            "After the vote, Governor Amara Okafor issued the following statement:\n\n"
            "“Our thoughts are with the families of the victims tonight.”",
            "Our thoughts are with the families of the victims tonight.",
            "Amara Okafor",
        ),
    ],
)
def test_quote_only_cues_frame_a_quote_in_marks(text: str, quoted: str, speaker: str) -> None:
    quote = _only(text)
    assert quote.text == quoted
    assert quote.speaker.name == speaker


def test_opening_mark_typed_as_a_closing_one() -> None:
    text = (
        "“It is an unusual step,“ said Larry Noble, an attorney with the Campaign Legal "
        "Center. “It is a hard thing to pull off.”"
    )
    quotes = _direct(text)
    _check_offsets(text, quotes)
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("It is an unusual step", "Larry Noble"),
        ("It is a hard thing to pull off.", "Larry Noble"),
    ]


def test_straight_closing_mark_set_apart_after_a_nested_quote() -> None:
    text = (
        "\"Nobody told us, 'Pack your bags,' \" said Ana Ruiz, a nurse at the clinic. "
        '"We had an hour."'
    )
    quotes = _direct(text)
    _check_offsets(text, quotes)
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("Nobody told us, 'Pack your bags,'", "Ana Ruiz"),
        ("We had an hour.", "Ana Ruiz"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "“The way I see it,” she elaborated, “nobody ever questioned the captain’s service.”",
        "“The risk,” said Edward Leamer, an economist who is the director of the UCLA "
        "Anderson Forecast, “is that we are going to be attracting workers and repelling jobs.”",
    ],
)
def test_second_half_of_a_quote_split_by_its_frame(text: str) -> None:
    quotes = extract_quotes(text, "t")
    _check_offsets(text, quotes)
    second = text[text.rindex("“") + 1 : text.rindex("”")]
    assert any(q.kind == "direct" and q.text == second for q in quotes), quotes


@pytest.mark.parametrize(
    ("text", "quoted", "speaker"),
    [
        (
            'Senator Dana Whitfield said:"We have not seen the report yet."',
            "We have not seen the report yet.",
            "Dana Whitfield",
        ),
        (
            "Mayor Paul Grady said,“Look, nobody is leaving this town.”",
            "Look, nobody is leaving this town.",
            "Paul Grady",
        ),
        (
            '"We expected more,"said Laura Chen, the club\'s treasurer.',
            "We expected more",
            "Laura Chen",
        ),
    ],
)
def test_quote_mark_glued_to_the_punctuation_before_it(
    text: str, quoted: str, speaker: str
) -> None:
    quote = _only(text)
    assert (quote.text, quote.speaker.name) == (quoted, speaker)


@pytest.mark.parametrize(
    "text",
    [
        '"They would be wrong," Mark Bell, a spokesman for the campaign, said in an interview '
        'in Santa Monica, Calif. "The race is going to the convention."',
        '"The deal is a fraud," Mark Bell said on CBS\'s "Face the Nation." '
        '"Nobody reads these contracts before they sign them."',
    ],
)
def test_next_sentence_quote_after_an_abbreviation_or_a_quoted_title(text: str) -> None:
    quotes = [q for q in extract_quotes(text, "t") if q.kind == "direct" and "Nation" not in q.text]
    _check_offsets(text, quotes)
    assert [q.speaker.name for q in quotes] == ["Mark Bell", "Mark Bell"], quotes


@pytest.mark.parametrize(
    "text",
    [
        "As the Tribune's Ellen Park puts it, “Voters have stopped listening to both parties.”",
        "As Ellen Park put it to reporters, “Voters have stopped listening to both parties.”",
        "The governor's office worded it carefully: “Voters have stopped listening to both "
        "parties.”",
    ],
)
def test_put_it_frames_a_quote(text: str) -> None:
    quote = _only(text)
    assert quote.text == "Voters have stopped listening to both parties."
    assert quote.cue in ("puts", "put", "worded")


def test_a_second_predicate_after_the_quote_is_no_frame() -> None:
    text = (
        "Senator Ann Moss emailed supporters saying: “The struggle continues” and vowing to "
        "compete in next week's primary."
    )
    quote = _only(text)
    assert (quote.text, quote.cue, quote.speaker.name) == (
        "The struggle continues",
        "saying",
        "Ann Moss",
    )


def test_put_it_into_something_is_no_frame() -> None:
    text = (
        "Ellen Park cleaned up the voter data and was putting it into the national file: "
        "“Ready to go.”"
    )
    assert [q.cue for q in extract_quotes(text, "t") if q.kind == "direct"] in ([], [""])


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
    quotes = _hand_quotes(rows)
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
    quotes = _hand_quotes(rows)
    assert [(q.kind, q.text, q.speaker.name) for q in quotes] == [
        ("direct", "He is scary.", "Levine")
    ]


def _hand_quotes(rows: list[tuple[str, str, str, str, int, str, bool]]) -> list[Quote]:
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
    _check_offsets(doc.text, quotes)
    return quotes


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
    assert [(q.kind, q.text, q.speaker.name) for q in _hand_quotes(rows)] == [
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
    assert [(q.kind, q.speaker.name) for q in _hand_quotes(rows)] == [("direct", "Skelly")]


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
    quotes = _hand_quotes(rows)
    assert [(q.kind, q.text) for q in quotes] == [("direct", "Is it over?")]
    assert "old" in quotes[0].speaker.name


def test_dash_attribution_in_the_next_paragraph() -> None:
    text = (
        "The mayor spoke for an hour.\n\n"
        '"We will keep every promise we made to the voters of this city."\n\n'
        "- Maria Lopez, at a rally in Dayton.\n\n"
        "The crowd cheered."
    )
    quote = _only(text)
    assert quote.text == "We will keep every promise we made to the voters of this city."
    assert quote.speaker.name == "Maria Lopez"


def test_cue_after_the_quote_tagged_as_a_noun() -> None:
    # `“We won,” the two write.` with "write" tagged as a noun
    rows = [
        *_WE_WON,
        ("the", "DET", "DT", "det", 7, "O", True),
        ("two", "NUM", "CD", "nummod", 7, "O", True),
        ("write", "NOUN", "NN", "ROOT", 7, "O", False),
        (".", "PUNCT", ".", "punct", 7, "O", False),
    ]
    assert [(q.kind, q.text) for q in _hand_quotes(rows)] == [("direct", "We won")]


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
    quotes = _hand_quotes(rows)
    assert [(q.kind, q.text) for q in quotes] == [("direct", "We won")]
    assert "coach" in quotes[0].speaker.name


def test_reported_clause_after_the_cue_not_one_from_the_paragraph_before() -> None:
    # `Costs rose. ¶ Ana Ruiz said prices would fall.` parsed as one sentence with both
    # clauses under "said"
    rows = [
        ("Costs", "NOUN", "NNS", "nsubj", 1, "O", True),
        ("rose", "VERB", "VBD", "ccomp", 6, "O", False),
        (".", "PUNCT", ".", "punct", 1, "O", False),
        ("\n\n", "SPACE", "_SP", "dep", 2, "O", False),
        ("Ana", "PROPN", "NNP", "compound", 5, "B-PERSON", True),
        ("Ruiz", "PROPN", "NNP", "nsubj", 6, "I-PERSON", True),
        ("said", "VERB", "VBD", "ROOT", 6, "O", True),
        ("prices", "NOUN", "NNS", "nsubj", 9, "O", True),
        ("would", "AUX", "MD", "aux", 9, "O", True),
        ("fall", "VERB", "VB", "ccomp", 6, "O", False),
        (".", "PUNCT", ".", "punct", 6, "O", False),
    ]
    quotes = _hand_quotes(rows)
    assert [(q.kind, q.text, q.speaker.name) for q in quotes] == [
        ("indirect", "prices would fall", "Ana Ruiz")
    ]


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "The timing does not surprise Republican pollster Dana Shore: “Lesser-known "
            "candidates who win early contests see the biggest boost in national support.”",
            "Dana Shore",
        ),
        (
            "The state elections board was blunt in its ruling: “Further discussion of this "
            "petition is unnecessary.”",
            "board",
        ),
        (
            "RURAL HOSPITALS CLOSE AT RECORD PACE - Anna Berg: “Eleven hospitals shut their "
            "doors this year, more than in any year since we began counting.”",
            "Anna Berg",
        ),
        (
            "Said Lopez: “The plant closure is a betrayal of every worker in this town.”",
            "Lopez",
        ),
        (
            "Maria Lopez, on the plant: “It is a betrayal of every worker in this town.”",
            "Maria Lopez",
        ),
        (
            "The company in a statement on Monday: “We regret the error and have corrected "
            "the story.”",
            "company",
        ),
    ],
)
def test_colon_after_the_source_frames_a_quote(text: str, speaker: str) -> None:
    quote = _only(text)
    assert quote.text.endswith(".") and quote.speaker.name.endswith(speaker), quote
    assert "contests" not in quote.speaker.title  # the quote is no part of the title


@pytest.mark.parametrize(
    "text",
    [
        "The rules are simple: “Do not feed the animals and do not leave the path.”",
        "Here is the full statement: “We regret the error and have corrected the story.”",
    ],
)
def test_colon_after_something_that_cannot_speak_names_no_speaker(text: str) -> None:
    assert _direct(text) == []


def test_source_in_brackets_after_an_excerpt() -> None:
    text = (
        "WHY THE PORT CLOSED “Shipping volumes fell for the third year in a row and the "
        "owners ran out of patience.” [Reuters.]\n\nNext item."
    )
    quote = _only(text)
    assert quote.text.startswith("Shipping volumes") and quote.speaker.name == "Reuters"


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "“The evidence cannot prove every element of the crime,” according to a memo "
            "filed by county prosecutor Dana Ortiz.",
            "memo",
        ),
        (
            "“We have had better conventions than this one,” delegate Bill Easton, wearing a "
            "cowboy hat and “Cruz 2016” pins, said.",
            "Bill Easton",
        ),
    ],
)
def test_frame_after_the_quote_with_according_or_a_quoted_name_inside(
    text: str, speaker: str
) -> None:
    quotes = _direct(text)
    assert quotes[0].text.startswith(("The evidence", "We have had")), quotes
    assert speaker in quotes[0].speaker.name


def test_hyphen_typed_as_a_dash_before_the_name() -> None:
    text = (
        '"Great speech. She is tested and she is ready."\n\n'
        "-President Obama, tweeting after the speech.\n\nMore later."
    )
    quote = _only(text)
    assert (quote.speaker.name, quote.speaker.title) == ("Obama", "President")


@pytest.mark.parametrize(
    "text",
    [
        'The senator told "Fox and Friends" on Monday that the party would unite.',
        "Maya Lin, who wrote “The Long Road Home,” said nothing about the rally.",
    ],
)
def test_a_title_in_marks_is_not_a_quote(text: str) -> None:
    assert _direct(text) == []


def test_dash_signature_ending_the_quote_line() -> None:
    text = (
        "Readers wrote in after the debate.\n"
        "“He knows nothing about our lives or our families.”― Pamela Ortiz\xa0\n"
        "“I am ashamed of how this campaign talks about us.” — Jackie Ash, 34, Tucson\n"
        "“The debate was a long night,” said Rob Lee — and he left early."
    )
    quotes = _direct(text)
    _check_offsets(text, quotes)
    assert [q.speaker.name for q in quotes] == ["Pamela Ortiz", "Jackie Ash", "Rob Lee"]


def test_transcript_lines_in_marks_name_their_speaker() -> None:
    text = (
        "A partial transcript follows:\n\n"
        '"LOPEZ: Senator, did you know the plant would close this year?\n\n'
        '"HARRIS: I learned about it the same week the workers did."'
    )
    quotes = _direct(text)
    _check_offsets(text, quotes)
    assert [(q.speaker.name, q.text[:9]) for q in quotes] == [
        ("LOPEZ", "Senator, "),
        ("HARRIS", "I learned"),
    ]


@pytest.mark.parametrize(
    ("text", "organization"),
    [
        ("“The debate was a long night,” said Rob Lee, a retiree from Tucson.", ""),
        ("“We are ready,” said Maria Lopez, 41, a nurse in Phoenix.", ""),
        ("“We are ready,” said Maria Lopez, an economist from Goldman Sachs.", "Goldman Sachs"),
    ],
)
def test_a_place_in_the_descriptor_is_no_organisation(text: str, organization: str) -> None:
    assert _only(text).speaker.organization == organization


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "Maria Lopez said the plan to close the harbor reminds her of the shipyard strike, "
            "explaining, “We lost a generation of welders.”",
            "Maria Lopez",
        ),
        (
            "Ana Ruiz wrote that the inspectors knew about the leak for months, saying, "
            "“Nobody wanted to be the one to stop the line.”",
            "Ana Ruiz",
        ),
        (
            "Governor Paul Hale said the decision was made by the port board and said, "
            "“Who are you going to trust with the budget?”",
            "Paul Hale",
        ),
        (
            "Mayor Dana Price said it was too early to count the votes but added, "
            "“I think you know how this ends.”",
            "Dana Price",
        ),
        # the reported clause's subject can speak: the participle is theirs
        (
            "One council member said Mayor Dana Price calmed the room, telling her colleagues, "
            "“We owe the dockworkers a fair hearing.”",
            "Dana Price",
        ),
    ],
)
def test_a_speech_verb_hung_under_a_reported_clause_belongs_to_the_reporter(
    text: str, speaker: str
) -> None:
    assert _only(text).speaker.name == speaker


@pytest.mark.parametrize(
    ("text", "speaker"),
    [
        (
            "Tom Becker added a caption which reads, “The harbor belongs to all of us.”",
            "Tom Becker",
        ),
        ("The protester, Kelsey Adams, wore a shirt that read “Free the rivers.”", "Kelsey Adams"),
        ("A banner that read “Fund our schools!” hung over the stage.", "banner"),
    ],
)
def test_a_thing_that_reads_speaks_for_whoever_holds_it(text: str, speaker: str) -> None:
    assert _only(text).speaker.name == speaker


def test_two_apostrophes_typed_for_a_double_mark_open_and_close_quotes() -> None:
    text = "''We will reopen the harbor,'' Maria Lopez said. ''Nobody can stop the port now.''"
    quotes = _direct(text)
    _check_offsets(text, quotes)
    assert [q.text for q in quotes] == [
        "We will reopen the harbor",
        "Nobody can stop the port now.",
    ]
    assert {q.speaker.name for q in quotes} == {"Maria Lopez"}


def test_a_quote_continues_one_reported_as_a_statement() -> None:
    text = (
        "Maria Lopez said that after the vote, “we will reopen the harbor.” "
        "“Nobody can stop the port now.”"
    )
    quote = _only(text)
    assert quote.text == "Nobody can stop the port now."
    assert quote.speaker.name == "Maria Lopez"


def test_a_quote_after_a_partial_quote_takes_the_speaker_of_its_frame() -> None:
    text = (
        "Golf clubs are “just scratching out a profit,” Oliver Hedge said from his office. "
        "“Golf is a razor-thin industry for investors.”"
    )
    quote = _only(text)
    assert quote.text == "Golf is a razor-thin industry for investors."
    assert (quote.speaker.name, quote.cue) == ("Oliver Hedge", "said")


@pytest.mark.parametrize(
    ("text", "speakers"),
    [
        # a quote ending in a full stop, then a new sentence with a cue of its own
        (
            "“We will stay in this race until the last ballot is cast.” "
            "And then Tom Becker said the rally was over.",
            [],
        ),
        # a full stop typed where the comma belongs, then the frame
        (
            "“We will stay in this race until the last ballot is cast.” Tom Becker said.",
            ["Tom Becker"],
        ),
    ],
)
def test_a_cue_after_a_full_stop_frames_the_quote_only_when_the_frame_follows(
    text: str, speakers: list[str]
) -> None:
    assert [q.speaker.name for q in _direct(text)] == speakers


def test_the_group_means_the_organisation_that_was_the_subject_not_the_last_one_named() -> None:
    text = (
        "The Harbor Workers Union declined to comment on the vote, telling Channel 5 News "
        "that it was focused on the strike.\n\n"
        "“We are laser focused on the contract,” the group said."
    )
    assert _only(text).speaker.name == "Harbor Workers Union"


def test_a_short_sentence_in_marks_continues_the_quote_before_it() -> None:
    text = "“It’s not quite optimistic,” Maria Lopez said. “We’re hopeful.” Talks resume on Monday."
    assert [(q.text, q.speaker.name) for q in _direct(text)] == [
        ("It’s not quite optimistic", "Maria Lopez"),
        ("We’re hopeful.", "Maria Lopez"),
    ]


def test_a_short_phrase_in_marks_is_no_quote() -> None:
    text = "“It’s not quite optimistic,” Maria Lopez said of the “grand bargain” on Monday."
    assert [q.text for q in _direct(text)] == ["It’s not quite optimistic"]


BRITISH = (
    "‘We will reopen the harbour by spring,’ said Maria Lopez, director of the Valencia "
    "Port Authority. ‘The workers’ rights come first.’\n\n"
    "The so-called ‘Brexit’ vote was close. Tom Becker, a spokesman for Northwind Shipping, "
    "said: ‘It’s the bosses’ greed, plain and simple. They told us “wait” for a year.’"
)


def test_single_marks_as_the_main_ones_become_double_marks_at_the_same_offsets() -> None:
    from index.quotes.marks import as_double_marks

    rewritten = as_double_marks(BRITISH)
    assert len(rewritten) == len(BRITISH)
    assert "“We will reopen the harbour by spring,”" in rewritten
    assert "“The workers’ rights come first.”" in rewritten  # a possessive, not a mark
    assert "“It’s the bosses’ greed" in rewritten  # apostrophes stay
    assert "told us ‘wait’ for a year.”" in rewritten  # the nested marks swap too
    us = "“We will reopen,” said Maria Lopez. She called it the ‘best’ and ‘only’ outcome."
    assert as_double_marks(us) == us  # double marks are the main ones
    headline = "Fans upset by ‘American Sniper’ star.\n\nBradley Cooper attended the DNC."
    assert as_double_marks(headline) == headline  # one single-quoted phrase is no style
    nested = (
        "“He told me, ‘No way,’ and then, ‘Never.’ That was it,” she said. "
        "“I said, ‘Fine.’ And I left.”"
    )
    assert as_double_marks(nested) == nested  # single marks nested in double ones


def test_british_style_quotes_are_attributed_with_offsets_into_the_original_text() -> None:
    quotes = _direct(BRITISH)
    _check_offsets(BRITISH, quotes)
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("We will reopen the harbour by spring", "Maria Lopez"),
        ("The workers’ rights come first.", "Maria Lopez"),
        ("It’s the bosses’ greed, plain and simple. They told us “wait” for a year.", "Tom Becker"),
    ]
    assert quotes[0].speaker.title == "director of the Valencia Port Authority"


def test_backticks_opening_a_quote_are_a_double_mark() -> None:
    text = "``We will reopen the harbor,'' Maria Lopez said. ``Nobody can stop the port now.''"
    quotes = _direct(text)
    _check_offsets(text, quotes)
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("We will reopen the harbor", "Maria Lopez"),
        ("Nobody can stop the port now.", "Maria Lopez"),
    ]
