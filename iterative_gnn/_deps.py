"""The command-line tool's optional dependencies, checked at start-up.

The library (``iterative_core``, ``pyg_iterative``, ``dgl_iterative``) needs torch and its backend only;
the ``iterative-gnn`` command also needs the modules below. Each backend's extra installs them
(``pip install 'iterative-gnn[pyg]'`` or ``'iterative-gnn[dgl]'``), so a missing one is named together
with the extra, before any work. Nothing is imported here: the modules are only looked up.
"""
from __future__ import annotations

import importlib.util
from typing import Callable, Optional, Sequence

#: what the command imports beyond torch and the backend: module -> why
CLI_MODULES = {
    "numpy": "seeding and tables",
    "scipy": "the Planetoid raw files hold SciPy sparse matrices",
    "tqdm": "progress bars",
    "matplotlib": "the reproduce plots",
    "networkx": "reading graphs from files",
}
#: the extra that installs a backend together with everything in CLI_MODULES
EXTRAS = {"pyg": "pyg", "dgl": "dgl"}


def _installed(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a broken parent package or a module without a spec
        return False


def missing_modules(installed: Optional[Callable[[str], bool]] = None) -> list[str]:
    """The modules of :data:`CLI_MODULES` that cannot be imported here, in that order (``installed``
    tells whether a module can be imported; default: it has an import spec)."""
    installed = installed or _installed
    return [m for m in CLI_MODULES if not installed(m)]


def missing_message(missing: Sequence[str], backend: Optional[str] = "pyg") -> str:
    """What is missing, why, and the command that installs it for ``backend``."""
    extra = EXTRAS.get(backend or "pyg", "pyg")
    names = ", ".join(f"{m} ({CLI_MODULES.get(m, 'needed')})" for m in missing)
    return (f"iterative-gnn: missing Python module{'s' if len(missing) > 1 else ''}: {names}. "
            f"Install the command's dependencies with: pip install 'iterative-gnn[{extra}]'")


def check_cli_dependencies(backend: Optional[str] = "pyg") -> None:
    """Exit with :func:`missing_message` (status 1) when a module the command needs is missing."""
    missing = missing_modules()
    if missing:
        raise SystemExit(missing_message(missing, backend))
