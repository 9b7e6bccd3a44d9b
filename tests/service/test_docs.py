"""The docs stay true: the quickstart is two commands, docs/configuration.md is current."""

from __future__ import annotations

from pathlib import Path

from index.search.modes import MODES
from service.configdoc import env_name, render
from service.settings import Settings


def _root() -> Path:
    """The repository root (the folder holding pyproject.toml), wherever this file sits."""
    for folder in Path(__file__).resolve().parents:
        if (folder / "pyproject.toml").is_file():
            return folder
    raise AssertionError("no pyproject.toml above the tests")


ROOT = _root()
CONFIGURATION = ROOT / "docs" / "configuration.md"


def test_every_setting_is_in_the_configuration_page() -> None:
    page = CONFIGURATION.read_text(encoding="utf-8")
    for name in Settings.model_fields:
        assert f"`{env_name(name)}`" in page, f"{env_name(name)} is not documented"


def test_the_configuration_page_is_current() -> None:
    page = CONFIGURATION.read_text(encoding="utf-8")
    assert page == render(), (
        "docs/configuration.md is stale: run `python -m service.configdoc > docs/configuration.md`"
    )


def test_quickstart_is_two_commands() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quickstart = readme.split("## Quickstart", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in quickstart.strip().splitlines()]
    assert commands == ["make serve", "make test"]
    assert "make test" in (ROOT / ".ci" / "run").read_text()


def test_the_readme_has_one_row_per_mode() -> None:
    """The modes table in README.md lists exactly the modes `SAYSO_MODE` accepts."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme.split("<!-- modes:start -->", 1)[1].split("<!-- modes:end -->", 1)[0]
    rows = [line for line in table.strip().splitlines()[2:] if line.startswith("|")]
    listed = [row.split("|")[1].strip().strip("`") for row in rows]
    assert sorted(listed) == sorted(MODES)


def test_docs_links_resolve() -> None:
    """Every relative link from README.md and docs/ names a file that exists."""
    pages = [ROOT / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in _relative_links(text):
            path = (page.parent / target.split("#", 1)[0]).resolve()
            assert path.exists(), f"{page.relative_to(ROOT)} links to missing {target}"


def _relative_links(text: str) -> list[str]:
    links = []
    for part in text.split("](")[1:]:
        target = part.split(")", 1)[0].strip()
        if target and not target.startswith(("http://", "https://", "#", "mailto:")):
            links.append(target)
    return links
