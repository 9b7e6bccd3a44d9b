"""The OpenAPI document and /docs: stable operation ids, examples that work, the bearer
scheme, enums, and API docs that load nothing from the internet."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any, get_args

import pytest
from fastapi.testclient import TestClient

from index.quotes.model import KINDS
from index.search import Searcher
from index.search.modes import MODES
from index.updates import ChangeKind
from service.app import create_app
from service.settings import Settings
from tests.conftest import FAKE_MODEL

# Other programs generate clients from these: renaming one is a breaking change.
OPERATION_IDS = {
    ("get", "/healthz"): "health",
    ("get", "/readyz"): "ready",
    ("post", "/v1/search"): "search",
    ("get", "/v1/search"): "search_get",
    ("get", "/v1/quotes"): "list_quotes",
    ("post", "/v1/extract"): "extract_quotes",
    ("get", "/v1/documents"): "list_documents",
    ("post", "/v1/documents"): "put_document",
    ("get", "/v1/documents/{doc_id}"): "get_document",
    ("delete", "/v1/documents/{doc_id}"): "delete_document",
    ("get", "/v1/passages/{passage_id}"): "get_passage",
    ("post", "/v1/context"): "get_context",
    ("get", "/v1/tools"): "list_tools",
    ("post", "/v1/chat/completions"): "create_chat_completion",
    ("get", "/v1/models"): "list_models",
}
HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


def make_client(searcher: Searcher, **settings: Any) -> TestClient:
    app = create_app(Settings(model=FAKE_MODEL, **settings), searcher=searcher)
    return TestClient(app, raise_server_exceptions=False)


@pytest.fixture(scope="module")
def client(fake_searcher: Searcher) -> Iterator[TestClient]:
    with make_client(fake_searcher) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def schema(client: TestClient) -> dict[str, Any]:
    document: dict[str, Any] = client.get("/openapi.json").json()
    return document


def operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield method, path, operation


def test_operation_ids_are_explicit_stable_snake_case(schema: dict[str, Any]) -> None:
    found = {(m, p): op["operationId"] for m, p, op in operations(schema)}
    assert {key: found.get(key) for key in OPERATION_IDS} == OPERATION_IDS
    assert all(re.fullmatch(r"[a-z][a-z0-9_]*", oid) for oid in found.values()), found
    assert len(set(found.values())) == len(found), "operation ids must be unique"


def test_request_bodies_have_examples_that_work(schema: dict[str, Any], client: TestClient) -> None:
    components = schema["components"]["schemas"]
    for model in ("SearchRequest", "ContextRequest", "ExtractIn", "DocumentIn"):
        assert components[model].get("examples"), model
    for path, model in (
        ("/v1/search", "SearchRequest"),
        ("/v1/context", "ContextRequest"),
        ("/v1/extract", "ExtractIn"),
    ):
        for example in components[model]["examples"]:
            response = client.post(path, json=example)
            assert response.status_code == 200, (path, example, response.text)
    extracted = client.post("/v1/extract", json=components["ExtractIn"]["examples"][0]).json()
    assert extracted["quotes"], "the extract example should show a quote"


def test_bearer_scheme_marks_the_writes(schema: dict[str, Any]) -> None:
    scheme = schema["components"]["securitySchemes"]["bearer"]
    assert scheme["type"] == "http" and scheme["scheme"] == "bearer"
    secured = {
        (method, path)
        for method, path, operation in operations(schema)
        if {"bearer": []} in operation.get("security", [])
    }
    writes = {("post", "/v1/documents"), ("delete", "/v1/documents/{doc_id}")}
    assert writes <= secured
    assert ("get", "/v1/search") not in secured  # reads are open by default


def test_protected_reads_mark_every_route(fake_searcher: Searcher) -> None:
    with make_client(fake_searcher, api_key="k", protect_reads=True) as client:
        schema = client.get("/openapi.json", headers={"Authorization": "Bearer k"}).json()
        for method, path, operation in operations(schema):
            assert {"bearer": []} in operation.get("security", []), (method, path)
        # Declaring the scheme changes nothing about who gets in.
        assert client.get("/v1/documents").status_code == 401
        assert client.get("/healthz").status_code == 200


def test_enums(schema: dict[str, Any]) -> None:
    components = schema["components"]["schemas"]

    def enum(prop: dict[str, Any]) -> list[str]:
        for option in prop.get("anyOf", [prop]):
            if "enum" in option:
                return list(option["enum"])
        raise AssertionError(f"no enum in {prop}")

    assert enum(components["SearchRequest"]["properties"]["mode"]) == list(MODES)
    assert enum(components["SearchResponse"]["properties"]["mode"]) == list(MODES)
    get_search = schema["paths"]["/v1/search"]["get"]["parameters"]
    mode = next(p for p in get_search if p["name"] == "mode")
    assert enum(mode["schema"]) == list(MODES)
    assert enum(components["QuoteOut"]["properties"]["kind"]) == list(KINDS)
    assert enum(components["DocumentWriteOut"]["properties"]["status"]) == list(
        get_args(ChangeKind)
    )


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", re.IGNORECASE)


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_load_nothing_from_the_internet(client: TestClient, page: str) -> None:
    response = client.get(page)
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/")
    html = response.text
    assert not EXTERNAL.search(html), html
    assert not re.search(r"https?://", html), "no external host at all"
    assets = re.findall(r"""(?:src|href)\s*=\s*["']([^"']+)["']""", html)
    assert assets and all(asset.startswith("/") for asset in assets)
    for asset in assets:
        served = client.get(asset)
        assert served.status_code == 200, asset
        assert len(served.content) > 1000, asset
    assert "'/openapi.json'" in html or '"/openapi.json"' in html
