"""Input checks shared by the adapters. Every message names the problem and the numbers."""
from __future__ import annotations

import re

from typing import Any, Callable, Optional

import torch
from torch import Tensor, nn

from ._compile import is_compiling
from .checks import check_int, check_one_graph, got

SUPPORTED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

__all__ = [
    "check_features", "check_edges", "check_edge_weight", "check_edge_attr", "check_batch", "check_batch_edges", "check_z_init",
    "check_same_device", "compute_dtype", "all_finite", "stored_values", "SUPPORTED_DTYPES", "NonFiniteFeaturesError",
]


def all_finite(t: Tensor) -> Tensor:
    """0-dim bool: whether every entry of the (non-empty) tensor ``t`` is finite. One reduction pass
    and no tensor of ``t``'s size (``torch.isfinite(t).all()`` writes a bool tensor first): the
    smallest and largest entries are finite exactly when all are, as NaN propagates through both."""
    lo, hi = torch.aminmax(t.detach())
    return torch.isfinite(lo) & torch.isfinite(hi)


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype an iteration runs in: float16 and bfloat16 inputs accumulate in float32 (sparse
    products have no half-precision kernels on every device, and a long iteration loses too much in
    half precision); the output is cast back to the input's dtype."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


class NonFiniteFeaturesError(ValueError):
    """Node features that hold NaN/Inf, refused by a layer's input check (a ``ValueError``, so that its
    callers can tell it from the other refusals: in a model, NaN/Inf in the features a layer is given
    arose in the layers before it)."""


def check_features(x: Tensor, channels: Optional[int], where: str, *, validate: bool = False, name: str = "channels",
                   owner: str = "the layer") -> None:
    """Type, shape, dtype and width of the node features (``owner`` was built with ``name=channels``;
    None: any width);
    with ``validate`` also that every entry is finite (one synchronisation)."""
    if not isinstance(x, Tensor):
        hint = ""
        if isinstance(x, torch.fx.Proxy):  # torch.fx tracing (PyG's to_hetero traces the model it is given)
            hint = (" (torch.fx tracing: this forward checks its input and cannot be traced symbolically; "
                    "trace a model that calls the iterative layers, which tracing keeps as leaf modules)")
        raise TypeError(f"{where}: node features must be a torch.Tensor, got {type(x).__name__}{hint}")
    if x.dim() != 2:
        raise ValueError(f"{where}: node features must be 2-D [num_nodes, channels], got shape {tuple(x.shape)}")
    if x.dtype not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{where}: node features have dtype {x.dtype}; supported: float16, bfloat16, float32, float64"
        )
    if channels is not None and x.shape[1] != channels:
        raise ValueError(
            f"{where}: node features have {x.shape[1]} channels but {owner} was built for {name}={channels}"
        )
    if validate and x.device.type == "meta":
        raise ValueError(f"{where}: validate=True reads the inputs' values (finite features, indices in range), "
                         "which tensors on the meta device do not hold: pass validate=False (and "
                         "on_divergence='ignore') to trace shapes there")
    if validate and x.numel() and not bool(all_finite(stored_values(x))):
        raise nonfinite_features(x, where, "Check the data and the layers before this one (validate=False skips "
                                           "this check)")


def stored_values(x: Tensor) -> Tensor:
    """The entries a tensor holds: ``x`` itself when dense, the values of a sparse COO (its repeated entries
    summed, as the features they make), CSR or CSC tensor (bag-of-words features, as PyG's and DGL's layers
    take them; their other entries are zeros)."""
    if x.layout == torch.strided:
        return x
    if x.layout == torch.sparse_coo:
        return (x if x.is_coalesced() else x.detach().coalesce())._values()
    if x.layout in (torch.sparse_csr, torch.sparse_csc):
        return x.values()
    raise TypeError(f"node features of layout {x.layout} are not supported; pass dense or sparse COO, CSR or CSC "
                    "features")


def nonfinite_features(x: Tensor, where: str, advice: str) -> Optional[NonFiniteFeaturesError]:
    """The error for features ``x`` (dense or sparse) that hold NaN/Inf, counting them and naming the first row
    (None where every entry is finite)."""
    if x.layout == torch.strided:
        bad = ~torch.isfinite(x.detach())
        if not bool(bad.any()):
            return None
        count, row = int(bad.sum()), int(bad.any(1).nonzero()[0, 0])
    else:  # (read from the stored entries: a bag-of-words matrix made dense may not fit in memory)
        coo = x.detach().to_sparse_coo().coalesce()
        bad = ~torch.isfinite(coo._values())
        if not bool(bad.any()):
            return None
        count, row = int(bad.sum()), int(coo._indices()[0][bad].min())
    return NonFiniteFeaturesError(
        f"{where}: the node features hold {count} NaN/Inf entr{'y' if count == 1 else 'ies'} (the first in "
        f"row {row}); the iteration cannot recover from them. {advice}")


#: torch >= 2.4 asks ``torch.is_autocast_enabled`` about one device; earlier versions have one function
#: per device (decided here, since torch.compile cannot trace a call that fails)
_AUTOCAST_BY_DEVICE = tuple(int(v) for v in re.match(r"(\d+)\.(\d+)", torch.__version__).groups()) >= (2, 4)


def autocast_enabled(device_type: str) -> bool:
    """Whether autocast is on for ``device_type`` (never on "meta", which has none; asked without a
    call to torch, which would leave an empty graph under torch.compile)."""
    if device_type == "meta":
        return False
    if _AUTOCAST_BY_DEVICE:
        return torch.is_autocast_enabled(device_type)
    if device_type == "cpu":
        return torch.is_autocast_cpu_enabled()
    return device_type == "cuda" and torch.is_autocast_enabled()


def without_autocast(module, x: Tensor, run: Callable[[torch.dtype], Any],
                     output: Callable[[Any], Tensor] = lambda result: result) -> Any:
    """``run(dtype)`` with ``torch.autocast`` off, in ``module``'s parameters' dtype (the features' where it
    has none): how a layer, or the GCN operator called alone, runs under autocast (a fixed point iterated
    in half precision stalls at its rounding error, and the CPU's sparse products have no bfloat16
    kernel). ``output`` picks the output tensor from what ``run`` returns; a hook on it refuses a
    backward pass inside the autocast block (:func:`_outside_autocast`)."""
    param = next(module.parameters(), None)
    dtype = x.dtype if param is None else param.dtype
    with torch.autocast(x.device.type, enabled=False):
        result = run(dtype)
    out = output(result)
    if out.requires_grad and not is_compiling():
        out.register_hook(_outside_autocast(type(module).__name__, x.device.type, dtype))
    return result


def _outside_autocast(where: str, device: str, dtype: torch.dtype) -> Callable[[Tensor], Tensor]:
    """A hook on the output of a forward pass run under ``torch.autocast`` (:func:`without_autocast`): its
    backward pass must run outside the autocast block. Inside it, autocast reaches the iteration's
    backward steps (the forward ran with autocast off, in ``dtype``): the CPU's sparse products have no
    bfloat16 kernel, and an Anderson or a dense step's backward in half precision gave gradients far
    off, without a word."""
    def hook(grad: Tensor) -> Tensor:
        if autocast_enabled(device):
            raise RuntimeError(f"{where}: backward() was called inside torch.autocast, which would cast the "
                               f"iteration's backward steps to half precision (its forward pass ran with autocast "
                               f"off, in {dtype}). Call backward() after the autocast block, as PyTorch's AMP "
                               "recipe does: the forward pass may stay inside it")
        return grad

    return hook


def check_parameter_dtype(x: Tensor, dtype: torch.dtype, where: str, owner: str) -> None:
    """Features that meet a linear map must have its parameters' dtype (autocast aside, which casts
    them itself); else the error names both dtypes and the two conversions."""
    if x.dtype != dtype and not autocast_enabled(x.device.type):
        raise TypeError(f"{where}: node features have dtype {x.dtype} but {owner}'s parameters have dtype "
                        f"{dtype}; convert one to the other: {owner.split()[-1]}.to({x.dtype}) or "
                        f"features.to({dtype})")


def check_linear_dtype(x: Tensor, linear: nn.Module, where: str, owner: str) -> None:
    """:func:`check_parameter_dtype` against a linear map's weight; a map whose weight is a method
    (torch.ao's dynamically quantized ``Linear``) takes float32 features."""
    weight = getattr(linear, "weight", None)
    check_parameter_dtype(x, weight.dtype if isinstance(weight, Tensor) else torch.float32, where, owner)


def check_parameters_dtype(module: nn.Module, x: Tensor, where: str, owner: str) -> None:
    """:func:`check_parameter_dtype` against ``module``'s first floating-point parameter (none: nothing
    to meet)."""
    for param in module.parameters():  # (a loop, not next(): torch.compile traces it in every version)
        if param.is_floating_point():
            check_parameter_dtype(x, param.dtype, where, owner)
            break


def check_edges(src: Tensor, dst: Tensor, num_nodes: int, where: str, *, validate: bool = True,
                name: str = "the edge index") -> None:
    """Dtype always; the index range (one synchronisation) when ``validate``. On the CPU the range
    is checked whatever ``validate`` says: it costs no synchronisation there, and an index out of range
    would crash the process inside the sparse kernels. On other devices ``validate=False`` leaves
    invalid indices undefined behaviour. Traced by ``torch.compile`` with ``validate=False`` the
    range is not read (the compiled graph uses no sparse kernel: its gathers and ``index_add`` refuse
    an index at or beyond ``num_nodes`` with torch's own error; a negative one is read from the end)."""
    for t in (src, dst):
        if t.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"{where}: edge indices must be int64 (or int32), got {t.dtype}")
    if (validate or (src.device.type == "cpu" and not is_compiling())) and src.numel():
        hi = int(torch.maximum(src.max(), dst.max()))
        lo = int(torch.minimum(src.min(), dst.min()))
        if hi >= num_nodes:
            raise ValueError(
                f"{where}: {name} refers to node {hi} but the graph has only {num_nodes} nodes "
                f"(valid indices 0..{num_nodes - 1})"
            )
        if lo < 0:
            raise ValueError(f"{where}: {name} contains the negative node index {lo} "
                             f"(valid indices 0..{num_nodes - 1})")


def one_weight_per_edge(w: Tensor, num_edges: Optional[int], where: str, *, takes_batch: bool = True,
                        shown: str = "edge_weight") -> Tensor:
    """``w`` (``[E]``, or ``[E, 1]`` viewed as ``[E]``) refused when it is not floating-point, with what it
    may be: integer weights, or a batch vector in its place (``model(x, edge_index, batch)``, PyG's models'
    order), pointed to ``batch=`` where the caller takes one (``takes_batch``); and, 1-D, when it has not
    ``num_edges`` entries (when known). Other shapes are returned for the caller to refuse.
    ``shown``: the weights as the caller gave them (an edge feature's name in DGL)."""
    if w.dim() == 2 and w.shape[1] == 1:
        w = w.view(-1)
    if not w.is_floating_point():
        by_name = "edge_weight is the third argument; pass a batch vector by name, batch=batch"
        index_like = takes_batch and w.dtype in (torch.int64, torch.int32) and w.dim() == 1
        hint = ""
        if w.dim() == 1 and (num_edges is None or w.shape[0] == num_edges):
            # one entry per edge: integer weights, or the batch vector of a graph with as many nodes as edges
            hint = (f" (weights: convert them, {shown}.float(); a batch vector: {by_name})" if index_like
                    else f" (convert it: {shown}.float())")
        elif index_like:
            hint = f" ({by_name})"
        raise TypeError(f"{where}: edge_weight must be a floating-point tensor with one entry per edge, got "
                        f"{w.dtype} of shape {tuple(w.shape)}{hint}")
    if w.dim() == 1 and num_edges is not None and w.shape[0] != num_edges:
        raise _count_error(w, num_edges, where)
    return w


def _count_error(w: Tensor, num_edges: int, where: str) -> ValueError:
    return ValueError(f"{where}: edge_weight has shape {tuple(w.shape)} but the graph has {num_edges} edges")


def check_edge_weight(w: Optional[Tensor], num_edges: int, where: str, *, normalize: bool,
                      device: torch.device, validate: bool = True, name: str = "edge_weight",
                      takes_batch: bool = True, shown: Optional[str] = None) -> Optional[Tensor]:
    """Return ``w`` as a 1-D tensor, or raise naming what is wrong (``name``: what the values are called,
    a sparse adjacency's values are its weights; ``takes_batch``: whether the caller's ``forward`` takes
    a batch vector, which integer weights may be; ``shown``: the weights as the caller named them, an
    edge feature's name in DGL, which no batch vector is)."""
    if w is None:
        return None
    if not isinstance(w, Tensor):
        raise TypeError(f"{where}: edge_weight must be a tensor, got {type(w).__name__}")
    w = one_weight_per_edge(w, num_edges, where, takes_batch=takes_batch and shown is None,
                            shown=shown or "edge_weight")
    if w.dim() == 2 and w.shape[0] == num_edges:  # [E, D] edge features in the weights' place
        raise ValueError(f"{where}: edge_weight must hold one weight per edge, shape ({num_edges},), got "
                         f"{tuple(w.shape)}: edge features go by name, edge_attr=..., to a wrapped layer "
                         "that takes them (IterativeConv)")
    if w.dim() != 1:
        raise _count_error(w, num_edges, where)
    if w.device != device:
        raise ValueError(f"{where}: edge_weight is on {w.device} but the graph is on {device}")
    if validate and w.numel():
        if not bool(torch.isfinite(w).all()):
            raise ValueError(f"{where}: {name} contains NaN or Inf")
        if normalize and bool((w < 0).any()):
            raise ValueError(
                f"{where}: {name} contains negative weights, which the symmetric normalisation "
                "(square roots of degrees) cannot take; pass normalize=False or non-negative weights"
            )
        if normalize and w.dtype == torch.float64 and not bool(torch.isfinite(w.sum())):
            raise ValueError(
                f"{where}: {name} is too large to normalise: the weights' sum overflows float64 (largest "
                f"weight {float(w.abs().max()):.3g}); rescale the weights")
    return w


def check_same_device(x: Tensor, other: Tensor, where: str, what: str = "the graph") -> None:
    if x.device != other.device:
        raise ValueError(f"{where}: node features are on {x.device} but {what} is on {other.device}")


def check_edge_attr(edge_attr, graph, num_edges: int, x: Tensor, where: str, *, ordered: bool = True) -> None:
    """Edge features for a wrapped layer: a tensor with one row per edge of a graph that orders its
    edges (``ordered``: an edge index, a DGLGraph; a sparse adjacency has no edge order to match
    them to), on the node features' device."""
    if not isinstance(edge_attr, Tensor):
        raise TypeError(f"{where}: edge_attr must be a tensor with one row per edge, got {got(edge_attr)}")
    if not ordered:
        raise TypeError(f"{where}: edge_attr needs the graph as an edge index [2, E], whose order its rows follow; "
                        f"got {type(graph).__name__}" + ("" if not isinstance(graph, Tensor) else f" ({graph.layout})"))
    if edge_attr.dim() == 0 or edge_attr.size(0) != num_edges:
        raise ValueError(f"{where}: edge_attr must have one row per edge ({num_edges}), got shape "
                         f"{tuple(edge_attr.shape)}")
    check_same_device(x, edge_attr, where, "edge_attr")


def check_batch(batch: Optional[Tensor], num_nodes: int, where: str, num_graphs: Optional[int] = None, *,
                validate: bool = True) -> Optional[int]:
    """Shape and dtype of a batch vector and of ``num_graphs``; with ``validate``, or on the CPU outside
    ``torch.compile`` (where it costs no synchronisation, as for the edge indices), also the graph ids' range. Returns ``num_graphs``, read from ``batch`` when not given, so that what follows (the
    per-graph bound, the solve) never reads it again. One synchronisation, when either is needed."""
    num_graphs = check_int("num_graphs", num_graphs, minimum=0, optional=True, where=where)  # numpy's ints too
    if batch is None:
        check_one_graph(num_graphs, where)
        return None
    if not isinstance(batch, Tensor):
        raise TypeError(f"{where}: batch must be a tensor of graph ids, got {type(batch).__name__}")
    if batch.dim() != 1 or batch.shape[0] != num_nodes:
        raise ValueError(f"{where}: batch must have one entry per node ({num_nodes}), got shape {tuple(batch.shape)}")
    if batch.dtype != torch.long:
        fix = ": convert it, batch.long()" if not batch.is_floating_point() and not batch.is_complex() else ""
        raise TypeError(f"{where}: batch must be int64 (graph ids, as PyG's Batch and DGL's batched graphs give them), "
                        f"got {batch.dtype}{fix}")
    if not batch.numel():
        return 0 if num_graphs is None else num_graphs
    on_cpu = batch.device.type == "cpu" and not is_compiling()  # (traced: not read, as for the edge indices)
    if not validate and num_graphs is not None and not on_cpu:
        return num_graphs
    lo, hi = (int(v) for v in torch.stack(torch.aminmax(batch)).tolist())
    if validate or on_cpu:
        if lo < 0:
            raise ValueError(f"{where}: batch holds the negative graph id {lo}; graph ids count from 0")
        if num_graphs is not None and hi >= num_graphs:
            raise ValueError(f"{where}: batch holds the graph id {hi} but num_graphs={num_graphs} "
                             + (f"(valid ids 0..{num_graphs - 1})" if num_graphs else "(no graph ids are valid)"))
    return hi + 1 if num_graphs is None else num_graphs


def check_batch_edges(batch: Optional[Tensor], src: Tensor, dst: Tensor, where: str,
                      hint: str = "pass the batch vector of the graphs that were batched, or none",
                      what: str = "the batch vector") -> None:
    """Refuse a batch vector that puts the two ends of an edge in different graphs (one
    synchronisation): each graph of a batch is solved, stopped and bounded on its own, which is
    exact only when no edge joins two graphs. ``what`` names the batch in the message."""
    if batch is None or src.numel() == 0:
        return
    cut = batch[src] != batch[dst]
    count = int(cut.sum())
    if count:
        e = int(cut.nonzero()[0, 0])
        u, v = int(src[e]), int(dst[e])
        raise ValueError(
            f"{where}: {what} puts the two ends of {count} edge(s) in different graphs (the first: "
            f"node {u} in graph {int(batch[u])} -> node {v} in graph {int(batch[v])}). Each graph of a batch "
            f"converges and stops on its own, which needs the graphs to be disconnected from each other: {hint}")


def check_z_init(z_init: Optional[Tensor], x: Tensor, where: str, what: str = "the node features", *,
                 validate: bool = False) -> None:
    """A warm start must be a tensor of the shape, dtype and device of ``x``, the iteration's input
    (``what`` names it); with ``validate`` also finite (one synchronisation), as the features are."""
    if z_init is None:
        return
    if not isinstance(z_init, Tensor):
        raise TypeError(f"{where}: z_init must be a tensor like the node features, got {type(z_init).__name__}")
    if z_init.shape != x.shape:
        raise ValueError(f"{where}: z_init has shape {tuple(z_init.shape)} but {what} have shape "
                         f"{tuple(x.shape)}; a warm start must have that shape")
    if z_init.dtype != x.dtype:
        raise TypeError(f"{where}: z_init has dtype {z_init.dtype} but {what} have dtype {x.dtype}")
    if z_init.device != x.device:
        raise ValueError(f"{where}: z_init is on {z_init.device} but {what} are on {x.device}")
    if validate and z_init.numel() and not bool(all_finite(z_init)):
        count = int((~torch.isfinite(z_init.detach())).sum())
        raise ValueError(f"{where}: z_init holds {count} NaN/Inf entr{'y' if count == 1 else 'ies'}; a warm start "
                         "must be finite (validate=False skips this check)")
