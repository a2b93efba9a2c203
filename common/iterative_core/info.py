"""What a fixed-point solve reports, and the error raised when asked to."""
from __future__ import annotations

import math
import warnings
from typing import Optional

import torch
from torch import Tensor

__all__ = ["FixedPointInfo", "ConvergenceError", "ConvergenceWarning", "POLICIES", "apply_policy"]

POLICIES = ("warn", "raise", "ignore")


class ConvergenceError(RuntimeError):
    """Raised when a solve diverges or does not converge and the policy says ``"raise"``."""

    def __init__(self, message: str, info: "FixedPointInfo"):
        super().__init__(message)
        self.info = info


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
            for the steps not measured (``trace=False``: all but the first, the last two and the
            tolerance tests).
        abs_residuals (Tensor): ``[iterations]`` absolute residual :math:`\\|z_{k+1} - z_k\\|`.
        graph_residuals (Tensor or None): ``[iterations, num_graphs]`` per-graph residual in the
            stopping metric (``stop``), when a ``batch`` vector was given.
        graph_iterations (Tensor or None): ``[num_graphs]`` iterations each graph ran.
        converged (bool or Tensor): whether ``tol`` was reached (one flag per graph with a batch).
            Always False when no ``tol`` was given: a fixed number of steps proves nothing.
        status (str): ``"converged"``, ``"max_iter"`` (tol not reached), ``"diverged"`` (NaN/Inf or
            a growing residual) or ``"fixed"`` (no tol given, ran ``max_iter`` steps).
        contraction_factor (float): empirical contraction factor, the geometric mean of the last
            (up to) five ratios :math:`\\|z_{k+1} - z_k\\| / \\|z_k - z_{k-1}\\|`, leaving out steps
            at the dtype's rounding floor (relative residual below :math:`64\\epsilon`); 0.0 when
            the first step already reached it.
        final_residual (float): the last relative residual (NaN when no iteration ran).
        backward (FixedPointInfo or None): the statistics of the adjoint solve of ``grad="implicit"``
            (:math:`g = J^\\top g + \\partial L / \\partial z^*`), filled in when the backward pass runs
            (the last one, if it runs several times).
        backward_iterations (int or None): ``backward.iterations``.
        backward_residual (float or None): ``backward.final_residual``, the relative residual
            :math:`\\|g_{k+1} - g_k\\| / \\|g_k\\|` of the adjoint's last step.
        phase (str): ``"forward"``, or ``"backward"`` for the adjoint solve's own info.
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
        stop: str,
        finite: Tensor,
        divergence_growth: float,
        phase: str = "forward",
        measured: Optional[Tensor] = None,
    ) -> None:
        self.solver = solver
        self.grad = grad
        self.iterations = int(iterations)
        self.abs_residuals = abs_residuals
        self.residuals = rel_residuals
        self.graph_residuals = graph_residuals
        self.graph_iterations = graph_iterations
        self.tol = tol
        self.stop = stop
        self._graph_done = graph_done
        self._finite = finite
        self._divergence_growth = divergence_growth
        self._measured = measured  # [iterations] bool on the CPU; None: every step was measured
        self.phase = phase
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
            r = self.abs_residuals.detach().double().cpu()
            # steps whose relative size is at the dtype's rounding floor measure noise, not the map
            floor = 64 * torch.finfo(self.residuals.dtype).eps if self.residuals.is_floating_point() else 0.0
            meaningful = (self.residuals.detach().double().cpu() > floor) & (r > 1e-300)
            seen = self._seen()
            if int(seen.sum()) < 2 or not torch.isfinite(r[seen]).all():
                q = float("nan")
            else:
                pairs = seen[:-1] & seen[1:]
                ok = meaningful[:-1] & meaningful[1:] & pairs
                ratios = (r[1:] / r[:-1].clamp_min(1e-300))[ok][-5:]
                if ratios.numel():
                    q = float(torch.exp(torch.log(ratios.clamp_min(1e-300)).mean()))
                else:  # 0.0: the steps measured in pairs were all at the floor; NaN: no two adjacent ones
                    q = 0.0 if bool(pairs.any()) else float("nan")
            self._cache["q"] = q
        return self._cache["q"]

    def _seen(self) -> Tensor:
        """``[iterations]`` bool: the steps whose residual was measured."""
        if self._measured is None:
            return torch.ones(self.abs_residuals.numel(), dtype=torch.bool)
        return self._measured

    @property
    def final_residual(self) -> float:
        if self.residuals.numel() == 0:
            return float("nan")
        return float(self.residuals[-1])

    @property
    def diverged(self) -> bool:
        if "div" not in self._cache:
            div = not bool(self._finite)
            r = self.abs_residuals.detach()
            if self._measured is not None:
                r = r[self._measured.to(r.device)]
            if not div and r.numel() > 0:
                if not bool(torch.isfinite(r).all()):
                    div = True
                elif r.numel() >= 3:
                    q = self.contraction_factor
                    first = float(r[0])
                    div = q > 1.0 and float(r[-1]) > self._divergence_growth * max(first, 1e-300)
            self._cache["div"] = div
        return self._cache["div"]

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
                conv = bool(metric[-1] <= self.tol)
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


def apply_policy(info: FixedPointInfo, on_nonconvergence: str, on_divergence: str) -> None:
    """Warn or raise according to the policies; ``"ignore"`` for both reads nothing (no sync)."""
    what = "fixed-point iteration" if info.phase == "forward" else "adjoint fixed-point solve (implicit backward)"
    if on_divergence != "ignore" and info.diverged:
        msg = (
            f"{what} diverged after {info.iterations} iterations "
            f"(final residual {info.final_residual:.3g}, contraction factor {info.contraction_factor:.3g}). "
            "Lower the smoothing's step (raise `smoothing`), bound the operator with `contraction=kappa`, "
            "or switch to solver='anderson'."
        )
        if on_divergence == "raise":
            raise ConvergenceError(msg, info)
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
        return
    if on_nonconvergence != "ignore" and info.tol is not None and info.status == "max_iter":
        msg = (
            f"{what} did not reach tol={info.tol:g} in {info.iterations} iterations "
            f"(final residual {info.final_residual:.3g}, contraction factor {info.contraction_factor:.3g}). "
            + ("Raise `max_iter`" if info.phase == "forward" else "Raise `backward_max_iter` or `backward_tol`")
            + ", use solver='anderson', or set `contraction=kappa` for a guaranteed contraction."
        )
        if on_nonconvergence == "raise":
            raise ConvergenceError(msg, info)
        warnings.warn(msg, ConvergenceWarning, stacklevel=3)
