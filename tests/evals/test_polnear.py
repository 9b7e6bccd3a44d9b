"""PolNeAR smoke test: a few train articles through the extractor and the evaluation."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from tests.conftest import ROOT

pytest.importorskip("spacy")
from evals.polnear import Article, Attribution, load_split, parse_ann
from evals.quotes import (
    as_quotes,
    evaluate_agreement,
    evaluate_polnear,
    overlap,
    pool_matches,
    score_article,
    set_aside,
    speaker_matches,
)
from index.quotes import Quote, Speaker


def _polnear_root() -> Path | None:
    candidates = [ROOT.parent / "shared" / "data" / "polnear"]
    if os.environ.get("SAYSO_POLNEAR_DIR"):
        candidates.insert(0, Path(os.environ["SAYSO_POLNEAR_DIR"]))
    for root in candidates:
        if (root / "data" / "train" / "text").is_dir():
            return root
    return None


POLNEAR = _polnear_root()
needs_data = pytest.mark.skipif(POLNEAR is None, reason="PolNeAR data not found")


def test_overlap_is_symmetric_share_of_the_longer_span() -> None:
    gold = frozenset(range(0, 10))
    assert overlap(gold, frozenset(range(0, 10))) == 1.0
    assert overlap(gold, frozenset(range(5, 15))) == 0.5
    assert overlap(gold, frozenset(range(0, 40))) == 0.25
    assert overlap(gold, frozenset()) == 0.0


def test_split_predictions_pool_into_one_discontiguous_gold() -> None:
    gold = [frozenset(range(0, 10)) | frozenset(range(20, 30))]
    preds = [frozenset(range(0, 10)), frozenset(range(20, 30)), frozenset(range(50, 60))]
    assert pool_matches(gold, preds, 0.8) == {0: [1, 0]}  # ties: later prediction first
    assert pool_matches(gold, preds[:1], 0.8) == {}
    assert pool_matches(gold, preds[:1], 0.3) == {0: [0]}


@pytest.mark.parametrize(
    ("predicted", "gold", "antecedent", "right"),
    [
        ("Haley Morris", "Spokeswoman Haley Morris", "", True),
        ("Haley Morris", "Morris", "", True),
        ("Bernie Sanders", "Sanders, a senator from Vermont,", "", True),
        ("Hillary Clinton", "Bill Clinton", "", False),
        ("Haley Morris", "she", "Spokeswoman Haley Morris", True),
        ("Donald Trump", "she", "Spokeswoman Haley Morris", False),
        ("he", "he", "", False),
        # a capitalised word that modifies a noun is no name: compare with the antecedent
        ("John Kasich", "The Ohio governor", "Gov. John Kasich", True),
        ("Hillary Clinton", "a Clinton campaign spokesman", "Brian Fallon", False),
        ("Donald Trump", "Trump's lawyer", "Michael Cohen", False),
        ("Hillary Clinton", "Clinton’s", "", True),
        # an honorific or rank is no first name; a suffix is no surname
        ("Richard Alba", "Professor Alba", "", True),
        ("Harry B. Harris Jr", "Admiral Harris", "", True),
        ("Richard Alba", "Professor Foner", "", False),
    ],
)
def test_speaker_rule(predicted: str, gold: str, antecedent: str, right: bool) -> None:
    assert speaker_matches(predicted, gold, antecedent) is right


def test_parse_ann_reads_discontiguous_content() -> None:
    text = "“A is true,” she said. “B too.”"
    ann = (
        "T1\tContent 0 12;23 31\t“A is true,” “B too.”\n"
        "T2\tCue 17 21\tsaid\nT3\tSource 13 16\tshe\n"
        "E1\tAttribution:T2 Content:T1 Cue:T2 Source:T3\n"
    )
    (attribution,) = parse_ann(ann, text)
    assert attribution.content == ((0, 12), (23, 31))
    assert attribution.source_text == "she"
    assert attribution.is_direct


def test_parse_ann_puts_fragments_in_text_order_and_reads_typed_marks() -> None:
    text = "“A is true,” she said. “B too,“ she added."
    # BRAT keeps fragments in the order they were marked: here the second quote first
    ann = (
        "T1\tContent 23 31;0 12\t“B too,“ “A is true,”\n"
        "T2\tSource 13 16\tshe\n"
        "E1\tAttribution:T2 Content:T1 Source:T2\n"
    )
    (attribution,) = parse_ann(ann, text)
    assert attribution.content == ((0, 12), (23, 31))
    assert attribution.is_direct
    mixed = "“A is true,” she said. B too, she added."
    assert not parse_ann(ann.replace("23 31;0 12", "0 21"), mixed)[0].is_direct
    apostrophes = "''A is true,'' she said. ''B too,'' she added."
    assert parse_ann(ann.replace("23 31;0 12", "0 14"), apostrophes)[0].is_direct


def _span(text: str, part: str) -> tuple[int, int]:
    start = text.index(part)
    return start, start + len(part)


def test_a_quote_inside_a_mixed_gold_attribution_is_set_aside_only_in_the_scoped_subset():
    text = (
        "Smith argued the pipeline “would never work” without federal money. "
        "“We will fight it,” Jones said. “Nobody asked us,” Lee said."
    )
    mixed = "the pipeline “would never work” without federal money"
    attributions = (
        Attribution(content=(_span(text, mixed),), source=(_span(text, "Smith"),), text=text),
        Attribution(
            content=(_span(text, "“We will fight it,”"),), source=(_span(text, "Jones"),), text=text
        ),
    )
    article = Article(doc_id="a", text=text, attributions=attributions)

    def quote(part: str, name: str) -> Quote:
        start, end = _span(text, part)
        return Quote(
            id=part,
            doc_id="a",
            text=part,
            kind="direct",
            start=start,
            end=end,
            cue="said",
            speaker=Speaker(name=name),
        )

    quotes = [
        quote("would never work", "Smith"),  # inside the mixed gold: out of scope
        quote("We will fight it,", "Jones"),  # the direct gold
        quote("Nobody asked us,", "Lee"),  # no gold at all: a false positive either way
    ]
    counts = score_article(article, quotes)
    strict, scoped = counts["direct@0.3"], counts["direct-scoped@0.3"]
    assert (strict["gold"], strict["predicted"], strict["correct"]) == (1, 3, 1)
    assert (scoped["gold"], scoped["predicted"], scoped["correct"]) == (1, 2, 1)
    assert scoped["matched"] == strict["matched"] == 1
    assert scoped["speaker_right"] == 1
    assert [q.text for q in set_aside(article, quotes)] == ["would never work"]


@needs_data
def test_polnear_train_smoke() -> None:
    assert POLNEAR is not None
    articles = load_split(POLNEAR, "train", limit=8)
    assert len(articles) == 8 and all(a.attributions for a in articles)
    result = evaluate_polnear(POLNEAR, "train", limit=8)
    direct = result["scores"]["direct@0.3"]
    assert direct["gold"] > 10
    assert direct["f1"] >= 0.6
    assert direct["speaker_accuracy"] >= 0.6
    assert result["scores"]["all@0.3"]["precision"] >= 0.6
    assert result["articles_per_second"] > 0
    fewer = evaluate_polnear(POLNEAR, "train", limit=3, exclude=[articles[0].doc_id])
    assert fewer["articles"] == 2


def test_an_annotation_scored_as_a_prediction_of_itself_agrees_fully() -> None:
    text = "“A is true,” Ann Lee said. “B too.” Bob Ray said that C was false."
    attributions = (
        Attribution(
            content=(_span(text, "“A is true,”"), _span(text, "“B too.”")),
            source=(_span(text, "Ann Lee"),),
            text=text,
        ),
        Attribution(
            content=(_span(text, "C was false"),), source=(_span(text, "Bob Ray"),), text=text
        ),
    )
    article = Article(doc_id="a", text=text, attributions=attributions)
    quotes = as_quotes(article)
    assert [(q.kind, q.text) for q in quotes] == [
        ("direct", "“A is true,”"),
        ("direct", "“B too.”"),
        ("indirect", "C was false"),
    ]
    counts = score_article(article, quotes)
    # (gold, found, predictions pooled into found golds, right speakers)
    for key, expected in (("direct@0.8", (1, 1, 2, 1)), ("all@0.8", (2, 2, 3, 2))):
        c = counts[key]
        assert (c["gold"], c["matched"], c["correct"], c["speaker_right"]) == expected


@needs_data
def test_polnear_annotators_agree_closely_but_not_perfectly() -> None:
    assert POLNEAR is not None
    result = evaluate_agreement(POLNEAR, "train")
    assert result["articles"] >= 2
    people, machine = (result["scores"][f"{who} direct@0.3"] for who in ("annotators", "extractor"))
    assert 0.8 < people["f1"] < 1.0
    assert people["gold"] > 100
    assert machine["gold"] > 100 and machine["f1"] > 0.6


@needs_data
@pytest.mark.slow
def test_polnear_dev_meets_the_floor_in_thresholds() -> None:
    assert POLNEAR is not None
    floor = json.loads((ROOT / "evals" / "thresholds.json").read_text("utf-8"))["quotes"]
    scores = evaluate_polnear(POLNEAR, floor["split"])["scores"]
    below = {
        f"{subset} {name}": scores[subset][name]
        for subset, minimums in floor["min"].items()
        for name, minimum in minimums.items()
        if scores[subset][name] < minimum
    }
    assert not below, f"below the quote floors in evals/thresholds.json: {below}"
