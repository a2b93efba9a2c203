"""Warnings attributed to the user's line: the first frame outside the library's packages and torch."""
from __future__ import annotations

import os
import sys
import warnings

import torch

#: the packages whose frames a warning skips: the core, both adapters, and torch (a layer's forward
#: is called through ``nn.Module.__call__``), and the GNN libraries (a layer in their ``Sequential``)
_PACKAGES = ("iterative_core", "pyg_iterative", "dgl_iterative", "dgl", "torch_geometric")


def _skipped_dirs() -> tuple[str, ...]:
    dirs = [os.path.dirname(torch.__file__)]
    for name in _PACKAGES:
        module = sys.modules.get(name)
        if module is not None and getattr(module, "__file__", None):
            dirs.append(os.path.dirname(module.__file__))
    return tuple(os.path.join(d, "") for d in dirs)


def _skipped(filename: str, dirs: tuple[str, ...]) -> bool:
    """A frame of the library, torch or a GNN library, or of the module PyG's ``Sequential`` generates (a
    file of its own, named after it, in the temporary folder)."""
    return filename.startswith(dirs) or os.path.basename(filename).startswith("torch_geometric.nn.sequential_")


def _filter_action(message: str, category: type[Warning], module: str, lineno: int) -> str:
    """The action of the first of ``warnings.filters`` that matches the warning, as ``warnings.warn``
    would find it (``warnings.defaultaction`` when none does)."""
    for action, text, cat, mod, line in warnings.filters:
        if ((text is None or text.match(message)) and issubclass(category, cat)
                and (mod is None or mod.match(module)) and (line == 0 or lineno == line)):
            return action
    return warnings.defaultaction


def warn_user(message: str, category: type[Warning] = UserWarning) -> bool:
    """``warnings.warn(message, category)`` with the stack level of the first caller outside the
    library and torch, whatever the depth of the calls in between (a layer built directly, by a
    model, reconfigured by an attribute, or called through ``nn.Module``). Returns whether the
    warning was shown: False where a filter ignores it, so that a warning given once (per config,
    per operator) is given again once the filter is lifted; a filter that turns it into an error
    raises, as ``warnings.warn`` does, at every call."""
    skipped = _skipped_dirs()
    frame, level = sys._getframe(1), 1
    while frame is not None and _skipped(frame.f_code.co_filename, skipped):
        frame, level = frame.f_back, level + 1
    module = frame.f_globals.get("__name__", "<string>") if frame is not None else "sys"
    lineno = frame.f_lineno if frame is not None else 1  # (warnings.warn's values past the stack)
    warnings.warn(message, category, stacklevel=level + 1)
    return _filter_action(message, category, module, lineno) != "ignore"
