"""IterationMonitor on its own, driven by hand with iterates whose residuals are known: what it records,
which steps it measures, when it stops, and how it freezes the graphs of a batch."""
from __future__ import annotations

import math
import re

import pytest
import torch

import iterative_core as ic
from iterative_core import IterationMonitor
from tests.helpers import affine_contraction, as_on_a_device

NAN = float("nan")


def halving(monitor: IterationMonitor, z: torch.Tensor, steps: int) -> list[bool]:
    """Feed ``z_{k+1} = z_k / 2`` (relative residual 0.5 at every step); the stop flags."""
    stops = []
    for k in range(steps):
        z, stop = monitor.accept(k, z, z / 2)
        stops.append(stop)
    return stops


def test_residuals_norms_and_the_last_iterate_are_recorded():
    z0 = torch.full((4,), 8.0, dtype=torch.float64)  # ||z0|| = 16
    m = IterationMonitor(z0, max_iter=4)
    assert halving(m, z0, 4) == [False] * 4  # no tol: never stops early
    assert m.iterations == 4
    assert m.abs_res.tolist() == [8.0, 4.0, 2.0, 1.0]
    assert m.iterate_norms.tolist() == [16.0, 8.0, 4.0, 2.0]
    assert m.rel_res.tolist() == pytest.approx([0.5] * 4)
    rec = m.records(z0 / 16)
    assert rec["iterations"] == 4 and rec["measured"] is None  # every step measured
    assert rec["abs_residuals"].tolist() == [8.0, 4.0, 2.0, 1.0]
    assert bool(rec["finite"]) and float(rec["last_norm"]) == 1.0
    assert rec["graph_residuals"] is None and rec["graph_done"] is None
    assert not bool(m.records(torch.tensor([1.0, NAN]))["finite"])


def test_untraced_solve_measures_only_the_steps_it_needs():
    z0 = torch.ones(3)
    m = IterationMonitor(z0, max_iter=8, trace=False)
    halving(m, z0, 8)
    measured = [True] + [False] * 5 + [True, True]  # the first and the last two
    assert (~torch.isnan(m.abs_res)).tolist() == measured
    assert m.records(z0)["measured"].tolist() == measured
    # with a tol: also every test and the step before it (check_every=3 tests after steps 3, 6, 9)
    m = IterationMonitor(z0, max_iter=10, tol=1e-9, check_every=3, trace=False)
    halving(m, z0, 10)
    assert (~torch.isnan(m.abs_res)).tolist() == [True, True, True, False, True, True, False, True, True, True]
    # traced: every step
    m = IterationMonitor(z0, max_iter=8, trace=True)
    halving(m, z0, 8)
    assert not torch.isnan(m.abs_res).any()


@pytest.mark.parametrize("options,first_stop", [
    (dict(tol=0.6), 1),  # relative residual 0.5 <= 0.6 at once, but the first step has none before it to shrink from
    (dict(tol=0.4), None),  # never reached
    (dict(tol=1.5, stop="abs"), 3),  # absolute residuals 8, 4, 2, 1
    (dict(tol=0.6, min_iter=3), 2),  # not before the third step
    (dict(tol=0.6, check_every=2), 1),  # tested after every second step only
])
def test_stopping_rule(options, first_stop):
    z0 = torch.full((4,), 8.0)
    stops = halving(IterationMonitor(z0, max_iter=4, **options), z0, 4)
    assert (stops.index(True) if True in stops else None) == first_stop


def test_a_non_finite_residual_ends_a_solve_with_a_tol():
    m = IterationMonitor(torch.ones(3), max_iter=10, tol=1e-12)
    z, stop = m.accept(0, torch.ones(3), torch.full((3,), 0.5))
    assert not stop
    _, stop = m.accept(1, z, torch.full((3,), NAN))
    assert stop
    # without a tol nothing is read back: the loop goes on (the info object reports the divergence)
    m = IterationMonitor(torch.ones(3), max_iter=10)
    assert m.accept(0, torch.ones(3), torch.full((3,), NAN))[1] is False


def test_each_graph_of_a_batch_stops_and_is_frozen_on_its_own():
    batch = torch.tensor([0, 0, 1, 1])
    z = torch.ones(4, 2)
    m = IterationMonitor(z, max_iter=10, tol=1e-6, batch=batch, num_graphs=2)
    # step 1: graph 0 does not move (converged), graph 1 does
    z, stop = m.accept(0, z, z + torch.tensor([0.0, 0, 1, 1]).unsqueeze(1))
    assert not stop and m.graph_active.tolist() == [False, True]
    assert m.node_active.view(-1).tolist() == [False, False, True, True]
    # step 2: a step for every row; graph 0 is frozen and keeps its rows
    before = z.clone()
    z, stop = m.accept(1, z, z + 5)
    assert torch.equal(z[:2], before[:2]) and torch.equal(z[2:], before[2:] + 5)
    assert m.graph_iterations.tolist() == [1, 2]
    assert m.graph_res[1].tolist() == [0.0, pytest.approx(5 * math.sqrt(4) / float(before[2:].norm()))]
    # step 3: graph 1 converges too, and the solve ends
    z, stop = m.accept(2, z, z)
    assert stop and m.graph_iterations.tolist() == [1, 3]
    rec = m.records(z)
    assert rec["graph_done"].tolist() == [True, True] and rec["graph_residuals"].shape == (3, 2)


def test_a_step_for_every_graph_moves_the_frozen_ones_too():
    batch = torch.tensor([0, 1])
    z = torch.ones(2)
    m = IterationMonitor(z, max_iter=10, tol=1e-6, batch=batch)  # num_graphs read from the batch
    z, _ = m.accept(0, z, torch.tensor([1.0, 2.0]))  # graph 0 converged
    z, _ = m.accept(1, z, z + 1, every_graph=True)
    assert z.tolist() == [2.0, 3.0] and m.graph_iterations.tolist() == [2, 2]


def test_a_graph_whose_residual_is_not_finite_stops_and_never_counts_as_converged():
    batch = torch.tensor([0, 0, 1, 1])
    z = torch.ones(4)
    m = IterationMonitor(z, max_iter=10, tol=1e-6, batch=batch, num_graphs=2)
    z, stop = m.accept(0, z, torch.tensor([1.0, 1.0, NAN, 2.0]))
    assert stop  # graph 0 converged, graph 1 failed: nothing left to iterate
    rec = m.records(z)
    assert rec["graph_done"].tolist() == [True, False] and not bool(rec["finite"])


def test_without_a_tol_every_graph_runs_every_step_and_none_is_done():
    batch = torch.tensor([0, 1, 1])
    z = torch.ones(3)
    m = IterationMonitor(z, max_iter=3, batch=batch, num_graphs=3)  # graph 2 has no rows
    halving(m, z, 3)
    assert m.graph_iterations.tolist() == [3, 3, 3]
    assert m.records(z)["graph_done"].tolist() == [False, False, False]
    # with a tol, a graph without rows ends at its first test (a zero step), as it does alone: it was
    # done before any step (0 iterations in a batch, 1 alone)
    m = IterationMonitor(z, max_iter=3, tol=0.6, batch=batch, num_graphs=3)
    halving(m, z, 2)
    assert m.graph_iterations.tolist()[2] == 1 and not bool(m.graph_active[2])
    alone = IterationMonitor(torch.ones(0), max_iter=3, tol=0.6)
    assert halving(alone, torch.ones(0), 1) == [True] and alone.iterations == 1


def test_buffers_start_small_with_a_tol_and_keep_what_they_hold_when_they_grow():
    z0 = torch.full((2,), 2.0**80, dtype=torch.float64)
    m = IterationMonitor(z0, max_iter=10**6, tol=1e-300)
    assert m.capacity < 1000
    halving(m, z0, 100)
    assert m.capacity >= 100 and m.iterations == 100
    assert m.abs_res.tolist() == [float(z0.norm()) / 2 ** (k + 1) for k in range(100)]
    # without a tol the solve takes exactly max_iter steps: room for all of them at once
    assert IterationMonitor(z0, max_iter=300).capacity == 300


def test_half_precision_iterates_accumulate_residuals_in_float32():
    z = torch.full((4,), 1000.0, dtype=torch.float16)  # ||z||^2 = 4e6 overflows float16
    m = IterationMonitor(z, max_iter=1)
    m.accept(0, z, z / 2)
    assert m.abs_res.dtype == torch.float32 and m.iterate_norms.tolist() == [2000.0]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16, torch.float32, torch.float64])
def test_the_last_iterate_is_finite_exactly_when_every_entry_is(dtype):
    z0 = torch.ones(6, 3, dtype=dtype)
    m = IterationMonitor(z0, max_iter=1)
    m.accept(0, z0, z0)
    extreme = torch.full((6, 3), torch.finfo(dtype).max, dtype=dtype)  # finite, at the edge of the range
    assert bool(m.records(extreme)["finite"])
    for bad in (NAN, math.inf, -math.inf):
        z = extreme.clone()
        z[4, 1] = bad
        assert not bool(m.records(z)["finite"]), bad
    assert bool(m.records(torch.empty(0, 3, dtype=dtype))["finite"])


@pytest.mark.parametrize("device_like", [False, True])
def test_a_finite_iterate_beyond_the_norms_range_is_finite_and_measured_rescaled_on_the_cpu(device_like, monkeypatch):
    """||z||^2 = 1e62 overflows float32; the entries are finite. On the CPU the answer's norm is measured
    again rescaled (1e31), as the steps' are; a device reads nothing back for it, and it stays inf."""
    if device_like:
        as_on_a_device(monkeypatch)
    z0 = torch.ones(100, dtype=torch.float32)
    m = IterationMonitor(z0, max_iter=1)
    m.accept(0, z0, z0)
    rec = m.records(torch.full((100,), 1e30))
    assert bool(rec["finite"])
    if device_like:
        assert math.isinf(float(rec["last_norm"]))
    else:
        assert float(rec["last_norm"]) == pytest.approx(1e31, rel=1e-5)
    assert float(m.records(torch.full((100,), 3.0))["last_norm"]) == pytest.approx(30.0)
    assert float(m.records(torch.full((100,), 3e-25))["last_norm"]) == (0.0 if device_like else pytest.approx(3e-24))


def test_an_iterate_whose_squares_overflow_is_measured_at_its_own_scale_at_a_test():
    # ||z||^2 = 1e42 overflows float32, the step's 1e38 does not: finite / inf read 0 and passed the test;
    # then the overflowed norm failed the solve (a contraction on features of 1e19 read "max_iter" after 2
    # of 200 steps). At a test such norms are measured on the iterate divided by its largest entry
    z0 = torch.full((100,), 1e20)
    m = IterationMonitor(z0, max_iter=5, tol=1e-3)
    _, stop = m.accept(0, z0, 1.01 * z0)
    assert not stop and m.rel_res[0] == pytest.approx(0.01, rel=1e-3)
    batch = torch.tensor([0] * 50 + [1] * 50)
    m = IterationMonitor(z0, max_iter=5, tol=1e-3, batch=batch, num_graphs=2)
    m.accept(0, z0, 1.01 * z0)
    assert m.graph_failed.tolist() == [False, False] and m.graph_res[0].tolist() == [pytest.approx(0.01, rel=1e-3)] * 2
    z1 = 1.01 * z0
    z1[0] = float("inf")  # an entry that did overflow fails the test, as before
    m = IterationMonitor(z0, max_iter=5, tol=1e-3)
    _, stop = m.accept(0, z0, z1)
    assert stop and m.rel_res[0] == float("inf")
    m = IterationMonitor(z0, max_iter=5, tol=1e-3, batch=batch, num_graphs=2)
    m.accept(0, z0, z1)
    assert m.graph_failed.tolist() == [True, False]


@pytest.mark.parametrize("scale", [1e19, 1e30])
@pytest.mark.parametrize("batched", [False, True])
def test_a_contraction_on_huge_float32_features_converges_in_the_steps_of_ordinary_ones(scale, batched):
    A, b = affine_contraction(0.9)
    batch = torch.tensor([0] * 3 + [1] * 3) if batched else None
    runs = [ic.fixed_point(lambda z, s=s: A @ z + s * b, torch.zeros(6, 3), max_iter=200, tol=1e-5, batch=batch)[1]
            for s in (1.0, scale)]
    assert [info.status for info in runs] == ["converged"] * 2 and runs[0].iterations == runs[1].iterations


@pytest.mark.parametrize("scale", [1e19, 1e30])
def test_a_solve_of_huge_features_that_misses_its_tol_reads_max_iter_with_tests_every_few_steps(scale):
    """check_every > 1: the measured steps between tests read their overflowed norms, and a solve that
    only needed more steps read "diverged" (contraction factor NaN) where the same features unscaled
    read "max_iter"; alone and in a batch beside an ordinary graph."""
    A, b = affine_contraction(0.95)
    runs = [ic.fixed_point(lambda z, s=s: A @ z + s * b, torch.zeros(6, 3), max_iter=27, tol=1e-9, check_every=5,
                           on_nonconvergence="ignore")[1] for s in (1.0, scale)]
    assert [info.status for info in runs] == ["max_iter"] * 2
    assert math.isfinite(runs[1].contraction_factor) and math.isfinite(runs[1].final_residual)
    batch = torch.tensor([0] * 6 + [1] * 6)
    shift = torch.cat([torch.full((6, 1), scale), torch.ones(6, 1)])
    _, info = ic.fixed_point(lambda z: torch.cat([0.3 / 0.95 * A @ z[:6], A @ z[6:]]) + shift * torch.cat([b, b]),
                             torch.zeros(12, 3), max_iter=27, tol=1e-6, batch=batch, check_every=5,
                             on_nonconvergence="ignore")
    assert info.status == "max_iter" and info.graph_diverged.tolist() == [False, False]


@pytest.mark.parametrize("scale", [1e19, 1e30])
@pytest.mark.parametrize("batched", [False, True])
def test_a_solve_of_huge_features_without_a_tol_reads_as_ordinary_ones_do(scale, batched):
    """Without a tol nothing was measured rescaled: norms whose float32 squares overflowed (features of a
    Unix timestamp in nanoseconds) read "diverged" with a NaN residual, and the CLI's predict refused the
    model as overflowing where every value was finite."""
    A, b = affine_contraction(0.9)
    batch = torch.tensor([0] * 3 + [1] * 3) if batched else None
    runs = [ic.fixed_point(lambda z, s=s: A @ z + s * b, torch.zeros(6, 3), max_iter=8, batch=batch)
            for s in (1.0, scale)]
    (z1, ordinary), (zs, huge) = runs
    assert ordinary.status == huge.status == "fixed" and bool(torch.isfinite(zs).all())
    assert math.isclose(huge.final_residual, ordinary.final_residual, rel_tol=1e-4)
    assert math.isclose(huge.contraction_factor, ordinary.contraction_factor, rel_tol=1e-4)


@pytest.mark.parametrize("scale", [1e19, 1e-25])
def test_a_growing_solve_of_huge_or_tiny_features_reads_its_growth_alone_and_in_a_batch(scale):
    """A map that grows the iterate 4.1-fold in 3 steps (below the expansion rule's 200-fold): with huge
    features the answer's float32 norm read inf, and alone the solve was "diverged (expansive)"; in a batch
    no graph was, yet the batch was. With tiny ones the start's norm read 0, and a graph's growth in a
    batch 1e275. Each now reads the growth of its norms, 4.1, alone and in a batch."""
    torch.manual_seed(0)
    x = scale * torch.randn(5, 4)
    ordinary = torch.randn(6, 4)
    _, alone = ic.fixed_point(lambda z: 1.6 * z, x, max_iter=3, smoothing=0.0)
    batch = torch.tensor([0] * 5 + [1] * 6)
    _, both = ic.fixed_point(lambda z: torch.cat([1.6 * z[:5], 0.5 * z[5:]]), torch.cat([x, ordinary]),
                             max_iter=3, smoothing=0.0, batch=batch)
    assert alone.status == both.status == "fixed" and not alone.diverged
    assert math.isclose(alone.iterate_growth, 1.6 ** 3, rel_tol=1e-4)
    assert math.isclose(float(both.graph_iterate_growth[0]), 1.6 ** 3, rel_tol=1e-4)
    assert both.graph_diverged.tolist() == [False, False]


@pytest.mark.parametrize("batched", [False, True])
def test_on_a_device_a_solve_of_huge_features_that_meets_its_tol_between_unrescaled_steps_converges(batched,
                                                                                                   monkeypatch):
    """A device reads nothing back between tests (the rescaled norms at every such step cost a third of a
    solve): the steps between tests keep their overflowed norms, and a solve that met its tol at a test is
    read past them, as converged."""
    as_on_a_device(monkeypatch)
    A, b = affine_contraction(0.5)
    batch = torch.tensor([0] * 3 + [1] * 3) if batched else None
    _, info = ic.fixed_point(lambda z: A @ z + 1e20 * b, torch.zeros(6, 3), max_iter=60, tol=1e-5, check_every=5,
                             batch=batch)
    assert info.status == "converged" and not bool(torch.isfinite(info.abs_residuals).all())
    # no two adjacent measured steps with finite norms: the factor is not known (it read 0.0, "at the floor")
    assert math.isnan(info.contraction_factor)
    if batched:  # beside a graph that misses its tol: "max_iter", as on the CPU (it read "diverged", no graph marked)
        slow = A.clone()
        slow[3:, 3:], slow[:3, 3:], slow[3:, :3] = 0.999 * torch.eye(3), 0.0, 0.0
        shift = torch.cat([torch.full((3, 1), 1e20), torch.ones(3, 1)])
        _, info = ic.fixed_point(lambda z: slow @ z + shift * b, torch.zeros(6, 3), max_iter=40, tol=1e-5,
                                 check_every=5, batch=batch, on_nonconvergence="ignore")
        assert info.status == "max_iter" and info.graph_diverged.tolist() == [False, False]
        assert info.converged.tolist() == [True, False]


@pytest.mark.parametrize("dtype,scale", [(torch.float32, 1e-25), (torch.float64, 1e-170), (torch.float16, 1e-4),
                                         (torch.float32, 1e-40), (torch.float64, 1e-310)])
def test_iterates_whose_squares_underflow_are_measured_at_their_own_scale(dtype, scale):
    # the squares of entries below sqrt(tiny) underflow to zero: a step of half the iterate then read as
    # a zero relative residual and passed any tol; measured again on the rescaled iterate at the test.
    # Subnormal iterates (1e-40 in float32): their norm was clamped to the smallest normal number, and
    # a step of half the iterate read 0.004, which passed tol=1e-2
    z0 = torch.full((16, 4), scale, dtype=dtype)
    m = IterationMonitor(z0, max_iter=5, tol=1e-3)
    assert halving(m, z0, 3) == [False] * 3
    assert m.rel_res.tolist() == [pytest.approx(0.5, rel=1e-2)] * 3
    batch = torch.tensor([0] * 8 + [1] * 8)
    z = torch.cat([z0[:8], torch.ones(8, 4, dtype=dtype)])  # a tiny graph beside an ordinary one
    m = IterationMonitor(z, max_iter=5, tol=1e-3, batch=batch, num_graphs=2)
    z, stop = m.accept(0, z, z / 2)
    assert not stop and m.graph_active.tolist() == [True, True]
    assert m.graph_res[0].tolist() == [pytest.approx(0.5, rel=1e-2)] * 2


def test_a_batched_one_dimensional_iterate_whose_squares_underflow_is_measured_too():
    # the rescaled norms took each row's largest entry with flatten(1), which a 1-D iterate (one value per
    # node, as _row_sq allows) does not have: the test raised IndexError instead of measuring
    z0 = torch.full((16,), 1e-25)
    batch = torch.tensor([0] * 8 + [1] * 8)
    z = torch.cat([z0[:8], torch.ones(8)])
    m = IterationMonitor(z, max_iter=5, tol=1e-3, batch=batch, num_graphs=2)
    z, stop = m.accept(0, z, z / 2)
    assert not stop and m.graph_active.tolist() == [True, True]
    assert m.graph_res[0].tolist() == [pytest.approx(0.5, rel=1e-2)] * 2


@pytest.mark.parametrize("options, error, match", [
    (dict(stop="REL"), ValueError, "stop must be 'rel'"),
    (dict(stop="relative"), ValueError, "stop must be 'rel'"),
    (dict(check_every=0), ValueError, "check_every must be an int >= 1, got 0"),
    (dict(max_iter=-3), ValueError, "max_iter must be an int >= 0, got -3"),
    (dict(max_iter=5.7), TypeError, "max_iter must be an int >= 0, got 5.7"),
    (dict(tol=-1.0), ValueError, "tol must be a finite number >= 0 or None, got -1.0"),
    (dict(tol=float("nan")), ValueError, "tol must be a finite number >= 0 or None, got nan"),
    (dict(min_iter=20), ValueError, "min_iter=20 is above max_iter=10"),
])
def test_the_monitor_checks_its_arguments(options, error, match):
    """The exported monitor names a bad argument (``stop="REL"`` ran the absolute test, ``check_every=0``
    read as 1, a negative ``tol`` never stopped)."""
    with pytest.raises(error, match=rf"IterationMonitor: {re.escape(match)}"):
        IterationMonitor(torch.ones(3), **{"max_iter": 10, "tol": 1e-3, **options})


@pytest.mark.parametrize("scale", [torch.full((3, 1), 0.5), 0.0], ids=["per-node", "zero"])
def test_a_residual_scale_that_is_not_one_positive_number_compares_the_raw_steps(scale):
    """A solver of your own may scale its residual per node, or by zero: the steps are then compared as they
    are (a tensor failed to convert, and zero divided by zero in the shrink test)."""
    m = IterationMonitor(torch.ones(3, 1), max_iter=5, tol=1e-9)
    z = torch.ones(3, 1)
    for k in range(5):
        z_new = z / 2
        z, stop = m.accept(k, z, z_new, residual=z_new - z, residual_scale=scale)
    assert m.step_scales() is None


def test_a_solver_that_starts_again_from_an_earlier_step_keeps_its_factors_in_order():
    """A step before the last starts the steps again from it: the later factors are dropped, as the count of
    iterations is, and the steps after it are taken in order again (each was a rebuild of all the factors)."""
    m = IterationMonitor(torch.ones(3), max_iter=20)
    z = torch.ones(3)
    for k in range(6):
        z, _ = m.accept(k, z, z / 2, step_scale=0.5)
    for k in range(2, 8):  # again from step 2, with another factor
        z, _ = m.accept(k, z, z / 2, step_scale=0.25)
    assert m.iterations == 8 and m.step_scales().tolist() == [0.5, 0.5] + [0.25] * 6
    assert m._scale_runs == [(0, 0.5), (2, 0.25)]


def test_a_huge_max_iter_without_a_tol_does_not_allocate_its_records_up_front(monkeypatch):
    """Without a tol the records had room for every step from the start: max_iter=10**9 allocated and filled
    8 GB before its first step (the process was killed, or torch's allocator failed naming no argument).
    They now start at a bounded size and double as the steps are taken, with the same records."""
    import iterative_core.monitor as monitor_module

    many = 4 * monitor_module._PREALLOCATED_ROWS  # (a few MB: a regression must not fill the machine's memory)
    mon = IterationMonitor(torch.zeros(3, 2), max_iter=many)
    assert mon._res.shape[0] == monitor_module._PREALLOCATED_ROWS
    mon = IterationMonitor(torch.zeros(6, 2), max_iter=many, batch=torch.tensor([0, 0, 0, 1, 1, 1]), num_graphs=2)
    assert mon._graph_res.shape[0] == mon._graph_steps.shape[0] == monitor_module._PREALLOCATED_ROWS
    # past the bound the records grow, and read as those of a solve that had room from the start
    f = lambda z: 0.5 * z + 1.0  # noqa: E731
    z0 = torch.zeros(4, 2, dtype=torch.float64)
    batch = torch.tensor([0, 0, 1, 1])
    whole = ic.fixed_point(f, z0, max_iter=40, trace=True, batch=batch, num_graphs=2)[1]
    monkeypatch.setattr(monitor_module, "_PREALLOCATED_ROWS", 8)
    z, grown = ic.fixed_point(f, z0, max_iter=40, trace=True, batch=batch, num_graphs=2)
    assert grown.iterations == 40
    torch.testing.assert_close(grown.residuals, whole.residuals, equal_nan=True)
    torch.testing.assert_close(grown.graph_residuals, whole.graph_residuals, equal_nan=True)
    assert grown.contraction_factor == whole.contraction_factor and grown.status == whole.status
    # the records grow up to the steps the solve takes, not past them (doubling 8 -> 64 for 40 steps)
    mon = IterationMonitor(z0, max_iter=40, batch=batch, num_graphs=2)
    z = z0
    for k in range(40):
        z_new = f(z)
        z, _ = mon.accept(k, z, z_new)
    assert mon._res.shape[0] == mon._graph_res.shape[0] == mon._graph_steps.shape[0] == 40
