"""FixedPointInfo on its own: the fields derived from recorded residuals (contraction factor, divergence
and its reason, convergence, status, the plain summary), built from residuals written by hand."""
from __future__ import annotations

import math
import re
import warnings
from typing import Optional

import pytest
import torch

import iterative_core as ic
from iterative_core import FixedPointInfo
from iterative_core.info import EXPANSION_GROWTH, tol_text

NAN, INF = float("nan"), float("inf")


def make_info(abs_res, *, norms=None, tol: Optional[float] = None, stop: str = "rel", finite: bool = True,
              growth: float = 1e3, measured=None, graph_done=None, last_norm=None) -> FixedPointInfo:
    """An info for the absolute residuals ``abs_res`` and iterate norms ``norms`` (default 1: the relative
    residuals equal the absolute ones)."""
    r = torch.tensor(abs_res, dtype=torch.float64)
    n = torch.ones_like(r) if norms is None else torch.tensor(norms, dtype=torch.float64)
    return FixedPointInfo(
        solver="picard", grad="unrolled", iterations=r.numel(), abs_residuals=r, rel_residuals=r / n,
        graph_residuals=None, graph_iterations=None,
        graph_done=None if graph_done is None else torch.tensor(graph_done),
        tol=tol, stop=stop, finite=torch.tensor(finite), divergence_growth=growth,
        measured=None if measured is None else torch.tensor(measured), iterate_norms=n,
        last_norm=None if last_norm is None else torch.tensor(last_norm, dtype=torch.float64))


# ------------------------------------------------------------------------------ contraction factor
@pytest.mark.parametrize("abs_res,q", [
    ([1.0, 0.5, 0.25, 0.125], 0.5),
    ([1.0, 0.5, 0.4], math.sqrt(0.5 * 0.8)),  # the geometric mean of the ratios
    ([1.0, 2.0, 1.0, 0.5, 0.25, 0.125, 0.0625], 0.5),  # the last five ratios only
    ([1.0, 0.5, 0.25, 1e-20, 1e-20], 0.5),  # steps at the rounding floor measure noise: left out
])
def test_contraction_factor_is_the_geometric_mean_of_the_last_five_step_ratios(abs_res, q):
    assert make_info(abs_res).contraction_factor == pytest.approx(q, rel=1e-12)


def test_contraction_factor_without_enough_measured_steps():
    assert make_info([1e-20, 1e-20]).contraction_factor == 0.0  # measured pairs, all at the floor
    assert math.isnan(make_info([0.5]).contraction_factor)
    assert math.isnan(make_info([]).contraction_factor)
    assert math.isnan(make_info([1.0, INF]).contraction_factor)
    # only adjacent measured steps form a ratio: here the last two
    info = make_info([1.0, NAN, NAN, 0.25, 0.125], measured=[True, False, False, True, True])
    assert info.contraction_factor == pytest.approx(0.5)
    assert math.isnan(make_info([1.0, NAN, 0.25], measured=[True, False, True]).contraction_factor)


def test_final_residual_is_the_last_relative_residual():
    assert make_info([4.0, 2.0], norms=[8.0, 8.0]).final_residual == 0.25
    assert math.isnan(make_info([]).final_residual)


# -------------------------------------------------------------------------------------- divergence
@pytest.mark.parametrize("kwargs,reason", [
    (dict(abs_res=[1.0, 0.5, 0.25]), None),  # a contraction
    (dict(abs_res=[1.0, 0.5], norms=[INF, 1.0]), "input"),  # the initial iterate held NaN/Inf
    (dict(abs_res=[1.0, 0.5], finite=False), "nonfinite"),  # the answer holds NaN/Inf
    (dict(abs_res=[1.0, NAN]), "nonfinite"),
    (dict(abs_res=[1.0, 10.0, 100.0, 1e4]), "residual"),  # the step grew beyond divergence_growth
    (dict(abs_res=[1.0, 2.0, 4.0, 8.0], last_norm=EXPANSION_GROWTH * 10), "expansive"),
    (dict(abs_res=[1.0, 2.0, 4.0, 8.0], last_norm=5.0), None),  # growing steps, but the iterate stayed small
    (dict(abs_res=[1.0, 2.0, 4.0, 1e4], growth=1e5, last_norm=5.0), None),
])
def test_divergence_reason(kwargs, reason):
    info = make_info(**kwargs)
    assert info.divergence_reason == reason
    assert info.diverged is (reason is not None)


def test_iterate_growth_is_the_answers_norm_over_the_scale_of_the_start():
    assert make_info([0.5, 0.25], norms=[2.0, 1.0], last_norm=8.0).iterate_growth == 4.0
    assert make_info([3.0, 0.25], norms=[0.0, 1.0], last_norm=6.0).iterate_growth == 2.0  # from z0 = 0: its step
    assert make_info([0.5, 0.25], norms=[2.0, 1.0]).iterate_growth == 0.5  # no last norm: the last measured one
    assert math.isnan(make_info([]).iterate_growth)


def test_an_input_without_nan_entries_makes_the_divergence_the_iterations_own():
    """fixed_point counts the input's NaN/Inf entries once the reason reads "input"."""
    info = make_info([1.0, 0.5], norms=[INF, 1.0])
    assert info.divergence_reason == "input"
    info.set_input_nonfinite(0)  # the input's norm overflowed: none of its entries is NaN/Inf
    assert info.divergence_reason == "nonfinite" and info.input_nonfinite == 0 and info.diverged
    info = make_info([1.0, 0.5], norms=[INF, 1.0])
    assert info.divergence_reason == "input"
    info.set_input_nonfinite(3)
    assert info.divergence_reason == "input" and info.input_nonfinite == 3


def test_a_solve_of_no_steps_diverged_only_from_a_non_finite_input():
    assert make_info([], finite=True).divergence_reason is None
    assert make_info([], finite=False).divergence_reason == "input"


# ----------------------------------------------------------------------------- convergence, status
@pytest.mark.parametrize("kwargs,converged,status", [
    (dict(abs_res=[1.0, 0.5]), False, "fixed"),  # no tol: a fixed number of steps proves nothing
    (dict(abs_res=[1.0, 1e-5], tol=1e-4), True, "converged"),
    (dict(abs_res=[1.0, 1e-3], tol=1e-4), False, "max_iter"),
    (dict(abs_res=[1.0, 1e-3], norms=[1e3, 1e3], tol=1e-4), True, "converged"),  # relative: 1e-6
    (dict(abs_res=[1.0, 1e-3], norms=[1e3, 1e3], tol=1e-4, stop="abs"), False, "max_iter"),
    (dict(abs_res=[1.0, 1e-5], tol=1e-4, finite=False), False, "diverged"),
    (dict(abs_res=[], tol=1e-4), False, "max_iter"),
])
def test_converged_and_status(kwargs, converged, status):
    info = make_info(**kwargs)
    assert info.converged is converged and info.status == status


def test_per_graph_convergence():
    info = make_info([1.0, 1e-6], tol=1e-4, graph_done=[True, False])
    assert info.converged.tolist() == [True, False] and info.status == "max_iter"
    assert make_info([1.0, 1e-6], tol=1e-4, graph_done=[True, True]).status == "converged"
    # without a tol no graph converged, whatever was recorded
    assert make_info([1.0, 1e-6], graph_done=[True, True]).converged.tolist() == [False, False]


def test_as_dict_is_plain_python():
    info = make_info([1.0, 0.5, 0.25], tol=1e-4, graph_done=[True, False])
    d = info.as_dict()
    assert d == {"solver": "picard", "grad": "unrolled", "status": "max_iter", "iterations": 3,
                 "final_residual": 0.25, "contraction_factor": pytest.approx(0.5), "converged": [True, False],
                 "backward_iterations": None, "backward_residual": None}
    assert all(not isinstance(v, torch.Tensor) for v in d.values())
    assert repr(info).startswith("FixedPointInfo(status='max_iter', iterations=3, final_residual=0.25")


def test_backward_fields_come_from_the_adjoint_solves_info():
    info = make_info([1.0, 0.5])
    assert info.backward_iterations is None and info.backward_residual is None
    info.backward = make_info([1.0, 0.5, 0.125])
    assert info.backward_iterations == 3 and info.backward_residual == 0.125
    assert info.as_dict()["backward_iterations"] == 3


def test_a_convergence_error_pickles_with_its_info():
    """It lost ``info`` on the way (a worker process raising it could not hand it back: a pool hung)."""
    import copy
    import pickle

    import iterative_core as ic
    with pytest.raises(ic.ConvergenceError) as e:
        ic.fixed_point(lambda z: 2.0 * z + 1.0, torch.ones(3), max_iter=30, on_divergence="raise")
    for again in (pickle.loads(pickle.dumps(e.value)), copy.deepcopy(e.value)):
        assert str(again) == str(e.value) and again.info.status == e.value.info.status == "diverged"


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("gain", [1.9, 1.3])
def test_a_half_precision_iteration_that_grows_is_diverged(dtype, gain):
    """Relative steps under 64 eps (0.5 in bfloat16) were left out as rounding noise: an iterate that
    grew 70000-fold read contraction factor 0.0, status 'fixed', no warning."""
    import iterative_core as ic
    for dt in (torch.float32, dtype):
        with pytest.warns(ic.ConvergenceWarning, match="diverged"):
            z, info = ic.fixed_point(lambda z: gain * z, torch.ones(8, 4, dtype=dt), max_iter=40 if gain < 1.5 else 20,
                                     smoothing=0.5 if gain > 1.5 else 0.0)
        assert info.status == "diverged" and info.contraction_factor > 1.0, (dt, info)


@pytest.mark.parametrize("smoothing", [0.0, 0.5])
def test_a_bfloat16_iteration_that_grows_by_steps_under_its_floor_is_diverged(smoothing):
    """1.02 z in bfloat16: each relative step (0.02, or 0.01 smoothed) is under the floor, 4 eps = 0.031,
    so every ratio was left out, the factor read 0.0 and the status 'fixed' after growing 10^6-fold. The
    smoothed steps round to the same bfloat16 value: their ratio reads 1.0, not 1.01."""
    import iterative_core as ic
    batch = torch.tensor([0] * 5 + [1] * 5)
    for grows in (None, torch.tensor([False] * 5 + [True] * 5)):
        gain = 1.02 if grows is None else torch.where(grows, 1.02, 0.5).to(torch.bfloat16)
        with pytest.warns(ic.ConvergenceWarning, match="diverged"):
            _, info = ic.fixed_point(lambda z: gain * z, torch.linspace(1, 2, 10, dtype=torch.bfloat16), max_iter=800,
                                     smoothing=smoothing, batch=None if grows is None else batch,
                                     num_graphs=None if grows is None else 2)
        assert info.status == "diverged" and info.divergence_reason == "residual", info
        # the factor shown is the one the rule read (it showed the floor's 0.0 beside "diverged")
        assert info.contraction_factor >= 1.0, info
        if grows is not None:
            assert info.graph_diverged.tolist() == [False, True]
            q = info.graph_contraction_factors
            assert q[1] >= 1.0 and 0.0 <= q[0] < 1.0, q
    _, info = ic.fixed_point(lambda z: 0.5 * z + 1, torch.linspace(1, 2, 10, dtype=torch.bfloat16), max_iter=800,
                             smoothing=smoothing)  # a contraction at its floor: not diverged
    assert info.status == "fixed" and not info.diverged and info.contraction_factor < 1.0
    # an affine growth from zero: its first step reads 1e12 (above the floor), and its steps grow from there
    c = torch.linspace(1, 2, 10, dtype=torch.bfloat16)
    for grows in (None, torch.tensor([False] * 5 + [True] * 5)):
        gain = 1.02 if grows is None else torch.where(grows, 1.02, 0.5).to(torch.bfloat16)
        with pytest.warns(ic.ConvergenceWarning, match="diverged"):
            _, info = ic.fixed_point(lambda z: gain * z + c, torch.zeros(10, dtype=torch.bfloat16), max_iter=800,
                                     smoothing=smoothing, batch=None if grows is None else batch,
                                     num_graphs=None if grows is None else 2)
        assert info.status == "diverged", info
        if grows is not None:
            assert info.graph_diverged.tolist() == [False, True]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_half_precision_contraction_reads_below_1_at_its_rounding_floor(dtype):
    """Steps at a half iterate's rounding floor were measured against float32's: q read above 1."""
    import iterative_core as ic
    g = torch.Generator().manual_seed(0)
    A = torch.randn(64, 64, generator=g)
    A = (0.5 * A / torch.linalg.matrix_norm(A, 2)).to(dtype)
    c = torch.randn(64, 8, generator=g).to(dtype)
    _, info = ic.fixed_point(lambda z: torch.tanh(A @ z + c), torch.zeros(64, 8, dtype=dtype), max_iter=40,
                             smoothing=0.0, trace=True)  # a 0.5-contraction, long at its rounding floor
    assert info.contraction_factor < 1.0, info


def _half_problem(dtype, seed=0):
    """``(f, z*)``: an affine 0.5-contraction evaluated in float32 and rounded once to ``dtype``, and its
    fixed point in float64."""
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(100, 100, generator=g, dtype=torch.float64)
    A = 0.5 * A / torch.linalg.matrix_norm(A, 2)
    b = torch.randn(100, 4, generator=g, dtype=torch.float64)
    zstar = torch.linalg.solve(torch.eye(100, dtype=torch.float64) - A, b)
    A32, b32 = A.float(), b.float()
    return (lambda z: (A32 @ z.float() + b32).to(z.dtype)), zstar


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
@pytest.mark.parametrize("batched", [False, True])
def test_a_contraction_run_to_its_rounding_floor_is_not_expansive(dtype, batched):
    """Without trace only the first step and the last two are measured: a contraction run until its last two
    steps are rounding noise read their ratio as its factor (2.06, say) and, from a start 200 times
    smaller than its answer, "diverged: expansive" (11 of 300 seeds of a 0.5-contraction in float64). Steps
    that shrank from above the floor to it are a converged solve; only steps all at the floor (a
    half-precision iterate that grows under its floor) are read by themselves."""
    flagged = []
    for seed in range(60):
        g = torch.Generator().manual_seed(seed)
        m = 1 + seed % 7
        b = torch.randn(m, 3, dtype=dtype, generator=g)
        z0 = 1e-3 * torch.randn(m, 3, dtype=dtype, generator=g)
        A = torch.randn(m, m, dtype=dtype, generator=g)
        A = 0.5 * A / torch.linalg.matrix_norm(A.double(), 2).to(dtype)
        if batched:  # the same problem twice, as two graphs
            f = lambda z: torch.cat([A @ z[:m] + b, A @ z[m:] + b])  # noqa: E731
            _, info = ic.fixed_point(f, torch.cat([z0, z0]), max_iter=200, smoothing=0.0,
                                     batch=torch.tensor([0] * m + [1] * m), num_graphs=2, on_divergence="ignore")
            assert not bool(info.graph_diverged.any()), seed
        else:
            _, info = ic.fixed_point(lambda z: A @ z + b, z0, max_iter=200, smoothing=0.0, on_divergence="ignore")
        assert info.iterate_growth > 200  # the expansion rule's growth is met: the factor decides
        if info.diverged:
            flagged.append(seed)
        assert info.contraction_factor < 1.0, (seed, info)
    assert not flagged


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
@pytest.mark.parametrize("grad", ["unrolled", "implicit"])
def test_a_smoothed_half_precision_step_that_rounds_away_is_measured_as_it_should_move(dtype, grad):
    """With smoothing s the half-precision step z + (1 - s)(f(z) - z) rounds back to z within (1 - s)^-1
    ulps of z: the iterate stalls far from the fixed point (bfloat16, s = 0.99: 23% off) and the step
    measured there, zero, read final_residual 0.0. It is now measured as (1 - s)(f(z) - z)."""
    f, zstar = _half_problem(dtype)
    s = 0.99
    W = torch.ones((), dtype=dtype, requires_grad=grad == "implicit")
    z, info = ic.fixed_point(lambda z: f(z) * W, torch.zeros(100, 4, dtype=dtype), max_iter=2000, smoothing=s, grad=grad,
                             on_nonconvergence="ignore")
    z = z.detach()
    true_residual = float((f(z).double() - z.double()).norm() / z.double().norm())
    assert true_residual > 10 * torch.finfo(dtype).eps  # the stall
    assert info.final_residual == pytest.approx((1 - s) * true_residual, rel=0.05), (info, true_residual)
    # float32's steps are measured as taken (the hot path), and a plain step rounds to no stall of its own
    _, info = ic.fixed_point(f, torch.zeros(100, 4, dtype=dtype), max_iter=200, smoothing=0.0)
    assert info.final_residual < 4 * torch.finfo(dtype).eps


@pytest.mark.parametrize("smoothing", [0.0, 0.5])
@pytest.mark.parametrize("batch", [None, torch.tensor([0] * 4 + [1] * 4)])
def test_a_float16_step_between_large_values_is_measured_without_overflow(batch, smoothing):
    """f(z) - z of two finite float16 values can exceed 65504: measured in float16, a contraction from
    40000 read as diverged at its first step."""
    z, info = ic.fixed_point(lambda z: 190.0 - 0.9 * z, torch.full((8,), 40000.0, dtype=torch.float16), tol=1e-2,
                             max_iter=200, smoothing=smoothing, batch=batch)  # (its fixed point: 100)
    assert not info.diverged and bool(torch.as_tensor(info.converged).all()), info
    assert float((z.float() - 100).abs().max()) < 5


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_the_default_implicit_point_check_reads_a_half_precision_step_at_its_resolution(dtype):
    """Without a tol the implicit gradient's point was checked against 1e-4, finer than a half-precision
    iterate resolves (a backward_tol that small is refused): Anderson, which measures f(z) - z, warned at
    every call, and Picard, whose step rounded to zero, never did. The default is now the dtype's eps."""
    import warnings

    from iterative_core.fixed_point import implicit_point_tol

    assert implicit_point_tol(dtype) == torch.finfo(dtype).eps and implicit_point_tol(torch.float32) == 1e-4
    f, _ = _half_problem(dtype)
    W = torch.ones((), dtype=dtype, requires_grad=True)
    for solver in ("picard", "anderson"):
        z, info = ic.fixed_point(lambda z: f(z) * W, torch.zeros(100, 4, dtype=dtype), max_iter=60, smoothing=0.5,
                                 solver=solver, grad="implicit")
        assert 0 < info.final_residual < torch.finfo(dtype).eps, (solver, info)
        with warnings.catch_warnings():
            warnings.simplefilter("error", ic.ConvergenceWarning)
            z.float().pow(2).sum().backward()
    # a point far from fixed is still reported
    z, _ = ic.fixed_point(lambda z: f(z) * W, torch.zeros(100, 4, dtype=dtype), max_iter=2, smoothing=0.5,
                          grad="implicit")
    eps = re.escape(tol_text(torch.finfo(dtype).eps))  # (as the message shows it: 0.0009765625 in full)
    with pytest.warns(ic.ConvergenceWarning, match=rf"not a fixed point.*above {eps} \(the default"):
        z.float().pow(2).sum().backward()


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_smoothed_half_precision_stall_is_reported_with_advice_the_dtype_can_follow(dtype):
    """A smoothed half-precision step stalls away from the fixed point: the implicit gradient's point is
    reported, and the advice is not a tol the dtype does not resolve (such a tol is refused) but a smaller
    smoothing or float32."""
    f, _ = _half_problem(dtype)
    W = torch.ones((), dtype=dtype, requires_grad=True)
    z, _ = ic.fixed_point(lambda z: f(z) * W, torch.zeros(100, 4, dtype=dtype), max_iter=2000, smoothing=0.99,
                          grad="implicit")
    eps = re.escape(tol_text(torch.finfo(dtype).eps))
    with pytest.warns(ic.ConvergenceWarning, match=rf"not a fixed point.*smoothed by s = 0\.99.*above "
                      rf"{eps} \(the default.*A smaller smoothing s \(a tol bounds the smoothed "
                      rf"step, and .* is below what {dtype} resolves\), or iterating in float32"):
        z.float().pow(2).sum().backward()


def test_steps_that_compute_in_a_coarser_dtype_than_the_iterate_are_judged_at_its_floor():
    """A float32 iterate whose steps compute in bfloat16 (DGL's GAT operator in bfloat16) was judged at
    float32's rounding floor: the bfloat16 noise of a contraction read contraction factor 0.89-1.2, and
    the implicit gradient's point "not a fixed point". A map says its compute dtype as ``f.compute_dtype``."""
    import warnings

    f16, _ = _half_problem(torch.bfloat16, seed=1)
    W = torch.ones((), requires_grad=True)

    def f(z):
        return f16(z.bfloat16()).float() * W

    f.compute_dtype = torch.bfloat16
    with warnings.catch_warnings():
        warnings.simplefilter("error", ic.ConvergenceWarning)
        z, info = ic.fixed_point(f, torch.zeros(100, 4), max_iter=60, smoothing=0.0, grad="implicit", trace=True)
        z.pow(2).sum().backward()
    assert info.contraction_factor < 1.0 and info.final_residual > 1e-4, info
    assert W.grad is not None and torch.isfinite(W.grad)
    # an attribute of that name that is no dtype (a module's own setting) is not read as one
    f.compute_dtype = "float32"
    assert ic.fixed_point(f, torch.zeros(100, 4), max_iter=3, smoothing=0.0)[1].status == "fixed"


@pytest.mark.parametrize("grad", ["implicit", "phantom"])
def test_the_steps_with_gradients_of_graphs_that_stopped_early_leave_the_batchs_factor_alone(grad):
    """Each graph takes its step with gradients from where it stopped: the batch's record of that step mixes
    a large graph converged long before with the others, and read as a step grown from 1e-7 to 2e-3, a
    factor of 6.2 and, from a small start, "diverged: expansive" (a ConvergenceError under "raise"),
    though every graph contracts and converged. The batch's factor and rules read as without gradients."""
    batch = torch.tensor([0, 0, 0, 1, 1, 1])
    rate = torch.tensor([0.1, 0.1, 0.1, 0.8, 0.8, 0.8], dtype=torch.float64)[:, None]
    b = torch.tensor([1e6, 1e6, 1e6, 1.0, 1.0, 1.0], dtype=torch.float64)[:, None]  # graph 0 large and fast
    w = torch.ones(1, 2, dtype=torch.float64, requires_grad=True)

    def solve(mode, **kw):
        return ic.fixed_point(lambda z: rate * z + b * w, torch.full((6, 2), 1e-3, dtype=torch.float64), batch=batch,
                              num_graphs=2, max_iter=200, tol=1e-8, smoothing=0.0, grad=mode, **kw)

    _, plain = solve("unrolled")
    z, info = solve(grad, on_divergence="raise")
    assert info.graph_iterations[0] < info.iterations  # graph 0 stopped early
    assert info.status == "converged" and not info.diverged
    assert info.contraction_factor == pytest.approx(plain.contraction_factor, rel=1e-6)
    assert info.graph_contraction_factors.tolist() == pytest.approx(plain.graph_contraction_factors.tolist(), rel=1e-6)


def test_a_graphs_contraction_factor_reads_only_its_own_steps():
    """A graph that stopped after one step read 0.0 in a batch (the zero steps it stood frozen through)
    and NaN alone."""
    batch = torch.tensor([0, 0, 1, 1])

    def f(z):
        return torch.where((batch == 0)[:, None], 0.5 * z + 1.0, z)  # graph 1 is at its fixed point

    z0 = torch.zeros(4, 2, dtype=torch.float64)
    _, info = ic.fixed_point(f, z0, max_iter=100, tol=1e-8, smoothing=0.0, batch=batch)
    assert info.graph_iterations.tolist()[1] == 1
    q = info.graph_contraction_factors
    assert abs(float(q[0]) - 0.5) < 1e-6 and torch.isnan(q[1])
    _, alone = ic.fixed_point(lambda z: z, z0[2:], max_iter=100, tol=1e-8, smoothing=0.0)
    assert math.isnan(alone.contraction_factor)


def test_a_residual_above_tol_is_shown_in_the_digits_that_tell_it_from_tol():
    """A final residual of 1.0025e-05 beside tol=1e-05 read "final residual 1e-05", as if it met it."""
    from iterative_core.info import beside

    assert beside(1.0024712537415326e-05, 1e-05) == "1.002e-05"
    assert beside(1.00000001e-05, 1e-05) == "1.00000001e-05"
    assert beside(0.0123456, 1e-05) == "0.0123"
    assert beside(1e-05, 1e-05) == "1e-05" and beside(float("nan"), 1e-05) == "nan"
    # on the same side of the tol as shown as the value is of the tol: 3 digits crossed it, or reached it
    assert beside(1.00495e-05, 1.0049e-05) == "1.005e-05"
    assert beside(1.0348e-3, 1.0345e-3) == "0.001035" and beside(1.0342e-3, 1.0345e-3) == "0.00103"
    assert beside(0.99999e-3, 1e-3) == "0.00099999"  # within the tol: not shown as above or at it
    # a tol that {:g} rounds is shown in full, and the residual beside it on its side
    from iterative_core.info import tol_text

    assert tol_text(1e-05) == "1e-05" and tol_text(1.2344996e-05) == "1.2344996e-05"
    assert float(beside(1.2344998e-05, 1.2344996e-05)) > 1.2344996e-05
    with pytest.warns(ic.ConvergenceWarning, match=r"did not reach tol=1\.2344996e-05 in 3 iterations"):
        ic.fixed_point(lambda z: 0.9 * z + 1.0, torch.zeros(1, dtype=torch.float64), max_iter=3, tol=1.2344996e-05)
    with pytest.warns(ic.ConvergenceWarning, match=r"did not reach tol=1\.2344996e-05: it diverged"):
        ic.fixed_point(lambda z: 2.0 * z + 1.0, torch.zeros(1, dtype=torch.float64), max_iter=30, tol=1.2344996e-05,
                       on_divergence="ignore")
    # the implicit gradient's point check: "0.00253, above 0.00253 (tol)" before
    b = torch.ones(4, 2, dtype=torch.float64)

    def implicit(tol):
        w = torch.nn.Parameter(torch.tensor(0.5, dtype=torch.float64))
        with warnings.catch_warnings(record=True) as rec:
            warnings.simplefilter("always")
            z, info = ic.fixed_point(lambda z: w * z + b, torch.zeros(4, 2, dtype=torch.float64), max_iter=17,
                                     tol=tol, grad="implicit")
            z.sum().backward()
        return info, " ".join(str(x.message) for x in rec)

    r = implicit(1e-12)[0].final_residual
    tol = float(f"{r:.3g}")
    assert r > tol
    _, said = implicit(tol)
    shown = re.search(r"last relative residual is ([0-9.e+-]+), above ([0-9.e+-]+) \(tol\)", said)
    assert shown and float(shown.group(1)) > float(shown.group(2)) == tol, said
    # in the warning: a linear contraction stopped just above its tol
    q = 0.9

    def f(z):
        return q * z + 1.0

    with pytest.warns(ic.ConvergenceWarning) as rec:
        _, info = ic.fixed_point(f, torch.zeros(1, dtype=torch.float64), max_iter=77, tol=1.03e-3)
    assert info.status == "max_iter" and info.final_residual == pytest.approx(1.0348e-3, rel=1e-4)
    shown = re.search(r"final residual ([0-9.e+-]+),", str(rec[0].message)).group(1)
    assert shown == "0.001035", str(rec[0].message)


@pytest.mark.parametrize("grad", ["unrolled", "phantom", "implicit"])
def test_a_batchs_contraction_factor_leaves_out_the_step_where_a_graph_stopped(grad):
    """Two graphs that contract by 0.79 and 0.8, the first with features 1000 times larger, stopping three
    steps apart: the batch's step dropped by the first graph's share when it stopped, and that ratio
    (about 0.001) entered the batch's factor, which read far below both graphs' (0.2 against 0.8): an
    a-posteriori error bound from it was 16 times too small. With gradient steps after the solve every
    graph takes them too: its stop is that many steps before its count."""
    import iterative_core as ic

    scale = torch.diag(torch.tensor([0.79, 0.79, 0.79, 0.8, 0.8, 0.8], dtype=torch.float64))
    b = torch.cat([torch.full((3, 2), 1000.0), torch.ones(3, 2)]).double().requires_grad_()
    batch = torch.tensor([0, 0, 0, 1, 1, 1])
    _, info = ic.fixed_point(lambda z: scale @ z + b, torch.zeros(6, 2, dtype=torch.float64), max_iter=200,
                             tol=1e-6, batch=batch, smoothing=0.0, grad=grad)
    first, last = info.graph_iterations.tolist()
    assert info.status == "converged" and 0 < last - first < 5
    torch.testing.assert_close(info.graph_contraction_factors, torch.tensor([0.79, 0.8], dtype=torch.float64))
    assert 0.78 < info.contraction_factor < 0.81


def test_a_batch_with_a_graph_that_stopped_at_once_keeps_its_contraction_factor():
    """A graph that stops after its first step (empty, or at its fixed point already) takes no share of the
    batch's steps worth leaving out: leaving out the step after it left a 3-step solve no ratio (NaN)."""
    import iterative_core as ic

    A = 0.8 * torch.eye(3, dtype=torch.float64)
    b = torch.ones(3, 2, dtype=torch.float64)
    z0 = torch.cat([torch.zeros(3, 2), torch.full((2, 2), 0.0)]).double()  # the second graph: a fixed point of 0
    f = lambda z: torch.cat([A @ z[:3] + b, 0.0 * z[3:]])  # noqa: E731
    _, info = ic.fixed_point(f, z0, max_iter=3, tol=1e-6, batch=torch.tensor([0, 0, 0, 1, 1]), smoothing=0.0,
                             on_nonconvergence="ignore")
    assert info.graph_iterations.tolist()[1] == 1
    assert info.contraction_factor == pytest.approx(0.8)
