"""Every option is checked when it is given: at a layer's construction and at each ``fixed_point()``
call, with one message per kind of check that names the argument, the value and what is valid
(``TypeError`` for a wrong type, ``ValueError`` for a bad value). Also: schedules never cap the
iterations silently, solver options are range-checked, the registries refuse bad names and
factories, and buffers follow the steps taken rather than the iteration cap."""
from __future__ import annotations

import sys
import tracemalloc

import numpy as np
import pytest
import torch

import iterative_core as ic
from iterative_core.operators import _OPERATORS, available_operators
from iterative_core.solvers import _CHECKS, _SOLVERS

pytest.importorskip("torch_geometric")
from pyg_iterative import PIGNConv, register_operator  # noqa: E402

FP = sys.modules["iterative_core.fixed_point"]
EI = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])


def contraction(z: torch.Tensor) -> torch.Tensor:
    return 0.5 * z + 1.0


def solve(**kw):
    kw.setdefault("max_iter", 4)
    return ic.fixed_point(contraction, torch.zeros(3, 2), **kw)


@pytest.fixture
def registries():
    """Snapshot the solver and operator registries and restore them afterwards, so that nothing a
    test registers (or half-registers) leaks into other tests."""
    solvers, checks = dict(_SOLVERS), dict(_CHECKS)
    operators = {k: dict(v) for k, v in _OPERATORS.items()}
    yield
    _SOLVERS.clear()
    _SOLVERS.update(solvers)
    _CHECKS.clear()
    _CHECKS.update(checks)
    _OPERATORS.clear()
    _OPERATORS.update(operators)


# --- item 8: schedules never cap the iterations silently --------------------------------------------
def test_schedule_shorter_than_the_iterations_is_refused_at_construction():
    with pytest.raises(ValueError, match=r"smoothing schedule has 3 entries but num_iterations=8"):
        PIGNConv(4, num_iterations=8, smoothing=[0.5] * 3)
    with pytest.raises(ValueError, match=r"3 entries but max_iter=8"):
        solve(max_iter=8, smoothing=[0.5] * 3)
    # long enough: exactly num_iterations steps run (the entries past it are unused)
    _, info = PIGNConv(4, num_iterations=8, smoothing=[0.5] * 10)(torch.randn(5, 4), EI, return_info=True)
    assert info.iterations == 8


def test_generator_schedule_is_refused():
    with pytest.raises(TypeError, match=r"smoothing.*generator.*list\(\.\.\.\)"):
        PIGNConv(4, num_iterations=3, smoothing=(0.5 for _ in range(3)))
    with pytest.raises(TypeError, match=r"smoothing.*generator"):
        solve(max_iter=3, smoothing=(0.5 for _ in range(3)))
    with pytest.raises(TypeError, match=r"smoothing.*set"):
        solve(max_iter=1, smoothing={0.5})


@pytest.mark.parametrize("value", [1.5, 8.0, "3", None, True])
def test_iteration_count_must_be_a_whole_number(value):
    with pytest.raises(TypeError, match=rf"num_iterations must be an int >= 0, got {value!r}"):
        PIGNConv(4, num_iterations=value)
    if value is not None:  # fixed_point: max_iter=None means "the schedule's length"
        with pytest.raises(TypeError, match=rf"max_iter must be an int >= 0, got {value!r}"):
            solve(max_iter=value)
    # a float smoothing needs a count
    with pytest.raises(TypeError, match=r"max_iter is required when smoothing is a single float"):
        solve(max_iter=None, smoothing=0.5)


def test_an_iteration_count_beyond_torchs_index_range_is_named():
    """10**20 failed inside torch ("cannot fit 'int' into an index-sized integer"), naming no option."""
    with pytest.raises(ValueError, match=r"PIGNConv: num_iterations must be an int >= 0 and <= 2\*\*63 - 1 "
                                         r"\(torch's index range\), got 100000000000000000000"):
        PIGNConv(4, num_iterations=10**20)
    with pytest.raises(ValueError, match=r"max_iter must be an int >= 0 and <= 2\*\*63 - 1"):
        ic.SolveConfig(max_iter=10**20)
    assert ic.SolveConfig(max_iter=2**63 - 1).max_iter == 2**63 - 1  # the bound itself is taken
    assert ic.apriori_bound(0.5, 1.0, 10**20) == 0.0  # plain arithmetic, no torch index: any k
    assert ic.apriori_bound(1 - 2**-53, 1.0, 10**400) == ic.apriori_bound(0.0, 1.0, 10**400) == 0.0


def test_eval_schedule_must_cover_the_eval_iterations():
    with pytest.raises(ValueError, match=r"eval_smoothing schedule has 3 entries but eval_iterations=8"):
        PIGNConv(4, num_iterations=2, eval_iterations=8, eval_smoothing=[0.5] * 3)
    with pytest.raises(ValueError, match=r"eval_smoothing schedule has 3 entries but num_iterations=8"):
        PIGNConv(4, num_iterations=8, eval_smoothing=[0.5] * 3)
    # eval mode iterates the training schedule eval_iterations steps: it must be long enough
    with pytest.raises(ValueError, match=r"smoothing schedule has 4 entries but eval_iterations=6"):
        PIGNConv(4, num_iterations=4, smoothing=[0.5] * 4, eval_iterations=6)
    conv = PIGNConv(4, num_iterations=2, smoothing=[0.5] * 6, eval_iterations=6).eval()
    _, info = conv(torch.randn(5, 4), EI, return_info=True)
    assert info.iterations == 6


# --- item 9: solver options are range-checked ------------------------------------------------------
@pytest.mark.parametrize("options,error,match", [
    ({"beta": 0.0}, ValueError, r"beta \(mixing\) must be a finite number in \(0, 1\] or None, got 0\.0"),
    ({"beta": 1.5}, ValueError, r"beta .* got 1\.5"),
    ({"lam": -1.0}, ValueError, r"lam \(regularisation\) must be a finite number >= 0, got -1\.0"),
    ({"lam": float("nan")}, ValueError, r"lam .* got nan"),
    ({"m": 2.5}, TypeError, r"m \(memory\) must be an int >= 1, got 2\.5"),
    ({"m": 0}, ValueError, r"m \(memory\) must be an int >= 1, got 0"),
    ({"m": True}, TypeError, r"m \(memory\) must be an int >= 1, got True"),
])
def test_anderson_options_are_range_checked(options, error, match):
    with pytest.raises(error, match=match):
        PIGNConv(4, solver="anderson", solver_options=options)
    with pytest.raises(error, match=match):
        solve(solver="anderson", solver_options=options)
    with pytest.raises(error, match=r"backward_solver_options of solver 'anderson'"):
        PIGNConv(4, grad="implicit", backward_solver="anderson", backward_solver_options=options)
    with pytest.raises(error, match=match):  # the solver called directly checks them too
        ic.anderson(contraction, torch.zeros(2), ic.IterationMonitor(torch.zeros(2), max_iter=2),
                    [0.0, 0.0], **options)


def test_anderson_edge_values_are_accepted():
    z, info = solve(max_iter=60, tol=1e-10, solver="anderson", solver_options={"beta": 1.0, "lam": 0.0, "m": 1})
    assert info.status == "converged" and torch.allclose(z, torch.full((3, 2), 2.0))
    with pytest.raises(TypeError, match=r"solver_options must be a dict"):
        solve(solver="anderson", solver_options=[("m", 3)])


# --- item 11: the registries refuse bad names and factories ----------------------------------------
def _solver(f, z0, monitor, schedule):
    """A solver that stays where it starts, reporting each (zero) step as a solver must."""
    z = z0
    for k in range(monitor.max_iter):
        z, stop = monitor.accept(k, z, z.clone())
        if stop:
            break
    return z


@pytest.mark.usefixtures("registries")
def test_a_solver_that_reports_no_step_is_refused():
    """Its statistics read 0 iterations and a tol it never tested ('did not reach tol in 0 iterations')."""
    ic.register_solver("silent_for_test", lambda f, z0, monitor, schedule: f(f(z0)))
    with pytest.raises(RuntimeError, match=r"solver 'silent_for_test' returned without reporting a step: a solver "
                                           r"must call z, stop = monitor.accept\(k, z, z_new\)"):
        ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3), max_iter=5, solver="silent_for_test")


@pytest.mark.usefixtures("registries")
def test_a_layers_solver_that_reports_no_step_is_named_by_the_layer():
    """The error began "fixed_point():", which the user of a layer never called."""
    ic.register_solver("silent_for_test", lambda f, z0, monitor, schedule: f(f(z0)))
    conv = PIGNConv(4, solver="silent_for_test", num_iterations=3)
    with pytest.raises(RuntimeError, match=r"^PIGNConv: solver 'silent_for_test' returned without reporting a step"):
        conv(torch.randn(5, 4), torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]]))


@pytest.mark.usefixtures("registries")
def test_solver_options_are_checked_again_when_their_solver_is_registered_anew():
    """A layer built for a solver registered again with overwrite=True (a notebook cell run again, an
    option renamed) failed at its next call inside the solver: "unexpected keyword argument 'damp'"."""
    def damped(f, z0, monitor, schedule, *, damp: float = 0.5):
        z = z0
        for k in range(monitor.max_iter):
            z, stop = monitor.accept(k, z, z + damp * (f(z) - z), step_scale=damp)
            if stop:
                break
        return z

    ic.register_solver("damped_for_test", damped)
    conv = PIGNConv(4, solver="damped_for_test", solver_options={"damp": 0.3}, num_iterations=3)
    cfg = ic.SolveConfig(max_iter=3, solver="damped_for_test", solver_options={"damp": 0.3})
    x, ei = torch.randn(5, 4), torch.tensor([[0, 1, 2, 3], [1, 2, 3, 4]])
    conv(x, ei)
    ic.register_solver("damped_for_test", lambda f, z0, monitor, schedule, *, relax=0.5: damped(f, z0, monitor,
                                                                                                 schedule, damp=relax),
                       overwrite=True)
    with pytest.raises(TypeError, match=r"^PIGNConv: solver_options of solver 'damped_for_test': got unknown "
                                        r"keyword\(s\) 'damp'; valid keywords: relax"):
        conv(x, ei)
    with pytest.raises(TypeError, match=r"^fixed_point\(\): solver_options of solver 'damped_for_test': got unknown"):
        ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3), config=cfg)
    conv.configure(solver_options={"relax": 0.3})  # the new keyword: it runs
    conv(x, ei)


@pytest.mark.usefixtures("registries")
def test_a_solver_that_takes_more_than_max_iter_steps_is_refused():
    """It ran 15 steps for max_iter=10 and reported them as converged."""
    def greedy(f, z0, monitor, schedule):
        z = z0
        for k in range(monitor.max_iter + 5):
            z, _ = monitor.accept(k, z, f(z))
        return z

    ic.register_solver("greedy_for_test", greedy)
    with pytest.raises(RuntimeError, match=r"solver 'greedy_for_test' took 15 steps, more than max_iter=10"):
        ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3), max_iter=10, tol=1e-3, solver="greedy_for_test")


class _Square(torch.nn.Module):
    def __init__(self, channels: int):
        super().__init__()
        self.lin = torch.nn.Linear(channels, channels)

    def forward(self, x, edge_index):
        return self.lin(x)


@pytest.mark.usefixtures("registries")
def test_bad_registrations_are_refused_and_leave_the_registries_usable():
    before = (ic.available_solvers(), available_operators("pyg"))
    with pytest.raises(TypeError, match=r"operator name must be a non-empty string, got 5"):
        register_operator(5, _Square)
    with pytest.raises(ValueError, match=r"operator name must be a non-empty string, got ''"):
        register_operator("", _Square)
    with pytest.raises(TypeError, match=r"factory of operator 'mine' must be callable, got 5"):
        register_operator("mine", 5)
    with pytest.raises(TypeError, match=r"operator name must be a non-empty string, got None"):
        register_operator(None)  # the decorator form checks the name at once
    with pytest.raises(TypeError, match=r"solver name must be a non-empty string, got 7"):
        ic.register_solver(7, _solver)
    with pytest.raises(TypeError, match=r"solver name must be a non-empty string, got 7"):
        ic.register_solver(7)
    with pytest.raises(TypeError, match=r"solver registered as 'mine' must be callable, got 'f'"):
        ic.register_solver("mine", "f")
    with pytest.raises(TypeError, match=r"state_dict_keys"):
        register_operator("mine", _Square, state_dict_keys={1: "a"})
    assert (ic.available_solvers(), available_operators("pyg")) == before
    # every later layer still builds (a name that is not a string used to break every lookup)
    conv = PIGNConv(4, conv="gcn", solver="anderson")
    assert conv(torch.randn(5, 4), EI).shape == (5, 4)
    with pytest.raises(ValueError, match=r"unknown solver 'newton'; valid: 'anderson', .*'picard'"):
        PIGNConv(4, solver="newton")


@pytest.mark.usefixtures("registries")
def test_a_solver_name_that_differs_only_in_case_is_refused():
    """'Anderson' beside 'anderson' registered a second solver that a reader could not tell apart."""
    before = ic.available_solvers()
    for overwrite in (False, True):
        with pytest.raises(ValueError, match=r"solver 'Anderson' differs only in case from the registered "
                                             r"'anderson'; register it as 'anderson' \(with overwrite=True"):
            ic.register_solver("Anderson", _solver, overwrite=overwrite)
    assert ic.available_solvers() == before


@pytest.mark.usefixtures("registries")
def test_good_registrations_work_and_are_cleaned_up():
    register_operator("square_for_test", _Square)
    ic.register_solver("noop_for_test", _solver, check=lambda o: None)
    conv = PIGNConv(4, conv="square_for_test", solver="noop_for_test")
    x = torch.randn(5, 4)
    assert torch.equal(conv(x, EI), x)
    with pytest.raises(TypeError, match=r"check must be callable"):
        ic.register_solver("noop2_for_test", _solver, check=3)


@pytest.mark.usefixtures("registries")
def test_a_solver_option_written_as_an_ordinary_parameter_is_an_option():
    """``def damped(f, z0, monitor, schedule, damping=0.5)`` was registered, then every damping was
    refused ("it takes no keywords")."""
    used = []

    def damped(f, z0, monitor, schedule, damping=0.5):
        used.append(damping)
        return _solver(f, z0, monitor, schedule)

    ic.register_solver("damped_for_test", damped)
    assert ic.solver_options("damped_for_test") == {"damping": 0.5}
    ic.fixed_point(lambda z: 0.5 * z, torch.ones(3), max_iter=2, solver="damped_for_test",
                   solver_options={"damping": 0.1})
    assert used == [0.1]
    with pytest.raises(TypeError, match=r"unknown keyword.*'dampng'"):
        ic.fixed_point(lambda z: 0.5 * z, torch.ones(3), max_iter=2, solver="damped_for_test",
                       solver_options={"dampng": 0.1})

    def by_position(f, z0, monitor, schedule, damping=0.5, /):
        return _solver(f, z0, monitor, schedule)

    with pytest.raises(TypeError, match=r"options are passed by keyword; .*damping can only be passed by position"):
        ic.register_solver("position_for_test", by_position)


@pytest.mark.usefixtures("registries")
def test_a_solver_of_your_own_takes_options_through_its_keywords_and_returns_a_tensor_like_z0():
    """One declared with ``**options`` was refused every option ("it takes no keywords"); one that
    returned another shape (z0.sum()) passed its answer on silently."""
    seen = {}

    def keywords(f, z0, monitor, schedule, **options):
        seen.update(options)
        return _solver(f, z0, monitor, schedule)

    ic.register_solver("kw_for_test", keywords)
    ic.fixed_point(lambda z: 0.5 * z, torch.ones(3), max_iter=2, solver="kw_for_test", solver_options={"depth": 3})
    assert seen == {"depth": 3}
    ic.register_solver("sum_for_test", lambda f, z0, monitor, schedule: _solver(f, z0, monitor, schedule).sum())
    with pytest.raises(ValueError, match=r"fixed_point\(\): solver 'sum_for_test' must return a tensor of z0's shape, "
                                        r"dtype and device \(\(3,\), torch.float32, cpu\), got \(\(\), "):
        ic.fixed_point(lambda z: 0.5 * z, torch.ones(3), max_iter=2, solver="sum_for_test")


def test_the_registration_fixture_left_nothing_behind():
    assert "noop_for_test" not in ic.available_solvers() and "kw_for_test" not in ic.available_solvers()
    assert "square_for_test" not in available_operators("pyg")


@pytest.mark.parametrize("name", [1, None, ["gcn"]])
def test_choice_options_must_be_strings(name):
    with pytest.raises(TypeError, match=r"gradient mode \(grad\) must be a string, one of 'implicit'"):
        PIGNConv(4, grad=name)
    with pytest.raises(TypeError, match=r"on_divergence policy must be a string"):
        solve(on_divergence=name)


# --- item 13: memory and time follow the steps taken, not the cap ----------------------------------
class _Recording(ic.IterationMonitor):
    made: list = []

    def __init__(self, *a, **k):
        super().__init__(*a, **k)
        _Recording.made.append(self)


def test_a_huge_cap_with_a_tol_reached_quickly_allocates_little(monkeypatch):
    monkeypatch.setattr(FP, "IterationMonitor", _Recording)
    _Recording.made = []
    batch = torch.tensor([0, 0, 1, 1, 1])
    W = torch.tensor(0.5, requires_grad=True)
    f = lambda z: W * z + 1.0  # noqa: E731
    tracemalloc.start()
    try:
        z, info = ic.fixed_point(f, torch.zeros(5, 3), max_iter=10**7, tol=1e-4, batch=batch, num_graphs=2,
                                 grad="implicit", smoothing=0.0)
        z.sum().backward()
        conv = PIGNConv(4, num_iterations=10**7, tol=1e-4, smoothing=0.0)
        _, linfo = conv(torch.randn(5, 4), EI, return_info=True)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert info.status == "converged" and info.iterations < 30
    assert info.backward.status == "converged" and W.grad is not None
    assert linfo.status == "converged" and linfo.iterations < 200
    # forward, adjoint (backward) and layer monitors: buffers sized by the steps taken
    assert len(_Recording.made) == 3
    for mon in _Recording.made:
        assert mon.capacity <= max(64, 2 * mon.iterations)
        assert mon._graph_res is None or mon._graph_res.shape[0] == mon.capacity
    assert peak < 2 * 2**20  # bytes of Python objects: no list of 10**7 smoothing factors


def test_buffers_grow_past_their_initial_size():
    q = 0.95
    z, info = ic.fixed_point(lambda z: q * z + 1.0, torch.zeros(4, dtype=torch.float64), max_iter=10**6, tol=1e-9, smoothing=0.0,
                             trace=True)
    assert info.status == "converged" and 200 < info.iterations < 600  # past the 64 rows it starts with
    assert info.residuals.numel() == info.iterations and torch.isfinite(info.residuals).all()
    assert torch.allclose(z, torch.full((4,), 1 / (1 - q), dtype=torch.float64), rtol=1e-7)


def test_a_schedule_is_read_step_by_step():
    sched, n = ic.schedules.resolve_schedule(0.3, 10**9)
    assert n == 10**9 and len(sched) == 10**9 and sched[123456789] == 0.3 and sched[-1] == 0.3
    with pytest.raises(IndexError):
        sched[10**9]
    sched, n = ic.schedules.resolve_schedule(torch.tensor([0.1, 0.2, 0.3]), None)
    assert n == 3 and list(sched) == pytest.approx([0.1, 0.2, 0.3])


# --- item 14: every option is checked at construction, and in fixed_point() ------------------------
@pytest.mark.parametrize("kw,error,match", [
    ({"backward_max_iter": -1}, ValueError, r"backward_max_iter must be an int >= 1 or None, got -1"),
    ({"backward_max_iter": 0}, ValueError, r"backward_max_iter must be an int >= 1 or None, got 0"),
    ({"backward_max_iter": 2.0}, TypeError, r"backward_max_iter must be an int >= 1 or None, got 2\.0"),
    ({"backward_tol": -1}, ValueError, r"backward_tol must be a finite number >= 0 or None, got -1\.0"),
    ({"check_every": 0}, ValueError, r"check_every must be an int >= 1, got 0"),
    ({"min_iter": 9}, ValueError, r"min_iter must be an int >= 0 and <= num_iterations, got 9 "
                                  r"\(more than num_iterations=8\)"),
    ({"min_iter": -1}, ValueError, r"min_iter must be an int >= 0"),
    ({"tol": True}, TypeError, r"tol must be a finite number >= 0 or None, got True"),
    ({"tol": -1e-3}, ValueError, r"tol must be a finite number >= 0 or None, got -0\.001"),
    ({"tol": float("nan")}, ValueError, r"tol must be .* got nan"),
    ({"tol": "1e-4"}, TypeError, r"tol must be .* got '1e-4' \(a str\)"),
    ({"phantom_steps": 0}, ValueError, r"phantom_steps must be an int >= 1, got 0"),
    ({"trace": "yes"}, TypeError, r"trace must be True or False, got 'yes'"),
])
def test_solve_options_are_checked_by_the_layer_and_by_fixed_point(kw, error, match):
    with pytest.raises(error, match=r"PIGNConv: " + match):
        PIGNConv(4, num_iterations=8, **kw)
    fp_match = match.replace("num_iterations", "max_iter")
    with pytest.raises(error, match=r"fixed_point\(\): " + fp_match):
        solve(max_iter=8, **kw)


@pytest.mark.parametrize("kw,error,match", [
    ({"eval_smoothing": 1.5}, ValueError, r"eval_smoothing must be a finite number in \[0, 1\), got 1\.5"),
    ({"eval_iterations": -3}, ValueError, r"eval_iterations must be an int >= 0 or None, got -3"),
    ({"num_iterations": 8, "eval_iterations": 3, "min_iter": 5}, ValueError, r"min_iter .* got 5 \(more than eval_iterations=3\)"),
    ({"num_iterations": "3"}, TypeError, r"num_iterations must be an int >= 0, got '3' \(a str\)"),
    ({"num_iterations": None}, TypeError, r"num_iterations must be an int >= 0, got None"),
    ({"smoothing": "0.5"}, TypeError, r"smoothing must be a float in \[0, 1\) or a sequence .* got '0\.5' \(a str\)"),
    ({"smoothing": [0.5, "0.5", 0.5]}, TypeError, r"smoothing schedule entries must be floats .* step 1 has '0\.5'"),
    ({"smoothing": [0.5, 1.0, 0.5]}, ValueError, r"smoothing factors must lie in \[0, 1\); step 1 has 1\.0"),
    ({"act_lipschitz": 0}, ValueError, r"act_lipschitz must be a finite number > 0 or None, got 0\.0"),
    ({"act_lipschitz": "1"}, TypeError, r"act_lipschitz must be .* got '1' \(a str\)"),
    ({"dropout": "0.1"}, TypeError, r"dropout must be a finite number in \[0, 1\), got '0\.1' \(a str\)"),
    ({"dropout": 1.0}, ValueError, r"dropout must be a finite number in \[0, 1\), got 1\.0"),
    ({"contraction": "0.9"}, TypeError, r"contraction must be a finite number in \(0, 1\) or None, got '0\.9'"),
    ({"contraction": 1.0}, ValueError, r"contraction must be .* got 1\.0"),
    ({"inject_input": "no"}, TypeError, r"inject_input must be True or False, got 'no'"),
    ({"validate": 1}, TypeError, r"validate must be True or False, got 1"),
    ({"solver_options": "m=3"}, TypeError, r"solver_options must be a dict of keyword options or None"),
])
def test_layer_options_fail_at_construction_with_clear_messages(kw, error, match):
    kw = {"num_iterations": 3, **kw}
    with pytest.raises(error, match=r"PIGNConv: " + match):
        PIGNConv(4, form="paper", **kw)


@pytest.mark.parametrize("f,z0,error,match", [
    (lambda z: 0.5 * z[:1], torch.zeros(2), ValueError, r"f must return a tensor of z0's shape, dtype and device "
                                                        r"\(\(2,\), torch\.float32, cpu\), got \(\(1,\)"),
    (lambda z: 0.5 * z.double(), torch.zeros(2), ValueError, r"f must return .* got \(\(2,\), torch\.float64, cpu\)"),
    (lambda z: [z], torch.zeros(2), TypeError, r"f must return a tensor like z0, got \[tensor"),
    (lambda z: z, torch.zeros(2, dtype=torch.long), TypeError, r"z0 has dtype torch\.int64; .* floating point"),
    (lambda z: 0.5 * z, torch.zeros(2, dtype=torch.complex64), TypeError,
     r"z0 has dtype torch\.complex64; complex iterates are not supported .* torch\.view_as_real"),
    (lambda z: z.mul_(0.5).add_(1.0), torch.zeros(2), ValueError, r"f modified its input in place"),
    (lambda z, buf=torch.empty(2): torch.add(0.5 * z, 1.0, out=buf), torch.zeros(2), ValueError,
     r"f modified its input in place \(or wrote into a tensor it returned before"),
], ids=["shape", "dtype", "list", "integer-z0", "complex-z0", "in-place", "out-buffer"])
def test_fixed_point_checks_what_f_returns_and_z0s_dtype(f, z0, error, match):
    """An output of another shape used to be broadcast into the iterate: a fixed point of the wrong
    map, returned as converged. A complex z0 failed inside the first residual norm with torch's
    message. An f that wrote into its input (or into the buffer it returned, the iterate) made every
    step read zero: "converged" after one step, anywhere (z.mul_(0.5).add_(1) at 1, not 2)."""
    # (Anderson copies each output into its history, so a reused out= buffer does not hurt it)
    for solver in ("picard",) if "wrote into" in match else ("picard", "anderson"):
        with pytest.raises(error, match=r"fixed_point\(\): " + match):
            ic.fixed_point(f, z0.clone(), max_iter=3, smoothing=0.0, solver=solver)
        if "in place" in match:  # an inference tensor has no version counter: a copy tells
            with torch.inference_mode(), pytest.raises(error, match=r"fixed_point\(\): " + match):
                ic.fixed_point(f, z0.clone(), max_iter=3, smoothing=0.0, solver=solver)


@pytest.mark.parametrize("f", [lambda z: z if z.norm() <= 10 else 10 * z / z.norm(), lambda z: z.float(),
                               lambda z: z.view_as(z)], ids=["projection", "float", "view"])
def test_an_f_that_returns_its_input_unchanged_is_no_in_place_change_under_inference_mode(f):
    """Under inference_mode an output in the input's storage was taken for a change in place: a
    projection returning a feasible z unchanged (a fixed point) was refused."""
    assert ic.fixed_point(f, torch.ones(3), max_iter=3)[1].status == "fixed"
    with torch.inference_mode():
        z, info = ic.fixed_point(f, torch.ones(3), max_iter=3)
    assert info.status == "fixed" and torch.equal(z, torch.ones(3))


def test_contraction_with_a_callable_activation_needs_its_lipschitz_constant():
    """Taken as 1 without a word, an activation of constant 3 made contraction=0.5 a 1.5-expansion."""
    match = r"PIGNConv: contraction=0\.5 bounds the step .* callable act=<lambda> does not tell: pass act_lipschitz="
    with pytest.raises(ValueError, match=match):
        PIGNConv(4, form="paper", act=lambda z: 3 * z, contraction=0.5)
    conv = PIGNConv(4, form="paper", act=lambda z: 3 * z)
    with pytest.raises(ValueError, match=match):
        conv.contraction = 0.5
    assert conv.contraction is None
    conv = PIGNConv(4, form="paper", act=lambda z: 3 * z, act_lipschitz=3.0, contraction=0.5)
    assert conv.act_lipschitz == 3.0 and conv._lipschitz_budget() == pytest.approx(0.5 / 3.0)
    PIGNConv(4, form="paper", act="tanh", contraction=0.5)  # a builtin's constant is known


def test_a_scalar_tensor_smoothing_is_its_float():
    """A 0-d tensor was refused as "must be 1-D"; one that requires grad would be a learned factor,
    which the layer does not learn."""
    assert PIGNConv(4, smoothing=torch.tensor(0.25)).smoothing == 0.25
    assert PIGNConv(4, smoothing=torch.tensor(0)).smoothing == 0.0
    assert PIGNConv(4, smoothing=np.array(0.5)).smoothing == 0.5
    assert solve(smoothing=torch.tensor(0.25))[1].iterations == 4
    with pytest.raises(TypeError, match=r"PIGNConv: smoothing is a fixed factor, not a learned one; .* pass "
                                        r"float\(smoothing\)"):
        PIGNConv(4, smoothing=torch.tensor(0.25, requires_grad=True))
    with pytest.raises(TypeError, match=r"PIGNConv: smoothing is a fixed schedule, not a learned one; .* pass "
                                        r"smoothing.tolist\(\)"):  # (a 1-D one was read, its gradient lost)
        PIGNConv(4, num_iterations=3, smoothing=torch.full((3,), 0.25, requires_grad=True))
    with pytest.raises(ValueError, match=r"PIGNConv: smoothing must be a finite number in \[0, 1\), got 1\.5"):
        PIGNConv(4, smoothing=torch.tensor(1.5))


def test_options_of_fixed_point_alone():
    with pytest.raises(TypeError, match=r"fixed_point\(\): f must be a callable"):
        ic.fixed_point(3.0, torch.zeros(2), max_iter=2)
    with pytest.raises(ValueError, match=r"divergence_growth must be a finite number >= 1, got 0\.5"):
        solve(divergence_growth=0.5)
    # phantom_steps is checked whatever the gradient mode (it used to be read only in "phantom")
    with pytest.raises(ValueError, match=r"phantom_steps"):
        with torch.no_grad():
            solve(phantom_steps=0, grad="unrolled")


def test_valid_values_of_other_numeric_types_are_accepted():
    import numpy as np

    conv = PIGNConv(4, num_iterations=np.int64(3), tol=np.float32(1e-3), dropout=np.float64(0.1),
                    min_iter=np.int32(1), smoothing=np.array([0.1, 0.2, 0.3]), on_nonconvergence="ignore")
    assert conv.num_iterations == 3 and isinstance(conv.num_iterations, int) and isinstance(conv.tol, float)
    assert conv(torch.randn(5, 4), EI).shape == (5, 4)


# --- batch and num_graphs in fixed_point() ---------------------------------------------------------
def test_bad_batch_ids_and_num_graphs_are_named():
    z0 = torch.zeros(4, 2)
    with pytest.raises(ValueError, match=r"batch holds the negative graph index -1"):
        ic.fixed_point(contraction, z0, max_iter=3, batch=torch.tensor([0, 0, -1, 1]))
    with pytest.raises(ValueError, match=r"batch holds the graph index 3 but num_graphs=2 \(valid indices 0\.\.1\); "
                                         r"pass num_graphs >= 4"):
        ic.fixed_point(contraction, z0, max_iter=3, batch=torch.tensor([0, 1, 3, 3]), num_graphs=2)
    with pytest.raises(ValueError, match=r"batch holds the graph index 1 but num_graphs=1"):
        ic.fixed_point(contraction, z0, max_iter=3, tol=1e-3, batch=torch.tensor([0, 0, 1, 1]), num_graphs=1)
    with pytest.raises(TypeError, match=r"num_graphs must be an int >= 0 or None, got 2\.0"):
        ic.fixed_point(contraction, z0, max_iter=3, batch=torch.tensor([0, 0, 1, 1]), num_graphs=2.0)
    with pytest.raises(TypeError, match=r"batch must be a 1-D int64 tensor"):
        ic.fixed_point(contraction, z0, max_iter=3, batch=[0, 0, 1, 1])
    # without a batch vector the rows are one graph: num_graphs=1 says so, another count is refused
    with pytest.raises(ValueError, match=r"num_graphs=3 was given without a batch vector"):
        ic.fixed_point(contraction, z0, max_iter=3, num_graphs=3)
    torch.testing.assert_close(ic.fixed_point(contraction, z0, max_iter=3, num_graphs=1)[0],
                               ic.fixed_point(contraction, z0, max_iter=3)[0], rtol=0, atol=0)
    # the layer passes its batch on: the same messages
    with pytest.raises(ValueError, match=r"batch holds the graph (index|id) 5 but num_graphs=2"):
        PIGNConv(4)(torch.randn(5, 4), EI, batch=torch.tensor([0, 0, 1, 1, 5]), num_graphs=2)
    # graphs without rows are fine, and the right count still works
    z, info = ic.fixed_point(contraction, z0, max_iter=60, tol=1e-8, batch=torch.tensor([0, 0, 2, 2]),
                             num_graphs=3)
    assert info.converged.tolist() == [True, True, True]


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_a_tol_below_a_half_iterates_resolution_is_refused(dtype):
    """Steps that round to zero met tol=1e-7: float16 reported "converged" 1e-3 away from the fixed
    point. A tol the dtype resolves, or float32, is fine."""
    eps = torch.finfo(dtype).eps
    with pytest.raises(ValueError, match=rf"fixed_point\(\): tol=1e-07 is below what {dtype} iterates resolve"):
        ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3, dtype=dtype), tol=1e-7, max_iter=50)
    _, info = ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3, dtype=dtype), tol=2 * eps, max_iter=50)
    assert info.status == "converged"
    ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3), tol=1e-7, max_iter=50)  # float32
    ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3, dtype=dtype), tol=1e-7, stop="abs", max_iter=50)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_an_adjoint_tol_below_a_half_iterates_resolution_is_refused(dtype):
    """The adjoint stops on its relative residual whatever stop is: an absolute forward tol of 1e-7,
    or a backward_tol of 1e-7, became a relative tol its steps met by rounding to zero."""
    def f(z):
        return 0.5 * z + x

    x = torch.ones(3, dtype=dtype, requires_grad=True)
    for options, given in ((dict(tol=1e-7, stop="abs", on_nonconvergence="ignore"), r"tol=1e-07 \(backward_tol=None takes tol\)"),
                           (dict(tol=1e-1, backward_tol=1e-7), "backward_tol=1e-07")):
        with pytest.raises(ValueError, match=rf"grad='implicit' solves the adjoint to {given} on its relative "
                                             rf"residual, whatever stop is, below what {dtype} iterates resolve"):
            ic.fixed_point(f, torch.zeros(3, dtype=dtype), grad="implicit", max_iter=50, **options)
        if "backward_tol" not in options:  # (which warns without an adjoint)
            ic.fixed_point(f, torch.zeros(3, dtype=dtype), max_iter=50, **options)  # no adjoint: fine
        with torch.no_grad():  # no gradient recorded: fine
            ic.fixed_point(f, torch.zeros(3, dtype=dtype), grad="implicit", max_iter=50, **options)
        # nothing requires a gradient (a frozen model outside no_grad): no adjoint, fine
        ic.fixed_point(lambda z: 0.5 * z + 1, torch.zeros(3, dtype=dtype), grad="implicit", max_iter=50, **options)
    z, _ = ic.fixed_point(f, torch.zeros(3, dtype=dtype), grad="implicit", max_iter=50, tol=1e-1,
                          backward_tol=2 * torch.finfo(dtype).eps)
    z.sum().backward()
    assert torch.allclose(x.grad.float(), torch.full((3,), 2.0), rtol=0.05)


@pytest.mark.usefixtures("registries")
def test_a_built_in_name_taken_before_its_adapter_is_imported_is_refused():
    """The adapter's own registration at import then failed ("already registered"): importing it broke."""
    from iterative_core.operators import register_operator as register_core
    _OPERATORS.pop("dgl", None)  # as before dgl_iterative is imported
    with pytest.raises(ValueError, match=r"operator 'gcn' is a built-in of backend 'dgl', registered when "
                                         r"dgl_iterative is imported: import it first"):
        register_core("gcn", _Square, backend="dgl")
    register_core("mine_for_test", _Square, backend="dgl")  # another name: fine


@pytest.mark.usefixtures("registries")
def test_a_misspelt_operator_to_convert_before_the_adapter_is_imported_gets_the_built_in_names():
    """It was told to import the adapter ("no operators are registered"), which the conversion does not need."""
    from iterative_core.operators import convert_state_dict
    _OPERATORS.pop("dgl", None)
    with pytest.raises(ValueError, match=r"unknown operator 'sgae' of backend 'dgl'; did you mean the built-in "
                                         r"'sage'\? \(the built-ins convert without importing dgl_iterative"):
        convert_state_dict({}, "sgae", "dgl", "pyg")


@pytest.mark.usefixtures("registries")
@pytest.mark.parametrize("solver, message", [
    (lambda f, z0, monitor, schedule, *, m: z0, r"each option with a default; 'bad_for_test' takes "
                                                r"\(f, z0, monitor, schedule, \*, m\): give m a default"),
    (lambda f, z0, monitor, schedule, extra: z0, r"give extra a default"),
    (lambda *, f, z0, monitor, schedule: z0, r"a solver takes \(f, z0, monitor, schedule, \*\*options\); "
                                             r"'bad_for_test' takes \(\*, f, z0"),
])
def test_a_solver_whose_signature_fails_at_every_call_is_refused_when_registered(solver, message):
    with pytest.raises(TypeError, match=message):
        ic.register_solver("bad_for_test", solver)
    assert "bad_for_test" not in ic.available_solvers()


class _FormsWithoutBind(_Square):
    """Declares the forms' options its own, as the error for form='appnp' advised, but has no bind: the
    form's alpha * x never reached it, and the output did not depend on the input."""

    takes_forms = True

    def __init__(self, channels: int, alpha: float = 0.0, beta=None):
        super().__init__(channels)


class _BoundWithoutBudget(_Square):
    def bind(self, x, graph, edge_weight=None):
        return self.lin


@pytest.mark.usefixtures("registries")
def test_an_operator_that_cannot_take_what_the_layer_gives_it_is_refused_when_built():
    register_operator("forms_for_test", _FormsWithoutBind)
    with pytest.raises(ValueError, match=r"form='appnp' adds alpha \* x at every step.*conv='forms_for_test' "
                                         r"declares takes_forms = True but has no bind"):
        PIGNConv(4, conv="forms_for_test")
    PIGNConv(4, conv="forms_for_test", form="paper", inject_input=True)  # the way out the message names
    # contraction= reaches an operator only through its bind: the attribute alone was accepted, and ignored
    bounded = _Square(4)
    bounded.supports_contraction = True
    with pytest.raises(ValueError, match=r"contraction=.*supports_contraction = True and a bind"):
        ic.wrapping.OperatorLayerBase(bounded, 4, contraction=0.5)
    # a bind without lipschitz_budget failed at the first call, with Python's TypeError
    with pytest.raises(TypeError, match=r"_BoundWithoutBudget.bind must take the keyword lipschitz_budget"):
        ic.wrapping.OperatorLayerBase(_BoundWithoutBudget(4), 4)


@pytest.mark.usefixtures("registries")
def test_a_factory_that_cannot_take_the_width_is_refused_when_registered():
    """It was registered, listed among the valid names ever after, and failed at every build."""
    with pytest.raises(TypeError, match=r"operator 'noargs': a registered factory is called as factory\(channels, "
                                        r"\*\*options\), channels positional; <lambda> takes \(\)"):
        register_operator("noargs", lambda: _Square(4))
    assert "noargs" not in available_operators("pyg")

    def needs_heads(channels, *, heads):  # a keyword without a default, which every build may pass
        return _Square(channels)

    register_operator("heads_for_test", needs_heads)
    assert PIGNConv(4, conv="heads_for_test", heads=2)(torch.randn(5, 4), EI).shape == (5, 4)


@pytest.mark.parametrize("value", [torch.int64, "float16", 16])
def test_fixed_point_returned_dtype_must_be_a_floating_dtype(value):
    with pytest.raises(TypeError, match=r"^fixed_point\(\): returned_dtype must be a floating torch.dtype or None"):
        ic.fixed_point(lambda z: z / 2, torch.ones(3), returned_dtype=value)


def test_numpy_bools_are_flags():
    """numpy 2 names its bool type ``bool``, not ``bool_``: ``trace=np.True_`` was refused as "not a bool"."""
    assert ic.SolveConfig(trace=np.True_, validate=np.False_).trace is True


def test_an_unknown_backward_solver_is_named_as_that_option():
    with pytest.raises(ValueError, match=r"^fixed_point\(\): unknown backward_solver 'andersen'; .*Did you mean "
                                         r"'anderson'\?"):
        ic.fixed_point(lambda z: 0.5 * z, torch.ones(3), max_iter=2, grad="implicit", backward_solver="andersen")


@pytest.mark.parametrize("value, error", [(3, TypeError), ("", ValueError)])
def test_a_backward_solver_that_is_no_solver_name_is_named_with_the_caller_and_the_valid_ones(value, error):
    """It was checked as a registry name: the message named neither the caller nor the solvers."""
    for call, where in ((lambda: PIGNConv(4, grad="implicit", backward_solver=value), "PIGNConv"),
                        (lambda: ic.fixed_point(lambda z: 0.5 * z, torch.ones(3), max_iter=2, grad="implicit",
                                                backward_solver=value), r"fixed_point\(\)")):
        with pytest.raises(error, match=rf"^{where}: .*backward_solver.*'anderson', .*'picard'"):
            call()


def test_a_batch_of_another_dtype_is_a_type_error_in_fixed_point_as_in_the_layers():
    z0 = torch.zeros(4, 2)
    for dtype in (torch.int32, torch.float32, torch.bool):
        with pytest.raises(TypeError, match=rf"^fixed_point\(\): batch must be an int64 tensor .*got {dtype}: "
                                            r"convert it, batch\.long\(\)$"):
            ic.fixed_point(contraction, z0, max_iter=3, batch=torch.tensor([0, 0, 1, 1]).to(dtype))
        with pytest.raises(TypeError, match=rf"^PIGNConv: batch must be int64 .*got {dtype}"):
            PIGNConv(2)(z0, EI[:, :2] % 4, batch=torch.tensor([0, 0, 1, 1]).to(dtype))


def test_a_registry_name_with_surrounding_whitespace_is_refused():
    """``"mine "`` beside ``"mine"`` made two entries that no reader could tell apart."""
    with pytest.raises(ValueError, match=r"solver name must not begin or end with whitespace, got 'picard '"):
        ic.register_solver("picard ", lambda f, z0, monitor, schedule: z0)
    assert "picard " not in ic.available_solvers()
