"""The page's API in-process: example questions from the index, who may write, the assets."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.quotes.model import Quote, Speaker
from index.search import Searcher
from service.app import create_app
from service.page import STATIC, example_questions
from service.settings import Settings
from tests.conftest import FAKE_MODEL


def make_client(searcher: Searcher, **settings: Any) -> TestClient:
    app = create_app(Settings(model=FAKE_MODEL, **settings), searcher=searcher)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(fake_searcher: Searcher) -> Iterator[TestClient]:
    with make_client(fake_searcher) as test_client:
        yield test_client


def quote(doc_id: str, name: str, title: str = "", organization: str = "", start: int = 0) -> Quote:
    speaker = Speaker(name, title, organization)
    return Quote(f"{doc_id}:{start}", doc_id, "x", "direct", start, start + 1, "said", speaker)


def test_examples_come_from_the_indexed_speakers(
    client: TestClient, fake_searcher: Searcher
) -> None:
    body = client.get("/v1/examples").json()
    questions = [example["question"] for example in body["examples"]]
    assert 1 <= len(questions) <= 6 and len(set(questions)) == len(questions)
    named = {q.speaker.name for q in fake_searcher.index.quotes if q.speaker.title}
    organizations = {q.speaker.organization for q in fake_searcher.index.quotes}
    for question in questions:
        by_name = re.fullmatch(r"What did (.+) say\?", question)
        by_org = re.fullmatch(r"Who spoke for (.+)\?", question)
        by_title = question.startswith("Who is the ")
        assert (
            (by_name and by_name[1] in named)
            or (by_org and by_org[1] in organizations)
            or (by_title)
        ), question
    assert {e["doc_id"] for e in body["examples"]} <= set(fake_searcher.index.documents)
    assert len(client.get("/v1/examples", params={"limit": 2}).json()["examples"]) == 2
    assert client.get("/v1/examples", params={"limit": 0}).status_code == 422


def test_examples_take_turns_and_fall_back_to_titles() -> None:
    quotes = [
        quote("a", "Ana Ruiz", "mayor of Springfield", start=0),
        quote("a", "Ana Ruiz", "mayor of Springfield", start=5),
        quote("a", "Bo Chen", "a long title that goes on and on and on past eight words", "Acme"),
        quote("b", "Cy Diaz", "chief economist", start=1),
        quote("b", "Cy Diaz", "chief economist", start=9),
        quote("b", "the ministry"),  # no title: not a person to ask about
    ]
    titles = {"a": "A", "b": "B", "c": "Rain is expected across the north… "}
    questions = [e.question for e in example_questions(titles, quotes, 10)]
    assert questions == [
        "What did Ana Ruiz say?",  # most quoted first; every other speaker by name
        "Who is the chief economist?",  # document b's turn; the second speaker, by title
        "Rain is expected across the north",  # no speakers: the title, without the ellipsis
        "What did Bo Chen say?",  # document a's second turn
    ]
    assert len(example_questions(titles, quotes, 2)) == 2
    short = [quote("a", "Bo Chen", "a title that goes on and on past eight words", "Acme")]
    (question,) = example_questions({"a": "A"}, [quote("a", "Ana Ruiz", "mayor"), *short], 5)[1:]
    assert question.question == "Who spoke for Acme?"  # too long a title: the organisation
    assert example_questions({}, [], 5) == []


@pytest.mark.parametrize(
    ("settings", "writes"),
    [
        ({}, "open"),
        ({"api_key": "k"}, "key"),
        ({"host": "0.0.0.0"}, "disabled"),
    ],
)
def test_ready_says_who_may_write(
    fake_searcher: Searcher, settings: dict[str, Any], writes: str
) -> None:
    with make_client(fake_searcher, **settings) as test_client:
        assert test_client.get("/readyz").json()["writes"] == writes


def test_page_assets_and_no_html_from_data() -> None:
    html = (STATIC / "index.html").read_text()
    assert re.findall(r'(?:src|href)="(/[^"]+)"', html)
    assert not re.search(r'(?:src|href)="(?:https?:)?//', html), "no external assets"
    assert not re.search(r"https?://", html.replace("http://www.w3.org/", ""))
    script = (STATIC / "app.js").read_text()
    # Text from documents must never be parsed as HTML.
    for sink in ("innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval("):
        assert sink not in script, sink
    assert "sessionStorage" in script and "Authorization" in script
    for view in ("view-ask", "view-documents", "view-quotes", "view-extract"):
        assert f'id="{view}"' in html


def test_examples_route_is_documented(client: TestClient) -> None:
    schema = client.get("/openapi.json").json()
    assert schema["paths"]["/v1/examples"]["get"]["operationId"] == "list_examples"
    assert Path(STATIC / "style.css").exists()
