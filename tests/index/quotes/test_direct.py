"""Direct quotes: quote marks of every typing, the frames that attribute them."""

from __future__ import annotations

import pytest

pytest.importorskip("spacy")
from index.quotes import extract_quotes
from tests.index.quotes.util import check_offsets, direct, only


def test_straight_quote_marks() -> None:
    text = (
        '"Our engineers are working around the clock," said Tom Becker, '
        "a spokesman for Northwind Shipping."
    )
    quote = only(text)
    assert quote.text == "Our engineers are working around the clock"
    assert quote.speaker.name == "Tom Becker"
    assert quote.speaker.organization == "Northwind Shipping"


def test_speaker_before_with_colon_and_multi_sentence_quote() -> None:
    text = (
        "Amara Okafor, chief economist at Lagos Capital Partners, said: “Inflation has "
        "peaked. Rates will fall next year. Investors should prepare.”"
    )
    quote = only(text)
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
    check_offsets(text, quotes)
    direct = [q for q in quotes if q.kind == "direct"]
    assert [q.text for q in direct] == [
        "The first phase is finished",
        "The second will take longer.",
    ]
    assert {q.speaker.name for q in direct} == {"Hannah Weiss"}


def test_nested_single_quotes_stay_inside_the_double_quote() -> None:
    text = "“The crowd kept shouting ‘open the gates’ until midnight,” said Tom Becker."
    quote = only(text)
    assert quote.text == "The crowd kept shouting ‘open the gates’ until midnight"
    assert quote.speaker.name == "Tom Becker"


def test_scare_quotes_are_not_quotes() -> None:
    text = "The so-called “smart” meters were installed across the district last year."
    assert extract_quotes(text, "t") == []


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
    quote = only(text)
    assert quote.text == quoted
    assert quote.speaker.name == speaker


def test_opening_mark_typed_as_a_closing_one() -> None:
    text = (
        "“It is an unusual step,“ said Larry Noble, an attorney with the Campaign Legal "
        "Center. “It is a hard thing to pull off.”"
    )
    quotes = direct(text)
    check_offsets(text, quotes)
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("It is an unusual step", "Larry Noble"),
        ("It is a hard thing to pull off.", "Larry Noble"),
    ]


def test_straight_closing_mark_set_apart_after_a_nested_quote() -> None:
    text = (
        "\"Nobody told us, 'Pack your bags,' \" said Ana Ruiz, a nurse at the clinic. "
        '"We had an hour."'
    )
    quotes = direct(text)
    check_offsets(text, quotes)
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
    check_offsets(text, quotes)
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
    quote = only(text)
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
    check_offsets(text, quotes)
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
    quote = only(text)
    assert quote.text == "Voters have stopped listening to both parties."
    assert quote.cue in ("puts", "put", "worded")


def test_a_second_predicate_after_the_quote_is_no_frame() -> None:
    text = (
        "Senator Ann Moss emailed supporters saying: “The struggle continues” and vowing to "
        "compete in next week's primary."
    )
    quote = only(text)
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


def test_dash_attribution_in_the_next_paragraph() -> None:
    text = (
        "The mayor spoke for an hour.\n\n"
        '"We will keep every promise we made to the voters of this city."\n\n'
        "- Maria Lopez, at a rally in Dayton.\n\n"
        "The crowd cheered."
    )
    quote = only(text)
    assert quote.text == "We will keep every promise we made to the voters of this city."
    assert quote.speaker.name == "Maria Lopez"


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
    quote = only(text)
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
    assert direct(text) == []


def test_source_in_brackets_after_an_excerpt() -> None:
    text = (
        "WHY THE PORT CLOSED “Shipping volumes fell for the third year in a row and the "
        "owners ran out of patience.” [Reuters.]\n\nNext item."
    )
    quote = only(text)
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
    quotes = direct(text)
    assert quotes[0].text.startswith(("The evidence", "We have had")), quotes
    assert speaker in quotes[0].speaker.name


def test_hyphen_typed_as_a_dash_before_the_name() -> None:
    text = (
        '"Great speech. She is tested and she is ready."\n\n'
        "-President Obama, tweeting after the speech.\n\nMore later."
    )
    quote = only(text)
    assert (quote.speaker.name, quote.speaker.title) == ("Obama", "President")


@pytest.mark.parametrize(
    "text",
    [
        'The senator told "Fox and Friends" on Monday that the party would unite.',
        "Maya Lin, who wrote “The Long Road Home,” said nothing about the rally.",
    ],
)
def test_a_title_in_marks_is_not_a_quote(text: str) -> None:
    assert direct(text) == []


def test_dash_signature_ending_the_quote_line() -> None:
    text = (
        "Readers wrote in after the debate.\n"
        "“He knows nothing about our lives or our families.”― Pamela Ortiz\xa0\n"
        "“I am ashamed of how this campaign talks about us.” — Jackie Ash, 34, Tucson\n"
        "“The debate was a long night,” said Rob Lee — and he left early."
    )
    quotes = direct(text)
    check_offsets(text, quotes)
    assert [q.speaker.name for q in quotes] == ["Pamela Ortiz", "Jackie Ash", "Rob Lee"]


def test_transcript_lines_in_marks_name_their_speaker() -> None:
    text = (
        "A partial transcript follows:\n\n"
        '"LOPEZ: Senator, did you know the plant would close this year?\n\n'
        '"HARRIS: I learned about it the same week the workers did."'
    )
    quotes = direct(text)
    check_offsets(text, quotes)
    assert [(q.speaker.name, q.text[:9]) for q in quotes] == [
        ("LOPEZ", "Senator, "),
        ("HARRIS", "I learned"),
    ]


def test_two_apostrophes_typed_for_a_double_mark_open_and_close_quotes() -> None:
    text = "''We will reopen the harbor,'' Maria Lopez said. ''Nobody can stop the port now.''"
    quotes = direct(text)
    check_offsets(text, quotes)
    assert [q.text for q in quotes] == [
        "We will reopen the harbor",
        "Nobody can stop the port now.",
    ]
    assert {q.speaker.name for q in quotes} == {"Maria Lopez"}


def test_a_quote_after_a_partial_quote_takes_the_speaker_of_its_frame() -> None:
    text = (
        "Golf clubs are “just scratching out a profit,” Oliver Hedge said from his office. "
        "“Golf is a razor-thin industry for investors.”"
    )
    quote = only(text)
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
    assert [q.speaker.name for q in direct(text)] == speakers


def test_a_short_sentence_in_marks_continues_the_quote_before_it() -> None:
    text = "“It’s not quite optimistic,” Maria Lopez said. “We’re hopeful.” Talks resume on Monday."
    assert [(q.text, q.speaker.name) for q in direct(text)] == [
        ("It’s not quite optimistic", "Maria Lopez"),
        ("We’re hopeful.", "Maria Lopez"),
    ]


def test_a_short_phrase_in_marks_is_no_quote() -> None:
    text = "“It’s not quite optimistic,” Maria Lopez said of the “grand bargain” on Monday."
    assert [q.text for q in direct(text)] == ["It’s not quite optimistic"]


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
    quotes = direct(BRITISH)
    check_offsets(BRITISH, quotes)
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("We will reopen the harbour by spring", "Maria Lopez"),
        ("The workers’ rights come first.", "Maria Lopez"),
        ("It’s the bosses’ greed, plain and simple. They told us “wait” for a year.", "Tom Becker"),
    ]
    assert quotes[0].speaker.title == "director of the Valencia Port Authority"


def test_backticks_opening_a_quote_are_a_double_mark() -> None:
    text = "``We will reopen the harbor,'' Maria Lopez said. ``Nobody can stop the port now.''"
    quotes = direct(text)
    check_offsets(text, quotes)
    assert [(q.text, q.speaker.name) for q in quotes] == [
        ("We will reopen the harbor", "Maria Lopez"),
        ("Nobody can stop the port now.", "Maria Lopez"),
    ]
