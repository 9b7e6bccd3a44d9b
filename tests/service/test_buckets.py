"""The rate limit in Redis (Debian's redis-server, started here): one bucket per client for
every worker and replica, taken atomically; per-process buckets while Redis is away."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from index.search import Searcher
from service.app import create_app
from service.buckets import RedisBuckets
from service.settings import Settings
from tests.conftest import FAKE_MODEL
from tests.processes import free_port, redis_server

BURST = 4


@pytest.fixture(scope="module")
def redis(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def limited_app(searcher: Searcher, store: str) -> TestClient:
    settings = Settings(
        model=FAKE_MODEL, rate_limit=0.001, rate_burst=BURST, rate_limit_store=store
    )
    return TestClient(create_app(settings, searcher=searcher))


def test_two_workers_share_one_bucket_per_client(fake_searcher: Searcher, redis: str) -> None:
    with limited_app(fake_searcher, redis) as one, limited_app(fake_searcher, redis) as two:
        statuses = [
            (one if n % 2 else two).get("/v1/documents").status_code for n in range(3 * BURST)
        ]
        assert statuses.count(200) == BURST  # not BURST per worker
        assert statuses[BURST:] == [429] * (2 * BURST)
        refused = one.get("/v1/documents")
        assert refused.json()["error"]["code"] == "rate_limited"
        assert int(refused.headers["retry-after"]) >= 1
        other = two.get("/v1/documents", headers={"X-Forwarded-For": "203.0.113.9"})
        assert other.status_code == 429  # a header the client sends is not an address


def test_taking_is_atomic_under_concurrency(redis: str) -> None:
    async def race() -> list[float | None]:
        # 60 connections at once on a busy machine: a patient timeout, so none falls back.
        buckets = RedisBuckets(redis, rate=0.001, burst=10, timeout=10)
        try:
            return await asyncio.gather(*(buckets.take("racer") for _ in range(60)))
        finally:
            await buckets.close()

    waits = asyncio.run(race())
    assert None not in waits
    assert sum(1 for wait in waits if wait == 0) == 10


def test_refill_follows_the_rate(redis: str) -> None:
    async def drain_then_wait() -> tuple[float | None, float | None]:
        buckets = RedisBuckets(redis, rate=20.0, burst=1, timeout=10)
        try:
            first = await buckets.take("refill")
            second = await buckets.take("refill")
            await asyncio.sleep(0.1)
            return second, await buckets.take("refill") if first == 0 else None
        finally:
            await buckets.close()

    empty, refilled = asyncio.run(drain_then_wait())
    assert empty is not None and 0 < empty <= 0.05 + 1e-6
    assert refilled == 0


def test_without_redis_each_process_limits_on_its_own(
    fake_searcher: Searcher, tmp_path: Path
) -> None:
    gone = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    with limited_app(fake_searcher, gone) as client:
        statuses = [client.get("/v1/documents").status_code for _ in range(BURST + 2)]
    assert statuses == [200] * BURST + [429, 429]
