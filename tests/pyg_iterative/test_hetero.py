"""PyG's heterogeneous tools: ``to_hetero`` and ``HeteroConv`` take the iterative layers as they take
``GCNConv``, one copy per edge type whose outputs are summed per destination type."""
from __future__ import annotations

import pytest
import torch
from torch import nn

pytest.importorskip("torch_geometric")
from torch_geometric.data import HeteroData  # noqa: E402
from torch_geometric.nn import GraphConv, HeteroConv, MessagePassing, to_hetero  # noqa: E402

from pyg_iterative import IterativeConv, PIGN, PIGNConv  # noqa: E402

LAYERS = {
    "PIGNConv": lambda: PIGNConv(8, 8, num_iterations=3),
    "IterativeConv": lambda: IterativeConv(GraphConv(8, 8), num_iterations=3),
}


def two_relations() -> HeteroData:
    d = HeteroData()
    d["a"].x = torch.randn(6, 8, generator=torch.Generator().manual_seed(0))
    d["a", "r1", "a"].edge_index = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    d["a", "r2", "a"].edge_index = torch.tensor([[5, 4, 3], [0, 5, 1]])
    return d


class TwoLayers(nn.Module):
    def __init__(self, layer):
        super().__init__()
        self.c1, self.c2 = layer(), layer()

    def forward(self, x, edge_index):
        return self.c2(self.c1(x, edge_index).relu(), edge_index)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_to_hetero_sums_one_copy_per_relation(layer):
    """Before, to_hetero did not know the layers as message passing: it kept one output per edge type
    (keys ('a', 'r1', 'a'), ('a', 'r2', 'a')), never summed into node type 'a'."""
    assert isinstance(LAYERS[layer](), MessagePassing)
    d = two_relations()
    model = to_hetero(TwoLayers(LAYERS[layer]), d.metadata(), aggr="sum")
    out = model(d.x_dict, d.edge_index_dict)
    assert list(out) == ["a"] and out["a"].shape == (6, 8)
    h = d["a"].x
    for conv in ("c1", "c2"):  # by hand: each relation's own copy, summed
        copies = getattr(model, conv)
        h = sum(copies["a__" + rel + "__a"](h, d["a", rel, "a"].edge_index) for rel in ("r1", "r2"))
        h = h.relu() if conv == "c1" else h
    assert torch.allclose(out["a"], h, atol=1e-6)


def test_hetero_conv_takes_the_layers():
    d = two_relations()
    relations = [("a", "r1", "a"), ("a", "r2", "a")]
    conv = HeteroConv({rel: PIGNConv(8, num_iterations=3) for rel in relations})
    out = conv(d.x_dict, d.edge_index_dict)
    by_hand = sum(conv.convs[rel](d["a"].x, d[rel].edge_index) for rel in relations)
    assert list(out) == ["a"] and torch.allclose(out["a"], by_hand, atol=1e-6)


def test_tracing_a_model_whose_forward_checks_its_input_is_refused_by_name():
    with pytest.raises(TypeError, match=r"PIGN: node features must be a torch.Tensor, got Proxy .*torch.fx"):
        to_hetero(PIGN(8, 8, 2, 3), two_relations().metadata())


@pytest.mark.parametrize("layer", list(LAYERS))
def test_to_hetero_with_bases_is_refused_by_name(layer):
    """to_hetero_with_bases weights each relation's messages with a hook on the layer's own message
    step, which the iteration never runs: the weights changed nothing and got no gradient."""
    from torch_geometric.nn import to_hetero_with_bases

    d = two_relations()
    model = to_hetero_with_bases(TwoLayers(LAYERS[layer]), d.metadata(), num_bases=2, in_channels={"x": 8})
    with pytest.raises(RuntimeError, match=r"to_hetero_with_bases weights each relation's messages with a hook on the layer's own"):
        model(d.x_dict, d.edge_index_dict)


def test_to_hetero_takes_a_lazy_input_width():
    """PyG's hetero models are written with lazy widths (GCNConv(-1, 16)): each relation's copy reads its own."""
    d = two_relations()
    model = to_hetero(TwoLayers(lambda: PIGNConv(-1, 8, num_iterations=3)), d.metadata(), aggr="sum")
    out = model(d.x_dict, d.edge_index_dict)
    assert out["a"].shape == (6, 8)
    assert all(conv.lin.weight.shape == (8, 8) for conv in model.modules() if isinstance(conv, PIGNConv))
