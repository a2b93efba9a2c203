r"""Any square graph convolution made iterative: the layers' backend-agnostic body.

An adapter's ``IterativeConv(conv)`` and ``PIGNConv(conv=name)`` iterate

.. math::
    z_{k+1} = s_k z_k + (1 - s_k)\, \mathrm{dropout}(\sigma(\mathrm{conv}(z_k, G) [+ x])),
    \qquad z_0 = x,

with the solvers, schedules, stopping rules and gradient modes of :class:`IterativeLayerBase`.
Everything here is backend-agnostic: what an ecosystem adds is its :class:`~iterative_core.adapter.GraphAdapter`
(the layers' class attribute ``adapter``), see :mod:`iterative_core.adapter` for the contract and the
path of a forward pass.

An *operator* is any ``nn.Module``. When it has a method
``bind(x, graph, edge_weight, *, lipschitz_budget=None, batch=None, num_graphs=None) -> Callable[[Tensor], Tensor]``
(the GCN operator, :class:`~iterative_core.layer.GCNOperatorBase`, does; a ``bind`` that names a ``validate``
parameter is given the layer's, so that checks which read values back follow ``validate=False``; outside
``torch.compile``), the layer calls it once per
forward pass to prepare the graph (normalise, build a sparse matrix, add self-loops ...) and iterates
the callable it returns; otherwise the adapter calls the module itself at every iteration
(:meth:`GraphAdapter.call`, in its ecosystem's argument order). A bound callable is taken to read
``x`` at every step (as the GCN operator's initial residual does); an operator whose callable does not
(``x`` only starts the iteration) sets the class attribute ``reads_input = False``, so that the layer
warns, as for a module called at every step, when an implicit or phantom gradient cannot reach ``x``.
``bind`` gets ``x`` in the layer's dtype; an operator that sets ``binds_in_float32 = True`` (the GCN
operator) gets float32 features from a float16 or bfloat16 layer instead, iterates in float32, and
computes each step in its parameters' dtype itself.

The iteration feeds each output back in as the next input, so an operator must map ``C`` channels
to ``C`` channels: :func:`square_channels` reads the widths a layer was built with (under the names
the adapter's :class:`~iterative_core.adapter.WidthNames` lists, and torch's ``nn.Linear`` ones) and
refuses a layer whose widths differ; the output of every call is checked as well.
"""
from __future__ import annotations

import difflib
import functools
import inspect
import numbers
import types
import warnings
from typing import Any, Callable, Iterable, Mapping, NamedTuple, Optional, Sequence

import torch
from torch import Tensor, nn
from torch.nn.utils.prune import BasePruningMethod
from torch.nn.utils.spectral_norm import SpectralNorm
from torch.nn.utils.weight_norm import WeightNorm

from ._keys import _LIBRARY_PACKAGES, check_keys, library_name
from ._state_dict import hint
from ._warnings import warn_user
from .checks import INDEX_MAX, check_flag, check_int, got
from .config import SolveConfig
from .forms import form_defaults, partial_keywords, registered_form, resolve_form
from .layer import (_CONFIGURABLE_KEYS, GCN_LAYER_ATTRIBUTES, GCN_MUTABLE_OPTIONS, ITERATION_KEYS, GCNOperatorBase,
                    IterativeLayerBase)
from .operators import _rename, _state_dict_keys, get_operator
from .info import _emit, apply_policy
from ._compile import TRACES_AFTER_A_BREAK, is_exporting, under_vmap
from .adapter import GraphAdapter, WidthNames, check_graph_view, is_compiling, without_kept_checks
from .validation import (autocast_enabled, check_batch, check_edge_attr, check_features, check_linear_dtype,
                         check_parameters_dtype, check_z_init, compute_dtype, without_autocast)

__all__ = [
    "conv_widths", "square_channels", "supports_contraction", "accepts_keyword", "reset_module",
    "square_error", "SquareOperator", "OperatorLayerBase", "RegistryLayerBase", "split_operator_options",
    "build_operator",
]

#: torch's own names (``nn.Linear``), known whatever the ecosystem
_TORCH_WIDTHS = WidthNames(inputs=("in_features",), outputs=("out_features",))


def _first_attr(module: nn.Module, names) -> Optional[object]:
    for name in names:
        value = getattr(module, name, None)
        if value is not None and not isinstance(value, nn.Module) and not callable(value):
            return value
    return None


def _width(value) -> Optional[int]:
    """An int width, or None when unknown (missing, lazy ``-1``)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        return None
    return value


def mlp_widths(mlp: nn.Module, names: WidthNames) -> tuple[Optional[int], Optional[int]]:
    """The input width of the first and the output width of the last linear map inside ``mlp``."""
    ins, outs = names.inputs + _TORCH_WIDTHS.inputs, names.outputs + _TORCH_WIDTHS.outputs
    mods = [m for m in mlp.modules() if _first_attr(m, ins) is not None or _first_attr(m, outs) is not None]
    if not mods:
        return None, None
    first = next((m for m in mods if _first_attr(m, ins) is not None), None)
    last = next((m for m in reversed(mods) if _first_attr(m, outs) is not None), None)
    return (_width(_first_attr(first, ins)) if first is not None else None,
            _width(_first_attr(last, outs)) if last is not None else None)


def conv_widths(conv: nn.Module, names: WidthNames = _TORCH_WIDTHS) -> tuple[tuple[Optional[int], ...], Optional[int]]:
    """``(input widths, output width)`` a convolution was built with, as far as they can be read
    under ``names`` (an adapter's :class:`~iterative_core.adapter.WidthNames`) and torch's own.

    The input widths are one entry, or two (source, destination) for a layer built for bipartite
    graphs; None marks an unknown width. The output width counts concatenated attention heads.
    """
    in_c = _first_attr(conv, names.inputs + _TORCH_WIDTHS.inputs)
    out_c = _first_attr(conv, names.outputs + _TORCH_WIDTHS.outputs)
    if isinstance(in_c, (tuple, list)):
        ins = tuple(_width(v) for v in in_c)
    else:
        ins = (_width(in_c),)
        dst = _first_attr(conv, names.input_dst)
        if dst is not None and _width(dst) != ins[0]:
            ins = (ins[0], _width(dst))
    out = _width(out_c)
    square = _first_attr(conv, names.squares) if in_c is None and out_c is None else None
    if square is not None:  # the width of input and output, whatever the heads (GPSConv's attention)
        return (_width(square),), _width(square)
    if in_c is None and out_c is None:
        mlp = next((getattr(conv, a) for a in names.mlps if isinstance(getattr(conv, a, None), nn.Module)), None)
        if mlp is not None:
            i, out = mlp_widths(mlp, names)
            ins = (i,)
    heads = _first_attr(conv, names.heads)
    if out is not None and _width(heads) and getattr(conv, "concat", names.heads_concatenated) is True:
        out = out * heads
    return ins, out


def unwrapped(module: nn.Module) -> nn.Module:
    """The module a wrapper runs (``torch.compile``'s ``_orig_mod``, ``DistributedDataParallel``'s
    ``module``), whose ``forward`` says what the wrapper's ``(*args, **kwargs)`` takes."""
    while True:
        inner = getattr(module, "_orig_mod", None)
        if inner is None and isinstance(module, nn.parallel.DistributedDataParallel):
            inner = module.module
        if not isinstance(inner, nn.Module):
            return module
        module = inner


#: the ecosystems whose layers an adapter iterates: a layer's top-level package -> (adapter name, package to use)
_LAYER_ECOSYSTEMS = {"torch_geometric": ("pyg", "pyg_iterative"), "dgl": ("dgl", "dgl_iterative")}


def _package(module: nn.Module) -> str:
    """The top-level package of ``module``'s class (``torch_geometric`` for PyG's ``GCNConv``)."""
    return type(module).__module__.split(".")[0]


def check_ecosystem(operator: nn.Module, where: str, adapter: type[GraphAdapter]) -> None:
    """Refuse a layer of the other ecosystem (a PyG layer in DGL's adapter), which failed inside it."""
    package = _package(unwrapped(operator))
    owner = _LAYER_ECOSYSTEMS.get(package)
    if owner is not None and owner[0] != adapter.name:
        raise TypeError(f"{where}: {type(operator).__name__} is a {package} layer, called as {package}'s layers are, "
                        f"while this layer calls its operator as {adapter.call_form}; iterate it with "
                        f"{owner[1]}.{where}")


def check_refused_layer(operator: nn.Module, where: str, adapter: type[GraphAdapter]) -> None:
    """Refuse a layer the adapter refuses (:meth:`~iterative_core.adapter.GraphAdapter.refusal`), naming
    it with the reason and what to do instead."""
    reason = adapter.refusal(unwrapped(operator))
    if reason is not None:
        raise TypeError(f"{where}: {type(operator).__name__} cannot be iterated: {reason}")


def check_callable_as_layer(operator: nn.Module, where: str, adapter: type[GraphAdapter]) -> None:
    """Refuse, at construction, an operator whose ``forward`` cannot take the two positional
    arguments every step passes (the features and the graph, in the adapter's ``call_form``), the
    edge weights and the batch vector being passed by keyword: a per-node map such as ``nn.Linear``
    or PyG's ``MLP(x, batch)``, or a layer that needs more (PyG's ``GCN2Conv(x, x_0, edge_index)``)."""
    try:
        params = list(inspect.signature(unwrapped(operator).forward).parameters.values())
    except (TypeError, ValueError):
        return  # no signature to read (a builtin): the first call tells
    by_keyword = {"edge_weight", adapter.batch_keyword, *adapter.edge_feature_keywords}
    positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    varargs = any(p.kind is p.VAR_POSITIONAL for p in params)
    takes_graph = (len(positional) >= 2 and positional[1].name not in by_keyword) or (varargs and len(positional) < 2)
    extra = [p for p in positional[2:] if p.default is p.empty and p.name not in by_keyword]
    typed = next((p.name for p in params if p.name in ("edge_type", "edge_types", "etypes")), None)
    # (PyG's RGCNConv, FastRGCNConv: num_relations; DGL's GatedGraphConv: n_etypes, kept as _n_etypes)
    relations = next(((name, getattr(operator, attr)) for attr, name in (("num_relations", "num_relations"),
                                                                        ("_n_etypes", "n_etypes"))
                      if isinstance(getattr(operator, attr, None), int)), None)
    if typed is not None and takes_graph and not extra and relations is not None and relations[1] > 1:
        raise TypeError(f"{where}: {type(operator).__name__} with {relations[0]}={relations[1]} needs the type of "
                        f"every edge ({typed}) at each call, which the iteration does not pass. Build it with "
                        f"{relations[0]}=1, or iterate one relation's layer per edge type ({adapter.relations_hint})")
    if takes_graph and not extra:
        return
    names = ", ".join(("*" if p.kind is p.VAR_POSITIONAL else "**" if p.kind is p.VAR_KEYWORD else "") + p.name
                      for p in params)
    sig = f"{type(operator).__name__}.forward({names})"
    what = (f"needs {len(extra) + 2} positional arguments" if takes_graph else "takes no graph" if len(positional) < 2
            else f"takes {positional[1].name} second, where each step passes the "
                 f"{'features' if adapter.call_form.startswith('conv(graph') else 'graph'}")
    raise TypeError(f"{where}: {sig} {what}; each step calls it as {adapter.call_form}. Wrap a graph layer of "
                    "that form, or a module whose forward takes the features and the graph and passes on the "
                    "rest (its other inputs fixed)")


def square_error(where: str, what: str, how: str) -> str:
    """The message refusing a non-square input: what was given, why it cannot be iterated, what to do."""
    return (f"{where}: {what}. Iteration feeds each output back in as the next input, so the operator "
            f"must be square (the same nodes and the same channels in and out). {how}")


def square_channels(conv: nn.Module, channels: Optional[int], where: str,
                    adapter: type[GraphAdapter] = GraphAdapter) -> int:
    """The width ``C`` of a square ``conv`` (read under the ``adapter``'s width names); raise, with
    the adapter's advice, when its widths differ or none can be found."""
    names = adapter.widths
    ins, out = adapter.layer_widths(unwrapped(conv)) or conv_widths(conv, names)
    name = type(conv).__name__
    known = [w for w in ins if w is not None]
    if len(set(ins)) > 1:
        raise ValueError(square_error(
            where, f"{name} was built for bipartite inputs with widths {ins}",
            "Build it with one input width equal to its output width."))
    if known and out is not None and known[0] != out:
        # the heads counted as the adapter guesses for a module of your own without `concat` (not PyG's or
        # DGL's layers, which say): concatenated (DGL's rule, heads * width) or averaged (PyG's, width). Where the
        # other reading is square, channels= confirms it
        heads = _width(_first_attr(conv, names.heads))
        guessed = not hasattr(conv, "concat") and _package(conv) not in _LAYER_ECOSYSTEMS
        if names.heads_concatenated:
            by_heads = guessed and bool(heads) and out == known[0] * heads
            other = f"averages its {heads} heads rather than concatenating them", "concat = False"
        else:
            by_heads = guessed and bool(heads) and out * heads == known[0]
            other = f"concatenates its {heads} heads rather than averaging them", "concat = True"
        if not (by_heads and channels == known[0]):
            hint = (f" If {name} {other[0]}, pass channels={known[0]} (or give it {other[1]})." if by_heads else "")
            raise ValueError(square_error(
                where, f"{name} maps {known[0]} input channels to {out} output channels", adapter.square_hint + hint))
        out = known[0]
    found = known[0] if known else out
    if channels is not None:
        channels = check_int("channels", channels, minimum=1, where=where)
        if found is not None and found != channels:
            raise ValueError(f"{where}: channels={channels} but {name} has width {found}")
        return channels
    if found is None:
        looked = ", ".join(names.inputs + names.outputs + names.squares + _TORCH_WIDTHS.inputs + _TORCH_WIDTHS.outputs)
        raise ValueError(f"{where}: cannot read the width of {name} (none of {looked}); pass channels=C")
    return found


def _contraction_unsupported(where: str, operator: nn.Module) -> str:
    """Why ``contraction=`` cannot be set on a layer iterating ``operator``."""
    return (f"{where}: contraction= rescales the operator's weight to a Lipschitz budget, which only "
            f"operators that can bound their norm support (conv='gcn', or an operator of your own with "
            f"supports_contraction = True and a bind that rescales to its lipschitz_budget); "
            f"{type(operator).__name__} cannot. Constrain its weights yourself (e.g. "
            "torch.nn.utils.parametrizations.spectral_norm) and use tol= to watch convergence.")


def supports_contraction(operator: nn.Module) -> bool:
    """Whether the operator can rescale itself to a Lipschitz budget (``contraction=``): the GCN operator,
    or one that says so (``supports_contraction = True``) and has a ``bind``, which receives the budget."""
    return isinstance(operator, GCNOperatorBase) or (bool(getattr(operator, "supports_contraction", False))
                                                     and hasattr(operator, "bind"))


def accepts_keyword(fn: Callable, name: str, *, strict: bool = False) -> bool:
    """Whether ``fn`` takes a keyword argument ``name`` (or, unless ``strict``, any keyword)."""
    return _takes(_parameters(fn), name, strict)


def _parameters(fn: Callable) -> Optional[Mapping[str, inspect.Parameter]]:
    """``fn``'s parameters by name, or None when its signature cannot be read (a builtin)."""
    try:
        return inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return None


def _takes(params: Optional[Mapping[str, inspect.Parameter]], name: str, strict: bool) -> bool:
    """:func:`accepts_keyword` on parameters read once (None, unknown: only when not ``strict``)."""
    if params is None:
        return not strict
    return name in params or (not strict and any(p.kind is p.VAR_KEYWORD for p in params.values()))


def _resets_children(module: nn.Module, partial: tuple[str, ...]) -> bool:
    """Whether :func:`reset_module` goes on into ``module``'s children (see there)."""
    if not callable(getattr(module, "reset_parameters", None)):
        return True
    owner = next((c for c in type(module).__mro__ if "reset_parameters" in vars(c)), None)
    return owner is not None and owner is not type(module) and f"{owner.__module__}.{owner.__qualname__}" in partial


def reset_module(module: nn.Module, partial: tuple[str, ...] = (),
                 keeps: Mapping[str, tuple[str, ...]] = types.MappingProxyType({})) -> None:
    """Reset ``module``'s parameters: its ``reset_parameters``, else each child's. ``partial`` names
    (``module.QualName``) base classes whose ``reset_parameters`` resets only what they hold (PyG's
    ``MessagePassing``: the aggregation): a subclass that inherits it unchanged gets its children
    reset too, since the layers it adds would otherwise keep their values. ``keeps`` names, by class,
    the parameters a class's own ``reset_parameters`` leaves as they are (DGL's ``SAGEConv``: its
    Linear maps' biases): one held by a child is drawn again by the child's reset, which leaves the
    child's other parameters as the module's reset drew them; a child module named whole is reset
    whole (DGL's ``NNConv``: the ``edge_func`` the user gave). What a module holds itself without a
    reset of its own, or keeps itself, is not reset here (see :func:`unreset_parameters`)."""
    own = getattr(module, "reset_parameters", None)
    if callable(own):
        own()
        for name in _kept(module, keeps):
            whole = _submodule(module, name)
            if whole is not None:  # a child module the reset leaves as it is (DGL's NNConv's edge_func)
                reset_module(whole, partial, keeps)
                continue
            owner, _, leaf = name.rpartition(".")
            child = _submodule(module, owner) if owner else None  # (held by the module itself: unreset_parameters)
            if not isinstance(getattr(child, leaf, None), nn.Parameter) or not callable(
                    getattr(child, "reset_parameters", None)):
                continue
            drawn = {n: p.detach().clone() for n, p in child.named_parameters(recurse=False) if n != leaf}
            child.reset_parameters()
            with torch.no_grad():
                for n, value in drawn.items():
                    getattr(child, n).copy_(value)
    if _resets_children(module, partial):
        for child in module.children():
            reset_module(child, partial, keeps)


def _kept(module: nn.Module, keeps: Mapping[str, tuple[str, ...]]) -> tuple[str, ...]:
    """The parameters ``keeps`` names for the class whose ``reset_parameters`` ``module`` runs (its own,
    or one it inherits unchanged; a subclass that resets them itself is not named), by their name in it."""
    owner = next((c for c in type(module).__mro__ if "reset_parameters" in vars(c)), None)
    return () if owner is None else tuple(keeps.get(f"{owner.__module__}.{owner.__qualname__}", ()))


def _submodule(module: nn.Module, path: str) -> Optional[nn.Module]:
    """``module``'s submodule at the dotted ``path``, or None where there is none (SAGEConv's ``fc_pool``
    exists only with ``aggregator_type="pool"``)."""
    for part in path.split("."):
        module = getattr(module, part, None)
        if not isinstance(module, nn.Module):
            return None
    return module


def unreset_parameters(module: nn.Module, partial: tuple[str, ...] = (),
                       keeps: Mapping[str, tuple[str, ...]] = types.MappingProxyType({}),
                       prefix: str = "") -> dict[str, Tensor]:
    """Copies of the parameters that :func:`reset_module` would leave as they are: those a module holds
    itself without a ``reset_parameters`` of its own (DGL's ``GINConv``'s learned ``eps``; a PyG
    ``MessagePassing`` subclass that inherits the base's, which resets only the aggregation), and those
    its own reset keeps (``keeps``) that it holds itself, by name."""
    kept = {}
    if _resets_children(module, partial):  # (no reset_parameters, or one of a partial base)
        kept = {prefix + name: p.detach().clone() for name, p in module.named_parameters(recurse=False)
                if not nn.parameter.is_lazy(p)}
        for name, child in module.named_children():
            kept.update(unreset_parameters(child, partial, keeps, f"{prefix}{name}."))
    else:
        own = dict(module.named_parameters(recurse=False))
        for name in _kept(module, keeps):
            child = _submodule(module, name)
            if child is not None:  # a child module its reset keeps whole: reset_module goes into it
                kept.update(unreset_parameters(child, partial, keeps, f"{prefix}{name}."))
            elif isinstance(own.get(name), nn.Parameter) and not nn.parameter.is_lazy(own[name]):
                kept[prefix + name] = own[name].detach().clone()
    return kept


def _unknown_values_message(where: str, names: Sequence[str], operator: nn.Module) -> str:
    """Why ``where.reset_parameters()`` cannot reset ``names`` of a layer built on the meta device."""
    return (f"{where}.reset_parameters(): the operator's parameter(s) {', '.join(map(repr, names))} keep their "
            f"values through every reset_parameters() of {type(operator).__name__} (it has none for them, or its own "
            f"keeps them), and their values at construction are unknown: the layer was built on the meta device. "
            "Load a state_dict (load_state_dict(..., assign=True)), build the layer on a real device, or give the "
            "module that holds them a reset_parameters() that initialises them")


class SquareOperator:
    """``z -> op(z)`` with the output checked to be a tensor of the input's shape and dtype
    (``compute_dtype``: the op's, when it computes in another dtype than the iterate's)."""

    __slots__ = ("op", "name", "where", "hint", "compute_dtype")

    def __init__(self, op: Callable[[Tensor], Tensor], name: str, where: str, hint: str = GraphAdapter.square_hint) -> None:
        self.op, self.name, self.where, self.hint = op, name, where, hint
        self.compute_dtype = getattr(op, "compute_dtype", None)

    def __call__(self, z: Tensor) -> Tensor:
        out = self.op(z)
        if isinstance(out, tuple) and out and isinstance(out[0], Tensor):  # e.g. attention weights beside it
            out = out[0]
        if not isinstance(out, Tensor):
            raise TypeError(f"{self.where}: the operator {self.name} returned {type(out).__name__} "
                            f"({_short(out)}) for an input of shape {tuple(z.shape)}; it must return a tensor "
                            "of node features of the input's shape")
        if out.shape != z.shape:
            raise ValueError(square_error(
                self.where, f"{self.name} mapped an input of shape {tuple(z.shape)} to shape {tuple(out.shape)}",
                self.hint))
        if out.dtype != z.dtype:
            raise TypeError(f"{self.where}: the operator {self.name} returned dtype {out.dtype} for an input of "
                            f"dtype {z.dtype}; it must keep the input's dtype (check its parameters' dtype, "
                            "e.g. call .double() on the whole model)")
        return out


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


class OperatorLayerBase(IterativeLayerBase):
    """An operator module (``self.operator``) iterated to its fixed point: what every adapter's
    ``IterativeConv`` and ``PIGNConv`` share. An adapter sets ``adapter`` (its
    :class:`~iterative_core.adapter.GraphAdapter`) and writes ``forward`` in its ecosystem's argument
    order, calling ``self._run(...)`` (the one forward pass every adapter shares)."""

    adapter: type[GraphAdapter] = GraphAdapter  # set by the adapter
    _fixed_attributes = IterativeLayerBase._fixed_attributes | {"operator"}

    def _rebuild_keyword(self, name: str) -> Optional[str]:
        return None if name == "operator" else super()._rebuild_keyword(name)

    def __init_subclass__(cls, **kwargs) -> None:
        super().__init_subclass__(**kwargs)
        if "forward" not in cls.__dict__:
            cls.forward = _named_copy(cls.forward, cls)

    def __init__(self, operator: nn.Module, channels: Optional[int] = None, num_iterations: int = 8,
                 smoothing=0.5, tol: Optional[float] = None, act="relu", dropout: float = 0.0, **kwargs) -> None:
        where = type(self).__name__
        if not isinstance(operator, nn.Module):
            raise TypeError(f"{where}: the operator must be a torch.nn.Module, got {type(operator).__name__}")
        check_keys(where, kwargs, ITERATION_KEYS)
        check_ecosystem(operator, where, self.adapter)
        # (what no width can fix is said first: a width to give, then another refusal, misled)
        check_refused_layer(operator, where, self.adapter)
        if not hasattr(operator, "bind"):
            check_callable_as_layer(operator, where, self.adapter)
        elif not accepts_keyword(operator.bind, "lipschitz_budget"):
            raise TypeError(f"{where}: {type(operator).__name__}.bind must take the keyword lipschitz_budget (None "
                            "unless contraction= is set): bind(x, graph, edge_weight=None, *, lipschitz_budget=None)")
        _refuse_feature_caches(operator, where)
        channels = square_channels(operator, channels, where, self.adapter)
        if kwargs.get("contraction") is not None and not supports_contraction(operator):
            raise ValueError(_contraction_unsupported(where, operator))
        super().__init__(channels, num_iterations, smoothing, tol, act, dropout, **kwargs)
        self.operator = operator
        # what reset_parameters() cannot re-initialise goes back to its value at construction
        self._initial_values = unreset_parameters(operator, self.adapter.partial_resets, self.adapter.resets_keep)
        _warn_stochastic_operator(operator, self.tol, self.grad, where)
        _warn_batch_norm(operator, where)

    def configure(self, **options) -> None:
        """Change options, checked together as at construction (see
        :meth:`IterativeLayerBase.configure`); with the GCN operator, its options that may change
        (``alpha``, ``normalize``, ``add_self_loops``, ``cached``, DGL's ``allow_zero_in_degree``) too, as
        their attributes set them. Nothing changes when a value is refused."""
        op = self._modules.get("operator")
        where = type(self).__name__
        operator_keys = ({k for k in GCN_MUTABLE_OPTIONS if hasattr(op, k)} if isinstance(op, GCNOperatorBase)
                         else set())
        check_keys(f"{where}.configure()", options, set(_CONFIGURABLE_KEYS) | operator_keys)
        ours = operator_keys & set(options)
        # the operator's values are checked first, then the iteration's (which a refusal leaves as they were)
        operator_options = {k: op.checked_option(k, options.pop(k), where) for k in sorted(ours)}
        super().configure(**options)
        for name, value in operator_options.items():
            setattr(op, name, value)

    def _install(self, config, layer_options, where: str) -> None:
        # contraction= set later (configure, or the attribute) is checked as at construction
        operator = self._modules.get("operator")
        if layer_options.contraction is not None and operator is not None and not supports_contraction(operator):
            raise ValueError(_contraction_unsupported(where, operator))
        super()._install(config, layer_options, where)

    @property
    def conv(self) -> nn.Module:
        """The iterated convolution (the same module as ``operator``)."""
        return self.operator

    def reset_parameters(self) -> None:
        """Re-initialise the operator (its ``reset_parameters``, else its children's) and a learned
        activation (``act=nn.PReLU()``). A parameter a module holds itself without a ``reset_parameters``
        of its own (DGL's ``GINConv``'s learned ``eps``) goes back to its value when this layer was built,
        as does one that the layer's own reset keeps (DGL's ``SAGEConv(aggregator_type="gcn")``'s ``bias``);
        the biases of its Linear maps that a layer's reset keeps (DGL's ``SAGEConv``, ``TAGConv``) are drawn
        again by their own reset."""
        initial = getattr(self, "_initial_values", {})
        unknown = [name for name, value in initial.items() if value.is_meta]
        if unknown:  # (built on the meta device: the values at construction hold no data)
            raise RuntimeError(_unknown_values_message(type(self).__name__, unknown, self.operator))
        reset_module(self.operator, self.adapter.partial_resets, self.adapter.resets_keep)
        if isinstance(self.act_fn, nn.Module):  # a learned activation (PReLU) is the layer's too
            reset_module(self.act_fn)
        with torch.no_grad():
            for name, value in initial.items():
                self.operator.get_parameter(name).copy_(value)

    def _check_features(self, x: Tensor, graph=None) -> None:
        where = type(self).__name__
        if (isinstance(x, (tuple, list)) and len(x) == 2 and isinstance(x[0], Tensor)
                and (x[1] is None or isinstance(x[1], Tensor))):  # (x_src, None): PyG's pair without targets' features
            what = "(x_src, x_dst)" if x[1] is not None else "(x_src, None)"
            raise ValueError(square_error(where, f"got a bipartite pair {what} of node features"
                                          f"{self.adapter.relation(graph)}",
                                          self.adapter.pair_hint or self.adapter.subgraph_hint))
        name, width = self._input_width()
        check_features(x, width, where, validate=self.validate, name=name)

    def _input_width(self) -> tuple[str, int]:
        """The width the node features must have, and the constructor argument that set it."""
        return "channels", self.channels

    def _project(self, x: Tensor) -> Tensor:
        """The input of the iteration (a subclass may map the features to its width first)."""
        return x

    def _bind(self, x: Tensor, graph, edge_weight: Optional[Tensor], batch: Optional[Tensor] = None,
              num_graphs: Optional[int] = None, edge_attr: Optional[Tensor] = None) -> Callable[[Tensor], Tensor]:
        """The map ``z -> op(z, graph)`` of one forward pass: the operator's own ``bind`` when it has
        one (given the ``batch`` vector when it takes one, so that it can bound each graph on its
        own), else the adapter's call of the operator at every step (given the ``batch`` vector when
        its ``forward`` names the ecosystem's batch keyword, so that what it does per graph stays
        within each graph; and ``edge_attr``, the edge features, to a layer that names it)."""
        op = self.operator
        bound = hasattr(op, "bind")
        # what a compiled or distributed layer's forward takes, read once per call
        params = None if bound else _parameters(unwrapped(op).forward)
        feature_key = self._edge_feature_keyword(bound, params, edge_attr)
        if bound:
            _recompute_parameters(op, x)
            if (op._forward_hooks or op._forward_pre_hooks or op._backward_hooks or op._backward_pre_hooks) \
                    and not is_compiling():
                _warn_unrun_hooks(self, op)
            extra = {"batch": batch, "num_graphs": num_graphs} if (batch is not None and (
                isinstance(op, GCNOperatorBase) or accepts_keyword(op.bind, "batch"))) else {}
            if not isinstance(op, GCNOperatorBase) and not is_compiling() and accepts_keyword(op.bind, "validate",
                                                                                               strict=True):
                extra["validate"] = self.validate  # (a bind that checks values, which validate=False skips)
            step = op.bind(x, graph, edge_weight, lipschitz_budget=self._lipschitz_budget(), **extra)
            # (a bind that forgot its return failed in the solver: 'NoneType' not callable; torch 2.2's compiler
            # breaks its graph at callable(), so it is asked eagerly)
            if not is_compiling() and not callable(step):
                raise TypeError(f"{type(self).__name__}: {type(op).__name__}.bind(x, graph, edge_weight, ...) returned "
                                f"{got(step)}; it must return the step, a callable z -> op(z)"
                                + (" (a missing return statement?)" if step is None else ""))
            return step
        adapter = self.adapter()  # (its method looked up at each call: torch.compile traces that)
        kwargs = {}
        if edge_weight is not None:
            takes, runs = _takes(params, "edge_weight", strict=False), ""
            if (takes and params is not None and "edge_weight" not in params
                    and adapter.passes_keywords_on(unwrapped(op))):
                # (a layer that passes its keywords on, PyG's GPSConv: the layer it runs, if any, must name them)
                inner = unwrapped(adapter.inner_layer(unwrapped(op)))
                takes = inner is not None and _takes(_parameters(inner.forward), "edge_weight", strict=False)
                runs = (" (and runs no layer that would)" if inner is None
                        else f" (nor does the {type(inner).__name__} it runs)")
            if not takes:
                raise TypeError(f"{type(self).__name__}: {type(unwrapped(op)).__name__}.forward takes no edge_weight"
                                f"{runs}; leave the weights out or use a convolution that takes them")
            # in the features' dtype, as the GCN operator takes them (a bfloat16 layer given float32 weights)
            if edge_weight.is_floating_point() and edge_weight.dtype != x.dtype:
                if self.validate:
                    check_weights_fit(edge_weight, x.dtype, type(self).__name__, type(op).__name__)
                edge_weight = edge_weight.to(x.dtype)
            kwargs["edge_weight"] = edge_weight
        name = adapter.batch_keyword
        if batch is not None and name is not None and _takes(params, name, strict=True):
            kwargs[name] = batch  # a layer that works per graph (PyG's GPSConv, a graph norm) needs it
        if edge_attr is not None:
            kwargs[feature_key] = edge_attr
        if not kwargs:
            return lambda z: adapter.call(op, z, graph)
        return lambda z: adapter.call(op, z, graph, **kwargs)

    def _iterate(self, op: Callable[[Tensor], Tensor], x: Tensor, *, batch: Optional[Tensor] = None,
                 num_graphs: Optional[int] = None, z_init: Optional[Tensor] = None,
                 out_dtype: Optional[torch.dtype] = None):
        """Solve :math:`z = \\sigma(\\mathrm{op}(z) [+ x])` from ``z_init`` (default ``x``); with a
        ``batch`` vector every graph converges (and stops) on its own. Returns ``(z, info)``.
        ``out_dtype``: the half-precision dtype the answer will be returned in."""
        gcn = isinstance(self.operator, GCNOperatorBase)
        if not gcn:  # the GCN operator is square by construction
            op = SquareOperator(op, type(self.operator).__name__, type(self).__name__, self.adapter.square_hint)
        # the GCN operator's output is a fresh tensor: its activation may run in place; it reads x when alpha > 0,
        # an operator of its own bind may (unless it says otherwise, reads_input = False), a layer called at every
        # step does not
        takes_input = (bool(self.operator.alpha) if gcn else
                       hasattr(self.operator, "bind") and getattr(self.operator, "reads_input", True))
        # (the library's classes return a new tensor from every step; a user's subclass may return a tensor it did
        # not make, its input, from any of its hooks: then not)
        fresh = gcn and type(self.operator).__module__.split(".")[0] in _LIBRARY_PACKAGES
        return self._solve(op, x, z_init=z_init, batch=batch, num_graphs=num_graphs, fresh=fresh,
                           takes_input=takes_input, out_dtype=out_dtype)

    def _edge_feature_keyword(self, bound: bool, params: Optional[Mapping[str, inspect.Parameter]],
                              edge_attr: Optional[Tensor]) -> Optional[str]:
        """The keyword under which the wrapped layer's ``forward`` (its ``params``) takes edge features
        (the first of the adapter's :attr:`~iterative_core.adapter.GraphAdapter.edge_feature_keywords`
        it names), or None; refused when features are ``given`` and it takes none (a ``bound``
        operator takes none), or none are given and it needs them."""
        given = edge_attr is not None
        if bound and not given:  # nothing to hand on
            return None
        adapter = self.adapter
        names = adapter.edge_feature_keywords
        key = None
        for k in names:  # (a loop, not next() over a generator: torch 2.2's compiler cannot trace that)
            if params is not None and k in params:
                key = k
                break
        inner = None
        if key is None and params is not None and any(p.kind is p.VAR_KEYWORD for p in params.values()):
            inner = unwrapped(adapter.inner_layer(unwrapped(self.operator)))  # (a compiled inner layer: its own)
        if inner is not None:
            # a layer that passes its keywords on to the layer it runs (PyG's GPSConv): the name that one takes
            inner_params = _parameters(inner.forward) or {}
            for k in names:
                if k in inner_params:
                    key = k
                    break
        op = type(unwrapped(self.operator)).__name__  # (a compiled layer: the one it compiled)
        if given and key is None:
            raise TypeError(f"{type(self).__name__}: {op} takes no edge features (its forward names none of "
                            f"{', '.join(names)}"
                            + (f", nor does the {type(inner).__name__} it runs" if inner is not None else "")
                            + f"); pass them to {adapter.edge_feature_examples}, or leave them out"
                            + _scalar_features_hint(edge_attr, bound or _takes(
                                _parameters(inner.forward) if inner is not None else params, "edge_weight",
                                strict=True)))
        if not given and key is not None:
            param = params.get(key)
            if ((param is not None and param.default is param.empty)
                    or adapter.needs_edge_features(unwrapped(self.operator))):
                raise TypeError(f"{type(self).__name__}: {op}.forward needs edge features ({key}); pass them as "
                                f"edge_attr=, one row per edge")
        return key

    def _traceable_setup(self, graph, edge_weight, batch: Optional[Tensor], num_graphs: Optional[int]) -> bool:
        """Whether this call's set-up can run inside a ``torch.compile`` graph: ``validate=False`` (the
        checks that read values back stay out), a batch vector only with its ``num_graphs``, and a
        graph argument the adapter reads with tensor operations alone (:meth:`GraphAdapter.traceable`)."""
        return (not self.validate and (batch is None or num_graphs is not None)
                and self.adapter().traceable(graph, edge_weight))

    def _setup(self, x: Tensor, graph, edge_weight, batch: Optional[Tensor], num_graphs: Optional[int],
               z_init: Optional[Tensor], edge_attr: Optional[Tensor] = None) -> "_Step":
        """Everything before the iteration: check the input, read the graph through the adapter and
        bind the operator to it (the GCN operator's propagation built, or reused for the same graph)."""
        where = type(self).__name__
        if not is_compiling():  # (a graph in the features' place: not their dtype; torch 2.2 cannot trace it)
            self.adapter.check_order(where, x, graph)
        self._check_features(x, graph)
        projected = self._project(x)
        check_z_init(z_init, projected, where, "the node features" if projected is x else
                     "the node features mapped to the iteration's width", validate=self.validate)
        if projected.layout != torch.strided:  # sparse features (bag-of-words) start a dense iterate
            projected = projected.to_dense()
        x = projected
        num_graphs = check_batch(batch, x.size(0), where, num_graphs, validate=self.validate)
        adapter = self.adapter()
        graph = adapter.usable_graph(graph)  # (what follows, the operator's bind too, reads this one)
        op = self.operator
        view = without_kept_checks(op, adapter.read_graph(self, x, graph, edge_weight, batch, num_graphs))
        nonnegative = isinstance(op, GCNOperatorBase) and op.normalize
        edge_weight = check_graph_view(view, where, validate=self.validate, nonnegative=nonnegative,
                                       device=x.device, batch_hint=adapter.batch_hint)
        batch, num_graphs = view.batch, view.num_graphs
        if edge_attr is not None:
            check_edge_attr(edge_attr, graph, view.num_edges, x, where, ordered=adapter.edge_ordered(graph))
        # the operator's parameters meet the iterate at every step: features of another dtype are refused,
        # as torch's own layers refuse them (half-precision parameters iterate in float32, see below)
        check_parameters_dtype(op, x, where, "the layer")
        dtype = compute_dtype(x.dtype)
        if dtype == x.dtype or not getattr(op, "binds_in_float32", False):
            return _Step(self._bind(x, graph, edge_weight, batch, num_graphs, edge_attr), x, z_init, batch, num_graphs,
                         None)
        # half precision: the operators that say so (the GCN operator) iterate in float32 and return the input's dtype
        xc = x.to(dtype)
        return _Step(self._bind(xc, graph, edge_weight, batch, num_graphs, edge_attr), xc,
                     None if z_init is None else z_init.to(dtype), batch, num_graphs, x.dtype)

    def _run(self, x: Tensor, graph, edge_weight=None, *, batch: Optional[Tensor] = None,
             num_graphs: Optional[int] = None, z_init: Optional[Tensor] = None, return_info: bool = False,
             edge_attr: Optional[Tensor] = None):
        """One forward pass, for an adapter's ``forward``: the set-up (:meth:`_setup`), then the
        iteration (see :mod:`iterative_core.adapter`).

        Under ``torch.compile`` the iteration is traced whole, and the set-up with it where it can be
        (:meth:`_traceable_setup`: the propagation is then normalised inside the graph at every call);
        otherwise the set-up runs outside the compiled graph, as in eager mode with its per-graph
        cache, and is one graph break before the iteration. The iteration runs eagerly instead with a
        ``tol``, with untraceable layers, and after that break on torch older than 2.13 (see
        :meth:`_set_up_and_iterate`).

        Under ``torch.autocast`` the layer runs in its parameters' dtype with autocast off, as
        numerically sensitive ops do (a fixed point iterated in half precision stalls at its rounding
        error, and the CPU's sparse products have no bfloat16 kernel); the output has that dtype."""
        # (at once: a string 'False' returned a pair, a tensor in its place failed only after the solve)
        return_info = check_flag("return_info", return_info, where=type(self).__name__)
        if torch.jit.is_tracing():  # (it failed deep inside with "unordered_map::at")
            raise RuntimeError(f"{type(self).__name__}: torch.jit.trace (and the exporters built on it) cannot record "
                               "the iteration; use torch.compile, or run the layer eagerly")
        if is_exporting() and (self.validate or self.on_divergence != "ignore" or self.tol is not None):
            # (it failed inside torch: "Could not guard on data-dependent expression", naming neither)
            raise RuntimeError(f"{type(self).__name__}: torch.export records one graph, without the breaks where the "
                               "layer reads values back: its input checks (validate=True), its divergence policy "
                               "(on_divergence) and a tol's test. Build it with validate=False, "
                               "on_divergence='ignore' and no tol to export it (torch.compile takes it as it is)")
        if under_vmap():  # (it failed inside torch on the first value the checks read back)
            raise RuntimeError(f"{type(self).__name__}: torch.func.vmap cannot batch the iteration, which reads values "
                               "back to check its input and to stop; batch several graphs as one disjoint graph "
                               "with a batch vector (each graph then stops on its own), or loop over the inputs")
        if (self.adapter.pair_of_one_tensor_is_one_node_set and isinstance(x, (tuple, list)) and len(x) == 2
                and isinstance(x[0], Tensor) and x[0] is x[1]):
            # one tensor as both ends, (x, x): one node set, as DGL's HeteroGraphConv passes a relation
            # within one node type (a pair of two tensors is bipartite, and refused by the checks)
            x = x[0]
        if isinstance(x, Tensor) and x.is_floating_point() and autocast_enabled(x.device.type):
            return without_autocast(
                self, x, lambda dtype: self._run(x.to(dtype), graph, edge_weight, batch=batch, num_graphs=num_graphs,
                                                 z_init=None if z_init is None else z_init.to(dtype),
                                                 return_info=return_info, edge_attr=edge_attr),
                output=lambda result: result[0] if return_info else result)
        compiling = is_compiling()
        if compiling:
            return self._set_up_and_iterate(x, graph, edge_weight, batch, num_graphs, z_init, return_info, edge_attr,
                                            compiling)
        try:
            return self._set_up_and_iterate(x, graph, edge_weight, batch, num_graphs, z_init, return_info, edge_attr,
                                            compiling)
        except _PLAIN_ERRORS as exc:
            # (one of the ecosystem's layers refusing a graph format that others take: said with what to pass)
            hint = self.adapter.graph_failure_hint(exc, graph, x) if type(exc) in _PLAIN_ERRORS else None
            if hint is None:
                raise
            said = type(exc)(f"{type(self).__name__}: {hint}. The error: {exc}")
            for note in getattr(exc, "__notes__", ()):
                said.add_note(note)
            raise said from exc

    def _set_up_and_iterate(self, x: Tensor, graph, edge_weight, batch: Optional[Tensor], num_graphs: Optional[int],
                            z_init: Optional[Tensor], return_info: bool, edge_attr: Optional[Tensor], compiling: bool):
        """The set-up and the iteration of :meth:`_run`."""
        outside = (_sparse_tensor(graph) if not compiling
                   else not self._traceable_setup(graph, edge_weight, batch, num_graphs))
        if outside:
            # a torch sparse tensor: torch.compile cannot take it, runs the frames around it eagerly and
            # compiles the functions they call one by one; the set-up is kept out of that
            step = _setup_outside_graph(self, x, graph, edge_weight, batch, num_graphs, z_init, edge_attr)
        else:
            step = self._setup(x, graph, edge_weight, batch, num_graphs, z_init, edge_attr)
        if compiling and (not (self.adapter.traceable_layers or isinstance(self.operator, GCNOperatorBase))
                          or self.tol is not None
                          or (outside and not TRACES_AFTER_A_BREAK)):
            # the iteration runs outside the compiled graph where the ecosystem's layers cannot be traced
            # (nor an operator built on them, with a bind of its own, as DGL's GAT operator); with a tol, whose
            # test reads a value back after each step checked (the compiler compiled the monitor again for each
            # step, until its limit, slower than eager mode); and after a set-up outside the graph where the
            # compiler would compile it again at every call (TRACES_AFTER_A_BREAK)
            z, info = _iterate_outside_graph(self, step.op, step.x, batch=step.batch, num_graphs=step.num_graphs,
                                             z_init=step.z_init, out_dtype=step.out_dtype)
        else:
            z, info = self._iterate(step.op, step.x, batch=step.batch, num_graphs=step.num_graphs,
                                    z_init=step.z_init, out_dtype=step.out_dtype)
        if step.out_dtype is not None:
            z = z.to(step.out_dtype)
            if self.on_divergence != "ignore":
                (_check_overflow_outside_graph if compiling else _check_overflow)(self, z, info, step.out_dtype)
        return (z, info) if return_info else z


#: the exception classes a graph format's failure inside the ecosystem's code is raised again as, with a hint
_PLAIN_ERRORS = (ValueError, NotImplementedError, RuntimeError)


def _named_copy(forward: Callable, cls: type) -> Callable:
    """``forward``, inherited from the adapter's mixin, as a function of ``cls``'s own name: Python names
    a call's unknown keyword (``edge_weights=``) by the function's qualified name, which was the
    mixin's (``PyGLayer.forward``), a class the user never wrote. The same code, so the same tracing."""
    if not isinstance(forward, types.FunctionType):
        return forward
    copy = types.FunctionType(forward.__code__, forward.__globals__, forward.__name__, forward.__defaults__,
                              forward.__closure__)
    functools.update_wrapper(copy, forward)
    copy.__kwdefaults__ = forward.__kwdefaults__
    del copy.__wrapped__  # (the copy is the function itself, not a wrapper: inspect.signature reads it directly)
    copy.__qualname__ = f"{cls.__qualname__}.forward"
    return copy


def _sparse_tensor(graph) -> bool:
    return isinstance(graph, Tensor) and graph.layout != torch.strided


class _Step(NamedTuple):
    """What the set-up of one forward pass hands to the iteration."""

    op: Callable[[Tensor], Tensor]
    x: Tensor
    z_init: Optional[Tensor]
    batch: Optional[Tensor]
    num_graphs: Optional[int]
    out_dtype: Optional[torch.dtype]  # the input's half-precision dtype, iterated in float32 (else None)


def _check_overflow(layer: OperatorLayerBase, z: Tensor, info, dtype: torch.dtype) -> None:
    """Apply the layer's policies when the solve was finite in float32 but ``z`` overflows ``dtype``; when
    it diverged (reported already, unless by the overflow of its norms, whose message says so), say that
    the output holds Inf as well."""
    if bool(torch.isfinite(z).all()):
        return
    if not info.diverged:
        info.mark_overflow(dtype)  # finite in float32, beyond the range of the input's dtype
        apply_policy(info, layer.on_nonconvergence, layer.on_divergence)
    elif layer.on_divergence != "ignore" and info.divergence_reason != "nonfinite" and bool(info._finite):
        _emit(layer.on_divergence, f"{type(layer).__name__}: the diverged iterate, finite in float32 (the dtype the "
                                   f"iteration runs in), is beyond the range of {dtype}, the dtype the layer returns "
                                   f"(largest {torch.finfo(dtype).max:g}): the output holds Inf", info)


# under torch.compile: what reads values back, or a graph argument the compiler cannot trace, runs
# outside the compiled graph (one graph break each, never inside the iteration)
@torch.compiler.disable
def _setup_outside_graph(layer: OperatorLayerBase, *args) -> _Step:
    return layer._setup(*args)


@torch.compiler.disable
def _iterate_outside_graph(layer: OperatorLayerBase, *args, **kwargs):
    return layer._iterate(*args, **kwargs)


_check_overflow_outside_graph = torch.compiler.disable(_check_overflow)


def stochastic_parts(operator: nn.Module) -> list[str]:
    """The dropouts of ``operator`` active in training: ``torch.nn`` dropout modules with ``p > 0`` and
    a float ``dropout`` attribute above 0 (PyG's ``GATConv(dropout=...)`` and its kin), by name."""
    found = []
    for name, module in operator.named_modules():
        if isinstance(module, nn.modules.dropout._DropoutNd) and module.p > 0:
            found.append(f"{name or type(operator).__name__} (p={module.p})")
        rate = vars(module).get("dropout")
        if isinstance(rate, float) and rate > 0:
            found.append(f"{(name + '.') if name else type(module).__name__ + '.'}dropout={rate}")
    return found


def _warn_stochastic_operator(operator: nn.Module, tol: Optional[float], grad: str, where: str) -> None:
    """Warn when an operator with dropout inside is iterated to a ``tol`` or with a fixed-point
    gradient: in training each step draws new masks, so the map iterated has no fixed point."""
    if tol is None and grad == "unrolled":
        return
    parts = stochastic_parts(operator)
    if parts:
        effects = [x for x, on in ((f"tol={tol} is not reached", tol is not None),
                                   (f"grad={grad!r} gives the gradient of no fixed point", grad != "unrolled")) if on]
        warn_user(f"{where}: the operator applies dropout ({', '.join(parts)}): in training each step draws new "
                  "masks, so the map iterated changes from step to step and has no fixed point: "
                  f"{' and '.join(effects)}. Build the operator without dropout and pass the layer's dropout= "
                  "instead (one mask per forward pass with a tol or a fixed-point gradient)")


#: the attributes in which a layer keeps the features it propagated at its first call (PyG's ``SGConv``:
#: ``_cached_x``, ``SSGConv`` and DGL's ``SGConv``: ``_cached_h``), used where its ``cached`` (DGL:
#: ``_cached``) flag is set
_FEATURE_CACHES = ("_cached_x", "_cached_h")


def _refuse_feature_caches(operator: nn.Module, where: str) -> None:
    """Refuse an operator holding a layer that caches its propagated features (``SGConv(cached=True)``):
    every step, and every later call, would reuse the features of its first step, so that the map
    iterated is a constant and the layer converges at once to a wrong answer."""
    found = [name or type(operator).__name__ for name, module in operator.named_modules()
             if any(hasattr(module, a) for a in _FEATURE_CACHES)
             and (getattr(module, "cached", False) is True or getattr(module, "_cached", False) is True)]
    if found:
        raise ValueError(f"{where}: the operator caches its propagated features ({', '.join(found)} built with "
                         "cached=True): every step, and every later call, would reuse the features of its first "
                         "step, so the map iterated would be a constant. Build it with cached=False")


def _warn_batch_norm(operator: nn.Module, where: str) -> None:
    """Warn when an operator holds batch normalisation (PyG's ``GPSConv`` by default): in training each
    step normalises with the statistics of all the rows it is given, so that a graph's output depends
    on the other graphs of its batch, and the running statistics move at every step."""
    # (a layer built with batch_norm=False that holds its norms all the same, DGL's GatedGCNConv, never applies them)
    off = [name for name, module in operator.named_modules() if getattr(module, "batch_norm", None) is False]
    found = [name or type(operator).__name__ for name, module in operator.named_modules()
             if isinstance(module, nn.modules.batchnorm._BatchNorm)
             and not any(p == "" or name.startswith(p + ".") for p in off)]
    if found:
        warn_user(f"{where}: the operator holds batch normalisation ({', '.join(found)}): in training each step "
                  "normalises with the statistics of all the nodes given, so a graph's output depends on the other "
                  "graphs of its batch, and the running statistics are updated at every step (num_iterations times "
                  "per forward pass). Use a norm that works per node or per graph instead (LayerNorm; in PyG, "
                  "GraphNorm / GPSConv(norm='graph_norm'), which get the batch vector at every step)")


def split_operator_options(kwargs: dict) -> tuple[dict, dict]:
    """Split keywords into the iteration's (:data:`ITERATION_KEYS`) and the operator's."""
    it = {k: v for k, v in kwargs.items() if k in ITERATION_KEYS}
    op = {k: v for k, v in kwargs.items() if k not in ITERATION_KEYS}
    return it, op


def build_operator(backend: str, conv: str, channels: int, options: dict, where: str,
                   layer_given: Iterable[str] = (), layer_keys: Iterable[str] = ()) -> nn.Module:
    """``factory(channels, **options)`` for the operator ``conv`` registered for ``backend``; an
    option the factory does not take is an error listing the valid keywords. ``layer_given``: the
    iteration's options the caller set, which the layer keeps (a warning names those the factory
    takes too, and, for a factory with ``**kwargs``, the options spelt like one of the layer's).
    ``layer_keys``: the layer's own keywords beyond the iteration's (``conv``, ``form``), valid too."""
    factory = get_operator(conv, backend)
    try:
        signature = inspect.signature(factory)
    except (TypeError, ValueError):
        signature = None
    params = None if signature is None else list(signature.parameters.values())[1:]
    named = [] if params is None else [p.name for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)]
    if params is not None and not any(p.kind is p.VAR_KEYWORD for p in params):
        check_keys(f"{where}(conv={conv!r})", options, [*ITERATION_KEYS, *named, *layer_keys])
    elif params is not None:  # **kwargs: nothing refuses a misspelt option of the layer's
        for key in options:  # (0.85: num_iteration -> num_iterations, not PyG's num_relations)
            near = difflib.get_close_matches(key, [*ITERATION_KEYS, *layer_keys], n=1, cutoff=0.85)
            if near and key not in named:
                warn_user(f"{where}: {key}={options[key]!r} goes to the factory of operator {conv!r} (it takes "
                          f"**kwargs), not to the iteration: did you mean {near[0]}=?")
    shadowed = sorted(set(layer_given) & set(named))
    if shadowed:
        warn_user(f"{where}: {', '.join(shadowed)} set{'s' if len(shadowed) == 1 else ''} the layer's own "
                  f"option{'s' if len(shadowed) > 1 else ''}; the factory of operator {conv!r} takes a keyword of the "
                  "same name and keeps its default. To set the factory's, register a factory that fixes it "
                  f"(register_operator(name, functools.partial(factory, {shadowed[0]}=...)))")
    binds = signature is not None and _binds(signature, channels, options)
    try:
        operator = factory(channels, **options)
    except TypeError as e:
        if not binds:  # a factory that is not factory(channels, **options) -> module: named, not its bare TypeError
            raise TypeError(f"{where}: building operator {conv!r} as factory({channels}, **{options!r}) failed: {e} "
                            "(a registered factory is called as factory(channels, **options) and returns a "
                            "torch.nn.Module)") from e
        _raise_named(e, where, conv, factory)
    except ValueError as e:  # an option the factory refused (conv='sage', aggr='median'): in the layer's name
        _raise_named(e, where, conv, factory)
    if not isinstance(operator, nn.Module):
        raise TypeError(f"{where}: operator {conv!r} for backend {backend!r} returned "
                        f"{type(operator).__name__}, not a torch.nn.Module")
    return operator


def _raise_named(exc: Exception, where: str, conv: str, factory: Callable):
    """Raise ``exc``, from ``factory`` of operator ``conv``, again with ``where`` (the layer building it)
    and the operator starting its message, unless the message starts with the factory's own name (a
    class's or a base class's: ``GCNOperator: alpha ...``) or the layer's, or the exception is of a
    class of its own (whose constructor may take other arguments)."""
    text = str(exc)
    while isinstance(factory, functools.partial):
        factory = factory.func
    owners = [c.__name__ for c in factory.__mro__] if isinstance(factory, type) else [getattr(factory, "__name__", "")]
    owned = any(name and (text.startswith(f"{name}: ") or text.startswith(f"{name}(")) for name in owners + [where])
    if type(exc) in (TypeError, ValueError) and not owned:
        raise type(exc)(f"{where}: {text}" if f"conv={conv!r}" in text else f"{where}(conv={conv!r}): {text}") from exc
    raise exc


def _library_hook(hook) -> bool:
    """Whether ``hook`` is a function of PyG or DGL (registered by one of their tools, not the user)."""
    module = getattr(hook, "__module__", None) or getattr(getattr(hook, "func", None), "__module__", None) or ""
    return module.split(".")[0] in ("torch_geometric", "dgl")


#: torch's forward pre-hooks that compute a parameter from others before each call (``prune``'s
#: ``weight = weight_orig * weight_mask``, the older ``spectral_norm`` and ``weight_norm``)
_PARAMETER_HOOKS = (BasePruningMethod, SpectralNorm, WeightNorm)


def _parameter_hook(hook) -> bool:
    return isinstance(hook, _PARAMETER_HOOKS)


def _recompute_parameters(op: nn.Module, x: Tensor) -> None:
    """Run the parameter-computing pre-hooks of ``op`` and its modules (:data:`_PARAMETER_HOOKS`) once per
    forward pass, as ``op(...)`` would: a ``bind`` reads the parameters without calling the module, so a
    pruned weight stayed the tensor of an earlier pass (its graph freed by then: the next backward failed)."""
    for module in op.modules():
        for hook in list(module._forward_pre_hooks.values()):
            if _parameter_hook(hook):
                hook(module, (x,))


def user_hooks(module: nn.Module, attributes: Iterable[str]) -> frozenset:
    """``(attribute, key)`` of the hooks ``module`` holds in its hook dictionaries ``attributes`` (such as
    ``"_forward_hooks"``), leaving out those the GNN libraries' own tools register on every
    message-passing module (PyG's ``get_embeddings``, which PGExplainer calls, reads a layer's output from
    its own hook) and torch's parameter-computing ones, which the layer runs (:func:`_recompute_parameters`)."""
    return frozenset((name, key) for name in attributes for key, hook in getattr(module, name, {}).items()
                     if not _library_hook(hook) and not _parameter_hook(hook))


def warn_unrun_hooks_once(module: nn.Module, hooks: frozenset, memo: str, message: str) -> None:
    """Warn ``message`` about ``hooks`` of ``module`` that never run, once per set of hooks (a training loop
    would show it at every step where a ``catch_warnings`` block resets Python's memory of the warnings
    shown), and again once a filter that hid it is lifted; ``memo`` names the record in the module."""
    if hooks and module.__dict__.get(memo) != hooks and warn_user(message):
        module.__dict__[memo] = hooks


def _warn_unrun_hooks(layer: nn.Module, op: nn.Module) -> None:
    """Module hooks on an operator with a ``bind`` never run: the iteration calls the step that ``bind``
    returned, not ``operator(...)``; say which hooks do run."""
    hooks = user_hooks(op, ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks"))
    if not hooks:
        return
    where = type(layer).__name__
    watched = ("a hook on its propagate (operator.register_propagate_forward_hook, register_message_forward_hook) "
               "runs at every step, " if hasattr(op, "register_propagate_forward_hook") else "")
    warn_unrun_hooks_once(op, hooks, "_unrun_hooks_named",
                          f"{where}: the module hooks (forward or backward) registered on {where}.operator "
                          f"({type(op).__name__}) are not run: each step calls the function its bind() returned, not "
                          f"operator(...); {watched}a hook on the layer runs once per forward")


def _smallest_subnormal(dtype: torch.dtype) -> float:
    """The smallest positive value of a floating ``dtype`` (its smallest normal value times its eps)."""
    return torch.finfo(dtype).tiny * torch.finfo(dtype).eps


def check_weights_fit(edge_weight: Tensor, dtype: torch.dtype, where: str, op_name: str) -> None:
    """Refuse floating-point edge weights that ``_bind``'s cast to the features' floating ``dtype`` would make
    infinite (float32 weights above 65504 given to a float16 layer read as an expansive operator) or zero
    (float32 weights below float16's smallest value, 6e-8, would drop their edges)."""
    if not edge_weight.numel():
        return
    w = edge_weight.detach()
    if torch.finfo(dtype).max < torch.finfo(edge_weight.dtype).max:
        peak = w.abs().max()
        largest = float(peak)
        if not bool(torch.isfinite(peak.to(dtype))) and largest < float("inf"):  # (65519 rounds to 65504: taken)
            raise ValueError(f"{where}: edge_weight holds values up to {largest:.4g}, beyond the range of {dtype} "
                             f"(largest {torch.finfo(dtype).max:.6g}), the features' dtype that {op_name} gets them in: "
                             "they would be inf. Scale the weights down, or run the layer in float32")
    if dtype not in (torch.float16, torch.bfloat16) or _smallest_subnormal(dtype) <= _smallest_subnormal(w.dtype):
        return  # (a float64 weight below float32's range is no weight anyone gives; a wider cast loses none)
    zeroed = (w.to(dtype) == 0) & (w != 0)
    if bool(zeroed.any()):
        least = float(w[zeroed].abs().min())
        raise ValueError(f"{where}: edge_weight holds {int(zeroed.sum())} nonzero value(s) that are 0 in {dtype} "
                         f"(the smallest, {least:.4g}), the features' dtype that {op_name} gets them in: their edges "
                         "would drop out. Scale the weights up, or run the layer in float32")


def _scalar_features_hint(edge_attr: Tensor, takes_weights: bool) -> str:
    """For edge features refused by an operator that takes edge weights (by name: not one that passes
    its keywords on to a layer that takes none): where one real number per edge goes (many datasets
    keep their edge weights as ``edge_attr``); nothing for integer features (edge types, not weights)."""
    if not takes_weights or not isinstance(edge_attr, Tensor) or not edge_attr.is_floating_point():
        return ""
    if edge_attr.dim() == 1:
        return "; one weight per edge goes in edge_weight= (edge_weight=edge_attr)"
    if edge_attr.dim() == 2 and edge_attr.size(1) == 1:
        return "; one weight per edge goes in edge_weight= (edge_weight=edge_attr.view(-1))"
    return ""


def _binds(signature: inspect.Signature, channels: int, options: dict) -> bool:
    """Whether a factory of ``signature`` takes ``factory(channels, **options)``."""
    try:
        signature.bind(channels, **options)
    except TypeError:
        return False
    return True


def _gcn_option(name: str) -> property:
    """The layer's attribute ``name``: the GCN operator's option of that name, read and set there
    (checked by it), as PyG's ``APPNP`` and ``GCNConv`` show theirs; with another operator a plain
    attribute of the layer. (A property, not ``__getattr__``: torch.compile traces those plainly.)"""

    def holder(self) -> Optional[GCNOperatorBase]:
        op = self._modules.get("operator") if "_modules" in vars(self) else None
        return op if isinstance(op, GCNOperatorBase) else None

    def get(self):
        op = holder(self)
        if op is not None:
            return getattr(op, name)
        if name in vars(self):
            return vars(self)[name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def set(self, value) -> None:
        op = holder(self)
        if op is None:  # nothing would read it: refused rather than kept as a value without effect
            conv = getattr(self, "conv_name", None)
            iterated = self._modules.get("operator") if "_modules" in vars(self) else None
            raise AttributeError(
                f"{type(self).__name__}: {name} is an option of the GCN operator (conv='gcn'); this layer iterates "
                + (f"conv={conv!r}, whose operator takes its options when it is built: build a new layer with "
                   f"{name}=..., or set layer.operator.{name} if your operator reads it" if conv is not None else
                   f"{type(iterated).__name__}: set layer.operator.{name} if it reads one"))
        setattr(op, name, value)

    return property(get, set, doc=f"The GCN operator's ``{name}`` (set only with the GCN operator).")


def _python_number(value: Any) -> Any:
    """A NumPy scalar as the Python number it holds; any other value as it is."""
    if type(value).__module__ == "numpy" and isinstance(value, numbers.Number):
        return value.item()
    return value


def _factory_defaults(factory: Callable) -> dict:
    """The keyword options of an operator ``factory`` with a default, and their defaults (none where
    its signature cannot be read); the iteration's option names are the layer's."""
    try:
        params = list(inspect.signature(factory).parameters.values())[1:]
    except (TypeError, ValueError):
        return {}
    return {p.name: p.default for p in params if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
            and p.default is not p.empty and p.name not in ITERATION_KEYS}


def _same_option(a: Any, b: Any) -> bool:
    """Whether two values of an option are the same: the same object, or equal ones (1 and 1.0, a NumPy
    number and its value, equal tuples); a comparison that gives no single truth value is not."""
    if a is b:
        return True
    try:
        return bool(a == b)
    except Exception:  # (a tensor of several values, an object that refuses to compare)
        return False


def _lazy_linear(out_features: int, bias: bool = False) -> nn.Module:
    """``nn.LazyLinear(out_features, bias=bias)``, without the notice older torch versions give for
    every lazy module (the layer's API does not change with it)."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="Lazy modules are a new feature", category=UserWarning)
        return nn.LazyLinear(out_features, bias=bias)


class RegistryLayerBase(OperatorLayerBase):
    """An :class:`OperatorLayerBase` whose operator comes from the registry of its adapter's backend:
    the body of every adapter's ``PIGNConv``. Keywords other than the iteration's go to the operator's
    factory."""

    #: the constructor's names of the input and output widths (the ecosystem's: GCNConv's, GraphConv's)
    width_args: tuple[str, str] = ("in_channels", "out_channels")
    _fixed_attributes = OperatorLayerBase._fixed_attributes | {"form", "conv_name", "in_channels", "out_channels",
                                                                "lin"}

    def _rebuild_keyword(self, name: str) -> Optional[str]:
        widths = dict(zip(("in_channels", "out_channels"), self.width_args), channels=self.width_args[1])
        return widths.get(name) or {"conv_name": "conv", "lin": None}.get(name, super()._rebuild_keyword(name))

    def __setattr__(self, name: str, value) -> None:
        # an option given to a registered operator's factory (shown in the repr), assigned on one of the
        # library's layers: nothing reads it there (the GCN operator's own are properties that set it on the
        # operator; a subclass of yours may keep an attribute of that name, and the value given, set again,
        # changes nothing)
        # (given, set by the form, or the factory's default: `bias` of the paper's form too)
        built = self.__dict__.get("_operator_built")
        if built is not None and name in built and library_name(self, name) and not _same_option(value, built[name]):
            raise AttributeError(
                f"{type(self).__name__}: {name} is an option of the operator of conv={self.conv_name!r}, which it "
                f"takes when it is built ({name}={built[name]!r} here); assigned on the layer it changes nothing: "
                + ("" if name in getattr(self.operator, "_parameters", {}) else  # (a parameter's slot: a rebuild)
                   f"set layer.operator.{name} if your operator reads it, or ")
                + f"build a new layer with {name}={value!r}")
        super().__setattr__(name, value)

    def __init__(self, in_channels: int, out_channels: Optional[int] = None, *, num_iterations: int = 8,
                 smoothing=None, tol: Optional[float] = None, act=None, dropout: float = 0.0, conv: str = "gcn",
                 form: Optional[str] = None, **kwargs) -> None:
        where = type(self).__name__
        in_name, out_name = self.width_args

        def width(name: str, value, lazy: bool = False) -> int:
            whole = isinstance(value, numbers.Integral) and not isinstance(value, bool)
            if not whole or (value < 1 and not (lazy and value == -1)):
                raise (ValueError if whole else TypeError)(
                    f"{where}: {name} must be an int >= 1{' or -1 (read from the first input)' if lazy else ''}, "
                    f"got {value!r} ({where}({in_name}, {out_name}=None, *, num_iterations=8, ...): the iteration's "
                    "options are keywords)")
            if value > INDEX_MAX:  # (beyond it torch fails building the weights, naming no argument)
                raise ValueError(f"{where}: {name} must be an int >= 1 and <= 2**63 - 1 (torch's index range), "
                                 f"got {value}")
            return int(value)

        out_channels = None if out_channels is None else width(out_name, out_channels)
        if isinstance(in_channels, numbers.Integral) and in_channels == -1 and out_channels is None:
            raise ValueError(f"{where}: {in_name}=-1 (the input width read from the first input) needs "
                             f"{out_name}, the width of the iteration: {where}(-1, {out_name})")
        in_channels = width(in_name, in_channels, lazy=True)
        channels = in_channels if out_channels is None else out_channels
        if not isinstance(conv, str):
            raise TypeError(f"{where}: conv must be a registered operator name, got {type(conv).__name__} "
                            "(to iterate a module you built, use IterativeConv(module))")
        form, keys = registered_form(conv, self.adapter.name, form, where)
        # the form sets what the factory takes, but not a keyword a functools.partial of it fixes
        values = form_defaults(form, keys - partial_keywords(get_operator(conv, self.adapter.name)))
        form_smoothing, form_act = values.pop("smoothing"), values.pop("act")
        config = kwargs.get("config")
        if smoothing is None and isinstance(config, SolveConfig) and config.smoothing is not None:
            form_smoothing = config.smoothing  # a config's smoothing is given, as a keyword would be: the form's yields
        smoothing = form_smoothing if smoothing is None else smoothing
        act = form_act if act is None else act
        given = set(kwargs)
        for key, value in values.items():  # the operator's options the form sets (alpha, beta, propagation, bias)
            kwargs.setdefault(key, value)
        it, opts = split_operator_options(kwargs)
        # for the repr, a NumPy number as the Python number it is (heads=2, not heads=np.int64(2))
        given_options = {k: _python_number(v) for k, v in opts.items() if k in given}
        layer_given = set(it) | {k for k, v in (("smoothing", smoothing is not form_smoothing), ("tol", tol is not None),
                                                ("act", act is not form_act), ("dropout", dropout != 0.0)) if v}
        operator = build_operator(self.adapter.name, conv, channels, opts, where, layer_given,
                                  (*self.width_args, "conv", "form"))
        if form != "paper" and not hasattr(operator, "bind"):
            # the forms' initial residual alpha * x reaches an operator only through its bind, which gets x
            raise ValueError(f"{where}: form={form!r} adds alpha * x at every step, which an operator does through "
                             f"a bind(x, graph, ...) method (the GCN operator's); conv={conv!r} declares takes_forms = "
                             f"True but has no bind, so it would never see x. Give {type(operator).__name__} a bind "
                             "(see iterative_core.wrapping), or take form='paper' with inject_input=True")
        super().__init__(operator, channels, num_iterations, smoothing, tol, act, dropout, **it)
        self.in_channels, self.out_channels = in_channels, channels
        # a learned projection to the iteration's width when it differs from the input's (GCNConv's in -> out)
        # (in_channels=-1: a lazy map, its width read from the first input, as PyG's Linear(-1, ...))
        self.lin = (None if in_channels == channels else _lazy_linear(channels) if in_channels == -1
                    else nn.Linear(in_channels, channels, bias=False))
        self.conv_name = conv
        self.form = form
        self._operator_options = given_options
        # every option the operator was built with, its factory's defaults included: assigned on the layer, none
        # would change anything
        self._operator_built = {**_factory_defaults(get_operator(conv, self.adapter.name)), **opts}
        # the GCN operator's options that may change later (conv.alpha = 0.2): shown when given or changed
        self._mutable_options = ({k: getattr(operator, k) for k in sorted(GCN_MUTABLE_OPTIONS) if hasattr(operator, k)}
                                 if isinstance(operator, GCNOperatorBase) else {})
        self._default_form = resolve_form(None, keys, conv, where)

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if self.lin is not None:
            self.lin.reset_parameters()

    def _input_width(self) -> tuple[str, Optional[int]]:
        # with a projection the features have the input width, named as the constructor names it; a
        # lazy one (in_channels=-1, kept as PyG keeps it) has the width its map read (None: not yet)
        if self.lin is None:
            return super()._input_width()
        name = self.width_args[0]
        if self.in_channels != -1:
            return name, self.in_channels
        # (an UninitializedParameter until the first input; an isinstance test, which torch.compile traces)
        if isinstance(self.lin.weight, nn.parameter.UninitializedParameter):
            return name, None
        return f"{name}=-1, read from its first input as {name}", self.lin.weight.shape[1]

    def _project(self, x: Tensor) -> Tensor:
        if self.lin is None:
            return x
        check_linear_dtype(x, self.lin, type(self).__name__, "the layer")
        return self.lin(x)

    def _load_from_state_dict(self, state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                              error_msgs):
        # an operator's parameters under the other backend's names: a hint says how to convert them
        # (torch lists the keys as missing and unexpected: an error with strict=True only)
        convert = _other_backend_names(state_dict, prefix + "operator.", self.conv_name, self.adapter.name)
        if convert is not None:
            hint(convert)
        self._check_input_map(state_dict, prefix)
        super()._load_from_state_dict(state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys,
                                      error_msgs)

    def _check_input_map(self, state_dict: Mapping, prefix: str) -> None:
        """A checkpoint's learned input map ``lin`` when this layer has none, or none when it has one (a
        checkpoint of this layer's operator without the map): a hint names the layer that loads it (torch
        lists the map's keys as unexpected or missing: an error with ``strict=True``; with ``strict=False``
        a missing map would stay as initialised)."""
        weight = state_dict.get(prefix + "lin.weight")
        where, out = type(self).__name__, self.out_channels
        if weight is None and self.lin is not None:
            if any(key.startswith(prefix + "operator.") for key in state_dict):
                shown = f"{where}({self.in_channels}, {out})"
                hint(f"the state_dict has no learned input map {prefix}lin.weight, which this {shown} has"
                     + (" (in_channels=-1 always adds the map)" if self.in_channels == -1 else "")
                     + f": a state_dict of {where}({out}), whose input is as wide as its output, has none; build "
                     "that layer to load one (this one keeps its map as initialised)")
            return
        if weight is None or self.lin is not None:
            return
        width = weight.shape[1] if isinstance(weight, Tensor) and weight.dim() == 2 else None
        build = f"{where}({width}, {out})" if width is not None and width != out else f"{where}(-1, {out})"
        hint(
            f"the state_dict has the learned input map {prefix}lin.weight (shape {tuple(weight.shape)}), which this "
            f"{where}({self.in_channels}) has not: it was saved from {build}"
            + (" (in_channels=-1 always adds the map, even for an input as wide as the output)" if width == out else "")
            + "; build that layer to load it")

    def extra_repr(self) -> str:
        """The layer's arguments that differ from their defaults (``num_iterations`` and ``smoothing``
        always), as the layer's ``repr`` shows them."""
        parts = [f"{self.in_channels}"] + ([f"{self.out_channels}"] if self.lin is not None else [])
        if self.conv_name != "gcn":
            parts.append(f"conv={self.conv_name!r}")
        if self.form != self._default_form:
            parts.append(f"form={self.form!r}")
        shown = dict(self._operator_options)
        for k, first in self._mutable_options.items():
            now = getattr(self.operator, k, first)
            if k in shown or now != first:
                shown[k] = now
        parts += [f"{k}={v!r}" for k, v in shown.items()]
        parts.append(self._iteration_repr())
        return ", ".join(parts)


def _other_backend_names(state_dict: Mapping, prefix: str, conv: str, backend: str) -> Optional[str]:
    """How to convert ``state_dict`` when the parameters of operator ``conv`` under ``prefix`` carry
    another backend's names (None when they do not, or when the operator's names are the same in both)."""
    for other in ("pyg", "dgl"):
        if other == backend:
            continue
        try:
            ours, theirs = _state_dict_keys(conv, backend), _state_dict_keys(conv, other)
        except (KeyError, ValueError):  # an operator registered in one backend only
            continue
        for key in state_dict:
            if not key.startswith(prefix):
                continue
            local = key[len(prefix):]
            if _rename(local, ours) is None and _rename(local, theirs) is not None:
                return (f"the state_dict's parameter {key!r} has {other}'s name for operator {conv!r}: convert "
                        f"the state_dict first, {backend}_iterative.convert_state_dict(state_dict, {conv!r}, {other!r}, "
                        f"{backend!r})")
    return None


# (on every layer that iterates an operator: IterativeConv(GCNOperator(C)) too, where layer.alpha = 0.3 was a
# plain attribute that nothing read)
for _name in sorted(GCN_LAYER_ATTRIBUTES):
    setattr(OperatorLayerBase, _name, _gcn_option(_name))
del _name
