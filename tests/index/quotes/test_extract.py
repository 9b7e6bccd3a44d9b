"""Extraction as a whole: JSON, batches, offsets, the seed article's gold quotes."""

from __future__ import annotations

import json

import pytest

pytest.importorskip("spacy")
from index.documents import load_text_file
from index.quotes import Quote, extract_quotes, extract_quotes_batch
from tests.index.quotes.util import GOLD, SEED, check_offsets, only


def test_json_round_trip() -> None:
    quote = only("“Rates will fall,” said Amara Okafor, chief economist at Lagos Capital Partners.")
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
    check_offsets(text, quotes)
    assert [q.speaker.name for q in quotes] == ["Tom Becker", "Tom Becker"]


def test_seed_article_matches_gold() -> None:
    gold = json.loads(GOLD.read_text(encoding="utf-8"))
    doc = load_text_file(SEED)
    quotes = extract_quotes(doc.text, doc.id)
    check_offsets(doc.text, quotes)
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
