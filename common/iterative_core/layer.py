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
from .activations import Activation, inplace_activation, resolve_activation
from .fixed_point import GRAD_MODES, STOP_RULES, fixed_point
from .info import POLICIES, FixedPointInfo
from .schedules import Smoothing, resolve_schedule
from .solvers import check_solver_options, get_solver

__all__ = ["IterativeLayerBase", "GCNOperatorBase", "ITERATION_KEYS", "scaled_add"]

# keyword arguments every iterative layer accepts (beyond its positional ones)
ITERATION_KEYS = (
    "num_iterations", "smoothing", "tol", "act", "dropout", "eval_iterations", "eval_smoothing",
    "inject_input", "contraction", "solver", "solver_options", "grad", "phantom_steps", "stop",
    "min_iter", "check_every", "trace", "backward_tol", "backward_max_iter", "backward_solver",
    "backward_solver_options", "on_nonconvergence", "on_divergence", "act_lipschitz", "validate",
)


class IterativeLayerBase(nn.Module):
    """Configuration and solve of an iterated operator. See the adapters' ``PIGNConv`` for the
    meaning of each argument; every keyword of :func:`iterative_core.fixed_point` that configures
    the solve is a layer option (``ITERATION_KEYS``).

    ``contraction=kappa`` (:math:`0 < \\kappa < 1`) guarantees that :math:`T` is a contraction: the
    operator's weight is rescaled (:meth:`GCNOperatorBase.weight_for` with :meth:`lipschitz_budget`)
    so that :math:`\\mathrm{Lip}(\\sigma) \\cdot \\text{dropout scale} \\cdot (1-\\alpha)\\|\\hat A\\|_2
    \\|W\\|_2 \\le \\kappa`, with :math:`\\|\\hat A\\|_2 \\le 1` exactly for an undirected graph under
    :math:`D^{-1/2}(A+I)D^{-1/2}` (the Schur-test bound otherwise, see :class:`GCNOperatorBase`).
    Then :math:`\\|T(z) - T(z')\\|_F \\le \\kappa \\|z - z'\\|_F`: the fixed point exists and is
    unique, Picard's error after :math:`k` steps is at most :math:`\\kappa^k/(1-\\kappa)\\|z_1 - z_0\\|`
    (:func:`iterative_core.theory.apriori_bound`), and :math:`I - J` is invertible, so the implicit
    gradient is well defined.
    """

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
        trace: bool = False,
        backward_tol: Optional[float] = None,
        backward_max_iter: Optional[int] = None,
        backward_solver: Optional[str] = None,
        backward_solver_options: Optional[dict] = None,
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
        if backward_solver is not None or backward_solver_options is not None:
            bname = backward_solver or solver
            get_solver(bname)
            check_solver_options(bname, dict(backward_solver_options or {}))
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
        self._act_named = act is None or isinstance(act, str)  # a builtin, whose in-place variant is known
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
        self.trace = bool(trace)
        self.backward_tol = backward_tol
        self.backward_max_iter = backward_max_iter
        self.backward_solver = backward_solver
        self.backward_solver_options = None if backward_solver_options is None else dict(backward_solver_options)
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
        fresh: bool = False,
    ) -> tuple[Tensor, FixedPointInfo]:
        """Iterate :math:`T(z) = \\mathrm{dropout}(\\sigma(\\mathrm{op}(z) [+ x]))` from ``z_init``
        (default ``x``). ``z_init`` is a warm start, e.g. the previous epoch's fixed point
        (detach it first, or ``grad="unrolled"`` backpropagates into the previous graph).
        ``fresh``: ``op`` returns a new tensor nothing else holds, so that the activation may run in
        place while no gradient is recorded (one allocation less per step)."""
        act, inject = self.act_fn, self.inject_input
        act_ = inplace_activation(self.act) if (fresh and self._act_named) else None
        p = self.dropout if self.training else 0.0
        mask = None
        if p > 0 and self.grad != "unrolled":
            # one mask per forward pass: the operator being solved is one fixed map
            mask = torch.empty_like(x).bernoulli_(1.0 - p).div_(1.0 - p)

        def T(z: Tensor) -> Tensor:
            h = op(z)
            if inject:
                h = h + x
            h = act_(h) if (act_ is not None and not (torch.is_grad_enabled() and h.requires_grad)) else act(h)
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
            stop=self.stop, min_iter=min(self.min_iter, n), check_every=self.check_every, trace=self.trace,
            batch=batch,
            num_graphs=num_graphs, grad=self.grad, phantom_steps=self.phantom_steps,
            backward_tol=self.backward_tol, backward_max_iter=self.backward_max_iter,
            backward_solver=self.backward_solver, backward_solver_options=self.backward_solver_options,
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


def scaled_add(h: Tensor, add: Optional[Tensor], scale: float) -> Tensor:
    """``scale * h + add`` (``add`` may be None)."""
    if scale != 1.0:
        h = h * scale
    return h if add is None else h + add


class GCNOperatorBase(nn.Module):
    """Parameters of :math:`\\mathrm{op}(z) = \\hat A z W + b`, with two optional variants:

    * initial residual ``alpha`` (APPNP / GCNII): :math:`((1-\\alpha)\\hat A z + \\alpha x) W + b`;
    * identity mapping ``beta`` (GCNII): :math:`W` is replaced by :math:`(1-\\beta) I + \\beta W`;
      with ``beta=0`` the step has no weight to learn (:math:`W = I`), no parameter is created and no
      matrix product is taken.

    :meth:`weight_for` rescales the weight when a Lipschitz budget is given, so that
    :math:`(1-\\alpha)\\|\\hat A\\|_2 \\|W\\|_2 \\le` budget; :math:`\\|W\\|_2` by power iteration whose
    vector is kept across calls (as ``torch.nn.utils.parametrizations.spectral_norm``).

    The bound on :math:`\\|\\hat A\\|_2` (``norm_bound``, from
    :meth:`iterative_core.Propagation.norm_bound`) is the weighted Schur test
    :math:`\\|\\hat A\\|_2 \\le \\sqrt{\\max_i \\sum_j |a_{ij}| p_j/p_i \\cdot \\max_j \\sum_i |a_{ij}| p_i/p_j}`
    with :math:`p = \\sqrt{d}`. Under the GCN normalisation :math:`\\hat A = D^{-1/2}(A+I)D^{-1/2}`
    (:math:`d` the weighted in-degrees with self-loops) the row sums are exactly 1, and the column
    sums are :math:`d^{out}_j / d_j`, also 1 for an undirected graph: then
    :math:`\\|\\hat A\\|_2 = 1` exactly (the bound is tight, no norm is lost). For a directed graph
    the bound is :math:`\\sqrt{\\max_j d^{out}_j / d^{in}_j}`, and without normalisation the
    classical :math:`\\sqrt{\\|A\\|_1 \\|A\\|_\\infty}`.
    """

    def __init__(self, channels: int, *, bias: bool = True, alpha: float = 0.0, beta: Optional[float] = None,
                 add_self_loops: bool = True, normalize: bool = True, cached: bool = False,
                 power_iterations: int = 1) -> None:
        super().__init__()
        # how the adapters build the propagation (see iterative_core.normalization.gcn_propagation);
        # with ``cached`` an adapter keeps what it built in ``self._cache`` until reset_parameters()
        self.add_self_loops = add_self_loops
        self.normalize = normalize
        self.cached = cached
        self._cache = None
        if not (0.0 <= alpha < 1.0):
            raise ValueError(f"alpha (initial residual) must lie in [0, 1), got {alpha}")
        if beta is not None and not (0.0 <= beta <= 1.0):
            raise ValueError(f"beta (identity mapping) must lie in [0, 1], got {beta}")
        self.channels = channels
        self.alpha = float(alpha)
        self.beta = beta
        self.power_iterations = int(power_iterations)
        if beta == 0.0:  # W = I: a parameter nothing uses would break DDP (an unused parameter)
            self.register_parameter("weight", None)
        else:
            self.weight = nn.Parameter(torch.empty(channels, channels))
        self.bias = nn.Parameter(torch.empty(channels)) if bias else None
        self.register_buffer("_u", torch.empty(channels), persistent=False)
        self._u_ready = False
        self._u_version: tuple = ()
        self.reset_parameters()

    def _load_from_state_dict(self, state_dict, prefix, *args, **kwargs):
        if self.weight is None and prefix + "weight" in state_dict:
            raise RuntimeError(
                f"the state_dict has a weight {prefix}weight, but this operator has none (beta=0: W = I, the "
                "default form='residual'); build the layer as it was saved, e.g. PIGNConv(C, form='paper') or "
                "with the saved beta")
        super()._load_from_state_dict(state_dict, prefix, *args, **kwargs)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._u_ready = False
        self._cache = None

    def _raw_weight(self) -> Optional[Tensor]:
        if self.weight is None:  # beta = 0: the identity
            return None
        if self.beta is None:
            return self.weight
        eye = torch.eye(self.channels, dtype=self.weight.dtype, device=self.weight.device)
        return (1.0 - self.beta) * eye + self.beta * self.weight

    def _power_steps(self, W: Tensor, u: Tensor, steps: int) -> Tensor:
        for _ in range(steps):
            v = F.normalize(W.t() @ u, dim=0, eps=1e-12)
            u = F.normalize(W @ v, dim=0, eps=1e-12)
        return u

    def _converge(self, W: Tensor, u: Tensor, *, rtol: float = 1e-7, max_steps: int = 1000) -> Tensor:
        """Power iteration until :math:`\\|W^\\top u\\|` changes by less than ``rtol`` (relative)."""
        sigma = 0.0
        for _ in range(max_steps // 10):
            u = self._power_steps(W, u, 10)
            new = float(torch.linalg.vector_norm(W.t() @ u))
            if abs(new - sigma) <= rtol * max(new, 1e-30):
                break
            sigma = new
        return u

    def spectral_norm(self, W: Tensor) -> Tensor:
        """:math:`\\|W\\|_2` by power iteration: :math:`\\sigma = u^\\top W v`, :math:`v = W^\\top u /
        \\|W^\\top u\\|`, differentiable in ``W`` (its gradient :math:`u v^\\top` is that of the
        spectral norm), the vectors are not.

        The vector ``u`` is kept across calls (as ``torch.nn.utils.parametrizations.spectral_norm``):
        in training ``power_iterations`` steps per call follow the weight as it changes. It is run to
        convergence (relative change below 1e-7) when first needed, after a change of dtype or
        device, and in eval mode whenever the weight changed since the last estimate (an optimiser
        step or ``load_state_dict``), so that a stale vector never underestimates the norm.
        Power iteration approaches :math:`\\|W\\|_2` from below, so the estimate is a lower bound
        accurate to about that tolerance.
        """
        with torch.no_grad():
            version = (self.weight._version, self.weight.data_ptr(), self.beta)
            fresh = not self._u_ready or self._u.dtype != W.dtype or self._u.device != W.device
            if fresh:
                u = self._converge(W, F.normalize(torch.randn(self.channels, dtype=W.dtype, device=W.device), dim=0))
            elif self.training:
                u = self._power_steps(W, self._u, self.power_iterations)
            elif version != self._u_version:
                u = self._converge(W, self._u)
            else:
                u = self._u
            self._u = u
            self._u_ready = True
            self._u_version = version
            v = F.normalize(W.t() @ u, dim=0, eps=1e-12)
        return torch.dot(u, W @ v).abs()

    def weight_for(self, lipschitz_budget: Optional[float], norm_bound: Optional[Tensor],
                   dtype: Optional[torch.dtype] = None) -> Tensor:
        """The weight one forward pass uses, in ``dtype`` (the iteration's) when given, rescaled to
        ``lipschitz_budget`` when given. With ``beta=0`` (:math:`W = I`): None, or the scale factor
        as a 0-dim tensor when a budget asks for one."""
        W = self._raw_weight()
        if W is None:
            if lipschitz_budget is None:
                return None
            if norm_bound is None:
                raise ValueError("a contraction needs a bound on the propagation's norm")
            lip = (1.0 - self.alpha) * norm_bound.to(dtype or torch.get_default_dtype())
            return torch.clamp(lipschitz_budget / lip.clamp_min(1e-30), max=1.0)
        if dtype is not None and W.dtype != dtype:
            W = W.to(dtype)
        if lipschitz_budget is None:
            return W
        if norm_bound is None:
            raise ValueError("a contraction needs a bound on the propagation's norm")
        lip = (1.0 - self.alpha) * norm_bound.to(W.dtype) * self.spectral_norm(W)
        scale = torch.clamp(lipschitz_budget / lip.clamp_min(1e-30), max=1.0)
        return W * scale

    def step(self, z: Tensor, propagate: Callable[[Tensor], Tensor], W: Optional[Tensor], x: Tensor) -> Tensor:
        """:math:`\\hat A z W + b` (or the initial-residual form) with ``propagate`` applying :math:`\\hat A`;
        ``W`` as :meth:`weight_for` returns it. One application; an iteration binds
        :meth:`bind_step` once instead."""
        return self.bind_step(x, W, lambda h, add, scale: scaled_add(propagate(h), add, scale))(z)

    def bind_step(self, x: Tensor, W: Optional[Tensor],
                  propagate: Callable[[Tensor, Optional[Tensor], float], Tensor]) -> Callable[[Tensor], Tensor]:
        """The map :math:`z \\mapsto ((1-\\alpha)\\hat A z + \\alpha x) W + b` of one forward pass, with what
        does not change between iterations folded once: it is
        :math:`z \\mapsto (1-\\alpha)\\,\\hat A (z W) + c` with :math:`c = \\alpha x W + b`, so that
        each iteration is one GEMM (none with ``beta=0``) and one call
        ``propagate(h, add, scale)`` :math:`= \\mathrm{scale} \\cdot \\hat A h + \\mathrm{add}` (one fused
        sparse kernel on the adapters' fast paths). ``W`` as :meth:`weight_for` returns it."""
        a, b = self.alpha, self.bias
        if b is not None and b.dtype != x.dtype:  # half-precision modules iterate in float32
            b = b.to(x.dtype)
        if W is not None and W.dim() == 0:  # W = w I (beta = 0 rescaled to a budget): w stays a tensor
            c = scaled_add(x * (a * W), b, 1.0) if a else b
            k = (1.0 - a) * W
            return lambda z: scaled_add(propagate(z, None, 1.0) * k, c, 1.0)
        Wt = None if W is None else W.t()
        c = (a * (x if Wt is None else x @ Wt)) if a else None
        if b is not None:
            c = b if c is None else c + b
        scale = 1.0 - a
        if Wt is None:
            return lambda z: propagate(z, c, scale)
        return lambda z: propagate(z @ Wt, c, scale)

    def extra_repr(self) -> str:
        parts = [f"{self.channels}"]
        if self.alpha:
            parts.append(f"alpha={self.alpha}")
        if self.beta is not None:
            parts.append(f"beta={self.beta}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)
