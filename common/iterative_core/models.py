"""The PIGN models' backend-agnostic bodies: encoder, the iterated convolution, (pooling,) decoder."""
from __future__ import annotations

import inspect
import math
import numbers
import re
from typing import Any, Optional

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ._compile import is_compiling
from ._keys import _SAME_MEANING, UnknownKeywords, check_choice, library_name
from ._state_dict import HintedLoad
from ._warnings import warn_user
from .checks import check_flag, check_int, check_one_graph, check_real, got
from .forms import registered_form
from .fixed_point import _batch_ids, _check_batch
from .info import FixedPointInfo
from .wrapping import _lazy_linear
from .validation import (NonFiniteFeaturesError, all_finite, check_features, check_linear_dtype, compute_dtype,
                         nonfinite_features, one_weight_per_edge)


#: the model's own dropouts (the convolution's is its ``conv.dropout``, the constructor's ``conv_dropout``)
_MODEL_DROPOUTS = ("dropout", "input_dropout", "decoder_dropout")
#: the widths its linear maps and its convolution are built with: fixed once built
_MODEL_WIDTHS = ("in_channels", "hidden_channels", "out_channels")


def _probability(name: str, p, model: nn.Module) -> float:
    """A dropout probability in [0, 1), checked as the layers check theirs (TypeError, ValueError)."""
    return check_real(name, p, low=0.0, high=1.0, high_open=True, where=type(model).__name__)


def feature_dropout(x: Tensor, p: float, training: bool) -> Tensor:
    """``F.dropout`` for dense, sparse COO and sparse CSR features: a sparse input keeps its layout,
    its stored entries dropped and rescaled (zeros stay zero, as in the dense case)."""
    if not training or p == 0.0 or x.layout == torch.strided:
        return F.dropout(x, p, training)
    if x.layout == torch.sparse_coo:
        x = x.coalesce()
        return torch.sparse_coo_tensor(x.indices(), F.dropout(x.values(), p, True), x.shape,
                                       check_invariants=False, is_coalesced=True)
    if x.layout == torch.sparse_csr:
        return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), F.dropout(x.values(), p, True),
                                       x.shape, check_invariants=False)
    raise TypeError(f"input dropout: node features of layout {x.layout} are not supported; "
                    "use a dense, sparse COO or sparse CSR tensor")


class PIGNBase(HintedLoad, nn.Module):
    """Input dropout :math:`\\to` encoder :math:`\\to` dropout :math:`\\to` iterated convolution
    :math:`\\to` dropout :math:`\\to` decoder (the paper's iterative GCN). The three dropouts default
    to ``dropout``. Adapters set ``conv_class`` and write ``forward`` in their ecosystem's order."""

    conv_class: type = None  # set by the adapter

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_iterations: int = 8,
                 *, dropout: float = 0.5, input_dropout: Optional[float] = None,
                 conv_dropout: Optional[float] = None, decoder_dropout: Optional[float] = None,
                 **conv_kwargs) -> None:
        super().__init__()
        where = type(self).__name__
        # in_channels=-1: the encoder's input width read from the first input (PyG's convention, as in its
        # BasicGNN models and Linear(-1, ...))
        whole = isinstance(in_channels, numbers.Integral) and not isinstance(in_channels, bool)
        lazy = whole and in_channels == -1
        if not lazy:
            if not whole or in_channels < 1:
                raise (ValueError if whole else TypeError)(
                    f"{where}: in_channels must be an int >= 1 or -1 (read from the first input), got {got(in_channels)}")
            in_channels = check_int("in_channels", in_channels, minimum=1, where=where)
        hidden_channels, out_channels = (
            check_int(name, value, minimum=1, where=where) for name, value in
            (("hidden_channels", hidden_channels), ("out_channels", out_channels)))
        in_channels = int(in_channels)
        num_iterations = check_int("num_iterations", num_iterations, where=where)
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.dropout = _probability("dropout", dropout, self)
        # as in APPNP and GCNII: the same dropout before each linear map, the encoder's and the decoder's
        # included (docs/results/defaults, rounds 5 and 6)
        self.input_dropout = (self.dropout if input_dropout is None
                              else _probability("input_dropout", input_dropout, self))
        self.decoder_dropout = (self.dropout if decoder_dropout is None
                                else _probability("decoder_dropout", decoder_dropout, self))
        self.encoder = _lazy_linear(hidden_channels, bias=True) if lazy else nn.Linear(in_channels, hidden_channels)
        widths = [name for name in getattr(self.conv_class, "width_args", ()) if name in conv_kwargs]
        if widths:  # (DGL's out_feats built a 4 -> 7 layer before a decoder of 4: torch's matmul error at the call)
            raise TypeError(f"{where}: {widths[0]}={conv_kwargs[widths[0]]!r} is a width of the iterated "
                            f"{self.conv_class.__name__}, which the model sets: it iterates at hidden_channels "
                            f"({hidden_channels}); the model's in_channels, hidden_channels and out_channels set "
                            "its widths")
        # the authors' model drops out inside the iteration too; the other forms do not
        conv = conv_kwargs.get("conv", "gcn")
        form, _ = registered_form(conv, self.conv_class.adapter.name, conv_kwargs.get("form"), type(self).__name__)
        self._conv_dropout_default = dropout if form == "paper" else 0.0
        # a dropout the user gives goes in at construction (where a factory's keyword of that name is
        # told apart); the model's own default is set after it, being no clash with a factory's
        given = {} if conv_dropout is None else {"dropout": _probability("conv_dropout", conv_dropout, self)}
        try:
            self.conv = self.conv_class(hidden_channels, num_iterations=num_iterations, **given, **conv_kwargs)
        except UnknownKeywords as err:  # a keyword neither the layer's nor the model's: the model's named too
            own = {name for cls in type(self).__mro__ if "__init__" in vars(cls) and issubclass(cls, PIGNBase)
                   for name, p in inspect.signature(cls.__init__).parameters.items()
                   if name != "self" and p.kind not in (p.VAR_KEYWORD, p.VAR_POSITIONAL)}
            raise UnknownKeywords(f"{where}: {err.where}", err.unknown, [*err.valid, *own]) from None
        except (TypeError, ValueError) as err:  # an option for the layer: the message names the model too
            if type(err) in (TypeError, ValueError) and err.args and isinstance(err.args[0], str):
                err.args = (f"{type(self).__name__}: {err.args[0]}",) + err.args[1:]
            raise  # (its own traceback: a user's operator that fails shows its line)
        if not given and self._conv_dropout_default:
            self.conv.dropout = self._conv_dropout_default
        self.decoder = nn.Linear(hidden_channels, out_channels)

    def __setattr__(self, name: str, value) -> None:
        # the model's dropouts are checked as at construction; the convolution's options are its own (set on
        # the model, num_iterations or tol was a new attribute that nothing read); a subclass of your own, or a
        # property of its class, may use those names as it likes
        if name in _MODEL_DROPOUTS and not isinstance(value, nn.Module):
            value = _probability(name, value, self)
        elif name in _MODEL_WIDTHS and name in self.__dict__ and not (
                isinstance(value, numbers.Integral) and value == self.__dict__[name]):
            # (the repr showed the new width, the maps computed with the one built; a new in_channels refused
            # the input the encoder takes)
            held = self.__dict__[name]
            raise AttributeError(f"{type(self).__name__}: {name} is fixed when the model is built (it is {held!r}; "
                                 + ("its encoder reads the width from the first input" if held == -1 else
                                    "its layers have that width")
                                 + f"): build a new model with {name}={value!r}")
        elif name not in self.__dict__ and library_name(self, name) and self._modules.get("conv") is not None:
            exposed = getattr(type(self.conv), "_exposed_options", ())
            if name == "conv_dropout" or (name in exposed and name != "dropout"):
                own = "dropout" if name == "conv_dropout" else name
                raise AttributeError(f"{type(self).__name__}: {name} is an option of the iterated convolution, not of "
                                     f"the model: set model.conv.{own} (it is checked there)")
            if _SAME_MEANING.get(name) in exposed:  # fixed_point's name (max_iter for num_iterations)
                raise AttributeError(f"{type(self).__name__}: {name} is not an option of the model: the iterated "
                                     f"convolution's {_SAME_MEANING[name]} is: set model.conv.{_SAME_MEANING[name]} "
                                     "(it is checked there)")
        super().__setattr__(name, value)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.conv.reset_parameters()
        self.decoder.reset_parameters()

    def check_input(self, x: Tensor) -> None:
        """The node features' type, shape, dtype and width, as the layer checks its own, and their
        dtype against the model's (autocast aside): no synchronisation, so ``validate=False`` keeps
        them; the convolution checks the encoded features for NaN/Inf."""
        where = type(self).__name__
        name, width = "in_channels", self.in_channels
        if width == -1:  # lazy: the width its encoder read from the first input (None: not yet read)
            weight = self.encoder.weight
            name, width = (("in_channels", None) if isinstance(weight, nn.parameter.UninitializedParameter)
                           else ("in_channels=-1, read from its first input as in_channels", weight.shape[1]))
        check_features(x, width, where, name=name, owner="the model")
        check_linear_dtype(x, self.encoder, where, "the model")

    def check_order(self, x, graph) -> None:
        """The features and the graph in the ecosystem's order (the adapter's check), before the
        features' own checks. Not under ``torch.compile`` (torch 2.2 cannot trace the call of the
        adapter's classmethod; the features' checks refuse such input there)."""
        if not is_compiling():
            self.conv_class.adapter.check_order(type(self).__name__, x, graph)

    def check_arguments(self, signature: str, edge_weight=None, num_edges: Optional[int] = None, *,
                        takes_batch: bool, shown: str = "edge_weight", return_info: Any = False, **flags) -> None:
        """The arguments ``forward`` passes on to its convolution that are easily given in the wrong
        place, named as the model's: a bool among ``flags`` (each ``name=(what it must be, value)``),
        ``return_info`` given in another argument's place (the other backend's order); and edge weights
        that are not floating-point, such as a batch vector in their place (PyG's
        ``model(x, edge_index, batch)``), pointed to ``batch=`` only where ``forward`` takes one
        (``takes_batch``), or whose count is not the graph's ``num_edges`` (when known; the convolution
        checks the rest); ``shown``: the weights as given (an edge feature's name in DGL). ``signature``:
        ``forward``'s arguments, as the message shows them."""
        where = type(self).__name__
        for name, (what, value) in flags.items():
            if isinstance(value, bool):
                raise TypeError(f"{where}: {name} must be {what}, got {value}, a bool; {where}.forward takes "
                                f"({signature}): if it is return_info, pass return_info={value} by keyword")
        if not isinstance(return_info, torch.fx.Proxy):  # (torch.fx's tracing is refused by the input's check)
            check_flag("return_info", return_info, where=where)  # (before the solve: a batch vector in its place)
        if isinstance(edge_weight, Tensor):
            one_weight_per_edge(edge_weight, num_edges, where, takes_batch=takes_batch, shown=shown)

    def encode(self, x: Tensor) -> Tensor:
        self.check_input(x)
        x = feature_dropout(x, self.input_dropout, self.training)
        x = F.relu(self.encoder(x))
        return F.dropout(x, self.dropout, self.training)

    def iterate(self, x: Tensor, *args, **kwargs):
        """``self.conv(*args, **kwargs)``; NaN/Inf that the convolution finds in the encoded features
        and that came with the model's input ``x`` are counted in ``x`` and named in the model's name
        (the convolution counted the encoder's output, where one NaN feature fills a row)."""
        try:
            return self.conv(*args, **kwargs)
        except NonFiniteFeaturesError:
            if is_compiling() or not isinstance(x, Tensor):
                raise
            error = nonfinite_features(x, type(self).__name__, "Check the data")
            if error is None:  # the input is finite: the encoder's parameters made them
                raise
            raise error from None

    def decode(self, z: Tensor, info: FixedPointInfo, return_info: bool, embed: bool = False):
        """The decoder's output for the iteration's answer ``z`` (with ``info`` when ``return_info``); with
        ``embed``, ``z`` itself, the node embeddings (DGL's ``PGExplainer`` asks for them with ``embed=True``)."""
        return_info = check_flag("return_info", return_info, where=type(self).__name__)
        if not isinstance(embed, bool):
            raise TypeError(f"{type(self).__name__}: embed must be True or False, got {got(embed)}")
        out = z if embed else self.decoder(F.dropout(z, self.decoder_dropout, self.training))
        return (out, info) if return_info else out

    def dropout_defaults(self) -> dict[str, float]:
        """Each dropout's default (the repr shows those that differ)."""
        return {"dropout": 0.5, "input_dropout": self.dropout, "decoder_dropout": self.dropout}

    def conv_repr(self) -> str:
        """The model's dropouts that differ from their defaults, then the convolution's arguments but
        its width (its dropout shown as ``conv_dropout``, the model's name for it)."""
        parts = [f"{k}={getattr(self, k)}" for k, default in self.dropout_defaults().items()
                 if getattr(self, k) != default]
        conv = self.conv.extra_repr()
        width = f"{self.hidden_channels}, "
        conv = conv[len(width):] if conv.startswith(width) else conv
        parts.append(re.sub(r"(^|, )dropout=", r"\1conv_dropout=", conv))
        if self.conv.dropout == 0.0 and getattr(self, "_conv_dropout_default", 0.0) != 0.0:  # (the layer shows none of 0)
            parts.append("conv_dropout=0.0")
        return ", ".join(parts)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"{self.conv_repr()})")


POOLS = ("mean", "sum", "max")


def global_pool(z: Tensor, batch: Optional[Tensor], num_graphs: Optional[int] = None, how: str = "mean", *,
                validate: bool = True) -> Tensor:
    """``[num_graphs, C]`` readout of the node rows of each graph (``batch[i]``: node ``i``'s graph).

    Without ``batch`` all rows are one graph. A graph without nodes reads as zeros. Half-precision
    rows are summed and counted in float32 (a float16 count stops at 2048, a bfloat16 one at 256) and
    the readout returned in their dtype, so that a graph reads the same alone and in any batch; a graph
    whose float16 sum overflows (a sum over many nodes) is named in a warning, which reads a value back
    (``validate=False``: not checked).
    """
    check_choice("pool", how, POOLS, where="global_pool")
    num_graphs = check_int("num_graphs", num_graphs, minimum=0, optional=True, where="global_pool")
    if batch is None:
        check_one_graph(num_graphs, "global_pool", "the rows")  # (it returned one row)
        if z.size(0) == 0:  # as such a graph reads in a batch
            return z.new_zeros(1, z.size(1))
        if how == "max":  # (amax, as a batch's scatter_reduce: the gradient split among tied rows, not sent to one)
            return z.amax(0, keepdim=True)
        acc = compute_dtype(z.dtype)
        out = z.to(acc).mean(0, keepdim=True) if how == "mean" else z.to(acc).sum(0, keepdim=True)
        return _readout_in(out, z.dtype, how, validate)
    # (the checks of the iteration's batch: an index out of range failed inside torch, or asserted on a GPU;
    # graph ids of any integer dtype: a DGL graph of idtype int32 gives int32 ones)
    batch = _batch_ids(batch, "global_pool", "z", any_integer=True)
    num_graphs = _check_batch(batch, z, num_graphs, "global_pool", read=False, rows="z")
    if num_graphs is None:  # (no rows)
        num_graphs = 0
    if how == "max":
        out = _MaxReadout.apply(z, batch, num_graphs)
        has_nodes = torch.zeros(num_graphs, dtype=torch.bool, device=z.device).index_fill_(0, batch, True)
        return torch.where(has_nodes.unsqueeze(-1), out, out.new_zeros(()))  # (a graph without nodes: zeros)
    acc = compute_dtype(z.dtype)
    out = torch.zeros(num_graphs, z.size(1), dtype=acc, device=z.device).index_add_(0, batch, z.to(acc))
    if how == "mean":
        count = torch.zeros(num_graphs, dtype=acc, device=z.device).index_add_(
            0, batch, torch.ones(batch.shape, dtype=acc, device=z.device))
        out = out / count.clamp_min(1).unsqueeze(-1)
    return _readout_in(out, z.dtype, how, validate)


class _MaxReadout(torch.autograd.Function):
    """``[num_graphs, C]`` column maxima of each graph's rows (-inf for a graph without rows), whose
    gradient is split evenly among the rows that reach the maximum, as ``amax`` of one graph's rows
    splits it. ``scatter_reduce``'s own gradient counted its start value as one more tied row where
    the maximum equals it (0, or -inf): 1/(k+1) each instead of 1/k."""

    @staticmethod
    def forward(ctx, z: Tensor, batch: Tensor, num_graphs: int) -> Tensor:
        out = torch.full((num_graphs, z.size(1)), -math.inf, dtype=z.dtype, device=z.device)
        out = out.scatter_reduce(0, batch.view(-1, 1).expand_as(z), z, "amax", include_self=False)
        ctx.save_for_backward(z, batch, out)
        return out

    @staticmethod
    def backward(ctx, grad: Tensor):
        z, batch, out = ctx.saved_tensors
        tied = (z == out[batch]).to(grad.dtype)
        count = torch.zeros_like(grad).index_add_(0, batch, tied)
        return grad[batch] * tied / count.clamp_min(1)[batch], None, None


def _readout_in(out: Tensor, dtype: torch.dtype, how: str, validate: bool) -> Tensor:
    """The readout ``out``, summed in float32, returned in the rows' dtype, with a warning where a graph's
    float16 sum is finite in float32 but overflows float16 (the decoder then turns its Inf into NaN; a mean
    or a maximum of finite rows cannot overflow, nor can bfloat16, which has float32's range)."""
    result = out.to(dtype)
    if (validate and dtype == torch.float16 and how == "sum" and out.device.type != "meta" and not is_compiling()
            and not bool(all_finite(result))):
        over = ~torch.isfinite(result).all(1) & torch.isfinite(out).all(1)
        if bool(over.any()):
            warn_user(f"global_pool: the {how!r} readout of {int(over.sum())} of {out.size(0)} graph(s) overflows "
                      f"{dtype} (largest value {torch.finfo(dtype).max:g}) and reads as Inf; use pool='mean', "
                      "or bfloat16 or float32 rows")
    return result


def _check_pool(pool, where: str) -> None:
    if pool == "add":  # PyG's name (global_add_pool, aggr="add")
        raise ValueError(f"{where}: pool='add' is spelt pool='sum' here (PyG's global_add_pool); "
                         f"valid: {', '.join(map(repr, sorted(POOLS)))}")
    check_choice("pool", pool, POOLS, where=where)


class GraphPIGNBase(PIGNBase):
    """PIGN for graph-level tasks: encoder :math:`\\to` iterated convolution (every graph of a
    mini-batch converging on its own) :math:`\\to` pooling readout (``"mean"``, ``"sum"`` or
    ``"max"``) :math:`\\to` decoder, with the same dropouts as :class:`PIGNBase`, all 0 by default.
    Adapters set ``conv_class`` and write ``forward`` in their ecosystem's order, passing the batch
    vector."""

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_iterations: int = 8,
                 *, pool: str = "mean", dropout: float = 0.0, input_dropout: float = 0.0,
                 decoder_dropout: float = 0.0, **conv_kwargs) -> None:
        _check_pool(pool, type(self).__name__)
        super().__init__(in_channels, hidden_channels, out_channels, num_iterations, dropout=dropout,
                         input_dropout=input_dropout, decoder_dropout=decoder_dropout, **conv_kwargs)
        self.pool = pool

    def __setattr__(self, name: str, value) -> None:
        if name == "pool":  # (checked as at construction: an unknown one failed at the next call)
            _check_pool(value, type(self).__name__)
        super().__setattr__(name, value)

    def dropout_defaults(self) -> dict[str, float]:
        return {"dropout": 0.0, "input_dropout": 0.0, "decoder_dropout": 0.0}

    def readout(self, z: Tensor, batch: Optional[Tensor], num_graphs: Optional[int], info: FixedPointInfo,
                return_info: bool, embed: bool = False):
        """One decoded row per graph; with ``embed``, the node embeddings ``z``, before the pooling."""
        if embed is True:
            return self.decode(z, info, return_info, embed=True)
        return self.decode(global_pool(z, batch, num_graphs, self.pool, validate=getattr(self.conv, "validate", True)),
                           info, return_info, embed)

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"pool={self.pool!r}, {self.conv_repr()})")
