"""Gradient modes: gradcheck for every mode and solver, implicit against unrolled, the phantom
gradient's definition, the adjoint solve's report, and the fixed dropout mask."""
import warnings

import pytest
import torch

import iterative_core as ic

from tests.helpers import DenseConv, gcn_dense, random_edges

DT = torch.float64


def small_problem(q: float, seed: int = 0, n: int = 6, c: int = 3):
    """``(A, W, b, x)`` on a small undirected graph with :math:`\\|W\\|_2 = q` (so the map below is a
    ``q``-contraction: :math:`\\|\\hat A\\|_2 = 1` and tanh is 1-Lipschitz)."""
    src, dst = random_edges(n, n, seed=seed + 1)
    A, _ = gcn_dense(src, dst, n)
    g = torch.Generator().manual_seed(seed)
    W = torch.randn(c, c, generator=g, dtype=DT)
    W = (q * W / torch.linalg.matrix_norm(W, 2)).requires_grad_()
    b = torch.randn(c, generator=g, dtype=DT).requires_grad_()
    x = torch.randn(n, c, generator=g, dtype=DT).requires_grad_()
    return A, W, b, x


def gcn_map(A, W, b, x):
    """:math:`T(z) = \\tanh(\\hat A z W^\\top + b + x)`, a closure over the tensors it differentiates."""
    return lambda z: torch.tanh(A @ (z @ W.t()) + b + x)


CONVERGED = dict(max_iter=400, tol=1e-14, stop="abs", backward_tol=1e-14, on_nonconvergence="raise")


@pytest.mark.parametrize("solver", ["picard", "anderson"])
@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
def test_gradcheck_every_mode_and_solver(grad, solver):
    # unrolled: the exact derivative of a fixed number of steps; implicit: of the converged fixed
    # point (the function gradcheck differentiates numerically is the solve to 1e-14); phantom: on
    # a strong contraction (q = 0.1) its last 8 steps approximate that derivative to ~q^8
    q = 0.1 if grad == "phantom" else 0.6
    A, W, b, x = small_problem(q)
    kw = dict(max_iter=10, smoothing=0.3) if grad == "unrolled" else dict(CONVERGED, smoothing=0.0)
    if grad == "phantom":
        kw["phantom_steps"] = 8

    def fn(W, b, x):
        return ic.fixed_point(gcn_map(A, W, b, x), x, solver=solver, grad=grad, **kw)[0]

    assert torch.autograd.gradcheck(fn, (W, b, x))


@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
def test_gradcheck_a_map_that_does_not_read_z(grad):
    """A map that does not read ``z`` has ``J = 0``: its fixed point is one application. Without
    smoothing (which keeps ``z`` in the step) the implicit mode's adjoint failed with torch's "appears
    to not have been used in the graph"; so it did for a map that reads ``z`` detached, whose
    gradient (autograd's, through the last application) is the same in every mode."""
    A, W, b, x = small_problem(0.6)

    def fn(W, b, x):
        return ic.fixed_point(lambda z: torch.tanh(A @ (x @ W.t()) + b), x, max_iter=40, tol=1e-14,
                              smoothing=0.0, grad=grad)[0]

    assert torch.autograd.gradcheck(fn, (W, b, x))

    def detached(grad):
        z = ic.fixed_point(lambda z: torch.tanh(A @ (x @ W.t()) + b + 0.5 * z.detach()), x, max_iter=100,
                           tol=1e-14, smoothing=0.0, grad=grad)[0]
        return torch.autograd.grad(z.sum(), (W, b))

    for ours, unrolled in zip(detached(grad), detached("unrolled")):
        torch.testing.assert_close(ours, unrolled)


class _RescaledWeight(ic.GCNOperatorBase):
    def forward(self, budget: float, bound: torch.Tensor) -> torch.Tensor:
        return self.weight_for(budget, bound)


def test_gradcheck_sparse_propagation_through_the_contraction_rescaling():
    """The layer's path: Â from gcn_propagation as a sparse matrix, W rescaled by the contraction
    budget (its exact spectral norm), implicit gradient; gradcheck through all of it."""
    n, c = 7, 3
    src, dst = random_edges(n, 8, seed=3, undirected=False)
    prop = ic.gcn_propagation(src, dst, n, dtype=DT)
    A = torch.sparse_coo_tensor(torch.stack([prop.dst, prop.src]), prop.weight, (n, n), check_invariants=True).coalesce()
    bound = prop.norm_bound()
    op = _RescaledWeight(c, bias=False).double().eval()
    g = torch.Generator().manual_seed(0)
    W = (4.0 * op.weight.detach()).requires_grad_()  # well above the budget: the rescaling is active
    b = torch.randn(c, generator=g, dtype=DT).requires_grad_()
    x = torch.randn(n, c, generator=g, dtype=DT).requires_grad_()
    budget = 0.7
    assert float(bound * op.spectral_norm(W.detach())) > budget

    def fn(W, b, x):
        Wk = torch.func.functional_call(op, {"weight": W}, (budget, bound))
        T = lambda z: torch.tanh(torch.sparse.mm(A, z @ Wk.t()) + b + x)  # noqa: E731
        return ic.fixed_point(T, x, grad="implicit", smoothing=0.2, **CONVERGED)[0]

    assert torch.autograd.gradcheck(fn, (W, b, x))


@pytest.mark.parametrize("grad,kw", [("phantom", {"phantom_steps": 1}), ("implicit", {"backward_max_iter": 1})])
def test_gradcheck_catches_a_truncated_gradient(grad, kw):
    """The gradchecks above can fail: a gradient truncated to one step on a q = 0.8 contraction is
    rejected."""
    A, W, b, x = small_problem(0.8)

    def fn(W, b, x):
        return ic.fixed_point(gcn_map(A, W, b, x), x, grad=grad, smoothing=0.0, max_iter=400, tol=1e-14,
                              stop="abs", on_nonconvergence="ignore", **kw)[0]

    assert not torch.autograd.gradcheck(fn, (W, b, x), raise_exception=False)


def _grads(out, tensors):
    return torch.autograd.grad((out * out.cos()).sum(), tensors)


def _rel(a, b):
    return float((a - b).norm() / b.norm())


@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_implicit_gradient_equals_unrolled_at_convergence(solver):
    """A layer (GCN operator, contraction=0.9) with every gradient reaching W, b and the input."""
    n, c = 12, 4
    src, dst = random_edges(n, 16, seed=5)
    A, bound = gcn_dense(src, dst, n)
    x = torch.randn(n, c, dtype=DT, generator=torch.Generator().manual_seed(1), requires_grad=True)
    grads = {}
    for grad in ("unrolled", "implicit"):
        conv = DenseConv(c, 300, smoothing=0.3, tol=1e-12, contraction=0.9, act="tanh", inject_input=True,
                         solver=solver, grad=grad, backward_tol=1e-12).double()
        torch.manual_seed(0)
        conv.operator.reset_parameters()
        with torch.no_grad():
            conv.operator.weight.mul_(3.0)
            conv.operator.bias.normal_()
        z, info = conv(x, A, bound)
        assert info.status == "converged"
        grads[grad] = _grads(z, [conv.operator.weight, conv.operator.bias, x])
        if grad == "implicit":
            assert info.backward.status == "converged"
    for gu, gi in zip(grads["unrolled"], grads["implicit"]):
        assert _rel(gi, gu) <= 1e-4


def test_the_adjoint_stops_on_its_relative_residual_whatever_the_stop_rule():
    """With stop="abs" the adjoint took the forward's absolute tol: scaling the loss by 1e-8 (the gradient
    is linear in it) ended the adjoint after one step, 18% off, reported "converged"."""
    torch.manual_seed(0)
    W = torch.randn(3, 3, dtype=torch.float64)
    W = 0.8 * W / torch.linalg.matrix_norm(W, 2)
    x = torch.randn(4, 3, dtype=torch.float64)

    def grad_of(scale, **kw):
        Wp = W.clone().requires_grad_()
        z, info = ic.fixed_point(lambda z: torch.tanh(z @ Wp) + x, torch.zeros(4, 3, dtype=torch.float64),
                                 max_iter=200, grad="implicit", **kw)
        (scale * z.sum()).backward()
        return Wp.grad / scale, info

    exact, _ = grad_of(1.0, tol=1e-12)
    for scale in (1.0, 1e-4, 1e-8):
        g, info = grad_of(scale, tol=1e-6, stop="abs")
        assert _rel(g, exact) < 1e-5 and info.backward.stop == "rel" and info.backward.iterations > 1


def test_phantom_gradient_is_the_last_k_steps_from_a_fixed_start():
    A, W, b, x = small_problem(0.8)
    K, k, s = 20, 3, 0.25
    z, _ = ic.fixed_point(gcn_map(A, W, b, x), x, max_iter=K, smoothing=s, grad="phantom", phantom_steps=k)
    got = _grads(z, [W, b, x])
    # reference: K - k steps without gradients, then k steps with them
    with torch.no_grad():
        zr, _ = ic.fixed_point(gcn_map(A, W, b, x), x, max_iter=K - k, smoothing=s)
    T = gcn_map(A, W, b, x)
    for _ in range(k):
        zr = s * zr + (1 - s) * T(zr)
    ref = _grads(zr, [W, b, x])
    assert torch.allclose(z, zr, atol=1e-14)
    for a, r in zip(got, ref):
        assert torch.allclose(a, r, atol=1e-12)


@pytest.mark.parametrize("grad,expected", [("implicit", 1), ("phantom", 3), ("unrolled", 15)])
def test_applications_of_f_kept_for_backward(grad, expected):
    """Memory: the implicit mode keeps one application of f in the autograd graph, phantom k."""
    A, W, b, x = small_problem(0.6)
    T = gcn_map(A, W, b, x)
    recorded = []

    def f(z):
        recorded.append(torch.is_grad_enabled())
        return T(z)

    ic.fixed_point(f, x, max_iter=15, grad=grad, phantom_steps=3)
    assert sum(recorded) == expected and len(recorded) == 15


def test_info_reports_the_backward_solve():
    A, W, b, x = small_problem(0.7)
    z, info = ic.fixed_point(gcn_map(A, W, b, x), x, max_iter=200, tol=1e-10, grad="implicit", solver="anderson",
                             backward_tol=1e-9, backward_solver="picard")
    assert info.backward is None and info.backward_iterations is None
    z.sum().backward()
    bw = info.backward
    assert bw.phase == "backward" and bw.solver == "picard" and bw.status == "converged"
    assert info.backward_iterations == bw.iterations and 1 < bw.iterations < 200
    assert info.backward_residual == pytest.approx(float(bw.residuals[-1])) and info.backward_residual <= 1e-9
    assert info.as_dict()["backward_iterations"] == bw.iterations
    # a backward budget too small to converge is reported by the policy, naming the adjoint solve
    _, info = ic.fixed_point(gcn_map(A, W, b, x), x, max_iter=200, tol=1e-10, grad="implicit",
                             backward_tol=1e-12, backward_max_iter=3)
    with pytest.warns(ic.ConvergenceWarning, match="adjoint.*backward_max_iter"):
        _.sum().backward()
    assert info.backward.iterations == 3 and info.backward.status == "max_iter"
    z, _ = ic.fixed_point(gcn_map(A, W, b, x), x, max_iter=200, tol=1e-10, grad="implicit",
                          backward_tol=1e-12, backward_max_iter=3, on_nonconvergence="raise")
    with pytest.raises(ic.ConvergenceError, match="adjoint"):
        z.sum().backward()


@pytest.mark.parametrize("grad", ["implicit", "phantom"])
def test_dropout_draws_one_mask_per_forward_pass(grad):
    """In the implicit and phantom modes, and with a tol in any mode, the operator solved is one fixed
    map, so the solve converges; a fixed number of unrolled steps draws a mask per step, as a stack of
    layers does (with a tol it did too, and the solve never converged in training)."""
    n, c = 10, 4
    src, dst = random_edges(n, 12, seed=2)
    A, bound = gcn_dense(src, dst, n)
    x = torch.randn(n, c, dtype=DT)
    kw = dict(smoothing=0.0, tol=1e-10, contraction=0.5, dropout=0.3, act="tanh", inject_input=True,
              on_nonconvergence="ignore")
    conv = DenseConv(c, 100, grad=grad, **kw).double().train()
    _, info = conv(x, A, bound)
    assert info.status == "converged"
    unrolled = DenseConv(c, 100, grad="unrolled", **kw).double().train()
    _, info = unrolled(x, A, bound)
    assert info.status == "converged"
    kw["tol"] = None
    _, info = DenseConv(c, 100, grad="unrolled", **kw).double().train()(x, A, bound)
    assert info.status == "fixed" and info.final_residual > 1e-3  # a new mask at every step


@pytest.mark.parametrize("change", ["add_", "relu_", "mul_", "setitem"])
def test_implicit_gradient_survives_in_place_changes_of_the_output(change):
    """The adjoint solve hung on a hook of the output, which an in-place change dropped from the graph:
    ``z += 1`` after the solve gave the one-step gradient (1.0 instead of 2.0, and no warning)."""
    w = torch.tensor([1.0, -0.5], dtype=torch.float64, requires_grad=True)
    grads = {}
    for grad in ("implicit", "unrolled"):
        w.grad = None
        z, _ = ic.fixed_point(lambda z: 0.5 * z + w, torch.zeros(2, dtype=torch.float64), max_iter=80, tol=1e-14,
                              smoothing=0.0, grad=grad)
        if change == "add_":
            z += 1
        elif change == "relu_":
            z.relu_()
        elif change == "mul_":
            z.mul_(3)
        else:
            z[0] = z[0] * 2
        (z * torch.tensor([1.0, 2.0], dtype=torch.float64)).sum().backward()
        grads[grad] = w.grad.clone()
    assert torch.allclose(grads["implicit"], grads["unrolled"], atol=1e-10), grads


def test_implicit_mode_with_nothing_to_differentiate_returns_a_plain_tensor():
    """With gradients enabled but nothing of f requiring one, the implicit mode returned an output that
    required a gradient (and held a graph): ``out.numpy()`` then failed, where torch's own ops give a
    plain tensor."""
    z, _ = ic.fixed_point(lambda z: 0.5 * z + 1.0, torch.zeros(3), max_iter=30, smoothing=0.0, grad="implicit")
    assert not z.requires_grad and z.grad_fn is None
    assert z.numpy().tolist() == pytest.approx([2.0] * 3, abs=1e-6)
    w = torch.ones(3, requires_grad=True)  # with a parameter, the implicit gradient as before
    z, _ = ic.fixed_point(lambda z: 0.5 * z + w, torch.zeros(3), max_iter=60, smoothing=0.0, grad="implicit")
    z.sum().backward()
    assert z.requires_grad and torch.allclose(w.grad, torch.full((3,), 2.0), atol=1e-5)
