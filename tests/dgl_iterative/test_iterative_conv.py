"""IterativeConv (DGL): any square layer iterated, compared with the same layer iterated by hand."""
import copy
import pickle

import pytest
import torch
from torch import nn

dgl = pytest.importorskip("dgl")

import dgl.function as fn  # noqa: E402
from dgl.nn import GATConv, GINConv, GraphConv, SAGEConv  # noqa: E402

from dgl_iterative import IterativeConv  # noqa: E402
from tests.pyg_iterative._reference import iterate_by_hand, simple_graph  # noqa: E402

C = 8
LAYERS = {
    "GraphConv": lambda: GraphConv(C, C),
    "SAGEConv": lambda: SAGEConv(C, C, "mean"),
    "GINConv": lambda: GINConv(nn.Sequential(nn.Linear(C, C), nn.ReLU(), nn.Linear(C, C)), "sum"),
    "GATConv": lambda: GATConv(C, C // 2, num_heads=2),
}


def graph(n=15, e=50, weighted=True):
    ei, w = simple_graph(n, e, weighted=weighted)
    return dgl.add_self_loop(dgl.graph((ei[0], ei[1]), num_nodes=n)), w


@pytest.mark.parametrize("name", list(LAYERS))
@pytest.mark.parametrize("weighted", [False, True])
def test_matches_layer_iterated_by_hand(name, weighted):
    g, w = graph()
    w = torch.cat([w, torch.ones(15)]) if weighted else None  # the self-loops' weights
    x = torch.randn(15, C)
    layer = LAYERS[name]()
    conv = IterativeConv(layer, num_iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7], act="tanh")
    out = conv(g, x, w)
    kw = {} if w is None else {"edge_weight": w}
    ref = iterate_by_hand(lambda z: layer(g, z, **kw), x, iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7],
                          act=torch.tanh)
    assert torch.allclose(out, ref, atol=1e-6)


def test_edge_weight_as_tensor_or_feature_name():
    g, w = graph()
    w = torch.cat([w, torch.ones(15)])
    g.edata["w"] = w
    x = torch.randn(15, C)
    conv = IterativeConv(GraphConv(C, C, norm="none"), num_iterations=4, smoothing=0.6)
    assert torch.equal(conv(g, x, "w"), conv(g, x, w))
    assert not torch.allclose(conv(g, x, "w"), conv(g, x))
    with pytest.raises(KeyError, match="'weight' is not an edge feature.*'w'"):
        conv(g, x, "weight")


def test_dgl_batch_converges_per_graph():
    parts = [graph(n, 3 * n, weighted=False)[0] for n in (6, 9, 7)]
    xs = [torch.randn(p.num_nodes(), C) for p in parts]
    xs[1] = xs[1] * 20
    layer = GraphConv(C, C)
    with torch.no_grad():
        layer.weight.mul_(0.3), layer.bias.fill_(0.2)
    conv = IterativeConv(layer, num_iterations=60, tol=1e-4)
    out, info = conv(dgl.batch(parts), torch.cat(xs), return_info=True)
    assert info.graph_iterations.shape == (3,) and bool(info.converged.all())
    from tests.pyg_iterative._reference import iterate_until

    start = 0
    for i, (p, x) in enumerate(zip(parts, xs)):
        alone, its = iterate_until(lambda z: layer(p, z), x, tol=1e-4, max_iter=60)
        assert its == int(info.graph_iterations[i])
        assert torch.allclose(out[start:start + p.num_nodes()], alone, atol=1e-5)
        start += p.num_nodes()
    assert len(set(info.graph_iterations.tolist())) > 1


@pytest.mark.parametrize("layer,msg", [
    (GraphConv(8, 16), "maps 8 input channels to 16 output channels"),
    (GATConv(8, 8, num_heads=2), "maps 8 input channels to 16 output channels"),
    (SAGEConv((8, 16), 8, "mean"), "bipartite"),
])
def test_non_square_layer_refused_with_reason(layer, msg):
    with pytest.raises(ValueError, match=msg + ".*feeds each output back"):
        IterativeConv(layer)


def test_blocks_and_bipartite_graphs_refused_with_hint():
    g, _ = graph()
    conv = IterativeConv(SAGEConv(C, C, "mean"))
    block = dgl.to_block(g, dst_nodes=torch.arange(5))
    with pytest.raises(ValueError, match="block.*15 source and 5 destination.*dgl.node_subgraph"):
        conv(block, torch.randn(block.num_src_nodes(), C))
    bi = dgl.heterograph({("u", "e", "v"): (torch.tensor([0, 1]), torch.tensor([0, 0]))})
    with pytest.raises(ValueError, match="bipartite"):
        conv(bi, torch.randn(2, C))


def test_zero_in_degree_rule_of_the_layer_holds():
    ei, _ = simple_graph(10, 20)
    g = dgl.graph((ei[0], ei[1]), num_nodes=12)  # nodes 10, 11 have no in-edges
    with pytest.raises(dgl.DGLError, match="0-in-degree"):
        IterativeConv(GraphConv(C, C))(g, torch.randn(12, C))
    out = IterativeConv(GraphConv(C, C, allow_zero_in_degree=True))(g, torch.randn(12, C))
    assert torch.isfinite(out).all()


def test_repr_state_dict_deepcopy_and_pickle():
    g, _ = graph()
    x = torch.randn(15, C)
    conv = IterativeConv(GraphConv(C, C), num_iterations=4, smoothing=0.3)
    assert repr(conv).startswith("IterativeConv(\n  num_iterations=4, smoothing=0.3\n  (operator): GraphConv(")
    assert set(conv.state_dict()) == {"operator.weight", "operator.bias"}
    out = conv(g, x)
    assert torch.equal(copy.deepcopy(conv)(g, x), out)
    assert torch.equal(pickle.loads(pickle.dumps(conv))(g, x), out)
    with pytest.raises(ValueError, match="contraction="):
        IterativeConv(GraphConv(C, C), contraction=0.5)


class MeanOfNeighbours(nn.Module):
    """A user's DGL layer: h_i -> W mean_j (w_ji h_j), with builtin message functions."""

    def __init__(self, channels):
        super().__init__()
        self.in_feats = self.out_feats = channels
        self.lin = nn.Linear(channels, channels)

    def forward(self, graph, feat, edge_weight=None):
        with graph.local_scope():
            graph.srcdata["h"] = feat
            if edge_weight is None:
                graph.update_all(fn.copy_u("h", "m"), fn.mean("m", "h"))
            else:
                graph.edata["w"] = edge_weight.view(-1, 1)
                graph.update_all(fn.u_mul_e("h", "w", "m"), fn.mean("m", "h"))
            return self.lin(graph.dstdata["h"])


def test_user_written_module_made_iterative():
    g, w = graph()
    w = torch.cat([w, torch.ones(15)])
    x = torch.randn(15, C)
    layer = MeanOfNeighbours(C)
    out = IterativeConv(layer, num_iterations=6, smoothing=0.4)(g, x, w)
    ref = iterate_by_hand(lambda z: layer(g, z, w), x, iterations=6, smoothing=0.4)
    assert torch.allclose(out, ref, atol=1e-6)
    assert not g.ndata and not g.edata  # the graph is left untouched
