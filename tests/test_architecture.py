"""The import rules of docs/architecture.md: who may import whom, no cycles, no hidden imports."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT

PACKAGES = ("index", "service", "evals")
LAZY_ALLOWED = ("service/cli/", "service/mcp_http.py")
"""Where a function may import the project's own modules: the CLI, so `sayso --help` and
light commands do not load numpy, FAISS or spaCy; /mcp, so a server is ready without the
MCP SDK (most of a second of start-up) until a client calls it."""

MAY_IMPORT = {
    "index.models": ("index.models",),
    "index.retrieval": ("index.retrieval", "index.models"),
    "index.quotes": ("index.quotes", "index.documents", "index.passages", "index.tokenizable"),
}
"""Rooms with a short list of what they may import from the project (prefixes)."""


def modules() -> Iterator[tuple[str, Path]]:
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            yield name, path


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(path: Path) -> tuple[set[str], set[str]]:
    """(module-level imports, imports inside functions), TYPE_CHECKING blocks left out."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    top: set[str] = set()
    inner: set[str] = set()

    def visit(node: ast.AST, nested: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            if isinstance(child, ast.Import | ast.ImportFrom):
                names = (
                    [a.name for a in child.names]
                    if isinstance(child, ast.Import)
                    else [child.module or ""]
                )
                (inner if nested else top).update(names)
            is_function = isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef)
            visit(child, nested or is_function)

    visit(tree, False)
    return top, inner


ALL = dict(modules())
IMPORTS = {name: imports(path) for name, path in ALL.items()}


def _project(names: set[str]) -> set[str]:
    return {n for n in names if n.split(".")[0] in PACKAGES}


@pytest.mark.parametrize("package", ["index", "evals"])
def test_the_library_and_the_evals_never_import_the_edge(package: str) -> None:
    banned = ("service", "fastapi", "starlette", "uvicorn")
    for name, (top, inner) in IMPORTS.items():
        if name.split(".")[0] == package:
            bad = {n for n in top | inner if n.split(".")[0] in banned}
            if package == "index":
                bad |= {n for n in top | inner if n.split(".")[0] == "evals"}
            assert not bad, f"{name} imports {sorted(bad)}"


@pytest.mark.parametrize("room", sorted(MAY_IMPORT))
def test_rooms_import_only_what_they_may(room: str) -> None:
    allowed = MAY_IMPORT[room]
    for name, (top, inner) in IMPORTS.items():
        if name == room or name.startswith(room + "."):
            bad = {n for n in _project(top | inner) if not n.startswith(allowed)}
            assert not bad, f"{name} may import only {allowed}, imports {sorted(bad)}"


def test_project_modules_are_imported_at_the_top() -> None:
    for name, (_, inner) in IMPORTS.items():
        path = ALL[name].relative_to(ROOT).as_posix()
        if not path.startswith(LAZY_ALLOWED):
            assert not _project(inner), f"{path} imports {sorted(_project(inner))} in a function"


def _edges(name: str, imported: set[str]) -> set[str]:
    """What importing `imported` runs first: each module and the package faces above it
    (a module's own packages are already running when it is imported, so they are left out)."""
    edges = set()
    for target in imported:
        while target:
            if target in ALL and not name.startswith(target + ".") and target != name:
                edges.add(target)
            target = target.rpartition(".")[0]
    return edges


def test_no_import_cycles() -> None:
    graph = {name: _edges(name, _project(top)) for name, (top, _) in IMPORTS.items()}
    state: dict[str, int] = {}

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycle = [*path[path.index(target) :], target]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if target not in state:
                walk(target, [*path, target])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            walk(name, [name])
