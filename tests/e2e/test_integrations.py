"""The LangChain and LlamaIndex retrievers, installed for real, asking a real server process."""

from __future__ import annotations

import asyncio
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from service.client import AsyncSaysoClient, SaysoClient, SaysoError
from tests.conftest import ROOT, SEED_ID
from tests.processes import sayso_env, sayso_server

pytestmark = pytest.mark.e2e

API_KEY = "integration-key"
QUESTION = "What did Denis Depoux say about AI?"
DEAD = "http://127.0.0.1:9"  # nothing listens: a retriever given a client never asks it


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`sayso serve` on a free port over the seeds, with the weightless encoder and a key."""
    root = tmp_path_factory.mktemp("integrations")
    env = sayso_env(root / "index", api_key=API_KEY)
    with sayso_server(env, root / "server.log") as base:
        yield base


@pytest.fixture(scope="module")
def client(server: str) -> Iterator[SaysoClient]:
    with SaysoClient(server, api_key=API_KEY) as sayso:
        yield sayso


def test_langchain_documents_carry_offsets_ids_scores_and_quotes(
    server: str, client: SaysoClient
) -> None:
    from langchain_core.documents import Document

    from service.integrations.langchain import SaysoRetriever

    retriever = SaysoRetriever(base_url=server, k=4)
    docs = retriever.invoke(QUESTION)
    expected = client.search(QUESTION, k=4)
    assert all(isinstance(d, Document) for d in docs)
    assert [d.id for d in docs] == [p.id for p in expected.passages]
    text = client.document(SEED_ID).text
    for rank, (doc, passage) in enumerate(zip(docs, expected.passages, strict=True), 1):
        meta = doc.metadata
        assert text[meta["start"] : meta["end"]] == doc.page_content
        assert meta["passage_id"] == passage.id and meta["doc_id"] == SEED_ID
        assert meta["rank"] == rank and meta["score"] == pytest.approx(passage.score)
        assert meta["title"] == passage.title and meta["source"] == passage.source
        assert [q["id"] for q in meta["quotes"]] == list(passage.quote_ids)
        for quote in meta["quotes"]:
            assert text[quote["start"] : quote["end"]] == quote["text"]
    speakers = {q["speaker"] for d in docs for q in d.metadata["quotes"]}
    assert "Denis Depoux" in speakers

    async_docs = asyncio.run(retriever.ainvoke(QUESTION))
    assert [(d.id, d.metadata) for d in async_docs] == [(d.id, d.metadata) for d in docs]


def test_langchain_filters_and_errors(server: str) -> None:
    from service.integrations.langchain import SaysoRetriever

    docs = SaysoRetriever(base_url=server, k=3, speaker="Depoux", mode="lexical").invoke(QUESTION)
    assert docs
    for doc in docs:
        assert "Denis Depoux" in {q["speaker"] for q in doc.metadata["quotes"]}
    with pytest.raises(SaysoError) as caught:
        SaysoRetriever(base_url=server, k=999).invoke(QUESTION)
    assert (caught.value.status, caught.value.code) == (422, "invalid_request")


def test_llamaindex_nodes_carry_char_offsets_ids_scores_and_quotes(
    server: str, client: SaysoClient
) -> None:
    from llama_index.core.schema import MetadataMode, NodeRelationship, NodeWithScore, TextNode

    from service.integrations.llamaindex import SaysoRetriever

    retriever = SaysoRetriever(server, k=4)
    found = retriever.retrieve(QUESTION)
    expected = client.search(QUESTION, k=4)
    text = client.document(SEED_ID).text
    assert [n.node.node_id for n in found] == [p.id for p in expected.passages]
    for item, passage in zip(found, expected.passages, strict=True):
        assert isinstance(item, NodeWithScore) and isinstance(item.node, TextNode)
        node = item.node
        assert node.start_char_idx is not None and node.end_char_idx is not None
        assert text[node.start_char_idx : node.end_char_idx] == node.text == passage.text
        assert item.score == pytest.approx(passage.score)
        assert node.relationships[NodeRelationship.SOURCE].node_id == SEED_ID
        assert node.metadata["passage_id"] == passage.id
        assert [q["id"] for q in node.metadata["quotes"]] == list(passage.quote_ids)
        shown = node.get_content(metadata_mode=MetadataMode.LLM)
        assert passage.title in shown and "passage_id" not in shown
    assert "Denis Depoux" in {q["speaker"] for n in found for q in n.node.metadata["quotes"]}

    async_found = asyncio.run(retriever.aretrieve(QUESTION))
    assert [(n.node.node_id, n.score) for n in async_found] == [
        (n.node.node_id, n.score) for n in found
    ]


def test_writes_need_the_key_and_are_searchable(server: str, client: SaysoClient) -> None:
    from service.integrations.llamaindex import SaysoRetriever

    article = (
        "The harbour of Port Elsewhere will reopen in May after two years of repairs.\n\n"
        '"We will reopen the harbour to every ship," said Maria Lopez, the mayor of Port '
        "Elsewhere.\n"
    )
    with SaysoClient(server) as anonymous, pytest.raises(SaysoError) as caught:
        anonymous.add_document("harbour", article)
    assert (caught.value.status, caught.value.code) == (401, "unauthorized")

    written = client.add_document("harbour", article, title="Harbour reopens")
    assert written.status == "created"
    try:
        nodes = SaysoRetriever(server, k=2, doc_ids=["harbour"]).retrieve("harbour reopen")
        text = client.document("harbour").text
        assert nodes and all(n.node.metadata["doc_id"] == "harbour" for n in nodes)
        for item in nodes:
            node = item.node
            assert text[node.start_char_idx : node.end_char_idx] == node.text  # type: ignore[attr-defined]
        quotes = client.quotes(doc_id="harbour")
        assert [q.speaker.name for q in quotes] == ["Maria Lopez"]
    finally:
        assert client.delete_document("harbour").status == "deleted"
    with pytest.raises(SaysoError) as caught:
        client.document("harbour")
    assert caught.value.code == "document_not_found"


def _example(heading: str, language: str) -> str:
    """The first `language` code block under `## heading` in docs/chatbots.md."""
    page = (ROOT / "docs" / "chatbots.md").read_text(encoding="utf-8")
    section = page.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return section.split(f"```{language}\n", 1)[1].split("```", 1)[0]


@pytest.mark.parametrize("heading", ["Python client", "LangChain", "LlamaIndex"])
def test_the_python_examples_of_the_docs_run(
    server: str, heading: str, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _example(heading, "python").replace("http://127.0.0.1:8000", server)
    exec(compile(code, f"docs/chatbots.md ({heading})", "exec"), {})
    assert "Denis Depoux" in capsys.readouterr().out


def test_the_javascript_example_of_the_docs_runs(server: str, tmp_path: Path) -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    script = tmp_path / "example.mjs"
    script.write_text(
        _example("Plain JavaScript fetch", "javascript").replace("http://127.0.0.1:8000", server)
    )
    out = subprocess.run([node, str(script)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert "Denis Depoux" in out.stdout


def test_retrievers_use_the_clients_they_are_given(server: str) -> None:
    from service.integrations import langchain, llamaindex

    async def ask() -> tuple[list[str], list[str]]:
        async with AsyncSaysoClient(server) as shared:
            chain = langchain.SaysoRetriever(base_url=DEAD, k=2, async_client=shared)
            index = llamaindex.SaysoRetriever(DEAD, k=2, async_client=shared)
            docs = await chain.ainvoke(QUESTION)
            found = await index.aretrieve(QUESTION)
            return [d.id or "" for d in docs], [n.node.node_id for n in found]

    with SaysoClient(server) as client:
        expected = [p.id for p in client.search(QUESTION, k=2).passages]
        docs = langchain.SaysoRetriever(base_url=DEAD, k=2, client=client).invoke(QUESTION)
        found = llamaindex.SaysoRetriever(DEAD, k=2, client=client).retrieve(QUESTION)
    assert [d.id for d in docs] == [n.node.node_id for n in found] == expected
    assert asyncio.run(ask()) == (expected, expected)
