"""Each backend's models and forward call, imported only when chosen."""
from __future__ import annotations

import os
from typing import Any, Optional

from torch import Tensor, nn

from iterative_core.checks import check_int, check_real

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


def backend_problem(name: str) -> Optional[str]:
    """Why backend ``name`` cannot be used here (what to install), or None when it imports."""
    try:
        import_backend(name)
    except ImportError as exc:
        return str(exc)
    except Exception as exc:  # noqa: BLE001 - installed but broken (e.g. built for another torch)
        return f"backend {name!r} is installed but does not import ({type(exc).__name__}: {exc})"
    return None


def build_pign(backend: str, in_channels: int, hidden: int, out_channels: int, num_iterations: int,
               **kwargs) -> nn.Module:
    return import_backend(backend).PIGN(in_channels, hidden, out_channels, num_iterations, **kwargs)


MODELS = ("pign", "gcn", "appnp", "gcn2")


def build_baseline(backend: str, name: str, in_channels: int, hidden: int, out_channels: int, depth: int,
                   dropout: float = 0.5) -> nn.Module:
    """A baseline from the ecosystem's own layers: ``gcn`` (``depth`` stacked layers), ``appnp``
    (an MLP, then ``depth`` propagation steps) or ``gcn2`` (``depth`` GCNII layers)."""
    import_backend(backend)  # the install hint when the backend is missing
    if backend == "pyg":
        from . import _pyg_models as m
    else:
        from . import _dgl_models as m
    classes = {"gcn": m.StackedGCN, "appnp": m.APPNPNet, "gcn2": m.GCN2Net}
    if name not in classes:
        raise ValueError(f"unknown baseline {name!r}; valid: {', '.join(classes)}")
    where = f"baseline {name!r}"  # (checked here: the layers failed inside torch, or at the first epoch)
    for width, value in (("in_channels", in_channels), ("hidden", hidden), ("out_channels", out_channels),
                         ("depth", depth)):
        check_int(width, value, minimum=1, where=where)
    dropout = check_real("dropout", dropout, low=0.0, high=1.0, high_open=True, where=where)
    return classes[name](in_channels, hidden, out_channels, depth, dropout=dropout)


def forward(model: nn.Module, x: Tensor, graph: Any, return_info: bool = False):
    """Call a model in its backend's argument order: PyG ``(x, edge_index)``, DGL ``(graph, feat)``."""
    if isinstance(graph, Tensor):
        return model(x, graph, return_info=return_info)
    return model(graph, x, return_info=return_info)
