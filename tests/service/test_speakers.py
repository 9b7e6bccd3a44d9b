"""Speaker directory: linking rules, storage, search by id, /v1/speakers."""

from __future__ import annotations

import json
import random
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.build import update_index
from index.disk import BuildSettings, Index, read_index
from index.documents import make_document
from index.quotes.directory import (
    DIRECTORY_SCHEMA,
    FILE_NAME,
    Directory,
    build_directory,
    read_directory,
    read_name,
)
from index.quotes.model import Quote, Speaker
from index.search import Searcher
from tests.conftest import FAKE_MODEL, FakeEncoder

ARTICLES = {
    "trade-a": "Donald J. Trump spoke about trade on Monday.\n\n“It is a terrible deal for "
    "American workers,” Donald J. Trump said at a rally in Ohio.",
    "trade-b": "“We will renegotiate every trade agreement,” Donald Trump told supporters in "
    "Michigan on Tuesday.",
    "trade-c": "The candidate went on television.\n\n“Tariffs will bring the factories back,” "
    "Mr. Trump said in an interview.",
    "clinton-a": "“Trade policy must protect workers,” Hillary Clinton said in Iowa.\n\n“We need "
    "smart rules,” Bill Clinton said in a separate speech in Ohio.",
    "clinton-b": "The rally ended late.\n\n“The economy is strong,” Clinton said.",
    "network": "“The debate drew record ratings,” Fox News said in a statement.",
}


def quote(n: int, doc: str, name: str, title: str = "", org: str = "") -> Quote:
    return Quote(f"{doc}:q{n}", doc, "words", "direct", n, n + 5, "said", Speaker(name, title, org))


def linked(directory: Directory, quotes: list[Quote]) -> dict[str, str]:
    return {q.id: directory.speaker_of(q.id) for q in quotes}


def test_variants_of_one_name_are_one_person() -> None:
    quotes = [
        quote(0, "a", "Donald J. Trump", "Republican nominee", "Republican Party"),
        quote(1, "b", "Donald Trump"),
        quote(2, "c", "Mr. Trump"),
        quote(3, "d", "Billionaire Donald Trump"),
        quote(4, "e", "Hillary Clinton"),
    ]
    directory = build_directory(quotes)
    trump = directory.get("donald-trump")
    assert trump is not None and trump.kind == "person"
    assert set(trump.quote_ids) == {"a:q0", "b:q1", "c:q2", "d:q3"}
    assert trump.documents == 4 and trump.quotes == 4
    assert trump.name == "Donald Trump"  # the most frequent form, honorifics dropped
    assert set(trump.names) == {"Donald J. Trump", "Donald Trump", "Mr. Trump",
                                "Billionaire Donald Trump"}  # fmt: skip
    assert trump.titles == ("Republican nominee",)
    assert trump.organizations == ("Republican Party",)
    assert directory.speaker_of("e:q4") == "hillary-clinton"


def test_a_shared_surname_is_not_linked() -> None:
    quotes = [quote(0, "a", "Bill Clinton"), quote(1, "b", "Hillary Clinton")]
    quotes += [quote(2, "c", "Clinton"), quote(3, "c", "Mrs. Clinton")]
    directory = build_directory(quotes)
    assert directory.speaker_of("c:q2") == "" and directory.speaker_of("c:q3") == ""
    assert {s.id for s in directory.speakers} == {"bill-clinton", "hillary-clinton"}


def test_the_same_article_decides_a_shared_surname() -> None:
    quotes = [
        quote(0, "a", "Bill Clinton"),
        quote(1, "a", "Clinton"),
        quote(2, "b", "Hillary Clinton"),
    ]
    assert build_directory(quotes).speaker_of("a:q1") == "bill-clinton"


def test_a_dominant_person_takes_the_surname() -> None:
    many = [quote(n, f"d{n}", "Donald Trump") for n in range(20)]
    quotes = [*many, quote(0, "m", "Melania Trump"), quote(1, "x", "Trump")]
    assert build_directory(quotes).speaker_of("x:q1") == "donald-trump"
    few = [quote(n, f"d{n}", "Donald Trump") for n in range(3)]
    quotes = [*few, quote(0, "m", "Melania Trump"), quote(1, "n", "Melania Trump")]
    assert build_directory([*quotes, quote(1, "x", "Trump")]).speaker_of("x:q1") == ""


def test_middle_initials_and_suffixes_that_differ_keep_people_apart() -> None:
    quotes = [
        quote(0, "a", "George W. Bush"),
        quote(1, "b", "George H. W. Bush"),
        quote(2, "c", "George Bush"),
        quote(3, "d", "Donald Trump"),
        quote(4, "e", "Donald Trump Jr."),
    ]
    directory = build_directory(quotes)
    ids = linked(directory, quotes)
    assert len(set(ids.values())) == 5 and "" not in ids.values()
    assert ids["a:q0"] == "george-w-bush" and ids["b:q1"] == "george-hw-bush"
    assert ids["e:q4"] == "donald-trump-jr"


def test_organisations_are_not_people_and_phrases_are_no_one() -> None:
    quotes = [
        quote(0, "a", "Vicente Fox"),
        quote(1, "b", "Fox News"),
        quote(2, "c", "GOP"),
        quote(3, "d", "the judge"),
        quote(4, "e", "I"),
        quote(5, "f", "early results"),
    ]
    directory = build_directory(quotes)
    kinds = {s.id: s.kind for s in directory.speakers}
    assert kinds == {"vicente-fox": "person", "fox-news": "organization", "gop": "organization"}
    assert directory.speaker_of("a:q0") == "vicente-fox"
    assert [directory.speaker_of(f"{d}:q{n}") for n, d in ((3, "d"), (4, "e"), (5, "f"))] == [
        "",
        "",
        "",
    ]
    assert read_name("Sen. Bernie Sanders").display == "Bernie Sanders"  # type: ignore[union-attr]


def test_deterministic_whatever_the_order_and_round_trips(tmp_path: Path) -> None:
    quotes = [
        quote(n, f"doc{n % 7}", name)
        for n, name in enumerate(["Donald Trump", "Trump", "Ted Cruz", "Cruz", "CNN", "Li Wei"] * 5)
    ]
    shuffled = list(quotes)
    random.Random(3).shuffle(shuffled)
    first, second = build_directory(quotes), build_directory(shuffled)
    assert first.to_json() == second.to_json()
    (tmp_path / FILE_NAME).write_text(json.dumps(first.to_json()))
    assert read_directory(tmp_path) == first
    (tmp_path / FILE_NAME).write_text(json.dumps({"schema_version": DIRECTORY_SCHEMA + 1}))
    assert read_directory(tmp_path) is None  # the reader rebuilds it from the quotes


def test_resolve_by_id_full_name_or_surname() -> None:
    quotes = [
        quote(0, "a", "Donald J. Trump"),
        quote(1, "b", "Donald Trump"),
        quote(2, "c", "Melania Trump"),
    ]
    directory = build_directory(quotes)
    for query in ("donald-trump", "Donald Trump", "Donald J. Trump", "Mr. Trump", "Trump"):
        assert directory.resolve(query).id == "donald-trump", query  # type: ignore[union-attr]
    assert directory.resolve("Melania Trump").id == "melania-trump"  # type: ignore[union-attr]
    assert directory.resolve("the judge") is None
    assert [e.id for e in directory.search("TRUMP")] == ["donald-trump", "melania-trump"]


# -- in an index -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def speaker_index(tmp_path_factory: pytest.TempPathFactory) -> Index:
    root = tmp_path_factory.mktemp("speakers")
    documents = [make_document(k, v) for k, v in ARTICLES.items()]
    return update_index(root, documents, BuildSettings(model=FAKE_MODEL), FakeEncoder())


@pytest.fixture(scope="module")
def client(speaker_index: Index) -> Iterator[TestClient]:
    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(model=FAKE_MODEL), searcher=Searcher(speaker_index, FakeEncoder()))
    with TestClient(app) as test_client:
        yield test_client


def test_the_index_stores_and_reloads_the_directory(speaker_index: Index) -> None:
    assert (speaker_index.path / FILE_NAME).is_file()
    trump = speaker_index.speakers.get("donald-trump")
    assert trump is not None and trump.documents == 3
    ids = {q.doc_id: q.speaker.id for q in speaker_index.quotes if "Trump" in q.speaker.name}
    assert ids == {"trade-a": "donald-trump", "trade-b": "donald-trump", "trade-c": "donald-trump"}
    clinton = [q for q in speaker_index.quotes if q.speaker.name == "Clinton"]
    assert clinton and clinton[0].speaker.id == ""  # Bill or Hillary: not linked
    again = read_index(speaker_index.path.parent.parent)
    assert again.speakers == speaker_index.speakers and again.quotes == speaker_index.quotes


def test_an_index_without_a_directory_file_rebuilds_it(
    speaker_index: Index, tmp_path: Path
) -> None:
    import shutil

    root = tmp_path / "copy"
    shutil.copytree(speaker_index.path.parent.parent, root)
    for version in (root / "versions").iterdir():
        (version / FILE_NAME).unlink()
        rows = [json.loads(line) for line in (version / "quotes.jsonl").read_text().splitlines()]
        for row in rows:
            row["speaker"].pop("id", None)  # as written before the directory existed
        (version / "quotes.jsonl").write_text("".join(json.dumps(r) + "\n" for r in rows))
    again = read_index(root)
    assert again.speakers == speaker_index.speakers
    assert [q.speaker.id for q in again.quotes] == [q.speaker.id for q in speaker_index.quotes]


def test_search_speaker_filter_and_ranking_use_the_id(client: TestClient) -> None:
    body = client.post(
        "/v1/search",
        json={"question": "What did Trump say about trade?", "k": 10, "speaker": "Trump"},
    ).json()
    assert {p["doc_id"] for p in body["passages"]} == {"trade-a", "trade-b", "trade-c"}
    assert {q["speaker"]["id"] for q in body["quotes"]} == {"donald-trump"}
    unfiltered = client.get(
        "/v1/search", params={"q": "What did Donald J. Trump say?", "k": 20}
    ).json()
    top = [q["speaker"].get("id") for q in unfiltered["quotes"][:3]]
    assert top == ["donald-trump"] * 3  # named speakers first: every variant of him


def test_quotes_endpoint_speaker_takes_an_id_or_a_variant(client: TestClient) -> None:
    for speaker in ("donald-trump", "Donald J. Trump", "Mr. Trump"):
        quotes = client.get("/v1/quotes", params={"speaker": speaker}).json()["quotes"]
        assert {q["doc_id"] for q in quotes} == {"trade-a", "trade-b", "trade-c"}, speaker
    unlinked = client.get("/v1/quotes", params={"doc_id": "clinton-b"}).json()["quotes"]
    assert unlinked and "id" not in unlinked[0]["speaker"]  # absent, not null, when unlinked


def test_speakers_list_search_and_pages(client: TestClient) -> None:
    everyone = client.get("/v1/speakers").json()
    assert everyone["next_cursor"] is None
    first = everyone["speakers"][0]
    assert first["id"] == "donald-trump" and first["quotes"] == 3 and first["documents"] == 3
    assert set(first) >= {"id", "name", "names", "titles", "organizations", "quotes", "documents"}
    kinds = {s["id"]: s["kind"] for s in everyone["speakers"]}
    assert kinds["fox-news"] == "organization" and kinds["bill-clinton"] == "person"
    found = client.get("/v1/speakers", params={"q": "clinton"}).json()["speakers"]
    assert {s["id"] for s in found} == {"bill-clinton", "hillary-clinton"}
    seen, cursor = [], None
    while True:
        params = {"limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get("/v1/speakers", params=params).json()
        seen += [s["id"] for s in body["speakers"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [s["id"] for s in everyone["speakers"]]


def test_one_speaker_with_quotes(client: TestClient) -> None:
    body = client.get("/v1/speakers/donald-trump").json()
    assert body["quote_count"] == 3 and len(body["quotes"]) == 3
    assert all(q["speaker"]["id"] == "donald-trump" for q in body["quotes"])
    page = client.get("/v1/speakers/donald-trump", params={"limit": 2}).json()
    rest = client.get(
        "/v1/speakers/donald-trump", params={"limit": 2, "cursor": page["next_cursor"]}
    ).json()
    assert [q["id"] for q in page["quotes"] + rest["quotes"]] == [q["id"] for q in body["quotes"]]
    assert rest["next_cursor"] is None
    missing = client.get("/v1/speakers/nobody")
    assert missing.status_code == 404 and missing.json()["error"]["code"] == "speaker_not_found"
    bad = client.get("/v1/speakers/donald-trump", params={"cursor": "nonsense"})
    assert bad.status_code == 400 and bad.json()["error"]["code"] == "invalid_cursor"
