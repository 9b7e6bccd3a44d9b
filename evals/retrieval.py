"""Retrieval for evaluation: one question in, scored passages and the wall-clock latency out.

Two retrievers share one shape: `LocalRetriever` searches an index in-process, and
`HttpRetriever` asks a running sayso server (POST /v1/search), so a deployed service can
be evaluated exactly as it answers users.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from index.search import Searcher


class RetrievalError(RuntimeError):
    """A retriever that cannot answer (server down, bad response); the message says why."""


@dataclass(frozen=True)
class PassageHit:
    """One retrieved passage: ids, text and the mode's score (higher is better)."""

    passage_id: str
    doc_id: str
    text: str
    score: float


@dataclass(frozen=True)
class Retrieved:
    """A question's passages, best first, and how long retrieving them took (ms)."""

    hits: tuple[PassageHit, ...]
    latency_ms: float


class Retriever(Protocol):
    """Anything that answers a question with up to `k` passages in a named mode."""

    def retrieve(self, question: str, k: int, mode: str) -> Retrieved: ...

    def describe(self) -> dict[str, Any]: ...


class LocalRetriever:
    """In-process search over a loaded index; latency covers embedding, search and fusion."""

    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher

    def retrieve(self, question: str, k: int, mode: str) -> Retrieved:
        started = time.perf_counter()
        result = self.searcher.search(question, k=k, mode=mode)
        latency = (time.perf_counter() - started) * 1000
        hits = tuple(
            PassageHit(hit.passage.id, hit.passage.doc_id, hit.passage.text, hit.score)
            for hit in result.hits
        )
        return Retrieved(hits, latency)

    def describe(self) -> dict[str, Any]:
        manifest = self.searcher.index.manifest
        return {
            "path": str(self.searcher.index.path),
            "index_id": manifest.index_id,
            "built_at": manifest.built_at,
            "model": manifest.model,
            "documents": manifest.documents,
            "passages": manifest.passages,
            "settings": manifest.settings,
            "fusion": self.searcher.fusion,
        }


class HttpRetriever:
    """A running sayso server; latency is the client-side round trip of POST /v1/search."""

    def __init__(self, url: str, *, timeout: float = 60.0, client: httpx.Client | None = None):
        import httpx

        self.url = url.rstrip("/")
        self._client = client or httpx.Client(base_url=self.url, timeout=timeout)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        import httpx

        try:
            response = self._client.request(method, path, **kwargs)
        except httpx.HTTPError as exc:
            raise RetrievalError(f"cannot reach {self.url}{path}: {exc}") from exc
        if response.status_code != 200:
            try:
                message = response.json()["error"]["message"]
            except (ValueError, KeyError, TypeError):
                message = response.text[:200]
            raise RetrievalError(f"{self.url}{path} answered {response.status_code}: {message}")
        return response.json()

    def retrieve(self, question: str, k: int, mode: str) -> Retrieved:
        started = time.perf_counter()
        body = self._request(
            "POST", "/v1/search", json={"question": question, "k": k, "mode": mode}
        )
        latency = (time.perf_counter() - started) * 1000
        try:
            rows = sorted(body["passages"], key=lambda row: row["rank"])
            hits = tuple(
                PassageHit(
                    str(row.get("id") or f"{row['doc_id']}#{row['rank']}"),
                    str(row["doc_id"]),
                    str(row.get("text", "")),
                    float(row["score"]),
                )
                for row in rows
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise RetrievalError(
                f"{self.url}/v1/search returned an unexpected body ({exc})"
            ) from exc
        return Retrieved(hits, latency)

    def describe(self) -> dict[str, Any]:
        info = self._request("GET", "/readyz")
        return {"url": self.url} | (info if isinstance(info, dict) else {})
