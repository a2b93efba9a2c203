"""A registry of graph operators, one namespace per backend.

Each adapter registers the operators it provides (``"gcn"``, ``"sage"``, ``"gin"``, ``"gat"``), and
users add their own the same way; ``PIGNConv(conv=name, **options)`` builds the operator it iterates
as ``factory(channels, **options)``. A factory returns an ``nn.Module`` called as the backend's
convolutions are (PyG ``op(x, edge_index[, edge_weight=w])``, DGL ``op(graph, feat[, edge_weight=w])``)
that maps ``channels`` to ``channels``; see :mod:`iterative_core.wrapping`.

Parameter names differ between the backends' own layers (PyG's ``SAGEConv`` has ``lin_l``, DGL's
``fc_neigh``). A registration may give ``state_dict_keys``, a map from its parameter names (or name
prefixes ending in ``.``) to names shared by every backend; :func:`convert_state_dict` renames a state
dict through them, so that weights trained with one backend load into the other.
"""
from __future__ import annotations

import difflib
import inspect
import os
import re
from collections import abc
from typing import Callable, Mapping, Optional

from torch import nn

from ._keys import check_choice, check_new_name, closest
from .checks import check_callable, check_flag, check_int, check_name, check_real, got

_OPERATORS: dict[str, dict[str, Callable[..., nn.Module]]] = {}

#: the parameter names of the built-in operators in each backend -> the names they share (``"gcn"``:
#: the same names everywhere). Known before either adapter is imported, so that
#: :func:`convert_state_dict` works in an environment that has only one of the two backends.
BUILTIN_STATE_DICT_KEYS: dict[str, dict[str, dict[str, str]]] = {
    "pyg": {
        "gcn": {},
        "sage": {"lin_l.weight": "neighbor.weight", "lin_l.bias": "bias", "lin_r.weight": "root.weight",
                 "lin.weight": "pool.weight", "lin.bias": "pool.bias"},
        "gin": {"nn.": "mlp.", "eps": "eps"},
        "gat": {"lin.weight": "lin.weight", "att_src": "att_src", "att_dst": "att_dst", "bias": "bias"},
    },
    "dgl": {
        "gcn": {},
        "sage": {"fc_neigh.weight": "neighbor.weight", "fc_self.bias": "bias", "fc_self.weight": "root.weight",
                 "fc_pool.weight": "pool.weight", "fc_pool.bias": "pool.bias"},
        "gin": {"apply_func.": "mlp.", "eps": "eps"},
        "gat": {"fc.weight": "lin.weight", "attn_l": "att_src", "attn_r": "att_dst", "bias": "bias"},
    },
}
_KEYS: dict[str, dict[str, dict[str, str]]] = {b: {n: dict(t) for n, t in ops.items()}
                                               for b, ops in BUILTIN_STATE_DICT_KEYS.items()}

__all__ = ["register_operator", "get_operator", "available_operators", "operator_registrar", "convert_state_dict"]


def register_operator(name: str, factory: Callable[..., nn.Module] | None = None, *, backend: str,
                      overwrite: bool = False, state_dict_keys: Optional[Mapping[str, str]] = None,
                      _builtin: bool = False):
    """Register ``factory(channels, **options) -> nn.Module`` as operator ``name`` of ``backend``.
    Usable as a decorator.

    Args:
        name: the name ``PIGNConv(conv=name)`` takes.
        factory: builds the operator; its keywords are the options ``PIGNConv`` passes on.
        backend: ``"pyg"`` or ``"dgl"`` (the adapters' ``register_operator`` fill it in).
        overwrite: replace an operator already registered under ``name``.
        state_dict_keys: ``{parameter name or prefix: shared name}`` for :func:`convert_state_dict`.

    ``name`` and ``backend`` must be non-empty strings and ``factory`` a callable: anything else is
    refused here, before it reaches the registry (where it would break every later lookup).
    """
    check_name("operator", name)
    check_name("backend", backend)
    check_flag("overwrite", overwrite)
    if state_dict_keys is not None:
        if not isinstance(state_dict_keys, Mapping) or not all(
                isinstance(k, str) and isinstance(v, str) for k, v in state_dict_keys.items()):
            raise TypeError(f"state_dict_keys must map parameter names (str) to shared names (str), "
                            f"got {got(state_dict_keys)}")

    def deco(f):
        check_callable(f"the factory of operator {name!r}", f)
        _check_factory_signature(name, f)
        ops = _OPERATORS.setdefault(backend, {})
        check_new_name(f"operator of backend {backend!r}", name, ops)
        if not overwrite and name in ops and ops[name] is not f:
            raise ValueError(f"operator {name!r} is already registered for backend {backend!r} (pass overwrite=True)")
        if not _builtin and name in BUILTIN_STATE_DICT_KEYS.get(backend, {}) and name not in ops:
            # taken before the adapter registers its own: the adapter's import would then fail
            raise ValueError(f"operator {name!r} is a built-in of backend {backend!r}, registered when "
                             f"{backend}_iterative is imported: import it first (then overwrite=True replaces the "
                             "built-in), or choose another name")
        ops[name] = f
        _KEYS.setdefault(backend, {})[name] = dict(state_dict_keys or {})
        return f

    return deco(factory) if factory is not None else deco


def _check_factory_signature(name: str, factory: Callable) -> None:
    """Refuse a factory that cannot be called as ``factory(channels)`` (the layer's width, positional):
    registered, it stayed in every later list of the valid names and failed at each build."""
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        return  # no signature to read (a builtin): the first build tells
    try:
        signature.bind_partial(1)  # (keywords without defaults may come with every build)
    except TypeError:
        raise TypeError(f"operator {name!r}: a registered factory is called as factory(channels, **options), "
                        f"channels positional; {getattr(factory, '__name__', type(factory).__name__)} takes "
                        f"{signature}") from None


def register_builtin_operators(backend: str, factories: Mapping[str, Callable[..., nn.Module]]) -> None:
    """Register an adapter's factories of the built-in operators (``"sage"``, ``"gin"``, ``"gat"``)
    with the parameter names they share with the other backend (:data:`BUILTIN_STATE_DICT_KEYS`)."""
    for name, factory in factories.items():
        register_operator(name, factory, backend=backend, state_dict_keys=BUILTIN_STATE_DICT_KEYS[backend][name],
                          _builtin=True)


def operator_registrar(backend: str) -> Callable:
    """``register_operator`` with ``backend`` filled in (what ``pyg_iterative.register_operator`` and
    ``dgl_iterative.register_operator`` are)."""

    def register(name: str, factory: Callable[..., nn.Module] | None = None, *, overwrite: bool = False,
                 state_dict_keys: Optional[Mapping[str, str]] = None):
        return register_operator(name, factory, backend=backend, overwrite=overwrite, state_dict_keys=state_dict_keys)

    register.__doc__ = (f"Register ``factory(channels, **options) -> nn.Module`` as an operator of the "
                        f"{backend!r} backend (usable as a decorator); see :func:`iterative_core.register_operator`.")
    register.__name__ = register.__qualname__ = "register_operator"
    return register


def available_operators(backend: str) -> list[str]:
    return sorted(_OPERATORS.get(backend, {}))


def get_operator(name: str, backend: str, where: Optional[str] = None) -> Callable[..., nn.Module]:
    """The factory registered as ``name`` for ``backend``; an unknown name is an error that ``where``
    (the layer or model given it as ``conv=``) begins."""
    if backend not in _OPERATORS:
        known = ", ".join(map(repr, sorted(_OPERATORS))) or "none"
        raise ValueError(f"no operators are registered for backend {backend!r} (backends with operators: {known}; "
                         "importing pyg_iterative or dgl_iterative registers those of 'pyg' or 'dgl')")
    known = _OPERATORS[backend]
    if where is not None and isinstance(name, str) and name not in known:
        hint = closest(name, sorted(known))
        elsewhere = sorted(other for other, ops in _OPERATORS.items() if other != backend and name in ops)
        raise ValueError(f"{where}: unknown conv={name!r}; the operators registered for {backend!r}: "
                         f"{', '.join(map(repr, sorted(known)))}."
                         + (f" {name!r} is registered for {', '.join(map(repr, elsewhere))} only: register it for "
                            f"{backend!r} too, register_operator({name!r}, factory, backend={backend!r})" if elsewhere
                            else f" Did you mean {hint!r}?" if hint else ""))
    check_choice(f"operator for backend {backend!r}", name, known, where=where)
    return known[name]


def _state_dict_keys(conv: str, backend: str) -> Mapping[str, str]:
    """The name map of operator ``conv`` in ``backend``: a built-in's, or its registration's (an
    unknown name or backend gets :func:`get_operator`'s message)."""
    check_name("operator", conv)
    check_name("backend", backend)
    keys = _KEYS.get(backend, {})
    if conv not in keys:
        near = difflib.get_close_matches(conv, list(BUILTIN_STATE_DICT_KEYS.get(backend, {})), n=1, cutoff=0.75)
        if near and backend not in _OPERATORS:  # the adapter not imported, and a built-in's name misspelt
            raise ValueError(f"unknown operator {conv!r} of backend {backend!r}; did you mean the built-in {near[0]!r}? "
                             f"(the built-ins convert without importing {backend}_iterative: "
                             f"{', '.join(sorted(keys))})")
        get_operator(conv, backend)  # raises: names what is known
    return keys[conv]


def _rename(local: str, table: Mapping[str, str]) -> Optional[str]:
    if local in table:
        return table[local]
    best = max((p for p in table if p.endswith(".") and local.startswith(p)), key=len, default=None)
    return None if best is None else table[best] + local[len(best):]


def convert_state_dict(state_dict: Mapping, conv: str, src: str, dst: str, *, module: str = "operator") -> dict:
    """Rename the parameters of operator ``conv`` in ``state_dict`` from backend ``src``'s names to
    backend ``dst``'s, for every key with ``module`` as whole parts of its dotted path (``"operator"``: a
    ``PIGNConv``'s operator, also inside a model; ``"conv2.operator"``: that layer's only). Other keys are
    kept (``graph_operator.weight`` too). An operator without ``state_dict_keys`` keeps its names.

    >>> dgl_model.load_state_dict(convert_state_dict(pyg_model.state_dict(), "sage", "pyg", "dgl"))

    The built-in operators' names are known without importing either adapter; an operator of your
    own needs its registration (with ``state_dict_keys``) in both backends.
    """
    if not isinstance(state_dict, abc.Mapping):  # (a path or a module failed on .items())
        hint = (": load it first, torch.load(path, weights_only=True)" if isinstance(state_dict, (str, os.PathLike))
                else ": pass model.state_dict()" if isinstance(state_dict, nn.Module) else "")
        raise TypeError(f"convert_state_dict: state_dict must be a mapping of parameter names to tensors (a "
                        f"module's state_dict()), got {got(state_dict)}{hint}")
    check_name("convert_state_dict: module", module)
    if module.startswith(".") or module.endswith("."):  # (it matched no key: nothing was converted)
        raise ValueError(f"convert_state_dict: module must be a dotted path without a leading or trailing dot, "
                         f"e.g. 'conv2.operator', got {module!r}")
    fwd = _state_dict_keys(conv, src)
    back = {v: k for k, v in _state_dict_keys(conv, dst).items()}
    marker = re.compile(r"(?:^|\.)" + re.escape(module + "."))  # (whole parts: not "graph_operator.")
    out = {}
    for key, value in state_dict.items():
        found = marker.search(key)
        if found is None or not fwd:
            out[key] = value
            continue
        head, local = key[: found.end()], key[found.end():]
        shared = _rename(local, fwd)
        target = None if shared is None else _rename(shared, back)
        if target is None:
            path = head[:-1]
            hint = (f"where layers iterate different operators, convert each with module= the path of its "
                    f"operator, e.g. module={path!r}" if path != module else
                    f"are these the weights of operator {conv!r} in backend {src!r}?")
            raise KeyError(f"convert_state_dict: parameter {local!r} of operator {conv!r} has no counterpart "
                           f"in backend {dst!r} (known: {sorted(fwd)}); {hint}")
        out[head + target] = value
    return out


# --- helpers for the built-in factories of both adapters ----------------------------------------
def gin_mlp(channels: int, hidden: Optional[int] = None) -> nn.Sequential:
    """The MLP of the ``"gin"`` operator: ``Linear(C, H) -> ReLU -> Linear(H, C)`` (H defaults to C).
    The same module in both backends, so its parameters keep their names."""
    hidden = channels if hidden is None else hidden
    return nn.Sequential(nn.Linear(channels, hidden), nn.ReLU(), nn.Linear(hidden, channels))


#: the ``aggr`` values of the ``"sage"`` operator, the same in every backend: the mean, sum or max of
#: the neighbours' features, or ``"pool"``, the max of ``relu(W_p z_j + b_p)`` (0 at a node without in-edges)
SAGE_AGGREGATIONS = ("mean", "sum", "max", "pool")


def check_sage_aggr(aggr: str) -> str:
    """``aggr`` if it is one of :data:`SAGE_AGGREGATIONS` (``"add"``, PyG's name for the sum, as
    ``"sum"``), else the error naming it and the valid ones (each backend's own layer takes others,
    which the other backend cannot compute alike)."""
    if aggr == "add":
        return "sum"
    return check_choice("conv='sage' aggr", aggr, SAGE_AGGREGATIONS)


def check_gin_options(hidden: Optional[int], eps: float, train_eps: bool) -> None:
    """The ``"gin"`` operator's options, checked alike in every backend (torch failed on them inside)."""
    check_int("conv='gin' hidden", hidden, minimum=1, optional=True)
    check_real("conv='gin' eps", eps)
    check_flag("conv='gin' train_eps", train_eps)


def check_gat_options(heads: int, negative_slope: float, attention_dropout: float, **flags: bool) -> int:
    """The ``"gat"`` operator's options, checked alike in every backend (some failed only at the first
    forward pass, inside torch); returns ``heads`` as an ``int`` (a NumPy integer is one)."""
    heads = check_int("conv='gat' heads", heads, minimum=1)
    check_real("conv='gat' negative_slope", negative_slope)
    check_real("conv='gat' attention_dropout", attention_dropout, low=0.0, high=1.0, high_open=True)
    for name, value in flags.items():
        check_flag(f"conv='gat' {name}", value)
    return heads


def head_width(channels: int, heads: int) -> int:
    """The per-head width of a square attention operator with concatenated heads."""
    heads = check_int("conv='gat' heads", heads, minimum=1)
    if channels % heads:
        raise ValueError(f"conv='gat' concatenates its heads to the layer's width, so heads must divide "
                         f"channels={channels}; got heads={heads!r}")
    return channels // heads
