"""DGL's explainers call a model as ``model(graph, feat, eweight=mask)``: PIGN and GraphPIGN take the
mask as their edge weights."""
from __future__ import annotations

import pytest
import torch

dgl = pytest.importorskip("dgl")
from dgl.nn import GNNExplainer  # noqa: E402

from dgl_iterative import PIGN, GraphPIGN  # noqa: E402


def ring(n: int = 6):
    src = torch.arange(n)
    return dgl.graph((torch.cat([src, (src + 1) % n]), torch.cat([(src + 1) % n, src])), num_nodes=n)


def test_eweight_is_the_edge_weight():
    g, x = ring(), torch.randn(6, 4)
    w = torch.rand(g.num_edges())
    model = PIGN(4, 8, 3, 4).eval()
    assert torch.equal(model(g, x, eweight=w), model(g, x, w))
    with pytest.raises(TypeError, match="^PIGN: edge weights were given twice, as edge_weight and as eweight"):
        model(g, x, w, eweight=w)
    graphs = GraphPIGN(4, 8, 2, 3).eval()
    assert torch.equal(graphs(g, x, eweight=w), graphs(g, x, w))
    with pytest.raises(TypeError, match="^GraphPIGN: edge weights were given twice"):  # (the model named, as elsewhere)
        graphs(g, x, w, eweight=w)


def test_gnn_explainer_explains_a_pign_node_and_a_graph():
    """Before, GNNExplainer failed with "forward() got an unexpected keyword argument 'eweight'"."""
    torch.manual_seed(0)
    g, x = ring(), torch.randn(6, 4)
    explainer = GNNExplainer(PIGN(4, 8, 3, 4).eval(), num_hops=2, num_epochs=5, log=False)
    _, sub, feat_mask, edge_mask = explainer.explain_node(0, g, x)
    assert edge_mask.shape == (sub.num_edges(),) and torch.isfinite(edge_mask).all()
    explainer = GNNExplainer(GraphPIGN(4, 8, 2, 3).eval(), num_hops=1, num_epochs=5, log=False)
    feat_mask, edge_mask = explainer.explain_graph(g, x)
    assert edge_mask.shape == (g.num_edges(),) and torch.isfinite(edge_mask).all()
