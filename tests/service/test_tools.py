"""GET /v1/tools: strict-mode schemas, live bounds, both forms, and every tool callable."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import jsonschema
import pytest
from fastapi.testclient import TestClient

from index.search import Searcher
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL

# What an OpenAI model in strict mode could send: every key, null for the defaults.
ARGUMENTS: dict[str, dict[str, Any]] = {
    "search_news": {"question": "R&D spending", "k": 2, "max_tokens": None},
    "find_quotes": {"speaker": None, "q": "innovation", "doc_id": None, "limit": 3},
    "get_document": {"doc_id": "china-daily-new-quality-productive-forces"},
}


def make_client(searcher: Searcher, **settings: Any) -> TestClient:
    app = create_app(Settings(model=FAKE_MODEL, **settings), searcher=searcher)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(fake_searcher: Searcher) -> Iterator[TestClient]:
    with make_client(fake_searcher) as test_client:
        yield test_client


def assert_strict(schema: dict[str, Any], where: str = "parameters") -> None:
    """OpenAI strict mode: closed objects, every property required, no defaults."""
    assert "default" not in schema, where
    if schema.get("type") == "object":
        assert schema["additionalProperties"] is False, where
        assert sorted(schema["required"]) == sorted(schema["properties"]), where
        for name, child in schema["properties"].items():
            assert child.get("description"), f"{where}.{name} needs a description"
            assert_strict(child, f"{where}.{name}")


def test_openai_form_is_strict(client: TestClient) -> None:
    body = client.get("/v1/tools").json()
    assert body["format"] == "openai"
    names = [tool["function"]["name"] for tool in body["tools"]]
    assert names == ["search_news", "find_quotes", "get_document"]
    assert set(body["calls"]) == set(names)
    for tool in body["tools"]:
        assert tool["type"] == "function"
        function = tool["function"]
        assert function["strict"] is True and function["description"]
        jsonschema.Draft202012Validator.check_schema(function["parameters"])
        assert_strict(function["parameters"])
        jsonschema.validate(ARGUMENTS[function["name"]], function["parameters"])
    search = body["tools"][0]["function"]["parameters"]["properties"]
    assert search["question"]["type"] == "string"
    assert search["k"]["type"] == ["integer", "null"]  # optional: nullable, still required


def test_anthropic_form_has_the_same_schemas(client: TestClient) -> None:
    openai = client.get("/v1/tools").json()["tools"]
    body = client.get("/v1/tools", params={"format": "anthropic"}).json()
    assert body["format"] == "anthropic"
    for tool, twin in zip(body["tools"], openai, strict=True):
        assert set(tool) == {"name", "description", "input_schema"}
        assert tool["name"] == twin["function"]["name"]
        assert tool["input_schema"] == twin["function"]["parameters"]


def test_unknown_format_is_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/tools", params={"format": "gemini"})
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid_request"


def test_bounds_follow_the_settings(fake_searcher: Searcher) -> None:
    with make_client(fake_searcher, max_k=7, max_question_chars=300) as client:
        tools = client.get("/v1/tools").json()["tools"]
        search = tools[0]["function"]["parameters"]["properties"]
        assert search["k"]["maximum"] == 7
        assert "300 characters" in search["question"]["description"]
        over = {"question": "R&D", "k": 8, "max_tokens": None}
        with pytest.raises(jsonschema.ValidationError):
            jsonschema.validate(over, tools[0]["function"]["parameters"])
        assert client.post("/v1/context", json=over).status_code == 422  # the server agrees
    tokens = tools[0]["function"]["parameters"]["properties"]["max_tokens"]
    too_many = {"question": "R&D", "k": None, "max_tokens": tokens["maximum"] + 1}
    with make_client(fake_searcher) as client:
        assert client.post("/v1/context", json=too_many).status_code == 422


def _call(client: TestClient, call: dict[str, str], arguments: dict[str, Any]) -> Any:
    """Run a tool the way `calls` describes, as a chatbot's glue code would."""
    if call["arguments"] == "body":
        return client.request(call["method"], call["path"], json=arguments)
    if call["arguments"] == "query":
        query = {k: v for k, v in arguments.items() if v is not None}
        return client.request(call["method"], call["path"], params=query)
    return client.request(call["method"], call["path"].format(**arguments))


def test_every_tool_runs_with_model_arguments(client: TestClient) -> None:
    calls = client.get("/v1/tools").json()["calls"]
    assert calls["search_news"] == {"method": "POST", "path": "/v1/context", "arguments": "body"}
    results = {name: _call(client, calls[name], ARGUMENTS[name]) for name in ARGUMENTS}
    for name, response in results.items():
        assert response.status_code == 200, (name, response.text)
    assert len(results["search_news"].json()["citations"]) == 2
    assert len(results["find_quotes"].json()["quotes"]) <= 3
    document = results["get_document"].json()
    assert document["id"] == ARGUMENTS["get_document"]["doc_id"] and document["text"]
