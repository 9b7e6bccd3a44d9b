"""Logging and start-up validation: JSON lines with the request id however the app starts;
every setting checked when the settings are read, the message naming the variable."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from index.search import Searcher
from service.app import create_app
from service.cli.main import app as cli
from service.logs import JsonFormatter, RequestIdFilter, configure_logging
from service.settings import Settings, SettingsError, load_settings
from tests.conftest import FAKE_MODEL


@pytest.fixture()
def captured() -> Iterator[io.StringIO]:
    """What sayso's own JSON handler writes, as a string."""
    configure_logging("info")
    root = logging.getLogger()
    ours = next(h for h in root.handlers if getattr(h, "_sayso_handler", False))
    stream = io.StringIO()
    probe = logging.StreamHandler(stream)
    probe.setFormatter(JsonFormatter())
    probe.addFilter(RequestIdFilter())
    root.addHandler(probe)
    try:
        yield stream
    finally:
        root.removeHandler(probe)
        assert ours in root.handlers


def lines(stream: io.StringIO) -> list[dict[str, object]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


def test_configuring_twice_installs_one_handler() -> None:
    configure_logging("INFO")
    configure_logging("debug")
    configure_logging("Warning")
    root = logging.getLogger()
    assert sum(getattr(h, "_sayso_handler", False) for h in root.handlers) == 1
    assert root.level == logging.WARNING
    assert logging.getLogger("uvicorn.error").propagate
    assert not logging.getLogger("uvicorn.error").handlers
    configure_logging("info")


def test_every_record_of_a_request_carries_its_id(
    fake_searcher: Searcher, captured: io.StringIO
) -> None:
    app = create_app(Settings(model=FAKE_MODEL), searcher=fake_searcher)

    @app.get("/boom")
    def boom() -> None:
        logging.getLogger("service.test").warning("about to fail")
        raise RuntimeError("boom")

    with TestClient(app, raise_server_exceptions=False) as client:
        answer = client.get("/boom", headers={"X-Request-ID": "rid-boom"})
        client.get("/healthz", headers={"X-Request-ID": "rid-ok"})
    assert answer.status_code == 500
    records = lines(captured)
    mine = [r for r in records if r["request_id"] == "rid-boom"]
    loggers = {r["logger"] for r in mine}
    assert "service.test" in loggers  # the route's own line, in the threadpool
    assert "sayso.access" in loggers
    access = next(r for r in mine if r["logger"] == "sayso.access")
    assert access["status"] == 500 and access["route"] == "/boom"
    assert any(r["level"] == "error" and "boom" in str(r.get("error", "")) for r in mine)
    assert any(r["request_id"] == "rid-ok" for r in records)


def test_the_factory_configures_logging(
    monkeypatch: pytest.MonkeyPatch, fake_searcher: Searcher
) -> None:
    """`uvicorn --factory service.app:create_app` reads SAYSO_LOG_LEVEL, in any case."""
    monkeypatch.setenv("SAYSO_LOG_LEVEL", "WARNING")
    logging.getLogger().handlers = [
        h for h in logging.getLogger().handlers if not getattr(h, "_sayso_handler", False)
    ]
    app = create_app()
    assert isinstance(app, FastAPI)
    root = logging.getLogger()
    assert root.level == logging.WARNING
    assert any(getattr(h, "_sayso_handler", False) for h in root.handlers)
    configure_logging("info")


@pytest.mark.parametrize(
    ("variable", "value", "allowed"),
    [
        ("SAYSO_LOG_LEVEL", "loud", "'critical', 'error', 'warning', 'info' or 'debug'"),
        ("SAYSO_FUSION", "average", "minmax, rrf, zscore"),
        ("SAYSO_RATE_LIMIT_STORE", "memcached://x", "redis://"),
        ("SAYSO_STORE", "milvus", "'faiss' or 'qdrant'"),
        ("SAYSO_WORKERS", "0", "greater than or equal to 1"),
    ],
)
def test_a_bad_setting_fails_at_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, allowed: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError) as raised:
        load_settings()
    assert str(raised.value).startswith(f"{variable}: ")
    assert allowed in str(raised.value)
    with pytest.raises(SettingsError, match=variable):
        create_app()  # the factory path fails before serving, with the same message


def test_the_level_is_case_insensitive(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SAYSO_LOG_LEVEL", "INFO")
    assert load_settings().log_level == "info"


def test_sayso_serve_names_a_bad_variable_before_building(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("SAYSO_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("SAYSO_FUSION", "average")
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert "SAYSO_FUSION: choose one of: minmax, rrf, zscore (got 'average')" in result.output
    assert not (tmp_path / "index").exists()  # refused before any work


def test_workers_refuse_qdrant_local_mode(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("SAYSO_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("SAYSO_STORE", "qdrant")
    result = CliRunner().invoke(cli, ["serve", "--workers", "2"])
    assert result.exit_code == 1
    assert "local mode admits one process" in result.output
