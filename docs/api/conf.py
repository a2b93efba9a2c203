"""Sphinx configuration of the API reference: one page per package, from each package's ``__all__``.

Built by scripts/build_docs.sh (warnings are errors) in .venv, where DGL is not installed: it is mocked,
so ``dgl_iterative`` is documented from its own source.
"""
import ast
import importlib
import inspect
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
# the packages as they are in this checkout, whether or not an install points elsewhere
sys.path[:0] = [str(ROOT), str(ROOT / "common")]
os.environ.setdefault("DGLBACKEND", "pytorch")

import iterative_core  # noqa: E402

project = "iterative-gnn"
author = "the iterative-gnn authors"
copyright = "2026, the iterative-gnn authors"
release = version = iterative_core.__version__

extensions = ["sphinx.ext.autodoc", "sphinx.ext.napoleon", "sphinx.ext.mathjax"]
exclude_patterns = ["_build"]

# DGL is not in the docs' environment (and loads only with torch <= 2.2.1)
autodoc_mock_imports = ["dgl"]
# a module's members in the order of its __all__; public names only, documented or not
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "undoc-members": True}
# signatures keep the parameters' annotations; the descriptions come from the docstrings' Args
autodoc_typehints = "signature"
autoclass_content = "class"

# Google style (Args, Returns, Raises; the PyG-style "Shapes" section too), and NumPy style where a
# docstring follows DGL's convention (Parameters)
napoleon_google_docstring = True
napoleon_numpy_docstring = True  # DGL-style "Parameters" sections
napoleon_custom_sections = ["Shapes"]
napoleon_use_rtype = False
# "Attributes:" as fields of the class, not as separate entries that would clash with the documented properties
napoleon_use_ivar = True
# an __init__ with a docstring of its own is listed under its class, its "Args" rendered: Google style
# allows the arguments there instead of in the class docstring, and there help(Class.__init__) shows them
napoleon_include_init_with_doc = True

html_theme = "alabaster"
html_title = f"iterative-gnn {release}"


# ------------------------------------------------------------------------------------- the package pages
# A page holds ``.. package-api:: NAME`` on a line of its own. It becomes the package's public API, its
# ``__all__`` in order: the automodule of its classes and functions, its constants (with the ``#:``
# comment at their definition), and its public submodules as sections. The adapters' names that are
# iterative_core's (re-exported) are documented once, on that page, and linked: documented twice, a
# class would be two objects of one name.
CORE = "iterative_core"
SOURCES = {CORE: ROOT / "common" / CORE, "pyg_iterative": ROOT / "pyg_iterative", "dgl_iterative": ROOT / "dgl_iterative"}


def public_names(package: str) -> list[str]:
    """The package's ``__all__``, read from its source."""
    tree = ast.parse((SOURCES[package] / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    raise ValueError(f"{package} has no __all__")


def core_reexports(package: str) -> list[str]:
    """The names of the package's ``__all__`` that it imports from iterative_core's own ``__all__``."""
    if package == CORE:
        return []
    tree = ast.parse((SOURCES[package] / "__init__.py").read_text())
    imported = {a.asname or a.name for n in tree.body if isinstance(n, ast.ImportFrom) and n.module == CORE
                for a in n.names}
    core = set(public_names(CORE))
    return [name for name in public_names(package) if name in imported and name in core]


def load(package: str):
    from sphinx.ext.autodoc.mock import mock

    with mock(autodoc_mock_imports):
        return importlib.import_module(package)


def comment_doc(package: str, name: str) -> list[str]:
    """The ``#:`` comment above ``name``'s assignment in one of the package's modules ([] if none)."""
    from sphinx.pycode import ModuleAnalyzer

    for path in sorted(SOURCES[package].glob("*.py")):
        modname = package if path.stem == "__init__" else f"{package}.{path.stem}"
        docs = ModuleAnalyzer.for_file(str(path), modname).find_attr_docs()
        if ("", name) in docs:
            return list(docs[("", name)])
    return []


def package_api(package: str) -> str:
    module = load(package)
    names = public_names(package)
    again = core_reexports(package)
    submodules = [n for n in names if inspect.ismodule(getattr(module, n))]
    constants = [n for n in names if n not in again and not inspect.ismodule(getattr(module, n))
                 and not callable(getattr(module, n))]
    lines = [f".. automodule:: {package}"]
    if again or submodules or constants:
        lines.append(f"   :exclude-members: {', '.join(again + submodules + constants)}")
    if again:
        links = ", ".join(f":py:obj:`~{CORE}.{name}`" for name in again)
        lines += ["", f"Also exported by ``{package}``, as documented in :doc:`{CORE}`: {links}."]
    for name in constants:
        lines += ["", f".. py:data:: {name}", f"   :module: {package}", f"   :value: {getattr(module, name)!r}", ""]
        lines += [f"   {line}" if line.strip() else "" for line in comment_doc(package, name)]
    for name in submodules:
        title = f"{package}.{name}"
        lines += ["", title, "-" * len(title), "", f".. automodule:: {title}"]
    return "\n".join(lines) + "\n"


def _expand(app, docname, source):
    out = []
    for line in source[0].splitlines(keepends=True):
        if line.startswith(".. package-api:: "):
            out.append(package_api(line.split("::", 1)[1].strip()))
        else:
            out.append(line)
    source[0] = "".join(out)


def setup(app):
    app.connect("source-read", _expand)
