"""Faults: damaged or foreign indexes at startup, and builds killed part way through."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from index.build import update_index
from index.disk import SCHEMA_VERSION, IndexStoreError, current_version, read_index
from index.documents import make_document
from index.search import Searcher
from service import cli
from service.indexing import load_searcher, open_index
from service.settings import Settings
from tests.conftest import FAKE_MODEL, ROOT, SEED_ID, FakeEncoder


@pytest.fixture()
def settings(tmp_path: Path, seeds_copy: Path) -> Settings:
    settings = Settings(index_dir=tmp_path / "index", seeds_dir=seeds_copy, model=FAKE_MODEL)
    open_index(settings, FakeEncoder())
    return settings


def _truncate(path: Path) -> None:
    path.write_bytes(path.read_bytes()[: path.stat().st_size // 2])


def damage(root: Path, how: str) -> str:
    """Damage the live version; returns the file name the error must mention."""
    version = current_version(root)
    assert version is not None
    if how == "missing-version":
        import shutil

        shutil.rmtree(version)
        return "manifest.json"
    if how == "schema":
        manifest = version / "manifest.json"
        data = json.loads(manifest.read_text())
        data["schema_version"] = SCHEMA_VERSION + 1
        manifest.write_text(json.dumps(data))
        return "schema"
    name = {"passages": "passages.jsonl", "faiss": "dense.faiss", "manifest": "manifest.json"}[how]
    _truncate(version / name)
    return name if how != "faiss" else str(version)


HOW = ["passages", "faiss", "manifest", "missing-version", "schema"]


@pytest.mark.parametrize("how", HOW)
def test_damaged_index_refuses_to_start_with_the_fix(settings: Settings, how: str) -> None:
    named = damage(settings.index_dir, how)
    with pytest.raises(IndexStoreError) as caught:
        open_index(settings, FakeEncoder())
    message = str(caught.value)
    assert named in message
    assert "sayso build" in message and "SAYSO_REBUILD_ON_ERROR" in message
    assert "\n" not in message


@pytest.mark.parametrize("how", HOW)
def test_damaged_index_is_rebuilt_when_configured(settings: Settings, how: str) -> None:
    damage(settings.index_dir, how)
    repaired = settings.model_copy(update={"rebuild_on_error": True})
    index = open_index(repaired, FakeEncoder()).index
    assert SEED_ID in index.documents
    assert read_index(settings.index_dir).manifest.index_id == index.manifest.index_id


def test_an_older_schema_is_rebuilt_keeping_api_documents(settings: Settings) -> None:
    """An index written by an older sayso is stale, not damage: `make serve` rebuilds it
    and keeps the documents that only it holds (those added through the API)."""
    story = make_document("harbour-story", "The harbour reopened on Monday, officials said.")
    index = open_index(settings, FakeEncoder()).index
    update_index(
        settings.index_dir,
        [*index.documents.values(), story],
        index.settings,
        FakeEncoder(),
        api_documents=["harbour-story"],
    )
    version = current_version(settings.index_dir)
    assert version is not None
    manifest = version / "manifest.json"
    data = json.loads(manifest.read_text())
    data["schema_version"] = SCHEMA_VERSION - 1
    manifest.write_text(json.dumps(data))
    (version / "titles.npy").unlink()  # as an older version wrote it
    with pytest.raises(IndexStoreError):
        read_index(settings.index_dir)
    opened = open_index(settings, FakeEncoder())
    assert opened.built
    assert set(opened.index.documents) == {SEED_ID, "harbour-story"}
    assert read_index(settings.index_dir).manifest.api_documents == ["harbour-story"]


def test_serve_refuses_in_one_line(settings: Settings) -> None:
    damage(settings.index_dir, "passages")
    env = {
        "SAYSO_INDEX_DIR": str(settings.index_dir),
        "SAYSO_SEEDS_DIR": str(settings.seeds_dir),
        "SAYSO_MODEL": FAKE_MODEL,
    }
    result = CliRunner().invoke(cli.app, ["serve", "--port", "1"], env=env)
    assert result.exit_code == 1
    assert "passages.jsonl" in result.output and "Traceback" not in result.output
    # `sayso build` is the fix the message names, and it works.
    assert CliRunner().invoke(cli.app, ["build"], env=env).exit_code == 0
    assert read_index(settings.index_dir).documents


def test_another_model_is_stale_not_damage(settings: Settings) -> None:
    other = settings.model_copy(update={"model": "fake-hash-encoder-2"})
    opened = open_index(other, FakeEncoder())
    assert opened.built and opened.index.manifest.model == "fake-hash-encoder-2"


def test_app_loader_rebuilds_when_configured(settings: Settings) -> None:
    damage(settings.index_dir, "manifest")
    with pytest.raises(IndexStoreError):
        load_searcher(settings)
    searcher = load_searcher(settings.model_copy(update={"rebuild_on_error": True}))
    assert isinstance(searcher, Searcher) and searcher.search("China").hits


# --- builds killed part way through (real processes) ---------------------------------


def write_corpus(seeds: Path, count: int, variant: str) -> None:
    seeds.mkdir(parents=True, exist_ok=True)
    words = [
        "china",
        "innovation",
        "capital",
        "fund",
        "research",
        "market",
        "policy",
        "growth",
        "port",
        "crane",
    ]
    with (seeds / "corpus.jsonl").open("w") as out:
        for i in range(count):
            paragraphs = [
                " ".join(words[(i + j + k) % len(words)] for k in range(40)) + f" {variant}."
                for j in range(4)
            ]
            out.write(json.dumps({"id": f"doc-{i}", "text": "\n\n".join(paragraphs)}) + "\n")


def start_build(seeds: Path, root: Path) -> subprocess.Popen[bytes]:
    env = dict(os.environ, PYTHONPATH=str(ROOT), SAYSO_MODEL=FAKE_MODEL)
    return subprocess.Popen(
        [
            sys.executable,
            "-c",
            "from service.cli import main; main()",
            "build",
            "--seeds",
            str(seeds),
            "--index",
            str(root),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def kill_when(process: subprocess.Popen[bytes], ready: object, limit: float = 120.0) -> bool:
    """SIGKILL `process` once `ready()` is true; False if it ended first."""
    deadline = time.monotonic() + limit
    while process.poll() is None and time.monotonic() < deadline:
        if ready():  # type: ignore[operator]
            process.send_signal(signal.SIGKILL)
            process.wait()
            return True
        time.sleep(0.001)
    process.wait()
    return False


@pytest.mark.e2e
@pytest.mark.slow
def test_killed_builds_leave_the_previous_index_serving(tmp_path: Path) -> None:
    seeds, root = tmp_path / "seeds", tmp_path / "index"
    write_corpus(seeds, 120, "first")
    assert start_build(seeds, root).wait() == 0
    first = read_index(root).manifest.index_id
    write_corpus(seeds, 150, "second")

    started = time.monotonic()
    points = {
        "while starting": lambda: time.monotonic() - started > 1.0,
        "while writing a version": lambda: any(root.glob(".tmp-*")),
        "after the version is renamed in": lambda: len(list((root / "versions").iterdir())) > 1,
    }
    killed = []
    for name, ready in points.items():
        started = time.monotonic()
        process = start_build(seeds, root)
        if kill_when(process, ready):
            killed.append(name)
        index = read_index(root, model=FAKE_MODEL)  # whatever happened, a complete version
        served = Searcher(index, FakeEncoder()).search("innovation capital", k=3)
        assert served.hits, name
        if index.manifest.index_id != first:
            assert index.manifest.documents == 150, name  # the new version, complete
            break
    assert killed, "no build was killed; the corpus is too small for this machine"
    assert start_build(seeds, root).wait() == 0
    assert read_index(root).manifest.documents == 150
    assert not list(root.glob(".tmp-*"))
