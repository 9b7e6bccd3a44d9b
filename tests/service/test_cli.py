"""The sayso command line, run in-process with the fake encoder."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from service import cli

runner = CliRunner()


def test_help_lists_commands() -> None:
    result = runner.invoke(cli.app, ["--help"])
    assert result.exit_code == 0
    for command in ("build", "ask", "serve"):
        assert command in result.output


def test_build_then_ask_json(env: dict[str, str]) -> None:
    built = runner.invoke(cli.app, ["build"], env=env)
    assert built.exit_code == 0, built.output
    assert Path(env["SAYSO_INDEX_DIR"], "CURRENT").is_file()
    asked = runner.invoke(cli.app, ["ask", "venture capital fund", "--k", "2", "--json"], env=env)
    assert asked.exit_code == 0, asked.output
    body = json.loads(asked.stdout)
    assert len(body["passages"]) == 2
    assert "venture capital" in body["passages"][0]["text"]


def test_build_off_a_terminal_logs_each_stage(
    env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level("INFO", logger="sayso.build")
    built = runner.invoke(cli.app, ["build"], env=env | {"SAYSO_BUILD_WORKERS": "1"})
    assert built.exit_code == 0, built.output
    lines = [r.getMessage() for r in caplog.records if r.name == "sayso.build"]
    for stage in ("passages", "quotes", "embedding"):
        assert any(line.startswith(f"{stage}: ") and "(100%) in " in line for line in lines)


def test_ask_readable_output(env: dict[str, str]) -> None:
    result = runner.invoke(
        cli.app, ["ask", "Roland Berger", "--mode", "lexical", "--k", "1"], env=env
    )
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("1. ")
    assert "Roland Berger" in result.stdout


def test_flags_override_environment(env: dict[str, str], tmp_path: Path) -> None:
    other = tmp_path / "flag-index"
    result = runner.invoke(cli.app, ["build", "--index", str(other)], env=env)
    assert result.exit_code == 0, result.output
    assert (other / "CURRENT").is_file()
    assert not Path(env["SAYSO_INDEX_DIR"]).exists()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["ask", "x", "--mode", "bogus"], "mode"),
        (["ask", "   "], "question is empty"),
        (["build", "--seeds", "/no/such/dir"], "does not exist"),
    ],
)
def test_user_mistakes_are_one_line(env: dict[str, str], args: list[str], message: str) -> None:
    result = runner.invoke(cli.app, args, env=env)
    assert result.exit_code == 1
    assert message in result.output
    assert "Traceback" not in result.output


def test_qdrant_store_answers_like_the_default(env: dict[str, str], tmp_path: Path) -> None:
    question = ["ask", "venture capital guidance fund", "--json", "--k", "3"]
    default = runner.invoke(cli.app, question, env=env)
    qdrant_env = env | {"SAYSO_STORE": "qdrant", "SAYSO_STORE_LOCATION": str(tmp_path / "q")}
    built = runner.invoke(cli.app, ["build"], env=qdrant_env)
    assert built.exit_code == 0, built.output
    engine = runner.invoke(cli.app, question, env=qdrant_env)
    assert engine.exit_code == 0, engine.output
    rows = [json.loads(r.stdout)["passages"] for r in (default, engine)]
    assert [p["id"] for p in rows[0]] == [p["id"] for p in rows[1]]
    assert [p["highlights"] for p in rows[0]] == [p["highlights"] for p in rows[1]]


def test_quotes_lists_and_filters(env: dict[str, str]) -> None:
    listed = runner.invoke(cli.app, ["quotes", "--speaker", "Roland Berger", "--json"], env=env)
    assert listed.exit_code == 0, listed.output
    quotes = json.loads(listed.stdout)["quotes"]
    assert quotes and {q["speaker"]["name"] for q in quotes} == {"Denis Depoux"}
    readable = runner.invoke(cli.app, ["quotes", "--doc", "nope"], env=env)
    assert readable.exit_code == 0 and readable.stdout == ""


def test_quotes_from_a_file(tmp_path: Path) -> None:
    article = tmp_path / "note.txt"
    article.write_text("“Rates will fall,” said Ana Ruiz, an economist at Banco Azul.\n", "utf-8")
    result = runner.invoke(cli.app, ["quotes", "--file", str(article), "--json"])
    assert result.exit_code == 0, result.output
    [quote] = json.loads(result.stdout)["quotes"]
    assert quote["speaker"]["name"] == "Ana Ruiz"
    assert article.read_text("utf-8")[quote["start"] : quote["end"]] == quote["text"]
    missing = runner.invoke(cli.app, ["quotes", "--file", str(tmp_path / "none.txt")])
    assert missing.exit_code == 1 and "not a file" in missing.output


def test_version_comes_from_the_package_metadata() -> None:
    from importlib.metadata import version

    result = runner.invoke(cli.app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"sayso {version('sayso')}"


def test_serve_refusing_a_damaged_index_waits_for_the_model_thread(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A refusal exits 1 after the model thread ends: native code still loading a model in
    another thread aborted the exit (134)."""
    import threading
    import time

    from service.cli import common

    index = tmp_path / "index"
    (index / "versions" / "v1").mkdir(parents=True)
    (index / "CURRENT").write_text("v1\n")
    (index / "versions" / "v1" / "manifest.json").write_text("{not json")
    finished = threading.Event()

    def slow_load(settings: object) -> object:
        time.sleep(1.0)
        finished.set()
        return object()

    monkeypatch.setattr(common, "load_encoder", slow_load)
    result = runner.invoke(cli.app, ["serve", "--index", str(index), "--port", "1"])
    assert result.exit_code == 1, result.output
    assert "damaged" in result.output or "rebuild" in result.output
    assert finished.is_set()
