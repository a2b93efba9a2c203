"""Backend-agnostic parts of the iterative layers.

:class:`IterativeLayerBase` holds the iteration's configuration and runs the solve of

.. math::
    T(z) = \\mathrm{dropout}(\\sigma(\\mathrm{op}(z) [+ x]))

where ``op`` is the graph operator an adapter builds from its ecosystem's graph. :class:`GCNOperatorBase`
holds the parameters of the GCN operator :math:`\\mathrm{op}(z) = \\hat A z W + b` and the rescaling
that guarantees a contraction. The adapters add only the graph handling.
"""
from __future__ import annotations

import copy
import math
from typing import Any, Callable, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._keys import _LIBRARY_PACKAGES, _SAME_MEANING, check_choice, check_keys, library_name
from .activations import Activation, identity, inplace_activation, resolve_activation
from .checks import check_flag, check_int, check_real, got
from .config import LayerOptions, SolveConfig, expose, frozen_smoothing, mirror_options, option_names, show
from .fixed_point import _check_adjoint_tol_resolvable, _check_tol_resolvable, fixed_point
from .info import FixedPointInfo
from ._compile import under_transform
from .adapter import (GraphAdapter, GraphCache, GraphKey, check_graph_view, is_compiling, kept_graphs, tensor_key,
                      without_kept_checks)
from .normalization import Propagation, gcn_propagation
from .schedules import Smoothing, resolve_schedule
from .sparse import CSRPair, csr_pair, spmm_csr
from ._state_dict import HintedLoad, hint, loading_into
from ._warnings import warn_user
from .validation import (autocast_enabled, check_features, check_parameters_dtype, compute_dtype,
                         without_autocast)

__all__ = ["IterativeLayerBase", "GCNOperatorBase", "BoundStep", "ITERATION_KEYS", "PROPAGATIONS", "scaled_add"]

#: the GCN operator's propagation coefficients: ``"fixed"`` (``1 - alpha`` for every channel) or
#: ``"signed"`` (learned, one per channel, of either sign)
PROPAGATIONS = ("fixed", "signed")
#: the learned coefficients' options when not given (see :meth:`GCNOperatorBase.gamma`)
SIGNED_DEFAULTS = {"gamma_init": 0.5, "gamma_scale": 5.0, "gamma_max": 0.9}
#: what to do instead of setting a read-only property of a layer
_READ_ONLY_HINTS = {
    "conv": "it is the iterated convolution, layer.operator, fixed when the layer is built; build a new layer "
            "with the convolution you want",
    "config": "it is read from the layer's options; change them with layer.configure(...), e.g. "
              "layer.configure(tol=1e-4)",
    "layer_options": "they are read from the layer's options; change them with layer.configure(...), e.g. "
                     "layer.configure(dropout=0.1)",
}


def _read_only_property(cls: type, name: str) -> Optional[property]:
    """The property ``name`` of ``cls`` where one of the library's classes defines it without a setter
    (None otherwise: a subclass of yours may keep what it likes under a property of its own)."""
    for klass in cls.__mro__:
        if name in klass.__dict__:
            found = klass.__dict__[name]
            ours = klass.__module__.split(".")[0] in _LIBRARY_PACKAGES
            return found if ours and isinstance(found, property) and found.fset is None else None
    return None


#: the largest ``gamma_scale``: float16's largest number, so that every floating dtype a layer takes holds it
_GAMMA_SCALE_MAX = 65504.0

#: the GCN operator's parameters that some forms lack, and what each is
_OPTIONAL_PARAMETERS = {
    "weight": "a weight W (beta given; the form 'paper')",
    "gamma_logit": "learned propagation coefficients (propagation='signed'; the form 'signed')",
    "bias": "a bias in the step (the forms 'appnp' and 'paper')",
}


def checkpoint_layer(weight: bool, gamma_logit: bool, bias: bool, into: str = "PIGNConv(C") -> str:
    """The ``PIGNConv`` to build for a checkpoint of the GCN operator that has the optional parameters
    flagged True (see :data:`_OPTIONAL_PARAMETERS`), with what the parameters cannot tell. ``into``:
    the call up to its first keyword of the module that loads it (a model's, ``PIGN(in_channels, ...``)."""
    if gamma_logit:
        args = (["beta=<its beta>"] if weight else []) + (["bias=True"] if bias else [])
        return (f"{into}{''.join(', ' + a for a in args)}), with the gamma_max it was built with (0.9 by "
                "default; 0.99 in the signed form's earlier defaults, which had a bias in the step)")
    form = "paper" if weight else "appnp"
    layer = f"{into}, form={form!r}{'' if bias else ', bias=False'})"
    return layer + (", or the form and beta it was saved with" if weight else "")


def _same(a, b) -> bool:
    """Whether ``a`` is ``b``, or an equal number or string (an attribute set again to its value)."""
    return a is b or (type(a) is type(b) and isinstance(a, (str, int, float)) and a == b)


# the keywords every iterative layer takes beyond channels, derived from the options' fields: the headline
# ones (positional), the layer's own (LayerOptions), the solve's (SolveConfig; its max_iter is num_iterations)
_HEADLINE_KEYS = ("num_iterations", "smoothing", "tol", "act", "dropout")
_LAYER_KEYS = option_names(LayerOptions, layer=True)
_LAYER_OPTION_KEYS = tuple(k for k in _LAYER_KEYS if k not in _HEADLINE_KEYS)
_SOLVE_KEYS = tuple(k for k in option_names(SolveConfig, layer=True) if k not in ("max_iter", "smoothing", "tol"))
ITERATION_KEYS = _HEADLINE_KEYS + _LAYER_OPTION_KEYS + _SOLVE_KEYS + ("act_lipschitz", "config")
_CONFIGURABLE_KEYS = tuple(k for k in ITERATION_KEYS if k not in ("act", "act_lipschitz", "config"))


@expose(SolveConfig, "_config", rename={"max_iter": "num_iterations"})
@expose(LayerOptions, "_options")
class IterativeLayerBase(HintedLoad, nn.Module):
    """Configuration and solve of an iterated operator. See the adapters' ``PIGNConv`` for the
    meaning of each argument.

    The configuration is two checked, frozen objects (:mod:`iterative_core.config`): the solve's,
    :attr:`config` (a :class:`~iterative_core.SolveConfig`; ``max_iter`` is the layer's
    ``num_iterations``), and the layer's own, :attr:`layer_options` (a
    :class:`~iterative_core.LayerOptions`). Every option a layer takes (``ITERATION_KEYS``) is a
    keyword, or comes in one ``config=SolveConfig(...)`` (the keywords override it; ``tol=None``
    keeps the config's ``tol``; its ``max_iter`` and ``smoothing``, when set, must agree with
    ``num_iterations`` and ``smoothing``, the layer's own schedule). Each option is also an
    attribute (``layer.tol``, ``layer.on_divergence`` ...) that reads the configuration; setting one,
    or several at once with :meth:`configure`, replaces it with a checked copy.

    Every option is checked when the layer is built, once (the solve's config is then handed to
    :func:`iterative_core.fixed_point` as it is): a wrong type raises ``TypeError``, a bad value
    ``ValueError``, naming the option, the value and what is valid. A smoothing schedule must cover
    ``num_iterations`` (and ``eval_iterations``; ``eval_smoothing`` likewise), and ``min_iter`` may
    not exceed either count.

    ``contraction=kappa`` (:math:`0 < \\kappa < 1`) guarantees that :math:`T` is a contraction: the
    operator's weight is rescaled (:meth:`GCNOperatorBase.weight_for` with the layer's Lipschitz budget)
    so that :math:`\\mathrm{Lip}(\\sigma) \\cdot \\text{dropout scale} \\cdot (1-\\alpha)\\|\\hat A\\|_2
    \\|W\\|_2 \\le \\kappa`, with :math:`\\|\\hat A\\|_2 \\le 1` exactly for an undirected graph under
    :math:`D^{-1/2}(A+I)D^{-1/2}` (the Schur-test bound otherwise, see :class:`GCNOperatorBase`);
    the dropout scale is :math:`1/(1-p)` for the layer's own ``dropout=p``, in eval mode too, so that
    evaluation runs the operator that training runs in expectation.
    Then :math:`\\|T(z) - T(z')\\|_F \\le \\kappa \\|z - z'\\|_F`: the fixed point exists and is
    unique, Picard's error after :math:`k` steps is at most :math:`\\kappa^k/(1-\\kappa)\\|z_1 - z_0\\|`
    (:func:`iterative_core.theory.apriori_bound`), and :math:`I - J` is invertible, so the implicit
    gradient is well defined.
    """

    def __prepare_scriptable__(self):
        """``torch.jit.script`` calls this first: refused by name (TorchScript cannot compile the
        iteration's Python: its solver registry, checks and messages), pointing to ``torch.compile``."""
        raise RuntimeError(f"{type(self).__name__}: torch.jit.script cannot compile the iteration (solvers, checks "
                           "and messages written in Python that TorchScript does not support); use torch.compile, "
                           "or run the layer eagerly")

    def __init__(
        self,
        channels: int,
        num_iterations: int = 8,
        smoothing: Smoothing = 0.5,
        tol: Optional[float] = None,
        act: Activation = "relu",
        dropout: float = 0.0,
        *,
        config: Optional[SolveConfig] = None,
        act_lipschitz: Optional[float] = None,
        **options,
    ) -> None:
        super().__init__()
        # every option is checked here, once: a bad value fails when the layer is built, never at the
        # first forward or eval pass
        where = type(self).__name__
        self.channels = check_int("channels", channels, minimum=1, where=where)
        check_keys(where, options, ITERATION_KEYS)
        solve = _layer_solve_config(where, config, num_iterations, smoothing, tol,
                                    {k: v for k, v in options.items() if k in _SOLVE_KEYS})
        layer = LayerOptions(dropout=dropout, **{k: v for k, v in options.items() if k in _LAYER_OPTION_KEYS},
                             _where=where)
        self._set_activation(act, act_lipschitz, where)
        self._install(solve, layer, where)

    # --- the configuration ------------------------------------------------------------------------
    @property
    def config(self) -> SolveConfig:
        """The solve's options (training mode), as :func:`iterative_core.fixed_point` takes them."""
        return self._config

    @property
    def layer_options(self) -> LayerOptions:
        """The layer's options beyond the solve."""
        return self._options

    def configure(self, **options) -> None:
        """Change options (any of :data:`ITERATION_KEYS` but ``act``, ``act_lipschitz`` and ``config``),
        checked together as at construction: e.g. ``layer.configure(solver="picard", solver_options={})``,
        which one attribute at a time would refuse halfway (Anderson's options for Picard). Nothing
        changes when a value is refused."""
        where = type(self).__name__
        check_keys(f"{where}.configure()", options, _CONFIGURABLE_KEYS)
        if "smoothing" in options:
            _check_layer_smoothing(options["smoothing"], where)
        solve = {k: v for k, v in options.items() if k in _SOLVE_KEYS or k in ("smoothing", "tol")}
        if "num_iterations" in options:
            solve["max_iter"] = check_int("num_iterations", options["num_iterations"], minimum=0, where=where)
        layer = {k: v for k, v in options.items() if k in _LAYER_OPTION_KEYS or k == "dropout"}
        config = (self._config.replace(**solve, _where=where, _iterations_name="num_iterations") if solve
                  else self._config)
        layer_options = self._options.replace(**layer, _where=where) if layer else self._options
        self._install(config, layer_options, where)

    def _install(self, config: SolveConfig, layer_options: LayerOptions, where: str) -> None:
        """Keep the checked configuration and the solve of eval mode derived from it (its schedule
        checked here), or change nothing when that check fails."""
        _eval_config(config, layer_options, where)  # (its checks first: no warning about a value then refused)
        if layer_options.contraction is not None and not self.__dict__.get("_act_lipschitz_known", True):
            raise ValueError(f"{where}: contraction={layer_options.contraction} bounds the step through the "
                             f"activation's Lipschitz constant, which the callable act={self.act} does not tell: "
                             "pass act_lipschitz= (1.0 for ReLU, tanh, LeakyReLU; 0.25 for sigmoid), or a "
                             "builtin act name")
        # then the warning, before the eval config is made: it copies what the warning marks (a tol may be tested
        # in eval mode's longer solve only)
        config.warn_inert(where, "num_iterations", longest=layer_options.eval_iterations)
        eval_config = _eval_config(config, layer_options, where)
        self._config, self._options, self._eval_config = config, layer_options, eval_config
        mirror_options(self)

    #: attributes set when the layer is built that shape what it computes but are no option: assigning
    #: another value later is refused (the layer would go on computing with the former, or unchecked)
    _fixed_attributes: frozenset = frozenset({"channels", "act", "act_fn", "act_lipschitz"})

    def __setattr__(self, name: str, value) -> None:
        if _read_only_property(type(self), name) is not None:
            # (torch's Module.__setattr__ would keep a module or parameter beside the property, unused but trained
            # and saved, and say nothing; any other value met Python's bare "has no setter")
            raise AttributeError(f"{type(self).__name__}: {name} cannot be set: "
                                 + _READ_ONLY_HINTS.get(name, "it is read from the layer (a property without a setter)"))
        # an option's attribute is a checked copy of the configuration: assigning it reconfigures
        if name in self._exposed_options and "_config" in self.__dict__:
            self.configure(**{name: value})
            return
        if (name in _SAME_MEANING and "_config" in self.__dict__ and _SAME_MEANING[name] in self._exposed_options
                and name not in self.__dict__ and library_name(self, name)):
            # fixed_point's name for a layer option (max_iter for num_iterations): set, it changed nothing (a
            # subclass of your own, or a property of its class, may use the name as it likes)
            raise AttributeError(f"{type(self).__name__}: {name} is not an option of the layer: "
                                 f"{_SAME_MEANING[name]} is (layer.{_SAME_MEANING[name]} = {value!r})")
        if name in self._fixed_attributes and "_config" in self.__dict__:
            # (a module, act=nn.PReLU(), is kept among the layer's children, not in its __dict__)
            held = self.__dict__ if name in self.__dict__ else self.__dict__.get("_modules", {})
            if name in held and not _same(value, held[name]):
                where = type(self).__name__
                keyword = self._rebuild_keyword(name)
                rebuild = (f"build a new layer with {keyword}={value!r}" if keyword else
                           f"build a new layer with the {name} you want")
                raise AttributeError(f"{where}: {name} is fixed when the layer is built (it is {held[name]!r}; the "
                                     f"layer computes with it as built): {rebuild}")
        super().__setattr__(name, value)

    def _rebuild_keyword(self, name: str) -> Optional[str]:
        """The constructor's keyword that sets the fixed attribute ``name`` (None: none sets it alone)."""
        return {"act_fn": "act"}.get(name, name)

    def _set_activation(self, act: Activation, act_lipschitz: Optional[float], where: str) -> None:
        act_lipschitz = check_real("act_lipschitz", act_lipschitz, low=0.0, low_open=True, optional=True,
                                   where=where)
        self.act_fn, self.act_lipschitz, self.act = resolve_activation(act, act_lipschitz, where=where)
        self._act_named = act is None or isinstance(act, str)  # a builtin, whose in-place variant is known
        # a callable's Lipschitz constant is known only when given (contraction= needs it)
        self._act_lipschitz_known = self._act_named or act_lipschitz is not None
        self._act_lipschitz_given = act_lipschitz  # (the repr shows it: a layer rebuilt from it keeps it)

    # ------------------------------------------------------------------------------------------
    def _lipschitz_budget(self) -> Optional[float]:
        """The Lipschitz constant the graph operator may have so that :math:`T` is a
        ``contraction``: :math:`\\kappa / (\\mathrm{Lip}(\\sigma) \\cdot \\text{dropout scale})`."""
        if self.contraction is None:
            return None
        # (in eval mode too: the operator is then the one training runs in expectation, inverted dropout's
        # rule, and still a contraction)
        scale = 1.0 / (1.0 - self.dropout) if self.dropout > 0 else 1.0
        return self.contraction / (self.act_lipschitz * scale)

    def _solve(
        self,
        op: Callable[[Tensor], Tensor],
        x: Tensor,
        *,
        z_init: Optional[Tensor] = None,
        batch: Optional[Tensor] = None,
        num_graphs: Optional[int] = None,
        fresh: bool = False,
        takes_input: bool = True,
        out_dtype: Optional[torch.dtype] = None,
    ) -> tuple[Tensor, FixedPointInfo]:
        """Iterate :math:`T(z) = \\mathrm{dropout}(\\sigma(\\mathrm{op}(z) [+ x]))` from ``z_init``
        (default ``x``). ``z_init`` is a warm start, e.g. the previous epoch's fixed point
        (detach it first, or ``grad="unrolled"`` backpropagates into the previous graph).
        ``fresh``: ``op`` returns a new tensor nothing else holds, so that the activation may run in
        place while no gradient is recorded (one allocation less per step). ``takes_input``: ``op``
        reads ``x`` (a bound step that adds it); without it and ``inject_input``, an implicit or
        phantom gradient never reaches ``x``, which a warning says (once per configuration).
        ``out_dtype``: the half-precision dtype the answer is returned in, iterated in ``x``'s (named in
        the messages)."""
        # the configuration was checked when it was set: fixed_point() takes it as it is
        config = self._config if self.training else self._eval_config
        act, inject = self.act_fn, self.inject_input
        if not inject and not takes_input and not is_compiling():  # the fixed point does not depend on x
            # (each warned once per configuration of the layer: marked on the training one, whose grad and
            # tol eval mode shares, so that eval_iterations, another config, does not warn again)
            no_gradient = (config.grad != "unrolled" and torch.is_grad_enabled() and x.requires_grad
                           and not self._config._marked("_input_unused_warned"))
            same_output = config.tol is not None and not self._config._marked("_input_blind_warned")
            blind = ((f"the input enters no step (inject_input=False"
                      f"{', alpha=0' if isinstance(getattr(self, 'operator', None), GCNOperatorBase) else ''})")
                     if no_gradient or same_output else "")
            if no_gradient:
                self._config._mark("_input_unused_warned", warn_user(
                    f"{type(self).__name__}: grad={config.grad!r} and {blind}: the fixed point does not depend on "
                    "the input, which only starts the iteration, so no gradient reaches it or the layers before it. "
                    "Pass inject_input=True (the input enters every step), or grad='unrolled' (the gradient through "
                    "the steps taken)"))
            if same_output:
                self._config._mark("_input_blind_warned", warn_user(
                    f"{type(self).__name__}: tol={config.tol!r} and {blind}: the iteration converges towards a fixed "
                    "point that does not depend on the input, which only starts it, so a converged output is the "
                    "same for every input (of a contraction: exactly). Pass inject_input=True (the input enters every "
                    "step), or leave tol unset (a fixed number of steps from the input)"))
        act_ = inplace_activation(self.act) if (fresh and self._act_named) else None
        p = self.dropout if self.training else 0.0
        mask = None
        if p > 0 and (config.grad != "unrolled" or config.tol is not None):
            # one mask per forward pass: the operator solved (to a fixed point, or a tol) is one fixed map; a
            # fixed number of unrolled steps draws a mask per step, as a stack of layers does
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

        if not is_compiling():  # the layer's step named in fixed_point()'s messages on what it returns
            operator = getattr(self, "operator", None)
            name = "the operator" if operator is None else type(operator).__name__
            T.map_label = (type(self).__name__, f"its step {self.act}({name}(z){' + x' if inject else ''})")
        smoothed = None if is_compiling() else getattr(op, "smoothed", None)
        if smoothed is not None and act is identity and not inject and p == 0:
            T._smoothed_step = smoothed  # T is op: the solver may take the smoothed step in one pass fewer
            if isinstance(op, BoundStep):  # for a solver that keeps only its latest iterate (picard)
                T._smoothed_step_latest = lambda z, s: op.smoothed(z, s, latest_only=True)
        # a half-precision iterate (a wrapped layer in half precision) cannot resolve every tol: said in the layer's terms
        # (a step that computes in lower precision than the iterate it returns says so: DGL's GAT operator)
        compute = getattr(op, "compute_dtype", None) or x.dtype
        if compute != x.dtype and not is_compiling():  # its rounding is the steps' noise: fixed_point reads it
            T.compute_dtype = compute
        warn = not is_compiling() and not config.gradient_warned
        adjoint = config.grad == "implicit" and compute in (torch.float16, torch.bfloat16)
        # whether a gradient will be recorded (asked only where it matters: the parameters are iterated)
        recorded = (warn or adjoint) and torch.is_grad_enabled() and (
            x.requires_grad or any(p.requires_grad for p in self.parameters()))
        if warn and recorded:
            config.warn_doubtful_gradient(type(self).__name__)
        fix = "layer.float() and float32 features"
        _check_tol_resolvable(config, compute, type(self).__name__, fix)
        if adjoint and recorded:  # (the adjoint's tol, where an implicit gradient will be recorded)
            _check_adjoint_tol_resolvable(config, compute, type(self).__name__, fix)
        return fixed_point(T, x if z_init is None else z_init, config=config, batch=batch, num_graphs=num_graphs,
                           returned_dtype=out_dtype)

    def _iteration_repr(self) -> str:
        """The options that differ from their defaults (``num_iterations`` and ``smoothing`` always)."""
        parts = [f"num_iterations={self.num_iterations}", f"smoothing={self.smoothing}"]
        parts += [f"{k}={show(v)}" for k, v in self._config.changed().items() if k in _SOLVE_KEYS or k == "tol"]
        if self.act != "relu":  # a name quoted, a module as it prints (PReLU(num_parameters=4)), a function by name
            parts.append(f"act={self.act!r}" if self._act_named else
                         f"act={self.act_fn!r}" if isinstance(self.act_fn, nn.Module) else f"act={self.act}")
        if getattr(self, "_act_lipschitz_given", None) is not None:
            parts.append(f"act_lipschitz={self._act_lipschitz_given}")
        parts += [f"{k}={show(v)}" for k, v in self._options.changed().items() if k in _LAYER_KEYS]
        return ", ".join(parts)


def _layer_solve_config(where: str, config: Optional[SolveConfig], num_iterations, smoothing, tol,
                        options: dict) -> SolveConfig:
    """A layer's solve config: ``config`` (or the defaults) with the layer's schedule
    (``num_iterations``, ``smoothing``), its ``tol`` unless None, and the keywords ``options``;
    checked once."""
    num_iterations = check_int("num_iterations", num_iterations, minimum=0, where=where)
    _check_layer_smoothing(smoothing, where)
    fields = dict(options, max_iter=num_iterations, smoothing=smoothing)
    if config is None:
        return SolveConfig(tol=tol, **fields, _where=where, _iterations_name="num_iterations")
    if not isinstance(config, SolveConfig):
        raise TypeError(f"{where}: config must be an iterative_core.SolveConfig, got {got(config)}")
    _check_same_schedule(where, config, num_iterations, smoothing)
    if tol is not None:
        fields["tol"] = tol
    return config.replace(**fields, _where=where, _iterations_name="num_iterations")


def _check_layer_smoothing(smoothing, where: str) -> None:
    """A layer's smoothing is a value: None, which leaves a config's unset, is refused as any other
    non-number (a layer would smooth by fixed_point's 0.5, not by its own)."""
    if smoothing is None:
        resolve_schedule(smoothing, None, where=where)  # raises, naming what is valid


def _check_same_schedule(where: str, config: SolveConfig, num_iterations: int, smoothing) -> None:
    """A config's ``max_iter`` and ``smoothing``, when set, must be the layer's: its schedule is its
    own (``num_iterations``, ``smoothing``), never silently replaced by the config's."""
    if config.max_iter is not None and config.max_iter != num_iterations:
        raise ValueError(
            f"{where}: config.max_iter={config.max_iter} but num_iterations={num_iterations}; a layer's iteration "
            f"count is its num_iterations: pass num_iterations={config.max_iter}, or a config without max_iter "
            "(config.replace(max_iter=None))")
    ours = frozen_smoothing(smoothing, "smoothing", where)
    if config.smoothing is not None and config.smoothing != ours:
        raise ValueError(
            f"{where}: config.smoothing={config.smoothing!r} but smoothing={ours!r}; a layer's smoothing is its "
            f"smoothing argument: pass smoothing={config.smoothing!r}, or a config without smoothing")


def _eval_config(config: SolveConfig, layer_options: LayerOptions, where: str) -> SolveConfig:
    """The solve of eval mode: ``config`` with ``eval_iterations`` and ``eval_smoothing`` where set (the
    schedule and ``min_iter`` checked against them, under their names)."""
    n, s = layer_options.eval_iterations, layer_options.eval_smoothing
    if n is None and s is None:
        return config
    return config.with_schedule(
        config.max_iter if n is None else n, config.smoothing if s is None else s, where=where,
        iterations_name="num_iterations" if n is None else "eval_iterations",
        smoothing_name="smoothing" if s is None else "eval_smoothing",
    )


def scaled_add(h: Tensor, add: Optional[Tensor], scale: float) -> Tensor:
    """``scale * h + add`` (``add`` may be None)."""
    if scale != 1.0:
        h = h * scale
    return h if add is None else h + add


class BoundStep:
    """The step :math:`z \\mapsto s\\,\\hat A\\,\\mathrm{pre}(z) + c` of one forward pass, as
    :meth:`GCNOperatorBase.bind_step` returns it (a callable), with :meth:`smoothed`, the
    Krasnoselskii-Mann step of the same map for the solvers. ``factor`` (given instead of ``pre``, a
    factor of the iterate's shape or one that broadcasts to it): ``pre`` is
    :math:`z \\mapsto z \\cdot \\mathrm{factor}`, which :meth:`smoothed` may then write into a
    buffer of its own."""

    def __init__(self, propagate: Callable[..., Tensor], pre: Optional[Callable[[Tensor], Tensor]],
                 c: Optional[Tensor], scale: float, factor: Optional[Tensor] = None) -> None:
        if factor is not None:
            pre = lambda z: z * factor  # noqa: E731
        self.propagate, self.pre, self.c, self.scale, self.factor = propagate, pre, c, scale, factor
        self._c_t: Optional[tuple[float, Tensor]] = None  # (t, (1 - t) c) of the last smoothed step
        # buffers of this forward pass's iterates, reused while no gradient is recorded (see smoothed)
        self._buffers: list[Tensor] = []

    def __call__(self, z: Tensor) -> Tensor:
        return self.propagate(z if self.pre is None else self.pre(z), self.c, self.scale)

    def _buffer(self, like: Tensor, *avoid: Tensor) -> Tensor:
        """A buffer of ``like``'s shape and dtype that shares no memory with ``avoid`` (three at most
        per forward pass: the scaled iterate and two iterates, the current one never overwritten)."""
        taken = {t.data_ptr() for t in avoid}
        for buf in self._buffers:
            if buf.data_ptr() not in taken and buf.shape == like.shape and buf.dtype == like.dtype:
                return buf
        buf = torch.empty_like(like, memory_format=torch.contiguous_format)
        self._buffers.append(buf)
        return buf

    def smoothed(self, z: Tensor, t: float, *, latest_only: bool = False) -> Tensor:
        """:math:`t z + (1 - t)\\,\\mathrm{step}(z)` as one product whose addend is
        :math:`(1-t) c + t z`: the product accumulates into that addend, where ``torch.lerp``
        after the step would read and write the nodes' features once more. ``latest_only``: the
        caller keeps only the latest result (as :func:`~iterative_core.solvers.picard` does), so that,
        while no gradient is recorded, the addend and the scaled iterate may be written into buffers
        of this forward pass that an earlier result occupied (never ``z``): a large graph's iterates
        are then not allocated, and faulted in by the kernel, again at every step (``t = 0``, the
        plain step, included). Otherwise each call returns a new tensor."""
        csr = isinstance(self.propagate, _CSRProduct)  # (never traced: the solvers skip it under torch.compile)
        reuse = latest_only and csr and not torch.is_grad_enabled() and z.is_contiguous() and z.numel() > 0
        if t == 0.0 and not reuse:
            return self(z)  # the plain step: no addend to build
        if self.pre is None:
            h = z
        elif reuse and self.factor is not None:
            h = torch.mul(z, self.factor, out=self._buffer(z, z))
        else:
            h = self.pre(z)
        out = self._buffer(z, z, h) if reuse else None
        if t == 0.0:  # (reuse) the addend is c alone, copied into the buffer (broadcast when c is a bias)
            add = out.zero_() if self.c is None else out.copy_(self.c)
        elif self.c is None:
            add = torch.mul(z, t, out=out) if out is not None else z * t
        else:
            if self._c_t is None or self._c_t[0] != t:  # (1 - t) c once while t stays the same; one copy kept
                self._c_t = (t, self.c * (1.0 - t))
            c_t = self._c_t[1]
            add = torch.add(c_t, z, alpha=t, out=out) if out is not None else torch.add(c_t, z, alpha=t)
        scale = self.scale * (1.0 - t)
        if csr:
            return self.propagate(h, add, scale, add_owned=True)
        return self.propagate(h, add, scale)


#: the GCN operator's switches, checked when set (at construction or later); DGL's adds its
#: ``allow_zero_in_degree``
_OPERATOR_FLAGS = frozenset({"add_self_loops", "normalize", "cached", "allow_zero_in_degree"})
#: the GCN operator's options that decide its parameters: set at construction only
_FIXED_AT_CONSTRUCTION = frozenset({"channels", "beta", "propagation", "gamma_init", "gamma_scale", "gamma_max"})
#: the GCN operator's options that may be set after construction (checked when set, used from the next call)
GCN_MUTABLE_OPTIONS = _OPERATOR_FLAGS | {"alpha"}
#: the GCN operator's options that a layer iterating it reads and sets as its own attributes
#: (``conv.alpha``, ``conv.normalize``, as on PyG's ``APPNP`` and ``GCNConv``)
GCN_LAYER_ATTRIBUTES = (GCN_MUTABLE_OPTIONS | _FIXED_AT_CONSTRUCTION) - {"channels"}


#: the token of weights a call gives that cannot be told apart from others (a tensor made under
#: ``torch.inference_mode()``, which has no version counter): such a call is never served from, nor kept
#: in, what ``cached=True`` keeps
_UNTOLD = object()


def _weights_token(graph, edge_weight) -> Any:
    """What ``cached=True`` tells a call's weights by: the edge weights' tensor, or a sparse adjacency (its
    values are the weights), as its identity and version with the tensor itself (held, so that its
    identity is not reused); None where the call gives none, :data:`_UNTOLD` where they cannot be told
    (a tensor that cannot be keyed: made under ``torch.inference_mode()``)."""
    w = edge_weight if edge_weight is not None else (
        graph if isinstance(graph, Tensor) and graph.layout != torch.strided else None)
    if w is None:
        return None
    key = tensor_key(w) if isinstance(w, Tensor) else None
    return _UNTOLD if key is None else (key.token, w)


def _same_weights(a: Any, b: Any) -> bool:
    """Whether two :func:`_weights_token` tokens name the same weights (the tensors by identity); weights
    that cannot be told (:data:`_UNTOLD`) are the same as none."""
    if a is _UNTOLD or b is _UNTOLD:
        return False
    if a is None or b is None:
        return a is b
    return a[1] is b[1] and a[0] == b[0]


class GCNOperatorBase(HintedLoad, nn.Module):
    """Parameters of :math:`\\mathrm{op}(z) = \\hat A z W + b`, with two optional variants:

    * initial residual ``alpha`` (APPNP / GCNII): :math:`((1-\\alpha)\\hat A z + \\alpha x) W + b`;
    * identity mapping ``beta`` (GCNII): :math:`W` is replaced by :math:`(1-\\beta) I + \\beta W`;
      with ``beta=0`` the step has no weight to learn (:math:`W = I`), no parameter is created and no
      matrix product is taken.

    :math:`W` is :attr:`weight` transposed: the weight is kept in torch's :class:`~torch.nn.Linear`
    layout ``[out, in]``, and the step computes ``z @ weight.T``.

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

    Args:
        channels (int): The width of :math:`z` (the operator is square).
        bias (bool, optional): Learn the bias :math:`b`. (default: :obj:`True`)
        alpha (float, optional): The initial residual, in :math:`[0, 1)`. (default: :obj:`0.0`)
        beta (float, optional): The identity mapping's share of :math:`W`, in :math:`[0, 1]`; :obj:`None`
            learns :math:`W` whole. (default: :obj:`None`)
        add_self_loops (bool, optional): Add a self-loop of weight 1 to every node that has none (an
            existing self-loop keeps its weight). (default: :obj:`True`)
        normalize (bool, optional): Normalise symmetrically by the in-degrees (with the self-loops); without
            it the edge weights are used as given. (default: :obj:`True`)
        cached (bool, optional): Build the propagation of the first graph once and reuse it (one fixed
            graph, transductive learning). (default: :obj:`False`)
        propagation (str, optional): :obj:`"fixed"` (:math:`(1-\\alpha)\\hat A`) or :obj:`"signed"`
            (one learned coefficient per channel, :math:`\\gamma_c \\in (-\\gamma_{max}, \\gamma_{max})`, in
            place of :math:`1-\\alpha`). (default: :obj:`"fixed"`)
        gamma_init, gamma_scale, gamma_max (float, optional): With ``propagation="signed"``: the
            coefficients' start (0.5), the slope of their parametrisation (5; at most 65504, float16's
            largest number) and their bound (0.9),
            :math:`\\gamma_c = \\gamma_{max} \\tanh(\\operatorname{atanh}(\\gamma_{init}/\\gamma_{max}) +
            \\gamma_{scale}\\,\\theta_c)`.
    """

    #: the forms (:mod:`iterative_core.forms`) set this operator's ``alpha``, ``beta``, ``propagation`` and ``bias``
    takes_forms: bool = True
    #: a half-precision layer binds it to float32 features and iterates in float32 (see :mod:`iterative_core.wrapping`)
    binds_in_float32: bool = True
    #: the adapter whose :meth:`~iterative_core.adapter.GraphAdapter.edge_list` and
    #: :meth:`~iterative_core.adapter.GraphAdapter.graph_key` read the graph argument (set by each
    #: adapter's GCN operator; one that builds its propagation itself may leave it None)
    adapter: Optional[type[GraphAdapter]] = None
    #: how many graphs' prepared propagations an operator keeps (see :meth:`prepare`); 0 keeps none
    #: (set it on the class, or on one operator: ``layer.operator.graph_cache_size = 1``)
    graph_cache_size: int = 4

    def __init__(self, channels: int, *, bias: bool = True, alpha: float = 0.0, beta: Optional[float] = None,
                 add_self_loops: bool = True, normalize: bool = True, cached: bool = False,
                 propagation: str = "fixed", gamma_init: Optional[float] = None, gamma_scale: Optional[float] = None,
                 gamma_max: Optional[float] = None) -> None:
        super().__init__()
        bias = check_flag("bias", bias, where=type(self).__name__)
        # how the adapters build the propagation (see iterative_core.normalization.gcn_propagation);
        # with ``cached`` an adapter keeps what it built (cache_propagation) until reset_parameters()
        self._cache = None
        for name, value in (("add_self_loops", add_self_loops), ("normalize", normalize), ("cached", cached),
                            ("alpha", alpha)):
            setattr(self, name, value)  # checked by __setattr__
        # the propagations of the last few graphs, by identity and version (see prepare)
        self._graphs = GraphCache(self.graph_cache_size)
        beta = check_real("beta (identity mapping)", beta, low=0.0, high=1.0, optional=True, where=type(self).__name__)
        self.channels = channels
        self.beta = beta
        if beta == 0.0:  # W = I: a parameter nothing uses would break DDP (an unused parameter)
            self.register_parameter("weight", None)
        else:
            self.weight = nn.Parameter(torch.empty(channels, channels))
        if bias:
            self.bias = nn.Parameter(torch.empty(channels))
        else:  # (registered: a later assignment must be a Parameter or None, as on PyG's and DGL's layers)
            self.register_parameter("bias", None)
        self._init_coefficients(propagation, gamma_init, gamma_scale, gamma_max)
        self.reset_parameters()
        self._built = True

    @staticmethod
    def checked_option(name: str, value, where: str):
        """``value`` of the option ``name`` (one of :data:`GCN_MUTABLE_OPTIONS`), checked as at
        construction; ``where`` names the caller in the error."""
        if name in _OPERATOR_FLAGS:
            return check_flag(name, value, where=where)
        return check_real("alpha (initial residual)", value, low=0.0, high=1.0, high_open=True, where=where)

    def __setattr__(self, name: str, value) -> None:
        # the options read at every call may change, checked as at construction; those that shaped the
        # parameters may not (a layer built with them is what the user wants)
        where = type(self).__name__
        if name == "graph_cache_size":
            value = check_int(name, value, minimum=0, where=where)
        if name in GCN_MUTABLE_OPTIONS:
            value = self.checked_option(name, value, where)
            if name in _OPERATOR_FLAGS and value != self.__dict__.get(name, value):
                # what was built with the former value: cached=True's propagation, the graphs kept
                self._cache = None
                self._graphs = GraphCache(self.graph_cache_size)
        elif name in _FIXED_AT_CONSTRUCTION and self.__dict__.get("_built") and (
                name not in self.__dict__ or value != self.__dict__[name]):
            now = (f"it is {self.__dict__[name]!r}" if name in self.__dict__
                   else f"this one has none, with propagation={self.propagation!r}")
            raise AttributeError(f"{where}: {name} is fixed when the operator is built (it decides its "
                                 f"parameters; {now}): build a new layer with the value {value!r}")
        super().__setattr__(name, value)

    def _init_coefficients(self, propagation: str, gamma_init: Optional[float], gamma_scale: Optional[float],
                           gamma_max: Optional[float]) -> None:
        """The propagation coefficients: ``"fixed"`` (:math:`1-\\alpha`, nothing to learn) or ``"signed"``
        (:math:`\\gamma_c = \\gamma_{max} \\tanh(\\operatorname{atanh}(\\gamma_{init}/\\gamma_{max}) +
        \\text{scale}\\,\\theta_c)`, one learned per channel, :math:`\\theta` starting at 0)."""
        where = type(self).__name__
        check_choice("propagation", propagation, PROPAGATIONS, where=where)
        self.propagation = propagation
        given = {k: v for k, v in (("gamma_init", gamma_init), ("gamma_scale", gamma_scale),
                                   ("gamma_max", gamma_max)) if v is not None}
        if propagation == "fixed":
            if given:
                raise ValueError(f"{where}: {', '.join(given)} appl{'ies' if len(given) == 1 else 'y'} only to learned "
                                 "propagation coefficients, but propagation='fixed' (pass propagation='signed', "
                                 "or use form='signed')")
            self.register_parameter("gamma_logit", None)
            return
        values = {**SIGNED_DEFAULTS, **given}
        # (below 1: at 1, where float32 tanh saturates, I - gamma Â is singular on a connected graph: no fixed point)
        values["gamma_max"] = check_real("gamma_max", values["gamma_max"], low=0.0, high=1.0, low_open=True,
                                         high_open=True, where=where)
        # (at most float16's largest number: the parameters' dtype must hold it, or scale * 0 is NaN)
        values["gamma_scale"] = check_real("gamma_scale", values["gamma_scale"], low=0.0, high=_GAMMA_SCALE_MAX,
                                           low_open=True, where=where)
        values["gamma_init"] = check_real("gamma_init", values["gamma_init"], low=-1.0, high=1.0, low_open=True,
                                          high_open=True, where=where)
        if not abs(values["gamma_init"]) < values["gamma_max"]:
            raise ValueError(f"{where}: gamma_init must lie strictly between -gamma_max and gamma_max "
                             f"({values['gamma_max']}), got {values['gamma_init']!r}"
                             + ("" if gamma_init is not None else " (the default; pass gamma_init)"))
        self.gamma_init = float(values["gamma_init"])
        self.gamma_scale = float(values["gamma_scale"])
        self.gamma_max = float(values["gamma_max"])
        self._gamma_offset = math.atanh(self.gamma_init / self.gamma_max)
        self.gamma_logit = nn.Parameter(torch.empty(self.channels))

    def gamma(self) -> Optional[Tensor]:
        """The learned propagation coefficients :math:`\\gamma` (one per channel, each in
        :math:`(-\\gamma_{max}, \\gamma_{max})`), or None with ``propagation="fixed"``."""
        if self.gamma_logit is None:
            return None
        return self.gamma_max * torch.tanh(self._gamma_offset + self.gamma_scale * self.gamma_logit)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # a checkpoint of this operator in another form: a hint names the layer to build, every
        # mismatch at once; torch lists the keys as missing or unexpected, an error with strict=True
        # (the hint follows it), returned with strict=False (the hint is a warning). A
        # state_dict that holds none of this operator's parameters, or another operator's, is left to torch
        mine = [k[len(prefix):] for k in state_dict if k.startswith(prefix)]
        parameters = {name for name, _ in self.named_parameters(recurse=False)} | set(_OPTIONAL_PARAMETERS)
        if mine and all(k in parameters for k in mine):
            unexpected = [f"{prefix}{name}, {what}, which this operator lacks"
                          for name, what in _OPTIONAL_PARAMETERS.items()
                          if getattr(self, name) is None and prefix + name in state_dict]
            missing = [f"no {prefix}{name}, {what}, which this operator has" for name, what in _OPTIONAL_PARAMETERS.items()
                       if getattr(self, name) is not None and prefix + name not in state_dict]
            if unexpected or missing:
                # loaded into a PIGN or GraphPIGN (or a subclass of one): that model is built; into a module
                # of yours that holds the layer (prefix "...conv.operator."), either may be what holds it
                root = loading_into()
                model = next((c.__name__ for c in type(root).__mro__ if getattr(c, "conv_class", None) is not None
                              and c.__module__.split(".")[0] in _LIBRARY_PACKAGES), None)
                into = f"{model}(in_channels, hidden_channels, out_channels" if model else "PIGNConv(C"
                build = checkpoint_layer(**{name: prefix + name in state_dict for name in _OPTIONAL_PARAMETERS},
                                         into=into)
                held = model is None and prefix.endswith("conv.operator.") and prefix != "operator."
                hint(f"the state_dict has {'; '.join(missing + unexpected)}: build the "
                     f"{'model' if model else 'layer'} as it was saved, {build}"
                     + (" (a PIGN or GraphPIGN holding it takes the same keywords)" if held else ""))
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        if "_graphs" not in self.__dict__:  # pickled before operators kept their graphs
            self._graphs = GraphCache(self.graph_cache_size)

    def reset_parameters(self) -> None:
        if self.weight is not None:
            nn.init.xavier_uniform_(self.weight)
        if self.bias is not None:
            nn.init.zeros_(self.bias)
        if self.gamma_logit is not None:
            nn.init.zeros_(self.gamma_logit)
        self._cache = None
        self._graphs.clear()

    # --- the graph: what an adapter supplies, and the sequence the core runs -----------------------
    def edge_list(self, graph, edge_weight: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        """``(src, dst, weight)`` of ``graph`` (messages ``src -> dst``; ``weight`` None when
        unweighted): the adapter's :meth:`~iterative_core.adapter.GraphAdapter.edge_list`."""
        if self.adapter is None:
            raise NotImplementedError(f"{type(self).__name__} names no adapter to read its graphs' edges "
                                      "(set the class attribute adapter, or implement build_propagation)")
        return self.adapter().edge_list(graph, edge_weight)

    def in_edges(self, graph, edge_weight: Optional[Tensor]) -> Optional[tuple[Tensor, Tensor, Optional[Tensor]]]:
        """The edges grouped by destination where the graph holds them so (the adapter's
        :meth:`~iterative_core.adapter.GraphAdapter.in_edges`), else None."""
        return None if self.adapter is None else self.adapter().in_edges(graph, edge_weight)

    def graph_key(self, graph, edge_weight: Optional[Tensor]) -> Optional[GraphKey]:
        """The identity and version of ``graph`` and ``edge_weight`` (the adapter's
        :meth:`~iterative_core.adapter.GraphAdapter.graph_key`); None: never reused."""
        return None if self.adapter is None else self.adapter().graph_key(graph, edge_weight)

    def build_propagation(self, graph, edge_weight: Optional[Tensor], num_nodes: int,
                          dtype: torch.dtype) -> tuple[Propagation, Any]:
        """``(prop, data)`` for ``graph``: the normalised propagation matrix as a :class:`Propagation`
        and whatever :meth:`propagator` needs to apply it fast.

        The default reads the edges through :meth:`edge_list` (or, where the graph holds them
        grouped by destination, :meth:`in_edges`, which spares a sort) and builds :math:`\\hat A` with
        the self-loops folded in (:meth:`normalized`) as a CSR matrix with its transpose
        (:class:`~iterative_core.sparse.CSRPair`): each iteration is then one fused sparse-dense
        product. Edge weights that require gradients take :meth:`differentiable_propagation`
        instead, so that they receive them. Traced by ``torch.compile``, it builds the edge list alone
        (``data`` None): the compiler cannot trace sparse tensors."""
        # traced, or under a torch.func transform or forward AD: the edge list alone (no sparse tensor), see propagator
        compiling = is_compiling() or under_transform()
        if not compiling and not (isinstance(edge_weight, Tensor) and edge_weight.requires_grad):
            grouped = self.in_edges(graph, edge_weight)
            if grouped is not None and (grouped[2] is None or not grouped[2].requires_grad):
                indptr, src, w = grouped
                dst = torch.repeat_interleave(torch.arange(num_nodes, device=src.device), indptr.long().diff(),
                                              output_size=src.numel())
                prop = self.normalized(src, dst, num_nodes, w, fold_loops=True, dtype=dtype)
                return prop, _csr_pair(prop.src, prop.dst, prop.weight, num_nodes, crow=indptr,
                                       loops=bool(self.add_self_loops))
        src, dst, w = self.edge_list(graph, edge_weight)
        if w is not None and w.requires_grad:
            return self.differentiable_propagation(graph, src, dst, w, num_nodes, dtype)
        prop = self.normalized(src, dst, num_nodes, w, fold_loops=True, dtype=dtype)
        return prop, (None if compiling else _csr_pair(prop.src, prop.dst, prop.weight, num_nodes))

    def normalized(self, src: Tensor, dst: Tensor, num_nodes: int, weight: Optional[Tensor], *,
                   fold_loops: bool = True, dtype: torch.dtype = torch.float32) -> Propagation:
        """:func:`~iterative_core.gcn_propagation` of an edge list under this operator's options
        (``add_self_loops``, ``normalize``): every propagation is built through it, once per graph."""
        return gcn_propagation(src, dst, num_nodes, weight, add_self_loops=self.add_self_loops,
                               normalize=self.normalize, fold_loops=fold_loops, dtype=dtype)

    def differentiable_propagation(self, graph, src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int,
                                   dtype: torch.dtype) -> tuple[Propagation, Any]:
        """``(prop, data)`` for edge weights that require gradients: autograd must reach them through
        the normalisation and every product. The default keeps the folded edge list (``data`` None),
        which :meth:`propagator` applies with a gather and an ``index_add`` (an adapter may use its
        ecosystem's message passing instead)."""
        return self.normalized(src, dst, num_nodes, weight, fold_loops=True, dtype=dtype), None

    def propagator(self, graph, prop: Propagation, data: Any) -> Callable[[Tensor, Optional[Tensor], float], Tensor]:
        """The map ``(h, add, scale) -> scale * Â h + add`` (``add`` may be None) over what
        :meth:`build_propagation` returned: the fused CSR product for a
        :class:`~iterative_core.sparse.CSRPair` (its transpose reused by every backward step), else a
        product over the edge list that autograd differentiates in the edge weights. Traced by
        ``torch.compile``, every step is the edge-list product (a gather and an ``index_add``, which
        the compiler fuses; it cannot trace sparse tensors)."""
        if isinstance(data, CSRPair):
            return _CSRProduct(data, prop)
        return _edge_list_product(prop)

    def propagation_key(self, graph, edge_weight: Optional[Tensor], num_nodes: int,
                        dtype: torch.dtype) -> Optional[GraphKey]:
        """The key :meth:`prepare` keeps the propagation of ``graph`` under: the graph's
        :meth:`graph_key` with the node count, the dtype and the normalisation options. None (nothing
        reused) with ``cached=True`` (which keeps one propagation its own way), with edge weights that
        require gradients, and where the adapter cannot key the graph."""
        if self.cached or kept_graphs(self) <= 0 or under_transform():  # (its edge-list form kept from reuse)
            return None
        if isinstance(edge_weight, Tensor) and edge_weight.requires_grad:
            return None
        key = self.graph_key(graph, edge_weight)
        if key is None:
            return None
        return key.extend((num_nodes, dtype, bool(self.add_self_loops), bool(self.normalize)))

    def prepare(self, graph, edge_weight: Optional[Tensor], num_nodes: int, dtype: torch.dtype,
                device: Optional[torch.device] = None) -> tuple[Propagation, Any]:
        """:meth:`build_propagation`, or what an earlier call on the same graph built.

        With ``cached=True`` the first graph's propagation serves every later call (PyG's
        convention, for one fixed graph) that gives the same weights: the same edge weights' tensor
        unchanged (or, for a sparse adjacency, whose values are the weights, the same sparse tensor), or
        none; other weights build it anew (weights computed from parameters are a new tensor at each
        call), and so do weights made under ``torch.inference_mode()``, which have no version counter
        to tell an edit by, and weights given inside a ``torch.compile`` graph, which cannot be keyed
        there. Otherwise the propagations of the last :attr:`graph_cache_size` graphs are kept under
        their :meth:`propagation_key`: the graph's
        identity and version (for a tensor its storage, ``_version`` counter, shape, dtype and device;
        for a ``DGLGraph`` the object, its structure and counts, and the edge weights' tensor), so a
        repeated call on the same unchanged graph reuses its propagation, and a change through torch,
        an in-place edit included, builds it anew; a write that bypasses torch's version counter
        (through ``.numpy()``, ``.data`` or DLPack) is not seen: pass new tensors, or set
        ``graph_cache_size = 0``. Nothing is kept for edge weights that require gradients (with
        ``cached=True`` neither: a second backward pass went through the first call's graph), nor
        for what a ``torch.compile`` graph builds (its tensors exist in that graph only: a traced set-up
        normalises the graph at every call; one run outside the graph keeps its cache)."""
        learned = isinstance(edge_weight, Tensor) and edge_weight.requires_grad
        transformed = under_transform()  # (forward AD, torch.func: the edge-list form, built for the call)
        weights = _weights_token(graph, edge_weight) if self.cached else None
        cache = None if learned or transformed else self.cached_propagation(num_nodes, weights)
        # (what cached=True kept serves features of its dtype and device: a layer moved with .to() builds anew)
        if (cache is not None and cache[0].weight.dtype == dtype
                and (device is None or cache[0].weight.device == device)):
            return cache
        key = self.propagation_key(graph, edge_weight, num_nodes, dtype)
        built = self._graphs.get(key)
        if built is not None:
            return built
        built = self.build_propagation(graph, edge_weight, num_nodes, dtype)
        if is_compiling() or transformed:  # built inside a compiled graph, or in its edge-list form alone
            return built
        if learned or built[0].weight.requires_grad:  # learned edge weights: built at every call, cached=True too
            return built
        # cached=True keeps the propagation with the token of the weights it was built from (under no_grad,
        # weights computed from parameters require no gradient: a new tensor at each call, which the next
        # call's token tells apart); weights it cannot tell apart (inference tensors) are never kept
        if weights is not _UNTOLD:
            self.cache_propagation(built, num_nodes, weights)
        if key is not None:
            self._graphs.size = kept_graphs(self)  # a class default, or set on one operator
            self._graphs.put(key, built)
        return built

    def norm_bound(self, prop: Propagation, batch: Optional[Tensor] = None,
                   num_graphs: Optional[int] = None) -> Tensor:
        """:meth:`Propagation.norm_bound`, kept with the propagation per batch vector (computed once
        per graph and batch when the propagation is reused) unless it is differentiable."""
        if prop.weight.requires_grad or is_compiling():  # traced: nothing kept beyond the graph
            return prop.norm_bound(batch, num_graphs)
        key = tensor_key(batch)
        if key is None:
            return prop.norm_bound(batch, num_graphs)
        key = key.extend(num_graphs)
        memo = prop.bounds
        if memo is None:
            memo = prop.bounds = GraphCache(2)
        bound = memo.get(key)
        if bound is None:
            bound = prop.norm_bound(batch, num_graphs)
            memo.put(key, bound)
        return bound

    def bind(self, x: Tensor, graph, edge_weight: Optional[Tensor] = None, *,
             lipschitz_budget: Optional[float] = None, batch: Optional[Tensor] = None,
             num_graphs: Optional[int] = None) -> Callable[[Tensor], Tensor]:
        """The map :math:`z \\mapsto \\hat A z W + b` of one forward pass on ``graph`` (any graph the
        adapter takes): the propagation built (or reused, see :meth:`prepare`), and, with a
        ``lipschitz_budget``, :math:`W` rescaled to it, per graph with a ``batch`` vector."""
        prop, data = self.prepare(graph, edge_weight, x.size(0), x.dtype, x.device)
        bound = self.norm_bound(prop, batch, num_graphs) if lipschitz_budget is not None else None
        W, scale = self.scaled_weight(lipschitz_budget, bound, x.dtype)
        return self.bind_step(x, W, self.propagator(graph, prop, data), scale, batch)

    def apply_once(self, x: Tensor, graph, edge_weight=None) -> Tensor:
        """The adapters' ``forward``: one application :math:`\\hat A x W + b` after the checks a layer
        makes of its input (the features' width and dtype, the graph's kind, size, device and index range,
        the edge weights); a block or a graph of another size is refused, not read out of range. Under
        ``torch.compile`` it binds and applies without them. Half-precision features are computed in
        float32 and returned in their dtype, as in a layer (the CPU's sparse products have no
        half-precision kernel); under ``torch.autocast`` it runs in its parameters' dtype with autocast
        off, as a layer does, and its backward pass must run after the autocast block."""
        if x.is_floating_point() and autocast_enabled(x.device.type):
            return without_autocast(self, x, lambda dtype: self.apply_once(x.to(dtype), graph, edge_weight))
        if not is_compiling():  # the checks read values back from the device, which a compiled graph cannot
            where = type(self).__name__
            check_features(x, self.channels, where, validate=True)
            check_parameters_dtype(self, x, where, "the operator")  # (as a layer of it refuses them)
            view = without_kept_checks(self, self.adapter().read_graph(self, x, graph, edge_weight, None, None))
            edge_weight = check_graph_view(view, where, validate=True, nonnegative=self.normalize, device=x.device,
                                           batch_hint=self.adapter.batch_hint, takes_batch=False)
        if x.layout != torch.strided:  # sparse features (bag-of-words), as the ecosystems' layers take them
            x = x.to_dense()
        dtype = compute_dtype(x.dtype)
        if dtype == x.dtype or not self.binds_in_float32:
            return self.bind(x, graph, edge_weight)(x)
        xc = x.to(dtype)
        return self.bind(xc, graph, edge_weight)(xc).to(x.dtype)

    def cached_propagation(self, num_nodes: int, weights: Any = None):
        """What ``cached=True`` keeps (None when nothing is kept, or when it was built from other weights
        than ``weights``, the token of this call's, :func:`_weights_token`); an error when it was built for
        a graph of another size, which a cache for one fixed graph cannot serve."""
        if not self.cached or self._cache is None:
            return None
        value, cached_nodes, token = self._cache
        if not _same_weights(token, weights):
            return None
        if cached_nodes != num_nodes:
            raise ValueError(
                f"{type(self).__name__}: cached=True holds the propagation of a graph with {cached_nodes} nodes, "
                f"but this call has {num_nodes}; cached=True is for one fixed graph (transductive learning). "
                "Use cached=False for graphs that change, or call reset_parameters() first")
        return value

    def cache_propagation(self, value, num_nodes: int, weights: Any = None) -> None:
        """Keep ``value`` for the next calls when ``cached=True``, with the token of the weights it was
        built from (:func:`_weights_token`)."""
        if self.cached:
            self._cache = (value, num_nodes, weights)

    def __getstate__(self) -> dict:
        """Copies and pickles leave out what ``cached=True`` kept (it is built again at the next call):
        a sparse propagation cannot be deep-copied, and a pickled one did not load."""
        state = self.__dict__.copy()
        state["_cache"] = None
        return state

    def __deepcopy__(self, memo: dict) -> "GCNOperatorBase":
        """A deep copy of the state :meth:`__getstate__` keeps, as ``copy.deepcopy`` makes one; defined here
        so that it holds for an operator with a torch parametrization too (``parametrizations.orthogonal``
        on its weight), whose class copies the whole ``__dict__`` unless the module defines this method."""
        replica = type(self).__new__(type(self))
        memo[id(self)] = replica
        replica.__setstate__(copy.deepcopy(GCNOperatorBase.__getstate__(self), memo))
        return replica

    def _raw_weight(self) -> Optional[Tensor]:
        if self.weight is None:  # beta = 0: the identity
            return None
        if self.beta is None:
            return self.weight
        # (built in float32 and cast, exactly: torch 2.2 has no bfloat16 eye on the CPU)
        eye = torch.eye(self.channels, dtype=torch.float32, device=self.weight.device).to(self.weight.dtype)
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
        g = self.gamma()
        lip = norm_bound.to(dt) * ((1.0 - self.alpha) if g is None else g.abs().max().to(dt))
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
                  scale: Optional[Tensor] = None, batch: Optional[Tensor] = None) -> BoundStep:
        """The map :math:`z \\mapsto ((1-\\alpha)\\hat A z + \\alpha x) W s + b` of one forward pass, with
        what does not change between iterations folded once: it is
        :math:`z \\mapsto (1-\\alpha)\\,\\hat A (z W s) + c` with :math:`c = \\alpha x W s + b`, so that
        each iteration is one GEMM (none with ``beta=0``) and one call
        ``propagate(h, add, scale)`` :math:`= \\mathrm{scale} \\cdot \\hat A h + \\mathrm{add}` (one fused
        sparse kernel on the adapters' fast paths). ``W`` and ``scale`` (:math:`s`) as
        :meth:`scaled_weight` returns them; a per-graph ``scale`` needs ``batch`` and scales each
        graph's rows (exact, as :math:`\\hat A` is block-diagonal). ``W`` may also be a 0-dim tensor
        (a scalar multiple of the identity, as :meth:`weight_for` returns it). With
        ``propagation="signed"`` the factor :math:`1-\\alpha` is the learned
        :math:`\\operatorname{diag}(\\gamma)` instead, folded into :math:`W` (or the row factor)."""
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
            xw = x if Wt is None else x @ Wt
            if factor is None and b is not None:
                c = torch.add(b, xw, alpha=a)  # b + a x W: one pass
            else:
                c = a * xw if factor is None else xw * (a * factor)
                if b is not None:
                    c = c + b
        elif b is not None:
            c = b
        s = 1.0 - a
        g = self.gamma()
        if g is not None:  # (Â h) diag(g) = Â (h diag(g)): folded into W, or into the factor
            g, s = g.to(x.dtype), 1.0
            if Wt is not None:
                Wt = Wt * g
            else:
                factor = g if factor is None else factor * g
        if Wt is None:
            return BoundStep(propagate, None, c, s, factor)
        pre = (lambda z: z @ Wt) if factor is None else (lambda z: (z @ Wt) * factor)
        return BoundStep(propagate, pre, c, s)

    def extra_repr(self) -> str:
        parts = [f"{self.channels}"]
        if self.alpha:
            parts.append(f"alpha={self.alpha}")
        if self.beta is not None:
            parts.append(f"beta={self.beta}")
        if self.gamma_logit is not None:
            parts.append(f"propagation='signed', gamma_init={self.gamma_init}, gamma_scale={self.gamma_scale}, "
                         f"gamma_max={self.gamma_max}")
        if self.bias is None:
            parts.append("bias=False")
        return ", ".join(parts)


class _CSRProduct:
    """``(h, add, scale) -> scale * Â h + add`` by the fused CSR product of ``pair`` (its transpose
    reused by every backward step); ``add_owned=True`` hands ``add`` over for the product to
    accumulate into (see :func:`~iterative_core.sparse.spmm_csr`). Traced by ``torch.compile``, the
    product over the edge list instead (the compiler cannot trace sparse tensors)."""

    def __init__(self, pair: CSRPair, prop: Propagation) -> None:
        self.pair, self.prop = pair, prop

    def __call__(self, h: Tensor, add: Optional[Tensor], scale: float, add_owned: bool = False) -> Tensor:
        if is_compiling():
            return _edge_list_product(self.prop)(h, add, scale)
        return spmm_csr(self.pair, h, add, scale, add_owned=add_owned)


@torch.compiler.disable
def _csr_pair(src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int, **grouped) -> CSRPair:
    """:func:`~iterative_core.sparse.csr_pair`, built outside ``torch.compile``'s graph (torch < 2.4
    cannot trace sparse constructors); it is built once per graph, so the graph break costs nothing
    per iteration."""
    if src.device.type == "meta":
        raise NotImplementedError(
            "the GCN operator builds a sparse matrix of the graph, which tensors on the meta device cannot hold; "
            "trace shapes there with a layer that needs no such set-up (IterativeConv of a SAGEConv, "
            "validate=False, on_divergence='ignore'), or call the layer on real tensors")
    return csr_pair(src, dst, weight, num_nodes, **grouped)


def _edge_list_product(prop: Propagation) -> Callable[[Tensor, Optional[Tensor], float], Tensor]:
    """``(h, add, scale) -> scale * Â h + add`` over ``prop``'s edge list (a gather and an
    ``index_add``, differentiable in the weights), its diagonal added when kept apart."""
    src, dst, w = prop.src, prop.dst, prop.weight.unsqueeze(-1)
    loops = None if prop.loop_weight is None else prop.loop_weight.unsqueeze(-1)
    if prop.loops_only:  # a graph without edges: Â is diagonal. (torch 2.13's inductor miscompiled the
        # repeated index_add over the loops alone: 0.14 off in 8 steps; the product is also cheaper)
        return lambda h, add, scale: scaled_add(w.to(h.dtype) * h, add, scale)

    def apply(h: Tensor, add: Optional[Tensor], scale: float) -> Tensor:
        out = torch.zeros_like(h).index_add_(0, dst, h.index_select(0, src) * w.to(h.dtype))
        if loops is not None:
            out = out + loops.to(h.dtype) * h
        return scaled_add(out, add, scale)

    return apply

