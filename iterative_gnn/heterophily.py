"""The heterophily experiment's models: an MLP, a 2-layer GCN and PIGN in each of the library's forms.

The forms are read from the library's registry (:data:`iterative_core.forms.FORMS`) when asked, so
that a form added to the library is swept without a change here; the default form is the one
``PIGNConv(C)`` takes with the GCN operator. Every model trains as ``PIGN(in, 64, out, 8)`` with the
library's defaults does (:data:`iterative_gnn.configs.PIGN_PRESETS` ``"default"``: hidden 64, dropout
0.5 on the input features, after the encoder and before the decoder, Adam lr 0.01, weight decay 5e-4);
the MLP is that model with 0 iterations (dropout, encoder, the dropouts after the encoder and before
the decoder one after the other, decoder), the GCN two stacked GCN layers of width 64 with the same
training.
"""
from __future__ import annotations

from .backends import import_backend
from .configs import RunConfig, preset

__all__ = ["available_forms", "default_form", "form_key", "heterophily_models", "PIGN_ITERATIONS"]

#: the iterations of every PIGN form (the library's default ``num_iterations``)
PIGN_ITERATIONS = 8


def available_forms() -> tuple[str, ...]:
    """The names of the forms the library has now, in its registry's order (former names, kept as
    aliases, are not separate forms)."""
    from iterative_core.forms import FORMS

    return tuple(FORMS)


def default_form(backend: str = "pyg") -> str:
    """The form ``PIGNConv(C)`` takes when none is given, with the GCN operator of ``backend``."""
    from iterative_core.forms import registered_form

    import_backend(backend)  # registers the backend's operators
    return registered_form("gcn", backend)[0]


def form_key(form: str) -> str:
    """The model key of PIGN in ``form`` in the experiment's rows: ``pign-<form>``."""
    return f"pign-{form}"


def heterophily_models(forms: tuple[str, ...] | None = None) -> dict[str, RunConfig]:
    """``mlp``, ``gcn`` and ``pign-<form>`` for each of ``forms`` (default: :func:`available_forms`)."""
    if isinstance(forms, str):  # (iterated, "appnp" gave the forms "a", "p", "p", ...)
        raise TypeError(f"heterophily_models: forms is a sequence of form names, e.g. ({forms!r},), got the string "
                        f"{forms!r}")
    base = preset("pign", "default")
    models = {
        "mlp": base.with_(depth=0, label="MLP (PIGN with 0 iterations)"),
        "gcn": RunConfig("gcn", depth=2, hidden=base.hidden, lr=base.lr, weight_decay=base.weight_decay,
                         dropout=base.dropout, label="2-layer GCN"),
    }
    for form in available_forms() if forms is None else forms:
        models[form_key(form)] = base.with_(depth=PIGN_ITERATIONS, conv={"form": form}, label=f"PIGN, form {form!r}")
    return models
