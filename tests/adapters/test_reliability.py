"""Inputs that once gave silent wrong answers or unclear errors, in both adapters."""
from __future__ import annotations

import re
import warnings

import pytest
import torch

from iterative_core import ConvergenceError, ConvergenceWarning

from tests.helpers import as_on_a_device, dense_gcn_matrix, random_graph


def _path(n: int) -> torch.Tensor:
    """A directed path 0 -> 1 -> ... -> n-1."""
    return torch.stack([torch.arange(n - 1), torch.arange(1, n)])


def _random_directed(n: int, e: int, seed: int) -> torch.Tensor:
    g = torch.Generator().manual_seed(seed)
    return torch.randint(0, n, (2, e), generator=g)


def _stack(*graphs):
    """Graphs ``(edge_index, num_nodes)`` one after another: the joint edge index and the sizes."""
    parts, off, sizes = [], 0, []
    for ei, n in graphs:
        parts.append(ei + off)
        off += n
        sizes.append(n)
    return torch.cat(parts, 1), sizes


# ------------------------------------------------------------------------------------------ batches
@pytest.mark.parametrize("options", [
    dict(form="paper", contraction=0.9),
    dict(form="paper", contraction=0.5, alpha=0.2, inject_input=True),
    dict(form="appnp", contraction=0.9),  # W = I, only a scale
    dict(contraction=0.9, gamma_init=-0.8, bias=True),  # the signed form, W = I: a scale of the coefficients
    dict(beta=0.5, contraction=0.7, tol=1e-6, num_iterations=60, bias=True),  # (a bias: not scaled with W)
    dict(form="paper", contraction=0.9, solver="anderson", tol=1e-7, num_iterations=80),
])
def test_a_graph_gives_the_same_output_alone_and_in_any_batch(backend, options):
    """The contraction's bound and rescaling are per graph: a directed path alone and batched with a
    random directed graph (whose bound is larger) gives the same output."""
    torch.manual_seed(0)
    conv = backend.PIGNConv(6, **options).double()
    with torch.no_grad():
        if conv.operator.weight is not None:
            conv.operator.weight.mul_(3.0)  # beyond the budget: the rescaling is active
        conv.operator.bias.uniform_(-0.5, 0.5)
    path, other = (_path(5), 5), (_random_directed(40, 160, seed=1), 40)
    x_path, x_other = torch.randn(5, 6, dtype=torch.float64), torch.randn(40, 6, dtype=torch.float64)
    alone = backend.call(conv, x_path, path[0])
    for graphs, xs, at in (([path, other], [x_path, x_other], 0), ([other, path], [x_other, x_path], 40),
                           ([other, path, other], [x_other, x_path, x_other], 40)):
        ei, sizes = _stack(*graphs)
        out = backend.call(conv, torch.cat(xs), ei, batch_sizes=sizes)
        torch.testing.assert_close(out[at:at + 5], alone, atol=1e-6, rtol=1e-6)


@pytest.mark.parametrize("form", ["signed", "appnp"])
@pytest.mark.parametrize("weighted", [False, True])
def test_picard_steps_give_a_graph_the_same_bits_alone_and_batched(backend, form, weighted):
    """The README's promise for the forms without a weight matrix, also with edge weights on repeated
    edges: the weighted matrix was built with an unstable sort, which ordered a repeated edge's entries
    differently batched and alone, and their sum differed in its last bit."""
    g = torch.Generator().manual_seed(0)

    def graph(n, m):
        src, dst = torch.randint(0, n, (m,), generator=g), torch.randint(0, n, (m,), generator=g)
        w = torch.rand(m, generator=g) + 0.1
        return torch.stack([torch.cat([src, dst]), torch.cat([dst, src])]), torch.cat([w, w])

    graphs = [graph(12, 30), graph(9, 20), graph(15, 40)]
    xs = [torch.randn(n, 4, generator=g) for n in (12, 9, 15)]
    ei, sizes = _stack(*((e, n) for (e, _), n in zip(graphs, (12, 9, 15))))
    w = torch.cat([w for _, w in graphs]) if weighted else None
    conv = backend.PIGNConv(4, form=form, num_iterations=8)
    out = backend.call(conv, torch.cat(xs), ei, w, batch_sizes=sizes)
    start = 0
    for (e, wg), x, n in zip(graphs, xs, sizes):
        alone = backend.call(conv, x, e, wg if weighted else None)
        assert torch.equal(out[start:start + n], alone), float((out[start:start + n] - alone).abs().max())
        start += n


def test_a_batch_vector_that_cuts_edges_is_refused(backend):
    ei, sizes = _stack((_path(4), 4), (_path(3), 3))
    x = torch.randn(7, 4)
    bad = torch.tensor([0, 0, 0, 1, 1, 1, 1])  # node 3 is in graph 0 by its edge 2 -> 3
    with pytest.raises(ValueError, match=r"different graphs .*node 2 in graph 0 -> node 3 in graph 1"):
        backend.call(backend.PIGNConv(4, num_iterations=40, tol=1e-4), x, ei, batch=bad)
    ok = torch.tensor([0, 0, 0, 0, 1, 1, 1])
    assert backend.call(backend.PIGNConv(4, num_iterations=40, tol=1e-4), x, ei, batch=ok).shape == (7, 4)


def test_bad_batch_ids_are_refused(backend):
    x, ei = torch.randn(4, 4), _path(4)
    with pytest.raises(ValueError, match="negative graph id -1"):
        backend.call(backend.PIGNConv(4), x, ei, batch=torch.tensor([0, 0, -1, -1]))
    with pytest.raises(ValueError, match="one entry per node"):
        backend.call(backend.PIGNConv(4), x, ei, batch=torch.tensor([0, 0, 1]))
    with pytest.raises(TypeError, match="int64"):
        backend.call(backend.PIGNConv(4), x, ei, batch=torch.tensor([0.0, 0, 1, 1]))


# ------------------------------------------------------------------------------------- contraction
def _operator_norm(conv, x, ei, backend) -> float:
    """||T(a) - T(b)|| / ||a - b|| of the layer's one step, measured on random pairs (W is linear in
    z with the identity activation, so this is the operator's norm along a random direction),
    largest over several directions."""
    best = 0.0
    op = conv.operator
    g = backend.graph(ei, x.size(0))
    bound = op.bind(x, g, None, lipschitz_budget=conv._lipschitz_budget())
    for _ in range(20):
        a, b = torch.randn_like(x), torch.randn_like(x)
        best = max(best, float((bound(a) - bound(b)).norm() / (a - b).norm()))
    return best


def _scaled_weight_norm(conv, x, ei, backend) -> float:
    op = conv.operator
    W, scale = op.scaled_weight(conv._lipschitz_budget(), torch.tensor(1.0, dtype=x.dtype), x.dtype)
    return float(torch.linalg.matrix_norm((W * scale).detach(), 2))


def test_contraction_holds_after_any_change_of_the_weight(backend):
    kappa = 0.99
    conv = backend.PIGNConv(4, form="paper", act="identity", contraction=kappa).double()
    x, ei = torch.randn(6, 4, dtype=torch.float64), torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]])
    # (a) a forward with a zero weight, then a large one
    with torch.no_grad():
        conv.operator.weight.zero_()
    backend.call(conv, x, ei)
    with torch.no_grad():
        conv.operator.weight.copy_(torch.eye(4) * 1.6)
    assert _scaled_weight_norm(conv, x, ei, backend) <= kappa * (1 + 1e-9)
    # (b) load_state_dict in train mode
    conv.train()
    big = backend.PIGNConv(4, form="paper", act="identity").double()
    with torch.no_grad():
        big.operator.weight.copy_(torch.randn(4, 4, dtype=torch.float64) * 5)
    backend.call(conv, x, ei)
    conv.load_state_dict(big.state_dict())
    assert _scaled_weight_norm(conv, x, ei, backend) <= kappa * (1 + 1e-9)
    # the whole step is then a contraction with constant <= kappa (undirected cycle: ||Â|| = 1)
    und = torch.cat([ei, ei.flip(0)], 1)
    assert _operator_norm(conv, x, und, backend) <= kappa * (1 + 1e-9)


def test_contraction_rescaling_is_exact_and_differentiable():
    from iterative_core import GCNOperatorBase

    op = GCNOperatorBase(5).double()
    W, s = op.scaled_weight(0.5, torch.tensor(1.0, dtype=torch.float64))
    assert float(torch.linalg.matrix_norm(W * s, 2)) == pytest.approx(0.5, rel=1e-12)
    # per graph: one factor per bound
    _, s = op.scaled_weight(0.5, torch.tensor([1.0, 2.0, 0.0], dtype=torch.float64))
    sigma = float(torch.linalg.matrix_norm(W, 2))
    assert s.tolist() == pytest.approx([min(1, 0.5 / sigma), min(1, 0.25 / sigma), 1.0])
    torch.autograd.gradcheck(lambda w: torch.linalg.matrix_norm(w, 2), (op.weight.detach().clone().requires_grad_(),))


# ------------------------------------------------------------------------------------------- dtypes
def test_float16_overflow_is_reported_not_returned_as_converged(backend):
    x = torch.full((4, 4), 60000.0).half()
    ei = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])
    conv = backend.PIGNConv(4, num_iterations=30, form="paper", act="identity", smoothing=0.0, tol=1e-3).half()
    with torch.no_grad():
        conv.operator.weight.copy_(torch.eye(4) * 0.5)
        conv.operator.bias.fill_(60000.0)  # fixed point 120000: finite in float32, not in float16
    with pytest.warns(ConvergenceWarning, match="overflows torch.float16"):
        out, info = backend.call(conv, x, ei, return_info=True)
    assert info.status == "diverged" and not torch.isfinite(out).all()
    conv.on_divergence = "raise"
    with pytest.raises(ConvergenceError, match="overflows"):
        backend.call(conv, x, ei)


def test_a_float16_iterate_whose_norms_overflow_float32_says_the_output_holds_inf(backend, monkeypatch):
    """Iterated in float32, the iterate grows past 1e19 (its float32 norms overflow), far beyond float16's
    range: the output is Inf, and the message said "every entry of the answer is finite". On the CPU the
    overflowed norms are measured again, rescaled: the cause is named (the residual grew), and then that
    the output holds Inf; as on a device, one message says both."""
    n = 40
    ei = torch.stack([torch.arange(n).repeat_interleave(n), torch.arange(n).repeat(n)])  # complete, with loops
    x = torch.randn(n, 4, generator=torch.Generator().manual_seed(0)) * 1000
    conv = backend.PIGNConv(4, normalize=False, form="appnp", bias=False, num_iterations=12).half()
    with pytest.warns(ConvergenceWarning) as caught:
        out, info = backend.call(conv, x.half(), ei, return_info=True)
    said = [str(w.message) for w in caught if issubclass(w.category, ConvergenceWarning)]
    assert len(said) == 2 and re.search(r"the residual grew.*contraction factor 3[0-9]\b", said[0]), said
    assert said[1].endswith("is beyond the range of torch.float16, the dtype the layer returns (largest 65504): the "
                            "output holds Inf") and not torch.isfinite(out).all()
    assert info.divergence_reason == "residual"
    conv.on_divergence = "ignore"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.call(conv, x.half(), ei)
    conv.on_divergence = "warn"
    as_on_a_device(monkeypatch)
    with pytest.warns(ConvergenceWarning, match="beyond the range of torch.float16.*the output holds Inf") as caught:
        out, info = backend.call(conv, x.half(), ei, return_info=True)
    assert not any("every entry" in str(w.message) for w in caught)
    assert info.divergence_reason == "nonfinite" and not torch.isfinite(out).all()
    with pytest.warns(ConvergenceWarning, match="beyond the range of torch.float16"):  # compiled, the same message
        backend.call(torch.compile(conv, backend="eager"), x.half(), ei)
    conv = conv.to(torch.bfloat16)  # float32's range: the output is finite, and the message says so
    with pytest.warns(ConvergenceWarning, match="every entry of the iterate is finite"):
        out, info = backend.call(conv, x.to(torch.bfloat16), ei, return_info=True)
    assert torch.isfinite(out).all()


def test_huge_finite_edge_weights_keep_the_graph(backend):
    """3e38 is finite in float32 but a sum of two overflows: the degrees are summed in float64."""
    ei = torch.tensor([[1, 2, 0, 1], [0, 0, 1, 2]])  # node 0 receives two edges of weight 3e38
    w = torch.tensor([3e38, 3e38, 3e38, 1.0])
    x = torch.randn(3, 4)
    conv = backend.PIGNConv(4, num_iterations=3, form="appnp")
    out = backend.call(conv, x, ei, w)
    # the reference, in float64 throughout
    A = dense_gcn_matrix(ei, w.double(), 3, dtype=torch.float64)
    z = x.double()
    for _ in range(3):
        z = 0.9 * A @ z + 0.1 * x.double() + conv.operator.bias.detach().double()
    torch.testing.assert_close(out.double(), z, atol=1e-5, rtol=1e-5)
    assert not torch.allclose(out, 0.1 * x)  # the graph was not erased


def test_features_whose_squares_overflow_float32_are_reported_with_the_way_out(backend, monkeypatch):
    """Entries of 1e20 are finite in float32 but their squares are not: the residual norms overflow.
    Without a tol the solve must not pass for fixed, the warning says what overflowed, and float64 (the
    advice) gives the answer of the scaled-down features, scaled (the form is linear without its bias).
    With a tol, the tests measure the iterate rescaled: it converges in the steps of float64 (it stopped
    at its second step, read "max_iter" at 1e19 and "diverged" at 1e20), alone and beside an ordinary
    graph in a batch, also where the steps between tests (check_every) read the overflow. Without a tol
    the CPU measures them so too; a device, which reads nothing back, reports the overflow."""
    from tests.helpers import random_edges

    torch.manual_seed(0)
    x = torch.randn(300, 8)
    ei = torch.stack(random_edges(300, 900))
    for options in (dict(tol=1e-5), dict(tol=1e-5, check_every=5), dict()):
        conv = backend.PIGNConv(8, bias=False, num_iterations=60, **options)
        small, info_small = backend.call(conv.double(), x.double(), ei, return_info=True)
        conv.float()
        if options:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                huge, info = backend.call(conv, x * 1e20, ei, return_info=True)
            assert info.status == "converged" and info.iterations == info_small.iterations, options
            torch.testing.assert_close(huge.double() / 1e20, small, rtol=1e-5, atol=1e-6)
        else:  # on the CPU the overflowed norms are measured again, rescaled, as at a test
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                huge, info = backend.call(conv, x * 1e20, ei, return_info=True)
            assert info.status == "fixed"
            torch.testing.assert_close(huge.double() / 1e20, small, rtol=1e-5, atol=1e-6)
            with monkeypatch.context() as device:
                as_on_a_device(device)  # (a device reads nothing back to do so)
                with pytest.warns(ConvergenceWarning, match="every entry of the iterate is finite.*sums of squares "
                                                            "overflowed"):
                    _, info = backend.call(conv, x * 1e20, ei, return_info=True)
                assert info.status == "diverged", options
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            big, info_big = backend.call(conv.double(), x.double() * 1e20, ei, return_info=True)
        conv.float()
        assert info_big.status == info_small.status and info_big.iterations == info_small.iterations
        torch.testing.assert_close(big / 1e20, small, rtol=1e-9, atol=1e-12)
    # in a batch: a graph of huge features beside an ordinary one
    half = torch.stack(random_edges(150, 450))
    both, batch = torch.cat([half, half + 150], 1), torch.tensor([0] * 150 + [1] * 150)
    scale = torch.tensor([1e20] * 150 + [1.0] * 150)[:, None]
    for options in (dict(tol=1e-5), dict(tol=1e-5, check_every=5), dict()):
        conv = backend.PIGNConv(8, bias=False, num_iterations=60, **options)
        if options:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _, info = backend.call(conv, x * scale, both, batch=batch, return_info=True)
            assert info.status == "converged" and info.graph_diverged.tolist() == [False, False], options
        else:
            with warnings.catch_warnings():
                warnings.simplefilter("error")
                _, info = backend.call(conv, x * scale, both, batch=batch, return_info=True)
            assert info.status == "fixed" and info.graph_diverged.tolist() == [False, False]
            with monkeypatch.context() as device:
                as_on_a_device(device)
                with pytest.warns(ConvergenceWarning, match="every entry of the iterate is finite"):
                    _, info = backend.call(conv, x * scale, both, batch=batch, return_info=True)
                assert info.status == "diverged" and info.graph_diverged.tolist() == [True, False]


def test_an_expansive_operator_whose_norms_overflow_is_named_not_the_features(backend, monkeypatch):
    """From moderate features, an expansive operator grows the iterate until its float32 norms overflow: the
    message names the operator and the start's norm, not large features (scaling them down would not help).
    (As on a device: the CPU measures such norms again, rescaled, and huge features then converge.)"""
    from tests.helpers import random_edges

    torch.manual_seed(0)
    x = torch.randn(50, 16)
    ei = torch.stack(random_edges(50, 200))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, info = backend.call(backend.PIGNConv(16, form="appnp", num_iterations=30), x * 1e20, ei,
                               z_init=torch.zeros_like(x), return_info=True)
    assert info.status == "fixed"
    as_on_a_device(monkeypatch)
    torch.manual_seed(0)
    x = torch.randn(50, 16)
    ei = torch.stack(random_edges(50, 200))
    conv = backend.PIGNConv(16, form="paper", num_iterations=30)
    with torch.no_grad():
        conv.operator.weight.mul_(30)
    with pytest.warns(ConvergenceWarning) as rec:
        _, info = backend.call(conv, x, ei, return_info=True)
    assert info.status == "diverged"
    msg = next(str(w.message) for w in rec if "every entry of the iterate is finite" in str(w.message))
    start = float(x.norm())
    assert re.search(r"grew from a norm of ([0-9.e+]+) at the start.*the operator is expansive.*contraction=kappa", msg), msg
    assert float(re.search(r"norm of ([0-9.e+]+) at", msg).group(1)) == pytest.approx(start, rel=1e-2)
    assert "scale the features down" not in msg
    # large features injected into a zero start: the first step is that large, the features are named
    conv = backend.PIGNConv(16, form="appnp", num_iterations=30)
    with pytest.warns(ConvergenceWarning) as rec:
        backend.call(conv, x * 1e20, ei, z_init=torch.zeros_like(x))
    msg = next(str(w.message) for w in rec if "every entry of the iterate is finite" in str(w.message))
    assert "scale the features down" in msg and "expansive" not in msg.split("Lower the smoothing")[0], msg


def test_a_node_whose_edges_all_weigh_zero_gives_finite_weight_gradients(backend):
    """Node 0's only in-edge is its own loop, of weight 0: its degree is 0 and the normalisation 0 there.
    Its weight's gradient was NaN (inf replaced after the power, inf * 0 in the backward pass), which a
    masked edge (DropEdge) spread to the learned weight it masks; it is 0, and the others are unchanged."""
    torch.manual_seed(0)
    x = torch.randn(4, 3, dtype=torch.float64)
    ei = torch.tensor([[0, 1, 2], [0, 2, 1]])
    conv = backend.PIGNConv(3, num_iterations=4).double()
    theta = torch.tensor([0.7, 1.0, 1.0], dtype=torch.float64, requires_grad=True)
    mask = torch.tensor([0.0, 1.0, 1.0], dtype=torch.float64)
    backend.call(conv, x, ei, theta * mask).sum().backward()
    assert torch.isfinite(theta.grad).all() and theta.grad[0] == 0, theta.grad
    # the other edges' gradients: finite differences (node 0 keeps degree 0 under the perturbation)
    for e in (1, 2):
        def out(t, e=e):
            w = (theta.detach() * mask).clone()
            w[e] = t
            return backend.call(conv, x, ei, w).sum()
        h = 1e-6
        numeric = (out(1.0 + h) - out(1.0 - h)) / (2 * h)
        assert float(theta.grad[e]) == pytest.approx(float(numeric), rel=1e-6, abs=1e-9)
    # a negative degree (negative weights, let through by validate=False) is still NaN, reported, not made 0
    conv = backend.PIGNConv(3, num_iterations=4, validate=False).double()
    with pytest.warns(ConvergenceWarning, match="diverged"):
        _, info = backend.call(conv, x, ei, torch.tensor([-2.0, 0.5, 1.0], dtype=torch.float64), return_info=True)
    assert info.status == "diverged"


def test_float64_weights_whose_sum_overflows_are_refused(backend):
    ei = torch.tensor([[0, 1], [1, 0]])
    w = torch.tensor([1e308, 1e308], dtype=torch.float64)
    conv = backend.PIGNConv(2).double()
    with pytest.raises(ValueError, match="too large to normalise"):
        backend.call(conv, torch.randn(2, 2, dtype=torch.float64), ei, w)


# -------------------------------------------------------------------------------------- warm start
def test_z_init_of_the_wrong_shape_dtype_or_type_is_refused(backend):
    x, ei = torch.randn(4, 4), _path(4)
    conv = backend.PIGNConv(4)
    with pytest.raises(ValueError, match=r"z_init has shape \(4, 1\).*\(4, 4\)"):
        backend.call(conv, x, ei, z_init=torch.randn(4, 1))
    with pytest.raises(ValueError, match=r"z_init has shape \(4,\)"):
        backend.call(conv, x, ei, z_init=torch.randn(4))
    with pytest.raises(TypeError, match="z_init has dtype torch.float64"):
        backend.call(conv, x, ei, z_init=torch.randn(4, 4, dtype=torch.float64))
    with pytest.raises(TypeError, match="z_init must be a tensor"):
        backend.call(conv, x, ei, z_init=[[0.0] * 4] * 4)
    out = backend.call(conv, x, ei, z_init=torch.zeros(4, 4))
    assert out.shape == (4, 4)


# ---------------------------------------------------------------------------------- invalid indices
def test_negative_indices_are_caught_on_the_cpu_even_without_validation(backend):
    if backend.name == "dgl":
        pytest.skip("DGL refuses negative node ids when the graph is built")
    x = torch.randn(4, 4)
    for ei in (torch.tensor([[0, -3], [1, 2]]), torch.tensor([[0, 7], [1, 2]])):
        with pytest.raises(ValueError, match="valid indices 0..3"):
            backend.call(backend.PIGNConv(4, validate=False), x, ei)


# ------------------------------------------------------------------------------------ custom layers
class _Returns(torch.nn.Module):
    def __init__(self, value):
        super().__init__()
        self.lin = torch.nn.Linear(4, 4)
        self.value = value

    def forward(self, *args, **kwargs):
        return self.value() if callable(self.value) else self.value


@pytest.mark.parametrize("value,message", [
    (None, r"_Returns returned NoneType \(None\)"),
    (3.0, r"_Returns returned float \(3.0\)"),
    (lambda: torch.zeros(4, 4).numpy(), r"_Returns returned ndarray"),
    (lambda: torch.zeros(4, 4, dtype=torch.float64), r"returned dtype torch.float64 for an input of dtype torch.float32"),
])
def test_a_custom_operator_returning_the_wrong_thing_is_named(backend, value, message):
    conv = backend.IterativeConv(_Returns(value), num_iterations=2, channels=4)
    with pytest.raises((TypeError, ValueError), match=message):
        backend.call(conv, torch.randn(4, 4), _path(4))


def test_square_hint_speaks_the_backends_language(backend):
    if backend.name == "pyg":
        from torch_geometric.nn import GATConv

        layer, keyword = GATConv(8, 8, heads=2), "heads=heads"
    else:
        from dgl.nn import GATConv

        layer, keyword = GATConv(8, 8, num_heads=2), "num_heads=num_heads"
    with pytest.raises(ValueError, match="maps 8 input channels to 16") as err:
        backend.IterativeConv(layer)
    assert keyword in str(err.value)
    if backend.name == "dgl":
        assert "heads=heads" not in str(err.value).replace("num_heads=num_heads", "")


# ------------------------------------------------------------------------------- state and caching
def test_a_state_dict_of_another_form_names_the_form(backend):
    saved = backend.PIGNConv(4, form="appnp").state_dict()  # no weight
    with pytest.raises(RuntimeError, match=r"Missing key.*operator\.weight(.|\n)*no operator.weight.*saved, "
                                           r"PIGNConv\(C, form='appnp'\)"):
        backend.PIGNConv(4, form="paper").load_state_dict(saved)
    saved = backend.PIGNConv(4).state_dict()  # the default form: no weight, learned coefficients
    with pytest.raises(RuntimeError, match=r"Unexpected key.*operator\.gamma_logit(.|\n)*the form 'signed'.*saved, "
                                           r"PIGNConv\(C\), with the gamma_max it was built with"):
        backend.PIGNConv(4, form="paper").load_state_dict(saved)


def test_a_state_dict_hint_is_a_warning_where_strict_is_not_known(backend):
    """A load started on a user's own module: the library's layer inside is not told its strict, so the
    layer to build comes as a warning, before torch's error or its list of keys."""
    saved = torch.nn.Sequential(backend.PIGNConv(4, form="appnp")).state_dict()
    model = torch.nn.Sequential(backend.PIGNConv(4, form="paper"))
    with pytest.warns(UserWarning, match=r"saved, PIGNConv\(C, form='appnp'\)"), \
            pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict(saved)
    with pytest.warns(UserWarning, match=r"saved, PIGNConv\(C, form='appnp'\)"):
        assert model.load_state_dict(saved, strict=False).missing_keys == ["0.operator.weight"]


def test_cached_propagation_of_another_graph_is_named(backend):
    conv = backend.PIGNConv(4, cached=True)
    backend.call(conv, torch.randn(4, 4), _path(4))
    with pytest.raises(ValueError, match="cached=True holds the propagation of a graph with 4 nodes.*has 6"):
        backend.call(conv, torch.randn(6, 4), _path(6))
    conv.reset_parameters()
    assert backend.call(conv, torch.randn(6, 4), _path(6)).shape == (6, 4)


# ------------------------------------------------------------------------------------ inference mode
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("model", ["PIGNConv", "GraphPIGN"])
def test_a_graph_made_under_inference_mode_is_taken(backend, weighted, model):
    """Evaluation under ``torch.inference_mode()`` (PyTorch Lightning's default) with the graph, its
    weights or the batch made there: such tensors have no version counter, which the graph cache read
    (a RuntimeError). Now the layer takes them, uncached, with the same output."""
    ei, sizes = _stack((_random_directed(7, 20, 1), 7), (_random_directed(5, 12, 2), 5))
    ei = torch.cat([ei, torch.arange(12).repeat(2, 1)], 1)  # DGL refuses nodes without in-edges
    w = torch.rand(ei.size(1)) + 0.5 if weighted else None
    x = torch.randn(12, 4)
    torch.manual_seed(0)
    net = (backend.PIGNConv(4, num_iterations=4) if model == "PIGNConv" else backend.GraphPIGN(4, 8, 3)).eval()
    with torch.no_grad():
        expected = backend.call(net, x, ei, w, batch_sizes=sizes)
    for _ in range(2):  # the second call would have been served from the cache
        with torch.inference_mode():
            out = backend.call(net, x.clone(), ei.clone(), None if w is None else w.clone(), batch_sizes=sizes)
        assert torch.allclose(out, expected, atol=1e-6)


@pytest.mark.parametrize("model", ["contraction", "paper", "graph", "graph-max", "anderson"])
def test_training_after_an_inference_mode_pass_on_the_same_graph(backend, model):
    """Validate under ``torch.inference_mode()``, then train the next epoch on the same graph object: what
    the layer kept of the graph (its norm bound, DGL's batch vector) was an inference tensor, which
    autograd cannot save ("Inference tensors cannot be saved for backward")."""
    ei, sizes = _stack((_random_directed(7, 20, 1), 7), (_random_directed(5, 12, 2), 5))
    ei = torch.cat([ei, torch.arange(12).repeat(2, 1)], 1)  # DGL refuses nodes without in-edges
    x = torch.randn(12, 4)
    torch.manual_seed(0)
    net = {"contraction": lambda: backend.PIGNConv(4, contraction=0.9),
           "paper": lambda: backend.PIGNConv(4, form="paper", contraction=0.8),
           "graph": lambda: backend.GraphPIGN(4, 8, 3),
           "graph-max": lambda: backend.GraphPIGN(4, 8, 3, pool="max"),
           "anderson": lambda: backend.PIGNConv(4, solver="anderson", tol=1e-3, num_iterations=20)}[model]()
    g = backend.graph(ei, 12, sizes)  # one graph object, reused as a training loop does
    batch = torch.repeat_interleave(torch.arange(2), torch.tensor(sizes)) if backend.name == "pyg" else None
    extra = {"batch": batch} if batch is not None else {}
    for _ in range(2):
        with torch.inference_mode():  # the first call on the graph: what is kept is made here
            expected = backend.run(net, x, g, **extra)
        out = backend.run(net, x, g, **extra)
        out.sum().backward()  # raised inside torch
        assert torch.allclose(out, expected, atol=1e-6)


def test_with_contraction_and_dropout_eval_runs_the_operator_training_runs_in_expectation(backend):
    """Training shrinks the weight by 1 - p more (dropout's 1 / (1 - p) counts in the bound); eval did not,
    so that eval ran another operator than training does in expectation (half of it with p = 0.5)."""
    torch.manual_seed(0)
    n = 12
    edge_index, _ = random_graph(n, 40, seed=3)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, 4, dtype=torch.float64)
    conv = backend.PIGNConv(4, form="paper", act="identity", contraction=0.5, dropout=0.5, num_iterations=1,
                            smoothing=0.0).double()
    with torch.no_grad():
        conv.operator.weight.mul_(50.0)  # (far above the bound: the rescaling is active)
    assert conv.train()._lipschitz_budget() == conv.eval()._lipschitz_budget() == pytest.approx(0.25)
    conv.eval()
    expected = backend.run(conv, x, g)
    conv.train()
    with torch.no_grad():
        mean = torch.stack([backend.run(conv, x, g) for _ in range(4000)]).mean(0)
    assert torch.allclose(mean, expected, atol=0.05 * float(expected.abs().max()))
