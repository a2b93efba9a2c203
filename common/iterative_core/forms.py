"""Named forms of the iterated GCN step: the values a form gives the options left unset.

``PIGNConv(C)`` takes the ``"signed"`` form: Krasnoselskii-Mann steps (smoothing :math:`s = 0.3`) of

.. math::
    T(z) = (\\hat A z)\\,\\operatorname{diag}(\\gamma) + \\alpha x, \\qquad
    \\gamma_c = \\gamma_{max} \\tanh(\\operatorname{atanh}(\\gamma_{init}/\\gamma_{max}) + 5\\,\\theta_c),

with :math:`\\alpha = 0.1`, :math:`W = I`, no bias and a learned propagation coefficient
:math:`\\gamma_c` per channel that may take either sign (:math:`|\\gamma_c| < \\gamma_{max} = 0.9`),
starting at :math:`\\gamma_{init} = 0.5` (:math:`\\theta_c = 0`; weight decay on :math:`\\theta` pulls it
back there). Channel by channel the fixed point is :math:`z_c = \\alpha (I - \\gamma_c \\hat A)^{-1} x_c`:
a low-pass filter of the input where :math:`\\gamma_c > 0` (APPNP's as :math:`\\gamma_c` nears 0.9), a
high-pass one where :math:`\\gamma_c < 0`, which is what heterophilous graphs need. GPR-GNN learns such
signed coefficients for a polynomial; here they define a fixed point, reached whatever the weights
(:math:`T` is a :math:`\\gamma_{max}`-contraction on undirected graphs with ``normalize=True``, the step taken,
smoothed, a :math:`(s + (1-s)\\gamma_{max})`-contraction). The bound and the missing bias
keep a trained layer's few iterations close to that fixed point: with a bias :math:`b` in the step,
the fixed point adds :math:`(I - \\gamma_c \\hat A)^{-1} b_c`, up to :math:`1/(1-\\gamma_{max})` times
:math:`b_c`, of which 8 steps hold only part, and coefficients trained against a bound of 0.99
converge in hundreds of steps; models trained with either predicted far worse at their fixed point
than after their 8 training iterations (``docs/results/fixed-point``).

``form="appnp"`` (``"residual"`` is its former name) fixes :math:`\\gamma_c = 1-\\alpha`: Picard steps of
:math:`z \\mapsto (1-\\alpha)\\hat A z + \\alpha x + b`, APPNP's personalised-PageRank propagation with a
bias. ``form="paper"`` gives the form of Zappala et al. (2023),
:math:`z \\mapsto s z + (1-s)\\,\\mathrm{relu}(\\hat A z W + b)` with smoothing 0.5 and a learned :math:`W`.
Explicit arguments override a form's values. ``docs/results/heterophily`` has the measurements behind
the choice.
"""
from __future__ import annotations

import functools
import inspect
from typing import Any, Callable, Optional

from ._keys import check_choice
from .operators import get_operator

__all__ = ["FORMS", "FORM_ALIASES", "OPERATOR_KEYS", "resolve_form", "form_defaults", "operator_keys",
           "partial_keywords", "registered_form"]

#: the operator's options a form may set (the GCN operator's): initial residual, identity mapping, the
#: propagation coefficients and the bias inside the step
OPERATOR_KEYS = ("alpha", "beta", "propagation", "bias")

#: the values each form gives the options left unset
FORMS: dict[str, dict[str, Any]] = {
    "signed": {"smoothing": 0.3, "act": "identity", "alpha": 0.1, "beta": 0.0, "propagation": "signed", "bias": False},
    "appnp": {"smoothing": 0.0, "act": "identity", "alpha": 0.1, "beta": 0.0, "propagation": "fixed"},
    "paper": {"smoothing": 0.5, "act": "relu", "alpha": 0.0, "beta": None, "propagation": "fixed"},
}
#: former names of forms
FORM_ALIASES = {"residual": "appnp"}
#: the operator's options each form needs the operator to take
_NEEDS = {"signed": frozenset({"alpha", "beta", "propagation"}), "appnp": frozenset({"alpha", "beta"}), "paper": frozenset()}
#: the forms in order of preference when none is given: the first whose options the operator takes
DEFAULT_ORDER = ("signed", "appnp", "paper")


def operator_keys(factory: Callable[..., Any]) -> frozenset:
    """Which of :data:`OPERATOR_KEYS` an operator factory takes as keywords, for a factory that declares
    the forms' options its own (``takes_forms = True``, as the GCN operator's classes do; a subclass of
    :class:`~iterative_core.GCNOperatorBase` inherits it). None for any other factory: a keyword of the
    same name there (a user operator's own ``alpha``) keeps the factory's default."""
    base = factory
    while isinstance(base, functools.partial):  # partial(GCNOperator, bias=False) is still the GCN operator
        base = base.func
    if not getattr(base, "takes_forms", False):
        return frozenset()
    try:
        names = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return frozenset()
    return frozenset(k for k in OPERATOR_KEYS if k in names)


def partial_keywords(factory: Callable[..., Any]) -> frozenset:
    """The keywords that ``functools.partial`` wrappers of ``factory`` fix: a form does not set them
    (``partial(GCNOperator, bias=False)`` keeps its ``bias`` in every form)."""
    fixed: set = set()
    while isinstance(factory, functools.partial):
        fixed |= set(factory.keywords)
        factory = factory.func
    return frozenset(fixed)


def resolve_form(form: Optional[str], keys: frozenset, conv: str = "the operator", where: str = "PIGNConv") -> str:
    """The form a layer takes: ``form`` when given (a former name mapped to the current one), else the
    first of ``"signed"``, ``"appnp"``, ``"paper"`` whose options the operator takes (``keys``, from
    :func:`operator_keys`)."""
    if form is None:
        return next(name for name in DEFAULT_ORDER if _NEEDS[name] <= keys)
    if isinstance(form, str):
        form = FORM_ALIASES.get(form, form)
    check_choice(f"{where} form", form, FORMS)
    missing = _NEEDS[form] - keys
    if missing:
        takes = [name for name in DEFAULT_ORDER if _NEEDS[name] <= keys]
        raise ValueError(f"{where}: form={form!r} needs an operator that takes {', '.join(sorted(missing))} "
                         f"as the GCN operator does (conv='gcn', or a factory with takes_forms = True whose operator adds alpha * x "
                         f"in a bind); conv={conv!r} takes " + " or ".join(f"form={name!r}" for name in takes)
                         + (" (inject_input=True adds the input back at every step)" if takes == ["paper"] else ""))
    return form


def form_defaults(form: str, keys: frozenset) -> dict[str, Any]:
    """The values ``form`` gives: the iteration's ``smoothing`` and ``act``, and those of the
    operator's options (:data:`OPERATOR_KEYS`) that its factory takes (``keys``)."""
    return {k: v for k, v in FORMS[form].items() if k not in OPERATOR_KEYS or k in keys}


def registered_form(conv, backend: str, form: Optional[str] = None, where: str = "PIGNConv") -> tuple[str, frozenset]:
    """``(form, keys)`` of a layer iterating the operator registered as ``conv`` for ``backend``: the
    form :func:`resolve_form` gives it and the options its factory takes (:func:`operator_keys`; none
    when ``conv`` is not a registered name)."""
    keys = operator_keys(get_operator(conv, backend, where)) if isinstance(conv, str) else frozenset()
    return resolve_form(form, keys, conv, where), keys
