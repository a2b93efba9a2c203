"""Contraction theory as tools: Banach bounds, Lipschitz estimates and the norm of the propagation.

For a contraction :math:`T` with constant :math:`q < 1` (Banach-Caccioppoli):

* a priori: :math:`\\|z_k - z^*\\| \\le \\frac{q^k}{1-q} \\|z_1 - z_0\\|`,
* a posteriori: :math:`\\|z_k - z^*\\| \\le \\frac{q}{1-q} \\|z_k - z_{k-1}\\|`.

The relaxed map :math:`T_s(z) = s z + (1-s) T(z)` is a contraction with constant
:math:`s + (1-s) q` (:func:`relaxed_contraction`).
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import torch
from torch import Tensor

from .checks import check_int, check_real

__all__ = [
    "aposteriori_bound", "apriori_bound", "apriori_iterations", "relaxed_contraction",
    "lipschitz_estimate", "propagation_norm_bound",
]


def _number(v):
    """A one-element tensor as its Python number (``info.abs_residuals[-1]`` is one)."""
    return v.item() if isinstance(v, Tensor) and v.numel() == 1 else v


def _check_q(q: float, where: str) -> float:
    return check_real("q (a contraction factor)", _number(q), low=0.0, high=1.0, high_open=True, where=where)


def _check_step(name: str, step: float, where: str) -> float:
    return check_real(name, _number(step), low=0.0, where=where)


def relaxed_contraction(q: float, s: float) -> float:
    """Contraction constant of :math:`s z + (1-s) T(z)` when :math:`T` has constant ``q``."""
    q = check_real("q (the operator's Lipschitz constant)", _number(q), low=0.0, where="relaxed_contraction()")
    s = check_real("s (smoothing)", _number(s), low=0.0, high=1.0, high_open=True, where="relaxed_contraction()")
    return s + (1.0 - s) * q


def aposteriori_bound(q: float, step: float) -> float:
    """Upper bound on :math:`\\|z_k - z^*\\|` from the last step :math:`\\|z_k - z_{k-1}\\|`."""
    where = "aposteriori_bound()"
    q, step = _check_q(q, where), _check_step("step (a norm)", step, where)
    return q / (1.0 - q) * step


def apriori_bound(q: float, first_step: float, k: int) -> float:
    """Upper bound on :math:`\\|z_k - z^*\\|` from the first step :math:`\\|z_1 - z_0\\|`."""
    where = "apriori_bound()"
    q, first_step = _check_q(q, where), _check_step("first_step (a norm)", first_step, where)
    k = check_int("k", _number(k), minimum=0, where=where, index=False)  # (plain arithmetic: any k)
    # q**k with k beyond 2**63 is 0 for every float q < 1 (q**(2**63) <= exp(-1024) underflows), as Python's
    # float power cannot take such an int
    return q ** min(k, 2**63) / (1.0 - q) * first_step


def apriori_iterations(q: float, first_step: float, tol: float) -> int:
    """Fewest ``k`` with :math:`\\frac{q^k}{1-q}\\|z_1 - z_0\\| \\le` ``tol`` (0 when already there)."""
    where = "apriori_iterations()"
    q, first_step = _check_q(q, where), _check_step("first_step (a norm)", first_step, where)
    tol = check_real("tol", _number(tol), low=0.0, low_open=True, where=where)
    bound = lambda k: q**k / (1.0 - q) * first_step  # noqa: E731  (apriori_bound's own arithmetic)
    if bound(0) <= tol:
        return 0
    if q == 0.0:
        return 1
    # the logarithms apart (tol * (1 - q) underflows for tiny tol and q near 1), then the rounding of the
    # estimate settled against the bound itself: the fewest k whose apriori_bound is within tol
    k = max(1, math.ceil((math.log(tol) + math.log1p(-q) - math.log(first_step)) / math.log(q)))
    # an interval with bound(lo) > tol >= bound(hi), widened by doubling steps, then halved
    if bound(k) <= tol:
        hi, step = k, 1
        lo = hi - step
        while bound(lo) <= tol:  # (bound(0) > tol: lo stays >= 0)
            hi, step = lo, step * 2
            lo = max(0, hi - step)
    else:
        lo, step = k, 1
        hi = lo + step
        while bound(hi) > tol:
            lo, step = hi, step * 2
            hi = lo + step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        lo, hi = (lo, mid) if bound(mid) <= tol else (mid, hi)
    return hi


def lipschitz_estimate(
    f: Callable[[Tensor], Tensor], z: Tensor, *, n_iter: int = 30, tol: float = 1e-6,
    generator: Optional[torch.Generator] = None,
) -> float:
    """Estimate the local Lipschitz constant of ``f`` at ``z``: the spectral norm of its Jacobian,
    by power iteration on :math:`J^\\top J` using a Jacobian-vector and a vector-Jacobian product
    per step. A lower bound that converges to :math:`\\|J\\|_2`."""
    where = "lipschitz_estimate()"
    n_iter = check_int("n_iter", n_iter, minimum=1, where=where)  # 0 steps read as "a contraction" (0.0)
    tol = check_real("tol", tol, low=0.0, where=where)
    if not isinstance(z, Tensor) or not z.is_floating_point():
        kind = z.dtype if isinstance(z, Tensor) else type(z).__name__
        raise TypeError(f"{where}: z must be a floating-point tensor, got {kind}")
    if torch.is_inference_mode_enabled():
        raise RuntimeError(f"{where}: the estimate needs autograd (Jacobian-vector products); call it outside "
                           "torch.inference_mode()")
    z = z.detach()
    v = torch.randn(z.shape, generator=generator, dtype=z.dtype, device=z.device)
    v = v / torch.linalg.vector_norm(v).clamp_min(1e-30)
    sigma = 0.0
    for _ in range(n_iter):
        zr = z.clone().requires_grad_()
        with torch.enable_grad():
            out = f(zr)
            if not isinstance(out, Tensor):
                raise TypeError(f"{where}: f must map z to a tensor, got a {type(out).__name__}")
            if not out.requires_grad:  # f does not depend on z (a constant map): its Lipschitz constant is 0
                return 0.0
            # J v by the double-vjp trick: d/du <J^T u, v> = J v
            u = torch.zeros_like(out, requires_grad=True)
            (jtu,) = torch.autograd.grad(out, zr, u, create_graph=True)
            (jv,) = torch.autograd.grad(jtu, u, v, retain_graph=True)
            (jtjv,) = torch.autograd.grad(out, zr, jv)
        new_sigma = float(torch.linalg.vector_norm(jv))
        nrm = torch.linalg.vector_norm(jtjv)
        if float(nrm) == 0.0:
            return 0.0
        v = (jtjv / nrm).detach()
        if abs(new_sigma - sigma) <= tol * max(new_sigma, 1e-30):
            return new_sigma
        sigma = new_sigma
    return sigma


def propagation_norm_bound(
    src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int, node_scale: Optional[Tensor] = None,
    batch: Optional[Tensor] = None, num_graphs: Optional[int] = None,
) -> Tensor:
    """Upper bound on :math:`\\|\\hat A\\|_2` for the propagation matrix with entries
    ``weight[e]`` at row ``dst[e]``, column ``src[e]`` (messages flow source -> destination).

    The weighted Schur test with positive ``node_scale`` :math:`p` (all ones when None):
    :math:`\\|\\hat A\\|_2 \\le \\sqrt{R C}`, :math:`R = \\max_i \\sum_j |a_{ij}| p_j / p_i`,
    :math:`C = \\max_j \\sum_i |a_{ij}| p_i / p_j`. Any positive :math:`p` gives a valid bound; with
    :math:`p = \\sqrt{d}` (``d`` the weighted in-degrees with self-loops) under the GCN normalisation
    :math:`\\hat A = D^{-1/2}(A+I)D^{-1/2}`:

    * row sums :math:`\\sum_j a_{ij}\\sqrt{d_j/d_i} = \\sum_j (A+I)_{ij} / d_i = 1` for every graph;
    * column sums :math:`\\sum_i a_{ij}\\sqrt{d_i/d_j} = d^{out}_j / d_j`.

    So for an undirected graph the bound is exactly 1, which is also :math:`\\|\\hat A\\|_2` (the
    matrix is symmetric and similar to the row-stochastic :math:`D^{-1}(A+I)`): no norm is lost.
    For a directed graph it is :math:`\\sqrt{\\max_j d^{out}_j / d^{in}_j}`; without normalisation
    (``node_scale`` None) the classical :math:`\\sqrt{\\|A\\|_1 \\|A\\|_\\infty}`. Returned as a
    0-dim tensor (no synchronisation); with ``batch`` (the graph of each node, ``num_graphs`` graphs)
    one bound per graph, ``[num_graphs]``, each that graph's own, or, when an edge joins two graphs,
    each the whole matrix's.
    """
    w = weight.abs()
    shape = () if batch is None else (int(num_graphs if num_graphs is not None else
                                          (int(batch.max()) + 1 if batch.numel() else 0)),)
    if num_nodes == 0 or w.numel() == 0:
        return w.new_zeros(shape)
    p = torch.ones(num_nodes, dtype=w.dtype, device=w.device) if node_scale is None else node_scale.to(w.dtype)
    p = p.clamp_min(1e-30)
    row = torch.zeros(num_nodes, dtype=w.dtype, device=w.device).index_add_(0, dst, w * p[src] / p[dst])
    col = torch.zeros(num_nodes, dtype=w.dtype, device=w.device).index_add_(0, src, w * p[dst] / p[src])
    if batch is None:
        return (row.max() * col.max()).sqrt()
    # the sums are >= 0, so a graph without rows keeps the bound 0
    row_max = w.new_zeros(shape).scatter_reduce_(0, batch, row, "amax")
    col_max = w.new_zeros(shape).scatter_reduce_(0, batch, col, "amax")
    per_graph = (row_max * col_max).sqrt()
    # an edge between two graphs makes the matrix no longer block-diagonal: each graph then gets the
    # whole matrix's bound (decided on the device, without a synchronisation)
    cross = (batch[src] != batch[dst]).any()
    return torch.where(cross, (row.max() * col.max()).sqrt(), per_graph)
