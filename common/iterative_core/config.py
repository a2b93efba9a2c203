r"""The configuration of a solve, in one place.

:class:`SolveConfig` is every option of a fixed-point solve, as one typed, frozen object, checked
once when it is made (``__post_init__``, with the helpers of :mod:`iterative_core.checks`). Each field
carries its own default, its one-line meaning and its check (:func:`option`); everything else is
derived from the fields:

* the keywords of :func:`iterative_core.fixed_point` (``fixed_point(f, z0, config=..., **options)``,
  :data:`iterative_core.FIXED_POINT_KEYS`) and of the layers (:data:`iterative_core.ITERATION_KEYS`);
* the layers' attributes (``layer.tol``, ``layer.solver`` ...: properties that read the layer's
  config, and whose setters replace it with a checked copy, see :func:`expose`);
* the layer's repr (the fields that differ from their defaults) and the docs' option table
  (:func:`options_table`).

Adding a solve option is one field here (its default, meaning and check); the solve then reads it
from the config. :class:`LayerOptions` holds, the same way, what a layer has beyond the solve.

Mappings (``solver_options``) are stored read-only (a :class:`types.MappingProxyType`, usable like
a dict: ``**config.solver_options``, ``dict(config.solver_options)``), and a smoothing schedule as a
tuple: a config cannot change after it was checked. A config pickles and deep-copies.
"""
from __future__ import annotations

import dataclasses
import numbers
import re
from collections.abc import Mapping
from dataclasses import InitVar, dataclass, field, fields
from types import MappingProxyType
from typing import Any, Callable, Optional

from ._keys import check_choice, check_keys
from ._warnings import warn_user
from .checks import check_flag, check_int, check_mapping, check_real
from .info import POLICIES
from .schedules import Schedule, Smoothing, _as_sequence, resolve_schedule, scalar_value
from .solvers import available_solvers, check_solver_options, get_solver

__all__ = [
    "SolveConfig", "LayerOptions", "option", "option_names", "options_table", "expose", "mirror_options",
    "GRAD_MODES", "STOP_RULES",
]

GRAD_MODES = ("unrolled", "implicit", "phantom")
STOP_RULES = ("rel", "abs")

#: ``check(name, value, where) -> value``: raise (``TypeError``/``ValueError``) or return the value normalised
Check = Callable[[str, Any, Optional[str]], Any]


def option(default: Any, doc: str, *, check: Optional[Check] = None, layer: bool = True) -> Any:
    """A field of an options dataclass: its ``default``, its one-line meaning ``doc`` (the docs' table
    and the layers' attribute docs) and its ``check``, run when a config is made (None: checked with
    the other fields it depends on, in the class's ``_check_together``). ``layer=False`` keeps a solve
    option off the layers (a :func:`iterative_core.fixed_point` keyword only)."""
    return field(default=default, metadata={"doc": doc, "check": check, "layer": layer})


# --- checks, built from iterative_core.checks --------------------------------------------------------
def _int(minimum: int, optional: bool = False) -> Check:
    return lambda name, v, where: check_int(name, v, minimum=minimum, optional=optional, where=where)


def _real(**bounds) -> Check:
    return lambda name, v, where: check_real(name, v, where=where, **bounds)


def _flag(name: str, v: Any, where: Optional[str]) -> bool:
    return check_flag(name, v, where=where)


def _choice(kind: str, valid) -> Check:
    def check(name: str, v: Any, where: Optional[str]):
        try:
            return check_choice(kind, v, valid() if callable(valid) else valid)
        except (TypeError, ValueError) as exc:  # named by the caller, as the other checks' messages are
            raise type(exc)(f"{where}: {exc}" if where else str(exc)) from None
    return check


def _mapping(none_is_empty: bool) -> Check:
    """``None`` (kept, or ``{}`` when ``none_is_empty``) or a mapping with string keys, stored read-only."""
    def check(name: str, v: Any, where: Optional[str]):
        if v is None and not none_is_empty:
            return None
        return MappingProxyType(check_mapping(name, v, where=where))
    return check


def _optional_choice(kind: str, valid) -> Check:
    """As :func:`_choice`, with None passing."""
    check = _choice(kind, valid)
    return lambda name, v, where: None if v is None else check(name, v, where)


def _is_number(v: Any) -> bool:
    return isinstance(v, numbers.Real) and not isinstance(v, bool)


def frozen_smoothing(value: Any, name: str = "smoothing", where: Optional[str] = None):
    """A smoothing factor as a float, a schedule as a tuple (a list, tensor or array given is copied, so
    that it cannot change once checked); None stays None. The entries are checked against a count
    by :func:`iterative_core.schedules.resolve_schedule`."""
    if value is None or isinstance(value, bool):
        return value  # bool: refused by resolve_schedule, with its message
    value = scalar_value(value, name, where)
    if _is_number(value):
        return check_real(name, value, low=0.0, high=1.0, high_open=True, where=where)
    return tuple(float(v) if _is_number(v) else v for v in _as_sequence(value, name, where))


# --- the shared machinery ------------------------------------------------------------------------------
_DEFAULTS: dict[type, dict[str, Any]] = {}

#: the smoothing of a solve whose config sets none (``smoothing=None``): :func:`~iterative_core.fixed_point`'s
DEFAULT_SMOOTHING = 0.5


@dataclass(frozen=True, kw_only=True, repr=False)
class _Options:
    """What :class:`SolveConfig` and :class:`LayerOptions` share: each field checked by its own
    ``check`` in ``__post_init__`` (then the class's ``_check_together``), ``replace``, the fields
    that differ from their defaults, a short repr, pickling of read-only mappings."""

    #: how error messages name the caller (``"fixed_point()"``, the layer's class name); not a field
    _where: InitVar[Optional[str]] = None

    def __new__(cls, *args, **kwargs):
        # an unknown keyword gets the options' "did you mean" before the dataclass's bare TypeError
        check_keys(cls.__name__, [k for k in kwargs if k not in cls.__dataclass_fields__],
                   [k for k in cls.__dataclass_fields__ if not k.startswith("_")])
        return super().__new__(cls)

    def __post_init__(self, _where: Optional[str]) -> None:
        where = _where or type(self).__name__
        self._check_fields(where)
        self._check_together(where)

    def _check_fields(self, where: str) -> None:
        for f in fields(self):
            check = f.metadata.get("check")
            if check is not None:
                object.__setattr__(self, f.name, check(f.name, getattr(self, f.name), where))

    def _check_together(self, where: str) -> None:
        """The checks that involve several fields (none here)."""

    def replace(self, *, _where: Optional[str] = None, **changes):
        """A checked copy with ``changes`` (field names; an unknown one is a ``TypeError``), as
        :func:`dataclasses.replace` makes it."""
        return dataclasses.replace(self, _where=_where, **changes)

    @classmethod
    def defaults(cls) -> dict[str, Any]:
        """Every field's default, as a config stores it (normalised)."""
        if cls not in _DEFAULTS:
            made = cls()
            _DEFAULTS[cls] = {f.name: getattr(made, f.name) for f in fields(cls)}
        return _DEFAULTS[cls]

    def changed(self) -> dict[str, Any]:
        """The fields whose value is not the default, in field order."""
        defaults = self.defaults()
        values = ((f.name, getattr(self, f.name)) for f in fields(self))
        return {name: v for name, v in values if not _same(v, defaults[name])}

    def as_dict(self) -> dict[str, Any]:
        """Every field, mappings as plain dicts (e.g. ``fixed_point(f, z0, **config.as_dict())``)."""
        return {f.name: _plain(getattr(self, f.name)) for f in fields(self)}

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(f'{k}={show(v)}' for k, v in self.changed().items())})"

    def __hash__(self) -> int:
        return hash((type(self),) + tuple(_hashable(getattr(self, f.name)) for f in fields(self)))

    # a MappingProxyType does not pickle: the state holds plain dicts, made read-only again on loading
    def __getstate__(self) -> dict:
        state = {k: _plain(v) for k, v in self.__dict__.items() if k not in ("_solver_pairs", "_checked_solvers")}
        state["_state_version"] = 2  # (smoothing None when unset)
        return state

    def __setstate__(self, state: dict) -> None:
        state = dict(state)
        if state.pop("_state_version", 1) < 2:  # an earlier version's: its default smoothing, 0.5, unless given
            given = state.pop("_given", None) or ()
            if state.get("smoothing") == DEFAULT_SMOOTHING and "smoothing" not in given:
                state["smoothing"] = None
        for k, v in state.items():
            object.__setattr__(self, k, MappingProxyType(v) if isinstance(v, dict) else v)


def _same(a: Any, b: Any) -> bool:
    try:
        return type(a) is type(b) and bool(a == b)
    except Exception:  # e.g. a comparison that is not a bool
        return a is b


def _plain(v: Any) -> Any:
    return dict(v) if isinstance(v, MappingProxyType) else v


def _hashable(v: Any) -> Any:
    return tuple(sorted(v.items())) if isinstance(v, Mapping) else v


def show(v: Any) -> str:
    """A field's value as a repr shows it (a read-only mapping as the dict it holds)."""
    return repr(_plain(v))


# --- the solve -----------------------------------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, repr=False)
class SolveConfig(_Options):
    r"""Every option of a fixed-point solve: ``fixed_point(f, z0, config=SolveConfig(...))``, or a
    layer's ``config=`` (the layer's schedule stays its own ``num_iterations`` and ``smoothing``: a
    config's ``max_iter`` or ``smoothing`` must equal them or be left unset). Checked once, when
    made: a value of the wrong type raises ``TypeError``, one out of range ``ValueError``, naming the
    option, the value and what is valid. Frozen: change it with ``config.replace(tol=1e-5)``
    (checked again) or :func:`dataclasses.replace`.

    The longer story of some options:

    * ``max_iter`` may be left out when ``smoothing`` is a sequence (its length); a config with
      neither (a float ``smoothing``) is complete only once a call gives ``max_iter``. Memory and
      time follow the steps taken, not this cap.
    * ``smoothing``: a float, or a schedule (see :mod:`iterative_core.schedules`) with at least
      ``max_iter`` entries (a shorter one, or a generator, is refused), stored as a tuple. None (the
      default) sets none: :func:`~iterative_core.fixed_point` then smooths by 0.5, and a layer by its
      own ``smoothing``.
    * ``stop``: ``"rel"`` (:math:`\|z_{k+1}-z_k\| / \|z_k\|`) or ``"abs"`` (:math:`\|z_{k+1}-z_k\|`),
      norms over the whole tensor (over a graph's rows with a ``batch``). A step within ``tol`` ends
      the solve only while the steps shrink: its length over the step before's is below
      ``1 - min(tol, 0.01)`` (``"rel"``; below 1 for ``"abs"``), or it is at the iterates' rounding floor
      (:func:`iterative_core.monitor.shrinking`). A drift by a constant step (``z + 1``, which has no
      fixed point) meets any relative ``tol`` as the iterate grows, and certifies nothing.
    * ``trace``: by default only the steps that need it are measured: the first, the last two
      (final residual, contraction factor, divergence test) and, with a ``tol``, every test and the
      step before it; the others read NaN. Measuring a step reads the iterates three more times.
    * ``grad``: ``"unrolled"`` (backpropagate through every step), ``"implicit"`` (implicit function
      theorem: the solve runs without gradients, one more step is kept in the autograd graph, and
      the backward pass solves the adjoint :math:`g = J^\top g + \partial L/\partial z^*`; memory
      independent of the number of steps) or ``"phantom"`` (the solve runs without gradients and its
      last ``phantom_steps`` steps are backpropagated through). In the implicit and phantom modes
      no gradient flows through the start value (a ``z0`` that ``f`` does not read gets none: its
      ``.grad`` stays None), except with ``max_iter=0``, whose answer is ``z0`` itself. The implicit
      gradient is exact at a fixed point only: when the backward pass runs, a forward solve that did not reach ``tol`` (without a
      ``tol``: whose last relative residual is above ``backward_tol``, or above
      ``IMPLICIT_POINT_TOL`` = 1e-4 of the module ``iterative_core.fixed_point`` when neither is
      given; for steps in float16 or bfloat16, that dtype's eps, the finest step it resolves) is
      reported under ``on_nonconvergence`` (a call made free of synchronisation, ``tol=None`` with
      ``on_divergence="ignore"``, skips this check). Its gradients are first-order only, one incoming
      gradient at a time (``is_grads_batched=True`` is refused; the other modes take it).
    * ``phantom_steps``: the gradient is exact for the function "the last ``k`` steps from a fixed
      start" and tends to the implicit one as ``k`` grows, its error like :math:`q_s^k` for a map of
      contraction factor :math:`q` smoothed by :math:`s` (:math:`q_s = s + (1 - s) q`): a smoothing
      near 1 needs more steps (at :math:`q_s = 0.6`, 10 steps leave an error near :math:`10^{-2}`).
      Higher-order gradients (``create_graph=True``) are those of the same function, its start held
      fixed: neither the fixed point's nor the derivative of the first-order gradient as the start
      moves with the inputs (``gradgradcheck`` fails at a few steps). Use ``grad="unrolled"`` for
      exact second-order gradients.
    * ``backward_*``: the adjoint solve of ``grad="implicit"`` (defaults: the forward ``tol``,
      ``max_iter``, ``solver`` and, for the same solver, its options); its statistics land in
      ``info.backward``. The adjoint stops on its relative residual whatever ``stop`` is: it is linear
      in the incoming gradient, and an absolute test would make the gradient's accuracy depend on the
      loss's scale.
    * ``on_nonconvergence``, ``on_divergence``: ``"warn"``, ``"raise"``
      (:class:`~iterative_core.ConvergenceError`) or ``"ignore"``, for the forward and the adjoint
      solve. Divergence: NaN/Inf (in ``z0``, or appearing during the iteration); a residual that
      grew ``divergence_growth`` times with a contraction factor of 1 or more; or an expansive iteration
      (:data:`iterative_core.info.EXPANSION_FACTOR`, :data:`~iterative_core.info.EXPANSION_GROWTH`).
      Checking for divergence reads a few values from the device after the loop;
      ``on_divergence="ignore"`` with ``tol=None`` makes the whole call free of synchronisation.
    * ``validate``: check that a ``batch``'s graph indices lie in ``0..num_graphs-1`` (one
      synchronisation; made anyway when ``num_graphs`` is None, and skipped when the call is
      otherwise free of synchronisation).
    """

    max_iter: Optional[int] = option(
        None, "the most steps, an int >= 0: a layer's num_iterations (an int, default 8), fixed_point's max_iter "
        "(None: the length of a smoothing schedule)")
    tol: Optional[float] = option(
        None, "stop once the residual is <= tol while the steps still shrink (monitor.shrinking); None runs "
        "exactly max_iter steps, never synchronising in the loop",
        check=_real(low=0.0, optional=True))
    smoothing: Optional[Smoothing] = option(
        None, "the factor s_k in [0, 1) of z_{k+1} = s_k z_k + (1 - s_k) f(z_k): a float, or a schedule of one per step; "
        "None (a config's default): 0.5 in fixed_point, a layer's own smoothing in a layer. A layer's own is a value: "
        "`IterativeConv` and attribute assignment refuse None, and `PIGNConv` / `PIGN` read `smoothing=None` as not "
        "given (their form's)")
    solver: str = option(
        "picard", "a registered solver: 'picard', 'anderson' or your own", check=_choice("solver", available_solvers))
    solver_options: Mapping[str, Any] = option(
        None, "the solver's own keywords, e.g. {'m': 5} for Anderson", check=_mapping(none_is_empty=True))
    stop: str = option(
        "rel", "the stopping rule: 'rel' (relative residual) or 'abs' (absolute)",
        check=_choice("stopping rule (stop)", STOP_RULES))
    min_iter: int = option(0, "never stop before this many steps (<= max_iter)", check=_int(0))
    check_every: int = option(1, "with a tol, test it every this many steps (one synchronisation a test)",
                              check=_int(1))
    trace: bool = option(False, "measure and record every step's residual (info.residuals)", check=_flag)
    grad: str = option(
        "unrolled", "the gradient mode: 'unrolled', 'implicit' (adjoint solve) or 'phantom' (last steps only)",
        check=_choice("gradient mode (grad)", GRAD_MODES))
    phantom_steps: int = option(1, "grad='phantom': how many last steps are backpropagated through", check=_int(1))
    backward_tol: Optional[float] = option(
        None, "grad='implicit': the adjoint solve's tol (None: tol), on its relative residual whatever stop is",
        check=_real(low=0.0, optional=True))
    backward_max_iter: Optional[int] = option(
        None, "grad='implicit': the adjoint solve's most steps (None: max_iter)", check=_int(1, optional=True))
    backward_solver: Optional[str] = option(
        None, "grad='implicit': the adjoint solve's solver (None: solver)",
        check=_optional_choice("backward_solver", available_solvers))
    backward_solver_options: Optional[Mapping[str, Any]] = option(
        None, "grad='implicit': the adjoint solver's keywords (None: solver_options for the same solver)",
        check=_mapping(none_is_empty=False))
    on_nonconvergence: str = option(
        "warn", "when tol is not reached: 'warn', 'raise' (ConvergenceError) or 'ignore'",
        check=_choice("on_nonconvergence policy", POLICIES))
    on_divergence: str = option(
        "warn", "on NaN/Inf or a diverging iteration: 'warn', 'raise' (ConvergenceError) or 'ignore'",
        check=_choice("on_divergence policy", POLICIES))
    divergence_growth: float = option(
        1e3, "a residual grown this many times (with a contraction factor of 1 or more) is a divergence; >= 1",
        check=_real(low=1.0))
    validate: bool = option(
        True, "check the input at once: batch ids; in layers also the edge index range, NaN/Inf features and weights, "
        "a batch vector that cuts an edge (device synchronisations). False skips them: on the CPU the index "
        "range is still checked, elsewhere invalid input is undefined behaviour", check=_flag)

    #: how error messages name ``max_iter`` (a layer says ``num_iterations``); not a field
    _iterations_name: InitVar[str] = "max_iter"

    __hash__ = _Options.__hash__  # (the dataclass's own would fail on the read-only mappings)

    def __post_init__(self, _where: Optional[str], _iterations_name: str = "max_iter") -> None:
        where = _where or type(self).__name__
        self._resolve_schedule(where, _iterations_name, "smoothing")  # first: the count the others refer to
        self._check_fields(where)
        self._check_together(where)
        self._check_min_iter(where, _iterations_name)

    def replace(self, *, _where: Optional[str] = None, _iterations_name: str = "max_iter", **changes) -> "SolveConfig":
        return dataclasses.replace(self, _where=_where, _iterations_name=_iterations_name, **changes)

    # -- the schedule: max_iter and smoothing together
    def _resolve_schedule(self, where: str, iterations_name: str, name: str) -> None:
        smoothing = frozen_smoothing(self.smoothing, name, where)
        effective = DEFAULT_SMOOTHING if smoothing is None else smoothing
        schedule = None
        if self.max_iter is not None or not _is_number(effective):
            schedule, n = resolve_schedule(effective, self.max_iter, name=name, iterations_name=iterations_name,
                                           where=where)
            if self.max_iter is not None:
                object.__setattr__(self, "max_iter", n)
        object.__setattr__(self, "smoothing", smoothing)
        object.__setattr__(self, "_schedule", schedule)

    def _check_min_iter(self, where: str, iterations_name: str) -> None:
        if self._schedule is not None:
            check_int("min_iter", self.min_iter, minimum=0, maximum=len(self._schedule),
                      maximum_name=iterations_name, where=where)

    def _check_together(self, where: str) -> None:
        check_solver_options(self.solver, self.solver_options, where=where)
        if self.backward_solver is not None:  # (named as the option, not as the forward's solver)
            check_choice("backward_solver", self.backward_solver, available_solvers(), where=where)
        if self.backward_solver is not None or self.backward_solver_options is not None:
            check_solver_options(self.backward_solver or self.solver, self.backward_solver_options or {},
                                 where=where, what="backward_solver_options")
        self._keep_solver_pairs()
        object.__setattr__(self, "_checked_solvers", self._registered_solvers())

    def _registered_solvers(self) -> tuple:
        """The functions registered now under this config's solver names."""
        return (get_solver(self.solver), None if self.backward_solver is None else get_solver(self.backward_solver))

    def check_registered_solvers(self, where: Optional[str] = None) -> None:
        """Check the solver options again where a solver was registered anew (``overwrite=True``) since
        they were checked: a layer built before kept options the new function may not take."""
        now = self._registered_solvers()
        if any(a is not b for a, b in zip(now, self.__dict__.get("_checked_solvers", (None, None)))):
            self._check_together(where or type(self).__name__)
            object.__setattr__(self, "_checked_solvers", now)

    def _keep_solver_pairs(self) -> None:
        # the solver's keywords as (name, value) pairs, which the solve unpacks: torch.compile before
        # torch 2.3 cannot trace reading a read-only mapping
        object.__setattr__(self, "_solver_pairs", tuple(self.solver_options.items()))

    def __setstate__(self, state: dict) -> None:
        super().__setstate__(state)
        self._keep_solver_pairs()  # also for a config pickled before the pairs were kept

    def inert_options(self, iterations_name: str = "max_iter", longest: Optional[int] = None) -> dict[str, str]:
        """The options set away from their defaults that this config never reads, each with why: the
        ``tol`` options (``min_iter``, ``check_every``, and ``on_nonconvergence="raise"`` but with
        ``grad="implicit"`` and a divergence policy) without a ``tol``, a ``tol`` never tested
        (``check_every`` above ``max_iter``), the ``backward_*`` options without ``grad="implicit"``,
        ``phantom_steps`` without ``grad="phantom"`` or beyond every solve's steps, a nonzero ``smoothing`` given with Anderson's own
        ``beta``. ``longest``: the most steps any solve of this config
        takes (a layer's ``eval_iterations`` may exceed its ``max_iter``)."""
        inert = {}
        if self.tol is None:
            why = f"without a tol (tol=None runs exactly {iterations_name} steps)"
            if self.min_iter != 0:
                inert["min_iter"] = why
            if self.check_every != 1:
                inert["check_every"] = why
            if self.on_nonconvergence == "raise" and self.grad != "implicit":
                inert["on_nonconvergence"] = ("without a tol (nothing to reach, so nothing raises; with "
                                              "grad='implicit' it would judge the point the gradient is taken at)")
            elif self.on_nonconvergence == "raise" and self.on_divergence == "ignore":
                inert["on_nonconvergence"] = ("without a tol and with on_divergence='ignore' (a call that reads nothing "
                                              "back skips the check of the point grad='implicit' takes its gradient "
                                              "at)")
        elif self.max_iter is not None and self.check_every > max(self.max_iter, longest or 0):
            inert["tol"] = (f"with check_every={self.check_every} above {iterations_name}={self.max_iter} (it is "
                            "tested every check_every steps: never)")
        if self.solver == "anderson" and self.solver_options.get("beta") is not None and self.smoothing is not None \
                and (any(self.smoothing) if isinstance(self.smoothing, tuple) else self.smoothing != 0):
            inert["smoothing"] = (f"with solver='anderson' and its beta={self.solver_options['beta']} (beta mixes each "
                                  "step in its place; pass smoothing=0.0, or leave beta unset to mix by 1 - smoothing)")
        if self.grad != "implicit":
            for name in ("backward_tol", "backward_max_iter", "backward_solver", "backward_solver_options"):
                if getattr(self, name) is not None:
                    inert[name] = f"with grad={self.grad!r} (it sets the adjoint solve of grad='implicit')"
        if self.grad != "phantom" and self.phantom_steps != 1:
            inert["phantom_steps"] = (f"with grad={self.grad!r} (it is how many steps grad='phantom' "
                                      "backpropagates through)")
        elif (self.grad == "phantom" and self.max_iter is not None
              and self.phantom_steps > max(self.max_iter, longest or 0)):
            # (eval mode's longer solve, a layer's eval_iterations, takes them where training does not)
            longer = f" and eval mode's {longest}" if longest is not None and longest > self.max_iter else ""
            inert["phantom_steps"] = (f"beyond {iterations_name}={self.max_iter}{longer} (the gradient goes through "
                                      "every step, as grad='unrolled', but none to z0)")
        return inert

    def doubtful_gradient(self) -> Optional[str]:
        """Why this config's gradient may be far from the fixed point's, or None: Anderson with
        ``grad="unrolled"`` differentiates its least-squares mixing, whose derivative is ill-conditioned
        near convergence."""
        if self.solver == "anderson" and self.grad == "unrolled":
            return ("solver='anderson' with grad='unrolled' backpropagates through Anderson's least-squares mixing, "
                    "whose derivative is ill-conditioned near convergence: the gradient can be several percent off "
                    "the fixed point's. Use grad='implicit' (or 'phantom') for the fixed point's gradient")
        return None

    def _marked(self, mark: str) -> bool:
        """Whether ``mark`` is set on this config (a warning given once per config; a copy made by
        :meth:`with_schedule` keeps the marks)."""
        return bool(self.__dict__.get(mark))

    def _mark(self, mark: str, shown: bool = True) -> None:
        """Set ``mark`` where ``shown``: a warning a filter ignored is given again once it is lifted."""
        if shown:
            object.__setattr__(self, mark, True)

    def warn_inert(self, where: Optional[str] = None, iterations_name: str = "max_iter",
                   longest: Optional[int] = None) -> None:
        """Warn (once per config) about the options this config sets but never reads
        (:meth:`inert_options`): a value that has no effect is most often a mistake."""
        if self._marked("_inert_warned"):
            return
        inert = self.inert_options(iterations_name, longest)
        shown = True
        if inert:
            parts = "; ".join(f"{name}={show(getattr(self, name))} has no effect {why}" for name, why in inert.items())
            shown = warn_user(f"{where or type(self).__name__}: {parts}. Leave these options at their defaults, or "
                              "set what they apply to")
        self._mark("_inert_warned", shown)

    @property
    def gradient_warned(self) -> bool:
        """Whether :meth:`warn_doubtful_gradient` has run for this config (then it does nothing)."""
        return self._marked("_gradient_warned")

    def warn_doubtful_gradient(self, where: Optional[str] = None) -> None:
        """Warn (once per config) when a gradient recorded under this config may be far from the
        fixed point's (:meth:`doubtful_gradient`); called where a gradient is about to be, or was,
        recorded."""
        if self._marked("_gradient_warned"):
            return
        doubt = self.doubtful_gradient()
        self._mark("_gradient_warned", warn_user(f"{where or type(self).__name__}: {doubt}") if doubt else True)

    def schedule(self, where: Optional[str] = None) -> tuple[Schedule, int]:
        """``(schedule, max_iter)`` of a complete config; a ``TypeError`` when no count is known (a
        float ``smoothing`` without ``max_iter``)."""
        if self._schedule is None:
            resolve_schedule(DEFAULT_SMOOTHING if self.smoothing is None else self.smoothing, None,
                             where=where or type(self).__name__)  # raises, naming what is missing
        return self._schedule, len(self._schedule)

    def with_schedule(self, max_iter: int, smoothing: Smoothing, *, where: Optional[str] = None,
                      iterations_name: str = "max_iter", smoothing_name: str = "smoothing") -> "SolveConfig":
        """A copy with another ``max_iter`` and ``smoothing`` (e.g. a layer's eval mode): only what
        depends on them is checked again (the schedule, ``min_iter <= max_iter``), under the names given."""
        where = where or type(self).__name__
        new = object.__new__(type(self))
        new.__dict__.update(self.__dict__)
        object.__setattr__(new, "max_iter", max_iter)
        object.__setattr__(new, "smoothing", smoothing)
        new._resolve_schedule(where, iterations_name, smoothing_name)
        new._check_min_iter(where, iterations_name)
        return new


# --- what a layer has beyond the solve -------------------------------------------------------------
@dataclass(frozen=True, kw_only=True, repr=False)
class LayerOptions(_Options):
    """The options of an iterative layer beyond its :class:`SolveConfig`: the operator it iterates
    (dropout, the input injected, the contraction guarantee) and its evaluation schedule. A layer
    exposes each as an attribute, like the solve's."""

    dropout: float = option(0.0, "dropout on the operator's output, inside the iteration; in [0, 1); one mask per "
                                  "forward pass with a `tol` or a fixed-point gradient, else one per step",
                            check=_real(low=0.0, high=1.0, high_open=True))
    eval_iterations: Optional[int] = option(None, "the iterations in eval mode (None: num_iterations)",
                                            check=_int(0, optional=True))
    eval_smoothing: Optional[Smoothing] = option(
        None, "the smoothing in eval mode, a float or a schedule (None: smoothing)",
        check=lambda name, v, where: frozen_smoothing(v, name, where))
    inject_input: bool = option(False, "add the input x inside the activation at every step", check=_flag)
    contraction: Optional[float] = option(
        None, "kappa in (0, 1): rescale the operator's weight so that the operator is a kappa-contraction "
              "(a smoothed step: s + (1 - s) kappa)",
        check=_real(low=0.0, high=1.0, low_open=True, high_open=True, optional=True))

    __hash__ = _Options.__hash__


# --- what is derived from the fields ---------------------------------------------------------------
def option_names(cls: type = SolveConfig, *, layer: bool = False) -> tuple[str, ...]:
    """The field names of ``cls`` in order; with ``layer=True`` only those a layer takes."""
    return tuple(f.name for f in fields(cls) if not layer or f.metadata.get("layer", True))


def expose(cls: type, store: str, *, rename: Optional[Mapping[str, str]] = None):
    """A class decorator: each field of the options dataclass ``cls`` (but those marked
    ``layer=False``) becomes a plain attribute of the owner's instances, a copy of
    ``getattr(self, store).<field>`` that :func:`mirror_options` refreshes whenever the stored object
    changes. ``rename`` maps a field to the attribute's name (``max_iter`` is a layer's
    ``num_iterations``). The owner routes assignments to these names through its checked
    ``configure`` (see :class:`~iterative_core.layer.IterativeLayerBase`). Plain instance attributes,
    not properties, so that ``torch.compile`` reads them as constants."""
    rename = dict(rename or {})

    def deco(owner: type) -> type:
        table = dict(getattr(owner, "_exposed_options", {}))
        for f in fields(cls):
            if f.metadata.get("layer", True):
                table[rename.get(f.name, f.name)] = (store, f.name)
        owner._exposed_options = table
        return owner

    return deco


class ReadOnlyDict(dict):
    """A dict that refuses changes and pickles (a mapping option mirrored onto a layer: change it
    with ``layer.configure(...)`` or by assigning a new mapping)."""

    def _refuse(self, *args, **kwargs):
        raise TypeError("this mapping is a copy of a checked option and read-only; assign a new one instead "
                        "(e.g. layer.solver_options = {...}) or call layer.configure(...)")

    __setitem__ = __delitem__ = clear = pop = popitem = setdefault = update = __ior__ = _refuse

    def __reduce__(self):
        return (type(self), (dict(self),))

    def __deepcopy__(self, memo):
        return self


def mirror_options(obj: Any) -> None:
    """Copy every option :func:`expose` declared for ``type(obj)`` from its stored object onto ``obj``
    (mappings as a :class:`ReadOnlyDict`)."""
    values = obj.__dict__
    for attr, (store, name) in type(obj)._exposed_options.items():
        value = getattr(getattr(obj, store), name)
        values[attr] = ReadOnlyDict(value) if isinstance(value, MappingProxyType) else value


_TYPE_NAMES = {"Smoothing": "float or sequence of floats", "Mapping[str, Any]": "dict"}


def _type_text(annotation: Any) -> str:
    text = annotation if isinstance(annotation, str) else getattr(annotation, "__name__", str(annotation))
    m = re.fullmatch(r"Optional\[(.*)\]", text)
    if m:
        return f"{_TYPE_NAMES.get(m.group(1), m.group(1))} or None"
    return _TYPE_NAMES.get(text, text)


def options_table(*classes: type, rename: Optional[Mapping[str, str]] = None) -> str:
    """A Markdown table of the options of ``classes`` (default :class:`SolveConfig`): name, type,
    default and meaning, from the fields and their metadata (for the README and the API docs).
    ``rename`` maps a field to the name shown (e.g. ``{"max_iter": "num_iterations"}`` for a layer;
    ``"num_iterations / max_iter"`` shows both names)."""
    rename = dict(rename or {})
    rows = ["| option | type | default | meaning |", "| --- | --- | --- | --- |"]
    for cls in classes or (SolveConfig,):
        for f in fields(cls):
            doc = (f.metadata.get("doc") or "").replace("|", "\\|")
            names = " / ".join(f"`{n}`" for n in rename.get(f.name, f.name).split(" / "))
            rows.append(f"| {names} | {_type_text(f.type)} | `{f.default!r}` | {doc} |")
    return "\n".join(rows) + "\n"
