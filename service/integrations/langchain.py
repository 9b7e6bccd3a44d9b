"""LangChain: `SaysoRetriever`, a langchain-core BaseRetriever asking a sayso server.

    from service.integrations.langchain import SaysoRetriever
    retriever = SaysoRetriever(base_url="http://127.0.0.1:8000", k=3)
    docs = retriever.invoke("How much did China spend on R&D?")
    docs[0].metadata["start"], docs[0].metadata["quotes"]

Each Document is one passage: `page_content` is its text, `id` its passage id, and
`metadata` holds passage_id, doc_id, title, source, start, end (offsets into the document's
text), score, rank, scores, highlights and quotes (with speakers).
"""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import (
    AsyncCallbackManagerForRetrieverRun,
    CallbackManagerForRetrieverRun,
)
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import Field

from service.client import DEFAULT_RETRIES, DEFAULT_TIMEOUT_S, AsyncSaysoClient, SaysoClient
from service.client_types import SearchResult
from service.integrations import passage_metadata


def documents(result: SearchResult) -> list[Document]:
    """One LangChain Document per passage, best first."""
    return [
        Document(page_content=p.text, id=p.id, metadata=passage_metadata(result, p))
        for p in result.passages
    ]


class SaysoRetriever(BaseRetriever):
    """Passages from a sayso server for a query, best first (sync and async)."""

    base_url: str = "http://127.0.0.1:8000"
    api_key: str | None = Field(default=None, repr=False)
    k: int = Field(default=5, ge=1)
    mode: str | None = None
    doc_ids: list[str] | None = None
    speaker: str | None = None
    timeout: float = DEFAULT_TIMEOUT_S
    retries: int = DEFAULT_RETRIES
    client: SaysoClient | None = Field(default=None, exclude=True)
    """A client to use instead of one made from base_url and the options above."""
    async_client: AsyncSaysoClient | None = Field(default=None, exclude=True)
    """An async client to reuse (on one event loop, closed by its owner); without one, each
    ainvoke opens and closes its own, since an httpx.AsyncClient belongs to its loop."""

    def _search_args(self) -> dict[str, Any]:
        return {"k": self.k, "mode": self.mode, "doc_ids": self.doc_ids, "speaker": self.speaker}

    def _options(self) -> dict[str, Any]:
        return {"api_key": self.api_key, "timeout": self.timeout, "retries": self.retries}

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.client is not None:
            return documents(self.client.search(query, **self._search_args()))
        with SaysoClient(self.base_url, **self._options()) as client:  # no socket outlives it
            return documents(client.search(query, **self._search_args()))

    async def _aget_relevant_documents(
        self, query: str, *, run_manager: AsyncCallbackManagerForRetrieverRun
    ) -> list[Document]:
        if self.async_client is not None:
            return documents(await self.async_client.search(query, **self._search_args()))
        async with AsyncSaysoClient(self.base_url, **self._options()) as client:
            return documents(await client.search(query, **self._search_args()))
