"""Residuals, per-graph stopping and recording, shared by every solver.

A solver proposes the next iterate; :class:`IterationMonitor` measures the step, freezes the graphs
that have converged, records the residuals and says when to stop. Without a ``tol`` the monitor never
reads a value back from the device, so the loop runs without host-device synchronisation.
"""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor

from ._compile import free_read_back, is_compiling
from .checks import check_int, check_real
from .validation import all_finite

#: the relative residual of a step from z = 0 (any norm below step / 1e12 counts as that)
_FROM_ZERO = 1e-12
#: rows the residual buffers start with when a ``tol`` may end the solve early (they double when full)
_INITIAL_ROWS = 64
#: the most steps a solve without a tol has room for from the start (64 KiB of float64 records for the
#: whole input, and 96 KiB a graph with a batch); beyond it the records double as the steps are taken, up
#: to the steps the solve takes, so that a huge ``max_iter`` does not allocate, and fill, its records
#: before its first step (10**9 steps: 8 GB at once)
_PREALLOCATED_ROWS = 2 ** 12


def _relative(step: Tensor, norm: Tensor) -> Tensor:
    """``step / norm``, NaN where the iterate's norm is not finite: a finite step over an overflowed
    norm (float32 sums of squares overflow for entries above ~1.8e19 / sqrt(size)) is not a small
    residual, and must not pass a test as one."""
    # the norm floored relative to the step, not offset by a constant, which made the test absolute for
    # iterates of norm near it (a problem scaled by 1e-16 stopped after 6 steps): a step from z = 0
    # reads 1e12, a zero step from it 0; a subnormal norm is kept (clamped to the smallest normal number, a
    # norm of 1e-40 in float32 made steps read 10^-2 of their length and stopped the solve early)
    floor = torch.maximum(norm, step * _FROM_ZERO)
    floor = torch.where(floor > 0, floor, torch.ones_like(floor))  # (0 only for a zero step from zero: it reads 0)
    ratio = torch.where(torch.isinf(step), float("inf"), step / floor)  # an overflowed step: inf, not inf / inf
    return torch.where(torch.isfinite(norm), ratio, float("nan"))


def graph_peaks(per_node: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
    """``[num_graphs]`` each graph's largest of its nodes' non-negative values ``per_node`` (``[N]``); 0 for
    a graph without nodes."""
    return per_node.new_zeros(num_graphs).scatter_reduce_(0, batch, per_node, "amax")


def coarser_dtype(dtype: torch.dtype, other: Optional[torch.dtype]) -> torch.dtype:
    """Of two floating dtypes, the one with the larger machine epsilon (``dtype`` where ``other`` is None
    or not a floating dtype): the precision of an iterate of ``dtype`` whose steps compute in ``other``."""
    if not isinstance(other, torch.dtype) or not other.is_floating_point or not dtype.is_floating_point:
        return dtype
    return other if torch.finfo(other).eps > torch.finfo(dtype).eps else dtype


def step_difference(a: Tensor, b: Tensor) -> Tensor:
    """``a - b``, detached, to measure a step by: in the iterates' dtype (a difference of nearby values is
    exact, and bfloat16 has float32's range), but for float16 in float32, where the difference of two
    finite values can exceed 65504."""
    a, b = a.detach(), b.detach()
    return a.float() - b.float() if a.dtype == torch.float16 else a - b


def rounding_floor(dtype: torch.dtype) -> float:
    """The relative step of an iterate of ``dtype`` at its rounding floor: below it a step measures the
    arithmetic's noise, not the map. A 16-bit iterate rounds each entry once per step (its arithmetic
    runs in float32): a few eps; 64 eps there (0.5 in bfloat16) would hide steps that grow by half their
    length."""
    if not dtype.is_floating_point:
        return 0.0
    return (4 if torch.finfo(dtype).bits == 16 else 64) * torch.finfo(dtype).eps


def shrinking(step: Tensor, previous: Optional[Tensor], norm: Tensor, stop: str, tol: float, floor: float) -> Tensor:
    """Whether a step that meets the tolerance may end the iteration: it is shorter than the step before
    it, by a factor ``q = step / previous`` below ``1 - min(tol, 0.01)`` for ``stop="rel"`` (below 1 for
    ``"abs"``), or at the rounding floor (``step <= floor * norm``, ``norm`` the iterate's), where steps
    measure rounding and may repeat. With ``q`` nearer 1 a small step certifies nothing: the distance to
    the fixed point may be ``q / (1 - q)`` steps, as large as the iterate when the relative step is near
    ``tol``; an iterate that grows by a constant step (``z + 1``, no fixed point) or slowly diverges has
    relative steps that fall below any ``tol``. Where the step before read zero (underflow), there is
    nothing to compare, and the step may end it; ``previous=None`` (the first step, which has no step
    before it): only a step at the floor may (``1.01 z`` from 1 made a first relative step of 0.0099,
    within ``tol=1e-2``, and read "converged")."""
    at_floor = (step <= floor * norm) | (step == 0)
    if previous is None:
        return at_floor
    margin = min(float(tol), 0.01) if stop == "rel" else 0.0
    return (step < previous * (1.0 - margin)) | at_floor | ~(previous > 0)


def _one_factor(value) -> float:
    """A step's factor as one positive float, or 1.0 (the raw steps compared) where it is none: a tensor of
    several (one per node), zero, negative or not a number."""
    try:
        v = float(value)
    except (TypeError, ValueError, RuntimeError):
        return 1.0
    return v if v > 0.0 and math.isfinite(v) else 1.0


def _unsure(norms: Tensor, underflow: bool = True) -> Tensor:
    """Which of ``norms`` may be wrong: non-finite (float32 squares overflow above about 1.8e19) or, with
    ``underflow``, below :func:`_underflow_bound` (squares that underflowed; 0 for a zero tensor too,
    which measures 0 again)."""
    if not underflow:
        return ~torch.isfinite(norms)
    return ~torch.isfinite(norms) | (norms < _underflow_bound(norms.dtype))


def _unsure_value(norm: float, dtype: torch.dtype, underflow: bool = True) -> bool:
    """:func:`_unsure` of one norm read back as a number (of a tensor of ``dtype``)."""
    return not math.isfinite(norm) or (underflow and norm < _underflow_bound(dtype))


def _unsure_pair(res: Tensor, underflow: bool) -> bool:
    """Whether the step's and the iterate's norms ``res`` (two numbers, read back) may be wrong: either
    non-finite, or, with ``underflow``, the iterate's below :func:`_underflow_bound` (as :func:`_unsure`)."""
    step, iterate = float(res[0]), float(res[1])  # (not tolist(): under torch 2.2's torch.func it reads no storage)
    return not math.isfinite(step) or _unsure_value(iterate, res.dtype, underflow)


def _underflow_bound(dtype: torch.dtype) -> float:
    """The norm below which an iterate's squared entries may have underflowed in ``dtype``: the squares
    of entries under the square root of the smallest normal number lose their digits, and a norm under
    that root over the machine epsilon may rest on such entries (about 9e-13 in float32, 7e-139 in
    float64)."""
    info = torch.finfo(dtype)
    return math.sqrt(info.tiny) / info.eps


def _row_sq(t: Tensor) -> Tensor:
    """Squared norm of each row (dim 0) of ``t``."""
    if t.dim() == 1:
        return t * t
    return t.flatten(1).pow(2).sum(-1)  # flatten: also for zero rows


class IterationMonitor:
    """Measure, record and stop an iteration.

    Args:
        z0: the initial iterate.
        max_iter, min_iter: bounds on the number of steps.
        tol: stop once the residual ``stop`` names is ``<= tol``; None runs exactly ``max_iter`` steps.
        stop: the residual ``tol`` is tested on: ``"rel"`` (relative, the default) or ``"abs"``
            (absolute).
        batch: optional ``[N]`` graph index of each row of ``z`` (dim 0); each graph then stops on
            its own and a converged graph no longer changes.
        num_graphs: number of graphs in ``batch`` (read from it when None: one synchronisation).
        check_every: with a ``tol``, test it every this many steps (each test synchronises once).
            A graph that reaches ``tol`` between two tests keeps iterating until the next test.
        trace: measure the residual of every step. When False only the steps that need it are
            measured: the first, the last two (for the final residual, the contraction factor and the
            divergence test), the steps taken after a gradient-free solve and, with a ``tol``, every
            test and the step before it; the others are recorded as NaN and cost nothing (measuring a
            step reads the iterates three more times). With a ``batch`` every step holds three numbers
            per graph, measured or not.
        extra_steps: steps the caller records after the solve's own (the gradient steps after a
            gradient-free solve): without a ``tol`` the records hold room for them from the start.
        precision: the dtype the steps compute in, where it is coarser than the iterate's (a step in
            bfloat16 of a float32 iterate): steps at its rounding floor measure its noise.

    With a ``tol``, a test that finds a non-finite residual ends the iteration (of that graph,
    with a ``batch``): the solve has diverged and further steps cannot help. Such a graph is
    frozen and never counted as converged.
    """

    def __init__(
        self,
        z0: Tensor,
        *,
        max_iter: int,
        min_iter: int = 0,
        tol: Optional[float] = None,
        stop: str = "rel",
        batch: Optional[Tensor] = None,
        num_graphs: Optional[int] = None,
        check_every: int = 1,
        trace: bool = True,
        extra_steps: int = 0,
        precision: Optional[torch.dtype] = None,
    ) -> None:
        where = "IterationMonitor"
        max_iter = check_int("max_iter", max_iter, minimum=0, where=where)
        min_iter = check_int("min_iter", min_iter, minimum=0, where=where)
        check_every = check_int("check_every", check_every, minimum=1, where=where)
        extra_steps = check_int("extra_steps", extra_steps, minimum=0, where=where)
        tol = check_real("tol", tol, low=0.0, optional=True, where=where)
        if min_iter > max_iter:
            raise ValueError(f"{where}: min_iter={min_iter} is above max_iter={max_iter}")
        if stop not in ("rel", "abs"):
            raise ValueError(f"{where}: stop must be 'rel' (relative residual) or 'abs' (absolute), got {stop!r}")
        self.max_iter = max_iter
        self.trace = bool(trace)
        self._measured: list[bool] = []
        # each step's factor (1 - s_k, or Anderson's mixing), where the solver gives it: the ratios of steps
        # divide it out, so that a schedule that changes the factor is not read as the map contracting or
        # expanding (1.0 where none was given); kept as runs of equal factors, (first step, factor): nothing a
        # step for a constant schedule; and whether the solver gives them
        self._scale_runs: list[tuple[int, float]] = []
        self._scale_count = 0
        self.scales_given = False
        # without a batch: whether a test passed (the solve stopped at its tol), as a batch's graphs that
        # stopped count as done whatever steps with gradients come after
        self.tol_met = False
        self.min_iter = min_iter
        self.tol = tol
        self.stop = stop
        self.check_every = check_every
        self.batch = batch
        if batch is not None:
            if num_graphs is None:
                num_graphs = int(batch.max()) + 1 if batch.numel() else 0
            self.num_graphs = int(num_graphs)
            # a graph with no rows takes its steps as it would alone: a zero step, which ends it at the first test
            self.graph_active = torch.ones(self.num_graphs, device=z0.device, dtype=torch.bool)
            self.graph_iterations = torch.zeros(self.num_graphs, device=z0.device, dtype=torch.long)
            self.graph_failed = torch.zeros_like(self.graph_active)
            self._node_active: Optional[Tensor] = None
        else:
            self.num_graphs = 1
            self.graph_active = None
            self.graph_iterations = None
            self.graph_failed = None
            self._node_active = None
        # residuals go into preallocated buffers (one in-place write per step): no small tensor per
        # step stays alive, which would fragment the host heap between the large per-step buffers
        acc = torch.float32 if z0.dtype in (torch.float16, torch.bfloat16) else (
            z0.dtype if z0.is_floating_point() else torch.float32)
        # room for the steps a solve takes, not for its cap: without a tol it takes exactly max_iter
        # steps; with one it may stop after a few, so the buffers start small and double when full
        # (a cap of 10**7 with a tol reached in 40 steps allocates a few hundred bytes, not 160 MB)
        # (and for the extra steps a caller records after the solve, without a doubling for them)
        # (without a tol the steps are known: the records grow up to them, no further)
        self._known_rows = max(int(max_iter) + extra_steps, 1) if tol is None else None
        cap = (min(self._known_rows, _PREALLOCATED_ROWS) if tol is None
               else max(min(int(max_iter), _INITIAL_ROWS), 1))
        # columns: ||z_{k+1} - z_k|| and ||z_k||; the relative residual is their ratio, formed when read
        self._res = torch.full((cap, 2), float("nan"), device=z0.device, dtype=acc)
        # one fused dispatch for both norms where the iterate's dtype is the accumulation dtype
        self._fused_norms = z0.dtype == acc
        # per graph: the stopping metric, and the same two columns as above of each graph's rows (its
        # own divergence test reads them)
        self._graph_res = (torch.full((cap, self.num_graphs), float("nan"), device=z0.device, dtype=acc)
                           if batch is not None else None)
        # (left unfilled: only the measured steps are read, as the info's step mask says)
        self._graph_steps = (torch.empty((cap, self.num_graphs, 2), device=z0.device, dtype=acc)
                             if batch is not None else None)
        self.iterations = 0
        # the iterates' own precision, not their norms', or the steps' where they compute in a coarser dtype
        self._precision = coarser_dtype(z0.dtype, precision)
        self._floor = rounding_floor(self._precision)
        self.gradient_steps = 0  # steps with gradients recorded in each graph's own row (a batch, eager)
        # (rows, factors) of those steps: [num_graphs] each graph's row and the factor of its step there
        self.graph_scale_rows: list[tuple[Tensor, Tensor]] = []

    @property
    def abs_res(self) -> Tensor:
        """``[iterations]`` absolute residuals recorded so far."""
        return self._res[: self.iterations, 0]

    @property
    def rel_res(self) -> Tensor:
        """``[iterations]`` relative residuals recorded so far."""
        r = self._res[: self.iterations]
        return _relative(r[:, 0], r[:, 1])

    @property
    def graph_res(self) -> Optional[Tensor]:
        """``[iterations, num_graphs]`` per-graph residuals (stopping metric), with a ``batch``."""
        return None if self._graph_res is None else self._graph_res[: self.iterations]

    @property
    def graph_steps(self) -> Optional[Tensor]:
        """``[iterations, num_graphs, 2]``: each graph's :math:`\\|z_{k+1} - z_k\\|` and
        :math:`\\|z_k\\|`, with a ``batch``."""
        return None if self._graph_steps is None else self._graph_steps[: self.iterations]

    @property
    def capacity(self) -> int:
        """Rows allocated for the residuals (grows geometrically with the steps taken)."""
        return self._res.shape[0]

    @property
    def iterate_norms(self) -> Tensor:
        """``[iterations]`` :math:`\\|z_k\\|`, the norm of the iterate each recorded step started from."""
        return self._res[: self.iterations, 1]

    def _grow(self, k: int) -> None:
        """Room for step ``k``: the buffers double when full (a solve with a ``tol`` starts small, and
        a caller may take more steps than ``max_iter``, e.g. gradient steps)."""
        if k >= self._res.shape[0]:
            n = self._res.shape[0]
            extra = max(k + 1 - n, n)
            if self._known_rows is not None and k < self._known_rows:  # (no room past the steps the solve takes)
                extra = min(extra, self._known_rows - n)
            self._res = torch.cat([self._res, self._res.new_full((extra, 2), float("nan"))])
            if self._graph_res is not None:
                self._graph_res = torch.cat([self._graph_res,
                                             self._graph_res.new_full((extra, self.num_graphs), float("nan"))])
                self._graph_steps = torch.cat([self._graph_steps,
                                               self._graph_steps.new_empty((extra, self.num_graphs, 2))])

    @property
    def node_active(self) -> Optional[Tensor]:
        """``[N, 1, ...]`` mask of rows whose graph still iterates (None: all do)."""
        return self._node_active

    def _graph_norms(self, t: Tensor) -> Tensor:
        out = torch.zeros(self.num_graphs, device=t.device, dtype=torch.float32 if t.dtype in (torch.float16, torch.bfloat16) else t.dtype)
        # squared in the accumulation dtype: a float16 entry under 2.4e-4 squares to zero in float16
        out.index_add_(0, self.batch, _row_sq(t.detach().to(out.dtype)))
        return out.sqrt()

    def _rescaled_norms(self, diff: Tensor, zd: Tensor, acc: torch.dtype,
                        whole: bool = False) -> tuple[Tensor, Tensor]:
        """``(||diff||, ||zd||)`` (per graph with a batch), each computed on the tensor divided by its
        largest entry (per graph), then scaled back: exact where the squares of tiny entries underflow
        (a problem scaled by 1e-25 in float32 squares to zero, which read as a zero residual) or those
        of huge ones overflow (float32 entries above about 1.8e19 / sqrt(size): a finite iterate read
        as non-finite and stopped the solve). Each by its own entry, so that a step far larger than
        its iterate does not underflow the iterate's norm; an infinite entry reads inf. ``whole``: the
        whole input's norms, with a batch too."""
        return self._rescaled_norm(diff, acc, whole), self._rescaled_norm(zd, acc, whole)

    def _rescaled_norm(self, t: Tensor, acc: torch.dtype, whole: bool) -> Tensor:
        if whole or self.batch is None:
            m = t.abs().amax().to(acc)
        else:
            m = graph_peaks(t.abs().reshape(len(t), -1).amax(1).to(acc), self.batch, self.num_graphs)
        m = torch.where((m > 0) & torch.isfinite(m), m, torch.ones_like(m))  # (inf or NaN entries: read as they are)
        if whole or self.batch is None:
            return torch.linalg.vector_norm(t.to(acc) / m, dtype=acc) * m
        return self._graph_norms(t.to(acc) / m[self.batch].view(-1, *([1] * (t.dim() - 1)))) * m

    def _record_gradient_step(self, k: int, ga: Tensor, gn: Tensor, metric: Tensor,
                              scales: Optional[Tensor] = None) -> None:
        """A gradient step every graph takes (after a gradient-free solve), recorded in each graph's own
        next row, as it is alone: a graph that stopped before row ``k`` gets it in the row after its
        last step (one of its frozen rows), and at ``k`` a zero step from its iterate, as frozen.
        ``scales``: each graph's factor of that step, which may differ from the factor of the solver's
        step its row held."""
        rows = self.graph_iterations - 1  # (already counted)
        if scales is not None:
            self.graph_scale_rows.append((rows, scales))
        frozen = rows < k
        self._graph_res[k] = torch.where(frozen, torch.zeros_like(metric), metric)
        self._graph_steps[k] = torch.stack([torch.where(frozen, torch.zeros_like(ga), ga), gn], dim=-1)
        cols = torch.arange(self.num_graphs, device=rows.device)
        self._graph_res[rows, cols] = metric
        self._graph_steps[rows, cols] = torch.stack([ga, gn], dim=-1)
        # (each graph's last rows: measured for it where the batch did not measure the row, check_every > 1)
        self.gradient_steps += 1

    def measures(self, k: int, *, every_graph: bool = False) -> bool:
        """Whether :meth:`accept` measures step ``k`` (``every_graph``: a step with gradients after a
        gradient-free solve): the first step, each test and the step before it (a contraction factor at
        every test), the last two, the gradient steps, and every step with ``trace``. A solver may skip
        the work of a measurement (a ``residual``) for the other steps."""
        if self.trace or every_graph or k == 0 or k >= self.max_iter - 2:
            return True
        return self.tol is not None and ((k + 1) % self.check_every == 0 or (k + 2) % self.check_every == 0)

    def accept(self, k: int, z: Tensor, z_new: Tensor, *, every_graph: bool = False,
               residual: Optional[Tensor] = None, residual_scale: float = 1.0,
               step_scale: Optional[float] = None, graph_scales: Optional[Tensor] = None) -> tuple[Tensor, bool]:
        """Take the proposed iterate ``z_new`` after step ``k``; return it (frozen graphs kept at ``z``
        unless ``every_graph``) and whether to stop. The step measured is ``z_new - z``, or, from a
        solver that moves elsewhere than along :math:`f(z) - z` (Anderson's mix of past iterates),
        ``residual_scale * residual`` with ``residual`` :math:`= f(z) - z`: the step a relaxed
        iteration would take from ``z``, which is small only near a fixed point (a mix can stall far
        from one, with steps that vanish). ``step_scale`` is the factor of :math:`f(z) - z` in the step,
        :math:`1 - s_k` for a smoothed step (default: ``residual_scale`` with a ``residual``, else 1):
        the shrink test and the contraction factor compare steps divided by it, so that a schedule
        whose factor changes from step to step reads neither as a contraction nor as an expansion.
        ``graph_scales`` (``[num_graphs]``, with ``every_graph`` and a batch): each graph's own factor,
        where the graphs take the step at steps of their own."""
        if self._node_active is not None and not every_graph:
            z_new = torch.where(self._node_active, z_new, z)
        self._grow(k)
        self.iterations = k + 1
        if step_scale is None and residual is not None:
            step_scale = residual_scale
        if step_scale is not None:
            self.scales_given = True
            # (a factor that is not one positive number, a tensor of one per node, is compared as 1: the raw steps)
            step_scale = step_scale if type(step_scale) is float and step_scale > 0.0 else _one_factor(step_scale)
        else:
            step_scale = 1.0
        runs = self._scale_runs
        if k == self._scale_count:  # (the steps in order, as every solver takes them)
            if not runs or runs[-1][1] != step_scale:
                runs.append((k, step_scale))
            self._scale_count = k + 1
        else:
            self._set_scale(k, step_scale)
        if self.batch is not None:
            self.graph_iterations += 1 if every_graph else self.graph_active.long()
        check = self.tol is not None and (k + 1) % self.check_every == 0
        if not self.measures(k, every_graph=every_graph):
            self._measured.append(False)
            return z_new, False
        self._measured.append(True)
        if residual is None:
            diff = step_difference(z_new, z)
        else:
            diff = residual.detach() * residual_scale
            if self._node_active is not None and not every_graph:  # frozen graphs do not move
                diff = torch.where(self._node_active, diff, 0.0)
        zd = z.detach()
        res = self._res[k]
        # (not under torch.compile: torch 2.2's inductor drops an out= write into a view of a buffer)
        compiling = is_compiling()
        if self._fused_norms and not compiling:  # the hot path: three dispatches per step for the whole bookkeeping
            torch.stack(torch._foreach_norm([diff, zd]), out=res)
        else:
            acc = res.dtype
            res[0] = torch.linalg.vector_norm(diff, dtype=acc)
            res[1] = torch.linalg.vector_norm(zd, dtype=acc)
        # at a test (a value is read back there anyway): the norms of an iterate so small that its squares
        # may have underflowed are measured again on the rescaled iterate, so that a zero read from
        # underflow does not pass the test; only for the graphs the test decides (a frozen or empty one
        # would ask for it at every test)
        rescue = check and self.iterations >= self.min_iter and self.stop == "rel" and zd.numel() > 0
        # a measured step between tests (check_every > 1, min_iter), or any without a tol (the first and the last
        # two): norms whose float32 squares overflowed are measured rescaled too where a read-back costs nothing
        # (the CPU), so that a solve of huge features does not read as diverged for those rows (on a device,
        # computing them at every such step cost a third of a solve's time: there a solve that met its tol is
        # read past them, see FixedPointInfo)
        # (without a tol, also those whose squares may have underflowed: a tiny iterate's norm read 0, and its
        # growth, over that start, 1e275 in a batch, whose answer's norm is measured in float64; with one, the
        # tests measure them, and a graph whose iterate is 0, an empty one, would ask for it at every step)
        between = not rescue and self.stop == "rel" and zd.numel() > 0 and free_read_back(zd.device)
        low = self.tol is None
        if self.batch is None:
            if rescue and bool((res[1] < _underflow_bound(res.dtype)) | ~torch.isfinite(res).all()):
                res.copy_(torch.stack(self._rescaled_norms(diff, zd, res.dtype)))
            elif between and _unsure_pair(res, low):  # (read back as two numbers: one call, on the CPU)
                res.copy_(torch.where(_unsure(res, low), torch.stack(self._rescaled_norms(diff, zd, res.dtype)), res))
        else:
            ga, gn = self._graph_norms(diff), self._graph_norms(zd)
            if between:
                graphs_unsure, whole_unsure = torch.stack(
                    [(_unsure(gn, low) | ~torch.isfinite(ga)).any(),
                     (_unsure(res[1:], low) | ~torch.isfinite(res[:1])).any()]).tolist()
                if graphs_unsure:
                    ra, rn = self._rescaled_norms(diff, zd, gn.dtype)
                    ga, gn = torch.where(_unsure(ga, low), ra, ga), torch.where(_unsure(gn, low), rn, gn)
                if whole_unsure:
                    whole = torch.stack(self._rescaled_norms(diff, zd, res.dtype, whole=True))
                    res.copy_(torch.where(_unsure(res, low), whole, res))
            small = (self.graph_active & ((gn < _underflow_bound(gn.dtype)) | ~torch.isfinite(gn) | ~torch.isfinite(ga))
                     if rescue else None)
            if small is not None:  # (the whole input's records too, whose norms the divergence rules read)
                any_small, whole_overflowed = torch.stack([small.any(), ~torch.isfinite(res).all()]).tolist()
                if any_small:
                    ra, rn = self._rescaled_norms(diff, zd, gn.dtype)
                    ga, gn = torch.where(small, ra, ga), torch.where(small, rn, gn)
                if whole_overflowed:
                    res.copy_(torch.stack(self._rescaled_norms(diff, zd, res.dtype, whole=True)))
            metric = _relative(ga, gn) if self.stop == "rel" else ga
            if every_graph and not compiling:
                self._record_gradient_step(k, ga, gn, metric, graph_scales)
            else:
                self._graph_res[k] = metric
                if compiling:  # (no out= write, as above)
                    self._graph_steps[k] = torch.stack([ga, gn], dim=-1)
                else:
                    torch.stack([ga, gn], dim=-1, out=self._graph_steps[k])
        if not check or self.iterations < self.min_iter:
            return z_new, False
        if self.batch is None:
            metric = _relative(res[0], res[1]) if self.stop == "rel" else res[0]
            met = metric <= self.tol
            met = met & shrinking(res[0], self._previous(k, self._res[k - 1, 0]) if k else None, res[1], self.stop,
                                  self.tol, self._floor)
            stop = bool(met | ~torch.isfinite(metric))
            if stop:  # (read once per solve)
                self.tol_met = bool(met)
            return z_new, stop
        failed = self.graph_active & ~torch.isfinite(metric)
        self.graph_failed = self.graph_failed | failed
        met = metric <= self.tol
        met = met & shrinking(ga, self._previous(k, self._graph_steps[k - 1, :, 0]) if k else None, gn, self.stop,
                              self.tol, self._floor)
        self.graph_active = self.graph_active & ~met & ~failed
        if not bool(self.graph_active.any()):
            return z_new, True
        self._node_active = self.graph_active[self.batch].view(-1, *([1] * (z.dim() - 1)))
        return z_new, False

    def _scale_at(self, k: int) -> float:
        for start, value in reversed(self._scale_runs):  # (k is one of the last steps: the last runs)
            if start <= k:
                return value
        return 1.0

    def _scale_list(self) -> list[float]:
        out: list[float] = []
        runs = self._scale_runs
        for i, (start, value) in enumerate(runs):
            end = runs[i + 1][0] if i + 1 < len(runs) else self._scale_count
            out += [value] * (end - start)
        return out

    def _set_scale(self, k: int, value: float) -> None:
        """Step ``k``'s factor, out of the steps' order (a solver of your own may report them so): a step
        before the last one starts the steps again from it (those after it are dropped, as the count of
        iterations is), one beyond it leaves 1.0 in between."""
        scales = self._scale_list()[:k]
        scales += [1.0] * (k - len(scales)) + [value]
        self._scale_runs = [(i, v) for i, v in enumerate(scales) if i == 0 or v != scales[i - 1]]
        self._scale_count = len(scales)

    def _previous(self, k: int, previous: Tensor) -> Tensor:
        """The step before step ``k`` as the shrink test compares it with step ``k``: rescaled by the ratio
        of the two steps' factors (itself where they are equal)."""
        if len(self._scale_runs) <= 1:  # (one factor throughout: a constant schedule)
            return previous
        ratio = self._scale_at(k) / self._scale_at(k - 1)  # (both positive: see accept)
        return previous if ratio == 1.0 else previous * ratio

    def step_scales(self) -> Optional[Tensor]:
        """``[iterations]`` each step's factor (float64, on the CPU); None where every step had the same
        (and no graph took a step of its own factor, ``graph_scale_rows``)."""
        if len(self._scale_runs) <= 1 and not self.graph_scale_rows:
            return None
        given = self._scale_list()[:self.iterations]
        return torch.tensor(given + [1.0] * (self.iterations - len(given)), dtype=torch.float64)

    def _graph_last_norms(self, z: Tensor) -> Tensor:
        """Each graph's norm of the answer ``z`` (without synchronisation), a float32 or half-precision
        one accumulated in float64 where the device has it (the CPU, CUDA), whose range holds the
        squares of any float32 entry, else measured rescaled: a finite graph whose float32 squares
        overflow is not read as non-finite (in float64 at 2.6 times a float32 norm's cost; rescaled,
        ten times)."""
        zd = z.detach()
        if zd.dtype == torch.float64 or not zd.numel():
            return self._graph_norms(zd)
        if zd.device.type not in ("cpu", "cuda"):  # (no float64 on every device, MPS: measured rescaled there)
            return self._rescaled_norm(zd, torch.float32, whole=False)
        rows = torch.linalg.vector_norm(zd.reshape(len(zd), -1), dim=1, dtype=torch.float64)
        return torch.zeros(self.num_graphs, device=zd.device, dtype=torch.float64).index_add_(
            0, self.batch, rows.square()).sqrt()

    def _last_norm(self, z: Tensor) -> dict:
        zd = z.detach()
        if not zd.is_floating_point():
            return dict(finite=torch.isfinite(zd).all(), last_norm=None)
        if not zd.numel():
            return dict(finite=torch.ones((), dtype=torch.bool, device=zd.device), last_norm=zd.new_zeros(()))
        # two passes without a copy (a float64 norm copies the iterate: 14x the time of a float32 one);
        # finiteness is exact. A norm whose float32 squares overflow (or underflow) is measured again
        # rescaled where reading it back costs nothing (the CPU): it read inf, and a finite answer a few
        # times its input's size read as an iteration that diverged (alone; in a batch each graph's answer
        # is measured in float64). On a device it stays as read: an iterate that large reads as diverging.
        wide = torch.float32 if zd.dtype in (torch.float16, torch.bfloat16) else None
        finite, norm = all_finite(zd), torch.linalg.vector_norm(zd, dtype=wide)
        if free_read_back(zd.device):  # (one number read back; the entries' finiteness only when it is unsure)
            if _unsure_value(float(norm), norm.dtype) and bool(finite):
                norm = self._rescaled_norm(zd, norm.dtype, whole=True)
        return dict(finite=finite, last_norm=norm)

    def records(self, z: Tensor) -> dict:
        """What the info object needs; no synchronisation on a device (the CPU reads the answer's norm back,
        which costs nothing there)."""
        graph_done = None
        if self.batch is not None and self.tol is not None and self.iterations:
            # the last step may not have been a check step
            met = self.graph_res[-1] <= self.tol
            last = self._graph_steps[self.iterations - 1]
            k = self.iterations - 1
            before = self._previous(k, self._graph_steps[k - 1, :, 0]) if k else None
            met = met & shrinking(last[:, 0], before, last[:, 1], self.stop, self.tol, self._floor)
            self.graph_active = self.graph_active & ~met
        if self.batch is not None:
            graph_done = (~self.graph_active & ~self.graph_failed if self.tol is not None
                          else torch.zeros_like(self.graph_active))
        return dict(
            iterations=self.iterations,
            abs_residuals=self.abs_res.clone(),
            iterate_norms=self.iterate_norms.clone(),
            rel_residuals=self.rel_res.clone(),
            graph_residuals=self.graph_res.clone() if self.batch is not None else None,
            # each graph's step and iterate norms, and its answer's norm: its own divergence test
            graph_steps=self.graph_steps if self.batch is not None else None,  # (read once, by the info)
            graph_last_norms=self._graph_last_norms(z) if self.batch is not None and z.is_floating_point() else None,
            graph_iterations=self.graph_iterations,
            graph_done=graph_done,
            tol_met=self.tol_met if self.batch is None else None,
            # the last iterate's norm (how far the iteration went: the divergence test) and whether
            # every entry is finite
            **self._last_norm(z),
            measured=None if all(self._measured) else torch.tensor(self._measured, dtype=torch.bool),
            gradient_steps=self.gradient_steps,
            iterate_dtype=coarser_dtype(z.dtype, self._precision) if z.is_floating_point() else z.dtype,
            step_scales=self.step_scales(),
            graph_scale_rows=list(self.graph_scale_rows) or None,
        )
