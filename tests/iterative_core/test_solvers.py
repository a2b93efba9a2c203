"""Solvers: Anderson's acceleration and safeguard, per-graph coefficients, check_every, warm starts,
and no host-device synchronisation without a tol."""
import sys

import pytest
import torch

import iterative_core as ic

from tests.helpers import (DenseConv, affine_contraction, as_on_a_device, block_diag_graph, gcn_dense, orthogonal,
                           random_edges)

DT = torch.float64


def diffusion_problem(q: float = 0.9, n: int = 40, c: int = 4, seed: int = 0):
    """:math:`T(z) = \\hat A z W^\\top + x` with symmetric :math:`W`, :math:`\\|W\\|_2 = q` on an undirected
    graph: a contraction with constant exactly ``q`` (:math:`\\|\\hat A\\|_2 = 1`)."""
    src, dst = random_edges(n, 50, seed=seed)
    A, _ = gcn_dense(src, dst, n)
    Q = orthogonal(c, seed=seed)
    W = q * Q @ torch.diag(torch.tensor([1.0, 0.5, -0.3, 0.8], dtype=DT)) @ Q.t()
    x = torch.randn(n, c, dtype=DT, generator=torch.Generator().manual_seed(seed))
    return (lambda z: A @ z @ W.t() + x), x


def test_anderson_needs_at_most_half_of_picards_iterations_at_q_09():
    T, x = diffusion_problem(0.9)
    z_p, picard = ic.fixed_point(T, torch.zeros_like(x), max_iter=1000, tol=1e-6, smoothing=0.0)
    z_a, anderson = ic.fixed_point(T, torch.zeros_like(x), max_iter=1000, tol=1e-6, smoothing=0.0,
                                   solver="anderson")
    assert picard.status == anderson.status == "converged"
    assert picard.contraction_factor > 0.85  # a hard problem: Picard's rate is q
    assert anderson.iterations <= picard.iterations / 2
    assert (z_a - z_p).norm() / z_p.norm() < 1e-5


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_anderson_safeguard_on_a_singular_least_squares_step(dtype):
    """f is constant: after one step every residual is 0, the Gram matrix is 0 and (lam=0) the bordered
    system is singular. The safeguard takes the plain step instead of producing NaN/Inf."""
    c = torch.randn(5, 3, dtype=dtype)
    z, info = ic.fixed_point(lambda z: c, torch.zeros_like(c), max_iter=10, smoothing=0.0, solver="anderson",
                             solver_options={"lam": 0.0})
    assert torch.equal(z, c) and not info.diverged


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_anderson_safeguard_on_nearly_collinear_residuals(dtype):
    """A map that is almost rank one: successive residuals are parallel to 1e-9, the Gram matrix is
    numerically singular. Anderson still converges to the solution, with no NaN on the way."""
    g = torch.Generator().manual_seed(0)
    n = 30
    u = torch.randn(n, 1, generator=g, dtype=DT)
    u = u / u.norm()
    M = 0.95 * u @ u.t() + 1e-9 * torch.randn(n, n, generator=g, dtype=DT)
    b = torch.randn(n, 2, generator=g, dtype=DT)
    ref = torch.linalg.solve(torch.eye(n, dtype=DT) - M, b)
    M, b = M.to(dtype), b.to(dtype)
    seen = []

    def f(z):
        seen.append(bool(torch.isfinite(z).all()))
        return M @ z + b

    z, info = ic.fixed_point(f, torch.zeros_like(b), max_iter=200, tol=1e-5, smoothing=0.0, solver="anderson",
                             solver_options={"lam": 0.0, "m": 6})
    assert all(seen) and info.status == "converged"
    assert float((z.double() - ref).norm() / ref.norm()) < 1e-4


def test_anderson_coefficients_are_per_graph():
    """Without a tol, a graph's trajectory in a batch equals its trajectory alone only if its
    mixing coefficients come from its own residuals."""
    src, dst, batch = block_diag_graph([8, 11], seed=3)
    n = batch.numel()
    A, _ = gcn_dense(src, dst, n)
    W = 0.9 * orthogonal(3, seed=1)
    x = torch.randn(n, 3, dtype=DT, generator=torch.Generator().manual_seed(2))
    T = lambda z: torch.tanh(A @ z @ W.t() + x)  # noqa: E731
    first = batch == 0
    A0, x0 = A[first][:, first], x[first]
    alone, _ = ic.fixed_point(lambda z: torch.tanh(A0 @ z @ W.t() + x0), torch.zeros_like(x0), max_iter=12,
                              solver="anderson", smoothing=0.0)
    batched, _ = ic.fixed_point(T, torch.zeros_like(x), max_iter=12, solver="anderson", smoothing=0.0,
                                batch=batch, num_graphs=2)
    pooled, _ = ic.fixed_point(T, torch.zeros_like(x), max_iter=12, solver="anderson", smoothing=0.0)
    assert torch.allclose(batched[first], alone, atol=1e-12)
    assert not torch.allclose(pooled[first], alone, atol=1e-6)  # one problem for the batch differs


@pytest.mark.parametrize("batched", [False, True])
def test_check_every(batched):
    T, x = diffusion_problem(0.8)
    kw = dict(max_iter=500, tol=1e-8, smoothing=0.0)
    if batched:
        kw.update(batch=torch.zeros(x.shape[0], dtype=torch.long), num_graphs=1)
    _, every = ic.fixed_point(T, torch.zeros_like(x), **kw)
    z5, fifth = ic.fixed_point(T, torch.zeros_like(x), check_every=5, **kw)
    assert fifth.iterations % 5 == 0 and every.iterations <= fifth.iterations < every.iterations + 5
    assert fifth.status == "converged"
    z_fixed, _ = ic.fixed_point(T, torch.zeros_like(x), max_iter=fifth.iterations, smoothing=0.0)
    assert torch.equal(z5, z_fixed)


def test_warm_start_from_a_fixed_point_and_from_a_previous_epoch():
    T, x = diffusion_problem(0.8)
    z_star, cold = ic.fixed_point(T, torch.zeros_like(x), max_iter=500, tol=1e-10, smoothing=0.0)
    _, warm = ic.fixed_point(T, z_star, max_iter=500, tol=1e-10, smoothing=0.0)
    # two steps: a first step within tol ends a solve only at the rounding floor (it has no step before it
    # to show that the steps shrink: an expanding map's first step can be as small)
    assert warm.iterations == 2 and warm.status == "converged" and cold.iterations > 50
    # layer level: the previous call's fixed point as z_init after a small parameter update
    n, c = 30, 4
    src, dst = random_edges(n, 40, seed=4)
    A, bound = gcn_dense(src, dst, n)
    conv = DenseConv(c, 500, smoothing=0.0, tol=1e-8, contraction=0.9, act="tanh", inject_input=True).double()
    xs = torch.randn(n, c, dtype=DT)
    prev, _ = conv(xs, A, bound)
    with torch.no_grad():
        conv.operator.weight.mul_(1.01)
    _, cold = conv(xs, A, bound)
    _, warm = conv(xs, A, bound, z_init=prev.detach())
    assert warm.status == cold.status == "converged"
    assert warm.iterations < 0.7 * cold.iterations


class _NoSync:
    """Make every read of a tensor's value back to Python an error."""

    names = ("__bool__", "item", "__float__", "__int__", "__index__", "tolist", "numpy")

    def __enter__(self):
        self.saved = {k: getattr(torch.Tensor, k) for k in self.names}

        def boom(*a, **k):
            raise AssertionError("host-device synchronisation")

        for k in self.names:
            setattr(torch.Tensor, k, boom)

    def __exit__(self, *exc):
        for k, v in self.saved.items():
            setattr(torch.Tensor, k, v)

    def allowing(self, fn):
        """``fn`` with reads allowed while it runs (inside the guard)."""
        def call(*a, **k):
            guarded = {name: getattr(torch.Tensor, name) for name in self.names}
            self.__exit__()
            try:
                return fn(*a, **k)
            finally:
                for name, v in guarded.items():
                    setattr(torch.Tensor, name, v)
        return call


@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_no_synchronisation_without_tol(solver, monkeypatch):
    src, dst, batch = block_diag_graph([6, 9])
    A, _ = gcn_dense(src, dst, batch.numel())
    x = torch.randn(batch.numel(), 3, dtype=DT)
    T = lambda z: torch.tanh(A @ z + x)  # noqa: E731
    # a CPU batch's range is read whatever the options (no device synchronisation there): allowed here, where
    # the CPU stands in for a device, and only for a batch on the CPU
    guard = _NoSync()
    module = sys.modules["iterative_core.fixed_point"]
    check_batch = module._check_batch

    def cpu_only(batch, *a, **k):
        assert batch.device.type == "cpu"
        return guard.allowing(check_batch)(batch, *a, **k)

    monkeypatch.setattr(module, "_check_batch", cpu_only)
    # Anderson reads its Gram matrix's diagonal back on the CPU only, where that costs nothing
    as_on_a_device(monkeypatch)
    with guard:
        ic.fixed_point(T, x, max_iter=6, solver=solver, batch=batch, num_graphs=2, on_divergence="ignore")
        ic.fixed_point(T, x, max_iter=6, solver=solver, on_divergence="ignore")
    # the guard works: a tol reads the residual back
    with _NoSync(), pytest.raises(AssertionError, match="synchronisation"):
        ic.fixed_point(T, x, max_iter=6, tol=1e-3, solver=solver)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("grad", ["unrolled", "implicit"])
@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_no_cuda_synchronisation_without_tol(solver, grad):
    """On a GPU, CUDA's own sync detector: no synchronising call in the forward solve (and, for the
    implicit mode, in the adjoint solve of the backward pass) when no tol is given."""
    dev = torch.device("cuda")
    src, dst, batch = block_diag_graph([6, 9])
    A, _ = gcn_dense(src, dst, batch.numel())
    A, batch = A.to(dev), batch.to(dev)
    x = torch.randn(batch.numel(), 3, dtype=DT, device=dev)
    W = torch.eye(3, dtype=DT, device=dev).mul_(0.5).requires_grad_()
    T = lambda z: torch.tanh(A @ z @ W + x)  # noqa: E731
    torch.cuda.synchronize()
    torch.cuda.set_sync_debug_mode("error")
    try:
        z, info = ic.fixed_point(T, x, max_iter=6, solver=solver, grad=grad, batch=batch, num_graphs=2,
                                 on_divergence="ignore")
        z.sum().backward()
    finally:
        torch.cuda.set_sync_debug_mode(0)
    assert W.grad is not None and info.iterations == 6


def test_fixed_point_and_the_layer_keep_the_smoothed_step():
    """fixed_point wraps f to check its outputs; the wrapper must still offer the map's smoothed steps
    (``_smoothed_step``, and ``_smoothed_step_latest``, which picard prefers), or every layer loses its
    fused step without a sign."""
    f, x = diffusion_problem()
    calls = {"smoothed": 0}

    class Map:
        def __call__(self, z):
            return f(z)

        def _smoothed_step(self, z, s):
            calls["smoothed"] += 1
            return s * z + (1 - s) * f(z)

    ic.fixed_point(Map(), x, max_iter=4, smoothing=0.5)
    assert calls["smoothed"] == 4

    class Latest(Map):  # a step whose result may reuse an earlier result's memory: picard's choice
        def _smoothed_step_latest(self, z, s):
            calls["latest"] = calls.get("latest", 0) + 1
            return Map._smoothed_step(self, z, s)

    calls["smoothed"] = 0
    ic.fixed_point(Latest(), x, max_iter=4, smoothing=0.5)
    assert calls == {"smoothed": 4, "latest": 4}  # (through the checking wrapper of fixed_point)
    pyg = pytest.importorskip("pyg_iterative")
    from iterative_core.layer import BoundStep

    used = []
    real = BoundStep.smoothed
    BoundStep.smoothed = lambda self, z, t, **kw: used.append((t, kw)) or real(self, z, t, **kw)
    try:
        pyg.PIGNConv(4, num_iterations=5)(torch.randn(5, 4), torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]]))
    finally:
        BoundStep.smoothed = real
    assert used == [(0.3, {"latest_only": True})] * 5  # picard keeps only its latest iterate


def test_picard_takes_the_maps_own_smoothed_step_where_it_has_one():
    """A map with ``_smoothed_step(z, s)`` is asked for the smoothed steps (s != 0) and called plainly
    for the others; the iterates are those of ``lerp(f(z), z, s)``. A method of its own named
    ``smoothed`` is not taken for it (one that returned z made the solve "converge" at once)."""
    f, x = diffusion_problem()
    calls = {"plain": 0, "smoothed": 0}

    class Map:
        def __call__(self, z):
            calls["plain"] += 1
            return f(z)

        def _smoothed_step(self, z, s):
            calls["smoothed"] += 1
            return s * z + (1 - s) * f(z)

    schedule = [0.5, 0.0, 0.3, 0.3]
    mon = ic.IterationMonitor(x, max_iter=4)
    z = ic.solvers.picard(Map(), x, mon, schedule)
    ref = x
    for s in schedule:
        ref = torch.lerp(f(ref), ref, s)
    assert calls == {"plain": 1, "smoothed": 3}
    assert torch.allclose(z, ref)

    class Unrelated(torch.nn.Module):
        def forward(self, z):
            return f(z)

        def smoothed(self, z, k):  # the user's own meaning
            return z

    z, info = ic.fixed_point(Unrelated(), x, max_iter=200, tol=1e-6, smoothing=0.5)
    ref, _ = ic.fixed_point(f, x, max_iter=200, tol=1e-6, smoothing=0.5)
    assert torch.allclose(z, ref) and info.iterations > 1


@pytest.mark.parametrize("lam", [1e-4, 0.0])
def test_anderson_stalled_away_from_a_fixed_point_is_not_converged(lam):
    """f(z) = (I - P) z + b with P a cyclic shift is no contraction: Anderson's mix stalls, its steps
    vanish, and it was reported converged (after 5 steps, or 2 with lam=0) at a relative error of
    1.41. The test reads f(z) - z, as Picard's does."""
    n = 8
    P = torch.roll(torch.eye(n, dtype=torch.float64), 1, 0)
    b = torch.zeros(n, 1, dtype=torch.float64)
    b[0] = 1.0
    f = lambda z: z - P @ z + b  # noqa: E731
    z, info = ic.fixed_point(f, torch.zeros(n, 1, dtype=torch.float64), max_iter=60, tol=1e-5, smoothing=0.0,
                             solver="anderson", solver_options={"lam": lam}, on_nonconvergence="ignore")
    true = float(torch.linalg.vector_norm(f(z) - z) / torch.linalg.vector_norm(z))
    assert info.status != "converged" and true > 1e-3 and info.final_residual > 1e-3


@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_the_relative_test_does_not_depend_on_the_scale(solver):
    """A constant 1e-12 added to the iterate's norm made the test absolute for small iterates: the
    same problem scaled by 1e-16 stopped after 6 steps instead of 64, 37% from its fixed point.
    Anderson's least squares lost its digits at that scale too (44 and 55 steps instead of 10)."""
    torch.manual_seed(0)
    A = torch.randn(6, 6, dtype=torch.float64)
    A = 0.85 * A / torch.linalg.matrix_norm(A, 2)
    b = torch.randn(6, dtype=torch.float64)
    runs = [ic.fixed_point(lambda z, s=s: A @ z + s * b, torch.zeros(6, dtype=torch.float64), max_iter=500,
                           tol=1e-4, solver=solver)[1] for s in (1.0, 1e-16, 1e-18)]
    assert len({info.iterations for info in runs}) == 1 and all(info.status == "converged" for info in runs)


@pytest.mark.parametrize("read_back", [True, False])  # (the CPU's path, and a device's, which reads nothing back)
@pytest.mark.parametrize("batched", [False, True])
def test_anderson_takes_the_same_steps_for_float32_residuals_whose_squares_underflow_or_overflow(batched, read_back,
                                                                                                monkeypatch):
    """Anderson's Gram matrix squares the residuals: in float32 those below 1e-19 squared to zero (above
    1e19, to inf) and it fell back to plain steps: 87 steps instead of 15 at 1e-20, max_iter at 1e-25.
    Each graph's residuals are divided by their largest entry first (in a batch, beside a graph of the
    same values unscaled)."""
    if not read_back:
        as_on_a_device(monkeypatch)
    A, b = affine_contraction(0.9)
    batch = torch.tensor([0] * 6 + [1] * 6) if batched else None

    def solve(s):
        if not batched:
            return ic.fixed_point(lambda z: A @ z + s * b, torch.zeros(6, 3), max_iter=200, tol=1e-5,
                                  solver="anderson")[1].iterations
        shift = torch.cat([torch.full((6, 1), s), torch.ones(6, 1)])  # graph 0 scaled by s, graph 1 not

        def f(z):
            return torch.cat([A @ z[:6], A @ z[6:]]) + shift * torch.cat([b, b])

        info = ic.fixed_point(f, torch.zeros(12, 3), max_iter=200, tol=1e-5, solver="anderson", batch=batch)[1]
        return info.graph_iterations.tolist()

    runs = [solve(s) for s in (1.0, 1e-20, 1e-25, 1e20)]
    assert all(r == runs[0] for r in runs), runs


@pytest.mark.parametrize("batched", [False, True])
def test_the_unrolled_gradient_through_andersons_rescaled_history_is_the_finite_differences_one(batched, monkeypatch):
    """A device always divides each graph's history by its peak (the CPU, where squares under- or
    overflow). A graph alone took its peak with ``aminmax``, which torch < 2.3 cannot differentiate:
    ``backward()`` failed there, alone and not in a batch. The peaks are constants to autograd (the
    coefficients do not depend on them): float64 gradients match finite differences on both paths."""
    as_on_a_device(monkeypatch)
    A, b = (t.double() for t in affine_contraction(0.9))
    A.requires_grad_()
    b.requires_grad_()
    batch = torch.tensor([0] * 6 + [1] * 6) if batched else None

    def solve(A, b):
        if not batched:
            return ic.fixed_point(lambda z: A @ z + b, torch.zeros(6, 3, dtype=torch.float64), max_iter=8,
                                  solver="anderson")[0]
        return ic.fixed_point(lambda z: torch.cat([A @ z[:6], A @ z[6:]]) + torch.cat([b, 2 * b]),
                              torch.zeros(12, 3, dtype=torch.float64), max_iter=8, solver="anderson", batch=batch)[0]

    assert torch.autograd.gradcheck(solve, (A, b))


@pytest.mark.parametrize("scale", [1.0, 1e18, 1.6e19, 2e19, 1e-20])
def test_anderson_coefficients_do_not_depend_on_the_residuals_scale_on_either_path(scale, monkeypatch):
    """Where each diagonal entry of the Gram matrix fit float32 but their mean did not (1.6e19: entries
    of 2.6e38), the CPU path kept the product, its normalisation overflowed, and the coefficients came
    out uniform (0.2 each) where the rescaled path gave the least-squares ones."""
    solvers = sys.modules["iterative_core.solvers"]
    torch.manual_seed(0)
    G = torch.randn(5, 100, 4, dtype=torch.float64)
    G = G / G.reshape(5, -1).norm(dim=1).view(5, 1, 1) * torch.tensor([1.0, 0.8, 0.6, 0.4, 0.2],
                                                                       dtype=torch.float64).view(5, 1, 1)
    ref = solvers._anderson_coefficients(G, None, 1, 1e-4, 1e8)
    cpu = solvers._anderson_coefficients((G * scale).float(), None, 1, 1e-4, 3e3)
    as_on_a_device(monkeypatch)
    device = solvers._anderson_coefficients((G * scale).float(), None, 1, 1e-4, 3e3)
    torch.testing.assert_close(cpu.double(), ref, atol=1e-4, rtol=1e-3)
    torch.testing.assert_close(device.double(), ref, atol=1e-4, rtol=1e-3)


def test_an_overflowed_step_reads_inf_not_nan():
    """The relative residual of a step that overflowed read NaN (inf over an inf floor), as if a NaN had
    appeared in the iteration."""
    z, info = ic.fixed_point(lambda z: 1e30 * z, torch.ones(4), max_iter=5, tol=1e-5, on_divergence="ignore")
    assert info.status == "diverged" and info.final_residual == float("inf")
