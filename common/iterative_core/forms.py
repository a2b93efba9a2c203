"""Named forms of the iterated GCN step: the library's defaults and the paper's form.

``PIGNConv(C, num_iterations=k)`` takes the ``"residual"`` form, chosen on Cora's validation split
(``docs/results/sweep``): Picard steps (smoothing 0) of

.. math::
    z \\mapsto (1-\\alpha)\\hat A z + \\alpha x + b, \\qquad \\alpha = 0.1,

i.e. an initial residual with the identity mapping :math:`W = I` (``beta=0``) and no activation:
APPNP's personalised-PageRank propagation with a bias. It is a contraction with factor
:math:`1-\\alpha` on any undirected graph, so its fixed point exists, is unique and is reached
whatever the weights. ``form="paper"`` gives the form of Zappala et al. (2023),
:math:`z \\mapsto s z + (1-s)\\,\\mathrm{relu}(\\hat A z W + b)` with smoothing 0.5 and a learned
:math:`W`. Explicit arguments override a form's values.
"""
from __future__ import annotations

import inspect
from typing import Any, Callable, Optional

from ._keys import check_choice

__all__ = ["FORMS", "resolve_form", "form_defaults", "takes_residual"]

#: the values each form gives the options left unset (``alpha``/``beta``: the GCN operator's)
FORMS: dict[str, dict[str, Any]] = {
    "residual": {"smoothing": 0.0, "act": "identity", "alpha": 0.1, "beta": 0.0},
    "paper": {"smoothing": 0.5, "act": "relu", "alpha": 0.0, "beta": None},
}


def takes_residual(factory: Callable[..., Any]) -> bool:
    """Whether an operator factory takes the initial residual ``alpha`` and the identity mapping
    ``beta`` (the GCN operator's does), which the ``"residual"`` form sets."""
    try:
        names = inspect.signature(factory).parameters
    except (TypeError, ValueError):
        return False
    return "alpha" in names and "beta" in names


def resolve_form(form: Optional[str], residual: bool, conv: str = "the operator", where: str = "PIGNConv") -> str:
    """The form a layer takes: ``form`` when given, else ``"residual"`` when its operator takes the
    initial residual and the identity mapping (``residual``: its factory takes ``alpha`` and
    ``beta``, as the GCN operator's does) and ``"paper"`` for the others."""
    if form is None:
        return "residual" if residual else "paper"
    check_choice(f"{where} form", form, FORMS)
    if form == "residual" and not residual:
        raise ValueError(f"{where}: form='residual' needs an operator that takes alpha and beta (conv='gcn'); "
                         f"conv={conv!r} takes form='paper' (inject_input=True adds the input back at every step)")
    return form


def form_defaults(form: str, residual: bool) -> dict[str, Any]:
    """The values ``form`` gives: the iteration's ``smoothing`` and ``act``, and, for an operator
    that takes them (``residual``), its ``alpha`` and ``beta``."""
    values = dict(FORMS[form])
    if not residual:
        values.pop("alpha")
        values.pop("beta")
    return values
