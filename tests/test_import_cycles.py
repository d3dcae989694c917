"""No import cycles inside the `headwater` package.

import-linter's layer and independence contracts (pyproject.toml) keep packages in order, but not
modules within one package. This builds the module import graph of `headwater/` from the source with
`ast`: every import counts, also those inside functions and under `if TYPE_CHECKING:`, since a
function-level import is a cycle put off to run time. An import names the deepest module it reaches
(`from headwater.services.s3 import service` is `headwater.services.s3.service`; `from a.b import
name` is `a.b`). A cycle is a strongly connected component of two or more modules.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator, Mapping, Set
from pathlib import Path

import headwater

ROOT = Path(headwater.__file__).parent


def module_files(root: Path = ROOT) -> dict[str, Path]:
    """Module name -> source file, packages by their `__init__.py`."""
    modules = {}
    for path in sorted(root.rglob("*.py")):
        parts = (root.name, *path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _imported(module: str, is_package: bool, tree: ast.AST, known: Set[str]) -> Iterator[str]:
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                source = ".".join([*base, node.module] if node.module else base)
            else:
                source = node.module or ""
            names = [f"{source}.{alias.name}" for alias in node.names]
            names.append(source)
        else:
            continue
        for name in names:
            # the deepest module of the package the name reaches (a.b.c.func -> a.b.c)
            while name and name not in known:
                name = name.rpartition(".")[0]
            if name and name != module:  # a package's `from . import sub` names itself too
                yield name


def import_graph(root: Path = ROOT) -> dict[str, set[str]]:
    """Module -> the modules of the package it imports."""
    files = module_files(root)
    known = set(files)
    graph: dict[str, set[str]] = {}
    for module, path in files.items():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        graph[module] = set(_imported(module, path.name == "__init__.py", tree, known))
    return graph


def cycles(graph: Mapping[str, Set[str]]) -> list[frozenset[str]]:
    """The strongly connected components with a cycle in them (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[frozenset[str]] = []
    for start in sorted(graph):
        if start in index:
            continue
        work = [(start, iter(sorted(graph[start])))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, successors = work[-1]
            for successor in successors:
                if successor not in index:
                    index[successor] = low[successor] = len(index)
                    stack.append(successor)
                    on_stack.add(successor)
                    work.append((successor, iter(sorted(graph[successor]))))
                    break
                if successor in on_stack:
                    low[node] = min(low[node], index[successor])
            else:
                work.pop()
                if work:
                    parent = work[-1][0]
                    low[parent] = min(low[parent], low[node])
                if low[node] == index[node]:
                    component = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        component.add(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(frozenset(component))
    return sorted(found, key=sorted)


def shortest_cycle(graph: Mapping[str, Set[str]], component: Set[str]) -> list[str]:
    """One shortest cycle through the component's first module, for the failure message."""
    start = min(component)
    paths = {start: [start]}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for successor in sorted(graph[node] & component):
                if successor == start:
                    return [*paths[node], start]
                if successor not in paths:
                    paths[successor] = [*paths[node], successor]
                    following.append(successor)
        frontier = following
    raise AssertionError(f"no cycle through {start}")


def describe(graph: Mapping[str, Set[str]], components: list[frozenset[str]]) -> str:
    lines = []
    for component in components:
        lines.append(f"{len(component)} modules: " + ", ".join(sorted(component)))
        lines.append("    e.g. " + " -> ".join(shortest_cycle(graph, component)))
    return "\n".join(lines)


def test_no_import_cycles() -> None:
    graph = import_graph()
    found = list(cycles(graph))
    assert not found, "import cycles in headwater/:\n" + describe(graph, found)


def test_the_graph_sees_every_kind_of_import(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "sub").mkdir(parents=True)
    (package / "__init__.py").write_text("")
    (package / "sub" / "__init__.py").write_text("from . import b\n")
    (package / "a.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub.b import B\n"
    )
    (package / "sub" / "b.py").write_text("def f():\n    from ..a import thing\n")
    (package / "c.py").write_text("import pkg.sub.b\nfrom pkg import a, sub\nimport os\n")
    graph = import_graph(package)
    assert graph == {
        "pkg": set(),
        "pkg.a": {"pkg.sub.b"},
        "pkg.sub": {"pkg.sub.b"},
        "pkg.sub.b": {"pkg.a"},
        "pkg.c": {"pkg", "pkg.a", "pkg.sub", "pkg.sub.b"},
    }
    assert cycles(graph) == [frozenset({"pkg.a", "pkg.sub.b"})]
    assert shortest_cycle(graph, {"pkg.a", "pkg.sub.b"}) == ["pkg.a", "pkg.sub.b", "pkg.a"]
