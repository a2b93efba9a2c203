import pytest
import torch

pytest.importorskip("torch_geometric")

from pyg_iterative import PIGN, PIGNConv  # noqa: E402
from tests.helpers import dense_gcn_matrix, dense_pign, dense_residual, random_graph  # noqa: E402


@pytest.mark.parametrize("add_self_loops,normalize", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("weighted", [True, False])
def test_matches_dense_reference(add_self_loops, normalize, weighted):
    n = 40
    edge_index, w = random_graph(n, 150, isolated=5, weighted=weighted, seed=1)
    # a few existing self-loops must not be counted twice
    edge_index = torch.cat([edge_index, torch.tensor([[3, 7], [3, 7]])], 1)
    if w is not None:
        w = torch.cat([w, torch.tensor([0.5, 2.0])])
    conv = PIGNConv(16, num_iterations=6, smoothing=[0.2, 0.4, 0.5, 0.5, 0.6, 0.7],
                    add_self_loops=add_self_loops, normalize=normalize, form="paper")
    x = torch.randn(n, 16)
    out = conv(x, edge_index, w)
    A = dense_gcn_matrix(edge_index, w, n, add_self_loops=add_self_loops, normalize=normalize)
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=6,
                     smoothing=[0.2, 0.4, 0.5, 0.5, 0.6, 0.7])
    rel = (out - ref).norm() / ref.norm()
    assert rel <= 1e-5


def test_return_info_and_eval_schedule():
    edge_index, _ = random_graph(20, 60)
    conv = PIGNConv(8, num_iterations=3, eval_iterations=10, eval_smoothing=0.2, form="paper")
    x = torch.randn(20, 8)
    out, info = conv(x, edge_index, return_info=True)
    assert out.shape == (20, 8) and info.iterations == 3
    conv.eval()
    out_eval, info_eval = conv(x, edge_index, return_info=True)
    assert info_eval.iterations == 10
    A = dense_gcn_matrix(edge_index, None, 20)
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=10, smoothing=0.2)
    assert torch.allclose(out_eval, ref, atol=1e-5)


def test_inject_input_matches_reference():
    edge_index, w = random_graph(25, 80)
    conv = PIGNConv(8, num_iterations=5, inject_input=True, form="paper")
    x = torch.randn(25, 8)
    A = dense_gcn_matrix(edge_index, w, 25)
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=5, smoothing=0.5, inject=True)
    assert torch.allclose(conv(x, edge_index, w), ref, atol=1e-5)


@pytest.mark.parametrize("weighted", [True, False])
def test_default_form_matches_dense_reference(weighted):
    """The default (residual) form: z <- (1 - alpha) Â z + alpha x + b, W = I and no activation."""
    n = 30
    edge_index, w = random_graph(n, 120, isolated=3, weighted=weighted, seed=2)
    conv = PIGNConv(16, num_iterations=7)
    assert conv.operator.weight is None and conv.operator.alpha == 0.1 and conv.smoothing == 0.0
    with torch.no_grad():
        conv.operator.bias.copy_(torch.randn(16))
    x = torch.randn(n, 16)
    ref = dense_residual(x, dense_gcn_matrix(edge_index, w, n), conv.operator.bias.detach(), iterations=7)
    out = conv(x, edge_index, w)
    assert (out - ref).norm() / ref.norm() <= 1e-5


def test_forms_and_explicit_options():
    paper = PIGNConv(8, form="paper")
    assert (paper.smoothing, paper.act, paper.operator.alpha, paper.operator.beta) == (0.5, "relu", 0.0, None)
    assert paper.operator.weight.shape == (8, 8)
    # an explicit argument overrides the form's value; beta > 0 brings the learned weight back
    mixed = PIGNConv(8, smoothing=0.3, beta=0.5)
    assert (mixed.smoothing, mixed.act, mixed.operator.alpha) == (0.3, "identity", 0.1)
    assert mixed.operator.weight.shape == (8, 8)
    with pytest.raises(ValueError, match="form='residual' needs"):
        PIGNConv(8, conv="sage", form="residual")
    with pytest.raises(ValueError, match="unknown PIGNConv form"):
        PIGNConv(8, form="papers")
    assert PIGNConv(8, conv="sage").form == "paper"


def test_default_form_is_a_contraction_and_trains_only_the_bias():
    edge_index, _ = random_graph(30, 100, seed=3)
    edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)  # undirected: ||Â||_2 = 1
    conv = PIGNConv(8, num_iterations=300, tol=1e-6)
    x = torch.randn(30, 8, requires_grad=True)
    out, info = conv(x, edge_index, return_info=True)
    assert info.converged and info.contraction_factor <= 0.9 + 1e-4
    out.sum().backward()
    assert [n for n, p in conv.named_parameters()] == ["operator.bias"] and conv.operator.bias.grad is not None


def test_adjacency_built_once_per_forward_and_cached(monkeypatch):
    import pyg_iterative.gcn_operator as mod

    calls = []
    real = mod.gcn_propagation
    monkeypatch.setattr(mod, "gcn_propagation", lambda *a, **k: calls.append(1) or real(*a, **k))
    edge_index, _ = random_graph(20, 60)
    x = torch.randn(20, 8)
    conv = PIGNConv(8, num_iterations=7)
    conv(x, edge_index)
    assert len(calls) == 1
    cached = PIGNConv(8, num_iterations=7, cached=True)
    cached(x, edge_index)
    cached(x, edge_index)
    assert len(calls) == 2


def test_repr_reset_and_state_dict_names():
    assert repr(PIGNConv(16, num_iterations=4)) == "PIGNConv(16, num_iterations=4, smoothing=0.0, act='identity')"
    assert set(PIGNConv(16).state_dict()) == {"operator.bias"}
    conv = PIGNConv(16, num_iterations=4, smoothing=0.3, form="paper")
    assert repr(conv) == "PIGNConv(16, form='paper', num_iterations=4, smoothing=0.3)"
    assert set(conv.state_dict()) == {"operator.weight", "operator.bias"}
    before = conv.operator.weight.detach().clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.operator.weight)


def test_unknown_keyword_lists_valid_ones():
    with pytest.raises(TypeError, match="num_iterations"):
        PIGNConv(8, num_iteration=3)


def test_pign_training_lowers_loss_on_cora(data_root):
    import torch.nn.functional as F

    from iterative_gnn.data import load_node_dataset

    ds = load_node_dataset("cora", "pyg", data_root)
    model = PIGN(ds.x.size(1), 32, ds.num_classes, num_iterations=4, cached=True, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(model(ds.x, ds.graph)[ds.train_mask], ds.y[ds.train_mask])
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]


def test_propagate_hooks_see_every_step_and_change_nothing():
    edge_index, w = random_graph(20, 60)
    x = torch.randn(20, 8)
    conv = PIGNConv(8, num_iterations=5)
    plain = conv(x, edge_index, w)
    calls = []
    handle = conv.operator.register_propagate_forward_hook(lambda mod, inputs, out: calls.append(1))
    hooked = conv(x, edge_index, w)
    handle.remove()
    assert len(calls) == 5
    assert torch.allclose(plain, hooked, atol=1e-6)


@pytest.mark.parametrize("act", ["relu", "tanh", "silu", torch.relu])
def test_no_grad_fast_path_equals_the_recorded_path(act):
    """Without gradients the activation runs in place on the operator's fresh output: same values."""
    edge_index, w = random_graph(30, 90, seed=5)
    conv = PIGNConv(8, num_iterations=6, form="paper", act=act, inject_input=True, alpha=0.2)
    x = torch.randn(30, 8)
    with torch.no_grad():
        fast = conv(x, edge_index, w)
    slow = conv(x.requires_grad_(), edge_index, w)
    assert torch.allclose(fast, slow, atol=1e-6) and slow.requires_grad


def test_hooks_keep_what_they_saw_and_weights_need_the_saved_form():
    edge_index, _ = random_graph(20, 60)
    conv = PIGNConv(8, num_iterations=3, form="paper", bias=False)
    seen = []
    conv.operator.register_propagate_forward_hook(lambda mod, inputs, out: seen.append((out, out.clone())))
    with torch.no_grad():
        conv(torch.randn(20, 8), edge_index)
    assert len(seen) == 3 and all(torch.equal(out, copy) for out, copy in seen)  # nothing rewrote them in place
    with pytest.raises(RuntimeError, match="form='paper'"):
        PIGNConv(8).load_state_dict(conv.state_dict(), strict=False)
