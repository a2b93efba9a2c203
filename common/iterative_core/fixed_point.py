"""The entry point: solve ``z = f(z)`` with a registered solver and a gradient mode."""
from __future__ import annotations

import math
from typing import Callable, Optional, Union

import torch
from torch import Tensor

from ._compile import is_batched_gradient, is_compiling, under_transform, under_vmap
from ._keys import check_keys
from .checks import check_int, check_one_graph, got
from .config import GRAD_MODES, STOP_RULES, SolveConfig, option_names
from .info import FixedPointInfo, _emit, apply_policy, beside, tol_text
from .monitor import IterationMonitor, _relative, coarser_dtype, step_difference
from .schedules import Schedule
from .solvers import get_solver

__all__ = ["fixed_point", "GRAD_MODES", "STOP_RULES", "FIXED_POINT_KEYS", "IMPLICIT_POINT_TOL", "implicit_point_tol"]

#: the keywords of :func:`fixed_point` beyond ``f`` and ``z0``: the fields of :class:`SolveConfig`, the
#: config itself, and the two that describe the call's input rather than the solve
FIXED_POINT_KEYS = option_names(SolveConfig) + ("config", "batch", "num_graphs", "returned_dtype")

#: with ``grad="implicit"`` and no ``tol`` (nor ``backward_tol``), the forward's last relative residual
#: above which the point the gradient is taken at is not a fixed point (a warning, see ``on_nonconvergence``)
IMPLICIT_POINT_TOL = 1e-4


def _relaxed_step(f: Callable[[Tensor], Tensor], z: Tensor, s: Union[float, Tensor],
                  measure: bool = False) -> tuple[Tensor, Optional[Tensor]]:
    """``(z_new, measured)``: the smoothed step, and, for a half-precision ``z`` (or with ``measure``, any),
    the step to measure, :math:`(1 - s)(f(z) - z)` (the step taken rounds back to ``z`` within
    :math:`(1 - s)^{-1}` ulps of it, far from the fixed point: see :func:`iterative_core.solvers.picard`;
    in float32 with ``s`` near 1, 0.99999, too); else None."""
    fz = f(z)
    if isinstance(s, float) and s == 0.0:
        return fz, None
    measured = None
    if measure or z.dtype in (torch.float16, torch.bfloat16):
        diff = step_difference(fz, z)
        measured = diff * (1.0 - s if isinstance(s, float) else (1.0 - s).to(diff.dtype))
    return torch.lerp(fz, z, s), measured


def fixed_point(
    f: Callable[[Tensor], Tensor],
    z0: Tensor,
    *,
    config: Optional[SolveConfig] = None,
    batch: Optional[Tensor] = None,
    num_graphs: Optional[int] = None,
    returned_dtype: Optional[torch.dtype] = None,
    **options,
) -> tuple[Tensor, FixedPointInfo]:
    r"""Solve :math:`z^* = f(z^*)` starting from ``z0``.

    The default solver is the Krasnoselskii-Mann iteration

    .. math::
        z_{k+1} = s_k z_k + (1 - s_k) f(z_k),

    which converges to the unique fixed point when ``f`` is a contraction (Banach), and for a constant
    ``0 < s < 1`` (a schedule: where :math:`\sum_k s_k (1 - s_k)` diverges) to a fixed point when
    ``f`` is only non-expansive and has one (Krasnoselskii-Mann; it need not be unique: ``f(z) = z``
    keeps the start, and ``f(z) = z + 1`` has none).

    Args:
        f: the operator, any callable (typically a closure over ``nn.Parameter``\ s). Every gradient
            mode delivers gradients to the parameters and tensors ``f`` closes over. A map whose
            steps compute in a coarser dtype than ``z0``'s (bfloat16 steps of a float32 iterate) may
            say so as ``f.compute_dtype`` (a ``torch.dtype``; other values are ignored): its steps are
            then judged at that dtype's rounding floor.
        z0: the initial iterate. A warm start (e.g. the previous epoch's fixed point, detached) cuts
            the iterations needed to reach ``tol``; started at the fixed point, one step suffices.
        config: a :class:`~iterative_core.SolveConfig`, the solve's options as one checked object
            (a layer passes its own); None: the defaults.
        batch: ``[N]`` graph index of each row of ``z``: each graph is its own problem, stops on its
            own (a converged graph no longer changes) and, with Anderson, has its own mixing
            coefficients; ``info.converged`` is then a per-graph tensor.
        num_graphs: the number of graphs in ``batch`` (saves one synchronisation); without
            ``batch`` the rows are one graph, and only 1 is accepted.
        returned_dtype: the dtype the caller returns the answer in, when it iterates in a wider one
            (a float16 layer iterates in float32): the messages then say what overflows it.
        **options: any field of :class:`~iterative_core.SolveConfig` (``max_iter``, ``tol``,
            ``smoothing``, ``solver``, ``grad`` ...; :func:`~iterative_core.options_table` lists them
            all with their types, defaults and meanings), overriding ``config``'s. An unknown keyword
            is a ``TypeError`` listing the valid ones.

    Every option is checked before the solve starts (once, when the config is made: a config passed
    alone is used as it is): a value of the wrong type raises ``TypeError``, one out of range
    ``ValueError``, naming the argument, the value and what is valid.

    Returns:
        ``(z, info)``: the last iterate and a :class:`FixedPointInfo`.
    """
    where = "fixed_point()"
    if under_vmap():  # (it failed inside torch: "Batching rule not implemented for aten::_foreach_norm")
        raise RuntimeError(f"{where}: torch.func.vmap cannot batch the solve, which measures every step's norm and "
                           "reads it back to stop; stack the problems as rows of one z0 with a batch vector (batch=: "
                           "each then stops on its own), or loop over them")
    if options:
        check_keys(where, options, FIXED_POINT_KEYS)
    if not callable(f):
        raise TypeError(f"{where}: f must be a callable z -> f(z), got {got(f)}")
    if not isinstance(z0, Tensor):
        raise TypeError(f"{where}: z0 must be a torch.Tensor, got {type(z0).__name__}")
    if not z0.is_floating_point():  # (one test on the hot path: torch 2.2's dynamo breaks its graph at is_complex)
        if z0.is_complex():
            raise TypeError(f"{where}: z0 has dtype {z0.dtype}; complex iterates are not supported (the residual "
                            f"norms and Anderson's least squares are real): iterate torch.view_as_real(z0) instead")
        raise TypeError(f"{where}: z0 has dtype {z0.dtype}; the iterates are averaged, so z0 must be floating "
                        f"point (e.g. z0.float())")
    cfg = _solve_config(config, options, where)
    # the dtype the steps resolve: z0's, or f's compute_dtype where f says it computes in a coarser one
    # (a layer's step in bfloat16 of a float32 iterate; not read under torch.compile, as in _checked_map)
    precision = z0.dtype if is_compiling() else coarser_dtype(z0.dtype, getattr(f, "compute_dtype", None))
    _check_tol_resolvable(cfg, z0.dtype, where)
    if returned_dtype is not None and not (isinstance(returned_dtype, torch.dtype) and returned_dtype.is_floating_point):
        raise TypeError(f"{where}: returned_dtype must be a floating torch.dtype or None, got {got(returned_dtype)}")
    # who the user called: a layer names itself on its map (f.map_label), else fixed_point()
    caller = where if is_compiling() else getattr(f, "map_label", (where,))[0]
    f = _checked_map(f, z0, where)
    schedule, max_iter = cfg.schedule(where)
    if not is_compiling():  # a solver registered anew (overwrite=True) since the config's options were checked
        cfg.check_registered_solvers(caller)
    solve = get_solver(cfg.solver)
    if batch is not None:
        num_graphs = _check_batch(batch, z0, num_graphs, where,
                                  read=cfg.validate and (cfg.tol is not None or cfg.on_divergence != "ignore"))
    else:
        check_one_graph(check_int("num_graphs", num_graphs, minimum=0, optional=True, where=where), where, "z0's rows")

    z, monitor, kept = _iterate(f, z0, cfg, solve, schedule, max_iter, batch, num_graphs, precision, caller)
    info = FixedPointInfo(
        solver=cfg.solver, grad=cfg.grad, tol=cfg.tol, stop=cfg.stop, divergence_growth=cfg.divergence_growth,
        **monitor.records(z),
    )
    info._returned_dtype = returned_dtype
    if z.requires_grad and not is_compiling() and not cfg.gradient_warned:
        cfg.warn_doubtful_gradient(where)  # (a layer warns before it calls, in its own name)
    if kept is not None and z.requires_grad:  # grad="implicit": the step kept in the autograd graph
        _check_adjoint_tol_resolvable(cfg, z.dtype, where)
        attach = _attach_outside_graph if is_compiling() else _attach_implicit_backward
        z = attach(*kept, info, cfg, max_iter=max_iter, batch=batch,
                   num_graphs=monitor.num_graphs if batch is not None else None)
    if cfg.on_divergence != "ignore" or (cfg.tol is not None and cfg.on_nonconvergence != "ignore"):
        # the policies read values back: traced by torch.compile, they run after the compiled graph
        (_policies_outside_graph if is_compiling() else _apply_policies)(info, cfg, z0)
    return z, info


def _apply_policies(info: FixedPointInfo, cfg: SolveConfig, z0: Tensor) -> None:
    """Warn or raise as ``cfg``'s ``on_divergence`` and ``on_nonconvergence`` say (see
    :func:`~iterative_core.info.apply_policy`), with the count of NaN/Inf entries of ``z0`` when the
    solve diverged from its input."""
    _count_nonfinite_input(info, cfg, z0)
    apply_policy(info, cfg.on_nonconvergence, cfg.on_divergence)


def _count_nonfinite_input(info: FixedPointInfo, cfg: SolveConfig, z0: Tensor) -> None:
    """Where the solve diverged from its input (and ``on_divergence`` reads it), count ``z0``'s NaN/Inf
    entries: none means its norm overflowed, and the divergence is the iteration's own."""
    if cfg.on_divergence != "ignore" and info.divergence_reason == "input":
        info.set_input_nonfinite(int((~torch.isfinite(z0.detach())).sum()))


_policies_outside_graph = torch.compiler.disable(_apply_policies)


def _solve_config(config: Optional[SolveConfig], options: dict, where: str) -> SolveConfig:
    """The solve's config: ``config`` as it is (checked when it was made), with ``options`` a checked
    copy (:func:`dataclasses.replace`), or one made from ``options`` alone. Options it sets but never
    reads are warned about once per config (:meth:`SolveConfig.warn_inert`)."""
    if config is None:
        cfg = SolveConfig(**options, _where=where)
    elif not isinstance(config, SolveConfig):
        raise TypeError(f"{where}: config must be an iterative_core.SolveConfig, got {got(config)}")
    else:
        cfg = config.replace(**options, _where=where) if options else config
    if not is_compiling():  # (traced, reading the config's mark would break torch 2.2's graph)
        cfg.warn_inert(where)
    return cfg


def _checked_map(f: Callable[[Tensor], Tensor], z0: Tensor, where: str) -> Callable[[Tensor], Tensor]:
    """``f``, with each output checked to be a tensor like ``z0``: an output of another shape would be
    broadcast into the iterate (a silent wrong answer), one of another dtype or device would fail
    inside a solver with torch's message. The checks read only metadata (no synchronisation). A map
    that a layer built names itself in the messages (``f.map_label = (layer's name, what the map is)``)."""
    # (not read under torch.compile: torch 2.2 breaks the graph at hasattr on a local function)
    where, who = (where, "f") if is_compiling() else getattr(f, "map_label", (where, "f"))

    def check(out) -> Tensor:
        return _like_z0(out, z0, who, where)

    unversioned_checks = [2]  # inference tensors: the first two calls compared with a copy

    def unchanged(z: Tensor, call):
        # an f that writes into its input (z.mul_(0.5)) or into a buffer it returns each time (out=)
        # overwrites the iterate the solver compares against: the step reads zero and the solve
        # "converges" at once, anywhere. The version counter tells (no synchronisation).
        if is_compiling():
            return call()
        before = _version(z)
        if before is not None:
            out = call()
            changed = _version(z) != before
        elif unversioned_checks[0] > 0:
            # an inference tensor has no version counter: compare with a copy, on the first two calls (an
            # f that writes in place does so from the first; one that reuses its output buffer, from the
            # second). An output that merely shares z's storage (z itself, a view) is no change.
            unversioned_checks[0] -= 1
            copy = z.clone()
            out = call()
            changed = not torch.allclose(z, copy, rtol=0.0, atol=0.0, equal_nan=True)  # (NaN where NaN was)
        else:
            return call()
        if changed:
            raise ValueError(f"{where}: {who} modified its input in place (or wrote into a tensor it returned "
                             "before, which the solver holds as the iterate): the solver compares each output "
                             f"with its input, so {who} must return a new tensor and leave its input as it was")
        return out

    def checked(z: Tensor) -> Tensor:
        return check(unchanged(z, lambda: f(z)))
    # the map's own smoothed step (see solvers.picard, which skips it under torch.compile), checked alike
    if not is_compiling():
        for name in ("_smoothed_step", "_smoothed_step_latest"):
            smoothed = getattr(f, name, None)
            if smoothed is not None:
                setattr(checked, name, lambda z, s, smoothed=smoothed: check(unchanged(z, lambda: smoothed(z, s))))
    return checked


def _half_eps(dtype: torch.dtype) -> Optional[float]:
    """The machine epsilon of a half-precision dtype (float16, bfloat16); None for any other."""
    return torch.finfo(dtype).eps if dtype in (torch.float16, torch.bfloat16) else None


def _check_tol_resolvable(cfg: SolveConfig, dtype: torch.dtype, where: str,
                          fix: str = "z0.float(), and f in float32") -> None:
    """A relative ``tol`` below a half-precision iterate's resolution is met by steps that round to
    zero, anywhere near the fixed point (float16 reported "converged" at a relative error of 1e-3 for
    tol=1e-7). The GCN operator iterates half-precision inputs in float32; ``fixed_point`` on a half z0,
    and a wrapped layer in half precision, do not. ``fix``: how the caller iterates in float32."""
    eps = _half_eps(dtype)
    if eps is not None and cfg.tol is not None and cfg.stop == "rel" and cfg.tol < eps:
        raise ValueError(f"{where}: tol={cfg.tol:g} is below what {dtype} iterates resolve (eps {eps:.3g}): a step "
                         f"that rounds to zero would pass for convergence anywhere near the fixed point. Iterate in "
                         f"float32 ({fix}) or give tol >= {eps:.3g}")


def _check_adjoint_tol_resolvable(cfg: SolveConfig, dtype: torch.dtype, where: str,
                                  fix: str = "z0.float(), and f in float32") -> None:
    """As :func:`_check_tol_resolvable`, for the adjoint solve of ``grad="implicit"`` (its tol is
    ``backward_tol``, else ``tol``, on its relative residual whatever ``stop`` is); called where an
    implicit gradient is about to be recorded."""
    eps = _half_eps(dtype)
    tol = cfg.backward_tol if cfg.backward_tol is not None else cfg.tol
    if eps is not None and cfg.grad == "implicit" and tol is not None and tol < eps:
        given = (f"backward_tol={tol:g}" if cfg.backward_tol is not None
                 else f"tol={tol:g} (backward_tol=None takes tol)")
        raise ValueError(f"{where}: grad='implicit' solves the adjoint to {given} on its relative residual, "
                         f"whatever stop is, below what {dtype} iterates resolve (eps {eps:.3g}): a step that "
                         f"rounds to zero would pass for convergence. Iterate in float32 ({fix}) or give "
                         f"backward_tol >= {eps:.3g}")


def _like_z0(out, z0: Tensor, who: str, where: str) -> Tensor:
    """``out``, checked to be a tensor of ``z0``'s shape, dtype and device (``who`` returned it: ``f``,
    or a solver, since one of your own may return anything): an output of another shape would be
    broadcast into the iterate or passed on silently. Reads only metadata."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{where}: {who} must return a tensor like z0, got {got(out)}")
    if out.shape != z0.shape or out.dtype != z0.dtype or out.device != z0.device:
        raise ValueError(f"{where}: {who} must return a tensor of z0's shape, dtype and device "
                         f"({tuple(z0.shape)}, {z0.dtype}, {z0.device}), got ({tuple(out.shape)}, {out.dtype}, "
                         f"{out.device})")
    return out


def _solved(z, z0: Tensor, solver: str, monitor: IterationMonitor, where: str = "fixed_point()") -> Tensor:
    """A solver's answer, checked as ``f``'s outputs are, and that the solver reported its steps (a
    solver of your own that never calls ``monitor.accept`` would leave statistics of no steps, and
    a ``tol`` never tested), no more than ``max_iter`` of them."""
    if monitor.max_iter > 0 and monitor.iterations == 0:
        raise RuntimeError(f"{where}: solver {solver!r} returned without reporting a step: a solver must call "
                           "z, stop = monitor.accept(k, z, z_new) for each step k it takes (it records the residuals, "
                           "tests the tol and says when to stop) and stop when stop is True")
    if monitor.iterations > monitor.max_iter:
        raise RuntimeError(f"{where}: solver {solver!r} took {monitor.iterations} steps, more than "
                           f"max_iter={monitor.max_iter}: a solver takes at most monitor.max_iter steps (k = 0 .. "
                           "monitor.max_iter - 1) and stops earlier when monitor.accept says so")
    z = _like_z0(z, z0, f"solver {solver!r}", "fixed_point()")
    # no step taken (max_iter=0, a layer's eval_iterations=0): a new tensor all the same, as every layer
    # returns, so that an in-place operation on the answer (relu_, +=) leaves the caller's z0 as it was
    return z.clone() if z is z0 else z


def _version(t: Tensor) -> Optional[int]:
    """``t``'s version counter (None for an inference tensor, which has none)."""
    try:
        return t._version
    except RuntimeError:
        return None


def _iterate(f: Callable[[Tensor], Tensor], z0: Tensor, cfg: SolveConfig, solve, schedule: Schedule,
             max_iter: int, batch: Optional[Tensor], num_graphs: Optional[int], precision: Optional[torch.dtype] = None,
             where: str = "fixed_point()"):
    """Run the solve: ``(z, monitor, kept)``. In the implicit and phantom modes (when a gradient is
    recorded) the solve runs without gradients and its last step(s) are taken again with them;
    ``kept = (y, z_in, factor)``, the implicit mode's step kept for the adjoint with its factor ``1 - s``
    (see :func:`_gradient_steps`), else None."""
    tail = 0  # steps taken with gradients after a gradient-free solve
    if cfg.grad != "unrolled" and torch.is_grad_enabled() and max_iter > 0:
        tail = min(cfg.phantom_steps, max_iter) if cfg.grad == "phantom" else 1
    monitor = IterationMonitor(
        z0, max_iter=max_iter - tail, min_iter=min(cfg.min_iter, max_iter - tail), tol=cfg.tol, stop=cfg.stop,
        batch=batch, num_graphs=num_graphs, check_every=cfg.check_every, trace=cfg.trace, extra_steps=tail,
        precision=precision,
    )
    if tail:
        with torch.no_grad():
            z = _solved(solve(f, z0, monitor, schedule, **dict(cfg._solver_pairs)), z0, cfg.solver, monitor, where)
        z = z.detach()
    else:
        z = _solved(solve(f, z0, monitor, schedule, **dict(cfg._solver_pairs)), z0, cfg.solver, monitor, where)

    if not tail:
        return z, monitor, None
    # the implicit mode's step starts the adjoint's own autograd graph: traced by torch.compile, it is
    # taken after the compiled graph
    steps = _gradient_steps_outside_graph if (cfg.grad == "implicit" and is_compiling()) else _gradient_steps
    z, kept = steps(f, z, cfg, monitor, schedule, max_iter, tail)
    if cfg.grad == "phantom" and z.requires_grad and not is_compiling():
        z.register_hook(_phantom_first_order_only)
    return z, monitor, kept


def _phantom_first_order_only(grad: Tensor) -> Tensor:
    """The phantom steps start from the solve's answer held fixed: a backward pass that records a graph
    for second-order derivatives (``create_graph=True``) would differentiate the gradient without how that
    answer moves with the parameters, a silently wrong result; refused, as the implicit mode refuses it.
    (``torch.func``'s transforms, which record one for every gradient, are let through: ``grad`` and
    ``jacrev`` of the phantom steps are first-order.)"""
    if torch.is_grad_enabled() and not under_transform():
        raise RuntimeError(
            "grad='phantom' gives first-order gradients only: this backward pass records a graph for higher-order "
            "derivatives (create_graph=True, e.g. torch.autograd.grad(..., create_graph=True), a gradient "
            "penalty, or torch.autograd.functional's jvp and hvp, which pass it), and the phantom steps start from "
            "the solve's answer held fixed, so the second derivative would leave out how that answer moves. Use "
            "grad='unrolled' (exact through every step) for second-order gradients, or torch.func.jvp for a "
            "Jacobian-vector product.")
    return grad


def _gradient_steps(f: Callable[[Tensor], Tensor], z: Tensor, cfg: SolveConfig, monitor: IterationMonitor,
                    schedule: Schedule, max_iter: int, tail: int) -> tuple[Tensor, Optional[tuple]]:
    """The last ``tail`` steps, taken with gradients after a gradient-free solve: ``(z, kept)``, ``kept`` the
    implicit mode's ``(y, z_in, factor)``: the step ``y`` from ``z_in`` and its factor ``1 - s`` (a float; None
    where the graphs of a batch with a ``tol`` are at different steps), by which the step's recorded residual
    is divided to read the fixed-point residual ``||f(z) - z||``."""
    z_in = y = factor = None
    for _ in range(tail):
        k = monitor.iterations
        s, step_scale, graph_scales = _gradient_step_smoothing(z, monitor, schedule, max_iter)
        if cfg.grad == "implicit":
            if under_transform():  # (torch's own message names requires_grad_, not the mode)
                raise RuntimeError("grad='implicit' cannot run under a torch.func transform (grad, jacrev, ...) or "
                                   "forward-mode AD: its adjoint solve is a backward pass of its own, which they do "
                                   "not call; use grad='unrolled' (or 'phantom') there")
            z_in = z.detach().requires_grad_()
            # (measured as it should move in any dtype: the point check reads it, and a float32 step smoothed
            # by s = 0.99999 rounds to zero within 1e5 ulps of the iterate, far from its fixed point)
            z_new, measured = _relaxed_step(f, z_in, s, measure=True)
            y = z_new
            # (a float without a tol, where every graph takes the same steps; with one, whose check reads
            # the step as the solve did, a per-node tensor where the graphs are at different steps)
            factor = 1.0 - s if not isinstance(s, Tensor) else None
            if not _reaches_other_leaves(y, z_in):  # nothing of f's requires a gradient: a plain answer
                z_new, z_in = y.detach(), None
        else:
            z_new, measured = _relaxed_step(f, z, s)
        # recorded like any step, but every graph takes the gradient steps (none is frozen); a half-precision
        # step as it should have moved (a solver that gives no factors: as taken)
        if measured is None or step_scale is None:
            z, _ = monitor.accept(k, z, z_new, every_graph=True, step_scale=step_scale, graph_scales=graph_scales)
        else:
            z, _ = monitor.accept(k, z, z_new, every_graph=True, residual=measured, step_scale=step_scale,
                                  graph_scales=graph_scales)
    return z, ((y, z_in, factor) if z_in is not None else None)


def _gradient_step_smoothing(z: Tensor, monitor: IterationMonitor, schedule: Schedule,
                             max_iter: int) -> tuple[Union[float, Tensor], Optional[float], Optional[Tensor]]:
    """The smoothing of the next step with gradients, its factor ``1 - s`` for the monitor, and with a
    batch each graph's own factor (``[num_graphs]``, float64 on the CPU). With a batch and a ``tol`` a
    graph that stopped early is at an earlier step than the batch: it takes the schedule's factor at its
    own next step, as alone (a ``[N, 1, ...]`` tensor where the schedule changes). The factors are given
    to the monitor where the solver gave its own or took no step (a registered solver that gives none has
    its steps compared raw, and so have these)."""
    k = monitor.iterations
    s = schedule[min(k, max_iter - 1)]
    given = monitor.scales_given or monitor.iterations == 0  # (no step of the solver's: these are all the steps)
    scale = (1.0 - s) if given else None
    if monitor.batch is None or monitor.tol is None:  # (without a tol every graph is at the batch's step)
        return s, scale, None
    if schedule.constant is not None:
        return s, scale, (torch.full((monitor.num_graphs,), 1.0 - s, dtype=torch.float64) if given else None)
    # (with a tol the solve read values back at every test: one more read here)
    own = monitor.graph_iterations.clamp(max=max_iter - 1).cpu()
    steps, at = own.unique(return_inverse=True)  # (the schedule read at those steps only: once per step taken)
    factors = torch.tensor([schedule[i] for i in steps.tolist()], dtype=torch.float64)[at]
    per_node = factors.to(z.dtype).to(z.device)[monitor.batch].view(-1, *([1] * (z.dim() - 1)))
    return per_node, scale, ((1.0 - factors) if given else None)


_gradient_steps_outside_graph = torch.compiler.disable(_gradient_steps)


def _reaches_other_leaves(y: Tensor, z_in: Tensor) -> bool:
    """Whether ``y``'s autograd graph reaches a tensor that requires a gradient other than ``z_in``
    (a parameter or an input of ``f``): else the implicit gradient has nothing to reach, and the
    answer need not carry a graph (it would require a gradient where torch's own ops give none).
    Stops at the first such tensor; the graph is that of one step."""
    if y.grad_fn is None:
        return False
    seen, todo = set(), [y.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or node in seen:
            continue
        seen.add(node)
        variable = getattr(node, "variable", None)  # AccumulateGrad: a leaf that requires a gradient
        if variable is not None:
            if variable is not z_in:
                return True
            continue
        todo.extend(n for n, _ in node.next_functions)
    return False


def implicit_point_tol(dtype: torch.dtype) -> float:
    """The relative residual up to which a point counts as fixed where no ``tol`` says: :data:`IMPLICIT_POINT_TOL`,
    or, for steps in float16 or bfloat16, that dtype's machine epsilon (they resolve no finer)."""
    eps = _half_eps(dtype)
    return IMPLICIT_POINT_TOL if eps is None else max(IMPLICIT_POINT_TOL, eps)


def _implicit_point_check(cfg: SolveConfig, dtype: torch.dtype) -> Optional[tuple]:
    """``(tol, metric, source)``: the tolerance to which the point the implicit gradient is taken at must
    be a fixed point (steps resolved in ``dtype``); None when it is not checked (``on_nonconvergence="ignore"``,
    or a call made free of synchronisation: ``tol=None`` with ``on_divergence="ignore"``)."""
    if cfg.on_nonconvergence == "ignore" or (cfg.tol is None and cfg.on_divergence == "ignore"):
        return None
    if cfg.tol is not None:
        return (cfg.tol, cfg.stop, "tol")
    if cfg.backward_tol is not None:
        return (cfg.backward_tol, cfg.stop, "backward_tol")
    return (implicit_point_tol(dtype), "rel", "the default for tol=None")


def _adjoint_settings(cfg: SolveConfig, max_iter: int) -> tuple[str, dict, Optional[float], int]:
    """``(solver, options, tol, max_iter)`` of the adjoint solve: the ``backward_*`` options, else the
    forward's (its solver options only for the same solver)."""
    solver = cfg.backward_solver or cfg.solver
    if cfg.backward_solver_options is not None:
        options = cfg.backward_solver_options
    else:
        options = cfg.solver_options if solver == cfg.solver else {}
    tol = cfg.backward_tol if cfg.backward_tol is not None else cfg.tol
    steps = cfg.backward_max_iter if cfg.backward_max_iter is not None else max(max_iter, 1)
    return solver, options, tol, steps


def _batch_ids(batch, where: str, rows: str = "z0", *, any_integer: bool = False) -> Tensor:
    """``batch`` as the int64 graph ids of the rows of ``rows``: a tensor of that dtype, or with
    ``any_integer`` of any integer dtype, cast (a DGL graph of idtype int32 gives int32 ids)."""
    kind = "integer" if any_integer else "int64"
    if not isinstance(batch, Tensor):
        raise TypeError(f"{where}: batch must be a 1-D {kind} tensor (the graph id of each row of {rows}), got "
                        f"{got(batch)}")
    if batch.dtype == torch.long:
        return batch
    # (a dtype is the tensor's type: a TypeError, as the layers raise)
    if not any_integer:
        raise TypeError(f"{where}: batch must be an int64 tensor (the graph id of each row of {rows}), got "
                        f"{batch.dtype}: convert it, batch.long()")
    if batch.dtype == torch.bool or batch.is_floating_point() or batch.is_complex():
        raise TypeError(f"{where}: batch must be an integer tensor (the graph id of each row of {rows}), got "
                        f"{batch.dtype}")
    return batch.long()


def _check_batch(batch, z0: Tensor, num_graphs, where: str, *, read: bool, rows: str = "z0") -> Optional[int]:
    """Check ``batch`` (and ``num_graphs``); return ``num_graphs``, read from ``batch`` when None.

    The range of the graph indices is read back (one synchronisation, the one that finding
    ``num_graphs`` takes anyway) when ``num_graphs`` is None or ``read`` is True, and on the CPU outside
    ``torch.compile``, where it costs no synchronisation and an index out of range would fail deep inside
    torch. ``rows``: the name of ``z0`` in the messages."""
    batch = _batch_ids(batch, where, rows)
    if batch.dim() != 1 or batch.shape[0] != z0.shape[0]:
        raise ValueError(
            f"{where}: batch must be a 1-D tensor with one entry per row of {rows} ({z0.shape[0]}), "
            f"got shape {tuple(batch.shape)}"
        )
    if batch.device != z0.device:
        raise ValueError(f"{where}: batch is on {batch.device} but {rows} is on {z0.device}")
    num_graphs = check_int("num_graphs", num_graphs, minimum=0, optional=True, where=where)
    cpu_read = batch.device.type == "cpu" and not is_compiling()  # (a compiled graph reads nothing back)
    if batch.numel() == 0 or not (read or num_graphs is None or cpu_read):
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


class _ImplicitGradient(torch.autograd.Function):
    """``y``'s copy, whose gradient becomes the implicit one on the way back: ``backward`` hands the
    incoming gradient to ``adjoint`` (the adjoint solve) and passes its answer on to ``y``. A copy, not
    ``y`` or a view of it, so that in-place changes of the output (``z += x``, ``relu_``) leave this
    node in the graph (a hook on the output, or on a view, was dropped by them: the gradient then
    went through the one step kept, unsolved)."""

    @staticmethod
    def forward(ctx, y: Tensor, adjoint: Callable[[Optional[Tensor]], Optional[Tensor]]) -> Tensor:
        ctx.adjoint = adjoint
        return y.clone()

    @staticmethod
    def backward(ctx, v: Optional[Tensor]):
        return ctx.adjoint(v), None


def _attach_implicit_backward(
    y: Tensor, z_in: Tensor, factor: Optional[float], info: FixedPointInfo, cfg: SolveConfig, *,
    max_iter: int, batch: Optional[Tensor], num_graphs: Optional[int],
) -> Tensor:
    r"""The output ``T(z^*)`` (a copy of ``y``) whose gradient is the implicit one.

    With :math:`J = \partial T / \partial z` at :math:`z^*` and :math:`v = \partial L / \partial z^*`,
    the implicit function theorem gives :math:`dL/d\theta = (\partial T/\partial\theta)^\top g` with
    :math:`g = (I - J^\top)^{-1} v`, the fixed point of :math:`g = J^\top g + v`. That adjoint fixed
    point is solved with the registered solver (no smoothing: the relaxation is already in ``T``)
    through vector-Jacobian products of the one application of ``T`` kept in the autograd graph;
    autograd then carries :math:`g` through that same application to the parameters. The adjoint
    solve's statistics land in ``info.backward`` and obey the same policies as the forward solve.

    The adjoint solve's settings are ``cfg``'s ``backward_*`` options (:func:`_adjoint_settings`, the
    forward's where unset; the options were checked with the config). The theorem holds at a fixed
    point only: the backward pass reports (``on_nonconvergence``) a forward solve that did not reach
    the tolerance :func:`_implicit_point_check` gives (``factor``, the kept step's ``1 - s``: see
    :func:`_check_implicit_point`). Second-order gradients (a backward pass with
    ``create_graph=True``) are refused: the adjoint solve is first-order only, so differentiating its
    result again would be silently wrong.
    """
    solver, solver_options, tol, max_iter = _adjoint_settings(cfg, max_iter)
    # the adjoint stops on its relative residual whatever the forward's stop rule: it is linear in the
    # incoming gradient, and an absolute tol would make its accuracy depend on the loss's scale
    stop, on_nonconvergence = "rel", cfg.on_nonconvergence
    precision = info._iterate_dtype or y.dtype  # (the steps' precision: the adjoint's steps are theirs too)
    point_check = _implicit_point_check(cfg, precision)
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
        if is_batched_gradient(v):  # (torch's own message named aten::detach's missing batching rule)
            raise RuntimeError(
                "grad='implicit' cannot take batched gradients (torch.autograd.grad(..., is_grads_batched=True)): "
                "its adjoint solve is a loop that reads its residual back to stop, which vmap cannot batch. Call "
                "torch.autograd.grad once per row of grad_outputs (with retain_graph=True), or use "
                "grad='unrolled' or 'phantom', which take them batched."
            )
        point_reported = False
        if point_check is not None:
            point_reported = _check_implicit_point(info, *point_check, on_nonconvergence=on_nonconvergence,
                                                   batch=batch, factor=factor, dtype=precision)

        def adjoint(g: Tensor) -> Tensor:
            # (a map that does not read z, or reads it detached, has J = 0: autograd returns None for it)
            (vjp,) = torch.autograd.grad(y, z_in, g, retain_graph=True, allow_unused=True)
            return v if vjp is None else vjp + v

        mon = IterationMonitor(v, max_iter=max_iter, tol=tol, stop=stop, batch=batch, num_graphs=num_graphs,
                               precision=precision)
        with torch.no_grad():
            g = bsolve(adjoint, v, mon, Schedule(max_iter, value=0.0), **solver_options)
        info.backward = FixedPointInfo(
            solver=solver, grad=info.grad, tol=tol, stop=stop, divergence_growth=cfg.divergence_growth,
            phase="backward", **mon.records(g),
        )
        _count_nonfinite_input(info.backward, cfg, v)  # (an incoming gradient whose norm overflowed is not "NaN/Inf")
        if cfg.on_divergence != "ignore" and info.backward.divergence_reason == "input":
            # an incoming gradient that holds NaN/Inf (a loss scaler's overflowed step, which
            # torch.amp.GradScaler finds in the parameters' gradients and skips) is passed on, as the
            # other gradient modes pass it: no adjoint diverged, and a warning (or an error) at each such
            # step would stop mixed-precision training; info.backward keeps the record
            return g
        apply_policy(info.backward, cfg.on_nonconvergence, cfg.on_divergence)
        if tol is None and point_check is not None and not point_reported and not info.backward.diverged:
            # (after a report that the forward point is not a fixed point, or a diverged adjoint, a third
            # message would add nothing)
            _check_adjoint_without_tol(info.backward, on_nonconvergence, precision)
        return g

    return _ImplicitGradient.apply(y, hook)


def _check_adjoint_without_tol(backward: FixedPointInfo, on_nonconvergence: str,
                               dtype: torch.dtype = torch.float32) -> None:
    """An adjoint solve without a tolerance runs its steps and passes as ``"fixed"``; its last relative
    residual above :func:`implicit_point_tol` (of ``dtype``, the steps' precision) means the gradient it
    gives is not the implicit one (a warm start at the fixed point passes the forward's check after one
    step, and the adjoint, from the incoming gradient, may need many more)."""
    point_tol = implicit_point_tol(dtype)
    r, where = backward.final_residual, ""
    if backward.graph_residuals is not None and backward.iterations and backward.graph_residuals.shape[1]:
        # each graph on its own residual (without a tol every graph takes every step): a graph far from
        # its answer hides in the batch's residual beside graphs whose gradients are larger
        last = backward.graph_residuals[backward.iterations - 1].detach().double().cpu()
        worst = int(torch.nan_to_num(last, nan=math.inf).argmax())
        if not float(last[worst]) <= r:
            r, where = float(last[worst]), f" in graph {worst} of the batch"
    if r <= point_tol:
        return
    msg = (f"grad='implicit': the adjoint solve (no tol) stopped after {backward.iterations} iterations at a "
           f"relative residual of {beside(r, point_tol)}{where}, above {tol_text(point_tol)}: the gradient is not "
           "the implicit one. "
           "Set backward_tol (the adjoint then runs to it, up to backward_max_iter), raise backward_max_iter, or "
           "set contraction=kappa (the GCN operator's option) for a guaranteed contraction.")
    _emit(on_nonconvergence, msg, backward)


_attach_outside_graph = torch.compiler.disable(_attach_implicit_backward)


def _check_implicit_point(info: FixedPointInfo, tol: float, metric: str, source: str, *,
                          on_nonconvergence: str, batch: Optional[Tensor], factor: Optional[float] = 1.0,
                          dtype: torch.dtype = torch.float32) -> bool:
    """Warn or raise (``on_nonconvergence``) when the implicit gradient is taken at a point that is not a
    fixed point to ``tol``: the forward solve did not reach its ``tol`` (``source == "tol"``, whose test reads
    the step, as the solve's did), or the fixed-point residual of its last step is above ``tol``: that step's
    residual (in ``metric``; the largest over the graphs with a batch) divided by its factor ``1 - s``
    (``factor``; without a ``tol`` every graph takes the same steps), since a smoothed step moves
    ``(1 - s) ||f(z) - z||``, and with ``s = 0.95`` a point 20 times farther from its fixed point than the
    step says would pass. ``dtype``: the steps' precision, for the advice. Returns whether it warned."""
    # (a tol's test reads the step, as the solve's did; the other tolerances, its fixed-point residual)
    divisor = 1.0 if source == "tol" else factor
    steps = info._graph_steps  # ([rows, num_graphs, 2]: each graph's step and iterate norm)
    if batch is not None and steps is not None and info.iterations and steps.shape[0]:
        # each graph's own last row (a graph that stopped early has its step with gradients there), in the
        # check's metric, whatever the solve's stop rule
        own = (info.graph_iterations.to(steps.device) - 1).clamp_min(0)
        last = steps[own, torch.arange(steps.shape[1], device=steps.device)].double()
        last = (_relative(last[:, 0], last[:, 1]) if metric == "rel" else last[:, 0]) / divisor
        res = float(last.max()) if last.numel() else 0.0
        if last.numel() and not bool(torch.isfinite(last).all()):
            res = float("nan")
    else:
        res = (info.final_residual if metric == "rel" else (
            float(info.abs_residuals[-1]) if info.abs_residuals.numel() else float("nan"))) / divisor
    if source == "tol":
        conv = info.converged
        ok = bool(conv.all()) if isinstance(conv, Tensor) else bool(conv)
    else:
        ok = res <= tol  # NaN is not a fixed point either
    if ok:
        return False
    kind = "relative" if metric == "rel" else "absolute"
    norm = "||f(z) - z|| / ||z||" if metric == "rel" else "||f(z) - z||"
    smoothed = divisor != 1.0
    what = (f"last {kind} fixed-point residual, {norm} (its step, smoothed by s = {1.0 - factor:.3g}, divided by "
            "1 - s),") if smoothed else f"last {kind} residual"
    # (a tol bounds the smoothed step, (1 - s) ||f(z) - z||: the advice says how small it must be for this check)
    give_tol = (f"Give a `tol` of at most {tol * factor:.2g} (a tol bounds the smoothed step, (1 - s) times "
                f"{norm})" if smoothed else "Give a `tol`")
    eps = _half_eps(dtype)
    if smoothed and eps is not None and metric == "rel" and tol * factor < eps:
        # (such a tol is refused: the dtype does not resolve it)
        give_tol = (f"A smaller smoothing s (a tol bounds the smoothed step, and {tol * factor:.2g} is below what "
                    f"{dtype} resolves), or iterating in float32, brings the point closer. Give a `tol`")
    msg = (
        f"grad='implicit': the implicit gradient is taken at a point that is not a fixed point: the forward "
        f"solve's {what} is {beside(res, tol)}, above {tol_text(tol)} ({source}), after {info.iterations} "
        f"iterations, so the implicit function theorem does not apply and the gradient is inaccurate. "
        f"{give_tol} and enough iterations for the forward solve to reach it (`contraction=kappa`, the GCN "
        "operator's option, guarantees convergence), or use grad='unrolled' (the exact gradient of the steps taken)."
    )
    _emit(on_nonconvergence, msg, info)
    return True
