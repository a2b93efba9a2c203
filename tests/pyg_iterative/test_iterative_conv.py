"""IterativeConv, PyG only: GCNConv (PyG's own, no DGL counterpart) iterated, and the sparse adjacency of
a bipartite graph refused. What both adapters share is in tests/adapters/test_iterative_conv.py."""
import pytest
import torch

pytest.importorskip("torch_geometric")

from torch_geometric.data import Batch, Data  # noqa: E402
from torch_geometric.nn import (CGConv, GCNConv, GINEConv, GPSConv, MessagePassing, NNConv, PDNConv,  # noqa: E402
                                ResGatedGraphConv, SAGEConv, TransformerConv, global_mean_pool)

from pyg_iterative import IterativeConv  # noqa: E402
from tests.helpers import iterate_by_hand, random_graph, toy_graphs  # noqa: E402

C = 8


@pytest.mark.parametrize("weighted", [False, True])
def test_gcnconv_matches_layer_iterated_by_hand(weighted):
    """On a graph without self-loops, which GCNConv adds at every call."""
    ei, w = random_graph(15, 50, simple=True, weighted=weighted)
    x = torch.randn(15, C)
    layer = GCNConv(C, C)
    conv = IterativeConv(layer, num_iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7], act="tanh")
    out = conv(x, ei, w)
    ref = iterate_by_hand(lambda z: layer(z, ei, w), x, iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7],
                          act=torch.tanh)
    assert torch.allclose(out, ref, atol=1e-6)
    with pytest.raises(ValueError, match="maps 8 input channels to 16 output channels.*feeds each output back"):
        IterativeConv(GCNConv(C, 2 * C))


def test_a_non_square_sparse_adjacency_is_refused_with_hint():
    ei = torch.tensor([[0, 1], [1, 2]])
    adj = torch.sparse_coo_tensor(ei, torch.ones(2), (3, 4))
    with pytest.raises(ValueError, match=r"3 x 4 sparse adjacency.*square.*subgraph"):
        IterativeConv(SAGEConv(C, C))(torch.randn(4, C), adj)


class _CentredMean(MessagePassing):
    """A user's layer that works per graph: the mean of the neighbours, minus its graph's mean."""

    def __init__(self, channels: int):
        super().__init__(aggr="mean")
        self.channels = channels  # one width, in and out (as GPSConv's)

    def forward(self, x, edge_index, batch=None):
        h = self.propagate(edge_index, x=x)
        if batch is None:
            return 0.5 * (h - h.mean(0))
        return 0.5 * (h - global_mean_pool(h, batch)[batch])


@pytest.mark.parametrize("layer", ["centred", "gps", "compiled"])
def test_a_layer_that_takes_batch_gets_it_at_every_step(layer):
    """Without it, what the layer does per graph would mix the graphs of a batch."""
    torch.manual_seed(0)
    graphs = [Data(x=x.double(), edge_index=ei) for x, ei, _ in toy_graphs(3, channels=C)]
    b = Batch.from_data_list(graphs)
    op = _CentredMean(C) if layer == "centred" else GPSConv(C, GCNConv(C, C), heads=2, norm=None)
    if layer == "compiled":  # its forward is (*args, **kwargs): what it takes is read from the module inside
        op = torch.compile(op.double(), backend="eager")
    conv = IterativeConv(op, num_iterations=6, act="tanh").double().eval()  # width read from `channels`
    assert conv.channels == C
    out = conv(b.x, b.edge_index, batch=b.batch)
    for i, g in enumerate(graphs):
        assert torch.allclose(out[b.batch == i], conv(g.x, g.edge_index), atol=1e-10)


def test_heads_count_in_the_width_only_where_they_are_concatenated():
    """GPSConv(C, heads=2) and GeneralConv(C, C, heads=2) return C channels; they were refused as
    mapping C to 2C."""
    from torch_geometric.nn import GATConv, GeneralConv, TransformerConv

    for op in (GPSConv(C, GCNConv(C, C), heads=2), GeneralConv(C, C, heads=2), GATConv(C, C // 2, heads=2),
               TransformerConv(C, C, heads=2, concat=False)):
        assert IterativeConv(op, num_iterations=2).channels == C
    with pytest.raises(ValueError, match=f"GATConv maps {C} input channels to {2 * C} output channels"):
        IterativeConv(GATConv(C, C, heads=2))


def test_a_per_node_module_that_takes_batch_second_is_refused():
    """PyG's MLP(x, batch=None, ...): the graph would land in its batch argument."""
    from torch_geometric.nn import MLP

    with pytest.raises(TypeError, match=r"MLP.forward\(x, batch, .*\) takes batch second, where each step passes "
                                        r"the graph"):
        IterativeConv(MLP([C, C]))


_NEEDS_EDGE_ATTR = {  # layer -> the width of its edge features
    "GINEConv": (lambda: GINEConv(torch.nn.Linear(8, 8)), 8),
    "NNConv": (lambda: NNConv(8, 8, torch.nn.Linear(3, 64)), 3),
    "TransformerConv": (lambda: TransformerConv(8, 8, edge_dim=3), 3),
    "ResGatedGraphConv": (lambda: ResGatedGraphConv(8, 8, edge_dim=3), 3),
    "CGConv": (lambda: CGConv(8, dim=3), 3),
}


@pytest.mark.parametrize("name", sorted(_NEEDS_EDGE_ATTR))
def test_a_layer_that_needs_edge_features_without_them_is_named(name):
    make, edge_dim = _NEEDS_EDGE_ATTR[name]
    ei, _ = random_graph(10, 30)
    conv = IterativeConv(make(), num_iterations=2)
    with pytest.raises(TypeError, match=rf"IterativeConv: {name}.forward needs edge features \(edge_attr\); pass "
                                        r"them as edge_attr=, one row per edge"):
        conv(torch.randn(10, 8), ei)
    assert conv(torch.randn(10, 8), ei, edge_attr=torch.randn(ei.size(1), edge_dim)).shape == (10, 8)


@pytest.mark.parametrize("make", [lambda: CGConv(8), lambda: PDNConv(8, 8, 3, 16), lambda: TransformerConv(8, 8)],
                         ids=["CGConv(dim=0)", "PDNConv(normalize=True)", "TransformerConv"])
def test_a_layer_whose_edge_features_are_optional_runs_without_them(make):
    ei, _ = random_graph(10, 30)
    assert IterativeConv(make(), num_iterations=2)(torch.randn(10, 8), ei).shape == (10, 8)


def test_batch_normalisation_inside_the_iterated_layer_is_warned_once():
    """GPSConv's default norm='batch_norm' normalised every step over the whole batch (a graph's output
    then depends on its batch-mates) and moved its running statistics at every step, silently."""
    import warnings

    with pytest.warns(UserWarning, match=r"IterativeConv: the operator holds batch normalisation \(norm1.module, "
                                         r"norm2.module, norm3.module\).*GPSConv\(norm='graph_norm'\)"):
        IterativeConv(GPSConv(C, GCNConv(C, C), heads=2))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        IterativeConv(GPSConv(C, GCNConv(C, C), heads=2, norm="graph_norm"))


def test_edge_weights_beyond_a_half_layers_range_are_refused():
    """A float16 layer gets the weights in float16: float32 weights above 65504 became inf, and the
    iteration read as diverged, "the operator is expansive"."""
    n = 12
    edge_index, _ = random_graph(n, 40, seed=2)
    x = torch.randn(n, C).half()
    conv = IterativeConv(GCNConv(C, C), num_iterations=3, inject_input=True).half()
    w = torch.full((edge_index.size(1),), 2e5)
    with pytest.raises(ValueError, match=r"IterativeConv: edge_weight holds values up to 2e\+05, beyond the range of "
                                         r"torch.float16 \(largest 65504\), the features' dtype that GCNConv gets them in"):
        conv(x, edge_index, w)
    assert conv(x, edge_index, w / 10).dtype == torch.float16  # within the range: taken, as float16
    assert conv(x, edge_index, torch.full_like(w, 65519.0)).dtype == torch.float16  # rounds to 65504: taken
    assert IterativeConv(GCNConv(C, C), num_iterations=3, inject_input=True).bfloat16()(
        x.bfloat16(), edge_index, w).dtype == torch.bfloat16  # bfloat16 holds float32's range


def test_edge_weights_below_a_half_layers_range_are_refused():
    """float32 weights below float16's smallest value (6e-8) became 0 in the cast: their edges dropped out
    without a word (GCNConv, scale-free, then gave the output of a graph without those edges)."""
    n = 12
    edge_index, _ = random_graph(n, 40, seed=2)
    x = torch.randn(n, C).half()
    conv = IterativeConv(GCNConv(C, C, add_self_loops=False), num_iterations=3, inject_input=True).half()
    w = torch.ones(edge_index.size(1))
    w[:5] = 1e-8
    with pytest.raises(ValueError, match=r"IterativeConv: edge_weight holds 5 nonzero value\(s\) that are 0 in "
                                         r"torch.float16 \(the smallest, 1e-08\), the features' dtype that GCNConv gets "
                                         r"them in: their edges would drop out"):
        conv(x, edge_index, w)
    w[:5] = 0.0  # zeros are weights of their own
    assert conv(x, edge_index, w).dtype == torch.float16
    w[:5] = 1e-6  # float16 subnormals: rounded, kept
    assert conv(x, edge_index, w).dtype == torch.float16
    w[:5] = 1e-42  # below bfloat16's smallest subnormal, 9.2e-41 (float32 goes down to 1.4e-45)
    with pytest.raises(ValueError, match=r"edge_weight holds 5 nonzero value\(s\) that are 0 in torch.bfloat16"):
        IterativeConv(GCNConv(C, C, add_self_loops=False), num_iterations=3, inject_input=True).bfloat16()(
            x.bfloat16(), edge_index, w)


def test_a_sparse_adjacency_of_another_dtype_than_x_is_named():
    """An edge_weight tensor is cast to x's dtype; a sparse matrix of another dtype failed inside PyG's
    spmm with torch's "expected scalar type Float but found Double"."""
    n = 12
    edge_index, _ = random_graph(n, 40, simple=True, seed=3)
    adj = torch.sparse_coo_tensor(edge_index.flip(0), torch.rand(edge_index.size(1), dtype=torch.float64),
                                  (n, n)).coalesce()
    x = torch.randn(n, C)
    conv = IterativeConv(GCNConv(C, C), num_iterations=2)
    with pytest.raises(TypeError, match=r"IterativeConv: the sparse adjacency's values are torch.float64 but the node "
                                        r"features torch.float32, and GCNConv multiplies the two: convert it once, "
                                        r"adj.to\(torch.float32\)"):
        conv(x, adj)
    assert torch.allclose(conv(x, adj.float()), conv(x, adj.indices().flip(0), adj.values().float()), atol=1e-6)


def test_a_module_that_concatenates_its_heads_is_taken_at_the_width_channels_confirms():
    """A module of one's own holding heads, without concat, is read as averaging them (PyG's rule): one
    that concatenates them was refused, with advice for that very layout, and channels= could not say
    otherwise."""
    class ConcatHeads(MessagePassing):
        def __init__(self, in_channels, out_channels, heads):
            super().__init__(aggr="mean")
            self.in_channels, self.out_channels, self.heads = in_channels, out_channels, heads
            self.lin = torch.nn.Linear(in_channels, out_channels * heads)

        def forward(self, x, edge_index):
            return self.propagate(edge_index, x=self.lin(x))

    ei = torch.tensor([[0, 1, 2, 3, 4], [1, 2, 3, 4, 0]])
    with pytest.raises(ValueError, match=r"ConcatHeads maps 8 input channels to 4 output channels.*If ConcatHeads "
                                         r"concatenates its 2 heads rather than averaging them, pass channels=8 "
                                         r"\(or give it concat = True\)"):
        IterativeConv(ConcatHeads(8, 4, 2))
    assert IterativeConv(ConcatHeads(8, 4, 2), channels=8)(torch.randn(5, 8), ei).shape == (5, 8)
    with pytest.raises(ValueError, match=r"maps 8 input channels to 4 output channels"):
        IterativeConv(ConcatHeads(8, 4, 2), channels=4)
    with pytest.raises(ValueError, match=r"maps 8 input channels to 4 output channels"):  # 4 * 3 is not 8
        IterativeConv(ConcatHeads(8, 4, 3), channels=8)


def test_widths_under_pyg_names_and_graphmask_explainer_refused_by_name():
    """PyG's tools read ``in_channels``/``out_channels`` off a ``MessagePassing`` module: with none,
    GraphMaskExplainer failed inside PyG with an AttributeError before the layer's own refusal."""
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import GraphMaskExplainer

    conv = IterativeConv(GCNConv(C, C), num_iterations=2)
    assert (conv.in_channels, conv.out_channels) == (C, C)
    edge_index, _ = random_graph(10, 30)
    x = torch.randn(10, C)
    explainer = Explainer(conv, GraphMaskExplainer(1, epochs=1), explanation_type="model", edge_mask_type="object",
                          model_config=dict(mode="regression", task_level="node", return_type="raw"))
    with pytest.raises(RuntimeError, match="GraphMaskExplainer.*GNNExplainer"):
        explainer(x, edge_index, index=0)
    assert conv(x, edge_index).shape == (10, C)  # its gates taken off again


def _refused_pyg_layers():
    from torch_geometric.nn import (DNAConv, FastRGCNConv, HANConv, HeteroConv, HGTConv, HypergraphConv, RGATConv,
                                    RGCNConv, WLConv)
    meta = (["a"], [("a", "r", "a")])
    typed = r"the type of every edge \(edge_type\) at each call, whatever num_relations is"
    hetero = r"a dict of features by node type.*HeteroConv\(\{edge_type: IterativeConv\(layer\)"
    return [
        (lambda: RGCNConv(C, C, num_relations=1), typed),
        (lambda: FastRGCNConv(C, C, num_relations=2), typed),
        (lambda: RGATConv(C, C, num_relations=1), typed),
        (lambda: HGTConv(C, C, meta, heads=2), hetero),
        (lambda: HANConv(C, C, meta, heads=2), hetero),
        (lambda: HeteroConv({("a", "r", "a"): GCNConv(C, C)}), hetero),
        (lambda: WLConv(), "integer colours"),
        (lambda: DNAConv(C), r"\[num_nodes, num_layers, channels\]"),
        (lambda: HypergraphConv(C, C, use_attention=True, heads=1), r"use_attention=True it needs hyperedge_attr"),
    ]


@pytest.mark.parametrize("case", range(9))
@pytest.mark.parametrize("channels", [None, C])
def test_layers_that_cannot_be_iterated_are_refused_by_name_whatever_the_width(case, channels):
    """Built, they failed at the first call inside PyG (a bare AssertionError, "Tensor.__contains__",
    "'Tensor' object has no attribute 'items'"); RGCNConv was told to use num_relations=1, which fails
    the same way (it needs edge_type whatever the count)."""
    make, reason = _refused_pyg_layers()[case]
    layer = make()
    with pytest.raises(TypeError, match=rf"^IterativeConv: {type(layer).__name__} cannot be iterated: .*{reason}"):
        IterativeConv(layer, channels=channels)


@pytest.mark.parametrize("compiled", [False, True], ids=["eager", "compiled"])
@pytest.mark.parametrize("wrapper", ["gps", "antisymmetric"])
def test_edge_features_reach_the_layer_a_wrapping_layer_runs(wrapper, compiled):
    """GPSConv and AntiSymmetricConv pass their keywords on to the layer they run (GraphGPS with
    GINEConv): edge_attr= was refused as "takes no edge features", and without it the call failed
    inside GINEConv. A compiled GINEConv in GPSConv was still refused so."""
    from torch_geometric.nn import AntiSymmetricConv

    torch.manual_seed(0)
    ei, _ = random_graph(12, 40, simple=True)
    x, e = torch.randn(12, C), torch.randn(ei.size(1), 3)
    inner = GINEConv(torch.nn.Linear(C, C), edge_dim=3)
    if compiled:
        inner = torch.compile(inner, backend="eager")
    layer = GPSConv(C, inner, heads=2, norm=None) if wrapper == "gps" else AntiSymmetricConv(C, phi=inner)
    conv = IterativeConv(layer, num_iterations=3).eval()
    ref = iterate_by_hand(lambda z: layer(z, ei, edge_attr=e), x, iterations=3)
    torch.testing.assert_close(conv(x, ei, edge_attr=e), ref)
    with pytest.raises(TypeError, match=rf"^IterativeConv: {type(layer).__name__}.forward needs edge features "
                                        r"\(edge_attr\)"):
        conv(x, ei)
    if compiled:  # the wrapping layer compiled as well
        conv = IterativeConv(torch.compile(layer, backend="eager"), num_iterations=3).eval()
        torch.testing.assert_close(conv(x, ei, edge_attr=e), ref)
        with pytest.raises(TypeError, match=rf"^IterativeConv: {type(layer).__name__}.forward needs edge features"):
            conv(x, ei)


def test_a_pnaconv_built_with_edge_dim_needs_edge_features():
    """Without them it failed inside PyG with a matrix shape error."""
    from torch_geometric.nn import PNAConv

    conv = IterativeConv(PNAConv(C, C, ["mean"], ["identity"], torch.tensor([0, 4, 4]), edge_dim=3))
    ei, _ = random_graph(12, 40, simple=True)
    with pytest.raises(TypeError, match=r"^IterativeConv: PNAConv.forward needs edge features \(edge_attr\)"):
        conv(torch.randn(12, C), ei)


def test_edgeconv_and_mixhop_widths_are_read_as_they_map():
    """EdgeConv's nn maps [x_i, x_j - x_i], twice the features' width, and MixHopConv concatenates one
    block of out_channels per power: square layers were refused as non-square (EdgeConv "maps 16 input
    channels to 8"), and MixHopConv(8, 8, powers=[0, 1]), which maps 8 to 16, was the advice."""
    from torch_geometric.nn import EdgeConv, MixHopConv

    torch.manual_seed(0)
    ei, _ = random_graph(12, 40, simple=True)
    x = torch.randn(12, C)
    for layer in (EdgeConv(torch.nn.Sequential(torch.nn.Linear(2 * C, 12), torch.nn.ReLU(), torch.nn.Linear(12, C))),
                  MixHopConv(C, C // 2, powers=[0, 1])):
        conv = IterativeConv(layer, num_iterations=3)
        assert conv.channels == C
        torch.testing.assert_close(conv(x, ei), iterate_by_hand(lambda z: layer(z, ei), x, iterations=3))
    with pytest.raises(ValueError, match=r"EdgeConv maps 8 input channels to 4 output channels"):
        IterativeConv(EdgeConv(torch.nn.Linear(2 * C, C // 2)))
    with pytest.raises(ValueError, match=r"MixHopConv maps 8 input channels to 16 output channels"):
        IterativeConv(MixHopConv(C, C, powers=[0, 1]))


def test_a_subclass_that_supplies_what_its_refused_base_needs_is_iterated():
    """A user's RGCNConv that keeps its edge types and takes forward(x, edge_index) iterates; the
    refusal is for the library's class itself."""
    from torch_geometric.nn import RGCNConv

    class TypedRGCN(RGCNConv):
        def __init__(self, channels, edge_type):
            super().__init__(channels, channels, num_relations=2)
            self.register_buffer("edge_type", edge_type)

        def forward(self, x, edge_index):
            return super().forward(x, edge_index, self.edge_type)

    ei, _ = random_graph(12, 40, simple=True)
    layer = TypedRGCN(C, torch.randint(0, 2, (ei.size(1),)))
    x = torch.randn(12, C)
    torch.testing.assert_close(IterativeConv(layer, num_iterations=3)(x, ei),
                               iterate_by_hand(lambda z: layer(z, ei), x, iterations=3))


def test_edge_features_go_only_to_a_layer_that_takes_them():
    """A user's forward(x, edge_index, **kwargs) that reads no edge features, or GPSConv running a
    GCNConv, was handed edge_attr: silently ignored, or refused inside PyG ("unexpected keyword")."""
    class Mine(MessagePassing):
        def __init__(self):
            super().__init__(aggr="mean")
            self.in_channels = self.out_channels = C

        def forward(self, x, edge_index, **kwargs):
            return self.propagate(edge_index, x=x)

    ei, _ = random_graph(12, 40, simple=True)
    x, e = torch.randn(12, C), torch.randn(ei.size(1), 3)
    with pytest.raises(TypeError, match=r"^IterativeConv: Mine takes no edge features \(its forward names none of "
                                        r"edge_attr\); pass them to"):
        IterativeConv(Mine(), num_iterations=2)(x, ei, edge_attr=e)
    with pytest.raises(TypeError, match=r"^IterativeConv: GPSConv takes no edge features \(its forward names none of "
                                        r"edge_attr, nor does the GCNConv it runs\)"):
        IterativeConv(GPSConv(C, GCNConv(C, C), heads=2), num_iterations=2)(x, ei, edge_attr=e)


def test_an_edgeconv_whose_nn_takes_an_odd_width_is_refused_when_built():
    """Read as half its nn's width, rounded down, it was built and failed at the first call in torch."""
    from torch_geometric.nn import EdgeConv

    with pytest.raises(ValueError, match=r"EdgeConv maps 17 input channels to 8 output channels"):
        IterativeConv(EdgeConv(torch.nn.Linear(17, C)))
