"""Per-graph stopping in a batch, and divergence / non-convergence reports and policies."""
import warnings

import pytest
import torch

import iterative_core as ic

from tests.helpers import block_diag_graph, gcn_dense, orthogonal

DT = torch.float64


def easy_and_hard(c: int = 3):
    """Two graphs in one batch, one map: :math:`T(z) = \\tanh(q_g \\hat A z W^\\top + x)` with the
    contraction :math:`q_g` = 0.1 on the first (easy) graph and 0.95 on the second (hard) one."""
    src, dst, batch = block_diag_graph([9, 12], seed=7)
    n = batch.numel()
    A, _ = gcn_dense(src, dst, n)
    W = orthogonal(c, seed=3)
    x = torch.randn(n, c, dtype=DT, generator=torch.Generator().manual_seed(5))
    q = torch.tensor([0.1, 0.95], dtype=DT)[batch].unsqueeze(-1)
    return A, W, x, q, batch


@pytest.mark.parametrize("smoothing", ["constant", "schedule"])
@pytest.mark.parametrize("check_every", [1, 3])
@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_easy_graph_stops_early_and_matches_its_solve_alone(solver, grad, check_every, smoothing):
    A, W, x, q, batch = easy_and_hard()
    easy = batch == 0
    # a schedule whose factor changes at every step: the step with gradients after the solve takes the
    # factor of each graph's own next step (the easy graph's is not the batch's)
    smoothing = 0.2 if smoothing == "constant" else ic.linear(500, 0.0, 0.6)
    kw = dict(max_iter=500, tol=1e-9, smoothing=smoothing, solver=solver, grad=grad, check_every=check_every)
    T = lambda z: torch.tanh(q * (A @ z @ W.t()) + x)  # noqa: E731
    z, info = ic.fixed_point(T, torch.zeros_like(x), batch=batch, num_graphs=2, **kw)
    Ae, xe = A[easy][:, easy], x[easy]
    z_alone, alone = ic.fixed_point(lambda z: torch.tanh(0.1 * (Ae @ z @ W.t()) + xe), torch.zeros_like(xe), **kw)
    assert info.converged.tolist() == [True, True] and info.status == "converged"
    iters = info.graph_iterations.tolist()
    assert iters[0] + 5 <= iters[1]  # the easy graph stopped early
    assert iters[0] == alone.iterations
    assert torch.allclose(z[easy], z_alone, rtol=0, atol=1e-13)
    # the per-graph residuals: the easy graph's stays where it stopped (it no longer changes); the implicit
    # mode's step with gradients, which every graph takes at the batch's last row, is recorded in the easy
    # graph's own next row, as alone (it read a frozen zero there, and its contraction factor missed it)
    res = info.graph_residuals
    assert res.shape == (info.iterations, 2)
    after = res[iters[0]:, 0]
    assert bool((after[~torch.isnan(after)] == 0).all())  # (check_every=3: the rows not measured read NaN)
    close = 1e-9 if solver == "picard" else 1e-5  # (Anderson's batched least squares rounds otherwise)
    assert float(res[iters[0] - 1, 0]) == pytest.approx(alone.final_residual, rel=close, abs=1e-300)
    assert float(info.graph_contraction_factors[0]) == pytest.approx(alone.contraction_factor, rel=close)


def test_a_changing_schedule_reads_neither_as_contraction_nor_as_expansion():
    """The shrink test and the contraction factor divide each step by its factor ``1 - s_k``: a schedule
    whose factor rises made a contraction read "diverged (expansive)", and one whose factor falls made a
    map without a fixed point read "converged"."""
    A = torch.diag(torch.linspace(0.5, 0.0, 6, dtype=DT))
    b = torch.ones(6, 2, dtype=DT)
    T = lambda z: A @ z + b  # noqa: E731
    rising = [0.999] * 5 + [0.0] * 3  # the steps grow 500-fold with the factor 1 - s_k
    _, info = ic.fixed_point(T, torch.zeros_like(b), smoothing=rising, trace=True)
    assert not info.diverged and info.status == "fixed"
    # the factor is that of the residuals f(z_k) - z_k, the steps over their factors
    r = info.abs_residuals / (1 - torch.tensor(rising, dtype=DT))
    assert info.contraction_factor == pytest.approx(float((r[-1] / r[-6]) ** (1 / 5)), rel=1e-12)
    # a drift (z + 1, no fixed point) whose steps shrink only because the factor falls
    falling = [1 - 0.5 ** (k + 1) for k in range(40)]
    with pytest.warns(ic.ConvergenceWarning, match="did not shrink"):
        _, info = ic.fixed_point(lambda z: z + 1, torch.ones(3, dtype=DT), smoothing=falling, tol=1e-6)
    assert not info.converged and info.status == "max_iter" and info.iterations == 40  # (the monitor's test too)
    # every step one with gradients (phantom_steps = max_iter: the solve before them takes none)
    x = torch.ones(3, dtype=DT, requires_grad=True)
    with pytest.warns(ic.ConvergenceWarning, match="did not shrink"):
        _, info = ic.fixed_point(lambda z: z + x, torch.ones(3, dtype=DT), smoothing=falling, tol=1e-6,
                                 grad="phantom", phantom_steps=40)
    assert not info.converged and info.contraction_factor == pytest.approx(1.0, abs=0.05)
    # a drift with a rising factor: its residual f(z) - z stays the same, only the steps grow (a "residual" divergence)
    _, info = ic.fixed_point(lambda z: z + 1, torch.ones(3, dtype=DT), smoothing=rising, trace=True)
    assert not info.diverged and info.contraction_factor == pytest.approx(1.0)
    _, info = ic.fixed_point(lambda z: z + 1, torch.ones(6, dtype=DT), smoothing=rising, trace=True,
                             batch=torch.tensor([0, 0, 0, 1, 1, 1]), num_graphs=2)
    assert not info.diverged and not bool(info.graph_diverged.any())
    # the same in a batch, each graph on its own steps
    batch = torch.tensor([0, 0, 0, 1, 1, 1])
    _, info = ic.fixed_point(T, torch.zeros_like(b), smoothing=rising, batch=batch, num_graphs=2, trace=True)
    assert not info.diverged and not bool(info.graph_diverged.any())
    assert float(info.graph_contraction_factors.max()) < 1


def test_a_graph_that_stopped_early_reads_its_own_factor_with_anderson_mixing():
    """The step with gradients of a graph that stopped early lies in its own row, among the batch's Anderson
    steps of factor ``beta``: its contraction factor divides it by its own factor, as alone."""
    A, W, x, q, batch = easy_and_hard()
    easy = batch == 0
    kw = dict(max_iter=500, tol=1e-9, smoothing=0.0, solver="anderson", solver_options={"beta": 0.5}, grad="implicit")
    xg = x.clone().requires_grad_()
    T = lambda z: torch.tanh(q * (A @ z @ W.t()) + xg)  # noqa: E731
    _, info = ic.fixed_point(T, torch.zeros_like(x), batch=batch, num_graphs=2, **kw)
    Ae, xe = A[easy][:, easy], xg[easy]
    _, alone = ic.fixed_point(lambda z: torch.tanh(0.1 * (Ae @ z @ W.t()) + xe), torch.zeros_like(xe), **kw)
    assert info.graph_iterations[0] == alone.iterations < info.graph_iterations[1]
    assert float(info.graph_contraction_factors[0]) == pytest.approx(alone.contraction_factor, rel=1e-5)


def test_anderson_mixing_is_not_read_as_expansion_by_the_step_with_gradients():
    """Anderson's ``beta`` scales its measured steps; the step with gradients after the solve is a plain
    step: their ratio is not the map's (beta=0.05 read "diverged (expansive)")."""
    A = torch.diag(torch.linspace(0.5, 0.0, 6, dtype=DT))
    w = torch.ones(1, dtype=DT, requires_grad=True)
    T = lambda z: w * (A @ z) + 1  # noqa: E731
    _, info = ic.fixed_point(T, torch.zeros(6, 2, dtype=DT), solver="anderson", solver_options={"beta": 0.05},
                             smoothing=0.0, max_iter=8, grad="implicit")
    assert not info.diverged and info.contraction_factor < 1


def test_per_graph_stopping_reports_one_flag_per_graph():
    A, W, x, q, batch = easy_and_hard()
    T = lambda z: torch.tanh(q * (A @ z @ W.t()) + x)  # noqa: E731
    with pytest.warns(ic.ConvergenceWarning, match="did not reach"):
        _, info = ic.fixed_point(T, torch.zeros_like(x), max_iter=30, tol=1e-9, smoothing=0.2, batch=batch)
    assert info.converged.tolist() == [True, False] and info.status == "max_iter"
    assert info.graph_iterations.tolist() == [info.graph_iterations[0].item(), 30]


def test_divergence_is_reported_warned_and_raised():
    x = torch.ones(4, 2, dtype=DT)
    f = lambda z: 2.0 * z + 1.0  # noqa: E731  expansive: the residual doubles every step
    with pytest.warns(ic.ConvergenceWarning, match="diverged"):
        _, info = ic.fixed_point(f, x, max_iter=40, smoothing=0.0)
    assert info.diverged and info.status == "diverged" and info.contraction_factor == pytest.approx(2.0)
    with pytest.raises(ic.ConvergenceError, match="diverged") as err:
        ic.fixed_point(f, x, max_iter=40, tol=1e-6, smoothing=0.0, on_divergence="raise")
    assert err.value.info.status == "diverged" and err.value.info.converged is False
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ic.fixed_point(f, x, max_iter=40, smoothing=0.0, on_divergence="ignore")
    # a contraction is not reported as diverged
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, ok = ic.fixed_point(lambda z: 0.5 * z + 1.0, x, max_iter=40, smoothing=0.0)
    assert not ok.diverged and ok.status == "fixed"


def test_nan_ends_the_solve_and_is_divergence():
    calls = []

    def f(z):
        calls.append(1)
        return z * float("nan") if len(calls) == 3 else 0.5 * z + 1.0

    with pytest.raises(ic.ConvergenceError, match="diverged"):
        ic.fixed_point(f, torch.ones(5, dtype=DT), max_iter=100, tol=1e-8, on_divergence="raise")
    assert len(calls) == 3  # with a tol the first non-finite residual stops the loop
    # in a batch only the failing graph stops; the other converges and is reported as such
    batch = torch.tensor([0, 0, 1, 1])
    bad = (batch == 1).to(DT)
    calls.clear()

    def g(z):
        calls.append(1)
        out = 0.5 * z + 1.0
        return torch.where(bad > 0, float("nan"), out) if len(calls) == 3 else out

    with pytest.warns(ic.ConvergenceWarning, match="diverged"):
        z, info = ic.fixed_point(g, torch.ones(4, dtype=DT), max_iter=100, tol=1e-8, batch=batch)
    assert info.converged.tolist() == [True, False] and info.status == "diverged"
    assert torch.allclose(z[:2], torch.full((2,), 2.0, dtype=DT)) and bool(torch.isnan(z[2:]).all())


def test_nonconvergence_policies():
    f = lambda z: 0.99 * z + 1.0  # noqa: E731  slow: 30 steps are not enough for 1e-8
    x = torch.zeros(3, dtype=DT)
    with pytest.raises(ic.ConvergenceError, match="did not reach tol=1e-08 in 30 iterations") as err:
        ic.fixed_point(f, x, max_iter=30, tol=1e-8, smoothing=0.0, on_nonconvergence="raise")
    assert err.value.info.status == "max_iter"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, info = ic.fixed_point(f, x, max_iter=30, tol=1e-8, smoothing=0.0, on_nonconvergence="ignore")
    assert info.status == "max_iter" and info.converged is False
    with pytest.raises(ValueError, match="'ignore', 'raise', 'warn'"):
        ic.fixed_point(f, x, max_iter=3, on_divergence="stop")


def test_implicit_backward_stops_per_graph_and_matches_the_graphs_alone():
    A, W, x, q, batch = easy_and_hard()
    W = W.clone().requires_grad_()
    kw = dict(max_iter=500, tol=1e-11, smoothing=0.0, grad="implicit")
    z, info = ic.fixed_point(lambda z: torch.tanh(q * (A @ z @ W.t()) + x), torch.zeros_like(x), batch=batch, **kw)
    (g_batch,) = torch.autograd.grad(z.pow(2).sum(), W)
    bw = info.backward
    assert bw.converged.tolist() == [True, True]
    assert bw.graph_iterations[0] + 5 <= bw.graph_iterations[1]  # the easy graph's adjoint stops early too
    g_alone = torch.zeros_like(W)
    for i, qi in enumerate((0.1, 0.95)):
        m = batch == i
        Ai, xi = A[m][:, m], x[m]
        zi, _ = ic.fixed_point(lambda z: torch.tanh(qi * (Ai @ z @ W.t()) + xi), torch.zeros_like(xi), **kw)
        g_alone += torch.autograd.grad(zi.pow(2).sum(), W)[0]
    assert float((g_batch - g_alone).norm() / g_alone.norm()) < 1e-8


def test_a_diverged_graph_is_named_also_when_the_whole_batch_reads_diverged():
    """One graph that diverges is named in the message also where its growth makes the whole batch read
    diverged (the message gave the batch's figures only)."""
    batch = torch.tensor([0] * 10 + [1] * 10 + [2] * 10 + [3] * 10 + [4] * 2)
    big = (batch < 4)[:, None]
    T = lambda z: torch.where(big, 0.9 * z + 100.0, 2.2 * z)  # noqa: E731
    z0 = torch.where(big, torch.zeros(42, 2), torch.full((42, 2), 1e-3))
    with pytest.warns(ic.ConvergenceWarning, match=r"expansive.*in 1 of 5 graphs of the batch \(graph 4;"):
        _, info = ic.fixed_point(T, z0, max_iter=30, batch=batch)
    assert info.graph_diverged.tolist() == [False] * 4 + [True]


def test_a_graph_that_did_not_reach_tol_is_named_with_its_own_residual():
    """Beside a graph of much larger norm that converged, the batch's relative residual was tiny: the
    message said the residual was "within tol" but "the steps did not shrink", and named no graph."""
    q = torch.tensor([0.1, 0.1, 0.99, 0.99])[:, None]
    b = torch.tensor([1e5, 1e5, 1.0, 1.0])[:, None]
    batch = torch.tensor([0, 0, 1, 1])
    with pytest.raises(ic.ConvergenceError) as err:
        ic.fixed_point(lambda z: q * z + b, torch.zeros(4, 1), max_iter=50, tol=1e-4, smoothing=0.0, batch=batch,
                       on_nonconvergence="raise")
    info = err.value.info
    assert info.converged.tolist() == [True, False]
    own = float(info.graph_residuals[49, 1])
    assert own > 1e-4 > info.final_residual  # (the batch's residual is within tol, graph 1's is not)
    assert str(err.value).startswith(
        f"fixed-point iteration did not reach tol=0.0001 in 1 of 2 graphs of the batch (graph 1; `info.converged` "
        f"is False for them): graph 1 stopped at max_iter=50 with its residual {own:.3g} (contraction factor 0.99); "
        "the other graphs' outputs do not depend on it. Raise `max_iter`")
    # every graph short of tol: no others to speak of; a batch of one graph reads as a solve without one
    q = torch.tensor([0.99, 0.99, 0.98, 0.98])[:, None]
    with pytest.raises(ic.ConvergenceError, match=r"did not reach tol=1e-06 in any of the 2 graphs of the batch: "
                                                  r"graph 0, the first, stopped at max_iter=20 with its residual "
                                                  r"[0-9.e-]+ \(contraction factor 0.995\)\. Raise"):
        ic.fixed_point(lambda z: q * z + 1, torch.zeros(4, 1), max_iter=20, tol=1e-6, batch=batch,
                       on_nonconvergence="raise")
    with pytest.raises(ic.ConvergenceError, match=r"did not reach tol=1e-06 in 20 iterations \(final residual"):
        ic.fixed_point(lambda z: q * z + 1, torch.zeros(4, 1), max_iter=20, tol=1e-6, batch=torch.zeros(4).long(),
                       on_nonconvergence="raise")


@pytest.mark.parametrize("T", [lambda z: 2 * z + 1, lambda z: z * float("nan")], ids=["expansive", "nan"])
def test_a_diverged_solve_with_divergence_ignored_obeys_the_nonconvergence_policy(T):
    """A solve that diverged did not reach its ``tol``: with ``on_divergence="ignore"`` the
    ``on_nonconvergence`` policy holds (``"raise"`` returned normally, without a word)."""
    with pytest.raises(ic.ConvergenceError, match=r"did not reach tol=1e-06: it diverged after \d+ iterations"):
        ic.fixed_point(T, torch.ones(4, 2, dtype=DT), max_iter=50, tol=1e-6, on_divergence="ignore",
                       on_nonconvergence="raise")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        _, info = ic.fixed_point(T, torch.ones(4, 2, dtype=DT), max_iter=50, tol=1e-6, on_divergence="ignore",
                                 on_nonconvergence="ignore")
    assert info.status == "diverged"


@pytest.mark.parametrize("bad", [5, -1])
def test_batch_ids_out_of_range_are_refused_on_the_cpu_also_without_validation(bad):
    """On the CPU the batch ids are read against ``num_graphs`` whatever ``validate`` (it costs no
    synchronisation there): torch's bare "index out of range in self" came from inside the solve."""
    batch = torch.tensor([0, 0, bad, bad])
    with pytest.raises(ValueError, match=rf"batch holds the {'negative ' if bad < 0 else ''}graph index {bad}"):
        ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(4, 2, dtype=DT), max_iter=10, tol=1e-6, batch=batch,
                       num_graphs=2, validate=False)


def test_a_convergence_warning_names_the_callers_line():
    """As the library's other warnings: the first frame outside the library and torch (it named a line of
    fixed_point.py)."""
    with pytest.warns(ic.ConvergenceWarning, match="did not reach") as record:
        ic.fixed_point(lambda z: 0.99 * z + 1, torch.zeros(3, dtype=DT), max_iter=3, tol=1e-9)
    assert record[0].filename == __file__


def test_nan_in_one_graphs_input_names_that_graph():
    """The input's NaN is named by graph, as the other divergences of a batch are."""
    x = torch.ones(9, 2, dtype=DT)
    x[7, 1] = float("nan")
    batch = torch.tensor([0, 0, 0, 1, 1, 1, 2, 2, 2])
    with pytest.raises(ic.ConvergenceError, match=r"holds NaN/Inf.*in 1 of 3 graphs of the batch \(graph 2;"):
        ic.fixed_point(lambda z: 0.5 * z + x, x, max_iter=4, batch=batch, num_graphs=3, on_divergence="raise")
