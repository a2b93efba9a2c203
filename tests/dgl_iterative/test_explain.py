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


def test_embed_returns_the_node_embeddings():
    """DGL's PGExplainer calls model(graph, feat, embed=True) for the node embeddings it scores edges
    from; the models refused the keyword."""
    torch.manual_seed(0)
    g, x = ring(), torch.randn(6, 4)
    model = PIGN(4, 8, 3, 4).eval()
    z, info = model.conv(g, model.encode(x), return_info=True)
    embedded, embed_info = model(g, x, embed=True, return_info=True)
    assert torch.equal(model(g, x, embed=True), z) and embedded.shape == (6, 8) and embed_info.iterations == 4
    assert torch.equal(model(g, x, embed=False), model(g, x))
    graphs = GraphPIGN(4, 8, 2, 3).eval()
    assert graphs(dgl.batch([g, g]), torch.cat([x, x]), embed=True).shape == (12, 8)  # per node, before pooling
    for m in (model, graphs):
        with pytest.raises(TypeError, match=rf"^{type(m).__name__}: embed must be True or False, got 1"):
            m(g, x, embed=1)


@pytest.mark.parametrize("level", ["node", "graph"])
def test_pg_explainer_explains_a_pign(level):
    from dgl.nn import PGExplainer

    torch.manual_seed(0)
    g, x = ring(), torch.randn(6, 4)
    model = (PIGN(4, 8, 3, 4) if level == "node" else GraphPIGN(4, 8, 2, 3)).eval()
    explainer = PGExplainer(model, 8, num_hops=2 if level == "node" else None, explain_graph=level == "graph")
    opt = torch.optim.Adam(explainer.parameters(), lr=0.01)
    for epoch in range(2):
        loss = (explainer.train_step_node([0, 1], g, x, 1.0) if level == "node"
                else explainer.train_step(dgl.batch([g, g]), torch.cat([x, x]), 1.0))
        opt.zero_grad()
        loss.backward()
        opt.step()
    if level == "node":
        _, edge_mask, sub, _ = explainer.explain_node([0], g, x)
        assert edge_mask.shape == (sub.num_edges(),)
    else:
        _, edge_mask = explainer.explain_graph(g, x)
        assert edge_mask.shape == (g.num_edges(),)
    assert torch.isfinite(edge_mask).all()
