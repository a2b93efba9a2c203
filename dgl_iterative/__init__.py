"""dgl_iterative: iterative (fixed-point) graph convolutions for DGL.

>>> from dgl_iterative import PIGNConv, IterativeConv
>>> conv = PIGNConv(64, num_iterations=8)                             # the GCN operator
>>> conv = PIGNConv(64, conv="gat", heads=4)                          # another registered operator
>>> conv = IterativeConv(dgl.nn.SAGEConv(64, 64, "mean"), num_iterations=8)   # any square DGL layer
>>> out = conv(graph, feat)
"""
import importlib.metadata as _metadata
import re as _re
from functools import partial
from typing import Optional as _Optional

import torch as _torch

#: the DGL release this package supports, and the torch releases that DGL release loads with (its
#: compiled libraries exist per torch release, 2.0.0 to 2.2.1) from the oldest the library runs on
#: (``iterative_core.MIN_TORCH``); pip install 'iterative-gnn[dgl]' installs such a set
SUPPORTED_DGL = (2, 1)
SUPPORTED_TORCH = ((2, 2, 0), (2, 2, 1))


def _release(version: str) -> tuple[int, ...]:
    """``"2.2.1+cu121"`` -> ``(2, 2, 1)`` (missing parts are 0; () when it does not start with digits)."""
    m = _re.match(r"(\d+)\.(\d+)(?:\.(\d+))?", version)
    return tuple(int(p or 0) for p in m.groups()) if m else ()


def _check_versions(torch_version: str, dgl_version: _Optional[str]) -> None:
    """Raise ImportError naming the installed and the supported versions when this torch and DGL
    are not a supported pair. ``dgl_version=None`` (no installed metadata) passes: importing DGL
    then says what is missing."""
    if dgl_version is None:
        return
    low, high = SUPPORTED_TORCH
    if _release(dgl_version)[:2] == SUPPORTED_DGL and low <= _release(torch_version) <= high:
        return
    dgl_ok = "{}.{}.x".format(*SUPPORTED_DGL)
    raise ImportError(
        f"dgl_iterative supports dgl {dgl_ok} with torch {'.'.join(map(str, low))} to {'.'.join(map(str, high))} "
        f"(DGL's compiled libraries are built for those torch releases); installed here: torch {torch_version}, "
        f"dgl {dgl_version}. Install a supported set in a Python 3.10-3.12 environment with: "
        f"pip install 'iterative-gnn[dgl]'"
    )


def _installed_dgl() -> _Optional[str]:
    try:
        return _metadata.version("dgl")
    except _metadata.PackageNotFoundError:
        return None


_check_versions(_torch.__version__, _installed_dgl())

from iterative_core import ConvergenceError, FixedPointInfo, SolveConfig, fixed_point
from iterative_core import available_operators as _available_operators
from iterative_core.operators import convert_state_dict, operator_registrar

from .adapter import DGLAdapter
from .gcn_operator import GCNOperator
from .iterative_conv import IterativeConv
from .models import PIGN, GraphPIGN
from .pign_conv import PIGNConv

register_operator = operator_registrar("dgl")
#: the names ``PIGNConv(conv=...)`` accepts
available_operators = partial(_available_operators, "dgl")

__all__ = [
    "PIGNConv", "IterativeConv", "PIGN", "GraphPIGN", "GCNOperator", "register_operator", "available_operators",
    "convert_state_dict", "FixedPointInfo", "ConvergenceError", "SolveConfig", "fixed_point", "DGLAdapter",
]
