import pytest
import torch

dgl = pytest.importorskip("dgl")

from dgl_iterative import PIGN, PIGNConv  # noqa: E402
from tests.helpers import dense_gcn_matrix, dense_pign, dense_residual, random_graph  # noqa: E402


def to_dgl(edge_index, n):
    return dgl.graph((edge_index[0], edge_index[1]), num_nodes=n)


@pytest.mark.parametrize("add_self_loops,normalize", [(True, True), (True, False)])
@pytest.mark.parametrize("weighted", [True, False])
def test_matches_dense_reference(add_self_loops, normalize, weighted):
    n = 40
    edge_index, w = random_graph(n, 150, isolated=5, weighted=weighted, seed=1)
    edge_index = torch.cat([edge_index, torch.tensor([[3, 7], [3, 7]])], 1)
    if w is not None:
        w = torch.cat([w, torch.tensor([0.5, 2.0])])
    conv = PIGNConv(16, num_iterations=6, smoothing=0.4, add_self_loops=add_self_loops, normalize=normalize,
                    form="paper")
    x = torch.randn(n, 16)
    out = conv(to_dgl(edge_index, n), x, w)
    A = dense_gcn_matrix(edge_index, w, n, add_self_loops=add_self_loops, normalize=normalize)
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=6, smoothing=0.4)
    assert (out - ref).norm() / ref.norm() <= 1e-5


def test_default_form_matches_dense_reference():
    """The default (residual) form: z <- (1 - alpha) Â z + alpha x + b, W = I and no activation."""
    n = 30
    edge_index, w = random_graph(n, 120, isolated=3, seed=2)
    conv = PIGNConv(16, num_iterations=7)
    assert conv.operator.weight is None and conv.form == "residual"
    with torch.no_grad():
        conv.operator.bias.copy_(torch.randn(16))
    x = torch.randn(n, 16)
    ref = dense_residual(x, dense_gcn_matrix(edge_index, w, n), conv.operator.bias.detach(), iterations=7)
    out = conv(to_dgl(edge_index, n), x, w)
    assert (out - ref).norm() / ref.norm() <= 1e-5


def test_zero_in_degree_follows_graphconv_rule():
    edge_index, _ = random_graph(20, 40, isolated=3)
    g = to_dgl(edge_index, 20)
    x = torch.randn(20, 8)
    with pytest.raises(dgl.DGLError, match="0-in-degree"):
        PIGNConv(8, add_self_loops=False)(g, x)
    out = PIGNConv(8, add_self_loops=False, allow_zero_in_degree=True)(g, x)
    assert torch.isfinite(out).all()
    A = dense_gcn_matrix(edge_index, None, 20, add_self_loops=False)
    conv = PIGNConv(8, add_self_loops=False, allow_zero_in_degree=True, form="paper")
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=8, smoothing=0.5)
    assert torch.allclose(conv(g, x), ref, atol=1e-5)


def test_graph_is_left_untouched():
    edge_index, w = random_graph(15, 40)
    g = to_dgl(edge_index, 15)
    PIGNConv(4)(g, torch.randn(15, 4), w)
    assert set(g.ndata.keys()) == set() and set(g.edata.keys()) == set()


def test_blocks_are_refused():
    edge_index, _ = random_graph(15, 40)
    block = dgl.to_block(to_dgl(edge_index, 15), dst_nodes=torch.arange(5))
    with pytest.raises(ValueError, match="square"):
        PIGNConv(4)(block, torch.randn(block.num_src_nodes(), 4))


def test_pign_training_lowers_loss_on_cora(data_root):
    import torch.nn.functional as F

    from iterative_gnn.data import load_node_dataset

    ds = load_node_dataset("cora", "dgl", data_root)
    model = PIGN(ds.x.size(1), 32, ds.num_classes, num_iterations=4, cached=True, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(model(ds.graph, ds.x)[ds.train_mask], ds.y[ds.train_mask])
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("grad", ["unrolled", "implicit"])
def test_gradcheck_both_propagation_paths(weighted, grad):
    """Unweighted graphs propagate with copy_u between two node scalings, weighted ones with u_mul_e:
    both are checked against finite differences (float64), for the input and the edge weights."""
    n = 12
    edge_index, w = random_graph(n, 40, isolated=2, weighted=True, seed=3)
    g = to_dgl(edge_index, n)
    kw = dict(num_iterations=300, tol=1e-13, stop="abs", backward_tol=1e-13, contraction=0.5,
              on_nonconvergence="raise") if grad == "implicit" else dict(num_iterations=5)
    conv = PIGNConv(3, form="paper", act="tanh", grad=grad, **kw).double()
    x = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)
    if weighted:
        w = w.double().requires_grad_()
        assert torch.autograd.gradcheck(lambda x, w: conv(g, x, w), (x, w))
    else:
        assert torch.autograd.gradcheck(lambda x: conv(g, x), (x,))
