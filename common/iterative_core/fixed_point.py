"""The entry point: solve ``z = f(z)`` with a registered solver and a gradient mode."""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor

from ._keys import check_choice, check_keys
from .info import POLICIES, FixedPointInfo, apply_policy
from .monitor import IterationMonitor
from .schedules import Smoothing, resolve_schedule
from .solvers import check_solver_options, get_solver

__all__ = ["fixed_point", "GRAD_MODES", "STOP_RULES", "FIXED_POINT_KEYS"]

GRAD_MODES = ("unrolled", "implicit", "phantom")
STOP_RULES = ("rel", "abs")
FIXED_POINT_KEYS = (
    "max_iter", "tol", "smoothing", "solver", "solver_options", "stop", "min_iter", "check_every", "trace",
    "batch", "num_graphs", "grad", "phantom_steps", "backward_tol", "backward_max_iter",
    "backward_solver", "backward_solver_options", "on_nonconvergence", "on_divergence", "divergence_growth",
)


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
        max_iter: the most steps; may be left out when ``smoothing`` is a sequence (its length).
        tol: stop once the residual is ``<= tol``; None runs exactly ``max_iter`` steps and never
            synchronises with the device inside the loop.
        smoothing: a float or a schedule (one factor per step, see :mod:`iterative_core.schedules`).
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
            point of a contraction it does not depend on ``z0``).
        phantom_steps: ``k`` of ``grad="phantom"``; the gradient is exact for the function "the last
            ``k`` steps from a fixed start" and tends to the implicit one as ``k`` grows.
        backward_tol, backward_max_iter, backward_solver, backward_solver_options: the adjoint
            solve of ``grad="implicit"`` (defaults: the forward ``tol``, ``max_iter``, ``solver``
            and, for the same solver, its options). Its statistics land in ``info.backward``.
        on_nonconvergence, on_divergence: ``"warn"``, ``"raise"`` (:class:`ConvergenceError`) or
            ``"ignore"``, for the forward and the adjoint solve. Divergence: NaN/Inf, or a residual
            that grew ``divergence_growth`` times with a contraction factor above 1. Checking for
            divergence reads one value from the device after the loop; ``on_divergence="ignore"``
            with ``tol=None`` makes the whole call free of synchronisation.

    Returns:
        ``(z, info)``: the last iterate and a :class:`FixedPointInfo`.
    """
    if unknown:
        check_keys("fixed_point()", unknown, FIXED_POINT_KEYS)
    if not isinstance(z0, Tensor):
        raise TypeError(f"z0 must be a torch.Tensor, got {type(z0).__name__}")
    check_choice("gradient mode (grad)", grad, GRAD_MODES)
    check_choice("stopping rule (stop)", stop, STOP_RULES)
    check_choice("on_nonconvergence policy", on_nonconvergence, POLICIES)
    check_choice("on_divergence policy", on_divergence, POLICIES)
    solve = get_solver(solver)
    solver_options = dict(solver_options or {})
    check_solver_options(solver, solver_options)
    schedule, max_iter = resolve_schedule(smoothing, max_iter)
    if tol is not None and not tol >= 0:
        raise ValueError(f"tol must be None or >= 0, got {tol}")
    if min_iter < 0 or min_iter > max_iter:
        raise ValueError(f"min_iter must lie in [0, max_iter={max_iter}], got {min_iter}")
    if batch is not None:
        if batch.dim() != 1 or batch.shape[0] != z0.shape[0]:
            raise ValueError(
                f"batch must be a 1-D tensor with one entry per row of z0 ({z0.shape[0]}), got shape {tuple(batch.shape)}"
            )
        if batch.dtype != torch.long:
            raise ValueError(f"batch must be an int64 tensor, got {batch.dtype}")

    needs_grad = torch.is_grad_enabled()
    tail = 0  # steps taken with gradients after a gradient-free solve
    if grad != "unrolled" and needs_grad and max_iter > 0:
        if grad == "phantom":
            if phantom_steps < 1:
                raise ValueError(f"phantom_steps must be >= 1, got {phantom_steps}")
            tail = min(phantom_steps, max_iter)
        else:
            tail = 1
    monitor = IterationMonitor(
        z0, max_iter=max_iter - tail, min_iter=min(min_iter, max_iter - tail), tol=tol, stop=stop,
        batch=batch, num_graphs=num_graphs, check_every=check_every, trace=trace,
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
        _attach_implicit_backward(
            z, y, z_in, info,
            solver=backward_solver or solver,
            solver_options=backward_solver_options if backward_solver_options is not None
            else (solver_options if (backward_solver or solver) == solver else {}),
            tol=backward_tol if backward_tol is not None else tol,
            max_iter=backward_max_iter if backward_max_iter is not None else max(max_iter, 1),
            stop=stop, batch=batch, num_graphs=monitor.num_graphs if batch is not None else None,
            on_nonconvergence=on_nonconvergence, on_divergence=on_divergence, divergence_growth=divergence_growth,
        )
    apply_policy(info, on_nonconvergence, on_divergence)
    return z, info


def _attach_implicit_backward(
    z_out: Tensor, y: Tensor, z_in: Tensor, info: FixedPointInfo, *, solver: str, solver_options: dict,
    tol: Optional[float], max_iter: int, stop: str, batch: Optional[Tensor], num_graphs: Optional[int],
    on_nonconvergence: str, on_divergence: str, divergence_growth: float,
) -> None:
    r"""Make the gradient reaching ``z_out = T(z^*)`` the implicit one.

    With :math:`J = \partial T / \partial z` at :math:`z^*` and :math:`v = \partial L / \partial z^*`,
    the implicit function theorem gives :math:`dL/d\theta = (\partial T/\partial\theta)^\top g` with
    :math:`g = (I - J^\top)^{-1} v`, the fixed point of :math:`g = J^\top g + v`. That adjoint fixed
    point is solved with the registered solver (no smoothing: the relaxation is already in ``T``)
    through vector-Jacobian products of the one application of ``T`` kept in the autograd graph;
    autograd then carries :math:`g` through that same application to the parameters. The adjoint
    solve's statistics land in ``info.backward`` and obey the same policies as the forward solve.
    """
    check_solver_options(solver, solver_options)
    bsolve = get_solver(solver)

    def hook(v: Optional[Tensor]) -> Optional[Tensor]:
        if v is None:  # an undefined gradient (autograd's convention for zeros) stays undefined
            return None

        def adjoint(g: Tensor) -> Tensor:
            (vjp,) = torch.autograd.grad(y, z_in, g, retain_graph=True)
            return vjp + v

        mon = IterationMonitor(v, max_iter=max_iter, tol=tol, stop=stop, batch=batch, num_graphs=num_graphs)
        with torch.no_grad():
            g = bsolve(adjoint, v, mon, [0.0] * max_iter, **solver_options)
        info.backward = FixedPointInfo(
            solver=solver, grad=info.grad, tol=tol, stop=stop, divergence_growth=divergence_growth,
            phase="backward", **mon.records(g),
        )
        apply_policy(info.backward, on_nonconvergence, on_divergence)
        return g

    z_out.register_hook(hook)
