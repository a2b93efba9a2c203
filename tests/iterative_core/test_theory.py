"""Contraction theory: the bound on ||Â||_2, contraction=kappa, Banach bounds, Lipschitz estimates."""
import pytest
import torch

import iterative_core as ic

from tests.helpers import DenseConv, gcn_dense, random_edges

DT = torch.float64


def spectral(M: torch.Tensor) -> float:
    return float(torch.linalg.matrix_norm(M, 2))


@pytest.mark.parametrize("seed", range(4))
def test_propagation_norm_is_exactly_one_for_undirected_graphs(seed):
    n = 25
    src, dst = random_edges(n, 30, seed=seed)
    w = torch.rand(src.numel() // 2, dtype=DT, generator=torch.Generator().manual_seed(seed)) + 0.1
    w = torch.cat([w, w])  # symmetric weights
    prop = ic.gcn_propagation(src, dst, n, w, dtype=DT)
    assert float(prop.norm_bound()) == pytest.approx(1.0, abs=1e-12)
    assert spectral(prop.dense()) == pytest.approx(1.0, abs=1e-12)
    # kept apart (fold_loops=False), the self-loops give the same matrix and the same bound
    apart = ic.gcn_propagation(src, dst, n, w, dtype=DT, fold_loops=False)
    assert torch.allclose(apart.dense(), prop.dense()) and float(apart.norm_bound()) == pytest.approx(1.0)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("normalize", [True, False])
def test_propagation_norm_bound_holds_for_directed_graphs(seed, normalize):
    n = 25
    src, dst = random_edges(n, 40, seed=seed, undirected=False)
    prop = ic.gcn_propagation(src, dst, n, dtype=DT, normalize=normalize)
    true, bound = spectral(prop.dense()), float(prop.norm_bound())
    assert true <= bound + 1e-12
    if normalize:  # the Schur test with p = sqrt(d): sqrt(max_j d_out_j / d_in_j)
        d_in = prop.degree
        d_out = torch.zeros(n, dtype=DT).index_add_(0, src, torch.ones(src.numel(), dtype=DT)) + 1.0  # + self-loop
        assert bound == pytest.approx(float((d_out / d_in).max().sqrt()), rel=1e-12)


def test_lipschitz_estimate_of_a_linear_map_is_its_spectral_norm():
    g = torch.Generator().manual_seed(0)
    M = torch.randn(12, 12, generator=g, dtype=DT)
    est = ic.lipschitz_estimate(lambda z: M @ z, torch.randn(12, generator=g, dtype=DT), n_iter=500, tol=1e-12,
                                generator=g)
    assert est == pytest.approx(spectral(M), rel=1e-6)


def test_banach_bound_helpers():
    q, first = 0.8, 2.0
    k = ic.apriori_iterations(q, first, 1e-6)
    assert ic.apriori_bound(q, first, k) <= 1e-6 < ic.apriori_bound(q, first, k - 1)
    assert ic.aposteriori_bound(q, 0.1) == pytest.approx(0.4)
    assert ic.relaxed_contraction(0.8, 0.5) == pytest.approx(0.9)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ic.apriori_bound(1.0, 1.0, 3)


@pytest.mark.parametrize("call,match", [
    (lambda: ic.apriori_iterations(0.5, float("nan"), 1e-3), r"apriori_iterations\(\): first_step .* got nan"),
    (lambda: ic.apriori_iterations(0.5, 1.0, float("nan")), r"apriori_iterations\(\): tol .* > 0, got nan"),
    (lambda: ic.apriori_iterations(0.5, float("inf"), 1e-3), r"first_step .* got inf"),
    (lambda: ic.aposteriori_bound(0.5, -1.0), r"aposteriori_bound\(\): step .* >= 0, got -1\.0"),
    (lambda: ic.relaxed_contraction(0.5, 1.0), r"relaxed_contraction\(\): s \(smoothing\) .* \[0, 1\)"),
], ids=["nan-step", "nan-tol", "inf-step", "negative-step", "smoothing-1"])
def test_the_bounds_refuse_what_is_not_a_norm_or_a_factor(call, match):
    """NaN and infinite inputs failed inside math ("cannot convert float NaN to integer", "math domain
    error"), and a negative step gave a negative bound."""
    with pytest.raises(ValueError, match=match):
        call()
    # a one-element tensor (info.abs_residuals[-1]) is a number
    assert ic.aposteriori_bound(torch.tensor(0.5), torch.tensor(1.0)) == pytest.approx(1.0)
    assert ic.apriori_iterations(torch.tensor(0.5), torch.tensor(1.0), 1e-3) == ic.apriori_iterations(0.5, 1.0, 1e-3)


CASES = [(seed, undirected, kappa) for seed in range(3) for undirected in (True, False) for kappa in (0.5, 0.9)]


@pytest.mark.parametrize("seed,undirected,kappa", CASES)
def test_contraction_kappa_bounds_the_measured_factor_and_banach_bounds_hold(seed, undirected, kappa):
    n, c = 30, 5
    src, dst = random_edges(n, 45, seed=seed, undirected=undirected)
    A, bound = gcn_dense(src, dst, n)
    g = torch.Generator().manual_seed(100 + seed)
    conv = DenseConv(c, 400, smoothing=0.0, contraction=kappa, act="tanh", inject_input=True).double().eval()
    with torch.no_grad():
        conv.operator.weight.copy_(5.0 * torch.randn(c, c, generator=g, dtype=DT))  # far above the budget
        conv.operator.bias.normal_(generator=g)
    x = 2.0 * torch.randn(n, c, generator=g, dtype=DT)
    conv.requires_grad_(False)
    T = conv.operator_fn(x, A, bound)

    # the map's Lipschitz constant: the spectral norm of its Jacobian at random points, and
    # difference quotients of random pairs
    for _ in range(3):
        z = torch.randn(n, c, generator=g, dtype=DT)
        assert ic.lipschitz_estimate(T, z, n_iter=200, generator=g) <= kappa * (1 + 1e-9)
        z2 = z + 0.1 * torch.randn(n, c, generator=g, dtype=DT)
        assert float((T(z) - T(z2)).norm() / (z - z2).norm()) <= kappa * (1 + 1e-9)

    # reference fixed point to 1e-12, then the measured factor and the Banach bounds along a Picard run
    z_ref, ref = ic.fixed_point(T, x, max_iter=2000, tol=1e-13, stop="abs", smoothing=0.0)
    assert ref.status == "converged" and float((T(z_ref) - z_ref).norm()) <= 1e-12
    iterates = []

    def record(z):
        iterates.append(z)
        return T(z)

    z_last, info = ic.fixed_point(record, x, max_iter=25, smoothing=0.0)
    iterates.append(z_last)
    assert info.contraction_factor <= kappa * (1 + 1e-9)
    steps = [float((b - a).norm()) for a, b in zip(iterates, iterates[1:])]
    for k in range(1, len(iterates)):
        err = float((iterates[k] - z_ref).norm())
        assert err <= ic.aposteriori_bound(kappa, steps[k - 1]) + 1e-12
        assert err <= ic.apriori_bound(kappa, steps[0], k) + 1e-12
    # the layer itself solves the same problem
    out, linfo = conv(x, A, bound)
    assert linfo.contraction_factor <= kappa * (1 + 1e-9)


def test_contraction_leaves_a_small_weight_alone():
    op = ic.GCNOperatorBase(4).double()
    with torch.no_grad():
        op.weight.mul_(0.01)
    assert torch.equal(op.weight_for(0.9, torch.tensor(1.0, dtype=DT)), op.weight)
    with pytest.raises(ValueError, match="bound on the propagation"):
        op.weight_for(0.9, None)


def test_spectral_norm_is_exact_after_any_change_of_the_weight():
    """The norm is computed from the weight at every call, in train and eval mode alike: a loaded
    weight, an in-place change or a zero weight followed by a large one never leaves it stale."""
    op = ic.GCNOperatorBase(16).double().eval()
    assert float(op.spectral_norm(op.weight).detach()) == pytest.approx(spectral(op.weight.detach()), rel=1e-10)
    other = ic.GCNOperatorBase(16).double()
    with torch.no_grad():
        other.weight.copy_(torch.randn(16, 16, dtype=DT))
    for mode in (op.eval, op.train):
        mode()
        op.load_state_dict(other.state_dict())
        assert float(op.spectral_norm(op.weight).detach()) == pytest.approx(spectral(op.weight.detach()), rel=1e-10)
        with torch.no_grad():
            op.weight.zero_()
        assert float(op.spectral_norm(op.weight)) == 0.0
        with torch.no_grad():
            op.weight.copy_(torch.eye(16, dtype=DT) * 1.6)
        assert float(op.spectral_norm(op.weight).detach()) == pytest.approx(1.6, rel=1e-12)

def test_lipschitz_estimate_checks_its_arguments():
    """n_iter=0 returned 0.0 (read as "a contraction"), and under inference_mode torch said that a tensor
    does not require grad."""
    f = lambda z: 2.0 * z  # noqa: E731
    z = torch.ones(3, dtype=DT)
    for bad, error, match in ((dict(n_iter=0), ValueError, "n_iter must be an int >= 1, got 0"),
                              (dict(n_iter=2.5), TypeError, "n_iter"),
                              (dict(tol=-1.0), ValueError, "tol must be a finite number >= 0")):
        with pytest.raises(error, match=r"lipschitz_estimate\(\): " + match):
            ic.lipschitz_estimate(f, z, **bad)
    with pytest.raises(TypeError, match=r"z must be a floating-point tensor, got torch.int64"):
        ic.lipschitz_estimate(f, torch.ones(3, dtype=torch.long))
    with torch.inference_mode(), pytest.raises(RuntimeError, match=r"outside torch.inference_mode\(\)"):
        ic.lipschitz_estimate(f, z)
    assert ic.lipschitz_estimate(f, z, n_iter=1) == pytest.approx(2.0)
    with pytest.raises(TypeError, match=r"lipschitz_estimate\(\): f must map z to a tensor, got a tuple"):
        ic.lipschitz_estimate(lambda z: (0.5 * z,), z)  # ('tuple' object has no attribute 'requires_grad')


def test_the_per_graph_bound_of_a_batch_with_an_edge_between_graphs_is_still_a_bound():
    """Each graph read 0 (its rows' sums in one graph, its columns' in the other): a zero operator."""
    from iterative_core.theory import propagation_norm_bound
    src, dst, w = torch.tensor([0]), torch.tensor([1]), torch.tensor([5.0])
    bounds = propagation_norm_bound(src, dst, w, 2, batch=torch.tensor([0, 1]), num_graphs=2)
    A = torch.zeros(2, 2)
    A[1, 0] = 5.0
    assert bool((bounds >= torch.linalg.matrix_norm(A, 2)).all()), bounds


def test_the_lipschitz_estimate_of_a_constant_map_is_0():
    """It failed inside autograd ("element 0 of tensors does not require grad")."""
    assert ic.lipschitz_estimate(lambda z: torch.ones_like(z), torch.zeros(3)) == 0.0


@pytest.mark.parametrize("q,first_step,tol,k", [
    (0.5, 1.0, 2.0**-30, 31),  # the bound meets tol exactly at 31: the rounded-up logarithm said 32
    (0.5, 512.0, 2.0**-19, 29),  # (it said 30)
    (0.999999999999, 1e17, 1e-300, None),  # tol * (1 - q) underflowed: "math domain error"
])
def test_apriori_iterations_is_the_fewest_k_within_tol(q, first_step, tol, k):
    found = ic.apriori_iterations(q, first_step, tol)
    assert ic.apriori_bound(q, first_step, found) <= tol < ic.apriori_bound(q, first_step, found - 1)
    assert k is None or found == k
