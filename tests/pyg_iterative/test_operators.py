"""PIGNConv(conv=...) picks its operator from the registry; users register their own."""
import pytest
import torch
from torch import nn

pytest.importorskip("torch_geometric")

from torch_geometric.nn import GCNConv, MessagePassing  # noqa: E402

import pyg_iterative  # noqa: E402
from iterative_core import get_operator  # noqa: E402
from pyg_iterative import IterativeConv, PIGN, PIGNConv, register_operator  # noqa: E402
from tests.pyg_iterative._reference import iterate_by_hand, simple_graph  # noqa: E402

C = 8


def test_builtin_operators_registered():
    assert {"gcn", "sage", "gin", "gat"} <= set(pyg_iterative.available_operators())


@pytest.mark.parametrize("conv,options,cls", [
    ("sage", {}, "SAGEConv"),
    ("sage", {"aggr": "max"}, "SAGEConv"),
    ("gin", {"hidden": 16, "train_eps": True}, "GINConv"),
    ("gat", {"heads": 2}, "GATConv"),
    ("gat", {"heads": 4, "negative_slope": 0.1}, "GATConv"),
])
def test_registered_operator_matches_layer_iterated_by_hand(conv, options, cls):
    ei, _ = simple_graph(15, 50)
    x = torch.randn(15, C)
    layer = PIGNConv(C, num_iterations=5, smoothing=0.3, conv=conv, **options)
    op = layer.operator
    assert type(op).__name__ == cls and layer.conv_name == conv
    ref = iterate_by_hand(lambda z: op(z, ei), x, iterations=5, smoothing=0.3)
    assert torch.allclose(layer(x, ei), ref, atol=1e-6)
    # the same module through IterativeConv: same parameters, same output
    same = IterativeConv(op, num_iterations=5, smoothing=0.3)
    assert same.state_dict().keys() == layer.state_dict().keys()
    assert torch.allclose(same(x, ei), ref, atol=1e-6)


def test_gcn_operator_is_gcnconv_iterated():
    ei, w = simple_graph(15, 50)
    x = torch.randn(15, C)
    pign = PIGNConv(C, num_iterations=6, form="paper")
    gcn = GCNConv(C, C)
    with torch.no_grad():
        gcn.lin.weight.copy_(pign.operator.weight)
        gcn.bias.copy_(torch.randn(C) * 0.1)
        pign.operator.bias.copy_(gcn.bias)
    assert torch.allclose(pign(x, ei, w), IterativeConv(gcn, num_iterations=6)(x, ei, w), atol=1e-6)


def test_operator_options_checked():
    with pytest.raises(TypeError, match=r"conv='sage'.*'alpha'.*valid keywords:.*aggr"):
        PIGNConv(C, conv="sage", alpha=0.1)
    with pytest.raises(ValueError, match="heads must divide channels=8"):
        PIGNConv(C, conv="gat", heads=3)
    with pytest.raises(ValueError, match="unknown operator.*'gat'.*'gcn'.*'gin'.*'sage'"):
        PIGNConv(C, conv="gan")
    with pytest.raises(ValueError, match="contraction="):
        PIGNConv(C, conv="sage", contraction=0.9)
    with pytest.raises(TypeError, match="IterativeConv"):
        PIGNConv(C, conv=GCNConv(C, C))


class NormalizedSum(MessagePassing):
    r"""A user's layer: :math:`z_i \mapsto \tanh(W \sum_{j} w_{ji} z_j / d_i)`, no bias."""

    def __init__(self, channels, scale=1.0):
        super().__init__(aggr="add")
        self.in_channels = self.out_channels = channels
        self.scale = scale
        self.lin = nn.Linear(channels, channels, bias=False)

    def forward(self, x, edge_index, edge_weight=None):
        if edge_weight is None:
            edge_weight = torch.ones(edge_index.size(1), dtype=x.dtype)
        deg = torch.zeros(x.size(0), dtype=x.dtype).index_add_(0, edge_index[1], edge_weight).clamp_min(1)
        h = self.propagate(edge_index, x=self.lin(x), edge_weight=edge_weight)
        return self.scale * h / deg.view(-1, 1)

    def message(self, x_j, edge_weight):
        return edge_weight.view(-1, 1) * x_j


def test_user_operator_registered_and_iterated():
    register_operator("normalized_sum", NormalizedSum, overwrite=True)
    assert "normalized_sum" in pyg_iterative.available_operators()
    assert get_operator("normalized_sum", "pyg") is NormalizedSum
    ei, w = simple_graph(12, 40)
    x = torch.randn(12, C)
    layer = PIGNConv(C, num_iterations=5, conv="normalized_sum", scale=0.5, act="tanh")
    assert layer.operator.scale == 0.5
    ref = iterate_by_hand(lambda z: layer.operator(z, ei, w), x, iterations=5, act=torch.tanh)
    assert torch.allclose(layer(x, ei, w), ref, atol=1e-6)
    # and in the model, by name
    model = PIGN(5, C, 3, num_iterations=2, conv="normalized_sum")
    assert model(torch.randn(12, 5), ei).shape == (12, 3)
    with pytest.raises(ValueError, match="already registered"):
        register_operator("normalized_sum", lambda c: NormalizedSum(c))
