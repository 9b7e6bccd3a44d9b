"""LlamaIndex: `SaysoRetriever`, a llama-index-core BaseRetriever asking a sayso server.

    from service.integrations.llamaindex import SaysoRetriever
    retriever = SaysoRetriever("http://127.0.0.1:8000", k=3)
    nodes = retriever.retrieve("How much did China spend on R&D?")
    nodes[0].node.start_char_idx, nodes[0].node.metadata["quotes"], nodes[0].score

Each node is one passage: `id_` is its passage id, `start_char_idx`/`end_char_idx` its
offsets into the document's text, the SOURCE relationship its document id, and `metadata`
the same fields as the LangChain adapter's. Only title and source reach an LLM's or an
embedder's view of the node.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from llama_index.core.base.base_retriever import BaseRetriever
from llama_index.core.callbacks import CallbackManager
from llama_index.core.schema import (
    NodeRelationship,
    NodeWithScore,
    QueryBundle,
    RelatedNodeInfo,
    TextNode,
)

from service.client import DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, AsyncSaysoClient, SaysoClient
from service.client_types import SearchResult
from service.integrations import passage_metadata

SHOWN_KEYS = ("title", "source")
"""Metadata an LLM or embedder sees with the text; the rest is for citing."""


def nodes(result: SearchResult) -> list[NodeWithScore]:
    """One scored TextNode per passage, best first."""
    found = []
    for passage in result.passages:
        metadata = passage_metadata(result, passage)
        hidden = [key for key in metadata if key not in SHOWN_KEYS]
        node = TextNode(
            id_=passage.id,
            text=passage.text,
            start_char_idx=passage.start,
            end_char_idx=passage.end,
            metadata=metadata,
            excluded_llm_metadata_keys=hidden,
            excluded_embed_metadata_keys=hidden,
            relationships={NodeRelationship.SOURCE: RelatedNodeInfo(node_id=passage.doc_id)},
        )
        found.append(NodeWithScore(node=node, score=passage.score))
    return found


class SaysoRetriever(BaseRetriever):
    """Passages from a sayso server for a query, best first (`retrieve` and `aretrieve`)."""

    def __init__(
        self,
        base_url: str = "http://127.0.0.1:8000",
        *,
        api_key: str | None = None,
        k: int = 5,
        mode: str | None = None,
        doc_ids: Sequence[str] | None = None,
        speaker: str | None = None,
        timeout: float = DEFAULT_TIMEOUT_S,
        retries: int = DEFAULT_RETRIES,
        client: SaysoClient | None = None,
        async_client: AsyncSaysoClient | None = None,
        callback_manager: CallbackManager | None = None,
    ) -> None:
        """`client` / `async_client`: clients to reuse (closed by their owner) instead of one
        made from base_url and the options for each call (an async one belongs to one event
        loop)."""
        super().__init__(callback_manager=callback_manager)
        self.base_url = base_url
        self.k = k
        self.mode = mode
        self.doc_ids = None if doc_ids is None else list(doc_ids)
        self.speaker = speaker
        self._api_key = api_key
        self._timeout = timeout
        self._retries = retries
        self._client = client
        self._async_client = async_client

    def _options(self) -> dict[str, Any]:
        return {"api_key": self._api_key, "timeout": self._timeout, "retries": self._retries}

    def _search_args(self) -> dict[str, Any]:
        return {"k": self.k, "mode": self.mode, "doc_ids": self.doc_ids, "speaker": self.speaker}

    def _retrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = query_bundle.query_str
        if self._client is not None:
            return nodes(self._client.search(query, **self._search_args()))
        with SaysoClient(self.base_url, **self._options()) as client:  # no socket outlives it
            return nodes(client.search(query, **self._search_args()))

    async def _aretrieve(self, query_bundle: QueryBundle) -> list[NodeWithScore]:
        query = query_bundle.query_str
        if self._async_client is not None:
            return nodes(await self._async_client.search(query, **self._search_args()))
        async with AsyncSaysoClient(self.base_url, **self._options()) as client:
            return nodes(await client.search(query, **self._search_args()))
