"""iterative_core.wrapping on its own: reading a layer's widths, refusing non-square layers, checking an
operator's output, keyword detection and building registered operators (plain torch modules only)."""
from __future__ import annotations

import pytest
import torch
from torch import nn

import iterative_core as ic
from iterative_core import operators as registry
from iterative_core.adapter import GraphAdapter, WidthNames
from iterative_core.wrapping import (
    SquareOperator,
    accepts_keyword,
    build_operator,
    conv_widths,
    reset_module,
    split_operator_options,
    square_channels,
    supports_contraction,
)


class Widths(nn.Module):
    """A layer that only declares widths, under whatever attribute names it is given."""

    def __init__(self, **attrs):
        super().__init__()
        for k, v in attrs.items():
            setattr(self, k, v)


#: the names an adapter would declare (here PyG's and DGL's together)
NAMES = WidthNames(inputs=("in_channels", "_in_src_feats", "_in_feats"), input_dst=("_in_dst_feats",),
                   outputs=("out_channels", "_out_feats"), heads=("heads", "_num_heads"), mlps=("nn", "apply_func"))


class Adapter(GraphAdapter):
    widths = NAMES
    square_hint = "Build it square, e.g. with heads=2."


# ------------------------------------------------------------------------------------- conv_widths
@pytest.mark.parametrize("attrs,widths", [
    (dict(in_channels=8, out_channels=16), ((8,), 16)),  # PyG
    (dict(_in_feats=8, _out_feats=8), ((8,), 8)),  # DGL
    (dict(in_features=5, out_features=7), ((5,), 7)),  # torch.nn.Linear's names
    (dict(in_channels=8, out_channels=4, heads=2), ((8,), 8)),  # concatenated heads count
    (dict(in_channels=8, out_channels=4, heads=2, concat=False), ((8,), 4)),  # averaged heads do not
    (dict(_in_feats=8, _out_feats=4, _num_heads=2), ((8,), 8)),  # DGL's attention layers
    (dict(in_channels=(8, 16), out_channels=8), ((8, 16), 8)),  # bipartite (source, destination)
    (dict(_in_src_feats=8, _in_dst_feats=16, _out_feats=8), ((8, 16), 8)),  # DGL's bipartite SAGEConv
    (dict(_in_src_feats=8, _in_dst_feats=8, _out_feats=8), ((8,), 8)),  # equal: one width
    (dict(in_channels=-1, out_channels=8), ((None,), 8)),  # lazy: unknown
    (dict(in_channels=True, out_channels=8), ((None,), 8)),  # a bool is not a width
    (dict(), ((None,), None)),
])
def test_conv_widths_reads_the_declared_widths(attrs, widths):
    assert conv_widths(Widths(**attrs), NAMES) == widths


def test_conv_widths_reads_only_the_names_it_is_given_and_torchs_own():
    assert conv_widths(Widths(in_features=5, out_features=7)) == ((5,), 7)
    assert conv_widths(Widths(in_channels=8, out_channels=16)) == ((None,), None)
    assert conv_widths(Widths(in_channels=8, out_channels=16), WidthNames(inputs=("in_channels",))) == ((8,), None)


def test_conv_widths_reads_a_gin_layers_mlp():
    for attr in ("nn", "apply_func"):  # PyG's name, DGL's
        layer = Widths(**{attr: nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 6))})
        assert conv_widths(layer, NAMES) == ((8,), 6), attr
        assert conv_widths(layer) == ((None,), None), attr  # a child not named as an MLP is not read
    assert conv_widths(Widths(nn=nn.Sequential(nn.ReLU())), NAMES) == ((None,), None)  # no linear map inside


# ---------------------------------------------------------------------------------- square_channels
def test_square_channels_returns_the_width_of_a_square_layer():
    assert square_channels(Widths(in_channels=8, out_channels=8), None, "Conv", Adapter) == 8
    assert square_channels(Widths(in_channels=8, out_channels=4, heads=2), None, "Conv", Adapter) == 8
    assert square_channels(Widths(out_channels=6), None, "Conv", Adapter) == 6  # one side is enough
    assert square_channels(Widths(), 5, "Conv", Adapter) == 5  # nothing declared: the caller's width
    assert square_channels(Widths(in_channels=8, out_channels=8), 8, "Conv", Adapter) == 8
    assert square_channels(nn.Linear(3, 3), None, "Conv") == 3  # torch's names, whatever the adapter


@pytest.mark.parametrize("layer,channels,match", [
    (Widths(in_channels=8, out_channels=16), None, r"Conv: Widths maps 8 input channels to 16 output channels"),
    (Widths(in_channels=(8, 16), out_channels=8), None, r"bipartite inputs with widths \(8, 16\)"),
    (Widths(in_channels=8, out_channels=8), 4, r"channels=4 but Widths has width 8"),
    (Widths(), None, r"cannot read the width of Widths \(none of in_channels, .*out_features\); pass channels=C"),
    (Widths(), 0, r"channels must be an int >= 1, got 0"),
])
def test_square_channels_refuses_with_the_reason(layer, channels, match):
    with pytest.raises(ValueError, match=match):
        square_channels(layer, channels, "Conv", Adapter)


@pytest.mark.parametrize("channels", [True, 4.0, "4"])
def test_square_channels_refuses_a_width_that_is_no_whole_number_as_a_type_error(channels):
    with pytest.raises(TypeError, match=r"^Conv: channels must be an int >= 1, got "):
        square_channels(Widths(), channels, "Conv", Adapter)


def test_square_channels_takes_a_numpy_integer_as_an_int():
    import numpy as np

    width = square_channels(Widths(in_channels=4, out_channels=4), np.int64(4), "Conv", Adapter)
    assert width == 4 and type(width) is int


def test_square_channels_gives_the_adapters_hint_and_why_squareness_is_needed():
    with pytest.raises(ValueError, match=r"feeds each output back.*Build it square, e\.g\. with heads=2\.") as err:
        square_channels(Widths(in_channels=8, out_channels=16), None, "Conv", Adapter)
    assert str(err.value).startswith("Conv: ")


# ---------------------------------------------------------------------------------- SquareOperator
def test_square_operator_passes_a_square_output_through():
    z = torch.randn(5, 4)
    assert torch.equal(SquareOperator(lambda t: 2 * t, "Double", "Conv")(z), 2 * z)
    # attention layers: the tensor beside the attention weights
    assert torch.equal(SquareOperator(lambda t: (t + 1, "attention"), "Att", "Conv")(z), z + 1)


@pytest.mark.parametrize("op,error,match", [
    (lambda t: None, TypeError, r"Conv: the operator Op returned NoneType \(None\) for an input of shape \(5, 4\)"),
    (lambda t: t.tolist(), TypeError, r"returned list \(\[\[.*\.\.\.\)"),  # long values are cut short
    (lambda t: torch.cat([t, t], 1), ValueError, r"mapped an input of shape \(5, 4\) to shape \(5, 8\)"),
    (lambda t: t[:3], ValueError, r"shape \(5, 4\) to shape \(3, 4\)"),
    (lambda t: t.double(), TypeError, r"returned dtype torch.float64 for an input of dtype torch.float32"),
])
def test_square_operator_names_what_is_wrong(op, error, match):
    with pytest.raises(error, match=match):
        SquareOperator(op, "Op", "Conv")(torch.randn(5, 4))


# ------------------------------------------------------------------------------------ small helpers
def test_accepts_keyword():
    def plain(x, edge_index):
        ...

    def weighted(x, edge_index, edge_weight=None):
        ...

    def anything(x, **kwargs):
        ...

    assert not accepts_keyword(plain, "edge_weight")
    assert accepts_keyword(weighted, "edge_weight")
    assert accepts_keyword(anything, "edge_weight")
    assert not accepts_keyword(weighted, "batch")
    assert accepts_keyword(max, "edge_weight")  # no signature to read: assume it does


def test_supports_contraction():
    assert supports_contraction(ic.GCNOperatorBase(4))
    assert not supports_contraction(nn.Linear(4, 4))
    bounded = nn.Linear(4, 4)
    bounded.supports_contraction = True
    assert not supports_contraction(bounded)  # the budget reaches an operator through its bind only
    bounded.bind = lambda x, graph, edge_weight=None, *, lipschitz_budget=None: bounded
    assert supports_contraction(bounded)


def test_reset_module_resets_the_module_or_else_each_child():
    lin = nn.Linear(4, 4)
    before = lin.weight.detach().clone()
    reset_module(lin)
    assert not torch.equal(before, lin.weight)
    seq = nn.Sequential(nn.Linear(4, 4), nn.ReLU(), nn.Sequential(nn.Linear(4, 4)))  # no reset_parameters
    before = [seq[0].weight.detach().clone(), seq[2][0].weight.detach().clone()]
    reset_module(seq)
    assert not torch.equal(before[0], seq[0].weight) and not torch.equal(before[1], seq[2][0].weight)


class _Base(nn.Module):
    """A library base class whose reset_parameters resets only what it holds (as PyG's
    MessagePassing resets only its aggregation)."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def reset_parameters(self):
        nn.init.ones_(self.scale)


class _Inherits(_Base):  # a user's layer that adds a Linear and no reset_parameters of its own
    def __init__(self):
        super().__init__()
        self.lin = nn.Linear(4, 4)


class _Defines(_Inherits):  # a layer whose own reset_parameters is trusted to reset it all
    def reset_parameters(self):
        super().reset_parameters()


PARTIAL = (f"{_Base.__module__}.{_Base.__qualname__}",)


def test_reset_module_reaches_the_children_of_a_partial_reset_parameters_only():
    layer = _Inherits()
    with torch.no_grad():
        layer.scale.fill_(3.0)
    before = layer.lin.weight.detach().clone()
    reset_module(layer, PARTIAL)
    assert layer.scale.item() == 1.0 and not torch.equal(before, layer.lin.weight)
    for layer, partial in ((_Defines(), PARTIAL), (_Inherits(), ())):
        # its class defines reset_parameters, or the inherited one is not known to be partial (a
        # subclass of a layer that initialises its children its own way): only that one runs
        before = layer.lin.weight.detach().clone()
        reset_module(layer, partial)
        assert torch.equal(before, layer.lin.weight)


def test_reset_module_resets_a_compiled_module_once():
    class Counted(nn.Linear):
        calls = 0

        def reset_parameters(self):
            type(self).calls += 1
            super().reset_parameters()

    compiled = torch.compile(Counted(4, 4))  # built, never called: nothing is compiled
    Counted.calls = 0
    reset_module(compiled)  # the wrapper forwards reset_parameters to the module it holds
    assert Counted.calls == 1


def test_split_operator_options():
    it, op = split_operator_options({"num_iterations": 3, "tol": 1e-4, "heads": 2, "aggr": "max"})
    assert it == {"num_iterations": 3, "tol": 1e-4}
    assert op == {"heads": 2, "aggr": "max"}


# ---------------------------------------------------------------------------------- build_operator
@pytest.fixture
def registered(monkeypatch):
    """A backend "unit" with two operators, in a registry of its own (restored afterwards)."""
    monkeypatch.setattr(registry, "_OPERATORS", {})
    monkeypatch.setattr(registry, "_KEYS", {})

    def scaled(channels, *, scale=1.0):
        lin = nn.Linear(channels, channels)
        lin.scale = scale
        return lin

    registry.register_operator("scaled", scaled, backend="unit")
    registry.register_operator("not_a_module", lambda channels: "module", backend="unit")
    registry.register_operator("open", lambda channels, **kw: nn.Linear(channels, channels), backend="unit")


def test_build_operator_calls_the_factory_with_its_options(registered):
    op = build_operator("unit", "scaled", 6, {"scale": 0.5}, "Conv")
    assert isinstance(op, nn.Linear) and op.in_features == 6 and op.scale == 0.5
    # a factory that takes **kwargs is given whatever comes
    assert isinstance(build_operator("unit", "open", 6, {"whatever": 1}, "Conv"), nn.Linear)


def test_build_operator_refuses_with_the_reason(registered):
    with pytest.raises(TypeError, match=r"Conv\(conv='scaled'\).*'factor'.*valid keywords:.*scale"):
        build_operator("unit", "scaled", 6, {"factor": 0.5}, "Conv")
    with pytest.raises(ValueError, match=r"unknown operator.*'not_a_module'.*'open'.*'scaled'"):
        build_operator("unit", "scaledd", 6, {}, "Conv")
    with pytest.raises(TypeError, match=r"must be a string, one of 'not_a_module', 'open', 'scaled'; got Linear"):
        build_operator("unit", nn.Linear(6, 6), 6, {}, "Conv")
    with pytest.raises(TypeError, match=r"operator 'not_a_module' for backend 'unit' returned str"):
        build_operator("unit", "not_a_module", 6, {}, "Conv")
