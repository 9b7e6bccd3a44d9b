"""Document writes are bounded like /v1/extract: a time budget, a concurrency limit, stopped
when the client leaves, and a stopped write leaves the index as it was."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from fastapi.testclient import TestClient
from mcp import Client

from index.build import BuildStopped, build_index, update_index
from index.disk import BuildSettings, current_version, read_index
from index.documents import load_documents, make_document
from index.quotes import ExtractionStopped, extract_quotes_batch
from index.search import Searcher
from index.updates import IndexHolder
from service.app import create_app
from service.extraction import ClientGone, Gate
from service.mcp_server import build_server
from service.settings import Settings
from service.writes import WRITE_BUDGET_CHARS, write_budget
from tests.conftest import FAKE_MODEL, FakeEncoder
from tests.service.test_writes import LOCAL, STORY


class SlowEncoder(FakeEncoder):
    """The fake encoder, taking `delay` seconds a call once `slow` is set."""

    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay
        self.slow = False

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        if self.slow:
            time.sleep(self.delay)
        return super().encode(texts)


@pytest.fixture()
def settings(tmp_path: Path, seeds_copy: Path) -> Settings:
    return Settings(index_dir=tmp_path / "index", seeds_dir=seeds_copy, model=FAKE_MODEL)


def serve(settings: Settings, delay: float) -> tuple[TestClient, SlowEncoder]:
    encoder = SlowEncoder(delay)
    index = update_index(
        settings.index_dir,
        load_documents(settings.seeds_dir),
        BuildSettings(model=FAKE_MODEL),
        encoder,
    )
    encoder.slow = True
    return TestClient(create_app(settings, Searcher(index, encoder)), **LOCAL), encoder


def versions(root: Path) -> set[str]:
    return {p.name for p in root.iterdir()}


def test_the_budget_scales_with_the_text() -> None:
    settings = Settings(model=FAKE_MODEL, write_timeout=30)
    short = make_document("a", "Short text.")
    assert write_budget(settings, [short]) == 30
    long = make_document("b", "word " * (WRITE_BUDGET_CHARS // 5) * 4)  # 4 x 100,000 chars
    assert write_budget(settings, [long]) == pytest.approx(120, rel=0.01)
    assert write_budget(settings, [long, long]) == pytest.approx(240, rel=0.01)


def test_a_write_past_its_budget_is_503_and_writes_nothing(settings: Settings) -> None:
    slow = settings.model_copy(update={"write_timeout": 0.3})
    client, _ = serve(slow, delay=1.0)
    with client:
        before = current_version(slow.index_dir)
        on_disk = versions(slow.index_dir)
        started = time.monotonic()
        response = client.post("/v1/documents", json=STORY)
        took = time.monotonic() - started
        assert response.status_code == 503, response.text
        error = response.json()["error"]
        assert error["code"] == "write_unavailable" and "nothing was written" in error["message"]
        assert int(response.headers["retry-after"]) >= 1
        assert took < 3, took
        assert client.get(f"/v1/documents/{STORY['id']}").status_code == 404
        assert current_version(slow.index_dir) == before
        assert versions(slow.index_dir) == on_disk  # no partial version left behind
        assert STORY["id"] not in read_index(slow.index_dir).documents


def test_writes_past_the_concurrency_limit_get_503(settings: Settings) -> None:
    one = settings.model_copy(update={"write_concurrency": 1})
    client, _ = serve(one, delay=1.5)
    answers: list[Any] = []
    with client:
        first = threading.Thread(
            target=lambda: answers.append(client.post("/v1/documents", json=STORY))
        )
        first.start()
        time.sleep(0.4)
        started = time.monotonic()
        second = client.post("/v1/documents", json=STORY | {"id": "second-story"})
        assert time.monotonic() - started < 1.0  # refused at once, not queued
        first.join()
        assert second.status_code == 503
        assert second.json()["error"]["code"] == "write_unavailable"
        assert second.headers["retry-after"]
        assert answers[0].status_code == 201
        assert client.post("/v1/documents", json=STORY | {"id": "third"}).status_code == 201


def test_a_batch_past_its_budget_writes_none_of_it(settings: Settings) -> None:
    slow = settings.model_copy(update={"write_timeout": 0.3})
    client, _ = serve(slow, delay=1.0)
    batch = [STORY | {"id": f"batch-{n}"} for n in range(3)]
    with client:
        before = current_version(slow.index_dir)
        response = client.post("/v1/documents", json=batch)
        assert response.status_code == 503
        assert current_version(slow.index_dir) == before
        listed = {d["id"] for d in client.get("/v1/documents").json()["documents"]}
        assert not listed & {d["id"] for d in batch}


class Leaving:
    """A request whose client leaves after `after` seconds."""

    def __init__(self, after: float) -> None:
        self.gone_at = time.monotonic() + after

    async def is_disconnected(self) -> bool:
        return time.monotonic() > self.gone_at


def stoppable(seen: threading.Event) -> Any:
    def work(stop: Any) -> str:
        while not stop():
            time.sleep(0.01)
        seen.set()
        raise BuildStopped("test")

    return work


def test_the_gate_stops_the_work_when_the_client_leaves() -> None:
    gate = Gate(1, what="The write", code="write_unavailable", knobs="-")
    seen = threading.Event()

    async def scenario() -> None:
        with pytest.raises(ClientGone):
            await gate.run(Leaving(0.2), stoppable(seen), 60, drain=True)  # type: ignore[arg-type]

    asyncio.run(scenario())
    assert seen.wait(5), "the work never saw its stop flag"
    deadline = time.monotonic() + 5
    while True:  # its slot is free once the work has stopped
        try:
            assert asyncio.run(gate.run(None, lambda stop: "ok", 5, drain=True)) == "ok"
            break
        except Exception:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    gate.close()


def test_a_drained_write_that_passed_its_last_check_is_answered_as_written() -> None:
    gate = Gate(1, what="The write", code="write_unavailable", knobs="-")

    def committing(stop: Any) -> str:
        time.sleep(0.5)  # writing the new version: no more stop checks
        return "written"

    assert asyncio.run(gate.run(None, committing, 0.1, drain=True)) == "written"
    seen = threading.Event()
    with pytest.raises(Exception) as refused:
        asyncio.run(gate.run(None, stoppable(seen), 0.1, drain=True))
    assert getattr(refused.value, "status", None) == 503 and seen.is_set()
    gate.close()


def test_a_build_asks_stop_between_stages(seed_documents: Any) -> None:
    calls = 0

    def stop_after(n: int) -> Any:
        def stop() -> bool:
            nonlocal calls
            calls += 1
            return calls > n

        return stop

    with pytest.raises(BuildStopped):
        build_index(
            seed_documents, BuildSettings(model=FAKE_MODEL), FakeEncoder(), stop=stop_after(3)
        )
    text = '"We won," said Ana Ruiz. ' * 50
    with pytest.raises(ExtractionStopped):
        extract_quotes_batch([("a", text), ("b", text)], stop=lambda: True)
    found = extract_quotes_batch([("a", text)], stop=lambda: False)
    assert found == extract_quotes_batch([("a", text)])


def test_a_stopped_holder_write_leaves_the_index(settings: Settings) -> None:
    encoder = FakeEncoder()
    index = update_index(
        settings.index_dir,
        load_documents(settings.seeds_dir),
        BuildSettings(model=FAKE_MODEL),
        encoder,
    )
    holder = IndexHolder(settings.index_dir, Searcher(index, encoder))
    story = make_document(STORY["id"], STORY["text"])
    before = current_version(settings.index_dir)

    def stop_after(checks: int) -> Callable[[], bool]:
        asked = 0

        def stop() -> bool:
            nonlocal asked
            asked += 1
            return asked > checks

        return stop

    for checks in range(60):  # stopped at every check in turn: never half-written
        try:
            holder.write([story], stop=stop_after(checks))
        except BuildStopped:
            assert current_version(settings.index_dir) == before
            assert story.id not in holder.searcher.index.documents
            continue
        assert checks > 2  # passages, quotes (stages and spaCy's), embedding, the last one
        assert story.id in read_index(settings.index_dir).documents  # ran out of checks
        break
    else:
        pytest.fail("the write never completed")


def test_the_mcp_write_tool_has_the_same_budget(settings: Settings) -> None:
    encoder = SlowEncoder(1.0)
    index = update_index(
        settings.index_dir,
        load_documents(settings.seeds_dir),
        BuildSettings(model=FAKE_MODEL),
        encoder,
    )
    encoder.slow = True
    searcher = Searcher(index, encoder)
    holder = IndexHolder(settings.index_dir, searcher)
    slow = settings.model_copy(update={"write_timeout": 0.3, "api_key": "k" * 16})
    server = build_server(slow, lambda: holder.searcher, lambda: holder)
    before = current_version(settings.index_dir)

    async def add() -> Any:
        async with Client(server) as client:
            return await client.call_tool("add_document", {"id": "mcp", "text": STORY["text"]})

    result = asyncio.run(add())
    assert result.is_error and "write_unavailable" in result.content[0].text
    assert current_version(settings.index_dir) == before
