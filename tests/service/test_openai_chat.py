"""POST /v1/chat/completions and GET /v1/models in-process."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from index.models.tokens import token_counter
from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL

QUESTION = "How much did China invest in R&D in 2024?"
FOLLOW_UP = [
    {"role": "system", "content": "You are a helpful assistant."},
    {"role": "user", "content": QUESTION},
    {"role": "assistant", "content": "More than 3.6 trillion yuan, up 8.3 percent."},
    {"role": "user", "content": [{"type": "text", "text": "And what about chips?"}]},
]


def assert_error(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.text
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"code", "message", "details"}
    assert body["error"]["code"] == code and body["error"]["message"]


@pytest.fixture(scope="module")
def client(fake_searcher: Searcher) -> Iterator[TestClient]:
    app = create_app(Settings(model=FAKE_MODEL, max_k=20), searcher=fake_searcher)
    with TestClient(app, raise_server_exceptions=False) as test_client:
        yield test_client


def ask(client: TestClient, messages: Any = None, **extra: Any) -> Any:
    body = {"model": "sayso", "messages": messages or [{"role": "user", "content": QUESTION}]}
    response = client.post("/v1/chat/completions", json=body | extra)
    assert response.status_code == 200, response.text
    return response.json()


def test_completion_shape_markers_and_offsets(client: TestClient) -> None:
    body = ask(client, temperature=0.2, user="someone")
    assert body["object"] == "chat.completion" and body["id"].startswith("chatcmpl-")
    assert body["model"] == "sayso" and isinstance(body["created"], int)
    (choice,) = body["choices"]
    message = choice["message"]
    assert message["role"] == "assistant" and choice["finish_reason"] == "stop"
    assert message["citations"] == body["citations"]
    markers = [int(n) for n in re.findall(r"\[(\d+)\]", message["content"])]
    assert markers and markers == [s["n"] for s in body["sentences"]]
    cited = {c["n"]: c for c in body["citations"]}
    for sentence in body["sentences"]:
        doc = client.get(f"/v1/documents/{sentence['doc_id']}").json()
        assert doc["text"][sentence["start"] : sentence["end"]] == sentence["text"]
        assert f"{sentence['text']} [{sentence['n']}]" in message["content"]
        citation = cited[sentence["n"]]
        assert citation["start"] <= sentence["start"] < sentence["end"] <= citation["end"]
        for quote in citation["quotes"]:
            assert doc["text"][quote["start"] : quote["end"]] == quote["text"]
            assert quote["speaker"]["name"]
    assert body["usage"]["total_tokens"] == (
        body["usage"]["prompt_tokens"] + body["usage"]["completion_tokens"]
    )


def test_same_citations_as_context(client: TestClient) -> None:
    body = ask(client, FOLLOW_UP, k=4)
    context = client.post(
        "/v1/context",
        json={
            "messages": [*FOLLOW_UP[1:-1], {"role": "user", "content": "And what about chips?"}],
            "k": 4,
        },
    ).json()
    assert body["query"] == context["query"] and "R&D" in body["query"]
    assert [c["passage_id"] for c in body["citations"]] == [
        c["passage_id"] for c in context["citations"]
    ]


def test_streaming_matches_the_plain_answer(client: TestClient) -> None:
    plain = ask(client)
    payload = {
        "model": "sayso",
        "messages": [{"role": "user", "content": QUESTION}],
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with client.stream("POST", "/v1/chat/completions", json=payload) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        lines = [line for line in response.iter_lines() if line]
    assert all(line.startswith("data: ") for line in lines)
    assert lines[-1] == "data: [DONE]"
    chunks = [json.loads(line.removeprefix("data: ")) for line in lines[:-1]]
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"}
    assert len({c["id"] for c in chunks}) == 1
    first, *middle, final, usage = chunks
    assert first["choices"][0]["delta"] == {"role": "assistant", "content": ""}
    assert first["citations"] == plain["citations"]
    text = "".join(c["choices"][0]["delta"]["content"] for c in middle)
    assert text == plain["choices"][0]["message"]["content"]
    assert final["choices"][0] == {
        "index": 0,
        "delta": {},
        "logprobs": None,
        "finish_reason": "stop",
    }
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] > 0


def test_max_tokens_cuts_the_answer(client: TestClient) -> None:
    body = ask(client, max_tokens=12)
    choice = body["choices"][0]
    assert choice["finish_reason"] == "length"
    assert token_counter(FAKE_MODEL)(choice["message"]["content"]) <= 12
    sentence = body["sentences"][0]
    doc = client.get(f"/v1/documents/{sentence['doc_id']}").json()
    assert doc["text"][sentence["start"] : sentence["end"]] == sentence["text"]


def test_models_and_mode_names(client: TestClient) -> None:
    listed = client.get("/v1/models").json()
    assert listed["object"] == "list"
    ids = [m["id"] for m in listed["data"]]
    assert ids[0] == "sayso" and "sayso-lexical" in ids and "sayso-rescore" not in ids
    assert all(m["object"] == "model" and m["owned_by"] == "sayso" for m in listed["data"])
    assert ask(client, model="sayso-lexical")["model"] == "sayso-lexical"


@pytest.mark.parametrize(
    ("payload", "status", "code"),
    [
        ({"model": "gpt-4o"}, 404, "model_not_found"),
        ({"model": "sayso-rescore"}, 400, "mode_unavailable"),
        ({"k": 21}, 422, "invalid_request"),
        ({"k": 0}, 422, "invalid_request"),
        ({"n": 2}, 422, "invalid_request"),
        ({"max_tokens": 0}, 422, "invalid_request"),
        ({"messages": []}, 422, "invalid_request"),
        ({"messages": [{"role": "system", "content": "hi"}]}, 422, "invalid_request"),
        ({"messages": [{"role": "user", "content": "   "}]}, 422, "invalid_request"),
        ({"messages": [{"role": "user", "content": "x" * 9000}]}, 422, "invalid_request"),
        ({"messages": [{"role": "wizard", "content": "x"}]}, 422, "invalid_request"),
        ({"model": None}, 422, "invalid_request"),
    ],
)
def test_errors_have_the_one_shape(
    client: TestClient, payload: dict[str, Any], status: int, code: str
) -> None:
    body = {"model": "sayso", "messages": [{"role": "user", "content": QUESTION}]} | payload
    assert_error(client.post("/v1/chat/completions", json=body), status, code)


def test_openapi_documents_the_extra_fields_and_its_example_works(client: TestClient) -> None:
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert {"citations", "sentences", "query"} <= set(schemas["ChatCompletionOut"]["properties"])
    assert "citations" in schemas["AssistantMessageOut"]["properties"]
    for example in schemas["ChatCompletionRequest"]["examples"]:
        assert client.post("/v1/chat/completions", json=example).status_code == 200


def test_invalid_turn_is_named_by_its_place(client: TestClient) -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "x" * 9000},
    ]
    response = client.post("/v1/chat/completions", json={"model": "sayso", "messages": messages})
    assert_error(response, 422, "invalid_request")
    assert response.json()["error"]["details"][0]["field"] == "messages.1.content"
