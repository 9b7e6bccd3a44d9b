"""`sayso add` / `sayso rm`: locally (atomic, one version) and against a running server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from index.disk import read_index
from service import cli
from tests.conftest import SEED_ID
from tests.processes import sayso_env, sayso_server

runner = CliRunner()
ROOT = Path(__file__).resolve().parents[2]  # this checkout: the server runs its code


ARTICLE = "The mayor opened a bridge.\n\n“It is a great day for the city,” Mayor Ana Ruiz said."


@pytest.fixture()
def files(tmp_path: Path) -> dict[str, Path]:
    bridge = tmp_path / "bridge.txt"
    bridge.write_text(ARTICLE)
    wire = tmp_path / "wire.jsonl"
    rows = [{"id": "wire-1", "text": "Rain is due on Friday."}, {"id": "wire-2", "text": "Sun."}]
    wire.write_text("".join(json.dumps(r) + "\n" for r in rows))
    broken = tmp_path / "broken.jsonl"
    broken.write_text(json.dumps(rows[0]) + "\n\n" + json.dumps({"id": "no-text"}) + "\n")
    return {"bridge": bridge, "wire": wire, "broken": broken}


def test_add_and_rm_locally(env: dict[str, str], files: dict[str, Path]) -> None:
    added = runner.invoke(cli.app, ["add", str(files["bridge"]), str(files["wire"])], env=env)
    assert added.exit_code == 0, added.output
    assert "created    bridge" in added.output and "created    wire-2" in added.output
    root = Path(env["SAYSO_INDEX_DIR"])
    index = read_index(root)
    assert set(index.documents) == {SEED_ID, "bridge", "wire-1", "wire-2"}
    assert set(index.manifest.api_documents) == {"bridge", "wire-1", "wire-2"}
    assert index.speakers.resolve("Ana Ruiz") is not None
    version = index.manifest.index_id

    again = runner.invoke(cli.app, ["add", str(files["bridge"])], env=env)
    assert "unchanged  bridge" in again.output
    assert read_index(root).manifest.index_id == version  # nothing changed, nothing written

    removed = runner.invoke(cli.app, ["rm", "wire-1", "wire-2"], env=env)
    assert removed.exit_code == 0, removed.output
    assert set(read_index(root).documents) == {SEED_ID, "bridge"}
    rebuilt = runner.invoke(cli.app, ["build"], env=env)  # added articles outlive a build
    assert rebuilt.exit_code == 0 and "bridge" in read_index(root).documents


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["add", "{broken}"], "broken.jsonl:3: each line needs a string 'text'"),
        (["add", "{missing}"], "missing.txt: no such file"),
        (["add", "{wire}", "{wire}"], "wire.jsonl:1: document id 'wire-1' is also in"),
        (["rm", "nope"], "no document with id 'nope'"),
    ],
)
def test_mistakes_name_the_file_and_line(
    env: dict[str, str], files: dict[str, Path], args: list[str], message: str
) -> None:
    names = {k: str(v) for k, v in files.items()} | {
        "missing": str(files["bridge"].parent / "missing.txt")
    }
    result = runner.invoke(cli.app, [a.format(**names) for a in args], env=env)
    assert result.exit_code == 1
    assert message in result.output and "Traceback" not in result.output


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    root = tmp_path_factory.mktemp("cli-url")
    with sayso_server(sayso_env(root / "index", api_key="s3cret"), root / "server.log") as base:
        yield base


@pytest.mark.e2e
def test_add_and_rm_against_a_server(server: str, files: dict[str, Path], tmp_path: Path) -> None:
    env = {"SAYSO_API_KEY": "s3cret", "SAYSO_INDEX_DIR": str(tmp_path / "unused")}
    added = runner.invoke(cli.app, ["add", "--url", server, str(files["bridge"])], env=env)
    assert added.exit_code == 0, added.output
    assert "created    bridge" in added.output
    assert httpx.get(f"{server}/v1/documents/bridge").status_code == 200
    speakers = httpx.get(f"{server}/v1/speakers", params={"q": "ruiz"}).json()["speakers"]
    assert speakers and speakers[0]["documents"] == 1

    refused = runner.invoke(cli.app, ["add", "--url", server, str(files["bridge"])], env={})
    assert refused.exit_code == 1 and "401 unauthorized" in refused.output

    removed = runner.invoke(cli.app, ["rm", "--url", server, "bridge"], env=env)
    assert removed.exit_code == 0 and "deleted    bridge" in removed.output
    assert httpx.get(f"{server}/v1/documents/bridge").status_code == 404
    assert not (tmp_path / "unused").exists()  # nothing local was touched
