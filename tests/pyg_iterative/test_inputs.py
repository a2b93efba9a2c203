"""Every graph input a PyG user passes gives the same output, and a malformed edge_index is named; the
layers work inside torch_geometric.nn.Sequential, under torch.compile, deepcopy and pickling."""
import copy
import pickle

import pytest
import torch

pytest.importorskip("torch_geometric")

import torch_geometric.typing  # noqa: E402
from torch_geometric import EdgeIndex  # noqa: E402
from torch_geometric.nn import GCNConv, GraphConv, SAGEConv, Sequential  # noqa: E402
from torch_geometric.utils import to_torch_coo_tensor, to_torch_csr_tensor  # noqa: E402

from pyg_iterative import PIGN, IterativeConv, PIGNConv  # noqa: E402
from tests.helpers import iterate_by_hand, random_graph  # noqa: E402

C, N = 8, 14


def _formats(ei, w):
    """The same graph in every format (sparse matrices are adj_t: rows are destinations)."""
    out = {
        "edge_index": (ei, w),
        "EdgeIndex": (EdgeIndex(ei, sparse_size=(N, N)), w),
        "EdgeIndex sorted by col": (EdgeIndex(ei, sparse_size=(N, N)).sort_by("col")[0], None),
        "torch COO": (to_torch_coo_tensor(ei.flip(0), w, size=N), None),
        "torch CSR": (to_torch_csr_tensor(ei.flip(0), w, size=N), None),
    }
    if torch_geometric.typing.WITH_TORCH_SPARSE:
        from torch_sparse import SparseTensor

        out["SparseTensor"] = (SparseTensor.from_edge_index(ei.flip(0), w, sparse_sizes=(N, N)), None)
    return out


LAYERS = {
    "PIGNConv": lambda: PIGNConv(C, num_iterations=4),
    "IterativeConv(GCNConv)": lambda: IterativeConv(GCNConv(C, C), num_iterations=4),
    "IterativeConv(GraphConv)": lambda: IterativeConv(GraphConv(C, C), num_iterations=4),
    "IterativeConv(SAGEConv)": lambda: IterativeConv(SAGEConv(C, C), num_iterations=4),
}


@pytest.mark.parametrize("layer,weighted", [(name, False) for name in LAYERS]
                         + [(name, True) for name in LAYERS if "SAGE" not in name])  # SAGEConv takes no weights
def test_every_graph_format_gives_the_same_output(layer, weighted):
    ei, w = random_graph(N, 45, simple=True, weighted=weighted)
    conv = LAYERS[layer]()
    x = torch.randn(N, C)
    formats = _formats(ei, w)
    if "EdgeIndex sorted by col" in formats and weighted:
        del formats["EdgeIndex sorted by col"]  # its weights would need the same permutation
    ref = conv(x, ei, w)
    for name, (graph, weight) in formats.items():
        out = conv(x, graph, weight)
        assert torch.allclose(out, ref, atol=1e-6), name


def test_sparse_tensor_when_installed():
    if not torch_geometric.typing.WITH_TORCH_SPARSE:
        pytest.skip("torch_sparse is not installed (SparseTensor inputs are tested where it is)")
    from torch_sparse import SparseTensor

    ei, w = random_graph(N, 45, simple=True)
    conv = PIGNConv(C, num_iterations=4)
    x = torch.randn(N, C)
    adj_t = SparseTensor.from_edge_index(ei.flip(0), w, sparse_sizes=(N, N))
    assert torch.allclose(conv(x, adj_t), conv(x, ei, w), atol=1e-6)


def test_edge_index_shape_dtype_and_range():
    conv = PIGNConv(4)
    x = torch.randn(5, 4)
    with pytest.raises(ValueError, match=r"\[2, num_edges\]"):
        conv(x, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[2, num_edges\]"):
        conv(x, torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="int64"):
        conv(x, torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]).float())
    with pytest.raises(ValueError, match=r"node 9 .* only 5 nodes"):
        conv(x, torch.tensor([[0, 9], [1, 2]]))
    with pytest.raises(ValueError, match="negative node index -1"):
        conv(x, torch.tensor([[0, -1], [1, 2]]))


def test_an_edge_index_of_another_sparse_size_than_x_is_refused():
    """It was taken, and the layer ran on the rows of x (PyG's GCNConv refuses it)."""
    ei, _ = random_graph(N, 30, simple=True)
    with pytest.raises(ValueError, match=rf"sparse size \({N + 5}, {N + 5}\) but the node features have {N} rows"):
        PIGNConv(C)(torch.randn(N, C), EdgeIndex(ei, sparse_size=(N + 5, N + 5)))
    for size in ((N, N), (None, None), (N, None)):
        assert PIGNConv(C)(torch.randn(N, C), EdgeIndex(ei, sparse_size=size)).shape == (N, C)
    # one size given and not x's: PyG's message passing fills the other from x, a bipartite graph (was iterated
    # as the square graph of x's rows); a size PyG inferred per dimension ((10, 5) from a square graph) the same
    for size in ((None, N - 2), (N - 2, None), (N, N - 2)):
        read = tuple(N if s is None else s for s in size)
        with pytest.raises(ValueError, match=rf"sparse size \({size[0]}, {size[1]}\) for {N} nodes, which PyG's "
                                             rf"message passing reads as {read[0]} x {read[1]}\. .* set both sizes, "
                                             rf"edge_index.sparse_resize_\({N}, {N}\)"):
            PIGNConv(C)(torch.randn(N, C), EdgeIndex(ei[:, (ei < N - 2).all(0)], sparse_size=size))
    # a smaller size, as PyG infers it from the largest index (get_sparse_size, sort_by): the last nodes isolated
    small = EdgeIndex(torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]))
    small.get_sparse_size()
    x = torch.randn(N, C)
    conv = PIGNConv(C)
    assert torch.allclose(conv(x, small), conv(x, small.as_tensor()))


def _layers_over_sparse():
    return [PIGNConv(C), PIGNConv(C, conv="sage"), PIGNConv(C, conv="gin"), IterativeConv(SAGEConv(C, C))]


@pytest.mark.parametrize("layout", ["coo", "csr", "csc"])
@pytest.mark.parametrize("bad", [N + 3, -1])
def test_a_sparse_adjacencys_out_of_range_index_is_named(layout, bad):
    """torch builds a sparse matrix without checking its indices, and they were never read: the sage and
    gin operators returned values read from other memory, with no error; the gcn one a bare IndexError."""
    good = torch.sparse_coo_tensor(torch.tensor([[0, 1, 2], [1, 2, 3]]), torch.ones(3), (N, N)).coalesce()
    if layout == "coo":
        adj = torch.sparse_coo_tensor(torch.tensor([[0, 1, 2], [1, 2, bad]]), torch.ones(3), (N, N)).coalesce()
    elif layout == "csr":  # (built from its parts: converting a matrix with such an index aborts the process)
        csr = good.to_sparse_csr()
        adj = torch.sparse_csr_tensor(csr.crow_indices(), torch.tensor([1, 2, bad]), csr.values(), (N, N))
    else:
        csc = good.to_sparse_csc()
        adj = torch.sparse_csc_tensor(csc.ccol_indices(), torch.tensor([0, 1, bad]), csc.values(), (N, N))
    message = (rf"the sparse adjacency refers to node {bad} but the graph has only {N} nodes" if bad > 0 else
               r"the sparse adjacency contains the negative node index -1")
    for layer in _layers_over_sparse():
        with pytest.raises(ValueError, match=message):
            layer(torch.randn(N, C), adj)


@pytest.mark.parametrize("layout", ["csr", "csc"])
def test_a_compressed_adjacencys_bad_offsets_are_named(layout):
    """Offsets that do not end at the number of entries, or decrease: they failed deep inside PyG
    ("repeats can not be negative") or read other memory."""
    ei = torch.tensor([[0, 1, 2], [1, 2, 3]])
    good = torch.sparse_coo_tensor(ei, torch.ones(3), (N, N)).coalesce()
    good = good.to_sparse_csr() if layout == "csr" else good.to_sparse_csc()
    make, offsets, index = ((torch.sparse_csr_tensor, good.crow_indices(), good.col_indices()) if layout == "csr" else
                            (torch.sparse_csc_tensor, good.ccol_indices(), good.row_indices()))
    for change in (lambda o: o[:-1], lambda o: o + 1, lambda o: torch.cat([o[:1], o[2:3], o[1:2], o[3:]])):
        adj = make(change(offsets.clone()), index, good.values(), (N, N))
        for layer in _layers_over_sparse():
            with pytest.raises(ValueError, match=rf"the sparse {layout.upper()} adjacency's c(row|col)_indices are not "
                                                 rf"valid offsets: a {N} x {N} matrix with 3 entries needs {N + 1} "):
                layer(torch.randn(N, C), adj)
    x, conv = torch.randn(N, C), PIGNConv(C, conv="sage")  # (the valid one runs: adj_t, rows are destinations)
    torch.testing.assert_close(conv(x, good), conv(x, ei.flip(0)))


def test_a_graph_format_a_pyg_layer_refuses_is_named_with_the_format_to_pass():
    """Formats that some PyG layers take and others do not (a CSC adjacency: GATConv, GCNConv; an
    EdgeIndex of a smaller sparse size: SAGEConv, GINConv; a half-precision adjacency on the CPU: GINConv)
    failed deep inside PyG with its message alone; the library's own advice (adj.to(torch.float16)) led
    to one of them."""
    ei = torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    n, c = 6, 4
    x = torch.randn(n, c)
    csc = torch.sparse_coo_tensor(ei.flip(0), torch.ones(6), (n, n)).coalesce().to_sparse_csc()
    for layer in (PIGNConv(c, conv="gat"), IterativeConv(GCNConv(c, c))):
        with pytest.raises((ValueError, NotImplementedError),
                           match=r"PyG failed on the CSC sparse adjacency, a format that not every PyG layer takes: pass "
                                 r"the same graph as an edge index.*adj_t.to_sparse_csr\(\)\. The error: "):
            layer(x, csc)
        torch.testing.assert_close(layer(x, csc.to_sparse_csr()), layer(x, ei))
    assert torch.allclose(PIGNConv(c)(x, csc), PIGNConv(c)(x, csc))  # (the GCN operator takes it)
    small = EdgeIndex(ei, sparse_size=(n - 1, n - 1))
    for layer in (PIGNConv(c, conv="sage"), IterativeConv(SAGEConv(c, c))):
        with pytest.raises(ValueError, match=rf"PyG failed on the EdgeIndex of sparse size \({n - 1}, {n - 1}\) for {n} "
                                             rf"nodes, .*edge_index.sparse_resize_\({n}, {n}\)\. The error: "):
            layer(x, small)
    gin = PIGNConv(c, conv="gin").half()
    csr = csc.to_sparse_csr()
    with pytest.raises(TypeError, match=r"the CPU's sparse products take no half precision: pass the graph as an edge "
                                        r"index"):
        gin(x.half(), csr)
    with pytest.raises((NotImplementedError, RuntimeError),  # (torch 2.2: a RuntimeError)
                       match=r"PyG failed on the CSR sparse adjacency of torch.float16 values, "
                                                  r"which the CPU's sparse products do not take"):
        gin(x.half(), csr.half())
    assert gin(x.half(), ei).dtype == torch.float16
    # no hint where the format is one every PyG layer takes (the error then has another cause), nor for an
    # error raised outside PyG
    from torch_geometric.utils import add_self_loops

    from pyg_iterative.adapter import PyGAdapter
    with pytest.raises(ValueError) as inside_pyg:
        add_self_loops(csc)
    coo = csc.to_sparse_coo().coalesce()
    for graph in (ei, coo, csr, EdgeIndex(ei, sparse_size=(n, n))):
        assert PyGAdapter.graph_failure_hint(inside_pyg.value, graph, x) is None
    assert PyGAdapter.graph_failure_hint(inside_pyg.value, csc, x) is not None
    with pytest.raises(RuntimeError) as outside:
        torch.empty(0).view(-1, 0)
    assert PyGAdapter.graph_failure_hint(outside.value, csc, x) is None
    # an error of another cause, raised inside PyG on these formats, passes as it is (an EdgeIndex without a
    # size was told to resize; a CSC graph, that its format is not taken)
    from torch_geometric.nn import GATConv
    layer = IterativeConv(GATConv(c, c, edge_dim=3))
    for graph in (EdgeIndex(ei), EdgeIndex(ei, sparse_size=(n, n)), small):
        with pytest.raises(RuntimeError) as caught:
            layer(x, graph, edge_attr=torch.randn(6, 2))
        assert "PyG failed on" not in str(caught.value)


def test_sparse_adjacency_and_separate_weights_is_an_error():
    ei, w = random_graph(N, 30, simple=True)
    with pytest.raises(ValueError, match="values"):
        PIGNConv(C)(torch.randn(N, C), to_torch_csr_tensor(ei.flip(0), w, size=N), w)


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_an_integer_sparse_adjacency_is_refused_by_its_values(layout):
    """The values are the edge weights; the message names them, not an edge_weight never passed."""
    ei, _ = random_graph(N, 30, simple=True)
    adj = torch.sparse_coo_tensor(ei.flip(0), torch.ones(ei.size(1), dtype=torch.long), (N, N)).coalesce()
    adj = adj if layout == "coo" else adj.to_sparse_csr()
    with pytest.raises(TypeError, match=r"sparse adjacency's values .* floating-point, got torch.int64: .*adj.float\(\)"):
        PIGNConv(C)(torch.randn(N, C), adj)
    x = torch.randn(N, C)
    torch.testing.assert_close(PIGNConv(C, form="appnp")(x, adj.float()), PIGNConv(C, form="appnp")(x, ei))


@pytest.mark.parametrize("layer", ["pign", "pign-unnormalised", "gcnconv", "graphconv"])
@pytest.mark.parametrize("layout", ["coo", "csr"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_nan_in_a_sparse_adjacency_is_refused_as_in_edge_weight(layer, layout, bad):
    """NaN/Inf among a sparse adjacency's values is refused naming the adjacency, by every layer, as in
    ``edge_weight``; only the GCN operator's normalisation refused it (the others returned NaN rows)."""
    ei, w = random_graph(N, 30, simple=True)
    w = w.clone()
    w[3] = bad
    adj = torch.sparse_coo_tensor(ei.flip(0), w, (N, N)).coalesce()
    adj = adj if layout == "coo" else adj.to_sparse_csr()
    conv = {"pign": lambda: PIGNConv(C), "pign-unnormalised": lambda: PIGNConv(C, normalize=False),
            "gcnconv": lambda: IterativeConv(GCNConv(C, C)), "graphconv": lambda: IterativeConv(GraphConv(C, C))}[layer]()
    with pytest.raises(ValueError, match=r"the sparse adjacency \(its values are the edge weights\) contains NaN or Inf"):
        conv(torch.randn(N, C), adj)


@pytest.mark.parametrize("shape", ["hybrid", "batched"])
def test_a_sparse_tensor_that_is_not_a_2d_matrix_of_scalars_is_refused(shape):
    """A hybrid sparse tensor (values of shape [E, D]) or a 3-D one is refused with what is wanted; they
    failed inside the propagation, or were read as an edge_weight of the wrong shape."""
    ei, w = random_graph(N, 30, simple=True)
    if shape == "hybrid":
        adj = torch.sparse_coo_tensor(ei.flip(0), w[:, None].repeat(1, 4), (N, N, 4)).coalesce()
    else:
        dense = torch.sparse_coo_tensor(ei.flip(0), w, (N, N)).to_dense()
        adj = torch.stack([dense, dense]).to_sparse_csr()
    with pytest.raises(ValueError, match=r"a sparse adjacency must be a 2-D sparse matrix with one scalar value per "
                                         rf"edge, got a sparse tensor of shape \({adj.shape[0]}, "):
        PIGNConv(C)(torch.randn(N, C), adj)


def test_inside_pyg_sequential():
    ei, w = random_graph(N, 40, simple=True)
    x = torch.randn(N, 5)
    model = Sequential("x, edge_index, edge_weight", [
        (torch.nn.Linear(5, C), "x -> x"),
        (PIGNConv(C, num_iterations=3), "x, edge_index, edge_weight -> x"),
        (IterativeConv(GCNConv(C, C), num_iterations=3), "x, edge_index, edge_weight -> x"),
        (torch.nn.Linear(C, 2), "x -> x"),
    ])
    out = model(x, ei, w)
    lin1, pign, it, lin2 = model[0], model[1], model[2], model[3]
    ref = lin2(it(pign(lin1(x), ei, w), ei, w))
    assert out.shape == (N, 2) and torch.allclose(out, ref)
    gcn = it.conv
    by_hand = iterate_by_hand(lambda z: gcn(z, ei, w), pign(lin1(x), ei, w), iterations=3)
    assert torch.allclose(lin2(by_hand), out, atol=1e-6)


@pytest.mark.parametrize("make", [
    lambda: IterativeConv(GCNConv(C, C), num_iterations=2, validate=False),
    lambda: PIGNConv(C, num_iterations=2, validate=False),
], ids=["IterativeConv(GCNConv)", "PIGNConv"])
def test_torch_compile_matches_eager(make):
    # aot_eager traces forward and backward as inductor does, without its (slow, C++) code generation
    ei, w = random_graph(N, 40, simple=True)
    x = torch.randn(N, C, requires_grad=True)
    conv = make()
    out = torch.compile(conv, backend="aot_eager")(x, ei, w)
    (gx,) = torch.autograd.grad(out.sum(), x)
    ref = conv(x, ei, w)
    (rx,) = torch.autograd.grad(ref.sum(), x)
    assert torch.allclose(out, ref, atol=1e-6) and torch.allclose(gx, rx, atol=1e-6)


@pytest.mark.parametrize("conv", ["gcn", "sage", "gat"])
def test_pign_conv_deepcopy_and_pickle(conv):
    ei, _ = random_graph(N, 40, simple=True)
    x = torch.randn(N, C)
    layer = PIGNConv(C, num_iterations=3, conv=conv)
    out = layer(x, ei)
    assert torch.equal(copy.deepcopy(layer)(x, ei), out)
    again = pickle.loads(pickle.dumps(layer))
    assert torch.equal(again(x, ei), out)
    assert again.state_dict().keys() == layer.state_dict().keys()


@pytest.mark.parametrize("layer", ["PIGNConv", "IterativeConv(GCNConv)", "PIGN"])
def test_a_coo_adjacency_is_left_as_the_caller_gave_it(layer):
    """PyG's to_edge_index marked the caller's tensor coalesced in place: an uncoalesced one kept its
    unsorted, repeated indices, so the caller's later adj.coalesce() did nothing and its dense matrix
    came out wrong; a coalesced one got a new version at every call (no cache could recognise it, and
    the caller's own autograd graph through it broke). An uncoalesced one is refused now, naming the
    fix; a coalesced one is read as it is, and its values take gradients."""
    ei, _ = random_graph(N, 40)
    ei = torch.cat([ei, ei[:, :5]], 1).flip(1)  # unsorted, five edges twice
    w = torch.rand(ei.size(1)) + 0.5
    adj = torch.sparse_coo_tensor(ei.flip(0), w, (N, N))
    dense = adj.to_dense()
    x = torch.randn(N, C)
    module = PIGN(C, 8, 3, num_iterations=4) if layer == "PIGN" else LAYERS[layer]()
    with pytest.raises(ValueError, match=r"the torch COO adjacency is not coalesced .*pass adj_t\.coalesce\(\)"):
        module(x, adj)
    assert not adj.is_coalesced() and torch.equal(adj.coalesce().to_dense(), dense)
    weights = adj.coalesce().values().clone().requires_grad_()
    good = torch.sparse_coo_tensor(adj.coalesce().indices(), weights, (N, N)).coalesce()
    version = good._version
    if layer == "IterativeConv(GCNConv)":  # PyG's GCNConv marks the tensor itself (and takes no gradient there)
        with torch.no_grad():
            module(x, good)
        return
    out = module(x, good)
    assert good._version == version
    out.square().sum().backward()
    assert weights.grad is not None and bool(weights.grad.abs().sum() > 0)


@pytest.mark.parametrize("layout", [torch.sparse_coo, pytest.param(torch.sparse_csr, marks=pytest.mark.skipif(
    torch.__version__ < "2.3", reason="torch 2.2 has no gradient for to_sparse_csr, which builds the adjacency here"))])
def test_cached_true_with_a_sparse_adjacency_of_learned_values_keeps_their_gradient(layout):
    """The values of a sparse adjacency are its edge weights: one computed from a parameter, seen under
    no_grad in a validation pass, was kept, and the next training steps gave the parameter no gradient."""
    from pyg_iterative import PIGNConv

    torch.manual_seed(0)
    n = 12
    edge_index = torch.randint(0, n, (2, 40))
    theta = torch.zeros(40, requires_grad=True)
    conv = PIGNConv(4, num_iterations=3, cached=True)

    def adj(values):
        a = torch.sparse_coo_tensor(edge_index.flip(0), values, (n, n)).coalesce()
        return a if layout == torch.sparse_coo else a.to_sparse_csr()

    for _ in range(2):
        with torch.no_grad():
            conv(torch.randn(n, 4), adj(torch.sigmoid(theta)))
        theta.grad = None
        conv(torch.randn(n, 4), adj(torch.sigmoid(theta))).sum().backward()
        assert theta.grad is not None and bool(theta.grad.abs().sum() > 0)
