"""The layering of the packages, read from their source with ``ast`` (nothing is imported).

* ``iterative_gnn`` (the application) has no import cycle among its modules: every ``import``
  statement counts, also one inside a function.
* The library (``iterative_core``, ``pyg_iterative``, ``dgl_iterative``) never imports the application.

Run as a script (``python tests/iterative_gnn/test_imports.py``) it prints the application's import
graph and its cycles.
"""
from __future__ import annotations

import ast
import importlib.util
from pathlib import Path

APP = "iterative_gnn"
LIBRARY = ("iterative_core", "pyg_iterative", "dgl_iterative")


def package_dir(name: str) -> Path:
    """The folder of a top-level package, found without importing it (DGL need not be installed)."""
    spec = importlib.util.find_spec(name)
    assert spec is not None and spec.submodule_search_locations, f"package {name} not found"
    return Path(next(iter(spec.submodule_search_locations)))


def modules(package: str) -> dict[str, Path]:
    """Every module of ``package`` by dotted name (``pkg`` for its ``__init__.py``)."""
    root = package_dir(package)
    out = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join((package, *parts))] = path
    return out


def imported_names(module: str, path: Path) -> set[str]:
    """The absolute dotted names ``module`` imports anywhere in its source, relative imports
    resolved: ``from pkg.mod import name`` gives ``pkg.mod.name`` (a module or a name in one)."""
    is_package = path.name == "__init__.py"
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = module.split(".")
                base = base[:len(base) - node.level + (1 if is_package else 0)]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            names.update(f"{source}.{alias.name}" for alias in node.names)
    return names


def import_graph(package: str) -> dict[str, set[str]]:
    """Module -> the modules of the same package it imports (each imported name resolved to the
    innermost module that holds it)."""
    mods = modules(package)
    graph = {}
    for name, path in mods.items():
        targets = set()
        for imported in imported_names(name, path):
            while imported and imported not in mods:
                imported = imported.rpartition(".")[0]
            if imported and imported != name:
                targets.add(imported)
        graph[name] = targets
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan), each sorted, plus
    every module that imports itself."""
    index, low, stack, on_stack, out = {}, {}, [], set(), []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1 or v in graph.get(v, ()):
                out.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_the_application_has_no_import_cycle():
    graph = import_graph(APP)
    assert len(graph) > 5 and f"{APP}.cli" in graph  # the package was found and read
    assert cycles(graph) == []


def test_the_cycle_finder_finds_cycles():
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"a"}, "b": set()}) == [["a"]]
    assert cycles({"a": {"b"}, "b": set()}) == []


def test_the_library_never_imports_the_application():
    offenders = []
    for package in LIBRARY:
        for name, path in modules(package).items():
            bad = sorted(n for n in imported_names(name, path) if n == APP or n.startswith(APP + "."))
            offenders += [f"{name} imports {n}" for n in bad]
    assert offenders == []


if __name__ == "__main__":
    graph = import_graph(APP)
    for mod in sorted(graph):
        print(f"{mod} -> {', '.join(sorted(graph[mod])) or '(none)'}")
    found = cycles(graph)
    print("cycles:", found or "none")
