"""Fixed-point solvers and their registry.

A solver has the signature ``solver(f, z0, monitor, schedule, **options) -> z``: it proposes iterates,
hands each to ``monitor.accept`` (which measures, freezes converged graphs and decides when to stop)
and returns the last one. ``schedule[k]`` is the smoothing factor of step ``k``. Its keyword-only
options are its configuration; any other option is refused with the list of valid ones.
"""
from __future__ import annotations

import inspect
from typing import Callable, Optional

import torch
from torch import Tensor

from ._keys import check_choice, check_keys
from .monitor import IterationMonitor

Solver = Callable[..., Tensor]
_SOLVERS: dict[str, Solver] = {}

__all__ = ["register_solver", "get_solver", "solver_options", "available_solvers", "picard", "anderson"]


def register_solver(name: str, fn: Optional[Solver] = None, *, overwrite: bool = False):
    """Register ``fn`` under ``name`` (also usable as a decorator: ``@register_solver("mine")``)."""

    def deco(f: Solver) -> Solver:
        if not overwrite and name in _SOLVERS and _SOLVERS[name] is not f:
            raise ValueError(f"a solver named {name!r} is already registered (pass overwrite=True)")
        params = list(inspect.signature(f).parameters.values())
        if len(params) < 4:
            raise TypeError("a solver takes (f, z0, monitor, schedule, **options)")
        _SOLVERS[name] = f
        return f

    return deco(fn) if fn is not None else deco


def available_solvers() -> list[str]:
    return sorted(_SOLVERS)


def get_solver(name: str) -> Solver:
    check_choice("solver", name, _SOLVERS)
    return _SOLVERS[name]


def solver_options(name: str) -> dict:
    """The keyword options of a registered solver with their defaults."""
    sig = inspect.signature(get_solver(name))
    return {p.name: p.default for p in sig.parameters.values() if p.kind is p.KEYWORD_ONLY}


def check_solver_options(name: str, options: dict) -> None:
    check_keys(f"solver {name!r}", options, solver_options(name))


@register_solver("picard")
def picard(f: Callable[[Tensor], Tensor], z0: Tensor, monitor: IterationMonitor, schedule: list[float]) -> Tensor:
    """Krasnoselskii-Mann iteration :math:`z_{k+1} = s_k z_k + (1 - s_k) f(z_k)` (Picard when ``s_k = 0``)."""
    z = z0
    for k in range(monitor.max_iter):
        s = schedule[k]
        fz = f(z)
        z_new = fz if s == 0.0 else torch.lerp(fz, z, s)
        z, stop = monitor.accept(k, z, z_new)
        if stop:
            break
    return z


def _graph_gram(G: Tensor, batch: Optional[Tensor], num_graphs: int) -> Tensor:
    """``[B, n, n]`` Gram matrices of the ``n`` history vectors ``G`` (``[n, N, ...]``), one per graph."""
    n = G.shape[0]
    if batch is None:
        flat = G.reshape(n, -1)
        return (flat @ flat.transpose(0, 1)).unsqueeze(0)
    flat = G.reshape(n, G.shape[1], -1)
    per_node = torch.einsum("inf,jnf->nij", flat, flat)  # [N, n, n]
    out = per_node.new_zeros(num_graphs, n, n)
    return out.index_add_(0, batch, per_node)


@register_solver("anderson")
def anderson(
    f: Callable[[Tensor], Tensor],
    z0: Tensor,
    monitor: IterationMonitor,
    schedule: list[float],
    *,
    m: int = 5,
    lam: float = 1e-4,
    beta: Optional[float] = None,
) -> Tensor:
    """Type-II Anderson acceleration.

    Keeps the last ``m`` iterates :math:`x_i` and residuals :math:`g_i = f(x_i) - x_i` and solves, per graph,

    .. math::
        \\min_\\alpha \\|\\textstyle\\sum_i \\alpha_i g_i\\|^2 + \\lambda \\|\\alpha\\|^2 \\quad
        \\text{s.t.} \\sum_i \\alpha_i = 1,

    then steps to :math:`\\sum_i \\alpha_i (x_i + \\beta g_i)`. ``lam`` is relative to the mean squared
    residual (Tikhonov). ``beta`` is the mixing; None takes ``1 - s_k`` from the smoothing schedule.
    With a ``batch`` vector, each graph has its own coefficients (its own Gram matrix
    :math:`H_{ij} = \\langle g_i, g_j \\rangle` over its rows), never one problem per node or one
    for the whole batch. Safeguard: a least-squares system that is singular, or whose coefficients
    are non-finite or larger than :math:`1/\\sqrt{\\epsilon}` of the dtype (so ill-conditioned that
    the combination would lose every digit), falls back to the plain relaxed step
    :math:`x_n + \\beta g_n` for that graph, so the iteration never produces NaN from the
    least-squares step.
    """
    if m < 1:
        raise ValueError(f"anderson needs memory m >= 1, got {m}")
    batch, B = monitor.batch, monitor.num_graphs
    # largest trusted |alpha_i|: 1/sqrt(eps) of the iterate's dtype (about 3e3 in float32, 7e7 in float64)
    max_coef = torch.finfo(z0.dtype).eps ** -0.5 if z0.is_floating_point() else 1e8
    xs: list[Tensor] = []
    gs: list[Tensor] = []
    z = z0
    for k in range(monitor.max_iter):
        b = (1.0 - schedule[k]) if beta is None else beta
        fz = f(z)
        g = fz - z
        xs.append(z)
        gs.append(g)
        if len(xs) > m:
            xs.pop(0)
            gs.pop(0)
        n = len(xs)
        if n == 1:
            z_new = z + b * g
        else:
            G = torch.stack(gs)  # [n, N, ...]
            acc = torch.float32 if G.dtype in (torch.float16, torch.bfloat16) else G.dtype
            H = _graph_gram(G.to(acc), batch, B)  # [B, n, n]
            scale = H.diagonal(dim1=-2, dim2=-1).mean(-1, keepdim=True).clamp_min(1e-30)
            eye = torch.eye(n, device=H.device, dtype=acc)
            H = H + lam * scale.unsqueeze(-1) * eye
            bord = H.new_zeros(H.shape[0], n + 1, n + 1)
            bord[:, 0, 1:] = 1.0
            bord[:, 1:, 0] = 1.0
            bord[:, 1:, 1:] = H
            rhs = H.new_zeros(H.shape[0], n + 1)
            rhs[:, 0] = 1.0
            sol, err = torch.linalg.solve_ex(bord, rhs)
            alpha = sol[:, 1:]  # [B, n]
            # coefficients this large cancel away every significant digit of the combination
            bad = (err != 0) | ~torch.isfinite(alpha).all(-1) | (alpha.abs().amax(-1) > max_coef)
            plain = torch.zeros_like(alpha)
            plain[:, -1] = 1.0
            alpha = torch.where(bad.unsqueeze(-1), plain, torch.nan_to_num(alpha)).to(G.dtype)
            X = torch.stack(xs)
            view = (n,) + (1,) * (G.dim() - 1)
            if batch is None:
                a = alpha[0].view(view)
            else:
                a = alpha[batch].transpose(0, 1).reshape(n, -1, *([1] * (G.dim() - 2)))
            z_new = (a * (X + b * G)).sum(0)
        z, stop = monitor.accept(k, z, z_new)
        if stop:
            break
    return z
