"""Shared fixtures: a deterministic fake encoder and indexes built once per session."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest
from fastapi.testclient import TestClient

from index.build import update_index
from index.disk import BuildSettings, Index
from index.documents import Document, load_documents
from index.search import Searcher
from tests.fakes import HASH_MODEL, HashEncoder

ROOT = Path(__file__).resolve().parents[1]
SEEDS = ROOT / "seeds"
SEED_ID = "china-daily-new-quality-productive-forces"
FAKE_MODEL = HASH_MODEL
LEAN_PROFILE = {"SAYSO_MODE": "hybrid", "SAYSO_LATE_MODEL": "", "SAYSO_RERANKER": ""}
"""The suite runs mode hybrid without the ColBERT and cross-encoder models unless a test
asks for them, or for the default profile (mode cascade, both models): tests/e2e/
test_server_process.py serves `make serve` with the defaults. Set in the environment, so
Settings() and every server process a test starts inherit it."""
for _name, _value in LEAN_PROFILE.items():
    os.environ.setdefault(_name, _value)


def default_profile(env: dict[str, str]) -> dict[str, str]:
    """`env` without LEAN_PROFILE: the settings' own defaults."""
    return {name: value for name, value in env.items() if name not in LEAN_PROFILE}


class FakeEncoder(HashEncoder):
    """The hashing encoder, counting how many texts each call embeds."""

    def __init__(self) -> None:
        self.calls: list[int] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.calls.append(len(texts))
        return super().encode(texts)


@pytest.fixture(scope="session")
def seed_documents() -> list[Document]:
    return load_documents(SEEDS)


@pytest.fixture(scope="session")
def fake_settings() -> BuildSettings:
    return BuildSettings(model=FAKE_MODEL)


@pytest.fixture(scope="session")
def fake_index(
    tmp_path_factory: pytest.TempPathFactory,
    seed_documents: list[Document],
    fake_settings: BuildSettings,
) -> Index:
    root = tmp_path_factory.mktemp("fake-index")
    return update_index(root, seed_documents, fake_settings, FakeEncoder())


@pytest.fixture(scope="session")
def fake_searcher(fake_index: Index) -> Searcher:
    return Searcher(fake_index, FakeEncoder())


@pytest.fixture()
def fake_client(fake_searcher: Searcher) -> Iterator[TestClient]:
    """The HTTP app over `fake_searcher` (no second model, no cross-encoder), default settings."""
    from service.app import create_app
    from service.settings import Settings

    app = create_app(Settings(model=HASH_MODEL), searcher=fake_searcher)
    # A caller on this machine: writes without a key are accepted only from one.
    with TestClient(app, base_url="http://127.0.0.1", client=("127.0.0.1", 50000)) as client:
        yield client


@pytest.fixture()
def seeds_copy(tmp_path: Path) -> Path:
    """A private copy of seeds/ that a test may change."""
    target = tmp_path / "seeds"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture()
def env(tmp_path: Path, seeds_copy: Path) -> dict[str, str]:
    """Environment for CLI runs: a private seeds copy and index, and the hashing encoder
    (SAYSO_MODEL=fake-hash-encoder selects it in the encoder registry: no weights load)."""
    return {
        "SAYSO_SEEDS_DIR": str(seeds_copy),
        "SAYSO_INDEX_DIR": str(tmp_path / "index"),
        "SAYSO_MODEL": FAKE_MODEL,
    }


@pytest.fixture(scope="session")
def real_encoder() -> object:
    from index.models.encoder import SentenceTransformerEncoder

    return SentenceTransformerEncoder()


@pytest.fixture(scope="session")
def real_index(
    tmp_path_factory: pytest.TempPathFactory, seed_documents: list[Document], real_encoder: object
) -> Index:
    root = tmp_path_factory.mktemp("real-index")
    return update_index(root, seed_documents, BuildSettings(), real_encoder)  # type: ignore[arg-type]


@pytest.fixture(scope="session")
def real_searcher(real_index: Index, real_encoder: object) -> Searcher:
    return Searcher(real_index, real_encoder)  # type: ignore[arg-type]
