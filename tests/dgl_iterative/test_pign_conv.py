"""PIGNConv, DGL only: the zero-in-degree rule of DGL's GraphConv (and GAT's self-loops), blocks, a graph
whose node count is not the features', the user's graph left untouched, and gradcheck of both
propagation paths (copy_u and u_mul_e). What both adapters share is in tests/adapters/test_pign_conv.py."""
import pytest
import torch

dgl = pytest.importorskip("dgl")

from dgl_iterative import PIGN, GCNOperator, GraphPIGN, PIGNConv  # noqa: E402
from tests.helpers import dense_gcn_matrix, dense_pign, random_graph  # noqa: E402

C = 8


def to_dgl(edge_index, n):
    return dgl.graph((edge_index[0], edge_index[1]), num_nodes=n)


def test_zero_in_degree_follows_graphconv_rule():
    edge_index, _ = random_graph(20, 40, isolated=3)
    g = to_dgl(edge_index, 20)
    x = torch.randn(20, C)
    with pytest.raises(dgl.DGLError, match="0-in-degree"):
        PIGNConv(C, add_self_loops=False)(g, x)
    out = PIGNConv(C, add_self_loops=False, allow_zero_in_degree=True)(g, x)
    assert torch.isfinite(out).all()
    A = dense_gcn_matrix(edge_index, None, 20, add_self_loops=False)
    conv = PIGNConv(C, add_self_loops=False, allow_zero_in_degree=True, form="paper")
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=8, smoothing=0.5)
    assert torch.allclose(conv(g, x), ref, atol=1e-5)


def test_gat_in_half_precision_refuses_weights_its_cast_makes_infinite():
    """conv="gat" iterates a half-precision layer in float32 and casts the edge weights to the layer's
    dtype itself: weights beyond its range became inf without the check IterativeConv makes."""
    edge_index, _ = random_graph(20, 60, seed=3)
    g = to_dgl(edge_index, 20)
    conv = PIGNConv(C, conv="gat", num_iterations=3).bfloat16()
    x = torch.randn(20, C).bfloat16()
    w = torch.ones(g.num_edges())
    w[:3] = 3.4e38  # finite in float32, beyond bfloat16's 3.39e38
    with pytest.raises(ValueError, match=r"^PIGNConv\(conv='gat'\): edge_weight holds values up to 3\.4e\+38, beyond the "
                                         r"range of torch.bfloat16 .* that DGL's GATConv gets them in"):
        conv(g, x, w)
    assert conv(g, x, torch.rand(g.num_edges()) + 0.1).dtype == torch.bfloat16
    conv.validate = False  # (the check reads values back)
    assert conv(g, x, w).dtype == torch.bfloat16


def test_gat_keeps_nodes_without_in_edges_by_its_self_loops():
    ei, w = random_graph(12, 30, simple=True)
    g = to_dgl(ei, 14)  # two isolated nodes: their self-loops keep them defined
    x = torch.randn(14, C)
    layer = PIGNConv(C, num_iterations=3, conv="gat", heads=2)
    assert torch.isfinite(layer(g, x, w)).all()
    with pytest.raises(dgl.DGLError, match="0-in-degree"):
        PIGNConv(C, conv="gat", add_self_loops=False)(g, x)


def test_graph_is_left_untouched():
    edge_index, w = random_graph(15, 40)
    g = to_dgl(edge_index, 15)
    PIGNConv(4)(g, torch.randn(15, 4), w)
    assert set(g.ndata.keys()) == set() and set(g.edata.keys()) == set()


@pytest.mark.parametrize("convert", ["int", "long"])
def test_a_graph_run_through_the_layers_still_batches_after_an_idtype_change(convert):
    """Reading an unbatched graph's batch size stored batch sizes of its idtype on it, which ``.int()`` and
    ``.long()`` copy unconverted: ``dgl.batch`` of the copy then failed with DGL's dtype error."""
    from dgl_iterative import GraphPIGN

    edge_index, w = random_graph(15, 40)
    g = to_dgl(edge_index, 15)
    g = g.long() if convert == "int" else g.int()
    PIGNConv(4)(g, torch.randn(15, 4), w)
    GraphPIGN(4, 8, 2, num_iterations=2)(g, torch.randn(15, 4))
    other = getattr(g, convert)()
    batched = dgl.batch([other, other])
    assert batched.batch_size == 2 and batched.batch_num_nodes().dtype == other.idtype


def test_graph_and_feature_mismatch():
    g = to_dgl(torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]), 5)
    with pytest.raises(ValueError, match="3 rows.*5 nodes"):
        PIGNConv(4)(g, torch.randn(3, 4))


def test_blocks_are_refused():
    """Also by the operator called alone, which was a segmentation fault."""
    edge_index, _ = random_graph(15, 40)
    block = dgl.to_block(to_dgl(edge_index, 15), dst_nodes=torch.arange(5))
    for module in (PIGNConv(4), GCNOperator(4)):
        with pytest.raises(ValueError, match="square"):
            module(block, torch.randn(block.num_src_nodes(), 4))
    # a block whose source and destination counts agree is still two node sets
    full = dgl.to_block(to_dgl(edge_index, 15), dst_nodes=torch.arange(15))
    assert full.num_src_nodes() == full.num_dst_nodes() == 15
    with pytest.raises(ValueError, match="15 source and 15 destination nodes, two node sets even where their counts"):
        PIGNConv(4)(full, torch.randn(15, 4))
    # the models: the block is named (a row count was: "feat has 15 rows but the graph has 20 nodes")
    for model in (PIGN(4, 8, 2, num_iterations=2), GraphPIGN(4, 8, 2, num_iterations=2)):
        with pytest.raises(ValueError, match=rf"^(GraphPIGN|PIGN): got a block \(message-flow graph\) with "
                                             rf"{block.num_src_nodes()} source and 5 destination nodes"):
            model(block, torch.randn(block.num_src_nodes(), 4))


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
def test_gradcheck_both_propagation_paths(weighted, grad):
    """Unweighted graphs propagate with copy_u between two node scalings, weighted ones with u_mul_e:
    both are checked against finite differences (float64), for the input and the edge weights."""
    n = 12
    edge_index, w = random_graph(n, 40, isolated=2, weighted=True, seed=3)
    g = to_dgl(edge_index, n)
    # the input added back at every step: without it the fixed point is 0 whatever x (zero against zero)
    # (phantom: the last 30 steps of a 0.5-contraction, the fixed point's gradient to about 1e-9)
    converged = dict(num_iterations=300, tol=1e-13, stop="abs", contraction=0.5, on_nonconvergence="raise")
    kw = {"implicit": dict(converged, backward_tol=1e-13), "phantom": dict(converged, phantom_steps=30),
          "unrolled": dict(num_iterations=5)}[grad]
    torch.manual_seed(0)
    conv = PIGNConv(3, form="paper", act="tanh", grad=grad, inject_input=True, **kw).double()
    with torch.no_grad():
        conv.operator.bias.normal_()
    x = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)
    dx, = torch.autograd.grad(conv(g, x).pow(2).sum(), x)
    assert dx.abs().max() > 1e-2  # an answer that depends on x
    if weighted:
        w = w.double().requires_grad_()
        assert torch.autograd.gradcheck(lambda x, w: conv(g, x, w), (x, w))
    else:
        assert torch.autograd.gradcheck(lambda x: conv(g, x), (x,))


def test_batch_sizes_changed_in_place_and_set_again_are_seen():
    """set_batch_num_nodes keeps the tensor it is given: the batch vector built from it was reused
    after the tensor changed in place, so the readout pooled the old graphs."""
    from dgl_iterative import GraphPIGN

    edge_index, _ = random_graph(15, 40, seed=2)
    # no edge between [0, 5), [5, 10) and [10, 15): both [5, 10] and [10, 5] cut no edge
    part = edge_index.div(5, rounding_mode="floor")
    g = to_dgl(edge_index[:, part[0] == part[1]], 15)
    x = torch.randn(15, 4)
    model = GraphPIGN(4, 8, 2, pool="sum").eval()

    def batched(counts):
        g.set_batch_num_nodes(counts)
        g.set_batch_num_edges(torch.tensor([0, g.num_edges()]))  # (not read by the layers)
        return g

    counts = torch.tensor([5, 10])
    model(batched(counts), x)
    counts[:] = torch.tensor([10, 5])
    out = model(batched(counts), x)
    expected = model(batched(torch.tensor([10, 5])), x)  # a new tensor of the same sizes
    assert torch.allclose(out, expected, atol=1e-6)


def test_a_batch_made_under_inference_mode_runs():
    """Its sizes tensor has no version counter, which the batch vector's cache read."""
    from dgl_iterative import GraphPIGN

    model = GraphPIGN(4, 8, 2, num_iterations=3).eval()
    with torch.inference_mode():
        bg = dgl.batch([to_dgl(random_graph(5, 10, seed=1)[0], 5), to_dgl(random_graph(6, 12, seed=2)[0], 6)])
        out = model(bg, torch.randn(11, 4))
    assert out.shape == (2, 2) and torch.isfinite(out).all()


def test_graph_pign_given_features_where_the_graph_goes_names_dgls_order():
    from dgl_iterative import GraphPIGN
    g = dgl.batch([dgl.graph(([0, 1], [1, 0])), dgl.graph(([0], [1]), num_nodes=2)])
    with pytest.raises(TypeError, match=r"GraphPIGN: graph must be a DGLGraph \(a dgl.batch of graphs: DGL's order, "
                                        r"model\(graph, feat, edge_weight=None, return_info=False\)\), got a float32 "
                                        r"Tensor of shape \(4, 3\)"):
        GraphPIGN(3, 8, 2)(torch.randn(4, 3), g)


@pytest.mark.parametrize("build", [
    lambda: PIGNConv(C, conv="sage"), lambda: PIGNConv(C, conv="gin"), lambda: PIGNConv(C, conv="gat"),
    lambda: __import__("dgl_iterative").IterativeConv(dgl.nn.SAGEConv(C, C, "mean")),
], ids=["sage", "gin", "gat", "wrapped SAGEConv"])
def test_float16_on_the_cpu_is_refused_where_dgl_kernels_run(build):
    """DGL's CPU kernels take no float16: an operator built on DGL's layers met DGL's raw C++ error at
    its first step. The GCN operator iterates half precision in float32, and bfloat16 runs."""
    g = to_dgl(random_graph(12, 30, seed=3)[0], 12)
    x = torch.randn(12, C)
    conv = build()
    with pytest.raises(TypeError, match=r"feat has dtype torch\.float16, which DGL's CPU kernels do not take .*"
                                        r"\.bfloat16\(\) or \.float\(\)"):
        conv.half()(g, x.half())
    assert conv.bfloat16()(g, x.bfloat16()).dtype == torch.bfloat16
    assert PIGNConv(C).half()(g, x.half()).dtype == torch.float16


def test_a_batched_graphs_own_counts_are_checked():
    """set_batch_num_nodes takes any counts: counts that cut an edge were trusted (each "graph" then stopped
    on its own while joined to another), and counts that did not sum to the nodes failed inside torch."""
    from dgl_iterative import GraphPIGN

    g1 = dgl.graph(([0, 1, 1, 2], [1, 0, 2, 1]), num_nodes=3)
    g2 = dgl.graph(([0, 1], [1, 0]), num_nodes=2)
    x = torch.randn(5, C)
    cut = dgl.batch([g1, g2])
    cut.set_batch_num_nodes(torch.tensor([2, 3]))
    with pytest.raises(ValueError, match=r"PIGNConv: the graph's batch \(batch_num_nodes\(\)\) puts the two ends of "
                                         r"2 edge\(s\) in different graphs \(the first: node 1 in graph 0 -> node 2"):
        PIGNConv(C, tol=1e-6)(cut, x)
    PIGNConv(C, tol=1e-6, validate=False)(cut, x)  # unchecked there, as a batch vector is
    short = dgl.batch([g1, g2])
    short.set_batch_num_nodes(torch.tensor([3, 3]))
    for model in (PIGNConv(C), GraphPIGN(C, 8, 2)):
        with pytest.raises(ValueError, match=rf"{type(model).__name__}: the graph's batch_num_nodes\(\) \[3, 3\] sums "
                                             r"to 6, but the graph has 5 nodes"):
            model(short, x)
    assert PIGNConv(C)(dgl.batch([g1, g2]), x).shape == (5, C)


def test_num_graphs_with_a_batched_graph_is_its_batch_size():
    """The graph's own batch: a correct num_graphs was refused as 'given without a batch vector'."""
    bg = dgl.batch([dgl.graph(([0], [1]), num_nodes=2)] * 3)
    x = torch.randn(6, C)
    conv = PIGNConv(C)
    assert torch.equal(conv(bg, x, num_graphs=3), conv(bg, x))
    with pytest.raises(ValueError, match=r"PIGNConv: num_graphs=2, but the graph holds 3 graph\(s\)"):
        conv(bg, x, num_graphs=2)


def test_graph_pign_names_a_row_mismatch_before_the_batch():
    from dgl_iterative import GraphPIGN

    bg = dgl.batch([dgl.graph(([0, 1], [1, 2]), num_nodes=3), dgl.graph(([0], [0]), num_nodes=1)])
    with pytest.raises(ValueError, match=r"^GraphPIGN: feat has 5 rows but the graph has 4 nodes$"):
        GraphPIGN(C, 8, 2)(bg, torch.randn(5, C))


@pytest.mark.parametrize("aggr", ["mean", "pool"])
def test_the_sage_operator_resets_every_parameter(aggr):
    """DGL's SAGEConv.reset_parameters keeps the linear maps' biases: a reset layer kept them trained."""
    conv = PIGNConv(C, conv="sage", aggr=aggr)
    with torch.no_grad():
        for p in conv.parameters():
            p.fill_(7.0)
    conv.reset_parameters()
    assert [name for name, p in conv.named_parameters() if bool((p == 7.0).all())] == []


def test_num_graphs_as_a_numpy_int_is_taken_as_an_int():
    np = pytest.importorskip("numpy")
    bg = dgl.batch([dgl.graph(([0], [1]), num_nodes=2)] * 2)
    x = torch.randn(4, C)
    assert torch.equal(PIGNConv(C)(bg, x, num_graphs=np.int64(2)), PIGNConv(C)(bg, x, num_graphs=2))


@pytest.mark.parametrize("fmt", ["csc", "csr", "coo"])
@pytest.mark.parametrize("conv", ["gcn", "gat"])
def test_a_graph_restricted_to_one_sparse_format_gives_the_same_output_and_gradients(fmt, conv, monkeypatch):
    """A CSR-only graph (and a CSC-only one with weights that require gradients) failed inside DGL's C
    library: DGL lists edges in id order, and its kernels compute the weights' gradient and GAT's
    attention, only with COO. The layer reads such a graph through a copy that allows COO."""
    edge_index, _ = random_graph(12, 40)
    g = to_dgl(edge_index, 12)
    x = torch.randn(12, C)
    layer = PIGNConv(C, conv=conv, num_iterations=3)
    restricted = g.formats(fmt)

    def run(graph):
        w = torch.linspace(0.5, 1.5, g.num_edges()).requires_grad_()
        out = layer(graph, x, w)
        out.square().sum().backward()
        return out.detach(), w.grad

    ref_out, ref_grad = run(g)
    out, grad = run(restricted)
    torch.testing.assert_close(out, ref_out)
    torch.testing.assert_close(grad, ref_grad)
    assert restricted.formats()["created"] + restricted.formats()["not created"] == [fmt]  # left as it was
    if conv == "gcn":  # the copy is cached as the graph it copies: the next calls reuse the propagation
        builds = []
        real = layer.operator.build_propagation
        monkeypatch.setattr(layer.operator, "build_propagation", lambda *a, **k: builds.append(1) or real(*a, **k))
        with torch.no_grad():
            for _ in range(3):
                layer(restricted, x)
        assert len(builds) == 1
    op = GCNOperator(C)  # the GCN operator alone, too
    w = torch.rand(g.num_edges()) + 0.5
    torch.testing.assert_close(op(g.formats(fmt), x, w), op(g, x, w))


@pytest.mark.parametrize("options", [dict(conv="sage", aggr="sum"), dict(conv="gin")])
def test_threads_sharing_one_graph_object_get_their_own_answers(options):
    """The steps write node data on the graph (DGL's local_scope), which belongs to the graph object:
    threads calling a layer on one graph read each other's (64 of 100 calls wrong, some KeyErrors).
    Each call now works on a copy of its own, which the caches know as the graph."""
    import sys
    import threading

    edge_index, _ = random_graph(30, 90, seed=1)
    g = to_dgl(edge_index, 30)
    conv = PIGNConv(C, **options).eval()
    feats = [torch.randn(30, C) for _ in range(4)]
    with torch.no_grad():
        refs = [conv(g, x) for x in feats]
    wrong, errors = [], []

    def worker(t: int) -> None:
        with torch.no_grad():
            for _ in range(25):
                try:
                    if not torch.equal(conv(g, feats[t]), refs[t]):
                        wrong.append(t)
                except Exception as exc:  # (DGL's KeyError for data another thread's scope removed)
                    errors.append(repr(exc))

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # (threads switch at almost every bytecode: the race shows at once)
    try:
        threads = [threading.Thread(target=worker, args=(t,)) for t in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    finally:
        sys.setswitchinterval(interval)
    assert (len(wrong), errors) == (0, [])
    assert not g.ndata and not g.edata  # (nothing left on the caller's graph)
