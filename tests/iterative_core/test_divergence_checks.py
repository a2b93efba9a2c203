"""Divergence at a fixed number of steps, implicit gradients taken away from a fixed point, second-order
gradients through the implicit mode, and the divergence message when the input holds NaN/Inf."""
from __future__ import annotations

import math
import re
import warnings

import pytest
import torch

import iterative_core as ic
from iterative_core.info import EXPANSION_FACTOR, EXPANSION_GROWTH

pytest.importorskip("torch_geometric")
from pyg_iterative import PIGNConv  # noqa: E402
from tests.helpers import as_on_a_device  # noqa: E402

DT = torch.float64
EI = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])


def _no_convergence_warnings(fn):
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out = fn()
    assert not [w for w in rec if issubclass(w.category, ic.ConvergenceWarning)], [str(w.message) for w in rec]
    return out


# --- item 3: an expansive iteration at a fixed number of steps is divergence -----------------------
def expansive_conv(gain: float = 2.3, iterations: int = 8, **kw) -> PIGNConv:
    conv = PIGNConv(4, num_iterations=iterations, form="paper", smoothing=0.0, act="identity", **kw)
    with torch.no_grad():
        conv.operator.weight.copy_(gain * torch.eye(4))
    return conv


def test_expansion_without_tol_is_divergence():
    x = torch.randn(5, 4)
    conv = expansive_conv()
    with pytest.warns(ic.ConvergenceWarning, match=r"diverged after 8 iterations: the operator is expansive"):
        out, info = conv(x, EI, return_info=True)
    assert info.status == "diverged" and info.diverged and info.divergence_reason == "expansive"
    assert info.contraction_factor > EXPANSION_FACTOR and info.iterate_growth > EXPANSION_GROWTH
    assert info.iterate_growth == pytest.approx(float(out.detach().norm() / x.norm()), rel=1e-4)
    conv.on_divergence = "raise"
    with pytest.raises(ic.ConvergenceError, match="expansive") as exc:
        conv(x, EI)
    assert exc.value.info.divergence_reason == "expansive"
    conv.on_divergence = "ignore"
    _no_convergence_warnings(lambda: conv(x, EI))
    # the same in fixed_point() itself, and with a trace
    f = lambda z: 2.3 * z  # noqa: E731
    for trace in (False, True):
        with pytest.raises(ic.ConvergenceError, match="expansive"):
            ic.fixed_point(f, torch.ones(3), max_iter=8, smoothing=0.0, trace=trace, on_divergence="raise")


def test_growth_that_is_not_expansion_is_not_divergence():
    # a contraction started from zero whose fixed point is far away: a huge growth, factor < 1
    z, info = _no_convergence_warnings(lambda: ic.fixed_point(lambda z: 0.99 * z + 1.0, torch.zeros(3), max_iter=40,
                                                              smoothing=0.0))
    assert info.status == "fixed" and info.contraction_factor < 1
    # the same from a tiny start: the growth is measured against z0 but the factor says it converges
    _, info = _no_convergence_warnings(lambda: ic.fixed_point(lambda z: 0.9 * z + 1.0, torch.full((3,), 1e-9),
                                                              max_iter=200, smoothing=0.0))
    assert info.iterate_growth > 1e8 and not info.diverged
    # a few expansive steps: factor above the threshold, growth far below it
    _, info = _no_convergence_warnings(lambda: expansive_conv(iterations=3)(torch.randn(5, 4), EI, return_info=True))
    assert info.contraction_factor > EXPANSION_FACTOR and info.iterate_growth < 20 and info.status == "fixed"
    # a mild expansion (factor 1.2 < 1.5) over many steps is left to the residual-growth rule
    _, info = _no_convergence_warnings(lambda: ic.fixed_point(lambda z: 1.2 * z, torch.ones(3), max_iter=20,
                                                              smoothing=0.0))
    assert info.status == "fixed"
    _, info = ic.fixed_point(lambda z: 1.2 * z, torch.ones(3), max_iter=60, smoothing=0.0, on_divergence="ignore")
    assert info.divergence_reason == "residual"


def test_trained_paper_form_scale_stays_clear_of_the_thresholds():
    """The thresholds sit above what the paper's form shows in training (factors up to ~2, growth
    up to ~150x on Cora/CiteSeer at 8 and 16 steps): an untrained paper-form layer and a strongly
    amplifying but still plausible one (gain 1.6 with ReLU and smoothing 0.5) are not flagged."""
    g = torch.Generator().manual_seed(0)
    src = torch.randint(0, 50, (200,), generator=g)
    dst = torch.randint(0, 50, (200,), generator=g)
    ei = torch.cat([torch.stack([src, dst]), torch.stack([dst, src])], 1)
    x = torch.randn(50, 16, generator=g)
    for iterations in (8, 16):
        conv = PIGNConv(16, num_iterations=iterations, form="paper")
        _, info = _no_convergence_warnings(lambda: conv(x, ei, return_info=True))
        assert info.status == "fixed"
        with torch.no_grad():
            conv.operator.weight.copy_(1.6 * torch.eye(16))
        _, info = _no_convergence_warnings(lambda: conv(x, ei, return_info=True))
        assert info.status == "fixed" and info.iterate_growth < EXPANSION_GROWTH


# --- NaN/Inf: from the input, or appearing during the iteration ------------------------------------
def test_nan_input_is_named_as_the_cause():
    z0 = torch.ones(4, 3)
    z0[1, 2] = float("nan")
    z0[3, 0] = float("inf")
    z0[0, 0] = float("nan")
    with pytest.warns(ic.ConvergenceWarning, match=r"input, the initial iterate z0.*3 NaN/Inf entries") as rec:
        _, info = ic.fixed_point(lambda z: 0.5 * z, z0, max_iter=4)
    assert "raise `smoothing`" not in str(rec[0].message)
    assert info.divergence_reason == "input" and info.input_nonfinite == 3
    # through a layer that does not check its input (validate=False): the node features are named
    x = torch.randn(5, 4)
    x[2, 1] = float("nan")
    with pytest.raises(ic.ConvergenceError, match=r"holds NaN/Inf \(1 NaN/Inf entry\)"):
        PIGNConv(4, num_iterations=3, on_divergence="raise", validate=False)(x, EI)
    # no iteration at all: still the input
    with pytest.warns(ic.ConvergenceWarning, match=r"initial iterate z0"):
        _, info = ic.fixed_point(lambda z: z, z0, max_iter=0)
    assert info.divergence_reason == "input"


def test_nan_appearing_during_the_iteration_is_not_blamed_on_the_input():
    with pytest.warns(ic.ConvergenceWarning, match=r"NaN/Inf appeared during the iteration \(the initial iterate "
                                                   r"was finite") as rec:
        _, info = ic.fixed_point(lambda z: z * 1e30, torch.ones(3), max_iter=4, smoothing=0.0)
    assert info.divergence_reason == "nonfinite" and info.input_nonfinite is None
    assert "contraction=kappa" in str(rec[0].message)


def test_nan_from_the_first_step_is_blamed_on_the_map_not_on_its_growth():
    """A map that returns NaN at once from a finite input (a wrapped GCNConv given a negative edge weight:
    the square root of a negative degree) was called expansive, with advice that cannot help; an overflow
    to Inf in the first step may be growth, and keeps the general message."""
    with pytest.warns(ic.ConvergenceWarning, match=r"the first step already returned NaN from the finite initial "
                                                   r"iterate.*the map produces them itself") as rec:
        _, info = ic.fixed_point(lambda z: torch.sqrt(z - 2.0), torch.ones(3), max_iter=4)
    assert info.divergence_reason == "nonfinite" and "raise `smoothing`" not in str(rec[0].message)
    with pytest.warns(ic.ConvergenceWarning, match=r"NaN/Inf appeared during the iteration"):
        ic.fixed_point(lambda z: z * 1e38 * 1e38, torch.ones(3), max_iter=4, smoothing=0.0)
    # NaN from an overflow of a start near the range's end (inf - inf): growth, the general message
    W = torch.tensor([[4.0, -4.0], [4.0, 4.0]])
    with pytest.warns(ic.ConvergenceWarning, match=r"NaN/Inf appeared during the iteration"):
        _, info = ic.fixed_point(lambda z: z @ W, torch.tensor([[2e38, 2e38]]), max_iter=4, smoothing=0.0)
    assert bool(torch.isnan(info.abs_residuals[0]))


# --- item 4: implicit gradients away from a fixed point, and second-order gradients ----------------
def _problem():
    g = torch.Generator().manual_seed(0)
    n, c = 8, 3
    A = torch.rand(n, n, generator=g, dtype=DT)
    A = A / A.sum(1, keepdim=True)
    W = (0.9 * torch.linalg.qr(torch.randn(c, c, generator=g, dtype=DT))[0]).requires_grad_()
    x = torch.randn(n, c, generator=g, dtype=DT)
    return (lambda z: torch.tanh(A @ z @ W + x)), W, x


def _grad_W(grad, **kw):
    f, W, x = _problem()
    z, info = ic.fixed_point(f, x, smoothing=0.0, grad=grad, **kw)
    (z * z.cos()).sum().backward()
    return W.grad, info


def test_implicit_gradient_at_a_point_that_is_not_a_fixed_point_is_reported():
    exact, _ = _grad_W("unrolled", max_iter=300)
    # no tol: 4 steps are far from the fixed point; the gradient is off and the backward pass says so
    with pytest.warns(ic.ConvergenceWarning) as rec:
        g, _ = _grad_W("implicit", max_iter=4)
    assert float((g - exact).norm() / exact.norm()) > 0.01
    # one report: the adjoint's own (4 steps without a tol, short too) would add nothing to it
    (point,) = (str(w.message) for w in rec)
    assert re.search(r"grad='implicit'.*not a fixed point.*relative residual .*above 0\.0001 \(the default for "
                     r"tol=None\)", point), point
    with pytest.raises(ic.ConvergenceError, match=r"not a fixed point"):
        _grad_W("implicit", max_iter=4, on_nonconvergence="raise")
    _no_convergence_warnings(lambda: _grad_W("implicit", max_iter=4, on_nonconvergence="ignore"))
    # backward_tol sets the tolerance when tol is None
    with pytest.warns(ic.ConvergenceWarning, match=r"above 1e-06 \(backward_tol\)"):
        _grad_W("implicit", max_iter=8, backward_tol=1e-6, backward_max_iter=300)
    g, _ = _no_convergence_warnings(lambda: _grad_W("implicit", max_iter=300, backward_tol=1e-12))
    assert float((g - exact).norm() / exact.norm()) < 1e-6
    # a tol that the forward solve did not reach: warned in the forward pass and again in the backward pass
    with pytest.warns(ic.ConvergenceWarning) as rec:
        _grad_W("implicit", max_iter=4, tol=1e-10)
    messages = [str(w.message) for w in rec]
    assert any("did not reach tol" in m for m in messages)
    assert any("not a fixed point" in m and "(tol)" in m for m in messages)
    # converged: no report, and the gradient is the exact one
    g, _ = _no_convergence_warnings(lambda: _grad_W("implicit", max_iter=300, tol=1e-12, backward_tol=1e-12))
    assert float((g - exact).norm() / exact.norm()) < 1e-6


def test_implicit_point_check_per_graph():
    A = torch.eye(6, dtype=DT)
    q = torch.tensor([0.1, 0.1, 0.1, 0.97, 0.97, 0.97], dtype=DT).unsqueeze(-1)
    W = torch.tensor(1.0, dtype=DT, requires_grad=True)
    batch = torch.tensor([0, 0, 0, 1, 1, 1])
    f = lambda z: q * W * (A @ z) + 1.0  # noqa: E731
    z, _ = ic.fixed_point(f, torch.zeros(6, 2, dtype=DT), max_iter=12, smoothing=0.0, grad="implicit",
                          batch=batch, num_graphs=2, backward_tol=1e-6, backward_max_iter=1000)
    with pytest.warns(ic.ConvergenceWarning, match=r"not a fixed point"):
        z.sum().backward()


def _smoothed_step_residual(iters: int, **kw):
    """The relative residual of the last step of a solve smoothed with s = 0.95, and its fixed-point
    residual ``||f(z) - z|| / ||z||``: the step moves 0.05 of it."""
    f, W, x = _problem()
    z, info = ic.fixed_point(f, x, max_iter=iters, smoothing=0.95, grad="implicit", **kw)
    with torch.no_grad():
        before = ic.fixed_point(f, x, max_iter=iters - 1, smoothing=0.95)[0]
        true = float((f(before) - before).norm() / before.norm())
    return z, W, info, true


def test_implicit_point_check_reads_the_fixed_point_residual_of_a_smoothed_step():
    """The default check (no tol) compares ||f(z) - z|| with 1e-4, not the smoothed step (1 - s) times it: with
    s = 0.95 a point 20 times farther than the step says passed, with a gradient 1e-3 off."""
    exact, _ = _grad_W("unrolled", max_iter=300)
    iters = next(k for k in range(10, 400, 5) if 1e-4 < _smoothed_step_residual(k)[3] < 1e-3)
    z, W, info, true = _smoothed_step_residual(iters)
    assert info.final_residual < 1e-4 < true  # the step passes, the point does not
    with pytest.warns(ic.ConvergenceWarning) as rec:
        (z * z.cos()).sum().backward()
    (msg,) = (str(w.message) for w in rec)
    assert re.search(r"not a fixed point.*fixed-point residual, \|\|f\(z\) - z\|\| / \|\|z\|\| \(its step, smoothed "
                     r"by s = 0\.95, divided by 1 - s\), is ([0-9.e-]+), above 0\.0001.*Give a `tol` of at most 5e-06",
                     msg), msg
    shown = float(re.search(r"is ([0-9.e-]+), above", msg).group(1))
    assert shown == pytest.approx(true, rel=1e-2)
    assert float((W.grad - exact).norm() / exact.norm()) > 1e-4
    # close enough: no report
    z, W, info, true = _smoothed_step_residual(400)
    assert true < 1e-4
    _no_convergence_warnings(lambda: (z * z.cos()).sum().backward())
    # a tol the step reached is the user's rule (tol bounds the step, as in the solve): not reported again
    z, W, info, _ = _smoothed_step_residual(iters, tol=1e-4, min_iter=iters, backward_max_iter=2000)
    assert info.status == "converged"
    _no_convergence_warnings(lambda: (z * z.cos()).sum().backward())


def test_implicit_point_check_measures_a_float32_step_that_rounds_away():
    """float32 with s = 0.99999: a step under half an ulp rounds to no move, and a point 2.4e-4 from fixed read
    a residual of 0. The kept step is measured as it should move, (1 - s)(f(z) - z)."""
    g = torch.Generator().manual_seed(0)
    b = (1000 + torch.rand(200, 4, generator=g, dtype=DT)).float()
    a = torch.tensor(0.5, requires_grad=True)
    f = lambda z: a * z + b  # noqa: E731  (fixed point 2b)
    z0 = (2 * b.double() * (1 + 5e-4 * torch.randn(b.shape, generator=g, dtype=DT))).float()
    z, info = ic.fixed_point(f, z0, max_iter=3, smoothing=0.99999, grad="implicit", backward_max_iter=50)
    with torch.no_grad():
        before = ic.fixed_point(f, z0, max_iter=2, smoothing=0.99999)[0].double()
        true = float((a.double() * before + b.double() - before).norm() / before.norm())
    assert true > 1e-4
    with pytest.warns(ic.ConvergenceWarning, match=r"not a fixed point") as rec:
        z.sum().backward()
    shown = float(re.search(r"is ([0-9.e-]+), above", str(rec[0].message)).group(1))
    assert shown == pytest.approx(true, rel=1e-2)


@pytest.mark.parametrize("stop", ["rel", "abs"])
def test_implicit_point_check_reads_each_graphs_fixed_point_residual(stop):
    """In a batch, each graph's last step over the step's factor, in the relative residual whatever the solve's
    stop rule: a slow graph whose smoothed step passes 1e-4 is reported beside a graph far from zero, which
    holds the batch's norm (the batch's relative residual, and its fixed-point residual, pass)."""
    q = torch.tensor([0.1, 0.1, 0.1, 0.9, 0.9, 0.9], dtype=DT).unsqueeze(-1)
    c = torch.tensor([100.0, 100.0, 100.0, 1.0, 1.0, 1.0], dtype=DT).unsqueeze(-1)  # fixed points 111 and 10
    batch = torch.tensor([0, 0, 0, 1, 1, 1])

    def solve(s):
        W = torch.tensor(1.0, dtype=DT, requires_grad=True)
        f = lambda z: q * W * z + c  # noqa: E731  (graph 1 reaches its fixed point at rate s + (1 - s) 0.9)
        return ic.fixed_point(f, torch.zeros(6, 2, dtype=DT), max_iter=500, smoothing=s, grad="implicit", stop=stop,
                              batch=batch, num_graphs=2, backward_max_iter=1000)

    z, info = solve(0.9)
    steps = info._graph_steps[-1].double()
    own = steps[:, 0] / steps[:, 1]  # each graph's relative step
    assert own[1] < 1e-4 < own[1] / 0.1  # the slow graph's step passes, its point not
    assert info.final_residual / 0.1 < 1e-4  # and the batch's passes
    with pytest.warns(ic.ConvergenceWarning, match=r"not a fixed point.*fixed-point residual.* is ([0-9.e-]+), above "
                      r"0\.0001 \(the default") as rec:
        z.sum().backward()
    shown = float(re.search(r"is ([0-9.e-]+), above", str(rec[0].message)).group(1))
    assert shown == pytest.approx(float(own[1]) / 0.1, rel=1e-2)
    z, info = solve(0.0)  # Picard: its steps are its fixed-point residuals, far below 1e-4 here
    _no_convergence_warnings(lambda: z.sum().backward())


def test_implicit_point_check_divides_by_the_factor_of_the_last_step():
    """A schedule whose last factor differs from the others: the kept step's own factor decides."""
    n = next(k for k in range(20, 400, 5)
             if 1e-4 < _smoothed_step_residual(k)[3] < 1e-3)  # s = 0.95 steps to a point short of 1e-4
    for last in (0.95, 0.5, 0.0):
        f, W, x = _problem()
        z, info = ic.fixed_point(f, x, max_iter=n, smoothing=[0.95] * (n - 1) + [last], grad="implicit")
        with torch.no_grad():
            before = ic.fixed_point(f, x, max_iter=n - 1, smoothing=0.95)[0]
            true = float((f(before) - before).norm() / before.norm())
        with pytest.warns(ic.ConvergenceWarning, match=r"not a fixed point") as rec:
            (z * z.cos()).sum().backward()
        shown = float(re.search(r"is ([0-9.e-]+), above", str(rec[0].message)).group(1))
        assert shown == pytest.approx(true, rel=1e-2), last


def test_a_synchronisation_free_call_stays_free_of_synchronisation_in_the_backward_pass(monkeypatch):
    """tol=None with on_divergence="ignore" reads nothing back from the device, backward included; it
    skips the fixed-point check (documented). (As on a device: the CPU reads back what costs it nothing.)"""
    as_on_a_device(monkeypatch)
    f, W, x = _problem()
    z, _ = ic.fixed_point(f, x, max_iter=4, grad="implicit", on_divergence="ignore")

    def boom(*a, **k):
        raise AssertionError("host-device synchronisation")

    for name in ("__bool__", "item", "__float__", "__int__", "tolist"):
        monkeypatch.setattr(torch.Tensor, name, boom)
    z.sum().backward()
    monkeypatch.undo()
    assert W.grad is not None


@pytest.mark.filterwarnings("ignore:Using backward\\(\\) with create_graph=True")
@pytest.mark.parametrize("how", ["autograd.grad", "backward"])
@pytest.mark.parametrize("grad", ["implicit", "phantom"])
def test_second_order_gradients_through_the_implicit_and_phantom_modes_are_refused(how, grad):
    """The phantom steps start from the answer held fixed: a gradient penalty's derivative through them
    left out how the answer moves, without a word."""
    f, W, x = _problem()
    z, _ = ic.fixed_point(f, x, max_iter=300, tol=1e-12, backward_tol=1e-12, smoothing=0.0, grad=grad)
    loss = (z * z).sum()
    with pytest.raises(RuntimeError, match=rf"grad='{grad}' gives first-order gradients only.*create_graph=True"
                                           r".*grad='unrolled'"):
        if how == "backward":
            loss.backward(create_graph=True)
        else:
            torch.autograd.grad(loss, W, create_graph=True)
    # first order is unaffected, and the unrolled mode gives second-order gradients
    (g,) = torch.autograd.grad((z * z).sum(), W, retain_graph=True)
    assert torch.isfinite(g).all()
    f, W, x = _problem()
    z, _ = ic.fixed_point(f, x, max_iter=30, smoothing=0.0, grad="unrolled")
    (g,) = torch.autograd.grad((z * z).sum(), W, create_graph=True)
    (h,) = torch.autograd.grad(g.sum(), W)
    assert torch.isfinite(h).all() and not math.isnan(float(h.norm()))


def test_batched_gradients_are_refused_in_the_implicit_mode_and_taken_in_the_others():
    """is_grads_batched=True vmaps the backward pass: the adjoint solve failed with torch's "batching rule
    not implemented for aten::detach"; the unrolled and phantom modes give each row's gradient."""
    for grad in ("implicit", "unrolled", "phantom"):
        f, W, x = _problem()
        z, _ = ic.fixed_point(f, x, max_iter=300 if grad == "implicit" else 30, tol=1e-12 if grad == "implicit" else None,
                              smoothing=0.0, grad=grad, phantom_steps=3 if grad == "phantom" else 1)
        rows = torch.randn(3, *z.shape, dtype=z.dtype, generator=torch.Generator().manual_seed(1))
        if grad == "implicit":
            with pytest.raises(RuntimeError, match=r"grad='implicit' cannot take batched gradients.*is_grads_batched"
                                                   r".*once per row"):
                torch.autograd.grad(z, W, rows, is_grads_batched=True, retain_graph=True)
        else:
            (batched,) = torch.autograd.grad(z, W, rows, is_grads_batched=True, retain_graph=True)
            one_by_one = torch.stack([torch.autograd.grad(z, W, r, retain_graph=True)[0] for r in rows])
            torch.testing.assert_close(batched, one_by_one, rtol=1e-10, atol=1e-12)
        (g,) = torch.autograd.grad(z, W, rows[0])  # a plain backward pass is unaffected
        assert torch.isfinite(g).all()


# --- in a batch, each graph is judged on its own steps -------------------------------------------
@pytest.mark.parametrize("trace", [True, False])
def test_each_graph_of_a_batch_is_judged_on_its_own_steps(trace):
    """A graph diverging among many that converge is reported as it would be alone, by either rule
    (expansion at 8 steps; residual growth at 60), and each graph's contraction factor and growth are
    those of its solve alone."""
    sizes = [3, 2, 4, 3]
    batch = torch.repeat_interleave(torch.arange(4), torch.tensor(sizes))
    z0 = torch.randn(12, 2, dtype=DT, generator=torch.Generator().manual_seed(0)) * 10
    for steps, gain, reason in ((8, 2.3, "expansive"), (60, 1.2, "residual")):
        gains = torch.tensor([0.5, 0.9, gain, 0.7], dtype=DT)
        start = z0.clone()
        start[batch == 2] *= 1e-4  # the diverging graph starts small: the whole batch's growth hides it
        f = lambda z: gains[batch][:, None] * z  # noqa: E731
        _, info = ic.fixed_point(f, start, batch=batch, max_iter=steps, smoothing=0.0, trace=trace,
                                 on_divergence="ignore")
        assert info._divergence() is None  # the whole batch's own steps pass
        assert info.status == "diverged" and info.divergence_reason == reason
        assert info.graph_diverged.tolist() == [False, False, True, False]
        for g in range(4):
            _, alone = ic.fixed_point(lambda z, g=g: gains[g] * z, start[batch == g], max_iter=steps, smoothing=0.0,
                                      trace=trace, on_divergence="ignore")
            assert alone.diverged == (g == 2) and (alone.divergence_reason == reason or g != 2)
            assert float(info.graph_contraction_factors[g]) == pytest.approx(alone.contraction_factor, rel=1e-9)
            assert float(info.graph_iterate_growth[g]) == pytest.approx(alone.iterate_growth, rel=1e-9)
        with pytest.raises(ic.ConvergenceError, match=rf"in 1 of 4 graphs of the batch \(graph 2\)"):
            ic.fixed_point(f, start, batch=batch, max_iter=steps, smoothing=0.0, trace=trace, on_divergence="raise")
    # graphs that converge, and the whole input without a batch, have no per-graph verdict
    _, info = ic.fixed_point(lambda z: 0.5 * z, z0, batch=batch, max_iter=8, smoothing=0.0)
    assert not info.diverged and info.graph_diverged.tolist() == [False] * 4
    _, info = ic.fixed_point(lambda z: 0.5 * z, z0, max_iter=8, smoothing=0.0)
    assert info.graph_diverged is None and info.graph_contraction_factors is None


def test_an_adjoint_without_tol_that_stops_short_is_reported():
    """A warm start at the fixed point passes the forward's check after one step, but the adjoint, from
    the incoming gradient, ran its 5 steps and passed as 'fixed': dL/dw 4.69 where it is 10."""
    w = torch.tensor([1.0], dtype=DT, requires_grad=True)
    z, info = ic.fixed_point(lambda z: 0.9 * z + w, torch.tensor([10.0], dtype=DT), max_iter=5, smoothing=0.0,
                             grad="implicit")
    with pytest.warns(ic.ConvergenceWarning, match=r"the adjoint solve \(no tol\) stopped after 5 iterations at a "
                                                   r"relative residual of 0\.144, above 0\.0001"):
        z.sum().backward()
    assert info.backward.status == "fixed" and float(w.grad) == pytest.approx(4.6856, abs=1e-4)
    # a NaN incoming gradient is not a short solve: it is passed on, as in the other gradient modes
    for policy in ("warn", "raise"):
        w.grad = None
        z, info = ic.fixed_point(lambda z: 0.9 * z + w, torch.tensor([10.0], dtype=DT), max_iter=5, smoothing=0.0,
                                 grad="implicit", on_divergence=policy, on_nonconvergence=policy)
        _no_convergence_warnings(lambda: (z * float("nan")).sum().backward())
        assert info.backward.divergence_reason == "input" and math.isnan(float(w.grad))
    # given enough steps it is quiet, and right
    w.grad = None
    z, _ = ic.fixed_point(lambda z: 0.9 * z + w, torch.tensor([10.0], dtype=DT), max_iter=5, smoothing=0.0,
                          grad="implicit", backward_max_iter=400)
    _no_convergence_warnings(lambda: z.sum().backward())
    assert float(w.grad) == pytest.approx(10.0, rel=1e-6)


def test_a_graph_whose_norms_overflow_in_a_batch_is_marked_and_named():
    """With a tol the others stop, and the expansive graph runs on until its norms overflow: the
    batch read "nonfinite" and no graph was marked."""
    batch = torch.tensor([0] * 3 + [1] * 3 + [2] * 3)
    q = torch.tensor([0.5] * 3 + [2.5] * 3 + [0.5] * 3)[:, None]
    with pytest.warns(ic.ConvergenceWarning, match=r"in 1 of 3 graphs of the batch \(graph 1; "
                                                   r"`info.graph_diverged` marks them"):
        _, info = ic.fixed_point(lambda z: q * z + 1.0, torch.zeros(9, 2), smoothing=0.0, batch=batch,
                                 max_iter=200, tol=1e-4)
    assert info.graph_diverged.tolist() == [False, True, False]


def test_an_incoming_gradient_whose_norm_overflows_float32_is_not_called_nan(monkeypatch):
    """A finite float32 incoming gradient of 1e20 (its squares overflow) was reported as "the incoming
    gradient holds NaN/Inf". On the CPU its norms are measured again rescaled, and the gradient is
    1e20 times the ordinary one; on a device, which reads nothing back to do so, the adjoint's reason is
    corrected from its input's entries, as the forward solve's, with the advice for the loss."""
    torch.manual_seed(0)
    W = (0.5 * torch.eye(3)).requires_grad_()
    x = torch.randn(4, 3)

    def solve():
        return ic.fixed_point(lambda z: torch.tanh(z @ W) + x, x, max_iter=100, grad="implicit", on_divergence="raise")

    z, _ = solve()
    z.sum().backward()
    ordinary, W.grad = W.grad, None
    z, info = solve()
    (z.sum() * 1e20).backward()
    assert info.backward.status == "fixed"
    torch.testing.assert_close(W.grad, ordinary * 1e20, rtol=1e-5, atol=0.0)
    as_on_a_device(monkeypatch)
    z, info = solve()
    with pytest.raises(ic.ConvergenceError, match=r"adjoint .* every entry of the iterate is finite .*: the incoming "
                                                  r"gradient is so large .* Scale the loss down, or run in float64\.$"):
        (z.sum() * 1e20).backward()
    assert info.backward.divergence_reason == "nonfinite" and info.backward.input_nonfinite == 0
