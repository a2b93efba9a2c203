"""Sparse-dense products for iterated propagation, with the transpose built once.

Autograd's backward of ``torch.sparse.mm(A, h)`` for a CSR ``A`` transposes ``A`` on every call:
in an iteration that is one sort of the edge list per step and per adjoint step. Here the transpose
is built at the first backward use and reused by every later step of the same forward call.
"""
from __future__ import annotations

import warnings
from typing import Optional

import torch
from torch import Tensor

__all__ = ["CSRPair", "csr_pair", "spmm_csr"]


def _csr(rows: Tensor, cols: Tensor, vals: Tensor, n: int) -> Tensor:
    """CSR matrix with ``vals[e]`` at ``(rows[e], cols[e])``: one sort; duplicates stay (and are summed)."""
    perm = torch.argsort(rows * max(n, 1) + cols)
    crow = torch.zeros(n + 1, dtype=torch.long, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=n), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notice that sparse CSR support is in beta
        return torch.sparse_csr_tensor(crow, cols[perm], vals[perm], (n, n), check_invariants=False)


class CSRPair:
    """The CSR matrix with ``weight[e]`` at ``(dst[e], src[e])`` (rows: destinations), built at once,
    and its transpose, built at the first backward use."""

    def __init__(self, src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int) -> None:
        self._edges = (src, dst, weight, num_nodes)
        self.A = _csr(dst, src, weight, num_nodes)
        self._At: Optional[Tensor] = None

    @property
    def At(self) -> Tensor:
        if self._At is None:
            src, dst, w, n = self._edges
            self._At = _csr(src, dst, w, n)
        return self._At

    @property
    def dtype(self) -> torch.dtype:
        return self.A.dtype


def csr_pair(src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int) -> CSRPair:
    """Build a :class:`CSRPair` (messages flow ``src -> dst``)."""
    return CSRPair(src, dst, weight, num_nodes)


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h: Tensor, pair: CSRPair, add: Optional[Tensor], scale: float) -> Tensor:  # type: ignore[override]
        ctx.pair, ctx.scale = pair, scale
        ctx.add_shape = None if add is None else add.shape
        return _product(pair.A, h, add, scale)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        grad_h = grad_add = None
        if ctx.needs_input_grad[0]:
            grad_h = torch.sparse.mm(ctx.pair.At, grad.contiguous())
            if ctx.scale != 1.0:
                grad_h = grad_h * ctx.scale
        if ctx.needs_input_grad[2]:
            grad_add = grad if grad.shape == ctx.add_shape else grad.sum_to_size(ctx.add_shape)
        return grad_h, None, grad_add, None


def _product(A: Tensor, h: Tensor, add: Optional[Tensor], scale: float) -> Tensor:
    if add is None:
        out = torch.sparse.mm(A, h)
        return out if scale == 1.0 else out * scale
    # one fused kernel: no zero-filled output, no separate pass for the addend
    return torch.addmm(add, A, h, alpha=scale)


def spmm_csr(pair: CSRPair, h: Tensor, add: Optional[Tensor] = None, scale: float = 1.0) -> Tensor:
    """``scale * (A @ h) + add`` with ``A = pair.A`` (``add`` broadcast to the output, e.g. a bias);
    gradients flow to ``h`` and ``add`` (not to the entries of ``A``)."""
    if torch.is_grad_enabled() and (h.requires_grad or (add is not None and add.requires_grad)):
        return _SpMM.apply(h, pair, add, float(scale))
    return _product(pair.A, h, add, float(scale))
