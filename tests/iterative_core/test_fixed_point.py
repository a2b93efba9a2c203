import math

import numpy as np
import pytest
import torch

import iterative_core as ic


def linear_problem(n=30, q=0.9, seed=0, dtype=torch.float64):
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=g, dtype=dtype)
    A = q * A / torch.linalg.matrix_norm(A, 2)
    b = torch.randn(n, 3, generator=g, dtype=dtype)
    ref = torch.linalg.solve(torch.eye(n, dtype=dtype) - A, b)
    return A, b, ref


@pytest.mark.parametrize("solver", ["picard", "anderson"])
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_linear_contraction_reaches_solution(solver, smoothing):
    A, b, ref = linear_problem(q=0.8)
    z, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=2000, tol=1e-12,
                             smoothing=smoothing, solver=solver)
    assert (z - ref).abs().max() < 1e-6
    assert info.converged is True and info.status == "converged"
    assert isinstance(info.iterations, int) and info.iterations < 2000
    assert info.residuals.shape == (info.iterations,)
    assert info.abs_residuals.shape == (info.iterations,)


def test_info_fields_without_tol():
    A, b, _ = linear_problem(q=0.5)
    z, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=7, trace=True)
    assert info.iterations == 7
    assert info.residuals.dim() == 1 and info.residuals.numel() == 7
    assert info.converged is False and info.status == "fixed"
    # residuals of a contraction shrink, and the empirical factor reflects the relaxed map's constant
    assert bool((info.residuals[1:] < info.residuals[:-1]).all())
    assert 0 < info.contraction_factor < ic.relaxed_contraction(0.5, 0.5) + 1e-9


def test_untraced_solve_measures_only_the_steps_it_needs():
    A, b, _ = linear_problem(q=0.5)
    z_all, traced = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=9, trace=True)
    z, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=9)
    assert torch.equal(z, z_all)
    seen = ~torch.isnan(info.residuals)
    assert seen.tolist() == [True] + [False] * 6 + [True, True]  # the first and the last two
    assert torch.equal(info.residuals[seen], traced.residuals[seen])
    assert info.final_residual == traced.final_residual
    assert info.contraction_factor == pytest.approx(float(traced.abs_residuals[-1] / traced.abs_residuals[-2]))
    # with a tol every test is measured, and the stop is the same as with a full trace
    _, t1 = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=200, tol=1e-6, check_every=3)
    _, t2 = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=200, tol=1e-6, check_every=3,
                           trace=True)
    assert t1.iterations == t2.iterations and t1.status == t2.status == "converged"
    assert (~torch.isnan(t1.residuals)).tolist()[2::3] == [True] * (t1.iterations // 3)
    # an expansive map is still reported as diverged from the measured steps
    _, bad = ic.fixed_point(lambda z: 3.0 * z + b, torch.ones_like(b), max_iter=30, smoothing=0.0,
                            on_divergence="ignore")
    assert bad.diverged and bad.contraction_factor == pytest.approx(3.0, rel=1e-3)


def test_relative_residual_definition():
    A, b, _ = linear_problem(q=0.5)
    zs = []

    def f(z):
        zs.append(z.clone())
        return A @ z + b

    z, info = ic.fixed_point(f, torch.ones_like(b), max_iter=3, smoothing=0.25)
    z1 = 0.25 * zs[0] + 0.75 * (A @ zs[0] + b)
    assert torch.allclose(info.residuals[0], (z1 - zs[0]).norm() / zs[0].norm())
    assert torch.allclose(info.abs_residuals[0], (z1 - zs[0]).norm())


def test_tol_stops_early_and_abs_rule():
    A, b, _ = linear_problem(q=0.5)
    _, rel = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=500, tol=1e-4, smoothing=0.0)
    _, ab = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=500, tol=1e-4, smoothing=0.0,
                           stop="abs")
    assert rel.iterations < 500 and rel.residuals[-1] <= 1e-4 and rel.residuals[-2] > 1e-4
    assert ab.abs_residuals[-1] <= 1e-4 and ab.abs_residuals[-2] > 1e-4
    _, mn = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=500, tol=1e-4, min_iter=100)
    assert mn.iterations == 100


@pytest.mark.parametrize("solver", ["picard", "anderson"])
@pytest.mark.parametrize("f", [lambda z: z + 1, lambda z: 1.0001 * z + 1], ids=["drift", "slow-divergence"])
def test_steps_that_stop_shrinking_are_no_fixed_point(f, solver):
    """A constant step (z + 1 has no fixed point) or a slowly growing one (1.0001 z + 1, whose fixed point
    repels) is small against an iterate that grows: it met the relative tol and was reported
    "converged", even under on_nonconvergence="raise"."""
    D = torch.float64
    # (Anderson's relaxed residual may stay above tol; Picard's falls within it, and the steps do not shrink)
    with pytest.raises(ic.ConvergenceError, match="did not reach tol=0.001|with its residual within tol=0.001 .* "
                                                  "but the steps did not shrink, so it certifies no fixed point"):
        ic.fixed_point(f, torch.zeros(3, dtype=D), max_iter=3000, tol=1e-3, solver=solver, smoothing=0.0,
                       on_nonconvergence="raise", on_divergence="ignore")
    # each graph of a batch on its own: one contracts, the other drifts
    g = lambda z: torch.cat([0.5 * z[:2] + 1, f(z[2:])])  # noqa: E731
    z, info = ic.fixed_point(g, torch.zeros(4, dtype=D), max_iter=3000, tol=1e-3, solver=solver, smoothing=0.0,
                             batch=torch.tensor([0, 0, 1, 1]), on_nonconvergence="ignore", on_divergence="ignore")
    assert info.converged.tolist() == [True, False] and info.status == "max_iter"
    assert torch.allclose(z[:2], torch.full((2,), 2.0, dtype=D), atol=1e-2)


@pytest.mark.parametrize("solver", ["picard", "anderson"])
@pytest.mark.parametrize("f,z0,tol", [(lambda z: z + 1, 1e3, 1e-3), (lambda z: 1.01 * z, 1.0, 1e-2)],
                         ids=["drift", "expanding"])
def test_a_first_step_within_tol_is_no_fixed_point(f, z0, tol, solver):
    """The first step has no step before it to show that the steps shrink: a drift from 1e3 or an
    expanding map from 1 made a first relative step within tol and read "converged" after one step.
    A start at the fixed point (a step at the rounding floor) still ends at once; one near it after two."""
    D = torch.float64
    if solver == "anderson" and z0 == 1.0:
        pytest.skip("Anderson's secant steps find the expanding map's repelling fixed point, 0")
    start = torch.full((5, 3), z0, dtype=D)
    _, info = ic.fixed_point(f, start, max_iter=20, tol=tol, solver=solver, on_nonconvergence="ignore",
                             on_divergence="ignore")
    assert info.status == "max_iter" and not info.converged
    _, info = ic.fixed_point(f, start, max_iter=20, tol=tol, solver=solver, on_nonconvergence="ignore",
                             on_divergence="ignore", batch=torch.tensor([0, 0, 1, 1, 1]))
    assert info.converged.tolist() == [False, False]
    _, at = ic.fixed_point(lambda z: 0.5 * z + 1, torch.full((3,), 2.0, dtype=D), max_iter=20, tol=1e-3, solver=solver)
    _, near = ic.fixed_point(lambda z: 0.5 * z + 1, torch.full((3,), 2.001, dtype=D), max_iter=20, tol=1e-3,
                             solver=solver)
    assert (at.status, at.iterations, near.status, near.iterations) == ("converged", 1, "converged", 2)
    # one step within tol: the warning says why it is not converged, not that tol was missed
    with pytest.warns(ic.ConvergenceWarning, match=r"stopped at max_iter=1 with its residual within tol=0.001 "
                                                   r"\(final residual .*one step cannot show that the steps shrink"):
        ic.fixed_point(lambda z: 0.5 * z + 1, torch.full((3,), 2.001, dtype=D), max_iter=1, tol=1e-3, solver=solver)


def test_a_contraction_still_stops_at_tol_and_at_its_rounding_floor():
    """The shrinking test costs a contraction nothing at tol (q = 0.99, tol 1e-6: the step's ratio 0.99
    is below 1 - 1e-6), and a solve at its rounding floor, where steps repeat, still ends."""
    A, b, _ = linear_problem(q=0.99)
    _, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=5000, tol=1e-6, smoothing=0.0)
    assert info.status == "converged" and info.residuals[-2] > 1e-6
    _, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=5000, tol=1e-15, smoothing=0.0)
    assert info.status == "converged" and info.iterations < 5000


def test_schedule_is_applied_step_by_step():
    calls = []
    sched = ic.linear(4, 0.8, 0.2)

    def f(z):
        calls.append(z.clone())
        return torch.zeros_like(z)

    z, _ = ic.fixed_point(f, torch.ones(3), smoothing=sched)
    # with f = 0 each step multiplies by s_k
    assert torch.allclose(z, torch.full((3,), math.prod(sched)))
    assert len(calls) == 4


def test_schedule_helpers():
    assert ic.uniform(3, 0.4) == [0.4, 0.4, 0.4]
    assert ic.linear(5, 0.9, 0.1) == pytest.approx([0.9, 0.7, 0.5, 0.3, 0.1])
    sig = ic.sigmoid(9, 0.9, 0.1)
    assert sig[4] == pytest.approx(0.5) and all(a > b for a, b in zip(sig, sig[1:]))
    th = ic.tanh(5, 0.9, 0.1)
    assert th[0] == pytest.approx(0.9) and th[-1] == pytest.approx(0.1)
    with pytest.raises(ValueError, match="at least|entries"):
        ic.fixed_point(lambda z: z, torch.ones(2), max_iter=5, smoothing=[0.5, 0.5])
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ic.fixed_point(lambda z: z, torch.ones(2), max_iter=2, smoothing=1.0)
    with pytest.raises(ValueError, match=r"schedule: n \(the number of steps\) must be an int >= 1, got 0"):
        ic.uniform(0, 0.5)
    with pytest.raises(TypeError, match=r"schedule: n \(the number of steps\) must be an int >= 1, got 5.0"):
        ic.linear(5.0)
    # a numpy integer is a whole number, as max_iter takes it; one step is every helper's start
    assert ic.uniform(np.int64(2), 0.3) == [0.3, 0.3]
    assert ic.linear(1, 0.9, 0.1) == ic.sigmoid(1, 0.9, 0.1) == ic.tanh(1, 0.9, 0.1) == [0.9]


@pytest.mark.parametrize("make, message", [
    (lambda: ic.uniform(3, 1.5), r"s must be a finite number in \[0, 1\), got 1.5"),  # (it returned [1.5] * 3)
    (lambda: ic.linear(3, 0.9, -0.1), r"end must be a finite number in \[0, 1\), got -0.1"),
    (lambda: ic.tanh(3, steepness=0), r"steepness must be a finite number in \(0, 100\], got 0"),  # ZeroDivision
    (lambda: ic.sigmoid(3, steepness=2000), r"steepness must be .* got 2000"),  # OverflowError
])
def test_a_schedule_helper_refuses_factors_and_steepness_out_of_range_when_made(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_unknown_keywords_and_names_list_valid_ones():
    with pytest.raises(TypeError, match="max_iter"):
        ic.fixed_point(lambda z: z, torch.ones(2), max_iter=2, max_iters=3)
    with pytest.raises(ValueError, match="'anderson'.*'picard'"):
        ic.fixed_point(lambda z: z, torch.ones(2), max_iter=2, solver="newton")
    with pytest.raises(TypeError, match="lam"):
        ic.fixed_point(lambda z: z, torch.ones(2), max_iter=2, solver="anderson", solver_options={"memory": 3})
    with pytest.raises(ValueError, match="implicit"):
        ic.fixed_point(lambda z: z, torch.ones(2), max_iter=2, grad="adjoint")


def test_unrolled_gradient_is_autograd_through_the_loop():
    A, b, _ = linear_problem(n=6, q=0.5)
    b = b.clone().requires_grad_()
    z, _ = ic.fixed_point(lambda z: torch.tanh(A @ z + b), torch.zeros_like(b), max_iter=5, smoothing=0.3)
    (g,) = torch.autograd.grad(z.sum(), b)
    zz = torch.zeros_like(b)
    for _ in range(5):
        zz = 0.3 * zz + 0.7 * torch.tanh(A @ zz + b)
    (g_ref,) = torch.autograd.grad(zz.sum(), b)
    assert torch.allclose(g, g_ref)


def test_registering_a_solver():
    @ic.register_solver("halfstep", overwrite=True)
    def halfstep(f, z0, monitor, schedule, *, factor: float = 0.5):
        z = z0
        for k in range(monitor.max_iter):
            z, stop = monitor.accept(k, z, z + factor * (f(z) - z))
            if stop:
                break
        return z

    A, b, ref = linear_problem(q=0.5)
    z, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=500, tol=1e-12, solver="halfstep")
    assert info.solver == "halfstep" and (z - ref).abs().max() < 1e-8
    assert "halfstep" in ic.available_solvers()
    assert ic.solver_options("halfstep") == {"factor": 0.5}
    # a solver that gives no step factor (step_scale) has its steps compared raw, and so has the step with
    # gradients after its solve: it reads converged as unrolled does (it read "stopped at max_iter" there)
    b.requires_grad_()
    for grad in ("unrolled", "implicit", "phantom"):
        _, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=500, tol=1e-6, solver="halfstep",
                                 grad=grad, on_nonconvergence="raise")
        assert info.status == "converged" and info.contraction_factor < 0.8, (grad, info)


@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
@pytest.mark.parametrize("check_every", [2, 3])
def test_untraced_early_stop_reports_what_a_traced_one_does(grad, check_every):
    A, b, _ = linear_problem(q=0.5)
    b.requires_grad_()
    runs = [ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=60, tol=1e-6, check_every=check_every,
                           grad=grad, trace=trace, on_nonconvergence="raise")[1] for trace in (False, True)]
    fast, full = runs
    assert fast.iterations == full.iterations < 60 and fast.status == full.status == "converged"
    assert fast.final_residual == full.final_residual
    assert fast.contraction_factor == pytest.approx(full.contraction_factor, rel=0.5)


def test_no_step_returns_a_new_tensor():
    """max_iter=0 returned z0 itself: an in-place op on the answer changed the caller's z0."""
    z0 = torch.ones(3, requires_grad=True)
    z, info = ic.fixed_point(lambda z: 0.5 * z, z0, max_iter=0)
    assert z is not z0 and torch.equal(z, z0) and info.iterations == 0
    z.sum().backward()
    assert torch.equal(z0.grad, torch.ones(3))  # still the input's gradient


@pytest.mark.parametrize("grad", ["implicit", "phantom"])
def test_a_solve_that_stopped_at_tol_reads_converged_alone_as_in_a_batch(grad):
    """A solver that measures its steps otherwise than the plain step (Anderson: before its mix) stops at
    its tol; the step with gradients after it may measure longer. Alone, the report was judged again on
    that step and read "max_iter" (a ConvergenceError under "raise"); in a batch the graph that stopped
    counted as done. Both read converged now."""
    @ic.register_solver("measured_small_for_test", overwrite=True)
    def measured_small(f, z0, monitor, schedule):
        z = z0
        for k in range(monitor.max_iter):
            r = f(z) - z
            z, stop = monitor.accept(k, z, z + r, residual=r, residual_scale=0.05, step_scale=1.0)
            if stop:
                break
        return z

    A, b, _ = linear_problem(q=0.5)
    b.requires_grad_()
    kw = dict(max_iter=200, tol=1e-6, solver="measured_small_for_test", grad=grad, on_nonconvergence="raise")
    _, alone = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), **kw)
    _, batched = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), batch=torch.zeros(len(b), dtype=torch.long),
                                **kw)
    assert alone.iterations == int(batched.graph_iterations[0]) < 200
    assert alone.status == batched.status == "converged" and alone.converged is True


def test_the_adjoint_without_tol_is_judged_per_graph():
    """grad="implicit", tol=None: the check that the adjoint solve reached its tolerance read the whole
    batch's residual, so that a graph whose adjoint stopped far from its answer passed beside a graph
    whose (larger) incoming gradient was solved at once. Each graph is judged on its own residual."""
    rate = torch.tensor([[0.0], [0.9]], dtype=torch.float64)  # graph 0 contracts at once, graph 1 slowly
    b = torch.tensor([[1.0], [1.0]], dtype=torch.float64, requires_grad=True)
    z_star = (b / (1 - rate)).detach()
    weights = torch.tensor([[1e5], [1.0]], dtype=torch.float64)
    kw = dict(max_iter=10, grad="implicit")
    z, _ = ic.fixed_point(lambda z: rate * z + b, z_star.clone(), batch=torch.tensor([0, 1]), **kw)
    with pytest.warns(ic.ConvergenceWarning, match=r"adjoint solve \(no tol\) stopped after 10 iterations at a "
                                                   r"relative residual of 0\.\d+ in graph 1 of the batch"):
        (z * weights).sum().backward()
    z, _ = ic.fixed_point(lambda z: rate[1:] * z + b[1:], z_star[1:].clone(), **kw)  # graph 1 alone: as before
    with pytest.warns(ic.ConvergenceWarning, match=r"stopped after 10 iterations at a relative residual of 0\.\d+, "):
        z.sum().backward()


@pytest.mark.parametrize("grad,phantom_steps", [("implicit", 1), ("phantom", 1), ("phantom", 5)])
def test_steps_with_gradients_after_the_solve_fit_the_records_made_for_them(monkeypatch, grad, phantom_steps):
    """Without a tol the records hold every step from the start; the steps with gradients after a
    gradient-free solve came on top and doubled them (each graph's history, with a batch: 3x the memory
    at the copy). The records now have room for them."""
    from iterative_core.monitor import IterationMonitor

    grown = []
    original = IterationMonitor._grow
    monkeypatch.setattr(IterationMonitor, "_grow",
                        lambda self, k: (grown.append(k) if k >= self.capacity else None, original(self, k))[1])
    A, b, _ = linear_problem(q=0.5)
    b.requires_grad_()
    _, info = ic.fixed_point(lambda z: A @ z + b, torch.zeros_like(b), max_iter=20, grad=grad,
                             phantom_steps=phantom_steps, batch=torch.arange(len(b)) % 2)
    assert info.iterations == 20 and grown == []


def test_steps_with_gradients_read_the_schedule_at_each_graphs_own_step_only(monkeypatch):
    """With a batch, a tol and a schedule, each step with gradients read the schedule's every step up to
    the solve's (a Python loop: 9.8 s for 4000 phantom steps of 8000); it reads each graph's own step."""
    from iterative_core.schedules import Schedule, linear

    schedule = linear(200)
    reads = []
    original = Schedule.__getitem__
    monkeypatch.setattr(Schedule, "__getitem__", lambda self, k: (reads.append(k), original(self, k))[1])
    b = torch.ones(6, 2, dtype=torch.float64, requires_grad=True)
    _, info = ic.fixed_point(lambda z: 0.999 * z + b, torch.zeros_like(b), max_iter=200, tol=1e-12, smoothing=schedule,
                             grad="phantom", phantom_steps=50, batch=torch.arange(len(b)) % 2, num_graphs=2,
                             on_nonconvergence="ignore")
    assert info.iterations == 200
    gradient_reads = [k for k in reads if isinstance(k, slice)]
    assert gradient_reads == [] and len(reads) < 3 * 200


@pytest.mark.parametrize("options", [{}, {"on_divergence": "ignore"}, {"tol": 1e-6}])
def test_vmap_is_refused_by_name_with_the_batch_vector_as_the_way(options):
    """It failed inside torch ("Batching rule not implemented for aten::_foreach_norm"), whatever the
    options; the layers refuse it by name, and so does fixed_point."""
    W = 0.5 * torch.eye(3)
    xs = torch.randn(4, 5, 3)
    with pytest.raises(RuntimeError, match=r"^fixed_point\(\): torch.func.vmap cannot batch the solve.*batch="):
        torch.func.vmap(lambda x: ic.fixed_point(lambda z: torch.tanh(z @ W + x), x, max_iter=20, **options)[0])(xs)
