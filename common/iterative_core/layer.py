"""Backend-agnostic parts of the iterative layers.

:class:`IterativeLayerBase` holds the iteration's configuration and runs the solve of

.. math::
    T(z) = \\mathrm{dropout}(\\sigma(\\mathrm{op}(z) [+ x]))

where ``op`` is the graph operator an adapter builds from its ecosystem's graph. :class:`GCNOperatorBase`
holds the parameters of the GCN operator :math:`\\mathrm{op}(z) = \\hat A z W + b` and the rescaling
that guarantees a contraction. The adapters add only the graph handling.
"""
from __future__ import annotations

import math
from typing import Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._keys import check_choice
from .activations import Activation, resolve_activation
from .fixed_point import GRAD_MODES, STOP_RULES, fixed_point
from .info import POLICIES, FixedPointInfo
from .schedules import Smoothing, resolve_schedule
from .solvers import check_solver_options, get_solver

__all__ = ["IterativeLayerBase", "GCNOperatorBase", "ITERATION_KEYS"]

# keyword arguments every iterative layer accepts (beyond its positional ones)
ITERATION_KEYS = (
    "num_iterations", "smoothing", "tol", "act", "dropout", "eval_iterations", "eval_smoothing",
    "inject_input", "contraction", "solver", "solver_options", "grad", "phantom_steps", "stop",
    "min_iter", "check_every", "backward_tol", "backward_max_iter", "on_nonconvergence",
    "on_divergence", "act_lipschitz", "validate",
)


class IterativeLayerBase(nn.Module):
    """Configuration and solve of an iterated operator. See the adapters' ``PIGNConv`` for the
    meaning of each argument."""

    def __init__(
        self,
        channels: int,
        num_iterations: int = 8,
        smoothing: Smoothing = 0.5,
        tol: Optional[float] = None,
        act: Activation = "relu",
        dropout: float = 0.0,
        *,
        eval_iterations: Optional[int] = None,
        eval_smoothing: Optional[Smoothing] = None,
        inject_input: bool = False,
        contraction: Optional[float] = None,
        solver: str = "picard",
        solver_options: Optional[dict] = None,
        grad: str = "unrolled",
        phantom_steps: int = 1,
        stop: str = "rel",
        min_iter: int = 0,
        check_every: int = 1,
        backward_tol: Optional[float] = None,
        backward_max_iter: Optional[int] = None,
        on_nonconvergence: str = "warn",
        on_divergence: str = "warn",
        act_lipschitz: Optional[float] = None,
        validate: bool = True,
    ) -> None:
        super().__init__()
        if not isinstance(channels, int) or channels < 1:
            raise ValueError(f"channels must be a positive int, got {channels!r}")
        if not (0.0 <= dropout < 1.0):
            raise ValueError(f"dropout must lie in [0, 1), got {dropout}")
        if contraction is not None and not (0.0 < contraction < 1.0):
            raise ValueError(f"contraction must lie in (0, 1), got {contraction}")
        get_solver(solver)
        check_solver_options(solver, dict(solver_options or {}))
        check_choice("gradient mode (grad)", grad, GRAD_MODES)
        check_choice("stopping rule (stop)", stop, STOP_RULES)
        check_choice("on_nonconvergence policy", on_nonconvergence, POLICIES)
        check_choice("on_divergence policy", on_divergence, POLICIES)
        # validate the schedules now rather than at the first forward call
        resolve_schedule(smoothing, None if not isinstance(smoothing, (int, float)) else num_iterations)
        self.channels = channels
        self.num_iterations = int(num_iterations)
        self.smoothing = smoothing
        self.eval_iterations = eval_iterations
        self.eval_smoothing = eval_smoothing
        self.tol = tol
        self.act_fn, self.act_lipschitz, self.act = resolve_activation(act, act_lipschitz)
        self.dropout = float(dropout)
        self.inject_input = bool(inject_input)
        self.contraction = contraction
        self.solver = solver
        self.solver_options = dict(solver_options or {})
        self.grad = grad
        self.phantom_steps = int(phantom_steps)
        self.stop = stop
        self.min_iter = int(min_iter)
        self.check_every = int(check_every)
        self.backward_tol = backward_tol
        self.backward_max_iter = backward_max_iter
        self.on_nonconvergence = on_nonconvergence
        self.on_divergence = on_divergence
        self.validate = bool(validate)

    # ------------------------------------------------------------------------------------------
    def lipschitz_budget(self) -> Optional[float]:
        """The Lipschitz constant the graph operator may have so that :math:`T` is a
        ``contraction``: :math:`\\kappa / (\\mathrm{Lip}(\\sigma) \\cdot \\text{dropout scale})`."""
        if self.contraction is None:
            return None
        scale = 1.0 / (1.0 - self.dropout) if (self.training and self.dropout > 0) else 1.0
        return self.contraction / (self.act_lipschitz * scale)

    def _schedule(self) -> tuple[int, Smoothing]:
        if self.training:
            return self.num_iterations, self.smoothing
        n = self.eval_iterations if self.eval_iterations is not None else self.num_iterations
        s = self.eval_smoothing if self.eval_smoothing is not None else self.smoothing
        return n, s

    def solve(
        self,
        op: Callable[[Tensor], Tensor],
        x: Tensor,
        *,
        z_init: Optional[Tensor] = None,
        batch: Optional[Tensor] = None,
        num_graphs: Optional[int] = None,
    ) -> tuple[Tensor, FixedPointInfo]:
        """Iterate :math:`T(z) = \\mathrm{dropout}(\\sigma(\\mathrm{op}(z) [+ x]))` from ``z_init``
        (default ``x``)."""
        act, inject = self.act_fn, self.inject_input
        p = self.dropout if self.training else 0.0
        mask = None
        if p > 0 and self.grad != "unrolled":
            # one mask per forward pass: the operator being solved is one fixed map
            mask = torch.empty_like(x).bernoulli_(1.0 - p).div_(1.0 - p)

        def T(z: Tensor) -> Tensor:
            h = op(z)
            if inject:
                h = h + x
            h = act(h)
            if mask is not None:
                h = h * mask
            elif p > 0:
                h = F.dropout(h, p, training=True)
            return h

        n, s = self._schedule()
        if not isinstance(s, (int, float)):
            s = list(s)
            n = min(n, len(s)) if n is not None else len(s)
        return fixed_point(
            T, x if z_init is None else z_init,
            max_iter=n, tol=self.tol, smoothing=s, solver=self.solver, solver_options=self.solver_options,
            stop=self.stop, min_iter=min(self.min_iter, n), check_every=self.check_every, batch=batch,
            num_graphs=num_graphs, grad=self.grad, phantom_steps=self.phantom_steps,
            backward_tol=self.backward_tol, backward_max_iter=self.backward_max_iter,
            on_nonconvergence=self.on_nonconvergence, on_divergence=self.on_divergence,
        )

    def iteration_repr(self) -> str:
        parts = [f"num_iterations={self.num_iterations}", f"smoothing={self.smoothing}"]
        if self.tol is not None:
            parts.append(f"tol={self.tol}")
        if self.solver != "picard":
            parts.append(f"solver={self.solver!r}")
        if self.grad != "unrolled":
            parts.append(f"grad={self.grad!r}")
        if self.act != "relu":
            parts.append(f"act={self.act!r}")
        if self.dropout:
            parts.append(f"dropout={self.dropout}")
        if self.inject_input:
            parts.append("inject_input=True")
        if self.contraction is not None:
            parts.append(f"contraction={self.contraction}")
        return ", ".join(parts)


class GCNOperatorBase(nn.Module):
    """Parameters of :math:`\\mathrm{op}(z) = \\hat A z W + b`, with two optional variants:

    * initial residual ``alpha`` (APPNP / GCNII): :math:`((1-\\alpha)\\hat A z + \\alpha x) W + b`;
    * identity mapping ``beta`` (GCNII): :math:`W` is replaced by :math:`(1-\\beta) I + \\beta W`.

    :meth:`weight_for` rescales the weight when a Lipschitz budget is given, so that
    :math:`(1-\\alpha)\\|\\hat A\\|_2 \\|W\\|_2 \\le` budget; :math:`\\|W\\|_2` by power iteration whose
    vector is kept across calls (as ``torch.nn.utils.parametrizations.spectral_norm``).
    """

    def __init__(self, channels: int, *, bias: bool = True, alpha: float = 0.0, beta: Optional[float] = None,
                 power_iterations: int = 1) -> None:
        super().__init__()
        if not (0.0 <= alpha < 1.0):
            raise ValueError(f"alpha (initial residual) must lie in [0, 1), got {alpha}")
        if beta is not None and not (0.0 <= beta <= 1.0):
            raise ValueError(f"beta (identity mapping) must lie in [0, 1], got {beta}")
        self.channels = channels
        self.alpha = float(alpha)
        self.beta = beta
        self.power_iterations = int(power_iterations)
        self.weight = nn.Parameter(torch.empty(channels, channels))
        self.bias = nn.Parameter(torch.empty(channels)) if bias else None
        self.register_buffer("_u", torch.empty(channels), persistent=False)
        self._u_ready = False
        self.reset_parameters()

    def reset_parameters(self) -> None:
        nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._u_ready = False

    def _raw_weight(self) -> Tensor:
        if self.beta is None:
            return self.weight
        eye = torch.eye(self.channels, dtype=self.weight.dtype, device=self.weight.device)
        return (1.0 - self.beta) * eye + self.beta * self.weight

    def spectral_norm(self, W: Tensor) -> Tensor:
        """:math:`\\|W\\|_2` by power iteration (differentiable in ``W``, the vectors are not)."""
        with torch.no_grad():
            if not self._u_ready or self._u.dtype != W.dtype:
                self._u = F.normalize(torch.randn(self.channels, dtype=W.dtype, device=W.device), dim=0)
                steps = max(30, self.power_iterations)
                self._u_ready = True
            else:
                steps = self.power_iterations if self.training else 0
            u = self._u
            for _ in range(steps):
                v = F.normalize(W.t() @ u, dim=0, eps=1e-12)
                u = F.normalize(W @ v, dim=0, eps=1e-12)
            self._u = u
            v = F.normalize(W.t() @ u, dim=0, eps=1e-12)
        return torch.dot(u, W @ v).abs()

    def weight_for(self, lipschitz_budget: Optional[float], norm_bound: Optional[Tensor]) -> Tensor:
        W = self._raw_weight()
        if lipschitz_budget is None:
            return W
        if norm_bound is None:
            raise ValueError("a contraction needs a bound on the propagation's norm")
        lip = (1.0 - self.alpha) * norm_bound.to(W.dtype) * self.spectral_norm(W)
        scale = torch.clamp(lipschitz_budget / lip.clamp_min(1e-30), max=1.0)
        return W * scale

    def apply(self, z: Tensor, propagate: Callable[[Tensor], Tensor], W: Tensor, x: Tensor) -> Tensor:
        """:math:`\\hat A z W + b` (or the initial-residual form) with ``propagate`` applying :math:`\\hat A`."""
        if self.alpha:
            h = torch.lerp(propagate(z), x, self.alpha) @ W.t()
        else:
            h = propagate(z @ W.t())
        if self.bias is not None:
            h = h + self.bias
        return h

    def extra_repr(self) -> str:
        parts = [f"{self.channels}"]
        if self.alpha:
            parts.append(f"alpha={self.alpha}")
        if self.beta is not None:
            parts.append(f"beta={self.beta}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)
