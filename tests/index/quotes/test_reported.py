"""Reported speech: cues, their subjects and what they report."""

from __future__ import annotations

import pytest

pytest.importorskip("spacy")
from index.quotes import Speaker, extract_quotes
from tests.index.quotes.util import direct, hand_quotes, only


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
    assert not direct(text)
    quote = only(text, "indirect")
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
def test_cue_with_its_own_objects_before_a_quote_staysdirect(text: str) -> None:
    quote = only(text)
    assert quote.text == "Every town along the line will feel it."
    assert quote.speaker.name == "Nora Helms"


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
    quote = only(text, "indirect")
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
    assert only(text, "indirect").text == content


def test_cue_in_the_middle_of_the_sentence_reports_the_rest() -> None:
    quote = only("On most days, the workers said, the ferry leaves late.", "indirect")
    assert (quote.text, quote.speaker.name) == ("the ferry leaves late", "workers")


def test_company_said_in_a_statement_resolves_to_the_organisation() -> None:
    text = (
        "Northwind Shipping reported a loss last quarter. "
        "The company said in a statement that it would cut 200 jobs."
    )
    quote = only(text, "indirect")
    assert quote.text == "that it would cut 200 jobs"
    assert quote.speaker.name == "Northwind Shipping"


def test_while_highlighting_that() -> None:
    text = (
        "Alice Martin, the chief executive of Brightwater Energy, opened the plant.\n"
        "She welcomed the subsidy while highlighting that the grid needs upgrades."
    )
    quote = only(text, "indirect")
    assert quote.cue == "highlighting"
    assert quote.text == "that the grid needs upgrades"
    assert quote.speaker == Speaker(
        "Alice Martin", "chief executive of Brightwater Energy", "Brightwater Energy"
    )


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
    quotes = hand_quotes(rows)
    assert [(q.kind, q.text, q.speaker.name) for q in quotes] == [
        ("indirect", "prices would fall", "Ana Ruiz")
    ]


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
    assert only(text).speaker.name == speaker


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
    assert only(text).speaker.name == speaker


def test_a_quote_continues_one_reported_as_a_statement() -> None:
    text = (
        "Maria Lopez said that after the vote, “we will reopen the harbor.” "
        "“Nobody can stop the port now.”"
    )
    quote = only(text)
    assert quote.text == "Nobody can stop the port now."
    assert quote.speaker.name == "Maria Lopez"


def test_the_group_means_the_organisation_that_was_the_subject_not_the_last_one_named() -> None:
    text = (
        "The Harbor Workers Union declined to comment on the vote, telling Channel 5 News "
        "that it was focused on the strike.\n\n"
        "“We are laser focused on the contract,” the group said."
    )
    assert only(text).speaker.name == "Harbor Workers Union"
