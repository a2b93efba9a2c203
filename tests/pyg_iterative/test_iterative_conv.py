"""IterativeConv (PyG): any square layer iterated, compared with the same layer iterated by hand."""
import copy
import io
import pickle

import pytest
import torch
from torch import nn

pytest.importorskip("torch_geometric")

from torch_geometric.nn import GATConv, GCNConv, GINConv, GraphConv, MessagePassing, SAGEConv  # noqa: E402

from pyg_iterative import IterativeConv  # noqa: E402
from tests.pyg_iterative._reference import iterate_by_hand, simple_graph  # noqa: E402

C = 8
LAYERS = {
    "GCNConv": lambda: GCNConv(C, C),
    "GraphConv": lambda: GraphConv(C, C),
    "SAGEConv": lambda: SAGEConv(C, C),
    "GINConv": lambda: GINConv(nn.Sequential(nn.Linear(C, C), nn.ReLU(), nn.Linear(C, C))),
    "GATConv": lambda: GATConv(C, C // 2, heads=2),
}
WEIGHTED = ("GCNConv", "GraphConv")


@pytest.mark.parametrize("name,weighted", [(n, False) for n in LAYERS] + [(n, True) for n in WEIGHTED])
def test_matches_layer_iterated_by_hand(name, weighted):
    ei, w = simple_graph(15, 50, weighted=weighted)
    x = torch.randn(15, C)
    layer = LAYERS[name]()
    conv = IterativeConv(layer, num_iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7], act="tanh")
    out = conv(x, ei, w)
    kw = {} if w is None else {"edge_weight": w}
    ref = iterate_by_hand(lambda z: layer(z, ei, **kw), x, iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7],
                          act=torch.tanh)
    assert torch.allclose(out, ref, atol=1e-6)
    assert conv.channels == C and conv.conv is layer


def test_gradients_match_hand_loop():
    ei, w = simple_graph(12, 40)
    layer = GraphConv(C, C)
    conv = IterativeConv(layer, num_iterations=4, smoothing=0.3)
    x = torch.randn(12, C, requires_grad=True)
    conv(x, ei, w).square().sum().backward()
    got = [p.grad.clone() for p in layer.parameters()] + [x.grad.clone()]
    layer.zero_grad(), x.grad.zero_()
    iterate_by_hand(lambda z: layer(z, ei, edge_weight=w), x, iterations=4, smoothing=0.3).square().sum().backward()
    want = [p.grad for p in layer.parameters()] + [x.grad]
    for a, b in zip(got, want):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("layer,msg", [
    (GCNConv(8, 16), "maps 8 input channels to 16 output channels"),
    (GATConv(8, 8, heads=2), "maps 8 input channels to 16 output channels"),
    (SAGEConv((8, 16), 8), "bipartite"),
    (GINConv(nn.Sequential(nn.Linear(8, 4), nn.ReLU(), nn.Linear(4, 6))), "maps 8 input channels to 6"),
])
def test_non_square_layer_refused_with_reason(layer, msg):
    with pytest.raises(ValueError, match=msg) as err:
        IterativeConv(layer)
    assert "fed" in str(err.value) or "feeds each output back" in str(err.value)


def test_output_width_checked_at_run_time():
    class Grow(nn.Module):  # no width attributes: only the output gives it away
        def forward(self, x, edge_index):
            return torch.cat([x, x], 1)

    conv = IterativeConv(Grow(), channels=4)
    with pytest.raises(ValueError, match=r"shape \(5, 4\) to shape \(5, 8\)"):
        conv(torch.randn(5, 4), torch.tensor([[0, 1], [1, 2]]))
    with pytest.raises(ValueError, match="pass channels="):
        IterativeConv(Grow())


def test_bipartite_inputs_refused_with_hint():
    conv = IterativeConv(SAGEConv(C, C))
    ei = torch.tensor([[0, 1], [1, 2]])
    with pytest.raises(ValueError, match="bipartite.*subgraph"):
        conv((torch.randn(4, C), torch.randn(3, C)), ei)
    adj = torch.sparse_coo_tensor(ei, torch.ones(2), (3, 4))
    with pytest.raises(ValueError, match=r"3 x 4 sparse adjacency.*square.*subgraph"):
        conv(torch.randn(4, C), adj)


def test_edge_weight_for_a_layer_without_them_is_an_error():
    ei, w = simple_graph(6, 10)
    with pytest.raises(TypeError, match="SAGEConv.forward takes no edge_weight"):
        IterativeConv(SAGEConv(C, C))(torch.randn(6, C), ei, w)


def test_contraction_refused_for_general_layers():
    with pytest.raises(ValueError, match="contraction=.*spectral_norm"):
        IterativeConv(GCNConv(C, C), contraction=0.9)


def test_iteration_options_apply():
    ei, _ = simple_graph(10, 30)
    layer = GCNConv(C, C)
    x = torch.randn(10, C)
    conv = IterativeConv(layer, num_iterations=3, eval_iterations=6, inject_input=True, smoothing=0.2)
    conv.eval()
    out, info = conv(x, ei, return_info=True)
    ref = iterate_by_hand(lambda z: layer(z, ei) + x, x, iterations=6, smoothing=0.2)
    assert info.iterations == 6 and torch.allclose(out, ref, atol=1e-6)
    with torch.no_grad():
        layer.lin.weight.mul_(0.1)  # a contraction: converges well before the cap
        layer.bias.fill_(0.5)  # to a nonzero fixed point
    out2, info2 = IterativeConv(layer, num_iterations=50, tol=1e-5, smoothing=0.5)(x, ei, return_info=True)
    assert info2.status == "converged" and info2.iterations < 50
    assert torch.allclose(out2, torch.relu(layer(out2, ei)), atol=1e-4)  # a fixed point


@pytest.mark.parametrize("solver,grad", [("anderson", "unrolled"), ("picard", "implicit"), ("anderson", "implicit"),
                                         ("picard", "phantom")])
def test_solvers_and_gradient_modes(solver, grad):
    ei, w = simple_graph(12, 40)
    x, w = torch.randn(12, C, dtype=torch.float64), w.double()
    layer = GraphConv(C, C).double()
    with torch.no_grad():  # a contraction with a nonzero fixed point
        layer.lin_rel.weight.mul_(0.1), layer.lin_root.weight.mul_(0.1), layer.lin_rel.bias.fill_(0.3)
    ref = IterativeConv(layer, num_iterations=100, tol=1e-12, smoothing=0.0)
    z_ref = ref(x, ei, w)
    ref_grads = torch.autograd.grad(z_ref.square().sum(), list(layer.parameters()))
    conv = IterativeConv(layer, num_iterations=100, tol=1e-12, smoothing=0.0, solver=solver, grad=grad,
                         phantom_steps=20, backward_tol=1e-12)
    z, info = conv(x, ei, w, return_info=True)
    assert info.solver == solver and info.grad == grad and info.status == "converged"
    assert torch.allclose(z, z_ref, atol=1e-10)
    grads = torch.autograd.grad(z.square().sum(), list(layer.parameters()))
    for a, b in zip(grads, ref_grads):
        assert torch.allclose(a, b, rtol=1e-6, atol=1e-9)


def test_repr_reset_state_dict_deepcopy_and_pickle():
    ei, _ = simple_graph(10, 30)
    x = torch.randn(10, C)
    conv = IterativeConv(GCNConv(C, C), num_iterations=4, smoothing=0.3)
    assert repr(conv) == "IterativeConv(GCNConv(8, 8), num_iterations=4, smoothing=0.3)"
    assert set(conv.state_dict()) == {"operator.bias", "operator.lin.weight"}
    before = conv.conv.lin.weight.detach().clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.conv.lin.weight)
    out = conv(x, ei)
    assert torch.equal(copy.deepcopy(conv)(x, ei), out)
    assert torch.equal(pickle.loads(pickle.dumps(conv))(x, ei), out)
    buf = io.BytesIO()
    torch.save(conv, buf)
    buf.seek(0)
    assert torch.equal(torch.load(buf, weights_only=False)(x, ei), out)


def test_user_written_message_passing_made_iterative():
    class WeightedMean(MessagePassing):
        """z_i -> W mean_j (w_ji z_j) + b: a layer written by a user."""

        def __init__(self, channels):
            super().__init__(aggr="mean")
            self.in_channels = self.out_channels = channels
            self.lin = nn.Linear(channels, channels)

        def forward(self, x, edge_index, edge_weight=None):
            return self.lin(self.propagate(edge_index, x=x, edge_weight=edge_weight))

        def message(self, x_j, edge_weight):
            return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j

    ei, w = simple_graph(12, 40)
    x = torch.randn(12, C)
    layer = WeightedMean(C)
    out = IterativeConv(layer, num_iterations=6, smoothing=0.4)(x, ei, w)
    ref = iterate_by_hand(lambda z: layer(z, ei, w), x, iterations=6, smoothing=0.4)
    assert torch.allclose(out, ref, atol=1e-6)
    with pytest.raises(ValueError, match="maps 8 input channels to 4"):
        bad = WeightedMean(C)
        bad.out_channels = 4
        IterativeConv(bad)
