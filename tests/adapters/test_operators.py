"""PIGNConv(conv=...) in both adapters: the registered operators against the backend's own layers
iterated by hand, their options, and an operator a user registers."""
from __future__ import annotations

import pytest
import torch
from torch import nn

from iterative_core import get_operator
from iterative_core import operators as registry
from tests.helpers import iterate_by_hand, random_graph

C = 8
MAX_AGGREGATION = {"pyg": "max", "dgl": "pool"}  # DGL's SAGEConv names its max aggregator "pool"


@pytest.fixture
def clean_registry():
    """Whatever a test registers is gone afterwards."""
    saved = ({k: dict(v) for k, v in registry._OPERATORS.items()}, {k: dict(v) for k, v in registry._KEYS.items()})
    yield
    for table, copy in zip((registry._OPERATORS, registry._KEYS), saved):
        table.clear()
        table.update(copy)


def test_builtin_operators_registered(backend):
    assert {"gcn", "sage", "gin", "gat"} <= set(backend.available_operators())


@pytest.mark.parametrize("conv,options,cls", [
    ("sage", {}, "SAGEConv"),
    ("sage", {"aggr": "max"}, "SAGEConv"),
    ("gin", {"hidden": 12, "train_eps": True}, "GINConv"),
    ("gat", {"heads": 2}, "GATConv"),
    ("gat", {"heads": 4, "negative_slope": 0.1}, "GATConv"),
])
def test_registered_operator_matches_layer_iterated_by_hand(backend, conv, options, cls):
    if options.get("aggr") == "max":
        options = dict(options, aggr=MAX_AGGREGATION[backend.name])
    ei, _ = random_graph(15, 50, simple=True)
    x = torch.randn(15, C)
    layer = backend.PIGNConv(C, num_iterations=5, smoothing=0.3, conv=conv, **options)
    op = layer.operator
    assert isinstance(op, getattr(backend.layers.lib, cls)) and layer.conv_name == conv
    if backend.name == "dgl" and conv == "gat":
        # PyG's convention, by hand: DGL's GATConv on the graph with one self-loop per node
        import dgl

        looped = dgl.add_self_loop(backend.graph(ei, 15))
        step = lambda z: dgl.nn.GATConv.forward(op, looped, z)  # noqa: E731
    else:
        step = backend.step(op, x, ei)
    ref = iterate_by_hand(step, x, iterations=5, smoothing=0.3)
    assert torch.allclose(backend.call(layer, x, ei), ref, atol=1e-6)
    # the same module through IterativeConv: same parameters, same output
    same = backend.IterativeConv(op, num_iterations=5, smoothing=0.3)
    assert same.state_dict().keys() == layer.state_dict().keys()
    assert torch.allclose(backend.call(same, x, ei), ref, atol=1e-6)


def test_operator_options_checked(backend):
    PIGNConv = backend.PIGNConv
    with pytest.raises(TypeError, match=r"conv='sage'.*'alpha'.*valid keywords:.*aggr"):
        PIGNConv(C, conv="sage", alpha=0.1)
    with pytest.raises(TypeError, match=r"conv='gin'.*'heads'.*valid keywords:.*hidden"):
        PIGNConv(C, conv="gin", heads=2)
    with pytest.raises(ValueError, match="heads must divide channels=8"):
        PIGNConv(C, conv="gat", heads=3)
    with pytest.raises(ValueError, match="unknown operator.*'gat'.*'gcn'.*'gin'.*'sage'"):
        PIGNConv(C, conv="gan")
    with pytest.raises(ValueError, match="contraction="):
        PIGNConv(C, conv="sage", contraction=0.9)
    with pytest.raises(TypeError, match="IterativeConv"):
        PIGNConv(C, conv=backend.layers.layer("GraphConv", C))
    mlps = [m for m in PIGNConv(C, conv="gin").operator.children() if isinstance(m, nn.Sequential)]
    assert [m.weight.shape for m in mlps[0] if isinstance(m, nn.Linear)] == [(C, C), (C, C)]


def test_user_operator_registered_and_iterated(backend, clean_registry):
    Layer = backend.layers.MeanOfNeighbours
    backend.register_operator("mean_of_neighbours", Layer)
    assert "mean_of_neighbours" in backend.available_operators()
    assert get_operator("mean_of_neighbours", backend.name) is Layer
    ei, w = random_graph(12, 40, simple=True)
    x = torch.randn(12, C)
    layer = backend.PIGNConv(C, num_iterations=5, conv="mean_of_neighbours", scale=0.5, act="tanh")
    assert isinstance(layer.operator, Layer) and layer.operator.scale == 0.5
    ref = iterate_by_hand(backend.step(layer.operator, x, ei, w), x, iterations=5, act=torch.tanh)
    assert torch.allclose(backend.call(layer, x, ei, w), ref, atol=1e-6)
    # and in the model, by name
    model = backend.PIGN(5, C, 3, num_iterations=2, conv="mean_of_neighbours")
    assert backend.call(model, torch.randn(12, 5), ei).shape == (12, 3)
    with pytest.raises(ValueError, match="already registered"):
        backend.register_operator("mean_of_neighbours", lambda c: Layer(c))
