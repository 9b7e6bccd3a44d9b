"""Telemetry: a request id, one JSON log line and Prometheus metrics for every request."""

from __future__ import annotations

import json
import logging
import os
import re
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Histogram, ProcessCollector
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.clients import client_address
from service.logs import request_id_var

access_log = logging.getLogger("sayso.access")

REQUEST_ID_HEADER = "X-Request-ID"
_WELL_FORMED_ID = re.compile(r"^[A-Za-z0-9._:\-]{1,128}$")
MULTIPROCESS_ENV = "PROMETHEUS_MULTIPROC_DIR"
"""Set (by `sayso serve --workers`, or by hand) before the workers start: every worker
writes its counters there and a scrape of any one of them adds them all up."""
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class IndexCollector(Collector):
    """Index facts read at scrape time from a callable returning the live state."""

    def __init__(self, state: Callable[[], dict[str, Any]]) -> None:
        self._state = state

    def collect(self) -> Iterator[Metric]:
        state = self._state()
        for name, help_text in (
            ("documents", "Documents in the served index"),
            ("passages", "Passages in the served index"),
        ):
            gauge = GaugeMetricFamily(f"sayso_index_{name}", help_text)
            gauge.add_metric([], float(state.get(name, 0)))
            yield gauge
        builds = CounterMetricFamily(
            "sayso_index_builds", "Full index builds done by this process (at startup)"
        )
        builds.add_metric([], float(state.get("builds", 0)))
        yield builds
        updates = CounterMetricFamily(
            "sayso_index_updates", "Index versions written by document writes"
        )
        updates.add_metric([], float(state.get("updates", 0)))
        yield updates


class WorkerMemory(Collector):
    """Resident memory of every live worker writing to the multiprocess directory (the
    process metrics describe only the worker that answered the scrape)."""

    def __init__(self, directory: Path) -> None:
        self._directory = directory

    def collect(self) -> Iterator[Metric]:
        gauge = GaugeMetricFamily(
            "sayso_worker_resident_memory_bytes",
            "Resident memory of each worker process, in bytes",
            labels=["pid"],
        )
        pids = {path.stem.rpartition("_")[2] for path in self._directory.glob("*.db")}
        for pid in sorted(p for p in pids if p.isdigit()):
            resident = _resident_bytes(int(pid))
            if resident is not None:
                gauge.add_metric([pid], resident)
        yield gauge


def _resident_bytes(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None  # an exited worker
    match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.M)
    return float(match.group(1)) * 1024 if match else None


class Metrics:
    """One registry per app (tests create many apps; a global registry would clash).

    In multiprocess mode (PROMETHEUS_MULTIPROC_DIR set before the process started), the
    request counters live in files shared by the workers and the exposed registry reads
    them all; otherwise they are this process's."""

    def __init__(self, index_state: Callable[[], dict[str, Any]]) -> None:
        own = CollectorRegistry()
        shared = os.environ.get(MULTIPROCESS_ENV)
        self.registry = CollectorRegistry() if shared else own
        if shared:
            from prometheus_client import multiprocess

            multiprocess.MultiProcessCollector(self.registry, path=shared)  # type: ignore[no-untyped-call]
            self.registry.register(WorkerMemory(Path(shared)))
        ProcessCollector(registry=self.registry)
        self.registry.register(IndexCollector(index_state))
        self.requests = Counter(
            "sayso_http_requests",
            "HTTP requests by route template, method and status",
            ["route", "method", "status"],
            registry=own,
        )
        self.latency = Histogram(
            "sayso_http_request_duration_seconds",
            "HTTP request latency by route template, in seconds",
            ["route", "method"],
            buckets=LATENCY_BUCKETS,
            registry=own,
        )


def request_id(scope: Scope) -> str:
    """The caller's X-Request-ID when well formed, else a fresh one."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            candidate = bytes(value).decode("latin-1")
            if _WELL_FORMED_ID.match(candidate):
                return candidate
    return uuid.uuid4().hex


def route_name(scope: Scope) -> str:
    """The route template (`/v1/documents/{doc_id}`), so ids do not explode label counts."""
    path: object = getattr(scope.get("route"), "path", None)
    return str(path) if isinstance(path, str) else "unmatched"


class RequestTelemetry:
    """Outermost middleware: sets X-Request-ID, logs one JSON line, records metrics."""

    def __init__(self, app: ASGIApp, metrics: Metrics, trusted_proxies: Sequence[str] = ()) -> None:
        self.app = app
        self.metrics = metrics
        self.trusted_proxies = tuple(trusted_proxies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        rid = request_id(scope)
        scope.setdefault("state", {})["request_id"] = rid
        # Not reset afterwards: uvicorn logs an unhandled error after this returns, in the
        # same task (one per request), and that line should carry the id too.
        request_id_var.set(rid)
        started = time.perf_counter()
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = rid
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            elapsed = time.perf_counter() - started
            route = route_name(scope)
            method = scope["method"]
            self.metrics.requests.labels(route, method, str(status)).inc()
            self.metrics.latency.labels(route, method).observe(elapsed)
            fields = {
                "request_id": rid,
                "method": method,
                "path": scope["path"],
                "route": route,
                "status": status,
                "duration_ms": round(elapsed * 1000, 3),
                "client": client_address(scope, self.trusted_proxies),
            }
            access_log.info(json.dumps(fields), extra={"fields": fields})
