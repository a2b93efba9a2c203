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

from .activations import Activation, inplace_activation, resolve_activation
from .checks import check_flag, check_int, check_real, check_solve_options
from .fixed_point import fixed_point
from .info import FixedPointInfo
from .schedules import Smoothing, resolve_schedule

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
    the solve is a layer option (``ITERATION_KEYS``). Every option is checked when the layer is built
    (:mod:`iterative_core.checks`, the checks ``fixed_point()`` makes): a wrong type raises
    ``TypeError``, a bad value ``ValueError``, naming the option, the value and what is valid. A
    smoothing schedule must cover ``num_iterations`` (and ``eval_iterations``; ``eval_smoothing``
    likewise), and ``min_iter`` may not exceed either count.

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
        # every option is checked here, with the messages fixed_point() gives (iterative_core.checks):
        # a bad value fails when the layer is built, never at the first forward or eval pass
        where = type(self).__name__
        channels = check_int("channels", channels, minimum=1, where=where)
        num_iterations = check_int("num_iterations", num_iterations, minimum=0, where=where)
        resolve_schedule(smoothing, num_iterations, iterations_name="num_iterations", where=where)
        eval_iterations = check_int("eval_iterations", eval_iterations, minimum=0, optional=True, where=where)
        if eval_smoothing is not None:
            resolve_schedule(eval_smoothing, num_iterations if eval_iterations is None else eval_iterations,
                             name="eval_smoothing",
                             iterations_name="num_iterations" if eval_iterations is None else "eval_iterations",
                             where=where)
        elif eval_iterations is not None:  # eval mode iterates the training schedule eval_iterations steps
            resolve_schedule(smoothing, eval_iterations, iterations_name="eval_iterations", where=where)
        opts = check_solve_options(
            where=where, max_iter=num_iterations, max_iter_name="num_iterations", tol=tol, stop=stop,
            min_iter=min_iter, check_every=check_every, trace=trace, grad=grad, phantom_steps=phantom_steps,
            backward_tol=backward_tol, backward_max_iter=backward_max_iter, solver=solver,
            solver_options=solver_options, backward_solver=backward_solver,
            backward_solver_options=backward_solver_options, on_nonconvergence=on_nonconvergence,
            on_divergence=on_divergence,
        )
        if eval_iterations is not None:
            check_int("min_iter", min_iter, minimum=0, maximum=eval_iterations, maximum_name="eval_iterations",
                      where=where)
        dropout = check_real("dropout", dropout, low=0.0, high=1.0, high_open=True, where=where)
        contraction = check_real("contraction", contraction, low=0.0, high=1.0, low_open=True, high_open=True,
                                 optional=True, where=where)
        act_lipschitz = check_real("act_lipschitz", act_lipschitz, low=0.0, low_open=True, optional=True,
                                   where=where)
        self.channels = channels
        self.num_iterations = num_iterations
        self.smoothing = smoothing
        self.eval_iterations = eval_iterations
        self.eval_smoothing = eval_smoothing
        self.tol = opts["tol"]
        self.act_fn, self.act_lipschitz, self.act = resolve_activation(act, act_lipschitz)
        self._act_named = act is None or isinstance(act, str)  # a builtin, whose in-place variant is known
        self.dropout = dropout
        self.inject_input = check_flag("inject_input", inject_input, where=where)
        self.contraction = contraction
        self.solver = solver
        self.solver_options = opts["solver_options"]
        self.grad = opts["grad"]
        self.phantom_steps = opts["phantom_steps"]
        self.stop = opts["stop"]
        self.min_iter = opts["min_iter"]
        self.check_every = opts["check_every"]
        self.trace = opts["trace"]
        self.backward_tol = opts["backward_tol"]
        self.backward_max_iter = opts["backward_max_iter"]
        self.backward_solver = opts["backward_solver"]
        self.backward_solver_options = opts["backward_solver_options"]
        self.on_nonconvergence = opts["on_nonconvergence"]
        self.on_divergence = opts["on_divergence"]
        self.validate = check_flag("validate", validate, where=where)

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

        # the schedule and the count were checked together when the layer was built (a schedule shorter
        # than the iterations is an error there, never a silent cap here); fixed_point() checks them again
        # in case an attribute was changed since
        n, s = self._schedule()
        return fixed_point(
            T, x if z_init is None else z_init,
            max_iter=n, tol=self.tol, smoothing=s, solver=self.solver, solver_options=self.solver_options,
            stop=self.stop, min_iter=self.min_iter, check_every=self.check_every, trace=self.trace,
            batch=batch,
            num_graphs=num_graphs, grad=self.grad, phantom_steps=self.phantom_steps,
            backward_tol=self.backward_tol, backward_max_iter=self.backward_max_iter,
            backward_solver=self.backward_solver, backward_solver_options=self.backward_solver_options,
            on_nonconvergence=self.on_nonconvergence, on_divergence=self.on_divergence,
            validate=self.validate,
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

    :meth:`scaled_weight` gives the factor that rescales the weight when a Lipschitz budget is
    given, so that :math:`(1-\\alpha)\\|\\hat A\\|_2 \\|W\\|_2 \\le` budget. :math:`\\|W\\|_2` is
    computed exactly (the largest singular value) at every forward pass, so the guarantee holds
    after any change of the weight (an optimiser step, ``load_state_dict``, an in-place edit).
    With a batch of graphs the bound and the factor are per graph: the propagation is
    block-diagonal, so scaling each graph's rows by its own factor is exact, and a graph's output
    does not depend on the other graphs of its batch.

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
                 add_self_loops: bool = True, normalize: bool = True, cached: bool = False) -> None:
        super().__init__()
        # how the adapters build the propagation (see iterative_core.normalization.gcn_propagation);
        # with ``cached`` an adapter keeps what it built (cache_propagation) until reset_parameters()
        self.add_self_loops = add_self_loops
        self.normalize = normalize
        self.cached = cached
        self._cache = None
        if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not (0.0 <= alpha < 1.0):
            raise ValueError(f"alpha (initial residual) must be a float in [0, 1), got {alpha!r}")
        if beta is not None and (isinstance(beta, bool) or not isinstance(beta, (int, float))
                                 or not (0.0 <= beta <= 1.0)):
            raise ValueError(f"beta (identity mapping) must be None or a float in [0, 1], got {beta!r}")
        self.channels = channels
        self.alpha = float(alpha)
        self.beta = None if beta is None else float(beta)
        if beta == 0.0:  # W = I: a parameter nothing uses would break DDP (an unused parameter)
            self.register_parameter("weight", None)
        else:
            self.weight = nn.Parameter(torch.empty(channels, channels))
        self.bias = nn.Parameter(torch.empty(channels)) if bias else None
        self.reset_parameters()

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        if self.weight is None and prefix + "weight" in state_dict:
            raise RuntimeError(
                f"the state_dict has a weight {prefix}weight, but this operator has none (beta=0: W = I, the "
                "default form='residual'); build the layer as it was saved, e.g. PIGNConv(C, form='paper') or "
                "with the saved beta")
        if self.weight is not None and strict and prefix + "weight" not in state_dict:
            error_msgs.append(
                f"the state_dict has no {prefix}weight: it was saved from a layer without a weight (beta=0: W = I, "
                f"the default form='residual'), but this one has a weight (beta={self.beta}). Build the layer as it "
                "was saved, e.g. PIGNConv(C) with the default form='residual', or pass beta=0.0")
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        self._cache = None

    def cached_propagation(self, num_nodes: int):
        """What ``cached=True`` keeps (None when nothing is kept); an error when it was built for a
        graph of another size, which a cache for one fixed graph cannot serve."""
        if not self.cached or self._cache is None:
            return None
        value, cached_nodes = self._cache
        if cached_nodes != num_nodes:
            raise ValueError(
                f"{type(self).__name__}: cached=True holds the propagation of a graph with {cached_nodes} nodes, "
                f"but this call has {num_nodes}; cached=True is for one fixed graph (transductive learning). "
                "Use cached=False for graphs that change, or call reset_parameters() first")
        return value

    def cache_propagation(self, value, num_nodes: int) -> None:
        """Keep ``value`` for the next calls when ``cached=True``."""
        if self.cached:
            self._cache = (value, num_nodes)

    def _raw_weight(self) -> Optional[Tensor]:
        if self.weight is None:  # beta = 0: the identity
            return None
        if self.beta is None:
            return self.weight
        eye = torch.eye(self.channels, dtype=self.weight.dtype, device=self.weight.device)
        return (1.0 - self.beta) * eye + self.beta * self.weight

    @staticmethod
    def spectral_norm(W: Tensor) -> Tensor:
        """:math:`\\|W\\|_2`, the largest singular value, exactly and differentiably in ``W`` (its
        gradient is :math:`u v^\\top` for the top singular pair)."""
        return torch.linalg.matrix_norm(W, ord=2)

    def scaled_weight(self, lipschitz_budget: Optional[float], norm_bound: Optional[Tensor],
                      dtype: Optional[torch.dtype] = None) -> tuple[Optional[Tensor], Optional[Tensor]]:
        """``(W, scale)`` of one forward pass: the weight in ``dtype`` (None for :math:`W = I`) and,
        when a ``lipschitz_budget`` is given, the factor :math:`\\min(1, \\text{budget} /
        ((1-\\alpha)\\|\\hat A\\|_2 \\|W\\|_2))` that makes the step fit it: a 0-dim tensor for one
        graph, or one per graph when ``norm_bound`` has one entry per graph."""
        W = self._raw_weight()
        if W is not None and dtype is not None and W.dtype != dtype:
            W = W.to(dtype)
        if lipschitz_budget is None:
            return W, None
        if norm_bound is None:
            raise ValueError("a contraction needs a bound on the propagation's norm")
        dt = W.dtype if W is not None else (dtype or torch.get_default_dtype())
        lip = (1.0 - self.alpha) * norm_bound.to(dt)
        if W is not None:
            lip = lip * self.spectral_norm(W)
        return W, torch.clamp(lipschitz_budget / lip.clamp_min(1e-30), max=1.0)

    def weight_for(self, lipschitz_budget: Optional[float], norm_bound: Optional[Tensor],
                   dtype: Optional[torch.dtype] = None) -> Optional[Tensor]:
        """The weight of one forward pass on one graph, rescaled to ``lipschitz_budget`` when given
        (see :meth:`scaled_weight`). With ``beta=0`` (:math:`W = I`): None, or the scale factor as a
        0-dim tensor when a budget asks for one."""
        W, scale = self.scaled_weight(lipschitz_budget, norm_bound, dtype)
        if scale is None:
            return W
        return scale if W is None else W * scale

    def step(self, z: Tensor, propagate: Callable[[Tensor], Tensor], W: Optional[Tensor], x: Tensor) -> Tensor:
        """:math:`\\hat A z W + b` (or the initial-residual form) with ``propagate`` applying :math:`\\hat A`;
        ``W`` as :meth:`weight_for` returns it. One application; an iteration binds
        :meth:`bind_step` once instead."""
        return self.bind_step(x, W, lambda h, add, scale: scaled_add(propagate(h), add, scale))(z)

    def bind_step(self, x: Tensor, W: Optional[Tensor],
                  propagate: Callable[[Tensor, Optional[Tensor], float], Tensor],
                  scale: Optional[Tensor] = None, batch: Optional[Tensor] = None) -> Callable[[Tensor], Tensor]:
        """The map :math:`z \\mapsto ((1-\\alpha)\\hat A z + \\alpha x) W s + b` of one forward pass, with
        what does not change between iterations folded once: it is
        :math:`z \\mapsto (1-\\alpha)\\,\\hat A (z W s) + c` with :math:`c = \\alpha x W s + b`, so that
        each iteration is one GEMM (none with ``beta=0``) and one call
        ``propagate(h, add, scale)`` :math:`= \\mathrm{scale} \\cdot \\hat A h + \\mathrm{add}` (one fused
        sparse kernel on the adapters' fast paths). ``W`` and ``scale`` (:math:`s`) as
        :meth:`scaled_weight` returns them; a per-graph ``scale`` needs ``batch`` and scales each
        graph's rows (exact, as :math:`\\hat A` is block-diagonal). ``W`` may also be a 0-dim tensor
        (a scalar multiple of the identity, as :meth:`weight_for` returns it)."""
        a, b = self.alpha, self.bias
        if b is not None and b.dtype != x.dtype:  # half-precision modules iterate in float32
            b = b.to(x.dtype)
        if W is not None and W.dim() == 0:  # w I: a scale of the identity
            W, scale = None, W if scale is None else W * scale
        rows = None  # a per-row factor, [N, 1]
        if scale is not None:
            scale = scale.to(x.dtype)
            if scale.dim() == 0:
                if W is not None:
                    W, scale = W * scale, None
            else:
                if batch is None:
                    raise ValueError("a per-graph scale needs the batch vector")
                rows, scale = scale[batch].unsqueeze(-1), None
        factor = rows if rows is not None else scale  # what multiplies z W (None: nothing)
        Wt = None if W is None else W.t()
        c = None
        if a:
            c = a * (x if Wt is None else x @ Wt)
            if factor is not None:
                c = c * factor
        if b is not None:
            c = b if c is None else c + b
        s = 1.0 - a
        if Wt is None:
            if factor is None:
                return lambda z: propagate(z, c, s)
            return lambda z: propagate(z * factor, c, s)
        if factor is None:
            return lambda z: propagate(z @ Wt, c, s)
        return lambda z: propagate((z @ Wt) * factor, c, s)

    def extra_repr(self) -> str:
        parts = [f"{self.channels}"]
        if self.alpha:
            parts.append(f"alpha={self.alpha}")
        if self.beta is not None:
            parts.append(f"beta={self.beta}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)
