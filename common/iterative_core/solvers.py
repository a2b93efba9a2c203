"""Fixed-point solvers and their registry.

A solver has the signature ``solver(f, z0, monitor, schedule, **options) -> z``: it proposes iterates,
hands each to ``monitor.accept`` (which measures, freezes converged graphs and decides when to stop)
and returns the last one. ``schedule[k]`` is the smoothing factor of step ``k`` (an indexable
:class:`iterative_core.schedules.Schedule`, read step by step: never a list of ``max_iter`` floats).
Its keyword-only options are its configuration; any other option is refused with the list of valid
ones, and a solver registered with a ``check`` (``"anderson"``) has their values range-checked.
"""
from __future__ import annotations

import functools
import inspect
import math
from typing import Callable, Optional, Sequence

import torch
from torch import Tensor

from ._keys import check_choice, check_keys, check_new_name
from .checks import check_callable, check_flag, check_int, check_name, check_real
from ._compile import free_read_back, is_compiling
from .monitor import IterationMonitor, graph_peaks, step_difference

Solver = Callable[..., Tensor]
_SOLVERS: dict[str, Solver] = {}
_CHECKS: dict[str, Callable[[dict], None]] = {}

__all__ = ["register_solver", "get_solver", "solver_options", "available_solvers", "picard", "anderson"]


def register_solver(name: str, fn: Optional[Solver] = None, *, overwrite: bool = False,
                    check: Optional[Callable[[dict], None]] = None):
    """Register ``fn`` under ``name`` (also usable as a decorator: ``@register_solver("mine")``).

    ``name`` must be a non-empty string and ``fn`` a callable taking ``(f, z0, monitor, schedule,
    **options)``; anything else is refused here, before it reaches the registry. ``check``, when
    given, is called with the solver's options (its defaults updated with the ones a caller passes)
    and raises ``ValueError``/``TypeError`` for a value out of range; it runs whenever a
    :class:`~iterative_core.SolveConfig` is made (a layer's construction, a ``fixed_point()`` call
    without a ready config).

    The solver reports each step to the monitor, ``z, stop = monitor.accept(k, z, z_new)``; a solver
    whose step is smoothed, ``z + (1 - s_k) (f(z) - z)``, passes ``step_scale=1 - s_k`` too, so that the
    shrink test and the contraction factor compare ``f(z) - z`` whatever the schedule (without it its
    steps are compared as they are).
    """
    check_name("solver", name)
    check_flag("overwrite", overwrite)
    if check is not None:
        check_callable("register_solver's check", check)

    def deco(f: Solver) -> Solver:
        check_callable(f"the solver registered as {name!r}", f)
        check_new_name("solver", name, _SOLVERS)
        if not overwrite and name in _SOLVERS and _SOLVERS[name] is not f:
            raise ValueError(f"a solver named {name!r} is already registered (pass overwrite=True)")
        try:
            params = list(inspect.signature(f).parameters.values())
        except (TypeError, ValueError):  # a builtin without a signature: take it on trust
            params = None
        if params is not None:
            _check_solver_signature(name, params)
        _SOLVERS[name] = f
        if check is not None:
            _CHECKS[name] = check
        else:
            _CHECKS.pop(name, None)
        return f

    return deco(fn) if fn is not None else deco


def _check_solver_signature(name: str, params: list) -> None:
    """``(f, z0, monitor, schedule, **options)``: four positional parameters (or ``*args``), then only
    options with defaults (a required option, or a fifth positional one, fails at every call)."""
    shown = f"{name!r} takes {inspect.Signature(params)}"
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    star = any(p.kind is p.VAR_POSITIONAL for p in params)
    if len(positional) < 4 and not star:
        raise TypeError(f"a solver takes (f, z0, monitor, schedule, **options); {shown}")
    required = [p.name for p in params[4:] if p.default is p.empty and p.kind in (p.POSITIONAL_OR_KEYWORD,
                                                                                 p.KEYWORD_ONLY, p.POSITIONAL_ONLY)]
    by_position = [p.name for p in positional[4:] if p.kind is p.POSITIONAL_ONLY]
    if by_position:
        raise TypeError(f"a solver's options are passed by keyword; {shown}: {', '.join(by_position)} can only be "
                        "passed by position (move the '/')")
    if required:
        raise TypeError(f"a solver takes (f, z0, monitor, schedule, **options), each option with a default; {shown}: "
                        f"give {', '.join(required)} a default")


def available_solvers() -> list[str]:
    return sorted(_SOLVERS)


def get_solver(name: str) -> Solver:
    check_choice("solver", name, _SOLVERS)
    return _SOLVERS[name]


def solver_options(name: str) -> dict:
    """The keyword options of a registered solver with their defaults."""
    fn = get_solver(name)
    try:
        sig = inspect.signature(fn)
    except (TypeError, ValueError):  # a builtin without a signature: no known options
        return {}
    params = list(sig.parameters.values())
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    # keyword-only options, and those written after (f, z0, monitor, schedule) as ordinary parameters
    after = {p.name for p in positional[4:] if p.kind is p.POSITIONAL_OR_KEYWORD}
    return {p.name: p.default for p in params if p.kind is p.KEYWORD_ONLY or p.name in after}


@functools.lru_cache(maxsize=64)
def _takes_any_keyword(fn: Callable) -> bool:
    try:
        return any(p.kind is p.VAR_KEYWORD for p in inspect.signature(fn).parameters.values())
    except (TypeError, ValueError):
        return False


def check_solver_options(name: str, options: dict, *, where: Optional[str] = None,
                         what: str = "solver_options") -> None:
    """Check that ``name`` is a registered solver, that ``options`` are its keywords and (for a
    solver registered with a ``check``, e.g. ``"anderson"``) that their values are in range."""
    defaults = solver_options(name)  # refuses an unknown solver, listing the registered ones
    if not _takes_any_keyword(get_solver(name)):  # a solver with **options checks its own
        check_keys(f"{where}: {what} of solver {name!r}:" if where else f"solver {name!r}", options, defaults)
    check = _CHECKS.get(name)
    if check is not None:
        merged = {**defaults, **options}
        try:
            check(merged)
        except (TypeError, ValueError) as exc:
            prefix = f"{where}: " if where else ""
            raise type(exc)(f"{prefix}{what} of solver {name!r}: {exc}") from None


@register_solver("picard")
def picard(f: Callable[[Tensor], Tensor], z0: Tensor, monitor: IterationMonitor, schedule: Sequence[float]) -> Tensor:
    """Krasnoselskii-Mann iteration :math:`z_{k+1} = s_k z_k + (1 - s_k) f(z_k)` (Picard when ``s_k = 0``).
    ``f._smoothed_step(z, s)``, where ``f`` has it (the GCN operator's bound step does), computes the
    smoothed step itself, in fewer passes; a private name, so that a map's own ``smoothed`` is not
    taken for it. ``f._smoothed_step_latest`` is the same step for a solver that keeps only its
    latest iterate, as this one does: its result may occupy the memory of an earlier one (never that
    of ``z``), so that no iterate is allocated anew at each step (it takes the plain steps too, with
    ``s = 0``); prefer ``_smoothed_step`` in a solver that keeps earlier iterates. A smoothed step of a
    float16 or bfloat16 iterate is measured as :math:`(1 - s_k)(f(z_k) - z_k)` (its norm in float32):
    the step taken rounds back to :math:`z_k` within :math:`(1 - s_k)^{-1}` ulps of it, and read zero
    there, far from the fixed point."""
    # traced by torch.compile the plain step is kept: the compiler fuses the lerp itself
    latest = smoothed = None
    if not is_compiling():
        latest = getattr(f, "_smoothed_step_latest", None)
        smoothed = latest or getattr(f, "_smoothed_step", None)
    # a smoothed half-precision step rounds back to z within (1 - s)^-1 ulps of z, far from the fixed point:
    # it is measured as (1 - s) (f(z) - z), not as the step taken, which would read zero there
    half = z0.dtype in (torch.float16, torch.bfloat16)
    z = z0
    for k in range(monitor.max_iter):
        s = schedule[k]
        residual = None
        if s == 0.0:
            z_new = f(z) if latest is None else latest(z, 0.0)  # (the plain step, into a buffer)
        elif smoothed is not None:
            z_new = smoothed(z, s)
        else:
            fz = f(z)
            z_new = torch.lerp(fz, z, s)
            if half and monitor.measures(k):
                residual = step_difference(fz, z)
        if residual is None:
            z, stop = monitor.accept(k, z, z_new, step_scale=1.0 - s)
        else:
            z, stop = monitor.accept(k, z, z_new, residual=residual, residual_scale=1.0 - s)
        if stop:
            break
    return z


def _graph_gram(G: Tensor, batch: Optional[Tensor], num_graphs: int) -> Tensor:
    """``[B, n, n]`` Gram matrices of the ``n`` history vectors ``G`` (``[n, N, ...]``), one per graph."""
    n = G.shape[0]
    if batch is None:
        flat = G.reshape(n, -1)
        return (flat @ flat.transpose(0, 1)).unsqueeze(0)
    flat = G.reshape(n, G.shape[1], math.prod(G.shape[2:]))  # (-1 cannot be read from a batch of no nodes)
    per_node = torch.einsum("inf,jnf->nij", flat, flat)  # [N, n, n]
    out = per_node.new_zeros(num_graphs, n, n)
    return out.index_add_(0, batch, per_node)


def check_anderson_options(options: dict) -> None:
    """The ranges of :func:`anderson`'s options: ``m`` an int >= 1, ``lam`` >= 0, ``beta`` None or in
    (0, 1] (``beta=0`` would never move)."""
    check_int("m (memory)", options.get("m", 5), minimum=1)
    check_real("lam (regularisation)", options.get("lam", 1e-4), low=0.0)
    check_real("beta (mixing)", options.get("beta"), low=0.0, high=1.0, low_open=True, optional=True)


@register_solver("anderson", check=check_anderson_options)
def anderson(
    f: Callable[[Tensor], Tensor],
    z0: Tensor,
    monitor: IterationMonitor,
    schedule: Sequence[float],
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
    check_anderson_options({"m": m, "lam": lam, "beta": beta})
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
        if len(xs) == 1:
            z_new = z + b * g
        else:
            G = torch.stack(gs)  # [n, N, ...]
            alpha = _anderson_coefficients(G, batch, B, lam, max_coef)
            z_new = _anderson_combine(alpha, torch.stack(xs), G, b, batch)
        z, stop = monitor.accept(k, z, z_new, residual=g, residual_scale=b)  # stop on f(z) - z, not the mix's step
        if stop:
            break
    return z


def _over_graph_peak(G: Tensor, batch: Optional[Tensor], num_graphs: int) -> Tensor:
    """The history ``G`` (``[n, N, ...]``) with each graph's rows over their largest entry (the
    coefficients do not change): the Gram product squares them, and float32 residuals below 1e-19
    squared to zero (above 1e19, to inf), where Anderson fell back to the plain step. The peaks are
    constants to autograd: the coefficients do not depend on them (and torch < 2.3 has no derivative of
    ``aminmax``), so a graph's gradient is the same alone and in a batch."""
    if not G.numel():
        return G
    tiny = torch.finfo(G.dtype).tiny
    if batch is None:  # (aminmax: one pass, without the copy abs() makes; linalg's inf-norm is 5x slower on CPU)
        lo, hi = torch.aminmax(G.detach())
        return G / torch.maximum(hi, -lo).clamp_min(tiny)
    peak = graph_peaks(G.detach().abs().reshape(G.shape[0], G.shape[1], -1).amax(dim=(0, 2)), batch, num_graphs)
    return G / peak.clamp_min(tiny)[batch].view((1, -1) + (1,) * (G.dim() - 2))


def _residual_gram(G: Tensor, batch: Optional[Tensor], num_graphs: int) -> Tensor:
    """``[B, n, n]`` Gram matrices of the history ``G``, one per graph, of each graph's rows over their
    largest entry (:func:`_over_graph_peak`) where the squares may have underflowed or overflowed. On
    the CPU, where reading a value back costs nothing, the plain product is kept where every diagonal
    entry is above the dtype's smallest normal number over its eps and below its largest over ``n``
    (their mean normalises the system): the common case, where the rescaled copy of the history made
    a 30-step solve 10-20% slower. Elsewhere (and under ``torch.compile``) the history is always
    rescaled, without a read-back."""
    if free_read_back(G.device):
        H = _graph_gram(G, batch, num_graphs)
        d = H.diagonal(dim1=-2, dim2=-1)
        fine = torch.finfo(G.dtype)
        # (below max / n: the mean of the n entries that normalises the system must not overflow either)
        if bool(((d > fine.tiny / fine.eps) & (d < fine.max / d.shape[-1])).all()):  # (NaN and inf: False)
            return H
    return _graph_gram(_over_graph_peak(G, batch, num_graphs), batch, num_graphs)


def _anderson_coefficients(G: Tensor, batch: Optional[Tensor], num_graphs: int, lam: float,
                           max_coef: float) -> Tensor:
    """``[B, n]`` mixing coefficients of the residual history ``G`` (``[n, N, ...]``), one row per graph:
    the solution of the bordered, Tikhonov-regularised least-squares system, or the plain step
    (weight 1 on the newest residual) for a graph whose system is singular, non-finite or whose
    coefficients exceed ``max_coef`` (they would cancel away every significant digit). In ``G``'s
    dtype; the system is solved in float32 at least."""
    n = G.shape[0]
    acc = torch.float32 if G.dtype in (torch.float16, torch.bfloat16) else G.dtype
    H = _residual_gram(G.to(acc), batch, num_graphs)  # [B, n, n]
    # the Gram matrix over its mean diagonal (the coefficients do not change), so that the bordered
    # system's two blocks are of one size whatever the residuals' scale (of 1e-16, they were 1e-32
    # against the border's 1, and the solve lost its digits); lam is relative to that mean
    scale = H.diagonal(dim1=-2, dim2=-1).mean(-1, keepdim=True).clamp_min(torch.finfo(acc).tiny)
    eye = torch.eye(n, device=H.device, dtype=acc)
    H = H / scale.unsqueeze(-1) + lam * eye
    bord = H.new_zeros(H.shape[0], n + 1, n + 1)
    bord[:, 0, 1:] = 1.0
    bord[:, 1:, 0] = 1.0
    bord[:, 1:, 1:] = H
    rhs = H.new_zeros(H.shape[0], n + 1)
    rhs[:, 0] = 1.0
    sol, err = torch.linalg.solve_ex(bord, rhs)
    alpha = sol[:, 1:]  # [B, n]
    bad = (err != 0) | ~torch.isfinite(alpha).all(-1) | (alpha.abs().amax(-1) > max_coef)
    plain = torch.zeros_like(alpha)
    plain[:, -1] = 1.0
    return torch.where(bad.unsqueeze(-1), plain, torch.nan_to_num(alpha)).to(G.dtype)


def _anderson_combine(alpha: Tensor, X: Tensor, G: Tensor, b: float, batch: Optional[Tensor]) -> Tensor:
    """The next iterate :math:`\\sum_i \\alpha_i (x_i + b g_i)` of each graph's rows, from the iterates
    ``X`` and residuals ``G`` (``[n, N, ...]``) and the ``[B, n]`` coefficients ``alpha``."""
    n = G.shape[0]
    if batch is None:
        a = alpha[0].view((n,) + (1,) * (G.dim() - 1))
    else:
        a = alpha[batch].transpose(0, 1).reshape(n, -1, *([1] * (G.dim() - 2)))
    return (a * (X + b * G)).sum(0)
