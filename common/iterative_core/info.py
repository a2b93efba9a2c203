"""What a fixed-point solve reports, and the error raised when asked to."""
from __future__ import annotations

import math
from typing import Optional

import torch
from torch import Tensor

from ._warnings import warn_user
from .monitor import _relative as _relative_steps
from .monitor import rounding_floor, shrinking

__all__ = ["FixedPointInfo", "ConvergenceError", "ConvergenceWarning", "POLICIES", "apply_policy",
           "EXPANSION_FACTOR", "EXPANSION_GROWTH"]

POLICIES = ("warn", "raise", "ignore")

#: An iteration is *expansive* (diverged) when its contraction factor is above ``EXPANSION_FACTOR``
#: and its iterate grew ``EXPANSION_GROWTH``-fold: :math:`\\|z_n\\| > G \\|z_0\\|` (the first step's
#: length :math:`\\|z_1 - z_0\\|` in place of :math:`\\|z_0\\|` when :math:`z_0 = 0`). This is what
#: divergence looks like at a fixed number of steps, where the residual-growth rule
#: (``divergence_growth``, a thousandfold growth of the step) is rarely reached: 8 steps of an
#: operator with gain 2.3 leave an output 300x too large with a step only 200x longer.
#: Both conditions must hold: a factor above 1 alone is common in the first steps of a converging
#: iteration (and Anderson's steps are not monotone), a large iterate alone may be a far fixed point.
#: The values keep clear of trained models that run a fixed number of steps: the paper's form
#: trained on Cora and CiteSeer at 8 and 16 steps (5 seeds, every forward pass of training and
#: evaluation) reaches factors up to 2.2 but growths of at most 91x (Cora) and 152x (CiteSeer).
#: An operator as expansive as that on a large graph is therefore not flagged (the 2.3-gain map
#: above grows only 70-150x in 8 steps on graphs of 100-1000 nodes); the residual rule, or a ``tol``,
#: still reports it as the steps go on.
EXPANSION_FACTOR = 1.5
EXPANSION_GROWTH = 200.0


def _growths(last: Tensor, start: Tensor, first: Tensor) -> Tensor:
    """How far iterates went: the answer's norm ``last`` over the start's ``start``, or over the first
    step's length ``first`` where the start is zero or negligible next to it (float64 tensors)."""
    scale = torch.where(start > 1e-12 * first, start, first)
    return last / scale.clamp_min(1e-300)


def _contraction_factors(r: Tensor, rel: Tensor, seen: Tensor, floor: float) -> Tensor:
    """``[columns]`` empirical contraction factors of the step lengths ``r`` (``[steps, columns]``,
    float64 on the CPU; a column per graph, or one for the whole input): per column, the geometric mean
    of the last (up to) five ratios of adjacent measured steps (``seen``: ``[steps]``, or ``[steps,
    columns]`` where each column took steps of its own), leaving out the steps whose relative length
    ``rel`` is at the rounding ``floor``. 0.0 where every adjacent pair was at it; NaN with fewer than
    two measured steps, none adjacent, or a NaN/Inf step."""
    nan = torch.full((r.shape[1],), float("nan"), dtype=torch.float64)
    if seen.dim() == 1:
        seen = seen[:, None].expand(-1, r.shape[1])
    pairs = seen[:-1] & seen[1:]
    known = torch.isfinite(r) & torch.isfinite(rel)  # (NaN/Inf: a norm that overflowed, left out)
    meaningful = (rel > floor) & (r > 1e-300) & known
    ok = meaningful[:-1] & meaningful[1:] & pairs
    last5 = ok & (ok.flip(0).cumsum(0).flip(0) <= 5)  # the last five ratios of each column
    logs = torch.where(last5, torch.log((r[1:] / r[:-1].clamp_min(1e-300)).clamp_min(1e-300)), 0.0)
    count = last5.sum(0)
    q = torch.where(count > 0, torch.exp(logs.sum(0) / count.clamp_min(1)),
                    torch.where((pairs & known[:-1] & known[1:]).any(0), 0.0, float("nan")))
    # NaN where the last measured step is NaN/Inf; earlier ones that are (the overflowed norms of a huge but
    # finite iterate, kept between a solve's tests on a device) are left out of the ratios
    finite = torch.isfinite(_last_measured(r, seen)) if r.shape[0] else torch.ones(r.shape[1], dtype=torch.bool)
    return torch.where(finite & (seen.sum(0) >= 2), q, nan)


def _last_measured(r: Tensor, seen: Tensor) -> Tensor:
    """``[columns]`` each column's value of ``r`` (``[steps, columns]``, at least one step) at its last
    measured step (``seen``, the same shape; the first row where a column has none)."""
    rows = torch.arange(r.shape[0])[:, None]
    last_row = torch.where(seen, rows, -1).amax(0).clamp_min(0)
    return r[last_row, torch.arange(r.shape[1])]


def _left_the_floor(r: Tensor, rel: Tensor, seen: Tensor, floor: float) -> Tensor:
    """``[columns]`` bool: whether a column's measured steps (``seen``, ``[steps]`` or ``[steps, columns]``)
    shrank from above the rounding ``floor`` to it: a step above it (``rel``, ``[steps, columns]``, the
    relative lengths), and the last measured step shorter than the longest of those (``r``, the lengths).
    Such a solve converged to rounding; one whose steps were all at the floor, or grew while their relative
    length fell under it (an affine growth from zero, whose first step reads 1e12), is read by the steps
    themselves (a half-precision iterate that grows by steps under its floor)."""
    if seen.dim() == 1:
        seen = seen[:, None].expand(-1, rel.shape[1])
    above = (rel > floor) & seen
    longest = torch.where(above, r, torch.zeros_like(r)).amax(0)
    return above.any(0) & (_last_measured(r, seen) < longest)


class ConvergenceError(RuntimeError):
    """Raised when a solve diverges or does not converge and the policy says ``"raise"``."""

    def __init__(self, message: str, info: "FixedPointInfo"):
        super().__init__(message)
        self.info = info

    def __reduce__(self):
        # (an exception pickles as its class and args, which miss ``info``: a worker process raising
        # it could not hand it back to its parent)
        return type(self), (self.args[0], self.info)


class ConvergenceWarning(RuntimeWarning):
    """Warned when a solve diverges or does not converge and the policy says ``"warn"``."""


class FixedPointInfo:
    """Statistics of one fixed-point solve, returned beside the answer.

    Tensors are kept as recorded (on the solve's device); the derived fields are computed when
    first read, so that a caller who never reads them never synchronises with the device.

    Attributes:
        solver (str): the solver's registry name.
        grad (str): the gradient mode.
        iterations (int): forward iterations run (the most any graph ran, with a batch).
        residuals (Tensor): ``[iterations]`` relative residual
            :math:`\\|z_{k+1} - z_k\\| / \\|z_k\\|` after each iteration (the whole input); NaN
            for the steps not measured (``trace=False``: all but the first, the last two, the
            tolerance tests and the step before each).
        abs_residuals (Tensor): ``[iterations]`` absolute residual :math:`\\|z_{k+1} - z_k\\|` (with Anderson,
            the measure it stops on: :math:`\\beta \\|f(z_k) - z_k\\|` of the iterate before the mix, not the
            mix's own step).
        graph_residuals (Tensor or None): ``[iterations, num_graphs]`` per-graph residual in the
            stopping metric (``stop``), when a ``batch`` vector was given.
        graph_iterations (Tensor or None): ``[num_graphs]`` iterations each graph ran.
        converged (bool or Tensor): whether ``tol`` was reached (one flag per graph with a batch).
            Always False when no ``tol`` was given: a fixed number of steps proves nothing.
        status (str): ``"converged"``, ``"max_iter"`` (tol not reached), ``"diverged"`` (NaN/Inf, a
            growing residual or an expansive iteration, see ``divergence_reason``) or ``"fixed"`` (no
            tol given, ran ``max_iter`` steps).
        contraction_factor (float): empirical contraction factor, the geometric mean of the last
            (up to) five ratios :math:`\\|z_{k+1} - z_k\\| / \\|z_k - z_{k-1}\\|` of adjacent
            measured steps, each step divided by its factor :math:`1 - s_k` (Anderson's ``beta``; the
            ratio of the residuals :math:`\\|f(z_k) - z_k\\|`, so that a schedule whose factor
            changes reads as neither a contraction nor an expansion), leaving out steps at the dtype's rounding floor (relative residual below
            :math:`64\\epsilon`, :math:`4\\epsilon` in float16 and bfloat16); 0.0 when every step
            was at it, unless the solve diverged by the residual or the expansion rule: then the factor
            of the steps themselves, which those rules read. Without ``trace`` only
            some steps are measured (see :class:`~iterative_core.SolveConfig`): without a ``tol``, the
            last two, so one ratio; with ``trace=True`` (or a ``tol`` tested at every step), up to five.
        final_residual (float): the last relative residual (NaN when no iteration ran); with a batch,
            the whole input's, where graphs that stopped earlier no longer move: each graph's own is
            the row of ``graph_residuals`` at its last step (``graph_iterations - 1``).
        backward (FixedPointInfo or None): the statistics of the adjoint solve of ``grad="implicit"``
            (:math:`g = J^\\top g + \\partial L / \\partial z^*`), filled in when the backward pass runs
            (the last one, if it runs several times).
        backward_iterations (int or None): ``backward.iterations``.
        backward_residual (float or None): ``backward.final_residual``, the relative residual
            :math:`\\|g_{k+1} - g_k\\| / \\|g_k\\|` of the adjoint's last step.
        phase (str): ``"forward"``, or ``"backward"`` for the adjoint solve's own info.
        iterate_norms (Tensor): ``[iterations]`` :math:`\\|z_k\\|`, the norm of the iterate each step
            started from (NaN for the steps not measured).
        divergence_reason (str or None): why ``diverged`` is True: ``"input"`` (the initial iterate
            held NaN/Inf), ``"nonfinite"`` (NaN/Inf appeared during the iteration), ``"expansive"``
            (contraction factor above :data:`EXPANSION_FACTOR`, 1.5, and the iterate grew
            :data:`EXPANSION_GROWTH`-fold, 200x, see ``iterate_growth``) or ``"residual"``
            (contraction factor at least 1 and the residual grew ``divergence_growth``-fold; where every step
            was at the rounding floor, the factor of the steps themselves) or
            ``"overflow"`` (finite in the compute dtype, float32, but beyond the range of the half
            dtype the layer returns); None when it did not diverge. With a batch, the whole input's
            reason, else that of the first graph in ``graph_diverged``.
        iterate_growth (float): :math:`\\|z_n\\| / \\|z_0\\|` (over :math:`\\|z_1 - z_0\\|` when
            :math:`z_0 = 0`).
        graph_diverged (Tensor or None): ``[num_graphs]`` bool, with a batch: the graphs that diverged
            on their own steps (by the residual or the expansion rule), which count in ``diverged``:
            one such graph among many that converge does not show in the whole batch's residuals.
        graph_contraction_factors, graph_iterate_growth (Tensor or None): ``[num_graphs]`` each graph's
            ``contraction_factor`` and ``iterate_growth`` (float64, on the CPU), with a batch.
        input_nonfinite (int or None): how many entries of the initial iterate were NaN/Inf, when
            ``fixed_point`` counted them (a divergence from the input, reported by a policy).
    """

    def __init__(
        self,
        *,
        solver: str,
        grad: str,
        iterations: int,
        abs_residuals: Tensor,
        rel_residuals: Tensor,
        graph_residuals: Optional[Tensor],
        graph_iterations: Optional[Tensor],
        graph_done: Optional[Tensor],
        tol: Optional[float],
        tol_met: Optional[bool] = None,
        stop: str,
        finite: Tensor,
        divergence_growth: float,
        phase: str = "forward",
        measured: Optional[Tensor] = None,
        iterate_norms: Optional[Tensor] = None,
        last_norm: Optional[Tensor] = None,
        graph_steps: Optional[Tensor] = None,
        graph_last_norms: Optional[Tensor] = None,
        iterate_dtype: Optional[torch.dtype] = None,
        gradient_steps: int = 0,
        step_scales: Optional[Tensor] = None,
        graph_scale_rows: Optional[list] = None,
    ) -> None:
        self.solver = solver
        self._iterate_dtype = iterate_dtype  # the iterates' own precision (the norms are kept in float32)
        self.grad = grad
        self.iterations = int(iterations)
        self.abs_residuals = abs_residuals
        self.residuals = rel_residuals
        self.graph_residuals = graph_residuals
        self.graph_iterations = graph_iterations
        self.tol = tol
        self.stop = stop
        self._graph_done = graph_done
        self._tol_met = bool(tol_met)  # without a batch: a test of the monitor's passed (the solve stopped at tol)
        self._finite = finite
        self._overflow_dtype: Optional[torch.dtype] = None  # set by mark_overflow
        self._returned_dtype: Optional[torch.dtype] = None  # a layer's half dtype, iterated in float32
        self._divergence_growth = divergence_growth
        self._measured = measured  # [iterations] bool on the CPU; None: every step was measured
        self._gradient_steps = gradient_steps  # steps with gradients, in each graph's own last rows (a batch)
        # [iterations] each step's factor of f(z) - z (1 - s_k), float64 on the CPU: the ratios of steps are
        # taken between steps divided by it (None: every step had the same); and (rows, factors) of the
        # steps with gradients that graphs took at rows of their own
        self._step_scales = step_scales
        self._graph_scale_rows = graph_scale_rows or []
        self.phase = phase
        self._has_norms = iterate_norms is not None
        self.iterate_norms = (iterate_norms if iterate_norms is not None
                              else torch.full_like(abs_residuals, float("nan")))
        self._last_norm = last_norm  # ||z_n||, the answer's norm (0-dim, on the device)
        # with a batch: [iterations, num_graphs, 2] each graph's step and iterate norms, and [num_graphs]
        # the norm of each graph's answer (each graph's own divergence test)
        self._graph_steps = graph_steps
        self._graph_last_norms = graph_last_norms
        self.input_nonfinite: Optional[int] = None
        self.backward: Optional["FixedPointInfo"] = None
        self._cache: dict = {}

    @property
    def backward_iterations(self) -> Optional[int]:
        return None if self.backward is None else self.backward.iterations

    @property
    def backward_residual(self) -> Optional[float]:
        return None if self.backward is None else self.backward.final_residual

    # --- derived fields -------------------------------------------------------------------
    @property
    def contraction_factor(self) -> float:
        if "q" not in self._cache:
            q = self._rule_factor()
            if q == 0.0 and self.divergence_reason in ("residual", "expansive"):
                q = self._whole_factor(0.0)  # the steps the divergence rules read, not the floor's 0.0
            self._cache["q"] = q
        return self._cache["q"]

    def _rule_factor(self) -> float:
        """The whole input's contraction factor, steps at the rounding floor left out (0.0 where every
        pair was at it)."""
        if "q_floor" not in self._cache:
            self._cache["q_floor"] = self._whole_factor(self._floor())
        return self._cache["q_floor"]

    def _whole_columns(self) -> tuple[Tensor, Tensor, Tensor]:
        """``(r, rel, seen)`` of the whole input, read back once: its step lengths divided by their factors
        and its relative steps (``[iterations, 1]``, float64 on the CPU), and the steps its rules read
        (:meth:`_whole_seen`)."""
        if "whole_columns" not in self._cache:
            r = self._undamped(self.abs_residuals.detach().double().cpu())[:, None]
            rel = self.residuals.detach().double().cpu()[:, None]
            self._cache["whole_columns"] = (r, rel, self._whole_seen())
        return self._cache["whole_columns"]

    def _whole_factor(self, floor: float) -> float:
        """The contraction factor of the whole input's steps, leaving out those whose relative length is
        at most ``floor``."""
        return float(_contraction_factors(*self._whole_columns(), floor)[0])

    def _whole_left_the_floor(self) -> bool:
        """Whether the whole input's measured steps shrank from above the rounding floor to it (then a factor
        of 0.0, every adjacent pair at the floor, is a solve that converged to rounding: without ``trace`` the
        last two steps are the only pair, and their ratio is noise). See :func:`_left_the_floor`."""
        return bool(_left_the_floor(*self._whole_columns(), self._floor())[0])

    def _undamped(self, r: Tensor) -> Tensor:
        """The step lengths ``r`` (``[iterations]``, float64 on the CPU) divided by their steps' factors:
        ``||f(z_k) - z_k||``, whose ratios measure the map whatever the schedule."""
        return r if self._step_scales is None else r / self._step_scales[: r.shape[0]]

    def _graph_scales(self) -> Optional[Tensor]:
        """``[iterations, num_graphs]`` each graph's factor of each of its steps (float64, on the CPU;
        None where all are equal): a step with gradients that a graph took at a row of its own has the
        factor of its own step, not that of the solver's step in the row."""
        if "graph_scales" not in self._cache:
            m = None
            if self._step_scales is not None:
                n, num_graphs = self._graph_steps.shape[:2]
                m = self._step_scales[:n, None].expand(n, num_graphs).clone()
                cols = torch.arange(num_graphs)
                for rows, factors in self._graph_scale_rows:
                    m[rows.detach().cpu(), cols] = factors.detach().double().cpu()
                if m.numel() == 0 or bool((m == m.reshape(-1)[0]).all()):
                    m = None
            self._cache["graph_scales"] = m
        return self._cache["graph_scales"]

    def _floor(self) -> float:
        """A relative step at the iterates' rounding floor measures noise, not the map (a half-precision
        iterate's floor, not that of the float32 its norms are kept in)."""
        dtype = getattr(self, "_iterate_dtype", None)
        if dtype is None or not dtype.is_floating_point:
            dtype = self.residuals.dtype
        return rounding_floor(dtype)

    def _seen(self) -> Tensor:
        """``[iterations]`` bool: the steps whose residual was measured."""
        if self._measured is None:
            return torch.ones(self.abs_residuals.numel(), dtype=torch.bool)
        return self._measured

    def _whole_seen(self) -> Tensor:
        """:meth:`_seen`, for the whole input's factor and divergence rules: without the step after each
        stop of a graph of the batch, nor the steps with gradients where a graph stopped before them. Such
        a graph takes its step from where it stopped, and the batch's record of that step mixes it with
        the others' (a large graph converged long before read as a step grown from 1e-7 to 2e-3, a factor
        of 6.2, and "diverged: expansive"); each graph's own rules read it in its own rows."""
        if "whole_seen" not in self._cache:
            seen = self._seen()
            stops = (self.graph_iterations.detach().cpu() - self._gradient_steps if self._graph_steps is not None
                     and self.graph_iterations is not None else None)  # (every graph takes the gradient steps)
            # (a graph that stopped after fewer than two steps, an empty one or one at its fixed point from the
            # start, took no share worth leaving out)
            last = seen.numel() - self._gradient_steps
            stopped = [int(k) for k in torch.unique(stops) if 2 <= int(k) < last] if stops is not None else []
            cut = self._gradient_steps and stopped
            if stopped:
                # the step after a graph stopped: the batch's step then drops by that graph's share, a ratio
                # (of 0.0007, say) that is no contraction of anyone's; its ratios are left out
                seen = seen.clone()
                seen[stopped] = False
            if cut:
                seen[max(seen.numel() - self._gradient_steps, 0):] = False
            self._cache["whole_seen"] = seen
        return self._cache["whole_seen"]

    @property
    def final_residual(self) -> float:
        if self.residuals.numel() == 0:
            return float("nan")
        return float(self.residuals[-1])

    @property
    def diverged(self) -> bool:
        return self.divergence_reason is not None

    @property
    def divergence_reason(self) -> Optional[str]:
        if "div" not in self._cache:
            # the whole input's steps, then each graph's own (with a batch)
            whole = self._divergence()
            self._cache["div_in_graphs"] = whole is None
            self._cache["div"] = whole or self._graph_divergence()
        return self._cache["div"]

    def _divergence(self) -> Optional[str]:
        r = self.abs_residuals.detach()
        norms = self.iterate_norms.detach()
        seen = self._whole_seen().to(r.device)
        if self.iterations == 0 or r.numel() == 0:
            return None if bool(self._finite) else "input"
        # a finite iterate that met its tol at a test, which measures an iterate whose float32 squares overflow
        # on its rescaled entries: the non-finite norms of the steps between tests (check_every > 1) and of
        # the start are that overflow, not a divergence; the rules below read the finite steps. In a batch:
        # where each graph whose own steps read NaN/Inf met its tol (the whole input's non-finite rows are
        # those graphs' overflow). Read only where a norm is NaN/Inf.
        def overflowed() -> bool:
            return bool(self._finite) and (self._tol_met if self._graph_done is None
                                           else self._graphs_met_past_overflow())

        # the first step is always measured: ||z_0|| non-finite means the input held NaN/Inf
        if self._has_norms and not bool(torch.isfinite(norms[0])) and not overflowed():
            return "input"
        if not bool(self._finite):
            return "nonfinite"
        if self._step_scales is not None:  # (the growth rule compares the map's residuals, not the steps)
            r, seen = self._undamped(r.double().cpu()), seen.cpu()
        r = r[seen]
        if not bool(torch.isfinite(r).all()):
            if not overflowed():
                return "nonfinite"
            r = r[torch.isfinite(r)]
        if r.numel() < 2:
            return None
        q = self._rule_factor()
        if q == 0.0 and not self._whole_left_the_floor():
            q = self._whole_factor(0.0)  # every step at the rounding floor: the rules read the steps themselves
        if math.isnan(q) or q < 1.0:  # (1.0: steps that stopped shrinking, equal in a half-precision iterate)
            return None
        first, last = float(r[0]), float(r[-1])
        if r.numel() >= 3 and last > self._divergence_growth * max(first, 1e-300):
            return "residual"
        if q > EXPANSION_FACTOR and self.iterate_growth > EXPANSION_GROWTH:  # NaN growth: False
            return "expansive"
        return None

    def _graphs_met_past_overflow(self) -> bool:
        """With a batch and a tol: whether each graph whose own measured steps read NaN/Inf met its tol."""
        if self.tol is None:
            return False
        if self._graph_steps is None:  # (no steps of each graph recorded: every graph met its tol)
            return bool(self._graph_done.all())
        return bool((self._graph_nonfinite_steps() <= self._graph_done.detach().cpu()).all())

    def _graph_nonfinite_steps(self) -> Tensor:
        """``[num_graphs]`` bool, with a batch: the graphs whose own measured steps read NaN/Inf (every graph's
        steps read back once, for the divergence rules and :attr:`graph_diverged`)."""
        if "graph_nonfinite" not in self._cache:
            r, _, seen = self._graph_columns(slice(None))
            self._cache["graph_nonfinite"] = (~torch.isfinite(r) & seen).any(0)
        return self._cache["graph_nonfinite"]

    def _graph_divergence(self) -> Optional[str]:
        """The reason of the first graph of a batch that diverged on its own steps (None: none did)."""
        rules = self._graph_rules()
        if rules is None:
            return None
        residual, expansive = rules
        flagged = torch.nonzero(residual | expansive).flatten()
        if not flagged.numel():
            return None
        return "residual" if bool(residual[flagged[0]]) else "expansive"

    def mark_overflow(self, dtype: torch.dtype) -> None:
        """The solve ran finite in its compute dtype, but its answer overflows ``dtype``, the dtype
        it is returned in (float16's largest value is 65504): it counts as diverged."""
        self._overflow_dtype = dtype
        self._cache.clear()
        self._cache["div"] = "overflow"

    def set_input_nonfinite(self, count: int) -> None:
        """Record how many entries of the initial iterate are NaN/Inf (``fixed_point`` counts them when
        the solve diverged from its input). None of them: its norm overflowed instead, and the
        divergence is the iteration's own."""
        self.input_nonfinite = int(count)
        if count == 0 and self._cache.get("div") == "input":
            self._cache["div"] = "nonfinite"

    @property
    def iterate_growth(self) -> float:
        """How far the iterate went: :math:`\\|z_n\\| / \\|z_0\\|`, the norm of the answer over that of
        the start (over the first step's length :math:`\\|z_1 - z_0\\|` when :math:`z_0 = 0`). NaN when
        no step ran."""
        if "growth" not in self._cache:
            g = float("nan")
            if self.iterations and self.abs_residuals.numel() and self._has_norms:
                last = (float(self._last_norm) if self._last_norm is not None
                        else float(self.iterate_norms[self._seen().to(self.iterate_norms.device)][-1]))
                g = float(_growths(torch.tensor(last, dtype=torch.float64),
                                   self.iterate_norms[0].detach().double().cpu(),
                                   self.abs_residuals[0].detach().double().cpu()))
            self._cache["growth"] = g
        return self._cache["growth"]

    @property
    def graph_contraction_factors(self) -> Optional[Tensor]:
        """``[num_graphs]`` each graph's ``contraction_factor`` (float64, on the CPU), with a batch."""
        if self._graph_steps is None:
            return None
        if "graph_q" not in self._cache:
            q = self._graph_factors(slice(None))
            # a graph that diverged with every step at the rounding floor: the factor its rules read
            floored = torch.nonzero((q == 0.0) & self.graph_diverged).flatten()
            if floored.numel():
                q[floored] = self._graph_factors(floored, floor=0.0)
            self._cache["graph_q"] = q
        return self._cache["graph_q"]

    def _graph_factors(self, graphs, floor: Optional[float] = None) -> Tensor:
        """The contraction factors of the ``graphs`` (an index or a slice) of the batch. ``floor``: the
        relative step below which a step is left out (default: the iterates' rounding floor)."""
        return _contraction_factors(*self._graph_columns(graphs), self._floor() if floor is None else floor)

    def _graph_columns(self, graphs) -> tuple[Tensor, Tensor, Tensor]:
        """``(r, rel, seen)`` of the ``graphs`` (an index or a slice) of the batch, ``[steps, graphs]``: their
        step lengths divided by their factors, their relative steps (float64, on the CPU) and the steps
        each one took itself. Only their columns of the per-graph steps are read back."""
        steps = self._graph_steps[:, graphs].detach().double().cpu()
        rel = _relative_steps(steps[..., 0], steps[..., 1])
        scales = self._graph_scales()
        r = steps[..., 0] if scales is None else steps[..., 0] / scales[:, graphs]
        seen = self._seen()[:, None]
        if self.graph_iterations is not None:  # a graph's own steps: not those it stood frozen through
            own = self.graph_iterations.detach().cpu()[graphs][None, :]
            rows = torch.arange(steps.shape[0])[:, None]
            if self._gradient_steps:  # its last rows hold the steps with gradients: measured, whatever the batch's
                seen = seen | (rows >= own - self._gradient_steps)
            seen = seen & (rows < own)
        return r, rel, seen

    def _graph_ends(self) -> Optional[tuple[Tensor, Tensor, int]]:
        """``(first, last, count)``: each graph's step and iterate norms ``[num_graphs, 2]`` (float64, on
        the CPU) at the first and at the last measured step, and how many steps were measured."""
        if "graph_ends" not in self._cache:
            rows = torch.nonzero(self._seen()).flatten()
            ends = None
            if rows.numel() and self._graph_steps.shape[0]:
                both = self._graph_steps[torch.stack([rows[0], rows[-1]]).to(self._graph_steps.device)]
                both = both.detach().double().cpu()
                ends = (both[0], both[1], int(rows.numel()))
            self._cache["graph_ends"] = ends
        return self._cache["graph_ends"]

    @property
    def graph_iterate_growth(self) -> Optional[Tensor]:
        """``[num_graphs]`` each graph's ``iterate_growth`` (float64, on the CPU), with a batch."""
        if self._graph_steps is None:
            return None
        if "graph_growth" not in self._cache:
            g = torch.full(self._graph_steps.shape[1:2], float("nan"), dtype=torch.float64)
            ends = self._graph_ends() if self.iterations else None
            if ends is not None:
                first, last, _ = ends
                norms = (self._graph_last_norms.detach().double().cpu() if self._graph_last_norms is not None
                         else last[:, 1])
                g = _growths(norms, first[:, 1], first[:, 0])
            self._cache["graph_growth"] = g
        return self._cache["graph_growth"]

    def _graph_rules(self) -> Optional[tuple[Tensor, Tensor]]:
        """``([num_graphs], [num_graphs])`` bool: the graphs that diverged by the residual-growth rule
        and by the expansion rule, each judged on its own steps (None without a batch). The rules'
        growth conditions are read first, from each graph's first and last steps; the contraction
        factors only of the graphs that meet one (usually none)."""
        if self._graph_steps is None:
            return None
        if "graph_rules" not in self._cache:
            num_graphs = self._graph_steps.shape[1]
            residual = torch.zeros(num_graphs, dtype=torch.bool)
            expansive = torch.zeros(num_graphs, dtype=torch.bool)
            ends = self._graph_ends()
            if ends is not None and ends[2] >= 2:
                first, last, count = ends
                growth = self.graph_iterate_growth
                r_first, r_last = first[:, 0], last[:, 0]
                scales = self._graph_scales()
                if scales is not None:  # (the map's residuals, not the steps: see _undamped)
                    rows = torch.nonzero(self._seen()).flatten()
                    r_first, r_last = r_first / scales[rows[0]], r_last / scales[rows[-1]]
                grew = (r_last > self._divergence_growth * r_first.clamp_min(1e-300)) if count >= 3 \
                    else torch.zeros_like(residual)
                candidates = torch.nonzero((growth > EXPANSION_GROWTH) | grew).flatten()  # NaN: not one
                if candidates.numel():
                    columns = self._graph_columns(candidates)
                    q = _contraction_factors(*columns, self._floor())
                    # every pair at the rounding floor (0.0) with steps that did not shrink to it from above: the
                    # rules read the steps themselves
                    at_floor = (q == 0.0) & ~_left_the_floor(*columns, self._floor())
                    q = torch.where(at_floor, _contraction_factors(*columns, 0.0), q)
                    residual[candidates] = (q >= 1.0) & grew[candidates]
                    expansive[candidates] = ((q > EXPANSION_FACTOR) & (growth[candidates] > EXPANSION_GROWTH)
                                             & ~residual[candidates])
            self._cache["graph_rules"] = (residual, expansive)
        return self._cache["graph_rules"]

    @property
    def graph_diverged(self) -> Optional[Tensor]:
        """``[num_graphs]`` bool, with a batch: the graphs whose own steps diverged, by the residual or
        the expansion rule (one such graph among many that converge leaves the whole batch's
        residuals and growth below the thresholds), and the graphs whose answer holds NaN/Inf (the
        whole batch's ``divergence_reason`` is then ``"nonfinite"``)."""
        rules = self._graph_rules()
        if rules is None:
            return None
        if "graph_diverged" not in self._cache:  # (the messages read it again: one read of the norms)
            flagged = rules[0] | rules[1]
            if self._graph_last_norms is not None:
                flagged = flagged | ~torch.isfinite(self._graph_last_norms.detach().cpu())
            # a graph with a NaN/Inf step norm, unless it met its tol (at a test, which measures an iterate whose
            # float32 squares overflow rescaled: the steps between tests read that overflow)
            done = self._graph_done.detach().cpu() if self._graph_done is not None else torch.zeros_like(flagged)
            flagged = flagged | (self._graph_nonfinite_steps() & ~done)
            self._cache["graph_diverged"] = flagged
        return self._cache["graph_diverged"]

    @property
    def converged(self):
        if "conv" not in self._cache:
            if self._graph_done is not None:
                # per graph: reached tol (a graph whose residual became non-finite never counts)
                conv = self._graph_done.clone() if self.tol is not None else torch.zeros_like(self._graph_done)
            elif self.tol is None or self.diverged or self.residuals.numel() == 0:
                conv = False
            else:
                metric = self.residuals if self.stop == "rel" else self.abs_residuals
                steps = self.abs_residuals
                met = metric[-1] <= self.tol
                # (the steps must still shrink, as the monitor tests them; a first step must be at the floor)
                before = steps[-2] if steps.numel() >= 2 else None
                if before is not None and self._step_scales is not None:
                    before = before * float(self._step_scales[steps.numel() - 1] / self._step_scales[steps.numel() - 2])
                met = met & shrinking(steps[-1], before, self.iterate_norms[-1], self.stop, self.tol, self._floor())
                # a solve that stopped at its tol converged, whatever the step with gradients after it reads (after
                # Anderson's last step, measured before its mix, a plain step may be longer), as a batch's graph
                conv = bool(met) or self._tol_met
            self._cache["conv"] = conv
        return self._cache["conv"]

    @property
    def status(self) -> str:
        if self.diverged:
            return "diverged"
        if self.tol is None:
            return "fixed"
        conv = self.converged
        ok = bool(conv.all()) if isinstance(conv, Tensor) else conv
        return "converged" if ok else "max_iter"

    def as_dict(self) -> dict:
        """Plain-Python summary (floats and ints), handy for logging."""
        conv = self.converged
        return {
            "solver": self.solver,
            "grad": self.grad,
            "status": self.status,
            "iterations": self.iterations,
            "final_residual": self.final_residual,
            "contraction_factor": self.contraction_factor,
            "converged": conv.tolist() if isinstance(conv, Tensor) else conv,
            "backward_iterations": self.backward_iterations,
            "backward_residual": self.backward_residual,
        }

    def __repr__(self) -> str:
        res = self.final_residual
        q = self.contraction_factor
        fmt = lambda v: "nan" if math.isnan(v) else f"{v:.3g}"  # noqa: E731
        return (
            f"FixedPointInfo(status={self.status!r}, iterations={self.iterations}, "
            f"final_residual={fmt(res)}, contraction_factor={fmt(q)}, solver={self.solver!r}, grad={self.grad!r})"
        )


def divergence_message(info: FixedPointInfo) -> str:
    """Why the solve of ``info`` diverged and what to do, in words."""
    what = "fixed-point iteration" if info.phase == "forward" else "adjoint fixed-point solve (implicit backward)"
    head = f"{what} diverged after {info.iterations} iterations"
    stats = (f"final residual {info.final_residual:.3g}, contraction factor {info.contraction_factor:.3g}")
    advice = ("Lower the smoothing's step (raise `smoothing`), bound the operator with `contraction=kappa` (the GCN "
              "operator's option; bound another's weights yourself, e.g. with spectral_norm)"
              + ("." if info.solver == "anderson" else ", or switch to solver='anderson' (with grad='implicit')."))
    reason = info.divergence_reason
    if reason in ("residual", "expansive") and info._cache.get("div_in_graphs"):
        return _graph_divergence_message(info, head, advice)
    if reason == "input":
        n = info.input_nonfinite
        count = "" if n is None else f" ({n} NaN/Inf {'entry' if n == 1 else 'entries'})"
        if info.phase == "forward":
            return (f"{head}: its input, the initial iterate z0, holds NaN/Inf{count}{_diverged_graphs(info)}, which "
                    "no iteration can remove. Check the input (the node features, and z_init if you pass one) for NaN/Inf; "
                    "smoothing, contraction or another solver will not help.")
        return (f"{head}: the incoming gradient holds NaN/Inf{count}; check the loss and the layers after "
                "this one for NaN/Inf.")
    if reason == "nonfinite":
        returned = info._returned_dtype
        if bool(info._finite) and returned is not None and torch.finfo(returned).max < 1e10:
            # float32 norms overflow only for entries far beyond float16's range (not bfloat16's, which is
            # float32's): the answer holds Inf
            return (f"{head}: the iterate, finite in float32 (the dtype the iteration runs in), grew beyond the range "
                    f"of {returned}, the dtype the layer returns (largest {torch.finfo(returned).max:g}): its residual "
                    f"norms overflowed float32 and the output holds Inf ({stats}){_diverged_graphs(info)}. Scale "
                    "the features down, or run the layer in float32 (or bfloat16, whose range is float32's). "
                    + advice)
        if bool(info._finite):
            start = info.iterate_norms[:1].detach()
            first = info.abs_residuals[:1].detach()
            moderate = lambda t: t.numel() and bool(torch.isfinite(t).all()) and float(t.max()) < 1e15  # noqa: E731
            if moderate(start) and moderate(first):
                # from a moderate start and a moderate first step (large features injected into a small start
                # make the first step large): the steps made the iterate that large
                return (f"{head}: a residual norm is NaN/Inf although every entry of the iterate is finite "
                        f"({stats}){_diverged_graphs(info)}: the iterate grew from a norm of {float(start.max()):.3g} "
                        "at the start until its residual norms' float32 sums of squares overflowed (or an "
                        "intermediate iterate overflowed and the activation brought it back): the operator is "
                        "expansive. " + advice)
            if info.phase != "forward":  # (the adjoint is linear, from the incoming gradient: no activation)
                return (f"{head}: a residual norm is NaN/Inf although every entry of the iterate is finite "
                        f"({stats}){_diverged_graphs(info)}: the incoming gradient is so large (float32 entries above "
                        "about 1.8e19 / sqrt(number of entries)) that the residual norms' float32 sums of squares "
                        "overflowed. Scale the loss down, or run in float64.")
            return (f"{head}: a residual norm is NaN/Inf although every entry of the iterate is finite "
                    f"({stats}){_diverged_graphs(info)}. If the iterates are very large (float32 entries above about "
                    "1.8e19 / sqrt(number of entries)), the residual norms' float32 sums of squares "
                    "overflowed, not the iterate: scale the features down or run in float64. Otherwise an "
                    "intermediate iterate overflowed and the activation brought it back. " + advice)
        first = info.abs_residuals[:1].detach()
        start = info.iterate_norms[:1].detach()  # ||z0||: far from the dtype's range, no one step overflows it
        if (info.phase == "forward" and first.numel() and info._has_norms and bool(torch.isnan(first).any())
                and bool((start <= torch.finfo(start.dtype).max ** 0.5).all())):
            # the first step is always measured: the map turned a moderate finite iterate into NaN at once (an
            # Inf, or NaN from a start near the range's end, inf - inf, may be one step's overflow)
            return (f"{head}: the first step already returned NaN from the finite initial iterate ({stats})"
                    f"{_diverged_graphs(info)}: the map produces them itself, before any growth, so smoothing, "
                    "contraction or another solver will not help. Check what it computes with: edge weights (a "
                    "negative one makes a degree normalisation such as GCNConv's take the square root of a negative "
                    "degree), parameters, features injected at every step; call the operator once on the input to "
                    "see where NaN appears.")
        return (f"{head}: NaN/Inf appeared during the iteration (the initial iterate was finite; {stats})"
                f"{_diverged_graphs(info)}. If the operator's inputs (features injected at every step, edge "
                "weights, parameters) are finite, the iterate overflowed because the operator is expansive. "
                + advice)
    if reason == "overflow":
        dtype = info._overflow_dtype
        return (f"{what}: the fixed point is finite in float32, the dtype the iteration runs in, but overflows "
                f"{dtype} when cast back (largest {dtype}: {torch.finfo(dtype).max:g}): the output holds Inf. "
                "Run the layer in float32 (or bfloat16, whose range is float32's), or scale the features down.")
    if reason == "expansive":
        return (f"{head}: the operator is expansive: the iterate grew {info.iterate_growth:.3g}x while each "
                f"step grew by the contraction factor {info.contraction_factor:.3g} (> 1); {stats}"
                f"{_diverged_graphs(info)}. The output is not near a fixed point. " + advice)
    return f"{head} (the residual grew; {stats}{_diverged_graphs(info)}). " + advice


def _unconverged_graphs(info: FixedPointInfo) -> Optional[list]:
    """The graphs of a batch of more than one that did not reach ``tol``, the first of them after at
    least one step (None without a batch, with per-graph statistics missing, or else)."""
    converged = info.converged
    if (not isinstance(converged, Tensor) or converged.numel() < 2 or info.graph_iterations is None
            or info.graph_residuals is None or info.graph_contraction_factors is None or bool(converged.all())):
        return None
    failed = torch.nonzero(~converged.cpu()).flatten().tolist()
    return failed if int(info.graph_iterations[failed[0]]) > 0 else None


def _listed(noun: str, ids: list) -> str:
    """``graph 3`` or ``graphs 1, 4, 5, 6, 7 and 2 more``: at most five ids, then how many more."""
    shown = ", ".join(str(g) for g in ids[:5]) + (f" and {len(ids) - 5} more" if len(ids) > 5 else "")
    return f"{noun}{'s' if len(ids) > 1 else ''} {shown}"


def _diverged_graphs(info: FixedPointInfo) -> str:
    """`` in graphs 1, 4 of the batch (`info.graph_diverged`)``: the graphs that diverged on their own
    steps or whose answer holds NaN/Inf, with a batch; empty without one."""
    flagged = info.graph_diverged
    if flagged is None or not bool(flagged.any()):
        return ""
    ids = torch.nonzero(flagged).flatten().tolist()
    return (f", in {len(ids)} of {flagged.numel()} graphs of the batch ({_listed('graph', ids)}; "
            "`info.graph_diverged` marks them, and the other graphs' outputs do not depend on them)")


def _graph_divergence_message(info: FixedPointInfo, head: str, advice: str) -> str:
    """The message for graphs of a batch that diverged on their own steps while the whole batch's
    residuals and growth stay below the thresholds."""
    flagged = torch.nonzero(info.graph_diverged).flatten().tolist()
    first = flagged[0]
    q = float(info.graph_contraction_factors[first])
    where = f"{head} in {len(flagged)} of {info.graph_diverged.numel()} graphs of the batch ({_listed('graph', flagged)})"
    if bool(info._graph_rules()[1][first]):
        how = (f"the operator is expansive on graph {first}: its iterate grew "
               f"{float(info.graph_iterate_growth[first]):.3g}x while each step grew by the contraction "
               f"factor {q:.3g} (> 1)")
    else:
        how = f"the residual of graph {first} grew (contraction factor {q:.3g})"
    return (f"{where}: {how}. Over the whole batch it does not show (the iterate grew "
            f"{info.iterate_growth:.3g}x, contraction factor {info.contraction_factor:.3g}), and the other "
            "graphs' outputs do not depend on it; "
            f"`info.graph_diverged` marks the graphs whose output is not near a fixed point. " + advice)


def _emit(policy: str, msg: str, info: FixedPointInfo) -> None:
    """Raise or warn ``msg``; a warning names the user's line (the first frame outside the library and torch)."""
    if policy == "raise":
        raise ConvergenceError(msg, info)
    warn_user(msg, ConvergenceWarning)


def tol_text(tol: float) -> str:
    """``tol`` as a message shows it: ``{tol:g}``, or every digit where that rounds it (1.2345e-05 for
    1.2344999e-05 would put a residual between them on the wrong side of it)."""
    text = f"{tol:g}"
    return text if float(text) == tol else repr(tol)


def beside(value: float, ref: float) -> str:
    """``value`` in 3 significant digits, or as many more as it takes to stand on the same side of ``ref``
    as shown (:func:`tol_text`) as it does of ``ref`` (a residual of 1.0025e-05 shown beside tol=1e-05
    read "1e-05", as if it met the tol; one of 1.0348e-03 beside 1.0345e-03 read "0.00103", below it)."""
    shown = float(tol_text(ref))
    for digits in range(3, 18):
        text = f"{value:.{digits}g}"
        v = float(text)
        if value != value or value == ref or (value > ref and v > shown) or (value < ref and v < shown):
            return text
    return repr(value)


def apply_policy(info: FixedPointInfo, on_nonconvergence: str, on_divergence: str) -> None:
    """Warn or raise according to the policies; ``"ignore"`` for both reads nothing (no sync)."""
    what = "fixed-point iteration" if info.phase == "forward" else "adjoint fixed-point solve (implicit backward)"
    if on_divergence != "ignore" and info.diverged:
        _emit(on_divergence, divergence_message(info), info)
        return
    # a diverged solve did not reach its tol either: with divergence ignored, the non-convergence policy holds
    if on_nonconvergence == "ignore" or info.tol is None:
        return
    if on_divergence == "ignore" and info.status == "diverged":  # (the divergence's own report, and what to do)
        report = divergence_message(info)
        if report.startswith(what + " "):
            report = "it " + report[len(what) + 1:]
        elif report.startswith(what + ": "):
            report = report[len(what) + 2:]
        _emit(on_nonconvergence, f"{what} did not reach tol={tol_text(info.tol)}: {report}", info)
        return
    if info.status == "max_iter":
        final = beside(info.final_residual, info.tol)
        failed = _unconverged_graphs(info)
        if failed is not None:  # a batch: the graphs that did not reach tol, each on its own steps
            first, total = failed[0], info.graph_iterations.numel()
            n = int(info.graph_iterations[first])
            r = float(info.graph_residuals[n - 1, first])
            q = float(info.graph_contraction_factors[first])
            state = (f"its residual {beside(r, info.tol)} within tol but its steps did not shrink, so it certifies "
                     "no fixed point" if r <= info.tol else f"its residual {beside(r, info.tol)}")
            if len(failed) < total:
                which = (f"in {len(failed)} of {total} graphs of the batch ({_listed('graph', failed)}; "
                         f"`info.converged` is False for them): graph {first}")
                others = "; the other graphs' outputs do not depend on it"
            else:
                which, others = f"in any of the {total} graphs of the batch: graph {first}, the first,", ""
            reached = (f"{what} did not reach tol={tol_text(info.tol)} {which} stopped at max_iter={n} with {state} "
                       f"(contraction factor {q:.3g}){others}. ")
        elif info.final_residual <= info.tol:  # within tol, but the steps did not show that they shrink (NaN: False)
            why = ("one step cannot show that the steps shrink (two can)" if info.iterations <= 1 else
                   "the steps did not shrink, so it certifies no fixed point (see monitor.shrinking)")
            reached = (f"{what} stopped at max_iter={info.iterations} with its residual within tol={tol_text(info.tol)} "
                       f"(final residual {final}, contraction factor {info.contraction_factor:.3g}), but {why}. ")
        else:
            reached = (f"{what} did not reach tol={tol_text(info.tol)} in {info.iterations} iterations "
                       f"(final residual {final}, contraction factor {info.contraction_factor:.3g}). ")
        msg = (
            reached
            + ("Raise `max_iter` (a layer's `num_iterations`)" if info.phase == "forward"
               else "Raise `backward_max_iter` or `backward_tol`")
            + ("" if info.solver == "anderson" else ", use solver='anderson' (with grad='implicit')")
            + ", or set `contraction=kappa` (the GCN operator's option) for a guaranteed contraction."
        )
        _emit(on_nonconvergence, msg, info)
