"""Logging: JSON lines on stderr, each carrying the request id, however the app was started.

`configure_logging` is called by `create_app` (so `uvicorn --factory service.app:create_app`
and `sayso serve` log alike) and again by the lifespan, after uvicorn has installed its own
handlers in the worker; it is idempotent. uvicorn's loggers are routed through the same
handler, so its errors ("Exception in ASGI application") are JSON lines with the request id.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from contextvars import ContextVar
from typing import Any

request_id_var: ContextVar[str | None] = ContextVar("sayso_request_id", default=None)
"""The id of the request being served (set by service.telemetry.RequestTelemetry)."""

UVICORN_LOGGERS = ("uvicorn", "uvicorn.error", "uvicorn.access", "uvicorn.asgi")
_MARK = "_sayso_handler"


class RequestIdFilter(logging.Filter):
    """Stamps every record with the current request id (None outside a request)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per record: time, level, logger, request_id, then either the
    record's `fields` (structured records such as the access log) or its message."""

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created))
            + f".{int(record.msecs):03d}Z",
            "level": record.levelname.lower(),
            "logger": record.name,
            "request_id": getattr(record, "request_id", None),
        }
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict):
            line |= fields
        else:
            line["message"] = record.getMessage()
        if record.exc_info:
            line["error"] = self.formatException(record.exc_info)
        return json.dumps(line, ensure_ascii=False, default=str)


class _Stderr(logging.StreamHandler):  # type: ignore[type-arg]
    """A handler writing to whatever sys.stderr is when a record comes (as logging's own
    last-resort handler does): a handler holding the stderr of its set-up time writes to a
    closed file once that stream is replaced and closed (a test runner's capture, typer's
    CliRunner)."""

    @property
    def stream(self) -> Any:
        return sys.stderr

    @stream.setter
    def stream(self, value: Any) -> None:
        pass


def configure_logging(level: str) -> None:
    """JSON lines on stderr at `level` (critical, error, warning, info, debug; any case) for
    sayso's loggers and uvicorn's. Calling it again only updates the level."""
    numeric = logging.getLevelName(level.upper())
    if not isinstance(numeric, int):
        raise ValueError(f"unknown log level {level!r}")
    root = logging.getLogger()
    handler = next((h for h in root.handlers if getattr(h, _MARK, False)), None)
    if handler is None:
        handler = _Stderr()
        handler.setFormatter(JsonFormatter())
        handler.addFilter(RequestIdFilter())
        setattr(handler, _MARK, True)
        root.addHandler(handler)
    handler.setLevel(numeric)  # also for libraries that set their own loggers' levels
    root.setLevel(numeric)
    for name in ("sayso", "sayso.access", "service", "index", *UVICORN_LOGGERS):
        logger = logging.getLogger(name)
        if name in UVICORN_LOGGERS or name == "sayso.access":
            logger.handlers = [h for h in logger.handlers if getattr(h, _MARK, False)]
            logger.propagate = True
        logger.setLevel(numeric)
    # uvicorn's own access lines repeat sayso.access without the request id.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
