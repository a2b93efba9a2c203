"""IterativeConv, DGL only: edge weights by feature name, blocks and bipartite heterographs, the layer's
own zero-in-degree rule, the user's graph left untouched. What both adapters share is in
tests/adapters/test_iterative_conv.py."""
import pytest
import torch

dgl = pytest.importorskip("dgl")

from dgl.nn import GraphConv, SAGEConv  # noqa: E402

from dgl_iterative import IterativeConv  # noqa: E402
from tests.adapters.layers_dgl import MeanOfNeighbours  # noqa: E402
from tests.helpers import random_graph  # noqa: E402

C = 8


def graph(n=15, e=50):
    ei, w = random_graph(n, e, simple=True)
    return dgl.add_self_loop(dgl.graph((ei[0], ei[1]), num_nodes=n)), torch.cat([w, torch.ones(n)])


def test_edge_weight_as_tensor_or_feature_name():
    g, w = graph()
    g.edata["w"] = w
    x = torch.randn(15, C)
    conv = IterativeConv(GraphConv(C, C, norm="none"), num_iterations=4, smoothing=0.6)
    assert torch.equal(conv(g, x, "w"), conv(g, x, w))
    assert not torch.allclose(conv(g, x, "w"), conv(g, x))
    with pytest.raises(KeyError, match="'weight' is not an edge feature.*'w'"):
        conv(g, x, "weight")


def test_blocks_and_bipartite_graphs_refused_with_hint():
    g, _ = graph()
    conv = IterativeConv(SAGEConv(C, C, "mean"))
    block = dgl.to_block(g, dst_nodes=torch.arange(5))
    with pytest.raises(ValueError, match="block.*15 source and 5 destination.*dgl.node_subgraph"):
        conv(block, torch.randn(block.num_src_nodes(), C))
    bi = dgl.heterograph({("u", "e", "v"): (torch.tensor([0, 1]), torch.tensor([0, 0]))})
    with pytest.raises(ValueError, match="bipartite"):
        conv(bi, torch.randn(2, C))


def test_a_relation_across_node_types_in_hetero_graph_conv_is_named():
    """HeteroGraphConv gives each module its relation's graph and a (src, dst) pair of features: the refusal
    of a relation across node types did not say which of the model's relations it was."""
    from dgl.nn import HeteroGraphConv

    from dgl_iterative import PIGNConv

    hg = dgl.heterograph({("user", "follows", "user"): ([0, 1], [1, 0]), ("user", "buys", "item"): ([0, 1], [1, 0])})
    conv = HeteroGraphConv({"follows": PIGNConv(C), "buys": PIGNConv(C)})
    with pytest.raises(ValueError, match=r"bipartite pair \(x_src, x_dst\) of node features on relation "
                                         r"\('user', 'buys', 'item'\)\. .*square"):
        conv(hg, {"user": torch.randn(2, C), "item": torch.randn(2, C)})
    g, _ = graph()  # a homogeneous graph names no relation
    with pytest.raises(ValueError, match=r"of node features\. Iteration"):
        PIGNConv(C)(g, (torch.randn(15, C), torch.randn(15, C)))


def test_pign_refuses_a_block_in_its_own_name_before_its_encoder_runs():
    from dgl_iterative import PIGN

    g, _ = graph()
    block = dgl.to_block(g, dst_nodes=torch.arange(5))
    model = PIGN(C, 4, 3)
    ran = []
    model.encoder.register_forward_hook(lambda *args: ran.append(1))
    with pytest.raises(ValueError, match=r"^PIGN: got a block \(message-flow graph\) with 15 source and 5 destination"):
        model(block, torch.randn(block.num_src_nodes(), C))
    assert not ran


def test_zero_in_degree_rule_of_the_layer_holds():
    ei, _ = random_graph(10, 20, simple=True)
    g = dgl.graph((ei[0], ei[1]), num_nodes=12)  # nodes 10, 11 have no in-edges
    with pytest.raises(dgl.DGLError, match="0-in-degree"):
        IterativeConv(GraphConv(C, C))(g, torch.randn(12, C))
    out = IterativeConv(GraphConv(C, C, allow_zero_in_degree=True))(g, torch.randn(12, C))
    assert torch.isfinite(out).all()


def test_a_user_layer_leaves_the_graph_untouched():
    g, w = graph()
    IterativeConv(MeanOfNeighbours(C), num_iterations=6, smoothing=0.4)(g, torch.randn(15, C), w)
    assert not g.ndata and not g.edata


def test_a_heterograph_is_refused_with_the_conversion_to_use():
    het = dgl.heterograph({
        ("paper", "cites", "paper"): (torch.tensor([0, 1]), torch.tensor([1, 2])),
        ("author", "writes", "paper"): (torch.tensor([0, 1]), torch.tensor([0, 2])),
    })
    with pytest.raises(ValueError, match=r"heterograph.*dgl.to_homogeneous"):
        IterativeConv(SAGEConv(C, C, "mean"))(het, torch.randn(3, C))


def test_edgeconv_widths_are_read_so_a_non_square_one_is_refused_when_built():
    """Its widths live in its theta Linear only: it needed channels=, and EdgeConv(8, 4) failed at the first call."""
    from dgl.nn import EdgeConv
    with pytest.raises(ValueError, match=r"IterativeConv: EdgeConv maps 8 input channels to 4 output channels"):
        IterativeConv(EdgeConv(8, 4))
    conv = IterativeConv(EdgeConv(8, 8), num_iterations=2)
    g = dgl.add_self_loop(dgl.graph(([0, 1, 2], [1, 2, 0])))
    assert conv(g, torch.randn(3, 8)).shape == (3, 8)


def test_a_module_that_averages_its_heads_is_taken_at_the_width_channels_confirms():
    """A module holding num_heads was read as heads * width wide, and channels= could not say otherwise."""
    from dgl.nn import GATConv
    from torch import nn

    class MeanGAT(nn.Module):
        def __init__(self, c, num_heads=4):
            super().__init__()
            self.in_feats = self.out_feats = c
            self.num_heads = num_heads
            self.gat = GATConv(c, c, num_heads)

        def forward(self, graph, feat):
            return self.gat(graph, feat).mean(1)

    g = dgl.add_self_loop(dgl.graph(([0, 1, 2, 3, 4], [1, 2, 3, 4, 0]), num_nodes=5))
    with pytest.raises(ValueError, match=r"MeanGAT maps 4 input channels to 16 output channels.*If MeanGAT averages "
                                         r"its 4 heads rather than concatenating them, pass channels=4"):
        IterativeConv(MeanGAT(4))
    assert IterativeConv(MeanGAT(4), channels=4)(g, torch.randn(5, 4)).shape == (5, 4)
    with pytest.raises(ValueError, match=r"maps 4 input channels to 16 output channels"):
        IterativeConv(MeanGAT(4), channels=16)
    with pytest.raises(ValueError, match=r"GATConv maps 4 input channels to 8 output channels"):  # DGL's concatenates
        IterativeConv(GATConv(4, 4, num_heads=2), channels=4)


def test_a_layer_of_the_other_ecosystem_is_refused_by_name():
    """It failed inside PyG or DGL at the first call ("'DGLGraph' object has no attribute 'size'")."""
    pyg_nn = pytest.importorskip("torch_geometric.nn")
    import pyg_iterative

    with pytest.raises(TypeError, match=r"^IterativeConv: GCNConv is a torch_geometric layer.*calls its operator as "
                                        r"conv\(graph, feat.*iterate it with pyg_iterative\.IterativeConv$"):
        IterativeConv(pyg_nn.GCNConv(4, 4))
    with pytest.raises(TypeError, match=r"^IterativeConv: GraphConv is a dgl layer.*iterate it with "
                                        r"dgl_iterative\.IterativeConv$"):
        pyg_iterative.IterativeConv(GraphConv(4, 4))


@pytest.mark.parametrize("make", [lambda: SAGEConv(C, C, "mean"), lambda: SAGEConv(C, C, "gcn"),
                                  lambda: __import__("dgl.nn", fromlist=["TAGConv"]).TAGConv(C, C),
                                  lambda: __import__("dgl.nn", fromlist=["NNConv"]).NNConv(
                                      C, C, torch.nn.Linear(2, C * C), "mean")])
def test_reset_parameters_draws_the_biases_dgls_own_reset_keeps(make):
    """DGL's SAGEConv and TAGConv reset their weights only: a wrapped layer kept its trained biases
    (fc_self.bias, bias, lin.bias) after reset_parameters(), as PIGNConv(conv="sage") no longer did;
    NNConv keeps the edge_func it was given."""
    conv = IterativeConv(make())
    with torch.no_grad():
        for p in conv.parameters():
            p.fill_(3.0)
    built = {n: p.detach().clone() for n, p in IterativeConv(make()).named_parameters()}
    conv.reset_parameters()
    assert [n for n, p in conv.named_parameters() if bool((p == 3.0).any())] == []
    if "operator.bias" in built:  # (SAGEConv(gcn)'s own bias, built as zeros: back to that)
        assert torch.equal(conv.operator.bias, built["operator.bias"])


def test_a_meta_built_layer_whose_reset_keeps_a_bias_names_it():
    """Built on the meta device, SAGEConv(gcn)'s bias (zeros when built) has no value to go back to: after
    to_empty() the reset left it as uninitialised memory. It is named, and the parameters are kept."""
    with torch.device("meta"):
        conv = IterativeConv(SAGEConv(C, C, "gcn"))
    conv = conv.to_empty(device="cpu")
    with torch.no_grad():
        for p in conv.parameters():
            p.fill_(3.0)
    with pytest.raises(RuntimeError,
                       match=r"parameter\(s\) 'bias' keep their values through every reset_parameters\(\) of "
                             r"SAGEConv .* meta device\. Load a state_dict"):
        conv.reset_parameters()
    assert all(bool((p == 3.0).all()) for p in conv.parameters())


def test_a_parameter_inside_nnconvs_edge_func_goes_back_to_its_value_when_built():
    """NNConv's reset keeps the edge_func it was given: one that holds a parameter without a reset of its
    own kept its trained value (and on the meta device, uninitialised memory without a word)."""
    from dgl.nn import NNConv

    class Scale(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.w = torch.nn.Parameter(torch.full((C * C,), 0.01))

        def forward(self, e):
            return e.sum(1, keepdim=True) * self.w

    conv = IterativeConv(NNConv(C, C, Scale(), "mean"))
    with torch.no_grad():
        for p in conv.parameters():
            p.fill_(3.0)
    conv.reset_parameters()
    assert torch.equal(conv.operator.edge_func.w, torch.full((C * C,), 0.01))
    with torch.device("meta"):
        conv = IterativeConv(NNConv(C, C, Scale(), "mean"))
    conv = conv.to_empty(device="cpu")
    with pytest.raises(RuntimeError, match=r"parameter\(s\) 'edge_func.w' keep their values"):
        conv.reset_parameters()


def _refused_layers():
    from dgl.nn.pytorch import (DenseChebConv, DenseGraphConv, DenseSAGEConv, DGNConv, GroupRevRes,
                                HeteroGraphConv)
    return [
        (lambda: GroupRevRes(GraphConv(C // 2, C // 2), 2), "frees the storage of its input"),
        (lambda: DenseGraphConv(C, C), r"dense adjacency matrix.*\(GraphConv\)"),
        (lambda: DenseSAGEConv(C, C), r"dense adjacency matrix.*\(SAGEConv\)"),
        (lambda: DenseChebConv(C, C, 2), r"dense adjacency matrix.*\(ChebConv\)"),
        (lambda: DGNConv(C, C, ["dir1-av"], ["identity"], 2.5), r"Laplacian eigenvectors \(eig_vec\)"),
        (lambda: HeteroGraphConv({"r": GraphConv(C, C)}), r"HeteroGraphConv\(\{etype: IterativeConv\(layer\)"),
    ]


@pytest.mark.parametrize("case", range(6))
@pytest.mark.parametrize("channels", [None, C])
def test_layers_that_cannot_be_iterated_are_refused_by_name_whatever_the_width(case, channels):
    """GroupRevRes frees its input's storage at every call and the process crashed (a segmentation
    fault) at the next step; the dense layers, DGNConv (eig_vec) and HeteroGraphConv were built, asked
    for channels=, then failed inside DGL with unrelated errors."""
    make, reason = _refused_layers()[case]
    layer = make()
    with pytest.raises(TypeError, match=rf"^IterativeConv: {type(layer).__name__} cannot be iterated: .*{reason}"):
        IterativeConv(layer, channels=channels)


def test_gated_graph_conv_with_edge_types_is_refused_as_pygs_multi_relation_layers_are():
    """It was built and failed at the first call inside DGL ("'NoneType' object has no attribute 'min'")."""
    from dgl.nn.pytorch import GatedGraphConv

    with pytest.raises(TypeError, match=r"^IterativeConv: GatedGraphConv with n_etypes=2 needs the type of every "
                                        r"edge \(etypes\).*Build it with n_etypes=1.*HeteroGraphConv"):
        IterativeConv(GatedGraphConv(C, C, 2, n_etypes=2))
    g, _ = graph()
    x = torch.randn(15, C)
    assert IterativeConv(GatedGraphConv(C, C, 2, n_etypes=1), num_iterations=2)(g, x).shape == (15, C)


def test_cfconvs_edge_feats_get_the_edge_features():
    """CFConv names them edge_feats, which was not among the names read: it was refused as a layer that
    needs three positional arguments."""
    from dgl.nn.pytorch import CFConv

    torch.manual_seed(0)
    g, _ = graph()
    x, e = torch.randn(15, C), torch.randn(g.num_edges(), 3)
    conv = IterativeConv(CFConv(C, 3, 16, C), channels=C, num_iterations=4)
    z = x
    for _ in range(4):
        z = 0.5 * z + 0.5 * torch.relu(conv.operator(g, z, e))
    torch.testing.assert_close(conv(g, x, edge_attr=e), z)


@pytest.mark.parametrize("batch_norm", [False, True])
def test_the_batch_norm_warning_is_given_only_where_the_norms_are_applied(batch_norm):
    """GatedGCNConv holds its norms whether or not it applies them: batch_norm=False was warned about."""
    import warnings

    from dgl.nn.pytorch import GatedGCNConv

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        IterativeConv(GatedGCNConv(C, 3, C, batch_norm=batch_norm), channels=C)
    assert any("batch normalisation" in str(w.message) for w in caught) == batch_norm


@pytest.mark.parametrize("channels", [None, C])
def test_a_layer_needing_more_inputs_is_told_so_before_any_width(channels):
    """Without channels= the first refusal asked for it, and with it came the refusal that no width fixes."""
    from dgl.nn.pytorch import EdgeWeightNorm, RelGraphConv

    with pytest.raises(TypeError, match=r"RelGraphConv.forward\(g, feat, etypes, norm, presorted\) needs 3 "
                                        r"positional arguments"):
        IterativeConv(RelGraphConv(C, C, 1), channels=channels)
    with pytest.raises(TypeError, match=r"EdgeWeightNorm.forward\(graph, edge_weight\) takes edge_weight second, "
                                        r"where each step passes the features"):
        IterativeConv(EdgeWeightNorm(), channels=channels)


def test_a_graph_derived_inside_the_step_is_not_taken_for_the_graph_it_came_from():
    """The layer hands its module a copy of the graph that the caches know as the graph itself. DGL's edits
    (dgl.remove_edges, add_self_loop ...) clone a graph with its attributes, so a graph derived from that
    copy was known as the original too, and a GCN operator inside served the original's propagation: a
    DropEdge module propagated on every edge."""
    from torch import nn

    from dgl_iterative import GCNOperator

    torch.manual_seed(0)
    n, c = 60, 4
    g = dgl.to_bidirected(dgl.rand_graph(n, 200))
    x = torch.randn(n, c)

    class DropHalf(nn.Module):
        def __init__(self):
            super().__init__()
            self.op = GCNOperator(c)

        def forward(self, graph, feat):
            return self.op(dgl.remove_edges(graph, torch.arange(graph.num_edges() // 2)), feat)

    inner = DropHalf()
    layer = IterativeConv(inner, channels=c, num_iterations=3)
    with torch.no_grad():
        inner.op(g, x)  # the operator's propagation of the whole graph, cached
        out = layer(g, x)
        half = dgl.remove_edges(g, torch.arange(g.num_edges() // 2))
        z = x
        for _ in range(3):  # the layer's step by hand: z <- 0.5 z + 0.5 relu(op(z)), on the half graph
            fresh = GCNOperator(c)
            fresh.load_state_dict(inner.op.state_dict())
            z = 0.5 * z + 0.5 * torch.relu(fresh(half, z))
    torch.testing.assert_close(out, z)


def test_a_graph_the_layer_handed_its_module_can_be_pickled_and_keeps_its_cache_through_local_var():
    """The mark that tells the caches a copy is the original's held a weak reference, which cannot be
    pickled: a module that kept the graph it was given could not be saved. And ``local_var()`` (DGL's
    idiom, e.g. in ``DotGatConv``), which keeps the structure, lost the cache: a propagation built at
    every step."""
    import pickle

    from torch import nn

    from dgl_iterative import GCNOperator

    g = dgl.to_bidirected(dgl.rand_graph(30, 90))
    x = torch.randn(30, 4)

    class Keeps(nn.Module):
        def __init__(self):
            super().__init__()
            self.op = GCNOperator(4)
            self.seen = []

        def forward(self, graph, feat):
            self.seen.append(graph)
            return self.op(graph.local_var(), feat)

    inner = Keeps()
    built = []
    original = inner.op.build_propagation
    inner.op.build_propagation = lambda *a, **k: built.append(1) or original(*a, **k)
    layer = IterativeConv(inner, channels=4, num_iterations=3)
    with torch.no_grad():
        layer(g, x)
        layer(g, x)
    assert len(built) == 1
    kept = inner.seen[0]
    assert pickle.loads(pickle.dumps(kept)).num_edges() == g.num_edges()
    assert pickle.loads(pickle.dumps(dgl.add_self_loop(kept))).num_edges() == g.num_edges() + 30
