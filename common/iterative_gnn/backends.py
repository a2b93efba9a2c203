"""Each backend's models and forward call, imported only when chosen."""
from __future__ import annotations

import os
from typing import Any

from torch import Tensor, nn

BACKENDS = ("pyg", "dgl")


def check_backend(name: str) -> str:
    if name not in BACKENDS:
        raise ValueError(f"unknown backend {name!r}; valid: {', '.join(BACKENDS)}")
    return name


def import_backend(name: str):
    """Import and return the adapter package, with an install hint when it is missing."""
    check_backend(name)
    try:
        if name == "pyg":
            import pyg_iterative as mod
        else:
            os.environ.setdefault("DGLBACKEND", "pytorch")
            import dgl_iterative as mod
    except ImportError as exc:
        extra = "pyg" if name == "pyg" else "dgl"
        raise ImportError(
            f"backend {name!r} needs {'torch_geometric' if name == 'pyg' else 'dgl'}: "
            f"pip install 'iterative-gnn[{extra}]' ({exc})"
        ) from exc
    return mod


def build_pign(backend: str, in_channels: int, hidden: int, out_channels: int, num_iterations: int,
               **kwargs) -> nn.Module:
    return import_backend(backend).PIGN(in_channels, hidden, out_channels, num_iterations, **kwargs)


def forward(model: nn.Module, x: Tensor, graph: Any, return_info: bool = False):
    """Call a model in its backend's argument order: PyG ``(x, edge_index)``, DGL ``(graph, feat)``."""
    if isinstance(graph, Tensor):
        return model(x, graph, return_info=return_info)
    return model(graph, x, return_info=return_info)
