"""Sparse-dense products for iterated propagation, with the transpose built once.

Autograd's backward of ``torch.sparse.mm(A, h)`` for a CSR ``A`` transposes ``A`` on every call:
in an iteration that is one sort of the edge list per step and per adjoint step. Here the transpose
is built at the first backward use and reused by every later step of the same forward call.

On CPU a product whose dense operand is between a quarter of the last-level cache and about the
whole cache is computed in column blocks of the sparse matrix (source-node segments), each gathering
from a slice of the dense rows that stays in cache, the partial products summed into one output
(the blocks hold one more copy of the matrix's indices and values, built once per matrix). This is the cache
blocking DGL's CPU kernels do; ``benchmarks/NOTES.md`` has the window where it pays and the
measurements. :data:`SEGMENT_BYTES` sets the slice size (``None``: a quarter of the last-level cache;
0 turns it off).
"""
from __future__ import annotations

import math
import os
import warnings
from functools import lru_cache
from typing import Optional

import torch
from torch import Tensor

__all__ = ["CSRPair", "csr_pair", "spmm_csr", "SEGMENT_BYTES", "num_segments"]

#: Bytes of the dense operand's rows one source segment gathers from (see the module docstring);
#: ``None`` for a quarter of the last-level cache, 0 to never segment.
SEGMENT_BYTES: Optional[int] = None
#: Segmenting pays while the partial products' extra passes over the output are few: measured
#: gains up to about 4 segments, losses from about 7 (benchmarks/NOTES.md).
MAX_SEGMENTS = 4


@lru_cache(maxsize=1)
def _last_level_cache_bytes() -> int:
    """The size of this CPU's last-level cache from sysfs (Linux); 32 MiB where it cannot be read."""
    root = "/sys/devices/system/cpu/cpu0/cache"
    best = 0
    try:
        entries = [e for e in os.listdir(root) if e.startswith("index")]
    except OSError:
        entries = []
    for entry in entries:
        try:
            with open(os.path.join(root, entry, "size")) as f:
                text = f.read().strip().upper()
            scale = {"K": 1 << 10, "M": 1 << 20, "G": 1 << 30}.get(text[-1:], 1)
            best = max(best, int(text.rstrip("KMG")) * scale)
        except (OSError, ValueError):
            continue
    return best or 32 << 20


def num_segments(h: Tensor, nnz: Optional[int] = None) -> int:
    """How many source segments the product of a sparse matrix with ``nnz`` entries and the dense
    operand ``h`` is computed in (1: one product). Each segment adds a pass over the output, which
    pays only with enough entries per row: at least two per segment (measured: a loss at 3.5 entries
    per row in 4 segments, a tie at 6, twice as fast at 11)."""
    if h.device.type != "cpu" or h.dim() != 2:
        return 1
    size = SEGMENT_BYTES if SEGMENT_BYTES is not None else _last_level_cache_bytes() // 4
    nbytes = h.shape[0] * h.shape[1] * h.element_size()
    if size <= 0 or nbytes <= size:
        return 1
    parts = math.ceil(nbytes / size)
    if parts > MAX_SEGMENTS or (nnz is not None and nnz < 2 * parts * h.shape[0]):
        return 1
    return parts


def _segments(A: Tensor, parts: int) -> list[tuple[Tensor, int, int]]:
    """``A``'s columns cut into ``parts`` ranges: ``(A[:, a:b] as CSR, a, b)`` for each."""
    n_rows, n_cols = A.shape
    crow, col, val = A.crow_indices(), A.col_indices(), A.values()
    rows = torch.repeat_interleave(torch.arange(n_rows, device=col.device), crow.diff(), output_size=col.numel())
    out = []
    for p in range(parts):
        a, b = n_cols * p // parts, n_cols * (p + 1) // parts
        keep = (col >= a) & (col < b)  # keeps the row order
        out.append((_csr_in_row_order(rows[keep], col[keep] - a, val[keep], (n_rows, b - a)), a, b))
    return out


def _csr_in_row_order(rows: Tensor, cols: Tensor, vals: Tensor, shape: tuple[int, int]) -> Tensor:
    """CSR matrix from ``cols`` and ``vals`` already in row order; ``rows`` holds each entry's row, in
    any order (it is only counted)."""
    crow = torch.zeros(shape[0] + 1, dtype=torch.long, device=rows.device)
    crow[1:] = torch.cumsum(torch.bincount(rows, minlength=shape[0]), 0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notice that sparse CSR support is in beta
        return torch.sparse_csr_tensor(crow, cols, vals, shape, check_invariants=False)


def _csr(rows: Tensor, cols: Tensor, vals: Tensor, n: int) -> Tensor:
    """CSR matrix with ``vals[e]`` at ``(rows[e], cols[e])``: one sort; duplicates stay (and are summed).

    The sorted keys ``row * n + col`` give the rows and columns in order without a gather (a random
    gather from the edge list costs more than the sort itself at 10^6 edges on one CPU thread); the
    values take one ``index_select``."""
    m = max(n, 1)
    keys, perm = torch.sort(rows.long() * m + cols.long(), stable=True)
    rows = torch.div(keys, m, rounding_mode="floor")
    return _csr_in_row_order(rows, keys - rows * m, vals.index_select(0, perm), (n, n))


def _grouped_csr(crow: Tensor, src: Tensor, weight: Tensor, n: int, loops: bool) -> Tensor:
    """CSR matrix from entries already grouped by row (``crow``: row ``i`` holds entries
    ``crow[i]:crow[i+1]`` of ``src`` and ``weight``), followed, with ``loops``, by ``n`` diagonal
    entries (one per row, in row order), which go first in each row: no sort."""
    crow = crow.long()
    if not loops:
        return _csr_from(crow, src, weight, n)
    e = src.numel() - n
    ids = torch.arange(n, device=crow.device)
    rows = torch.repeat_interleave(ids, crow.diff(), output_size=e)
    pos_edges = torch.arange(e, device=crow.device) + rows + 1  # each row's diagonal entry first
    pos_loops = crow[:-1] + ids
    col = torch.empty(e + n, dtype=torch.long, device=crow.device)
    col[pos_edges] = src[:e].long()
    col[pos_loops] = ids
    val = torch.empty(e + n, dtype=weight.dtype, device=weight.device)
    val[pos_edges] = weight[:e]
    val[pos_loops] = weight[e:]
    return _csr_from(crow + torch.arange(n + 1, device=crow.device), col, val, n)


def _csr_from(crow: Tensor, col: Tensor, val: Tensor, n: int) -> Tensor:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch's notice that sparse CSR support is in beta
        return torch.sparse_csr_tensor(crow.long(), col.long(), val, (n, n), check_invariants=False)


class CSRPair:
    """The CSR matrix with ``weight[e]`` at ``(dst[e], src[e])`` (rows: destinations), built at once,
    and its transpose, built at the first backward use.

    With ``crow`` the entries are already grouped by destination (``crow`` the row pointers of the
    first ``src.numel() - num_nodes * loops`` entries; with ``loops`` the last ``num_nodes`` entries
    are the diagonal, in node order): the matrix is then built without a sort."""

    def __init__(self, src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int, *,
                 crow: Optional[Tensor] = None, loops: bool = False) -> None:
        self._edges = (src, dst, weight, num_nodes)
        self.A = _csr(dst, src, weight, num_nodes) if crow is None else _grouped_csr(crow, src, weight, num_nodes,
                                                                                      loops)
        self._At: Optional[Tensor] = None
        self._segments: dict[tuple[bool, int], list] = {}

    @property
    def At(self) -> Tensor:
        if self._At is None:
            src, dst, w, n = self._edges
            self._At = _csr(src, dst, w, n)
        return self._At

    def product(self, h: Tensor, add: Optional[Tensor] = None, scale: float = 1.0, *,
                transpose: bool = False, into_add: bool = False) -> Tensor:
        """``scale * (A @ h) + add`` (``A.T`` with ``transpose``), in source segments where that pays
        (see the module docstring); no autograd. ``into_add``: ``add`` is a tensor of the output's
        shape that the caller hands over, and the product accumulates into it (no copy of it)."""
        A = self.At if transpose else self.A
        parts = num_segments(h, A._nnz())
        into = into_add and add is not None and add.shape == (A.shape[0], h.shape[1]) and add.dtype == h.dtype
        if parts == 1:
            return add.addmm_(A, h, alpha=scale) if into else _product(A, h, add, scale)
        key = (transpose, parts)
        if key not in self._segments:
            self._segments[key] = _segments(A, parts)
        h = h.contiguous()
        (first, a, b), *rest = self._segments[key]
        out = add.addmm_(first, h[a:b], alpha=scale) if into else _product(first, h[a:b], add, scale)
        for seg, a, b in rest:
            out.addmm_(seg, h[a:b], alpha=scale)
        return out

    @property
    def dtype(self) -> torch.dtype:
        return self.A.dtype


def csr_pair(src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int, *, crow: Optional[Tensor] = None,
             loops: bool = False) -> CSRPair:
    """Build a :class:`CSRPair` (messages flow ``src -> dst``; ``crow`` and ``loops``: entries already
    grouped by destination, see :class:`CSRPair`)."""
    return CSRPair(src, dst, weight, num_nodes, crow=crow, loops=loops)


class _SpMM(torch.autograd.Function):
    @staticmethod
    def forward(ctx, h: Tensor, pair: CSRPair, add: Optional[Tensor], scale: float) -> Tensor:  # type: ignore[override]
        ctx.pair, ctx.scale = pair, scale
        ctx.add_shape = None if add is None else add.shape
        return pair.product(h, add, scale)

    @staticmethod
    def backward(ctx, grad: Tensor):  # type: ignore[override]
        grad_h = grad_add = None
        if ctx.needs_input_grad[0]:
            grad_h = ctx.pair.product(grad.contiguous(), None, ctx.scale, transpose=True)
        if ctx.needs_input_grad[2]:
            grad_add = grad if grad.shape == ctx.add_shape else grad.sum_to_size(ctx.add_shape)
        return grad_h, None, grad_add, None


def _product(A: Tensor, h: Tensor, add: Optional[Tensor], scale: float) -> Tensor:
    if add is None:
        out = torch.sparse.mm(A, h)
        return out if scale == 1.0 else out * scale
    # one fused kernel: no zero-filled output, no separate pass for the addend
    return torch.addmm(add, A, h, alpha=scale)


def spmm_csr(pair: CSRPair, h: Tensor, add: Optional[Tensor] = None, scale: float = 1.0, *,
             add_owned: bool = False) -> Tensor:
    """``scale * (A @ h) + add`` with ``A = pair.A`` (``add`` broadcast to the output, e.g. a bias);
    gradients flow to ``h`` and ``add`` (not to the entries of ``A``). ``add_owned``: ``add`` is a
    fresh tensor nothing else reads, which the product may accumulate into when no gradient is
    recorded (one allocation and one copy fewer)."""
    if torch.is_grad_enabled() and (h.requires_grad or (add is not None and add.requires_grad)):
        return _SpMM.apply(h, pair, add, float(scale))
    return pair.product(h, add, float(scale), into_add=add_owned)
