"""`sayso serve --workers N`: N uvicorn worker processes on one index, one metrics directory."""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from service.server import uvicorn_options
from service.settings import ENV_PREFIX, Settings
from service.telemetry import MULTIPROCESS_ENV

WORKER_FACTORY = "service.app:create_worker_app"
HEALTHCHECK_TIMEOUT_S = 120
"""A worker loading the model answers uvicorn's liveness ping late (5 s by default), and
would be killed and restarted in a loop."""


def export_flags(flags: Mapping[str, Any]) -> None:
    """Put the flags given on the command line into SAYSO_* variables: the workers are fresh
    processes that read their settings from the environment, as the parent did."""
    for name, value in flags.items():
        if value is not None:
            os.environ[ENV_PREFIX + name.upper()] = str(value)


@contextmanager
def metrics_directory() -> Iterator[Path]:
    """PROMETHEUS_MULTIPROC_DIR for the workers: the operator's (emptied of a previous run's
    files, which would otherwise be counted again) or a temporary one removed afterwards."""
    given = os.environ.get(MULTIPROCESS_ENV)
    if given:
        directory = Path(given)
        directory.mkdir(parents=True, exist_ok=True)
        for stale in directory.glob("*.db"):
            stale.unlink()
        yield directory
        return
    directory = Path(tempfile.mkdtemp(prefix="sayso-metrics-"))
    os.environ[MULTIPROCESS_ENV] = str(directory)
    try:
        yield directory
    finally:
        os.environ.pop(MULTIPROCESS_ENV, None)
        shutil.rmtree(directory, ignore_errors=True)


def worker_limits(settings: Settings) -> dict[str, Any]:
    """The connection limits of `sayso serve` (service.server), all of them: the protocol
    class pickles by reference, and each worker reads SAYSO_READ_TIMEOUT from the
    environment it inherits."""
    return uvicorn_options(settings)


def run_workers(settings: Settings, flags: Mapping[str, Any]) -> None:
    """Serve with `settings.workers` processes; the index is already built and current."""
    import uvicorn

    export_flags(flags)
    with metrics_directory():
        uvicorn.run(
            WORKER_FACTORY,
            factory=True,
            host=settings.host,
            port=settings.port,
            workers=settings.workers,
            log_level=settings.log_level,
            access_log=False,  # replaced by sayso.access: one JSON line per request
            log_config=None,  # keep sayso's JSON handler (service.logs) for uvicorn's lines
            timeout_worker_healthcheck=HEALTHCHECK_TIMEOUT_S,
            **worker_limits(settings),
        )
