"""Input checks shared by the adapters. Every message names the problem and the numbers."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

SUPPORTED_DTYPES = (torch.float16, torch.bfloat16, torch.float32, torch.float64)

__all__ = ["check_features", "check_edges", "check_edge_weight", "check_batch", "compute_dtype", "SUPPORTED_DTYPES"]


def compute_dtype(dtype: torch.dtype) -> torch.dtype:
    """The dtype an iteration runs in: float16 and bfloat16 inputs accumulate in float32 (sparse
    products have no half-precision kernels on every device, and a long iteration loses too much in
    half precision); the output is cast back to the input's dtype."""
    return torch.float32 if dtype in (torch.float16, torch.bfloat16) else dtype


def check_features(x: Tensor, channels: int, where: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{where}: node features must be a torch.Tensor, got {type(x).__name__}")
    if x.dim() != 2:
        raise ValueError(f"{where}: node features must be 2-D [num_nodes, channels], got shape {tuple(x.shape)}")
    if x.dtype not in SUPPORTED_DTYPES:
        raise TypeError(
            f"{where}: node features have dtype {x.dtype}; supported: float16, bfloat16, float32, float64"
        )
    if x.shape[1] != channels:
        raise ValueError(
            f"{where}: node features have {x.shape[1]} channels but the layer was built for channels={channels}"
        )


def check_edges(src: Tensor, dst: Tensor, num_nodes: int, where: str, *, validate: bool = True) -> None:
    """Dtype always; the index range (one synchronisation) when ``validate``."""
    for t in (src, dst):
        if t.dtype not in (torch.int64, torch.int32):
            raise ValueError(f"{where}: edge indices must be int64 (or int32), got {t.dtype}")
    if validate and src.numel():
        hi = int(torch.maximum(src.max(), dst.max()))
        lo = int(torch.minimum(src.min(), dst.min()))
        if hi >= num_nodes:
            raise ValueError(
                f"{where}: the edge index refers to node {hi} but the graph has only {num_nodes} nodes "
                f"(valid indices 0..{num_nodes - 1})"
            )
        if lo < 0:
            raise ValueError(f"{where}: the edge index contains the negative node index {lo}")


def check_edge_weight(w: Optional[Tensor], num_edges: int, where: str, *, normalize: bool,
                      device: torch.device, validate: bool = True) -> Optional[Tensor]:
    """Return ``w`` as a 1-D tensor, or raise naming what is wrong."""
    if w is None:
        return None
    if not isinstance(w, Tensor):
        raise TypeError(f"{where}: edge_weight must be a tensor, got {type(w).__name__}")
    if w.dim() == 2 and w.shape[1] == 1:
        w = w.view(-1)
    if w.dim() != 1 or w.shape[0] != num_edges:
        raise ValueError(f"{where}: edge_weight has shape {tuple(w.shape)} but the graph has {num_edges} edges")
    if not w.is_floating_point():
        raise TypeError(f"{where}: edge_weight must be a floating-point tensor, got {w.dtype}")
    if w.device != device:
        raise ValueError(f"{where}: edge_weight is on {w.device} but the graph is on {device}")
    if validate and w.numel():
        if not bool(torch.isfinite(w).all()):
            raise ValueError(f"{where}: edge_weight contains NaN or Inf")
        if normalize and bool((w < 0).any()):
            raise ValueError(
                f"{where}: edge_weight contains negative weights, which the symmetric normalisation "
                "(square roots of degrees) cannot take; pass normalize=False or non-negative weights"
            )
    return w


def check_same_device(x: Tensor, other: Tensor, where: str, what: str = "the graph") -> None:
    if x.device != other.device:
        raise ValueError(f"{where}: node features are on {x.device} but {what} is on {other.device}")


def check_batch(batch: Optional[Tensor], num_nodes: int, where: str) -> None:
    if batch is None:
        return
    if batch.dim() != 1 or batch.shape[0] != num_nodes:
        raise ValueError(f"{where}: batch must have one entry per node ({num_nodes}), got shape {tuple(batch.shape)}")
    if batch.dtype != torch.long:
        raise TypeError(f"{where}: batch must be int64, got {batch.dtype}")
