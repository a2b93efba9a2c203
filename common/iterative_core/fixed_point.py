"""The entry point: solve ``z = f(z)`` with a registered solver and a gradient mode."""
from __future__ import annotations

import warnings
from typing import Callable, Optional

import torch
from torch import Tensor

from ._keys import check_keys
from .checks import check_flag, check_int, check_real, check_solve_options, got
from .info import ConvergenceError, ConvergenceWarning, FixedPointInfo, apply_policy
from .monitor import IterationMonitor
from .schedules import Schedule, Smoothing, resolve_schedule
from .solvers import check_solver_options, get_solver

__all__ = ["fixed_point", "GRAD_MODES", "STOP_RULES", "FIXED_POINT_KEYS", "IMPLICIT_POINT_TOL"]

GRAD_MODES = ("unrolled", "implicit", "phantom")
STOP_RULES = ("rel", "abs")
FIXED_POINT_KEYS = (
    "max_iter", "tol", "smoothing", "solver", "solver_options", "stop", "min_iter", "check_every", "trace",
    "batch", "num_graphs", "grad", "phantom_steps", "backward_tol", "backward_max_iter",
    "backward_solver", "backward_solver_options", "on_nonconvergence", "on_divergence", "divergence_growth",
    "validate",
)

#: with ``grad="implicit"`` and no ``tol`` (nor ``backward_tol``), the forward's last relative residual
#: above which the point the gradient is taken at is not a fixed point (a warning, see ``on_nonconvergence``)
IMPLICIT_POINT_TOL = 1e-4


def _relaxed_step(f: Callable[[Tensor], Tensor], z: Tensor, s: float) -> Tensor:
    fz = f(z)
    return fz if s == 0.0 else torch.lerp(fz, z, s)


def fixed_point(
    f: Callable[[Tensor], Tensor],
    z0: Tensor,
    *,
    max_iter: Optional[int] = None,
    tol: Optional[float] = None,
    smoothing: Smoothing = 0.5,
    solver: str = "picard",
    solver_options: Optional[dict] = None,
    stop: str = "rel",
    min_iter: int = 0,
    check_every: int = 1,
    trace: bool = False,
    batch: Optional[Tensor] = None,
    num_graphs: Optional[int] = None,
    grad: str = "unrolled",
    phantom_steps: int = 1,
    backward_tol: Optional[float] = None,
    backward_max_iter: Optional[int] = None,
    backward_solver: Optional[str] = None,
    backward_solver_options: Optional[dict] = None,
    on_nonconvergence: str = "warn",
    on_divergence: str = "warn",
    divergence_growth: float = 1e3,
    validate: bool = True,
    **unknown,
) -> tuple[Tensor, FixedPointInfo]:
    r"""Solve :math:`z^* = f(z^*)` starting from ``z0``.

    The default solver is the Krasnoselskii-Mann iteration

    .. math::
        z_{k+1} = s_k z_k + (1 - s_k) f(z_k),

    which converges to the unique fixed point when ``f`` is a contraction (Banach), and for
    ``0 < s_k < 1`` also when ``f`` is only non-expansive.

    Args:
        f: the operator, any callable (typically a closure over ``nn.Parameter``\ s). Every gradient
            mode delivers gradients to the parameters and tensors ``f`` closes over.
        z0: the initial iterate. A warm start (e.g. the previous epoch's fixed point, detached) cuts
            the iterations needed to reach ``tol``; started at the fixed point, one step suffices.
        max_iter: the most steps, an int ``>= 0``; may be left out when ``smoothing`` is a sequence
            (its length). Memory and time follow the steps taken, not this cap.
        tol: stop once the residual is ``<= tol``; None runs exactly ``max_iter`` steps and never
            synchronises with the device inside the loop.
        smoothing: a float or a schedule (one factor per step, see :mod:`iterative_core.schedules`):
            a sequence with at least ``max_iter`` entries (a shorter one, or a generator, is refused).
        solver: a registered solver name (``"picard"``, ``"anderson"``, or your own).
        solver_options: the solver's own keywords (e.g. ``{"m": 5}`` for Anderson).
        stop: ``"rel"`` (:math:`\|z_{k+1}-z_k\| / \|z_k\|`) or ``"abs"`` (:math:`\|z_{k+1}-z_k\|`),
            norms over the whole tensor (over a graph's rows with ``batch``).
        min_iter: never stop before this many steps.
        check_every: with a ``tol``, test it every this many steps (one synchronisation per test).
        trace: measure and record the residual of every step (``info.residuals``). By default only the
            steps that need it are measured: the first, the last two (final residual, contraction
            factor, divergence test) and, with a ``tol``, every test; the others read NaN. Measuring a
            step reads the iterates three more times, as much memory traffic as a cheap step itself.
        batch: ``[N]`` graph index of each row of ``z``: each graph is its own problem, stops on its
            own (a converged graph no longer changes) and, with Anderson, has its own mixing
            coefficients; ``info.converged`` is then a per-graph tensor.
        num_graphs: the number of graphs in ``batch`` (saves one synchronisation).
        grad: ``"unrolled"`` (backpropagate through every step), ``"implicit"`` (implicit function
            theorem: the solve runs without gradients, one more step is kept in the autograd graph,
            and the backward pass solves the adjoint :math:`g = J^\top g + \partial L/\partial z^*`;
            memory independent of the number of steps) or ``"phantom"`` (the solve runs without
            gradients and its last ``phantom_steps`` steps are backpropagated through). In the
            implicit and phantom modes the gradient with respect to ``z0`` is zero (at a fixed
            point of a contraction it does not depend on ``z0``). The implicit gradient is exact at a
            fixed point only: when the backward pass runs, a forward solve that did not reach ``tol``
            (without a ``tol``: whose last relative residual is above ``backward_tol``, or above
            :data:`IMPLICIT_POINT_TOL` = 1e-4 when neither is given) is reported under
            ``on_nonconvergence`` (a call made free of synchronisation, ``tol=None`` with
            ``on_divergence="ignore"``, skips this check). Its gradients are first-order only: a
            backward pass with ``create_graph=True`` through it raises (use ``"unrolled"``).
        phantom_steps: ``k`` of ``grad="phantom"``; the gradient is exact for the function "the last
            ``k`` steps from a fixed start" and tends to the implicit one as ``k`` grows.
        backward_tol, backward_max_iter, backward_solver, backward_solver_options: the adjoint
            solve of ``grad="implicit"`` (defaults: the forward ``tol``, ``max_iter``, ``solver``
            and, for the same solver, its options). Its statistics land in ``info.backward``.
        on_nonconvergence, on_divergence: ``"warn"``, ``"raise"`` (:class:`ConvergenceError`) or
            ``"ignore"``, for the forward and the adjoint solve. Divergence: NaN/Inf (in ``z0``, which
            the message says with the number of entries, or appearing during the iteration); a
            residual that grew ``divergence_growth`` times with a contraction factor above 1; or an
            expansive iteration, a contraction factor above 1.5 with an iterate grown 200-fold
            (:data:`iterative_core.info.EXPANSION_FACTOR`, :data:`~iterative_core.info.EXPANSION_GROWTH`),
            which also catches a fixed number of steps blowing up. Checking for divergence reads a
            few values from the device after the loop; ``on_divergence="ignore"`` with ``tol=None``
            makes the whole call free of synchronisation.
        divergence_growth: see above (``>= 1``).
        validate: check that ``batch``'s graph indices lie in ``0..num_graphs-1`` (one
            synchronisation; made anyway when ``num_graphs`` is None, and skipped when the call is
            otherwise free of synchronisation: ``tol=None`` and ``on_divergence="ignore"``).

    Every option is checked before the solve starts: a value of the wrong type raises ``TypeError``,
    one out of range ``ValueError``, naming the argument, the value and what is valid.

    Returns:
        ``(z, info)``: the last iterate and a :class:`FixedPointInfo`.
    """
    where = "fixed_point()"
    if unknown:
        check_keys(where, unknown, FIXED_POINT_KEYS)
    if not callable(f):
        raise TypeError(f"{where}: f must be a callable z -> f(z), got {got(f)}")
    if not isinstance(z0, Tensor):
        raise TypeError(f"{where}: z0 must be a torch.Tensor, got {type(z0).__name__}")
    schedule, max_iter = resolve_schedule(smoothing, max_iter, where=where)
    opts = check_solve_options(
        where=where, max_iter=max_iter, max_iter_name="max_iter", tol=tol, stop=stop, min_iter=min_iter,
        check_every=check_every, trace=trace, grad=grad, phantom_steps=phantom_steps, backward_tol=backward_tol,
        backward_max_iter=backward_max_iter, solver=solver, solver_options=solver_options,
        backward_solver=backward_solver, backward_solver_options=backward_solver_options,
        on_nonconvergence=on_nonconvergence, on_divergence=on_divergence,
    )
    tol, min_iter, backward_tol = opts["tol"], opts["min_iter"], opts["backward_tol"]
    solver_options = opts["solver_options"]
    divergence_growth = check_real("divergence_growth", divergence_growth, low=1.0, where=where)
    validate = check_flag("validate", validate, where=where)
    solve = get_solver(solver)
    if batch is not None:
        num_graphs = _check_batch(batch, z0, num_graphs, where,
                                  read=validate and (tol is not None or on_divergence != "ignore"))
    elif num_graphs is not None:
        check_int("num_graphs", num_graphs, minimum=0, where=where)

    needs_grad = torch.is_grad_enabled()
    tail = 0  # steps taken with gradients after a gradient-free solve
    if grad != "unrolled" and needs_grad and max_iter > 0:
        tail = min(opts["phantom_steps"], max_iter) if grad == "phantom" else 1
    monitor = IterationMonitor(
        z0, max_iter=max_iter - tail, min_iter=min(min_iter, max_iter - tail), tol=tol, stop=stop,
        batch=batch, num_graphs=num_graphs, check_every=opts["check_every"], trace=opts["trace"],
    )
    if tail:
        with torch.no_grad():
            z = solve(f, z0, monitor, schedule, **solver_options)
        z = z.detach()
    else:
        z = solve(f, z0, monitor, schedule, **solver_options)

    z_in = y = None
    for j in range(tail):
        k = monitor.iterations
        s = schedule[min(k, max_iter - 1)]
        if grad == "implicit":
            z_in = z.detach().requires_grad_()
            y = _relaxed_step(f, z_in, s)
            # the hook sits on an alias of y, so the adjoint's VJPs through y do not re-enter it
            z_new = y.view_as(y)
        else:
            z_new = _relaxed_step(f, z, s)
        # recorded like any step, but every graph takes the gradient steps (none is frozen)
        z, _ = monitor.accept(k, z, z_new, every_graph=True)

    info = FixedPointInfo(
        solver=solver, grad=grad, tol=tol, stop=stop, divergence_growth=divergence_growth,
        **monitor.records(z),
    )
    if grad == "implicit" and z_in is not None and z.requires_grad:
        bsolver = opts["backward_solver"] or solver
        bopts = opts["backward_solver_options"]
        # the point the gradient is taken at must be a fixed point to this tolerance; a call made free
        # of synchronisation (tol=None, on_divergence="ignore") stays so and skips the check
        point_check = None
        if on_nonconvergence != "ignore" and not (tol is None and on_divergence == "ignore"):
            if tol is not None:
                point_check = (tol, stop, "tol")
            elif backward_tol is not None:
                point_check = (backward_tol, stop, "backward_tol")
            else:
                point_check = (IMPLICIT_POINT_TOL, "rel", "the default for tol=None")
        _attach_implicit_backward(
            z, y, z_in, info,
            solver=bsolver,
            solver_options=bopts if bopts is not None else (solver_options if bsolver == solver else {}),
            tol=backward_tol if backward_tol is not None else tol,
            max_iter=opts["backward_max_iter"] if opts["backward_max_iter"] is not None else max(max_iter, 1),
            stop=stop, batch=batch, num_graphs=monitor.num_graphs if batch is not None else None,
            on_nonconvergence=on_nonconvergence, on_divergence=on_divergence, divergence_growth=divergence_growth,
            point_check=point_check,
        )
    if on_divergence != "ignore" and info.divergence_reason == "input":
        info.set_input_nonfinite(int((~torch.isfinite(z0.detach())).sum()))
    apply_policy(info, on_nonconvergence, on_divergence)
    return z, info


def _check_batch(batch, z0: Tensor, num_graphs, where: str, *, read: bool) -> Optional[int]:
    """Check ``batch`` (and ``num_graphs``); return ``num_graphs``, read from ``batch`` when None.

    The range of the graph indices is read back (one synchronisation, the one that finding
    ``num_graphs`` takes anyway) when ``num_graphs`` is None or ``read`` is True."""
    if not isinstance(batch, Tensor):
        raise TypeError(f"{where}: batch must be a 1-D int64 tensor (the graph of each row of z0), got {got(batch)}")
    if batch.dim() != 1 or batch.shape[0] != z0.shape[0]:
        raise ValueError(
            f"{where}: batch must be a 1-D tensor with one entry per row of z0 ({z0.shape[0]}), "
            f"got shape {tuple(batch.shape)}"
        )
    if batch.dtype != torch.long:
        raise ValueError(f"{where}: batch must be an int64 tensor, got {batch.dtype}")
    if batch.device != z0.device:
        raise ValueError(f"{where}: batch is on {batch.device} but z0 is on {z0.device}")
    num_graphs = check_int("num_graphs", num_graphs, minimum=0, optional=True, where=where)
    if batch.numel() == 0 or not (read or num_graphs is None):
        return num_graphs
    lo, hi = (int(v) for v in torch.stack(torch.aminmax(batch)).tolist())
    if lo < 0:
        raise ValueError(f"{where}: batch holds the negative graph index {lo}; graph indices must lie in "
                         f"0..num_graphs-1")
    if num_graphs is None:
        return hi + 1
    if hi >= num_graphs:
        raise ValueError(
            f"{where}: batch holds the graph index {hi} but num_graphs={num_graphs} (valid indices "
            f"0..{num_graphs - 1}); pass num_graphs >= {hi + 1}, or leave it out to read it from batch"
        )
    return num_graphs


def _attach_implicit_backward(
    z_out: Tensor, y: Tensor, z_in: Tensor, info: FixedPointInfo, *, solver: str, solver_options: dict,
    tol: Optional[float], max_iter: int, stop: str, batch: Optional[Tensor], num_graphs: Optional[int],
    on_nonconvergence: str, on_divergence: str, divergence_growth: float,
    point_check: Optional[tuple] = None,
) -> None:
    r"""Make the gradient reaching ``z_out = T(z^*)`` the implicit one.

    With :math:`J = \partial T / \partial z` at :math:`z^*` and :math:`v = \partial L / \partial z^*`,
    the implicit function theorem gives :math:`dL/d\theta = (\partial T/\partial\theta)^\top g` with
    :math:`g = (I - J^\top)^{-1} v`, the fixed point of :math:`g = J^\top g + v`. That adjoint fixed
    point is solved with the registered solver (no smoothing: the relaxation is already in ``T``)
    through vector-Jacobian products of the one application of ``T`` kept in the autograd graph;
    autograd then carries :math:`g` through that same application to the parameters. The adjoint
    solve's statistics land in ``info.backward`` and obey the same policies as the forward solve.

    The theorem holds at a fixed point only: ``point_check = (tol, metric, source)`` makes the backward
    pass report (``on_nonconvergence``) a forward solve that did not reach ``tol``. Second-order
    gradients (a backward pass with ``create_graph=True``) are refused: the adjoint solve is
    first-order only, so differentiating its result again would be silently wrong.
    """
    check_solver_options(solver, solver_options)
    bsolve = get_solver(solver)

    def hook(v: Optional[Tensor]) -> Optional[Tensor]:
        if torch.is_grad_enabled():
            raise RuntimeError(
                "grad='implicit' gives first-order gradients only: this backward pass records a graph for "
                "higher-order derivatives (create_graph=True, e.g. torch.autograd.grad(..., create_graph=True) "
                "or a gradient penalty), and the implicit adjoint solve would differentiate wrongly through it. "
                "Use grad='unrolled' (exact through every step) for second-order gradients."
            )
        if v is None:  # an undefined gradient (autograd's convention for zeros) stays undefined
            return None
        if point_check is not None:
            _check_implicit_point(info, *point_check, on_nonconvergence=on_nonconvergence, batch=batch)

        def adjoint(g: Tensor) -> Tensor:
            (vjp,) = torch.autograd.grad(y, z_in, g, retain_graph=True)
            return vjp + v

        mon = IterationMonitor(v, max_iter=max_iter, tol=tol, stop=stop, batch=batch, num_graphs=num_graphs)
        with torch.no_grad():
            g = bsolve(adjoint, v, mon, Schedule(max_iter, value=0.0), **solver_options)
        info.backward = FixedPointInfo(
            solver=solver, grad=info.grad, tol=tol, stop=stop, divergence_growth=divergence_growth,
            phase="backward", **mon.records(g),
        )
        apply_policy(info.backward, on_nonconvergence, on_divergence)
        return g

    z_out.register_hook(hook)


def _check_implicit_point(info: FixedPointInfo, tol: float, metric: str, source: str, *,
                          on_nonconvergence: str, batch: Optional[Tensor]) -> None:
    """Warn or raise (``on_nonconvergence``) when the implicit gradient is taken at a point that is not a
    fixed point to ``tol``: the forward solve did not reach its ``tol`` (``source == "tol"``), or its
    last step's residual (in ``metric``; the largest over the graphs with a batch) is above ``tol``."""
    if source == "tol":
        conv = info.converged
        ok = bool(conv.all()) if isinstance(conv, Tensor) else bool(conv)
    else:
        ok = True
    if batch is not None and metric == info.stop and info.graph_residuals is not None and info.iterations:
        last = info.graph_residuals[-1]
        res = float(last.max()) if last.numel() else 0.0
        if last.numel() and not bool(torch.isfinite(last).all()):
            res = float("nan")
    else:
        res = info.final_residual if metric == "rel" else (
            float(info.abs_residuals[-1]) if info.abs_residuals.numel() else float("nan"))
    if source != "tol":
        ok = res <= tol  # NaN is not a fixed point either
    if ok:
        return
    kind = "relative" if metric == "rel" else "absolute"
    msg = (
        f"grad='implicit': the implicit gradient is taken at a point that is not a fixed point: the forward "
        f"solve's last {kind} residual is {res:.3g}, above {tol:g} ({source}), after {info.iterations} "
        f"iterations, so the implicit function theorem does not apply and the gradient is inaccurate. "
        "Give a `tol` and enough iterations for the forward solve to reach it (`contraction=kappa` guarantees "
        "convergence), or use grad='unrolled' (the exact gradient of the steps taken)."
    )
    if on_nonconvergence == "raise":
        raise ConvergenceError(msg, info)
    warnings.warn(msg, ConvergenceWarning, stacklevel=2)
