"""PIGNConv (the GCN operator) in both adapters against the dense reference; its forms, options,
caching and training."""
from __future__ import annotations

import importlib
import os
import warnings

import pytest
import torch
import torch.nn.functional as F

from iterative_core import ConvergenceWarning
from tests.helpers import dense_gcn_matrix, dense_pign, dense_residual, random_graph

SCHEDULE = [0.2, 0.4, 0.5, 0.5, 0.6, 0.7]
TESTS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.parametrize("add_self_loops,normalize", [(True, True), (False, True), (True, False)])
@pytest.mark.parametrize("weighted", [True, False])
def test_matches_dense_reference(backend, add_self_loops, normalize, weighted):
    n = 40
    edge_index, w = random_graph(n, 150, isolated=5, weighted=weighted, seed=1)
    # a few existing self-loops must not be counted twice
    edge_index = torch.cat([edge_index, torch.tensor([[3, 7], [3, 7]])], 1)
    if w is not None:
        w = torch.cat([w, torch.tensor([0.5, 2.0])])
    extra = {} if add_self_loops else backend.zero_in_degree_ok  # the isolated nodes have no in-edges
    conv = backend.PIGNConv(16, num_iterations=6, smoothing=SCHEDULE, add_self_loops=add_self_loops,
                            normalize=normalize, form="paper", **extra)
    x = torch.randn(n, 16)
    out = backend.call(conv, x, edge_index, w)
    A = dense_gcn_matrix(edge_index, w, n, add_self_loops=add_self_loops, normalize=normalize)
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=6, smoothing=SCHEDULE)
    assert (out - ref).norm() / ref.norm() <= 1e-5


def test_return_info_and_eval_schedule(backend):
    edge_index, _ = random_graph(20, 60)
    conv = backend.PIGNConv(8, num_iterations=3, eval_iterations=10, eval_smoothing=0.2, form="paper")
    x = torch.randn(20, 8)
    out, info = backend.call(conv, x, edge_index, return_info=True)
    assert out.shape == (20, 8) and info.iterations == 3
    conv.eval()
    out_eval, info_eval = backend.call(conv, x, edge_index, return_info=True)
    assert info_eval.iterations == 10
    A = dense_gcn_matrix(edge_index, None, 20)
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=10, smoothing=0.2)
    assert torch.allclose(out_eval, ref, atol=1e-5)


def test_zero_iterations_return_a_new_tensor_not_the_callers_features(backend):
    """With no step the layer returned x itself: an in-place op on the answer (relu_) changed x."""
    edge_index, _ = random_graph(6, 12)
    x = torch.randn(6, 4)
    before = x.clone()
    out = backend.call(backend.PIGNConv(4, eval_iterations=0).eval(), x, edge_index)
    assert torch.equal(out, x) and out.data_ptr() != x.data_ptr()
    out.relu_()
    assert torch.equal(x, before)


def test_a_tol_tested_only_in_the_longer_eval_solve_is_not_called_inert(backend):
    """check_every=10 above num_iterations=4 was warned about, though the 50 eval iterations test it."""
    edge_index, _ = random_graph(12, 30)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        conv = backend.PIGNConv(4, num_iterations=4, eval_iterations=50, tol=1e-4, check_every=10,
                                on_nonconvergence="ignore")
        _, info = backend.call(conv.eval(), torch.randn(12, 4), edge_index, return_info=True)
    assert info.iterations < 50 and info.iterations % 10 == 0  # stopped at a test of the tol
    with pytest.warns(UserWarning, match=r"tol=0.0001 has no effect with check_every=10 above num_iterations=4"):
        backend.PIGNConv(4, num_iterations=4, tol=1e-4, check_every=10)


def test_phantom_steps_taken_only_by_the_longer_eval_solve_are_not_called_inert(backend):
    """num_iterations=2, eval_iterations=20, phantom_steps=5: the steps change eval mode's gradient, and
    the layer warned that they had no effect beyond num_iterations=2."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.PIGNConv(4, num_iterations=2, eval_iterations=20, grad="phantom", phantom_steps=5)
    with pytest.warns(UserWarning, match=r"phantom_steps=25 has no effect beyond num_iterations=2 and eval mode's 20"):
        backend.PIGNConv(4, num_iterations=2, eval_iterations=20, grad="phantom", phantom_steps=25)


def test_a_refused_value_is_not_first_warned_about(backend):
    """min_iter=6 beyond eval_iterations=4 was refused after the warning that it has no effect without a tol."""
    conv = backend.PIGNConv(4, eval_iterations=4)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        with pytest.raises(ValueError, match=r"min_iter must be an int >= 0 and <= eval_iterations, got 6"):
            conv.min_iter = 6
        with pytest.raises(ValueError, match=r"min_iter must be an int >= 0 and <= eval_iterations, got 6"):
            backend.PIGNConv(4, eval_iterations=4, min_iter=6)
    assert [str(w.message) for w in caught] == [] and conv.min_iter == 0


def test_the_repr_keeps_act_lipschitz_so_that_the_layer_it_rebuilds_is_the_same(backend):
    """Left out, a layer rebuilt from the repr with contraction= was refused, and without it took 1.0."""
    conv = backend.PIGNConv(4, form="paper", act=torch.nn.Tanh(), act_lipschitz=1.0, contraction=0.5)
    text = conv.extra_repr()
    assert "act=Tanh(), act_lipschitz=1.0, contraction=0.5" in text
    rebuilt = eval(f"backend.PIGNConv({text})", {"backend": backend, "Tanh": torch.nn.Tanh})
    assert (rebuilt.act_lipschitz, rebuilt.contraction) == (1.0, 0.5)
    prelu = backend.PIGNConv(4, form="paper", act=torch.nn.PReLU(), act_lipschitz=2.0)
    assert "act_lipschitz=2.0" in prelu.extra_repr() and "act_lipschitz" not in backend.PIGNConv(4).extra_repr()


def test_fixed_points_name_for_the_count_is_refused_as_an_attribute_of_the_library_classes(backend):
    """layer.max_iter = 3 (fixed_point's name, listed beside num_iterations) set a plain attribute and changed
    nothing, without a word; so did model.max_iter. A subclass of the user's own may use the name."""
    layer = backend.PIGNConv(4)
    with pytest.raises(AttributeError, match=r"^PIGNConv: max_iter is not an option of the layer: num_iterations "
                                             r"is \(layer.num_iterations = 3\)"):
        layer.max_iter = 3
    assert layer.num_iterations == 8 and "max_iter" not in vars(layer)
    model = backend.PIGN(4, 8, 2)
    with pytest.raises(AttributeError, match=r"^PIGN: max_iter is not an option of the model: the iterated "
                                             r"convolution's num_iterations is: set model.conv.num_iterations"):
        model.max_iter = 3

    class Aliased(backend.PIGNConv):
        @property
        def max_iter(self):
            return self.num_iterations

        @max_iter.setter
        def max_iter(self, value):
            self.num_iterations = value

    class Own(backend.PIGNConv):
        def __init__(self, channels, outer_max_iter):
            super().__init__(channels)
            self.max_iter = outer_max_iter  # a name of the subclass's own

    aliased = Aliased(4)
    aliased.max_iter = 3
    assert aliased.num_iterations == 3 and Own(4, 10).max_iter == 10


def test_an_option_that_has_no_effect_is_warned_about_when_set_not_at_every_call(backend):
    edge_index, _ = random_graph(20, 60)
    x = torch.randn(20, 8)
    with pytest.warns(UserWarning, match=r"PIGNConv: min_iter=3 has no effect without a tol \(tol=None runs exactly "
                                         r"num_iterations steps\)"):
        conv = backend.PIGNConv(8, num_iterations=5, eval_iterations=7, min_iter=3)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.call(conv, x, edge_index)
        conv.eval()
        backend.call(conv, x, edge_index)  # the eval schedule's config: warned with the layer's
        conv.tol = 1e-4  # now it applies
        conv.grad, conv.phantom_steps = "phantom", 2
    with pytest.warns(UserWarning, match=r"PIGNConv: phantom_steps=2 has no effect with grad='unrolled'") as record:
        conv.grad = "unrolled"
    assert record[0].filename == __file__  # the user's line, whatever the depth of the calls in the library


def test_anderson_with_an_unrolled_gradient_warns_once_when_training_not_when_evaluating(backend):
    edge_index, _ = random_graph(20, 60)
    x = torch.randn(20, 8)
    conv = backend.PIGNConv(8, num_iterations=5, solver="anderson")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with torch.no_grad():
            backend.call(conv, x, edge_index)
    with pytest.warns(UserWarning, match=r"PIGNConv: solver='anderson' with grad='unrolled'") as record:
        backend.call(conv, x, edge_index).sum().backward()
    assert record[0].filename.startswith(TESTS)  # the caller's line (here the backend's helper), not the library's
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.call(conv, x, edge_index)  # once


def test_inject_input_matches_reference(backend):
    edge_index, w = random_graph(25, 80)
    conv = backend.PIGNConv(8, num_iterations=5, inject_input=True, form="paper")
    x = torch.randn(25, 8)
    A = dense_gcn_matrix(edge_index, w, 25)
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=5, smoothing=0.5, inject=True)
    assert torch.allclose(backend.call(conv, x, edge_index, w), ref, atol=1e-5)


@pytest.mark.parametrize("weighted", [True, False])
def test_appnp_form_matches_dense_reference(backend, weighted):
    """The "appnp" form: z <- (1 - alpha) Â z + alpha x + b, W = I and no activation."""
    n = 30
    edge_index, w = random_graph(n, 120, isolated=3, weighted=weighted, seed=2)
    conv = backend.PIGNConv(16, num_iterations=7, form="appnp")
    assert conv.form == "appnp" and conv.operator.weight is None
    assert conv.operator.alpha == 0.1 and conv.smoothing == 0.0
    with torch.no_grad():
        conv.operator.bias.copy_(torch.randn(16))
    x = torch.randn(n, 16)
    ref = dense_residual(x, dense_gcn_matrix(edge_index, w, n), conv.operator.bias.detach(), iterations=7)
    out = backend.call(conv, x, edge_index, w)
    assert (out - ref).norm() / ref.norm() <= 1e-5


def test_forms_and_explicit_options(backend):
    paper = backend.PIGNConv(8, form="paper")
    assert (paper.smoothing, paper.act, paper.operator.alpha, paper.operator.beta) == (0.5, "relu", 0.0, None)
    assert paper.operator.weight.shape == (8, 8)
    # an explicit argument overrides the form's value; beta > 0 brings the learned weight back
    mixed = backend.PIGNConv(8, smoothing=0.3, beta=0.5)
    assert (mixed.smoothing, mixed.act, mixed.operator.alpha) == (0.3, "identity", 0.1)
    assert mixed.operator.weight.shape == (8, 8)
    with pytest.raises(ValueError, match="form='appnp' needs"):
        backend.PIGNConv(8, conv="sage", form="residual")
    with pytest.raises(ValueError, match="unknown PIGNConv form"):
        backend.PIGNConv(8, form="papers")
    assert backend.PIGNConv(8, conv="sage").form == "paper"


def test_the_default_form_is_signed_for_the_gcn_operator_only(backend):
    conv = backend.PIGNConv(8)
    assert conv.form == "signed" and conv.operator.propagation == "signed" and conv.operator.weight is None
    assert [n for n, _ in conv.named_parameters()] == ["operator.gamma_logit"]  # no bias in the step
    assert conv.operator.gamma_max == 0.9
    assert [n for n, _ in backend.PIGNConv(8, bias=True).named_parameters()] == ["operator.bias", "operator.gamma_logit"]
    assert backend.PIGNConv(8, conv="sage").form == "paper"


def test_appnp_form_is_a_contraction_and_trains_only_the_bias(backend):
    edge_index, _ = random_graph(30, 100, seed=3)
    edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)  # undirected: ||Â||_2 = 1
    conv = backend.PIGNConv(8, num_iterations=300, tol=1e-6, form="appnp")
    x = torch.randn(30, 8, requires_grad=True)
    out, info = backend.call(conv, x, edge_index, return_info=True)
    assert info.converged and info.contraction_factor <= 0.9 + 1e-4
    out.sum().backward()
    assert [n for n, p in conv.named_parameters()] == ["operator.bias"] and conv.operator.bias.grad is not None


def test_adjacency_built_once_per_forward_and_cached(backend, monkeypatch):
    mod = importlib.import_module(f"{backend.module.__name__}.gcn_operator")
    calls = []
    real = mod.gcn_propagation
    monkeypatch.setattr(mod, "gcn_propagation", lambda *a, **k: calls.append(1) or real(*a, **k))
    edge_index, _ = random_graph(20, 60)
    x = torch.randn(20, 8)
    backend.call(backend.PIGNConv(8, num_iterations=7), x, edge_index)
    assert len(calls) == 1
    cached = backend.PIGNConv(8, num_iterations=7, cached=True)
    backend.call(cached, x, edge_index)
    backend.call(cached, x, edge_index)
    assert len(calls) == 2


REPR = {  # PyG writes the layer on one line, DGL as a module with its operator
    "pyg": ("PIGNConv(16, num_iterations=4, smoothing=0.3, act='identity')",
            "PIGNConv(16, form='paper', num_iterations=4, smoothing=0.3)"),
    "dgl": ("PIGNConv(\n  16, num_iterations=4, smoothing=0.3, act='identity'\n  (operator): GCNOperator(",
            "PIGNConv(\n  16, form='paper', num_iterations=4, smoothing=0.3\n  (operator): GCNOperator("),
}


def test_repr_reset_and_state_dict_names(backend):
    default, paper = REPR[backend.name]
    assert repr(backend.PIGNConv(16, num_iterations=4)).startswith(default)
    assert set(backend.PIGNConv(16).state_dict()) == {"operator.gamma_logit"}
    assert set(backend.PIGNConv(16, form="appnp").state_dict()) == {"operator.bias"}
    conv = backend.PIGNConv(16, num_iterations=4, smoothing=0.3, form="paper")
    assert repr(conv).startswith(paper)
    assert set(conv.state_dict()) == {"operator.weight", "operator.bias"}
    before = conv.operator.weight.detach().clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.operator.weight)
    # the operator's options as given (the GCN operator's read back, as they may change)
    assert "conv='sage', aggr='pool', num_iterations=8" in repr(backend.PIGNConv(16, conv="sage", aggr="pool"))
    conv = backend.PIGNConv(16, alpha=0.2)
    conv.alpha = 0.3
    assert "PIGNConv(16, alpha=0.3, num_iterations=8" in repr(conv).replace("\n  ", "")


@pytest.mark.parametrize("act", ["relu", "tanh", "silu", torch.relu])
def test_no_grad_fast_path_equals_the_recorded_path(backend, act):
    """Without gradients the activation runs in place on the operator's fresh output: same values."""
    edge_index, w = random_graph(30, 90, seed=5)
    conv = backend.PIGNConv(8, num_iterations=6, form="paper", act=act, inject_input=True, alpha=0.2)
    x = torch.randn(30, 8)
    with torch.no_grad():
        fast = backend.call(conv, x, edge_index, w)
    slow = backend.call(conv, x.requires_grad_(), edge_index, w)
    assert torch.allclose(fast, slow, atol=1e-6) and slow.requires_grad


def test_pign_training_lowers_loss_on_cora(backend, data_root):
    from iterative_gnn.data import load_node_dataset

    ds = load_node_dataset("cora", backend.name, data_root)
    model = backend.PIGN(ds.x.size(1), 32, ds.num_classes, num_iterations=4, cached=True, dropout=0.0)
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    losses = []
    for _ in range(20):
        opt.zero_grad()
        loss = F.cross_entropy(backend.run(model, ds.x, ds.graph)[ds.train_mask], ds.y[ds.train_mask])
        loss.backward()
        opt.step()
        losses.append(float(loss))
    assert losses[-1] < 0.7 * losses[0]


def test_an_in_place_activation_after_an_implicit_layer_keeps_its_gradient(backend):
    """``F.relu(conv(x, g), inplace=True)`` dropped the implicit gradient's hook: the parameters got the
    gradient of the one step kept, without a word (the default form, whose output is the solve's own)."""
    import torch.nn.functional as F

    g = torch.Generator().manual_seed(0)
    ei = torch.randint(0, 12, (2, 40), generator=g)
    x = torch.randn(12, 6, generator=g, dtype=torch.float64)
    grads = []
    for grad in ("implicit", "unrolled"):
        torch.manual_seed(0)
        conv = backend.PIGNConv(6, num_iterations=300, tol=1e-12, grad=grad,
                                **backend.zero_in_degree_ok).double()
        F.relu(backend.call(conv, x, ei), inplace=True).pow(2).sum().backward()
        grads.append(torch.cat([p.grad.flatten() for p in conv.parameters()]))
    assert torch.allclose(grads[0], grads[1], atol=1e-8), (grads[0] - grads[1]).abs().max()


def test_a_configs_smoothing_takes_the_place_of_the_forms(backend):
    """The form sets what is left unset; a config's smoothing is set (it was refused against the form's)."""
    from iterative_core import SolveConfig
    assert backend.PIGNConv(8, config=SolveConfig(smoothing=0.9)).smoothing == 0.9
    assert backend.PIGN(4, 8, 2, config=SolveConfig(smoothing=0.9)).conv.smoothing == 0.9
    assert backend.PIGNConv(8, config=SolveConfig(tol=1e-4)).smoothing == 0.3  # none set: the form's
    with pytest.raises(ValueError, match=r"config.smoothing=0.9 but smoothing=0.3"):
        backend.PIGNConv(8, smoothing=0.3, config=SolveConfig(smoothing=0.9))  # both set, and different
    # a config that sets the smoothing to SolveConfig's default sets it all the same (it read as unset)
    assert backend.PIGNConv(8, config=SolveConfig(smoothing=0.5, tol=1e-4)).smoothing == 0.5
    assert backend.PIGNConv(8, form="appnp", config=SolveConfig(smoothing=0.5)).smoothing == 0.5
    assert backend.PIGNConv(8, config=SolveConfig(tol=1e-4).replace(smoothing=0.5)).smoothing == 0.5


@pytest.mark.parametrize("options", [
    {"form": "signed"}, {"form": "signed", "tol": 1e-6, "num_iterations": 300},
    {"form": "signed", "bias": True, "smoothing": 0.5},
    {"form": "signed", "smoothing": [0.3, 0.0, 0.2, 0.0], "num_iterations": 4},
    {"form": "appnp"}, {"form": "appnp", "bias": False}, {"form": "appnp", "tol": 1e-6, "num_iterations": 300},
])
def test_iterations_without_gradient_reuse_their_buffers(backend, monkeypatch, options):
    """While no gradient is recorded the layer's Picard iteration writes into at most three buffers of
    its forward pass, never the iterate it holds, in smoothed and plain (``s = 0``) steps alike: the
    answer is bit for bit the one computed with a gradient, alone and in a batch (where converged
    graphs are held), and a later forward leaves it as it was."""
    from iterative_core.layer import BoundStep

    n = 60
    edge_index, _ = random_graph(n, 240, isolated=2, seed=9)
    edge_index = torch.cat([edge_index, edge_index.flip(0)], 1)
    conv = backend.PIGNConv(8, **options).eval()
    with torch.no_grad():
        if options["form"] == "signed":
            conv.operator.gamma_logit.copy_(torch.randn(8))
        if conv.operator.bias is not None:
            conv.operator.bias.copy_(torch.randn(8))
    x = torch.randn(n, 8)
    made = []
    buffer = BoundStep._buffer
    monkeypatch.setattr(BoundStep, "_buffer", lambda self, like, *avoid: made.append(buffer(self, like, *avoid))
                        or made[-1])
    with torch.no_grad():
        out = backend.call(conv, x, edge_index)
        kept = out.clone()
        again = backend.call(conv, 2 * x, edge_index)
    assert len(made) >= 2 * 4  # one or two buffers asked for per step (the scaled iterate, the next iterate)
    assert len({b.data_ptr() for b in made}) <= 6  # three per forward pass, whatever the number of steps
    assert torch.equal(out, kept) and not torch.equal(out, again)
    assert torch.equal(out, backend.call(conv, x, edge_index).detach())  # with a gradient recorded: fresh tensors
    # a batch of two copies of the graph, the second with other features: each graph's answer as alone
    edges = torch.cat([edge_index, edge_index + n], 1)
    with torch.no_grad():
        both = backend.call(conv, torch.cat([x, 3 * x]), edges, batch_sizes=[n, n])
        second = backend.call(conv, 3 * x, edge_index)
    assert torch.allclose(both[:n], out, rtol=0, atol=1e-6) and torch.allclose(both[n:], second, rtol=0, atol=1e-6)


@pytest.mark.parametrize("options", [{}, {"form": "paper"}, {"contraction": 0.9}, {"grad": "phantom"}, {"cached": True}],
                         ids=["signed", "paper", "contraction", "phantom", "cached"])
def test_torch_func_transforms_and_forward_ad(backend, options):
    """torch.func's jacrev / grad and forward-mode AD failed inside torch ("Sparse CSR tensors do not have
    strides", "You must implement the jvp function"): under them the operator propagates over its edge
    list, also where an ordinary call before had cached its sparse form (cached=True served it there).
    The implicit mode, whose adjoint they cannot run, is refused by name."""
    from torch.func import functional_call, grad, jacrev
    import torch.autograd.forward_ad as fwAD

    ei, _ = random_graph(7, 16, simple=True, seed=3)
    ei = torch.cat([ei, torch.arange(7).repeat(2, 1)], 1)  # DGL refuses nodes without in-edges
    g = backend.graph(ei, 7)
    x = torch.randn(7, 3, dtype=torch.float64)
    torch.manual_seed(0)
    conv = backend.PIGNConv(3, **options).double()
    backend.run(conv, x, g)  # (an ordinary call first: what it keeps must not reach the transforms)
    J = jacrev(lambda v: backend.run(conv, v, g))(x)
    xr = x.clone().requires_grad_()
    backend.run(conv, xr, g).sum().backward()
    assert torch.allclose(J.sum((0, 1)), xr.grad)
    params = {k: v.detach() for k, v in conv.named_parameters()}
    g_params = grad(lambda p: functional_call(conv, p, (x, g) if backend.name == "pyg" else (g, x)).sum())(params)
    assert all(torch.allclose(g_params[k], p.grad) for k, p in conv.named_parameters())
    t = torch.randn_like(x)
    with fwAD.dual_level():
        tangent = fwAD.unpack_dual(backend.run(conv, fwAD.make_dual(x, t), g)).tangent
    assert torch.allclose(tangent, torch.einsum("abij,ij->ab", J, t))
    implicit = backend.PIGNConv(3, grad="implicit").double()
    with pytest.raises(RuntimeError, match=r"grad='implicit' cannot run under a torch.func transform"):
        jacrev(lambda v: backend.run(implicit, v, g))(x)
    with pytest.raises(RuntimeError, match=r"PIGNConv: torch.func.vmap cannot batch the iteration.*disjoint graph"):
        torch.func.vmap(lambda v: backend.run(conv, v, g))(torch.stack([x, 2 * x]))


def test_a_layer_in_the_backends_sequential_warns_at_the_users_line(backend):
    """Through DGL's ``nn.Sequential`` the warning named a line of DGL; through PyG's, a line of the module
    its ``Sequential`` generates."""
    edge_index, _ = random_graph(6, 12)
    x = torch.randn(6, 4)
    conv = backend.PIGNConv(4, num_iterations=2, tol=1e-12)
    graph = backend.graph(edge_index, 6)
    if backend.name == "pyg":
        from torch_geometric.nn import Sequential

        seq = Sequential("x, edge_index", [(conv, "x, edge_index -> x")])
        call = lambda: seq(x, graph)  # noqa: E731
    else:
        from dgl.nn import Sequential

        seq = Sequential(conv)
        call = lambda: seq(graph, x)  # noqa: E731
    with pytest.warns(ConvergenceWarning, match="did not reach tol") as record:
        call()
    assert record[0].filename == __file__


def test_contraction_set_after_construction_is_checked_as_when_built(backend):
    """conv="sage" refuses contraction= when built; set later (the attribute, configure) it was taken,
    shown in the repr and not enforced (a measured contraction factor of 1.06 for a bound of 0.5)."""
    sage = backend.PIGNConv(4, conv="sage")
    wrapped = backend.IterativeConv(backend.layers.layer("SAGEConv", 4))
    for conv, assign in ((sage, lambda c: setattr(c, "contraction", 0.5)),
                         (wrapped, lambda c: c.configure(contraction=0.5))):
        with pytest.raises(ValueError, match=r"contraction= rescales the operator's weight .* SAGE\w* cannot"):
            assign(conv)
        assert conv.contraction is None and "contraction" not in repr(conv)
    gcn = backend.PIGNConv(4)
    gcn.contraction = 0.5  # (the GCN operator bounds its norm)
    assert gcn.contraction == 0.5


def test_the_layers_read_only_properties_refuse_a_value_with_what_to_do(backend):
    """``layer.conv = module`` was kept beside the property: an unused child whose parameters were trained
    and saved, the output unchanged; other values met Python's bare "property has no setter"."""
    import iterative_core as ic

    for conv in (backend.PIGNConv(4), backend.IterativeConv(backend.layers.layer("GraphConv", 4))):
        where = type(conv).__name__
        before = conv.state_dict().keys()
        other = backend.layers.layer("GraphConv", 4)
        for value in (other, "sage"):
            with pytest.raises(AttributeError, match=rf"^{where}: conv cannot be set: it is the iterated convolution, "
                                                     r"layer.operator, .*build a new layer with the convolution you want"):
                conv.conv = value
        assert conv.conv is conv.operator and conv.state_dict().keys() == before
        assert all(p is not q for p in conv.parameters() for q in other.parameters())
        with pytest.raises(AttributeError, match=rf"^{where}: config cannot be set: .*layer\.configure\(tol=1e-4\)"):
            conv.config = ic.SolveConfig(max_iter=3)
        with pytest.raises(AttributeError, match=rf"^{where}: layer_options cannot be set: .*layer\.configure"):
            conv.layer_options = None


    class WithHead(backend.PIGNConv):  # a subclass of yours keeps a module behind a property of its own
        @property
        def head(self) -> torch.nn.Module:
            return self._modules["head"]

        def __init__(self, channels):
            super().__init__(channels)
            self.head = torch.nn.Linear(channels, 2)

    assert isinstance(WithHead(4).head, torch.nn.Linear) and "head.weight" in WithHead(4).state_dict()
    wrapped = backend.IterativeConv(backend.layers.layer("GraphConv", 4))
    if isinstance(getattr(type(wrapped), "in_channels", None), property):  # (PyG's width names)
        with pytest.raises(AttributeError, match=r"^IterativeConv: in_channels cannot be set: it is read from the layer"):
            wrapped.in_channels = 3


def test_the_form_and_the_operator_of_a_built_layer_cannot_be_assigned_another(backend):
    """conv.form = "paper" changed only the repr."""
    conv = backend.PIGNConv(4, 8, contraction=0.5)
    widths = dict(zip(("in_channels", "out_channels"), backend.PIGNConv.width_args))
    sage = backend.PIGNConv(8, conv="sage").operator
    for name, value, keyword in (("form", "paper", "form"), ("conv_name", "sage", "conv"),
                                 ("out_channels", 6, widths["out_channels"]), ("in_channels", 6, widths["in_channels"]),
                                 ("channels", 6, widths["out_channels"]),
                                 # another operator: one that cannot bound its norm ran under contraction=0.5
                                 ("operator", sage, None), ("lin", torch.nn.Linear(6, 8, bias=False), None)):
        advice = f"with {keyword}=" if keyword else f"with the {name} you want"
        with pytest.raises(AttributeError, match=rf"PIGNConv: {name} is fixed when the layer is built .*build a new "
                                                 rf"layer {advice}"):
            setattr(conv, name, value)
    assert conv.form == "signed" and "paper" not in repr(conv) and conv.operator is not sage
    # an activation module is a child of the layer: swapping it ran the new one under the old name and constant
    prelu = torch.nn.PReLU()
    conv = backend.PIGNConv(4, form="paper", act=prelu)
    with pytest.raises(AttributeError, match=r"PIGNConv: act_fn is fixed when the layer is built .* build a new layer "
                                             r"with act=Tanh\(\)"):
        conv.act_fn = torch.nn.Tanh()
    assert conv.act_fn is prelu
    # the layer's own keywords are valid ones: 'cnv' got no hint
    with pytest.raises(TypeError, match=r"got unknown keyword\(s\) 'cnv' \('cnv' -> 'conv'\?\)"):
        backend.PIGNConv(4, cnv="sage")
