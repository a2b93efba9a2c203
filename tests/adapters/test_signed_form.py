"""The "signed" form (learned per-channel propagation coefficients of either sign) in both adapters:
the step against a dense reference, its bound, its gradients, its options and checkpoints."""
from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import torch

from iterative_core.forms import FORMS
from tests.helpers import dense_gcn_matrix, random_graph


def dense_signed(x, A, gamma, b, *, iterations, alpha=0.1, smoothing=0.3):
    """z <- s z + (1 - s) ((A z) diag(gamma) + alpha x + b), from z = x."""
    z = x
    for _ in range(iterations):
        z = smoothing * z + (1 - smoothing) * ((A @ z) * gamma + alpha * x + b)
    return z


def _undirected(n, m, seed):
    edge_index, _ = random_graph(n, m, isolated=2, seed=seed)
    return torch.cat([edge_index, edge_index.flip(0)], 1)


@pytest.mark.parametrize("weighted", [True, False])
def test_signed_form_matches_dense_reference(backend, weighted):
    n = 30
    edge_index, w = random_graph(n, 120, isolated=3, weighted=weighted, seed=2)
    conv = backend.PIGNConv(16, num_iterations=7, form="signed")
    op = conv.operator
    assert (conv.smoothing, conv.act, op.alpha, op.weight, op.propagation) == (0.3, "identity", 0.1, None, "signed")
    assert op.bias is None and op.gamma_max == 0.9  # the form: no bias in the step, |gamma| < 0.9
    assert torch.allclose(op.gamma(), torch.full((16,), 0.5))  # gamma_init
    with torch.no_grad():
        op.gamma_logit.copy_(torch.randn(16))
    gamma = op.gamma().detach()
    assert (gamma > 0).any() and (gamma < 0).any()
    x = torch.randn(n, 16)
    A = dense_gcn_matrix(edge_index, w, n)
    out = backend.call(conv, x, edge_index, w)
    ref = dense_signed(x, A, gamma, 0.0, iterations=7)
    assert (out - ref).norm() / ref.norm() <= 1e-5
    biased = backend.PIGNConv(16, num_iterations=7, form="signed", bias=True)  # a bias when asked for
    with torch.no_grad():
        biased.operator.gamma_logit.copy_(op.gamma_logit)
        biased.operator.bias.copy_(torch.randn(16))
    ref = dense_signed(x, A, gamma, biased.operator.bias.detach(), iterations=7)
    out = backend.call(biased, x, edge_index, w)
    assert (out - ref).norm() / ref.norm() <= 1e-5


def test_signed_with_a_learned_weight_matches_dense_reference(backend):
    """With the identity mapping (beta > 0) the coefficients scale the columns of Â z W:
    z <- Â z W' diag(gamma) + alpha x W' + b, W' = (1 - beta) I + beta W."""
    n = 25
    edge_index, w = random_graph(n, 90, seed=4)
    conv = backend.PIGNConv(6, num_iterations=5, form="signed", beta=0.3, smoothing=0.0)
    op = conv.operator
    with torch.no_grad():
        op.gamma_logit.copy_(torch.randn(6))
    gamma, W = op.gamma().detach(), (0.7 * torch.eye(6) + 0.3 * op.weight).detach()
    A = dense_gcn_matrix(edge_index, w, n)
    x = torch.randn(n, 6)
    z = x
    assert op.bias is None
    for _ in range(5):  # the weight acts as z @ W^T (torch's Linear convention)
        z = (A @ z @ W.t()) * gamma + 0.1 * x @ W.t()
    out = backend.call(conv, x, edge_index, w)
    assert (out - z).norm() / z.norm() <= 1e-5


def test_coefficients_stay_inside_the_bound_and_start_at_gamma_init(backend):
    conv = backend.PIGNConv(5, form="signed", gamma_init=0.6, gamma_max=0.9, gamma_scale=2.0)
    op = conv.operator
    assert torch.allclose(op.gamma(), torch.full((5,), 0.6))
    with torch.no_grad():
        op.gamma_logit.copy_(torch.tensor([-1e6, -3.0, 0.0, 3.0, 1e6]))
    g = op.gamma()
    assert bool((g.abs() <= 0.9).all()) and g[0] < g[1] < g[2] < g[3] < g[4]
    assert math.isclose(float(g[2].detach()), 0.6, rel_tol=1e-6)
    conv.reset_parameters()
    assert torch.allclose(op.gamma(), torch.full((5,), 0.6))


def test_the_step_is_a_gamma_max_contraction_on_undirected_graphs(backend):
    edge_index = _undirected(40, 120, seed=5)
    conv = backend.PIGNConv(8, form="signed", smoothing=0.0, num_iterations=300, tol=1e-12,
                            on_nonconvergence="ignore")
    with torch.no_grad():
        conv.operator.gamma_logit.copy_(torch.linspace(-5, 5, 8))  # |gamma| near 0.9 at both ends
    out, info = backend.call(conv, torch.randn(40, 8), edge_index, return_info=True)
    assert 0.8 < info.contraction_factor <= 0.9 + 1e-4, info


def test_contraction_budget_uses_the_largest_coefficient(backend):
    """With contraction=kappa and a learned W, max|gamma| ||Â|| ||W s|| <= kappa after the rescaling."""
    edge_index = _undirected(30, 90, seed=6)
    conv = backend.PIGNConv(6, form="signed", beta=1.0, contraction=0.5, num_iterations=300, tol=1e-7,
                            smoothing=0.0)
    with torch.no_grad():
        conv.operator.weight.mul_(20.0)
        conv.operator.gamma_logit.fill_(1.0)
    out, info = backend.call(conv, torch.randn(30, 6), edge_index, return_info=True)
    assert info.converged and info.contraction_factor <= 0.5 + 1e-4


@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
def test_gradcheck_every_gradient_mode(backend, grad):
    """float64 finite differences w.r.t. the input and the learned coefficients."""
    n = 10
    edge_index = _undirected(n, 20, seed=7)
    g = backend.graph(edge_index, n)
    # unrolled: the exact derivative of 6 steps; implicit: of the fixed point solved to 1e-13 (|gamma| <
    # 0.6); phantom: its last 8 steps on a strong contraction (|gamma| < 0.1) approximate that to ~0.1^8
    converged = dict(num_iterations=400, tol=1e-13, stop="abs", backward_tol=1e-13, on_nonconvergence="raise",
                     smoothing=0.0)
    extra = {"unrolled": dict(num_iterations=6),
             "implicit": dict(converged, gamma_max=0.6),
             "phantom": dict(converged, gamma_max=0.1, gamma_init=0.0, phantom_steps=8)}[grad]
    conv = backend.PIGNConv(3, form="signed", grad=grad, **extra).double()
    x = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)
    theta = torch.randn(3, dtype=torch.float64, requires_grad=True)

    def run(x, theta):  # the coefficients' parameter as a function argument
        op = conv.operator
        saved = op.gamma_logit
        try:
            del op.gamma_logit
            op.gamma_logit = theta
            return backend.run(conv, x, g)
        finally:
            del op.gamma_logit
            op.gamma_logit = saved

    assert torch.autograd.gradcheck(run, (x, theta))


def _rings(sizes: list[int]) -> torch.Tensor:
    """Undirected rings with one chord each, stored one after another (a batch of graphs)."""
    parts, off = [], 0
    for s in sizes:
        ring = torch.arange(s)
        src, dst = torch.cat([ring, ring[:1]]), torch.cat([(ring + 1) % s, ring[-1:] - 1])
        parts.append(torch.stack([torch.cat([src, dst]), torch.cat([dst, src])]) + off)
        off += s
    return torch.cat(parts, 1)


@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
def test_gradcheck_at_the_forms_defaults_on_a_batch_that_stops_per_graph(backend, grad):
    """float64 finite differences at the form's own smoothing (0.3: the smoothed sparse step with its
    addend, which the test above, at smoothing 0, does not take), on a batch of three graphs that each stop
    at a tol of their own, w.r.t. the input and the coefficients (fixed edge weights), and w.r.t. learned
    edge weights."""
    sizes = [3, 4, 3]
    edge_index = _rings(sizes)
    gen = torch.Generator().manual_seed(1)
    x = torch.randn(10, 3, generator=gen, dtype=torch.float64)
    x[3:7] *= 5.0  # graphs of other scales: they stop at other steps
    theta = 0.3 * torch.randn(3, generator=gen, dtype=torch.float64)  # (untied: max |gamma| is no kink)
    w = torch.rand(edge_index.size(1), generator=gen, dtype=torch.float64) + 0.5
    converged = dict(num_iterations=600, tol=1e-13, stop="abs", backward_tol=1e-13, on_nonconvergence="raise")
    extra = {"unrolled": dict(num_iterations=60, tol=1e-5),  # each graph stops on its own: piecewise smooth
             "implicit": dict(converged, gamma_max=0.6),
             "phantom": dict(converged, gamma_max=0.5, gamma_init=0.2, phantom_steps=80)}[grad]
    conv = backend.PIGNConv(3, grad=grad, **extra).double()
    assert conv.smoothing == FORMS["signed"]["smoothing"] == 0.3

    if backend.name == "pyg":
        graph = dict(edge_index=edge_index, batch=torch.repeat_interleave(torch.arange(3), torch.tensor(sizes)))
    else:
        graph = dict(graph=backend.graph(edge_index, 10, sizes))

    def run(x, theta, w, **kw):  # the coefficients' parameter as a function argument
        features = {"x" if backend.name == "pyg" else "feat": x}
        return torch.func.functional_call(conv, {"operator.gamma_logit": theta}, (),
                                          {**features, **graph, "edge_weight": w, **kw})

    if grad == "unrolled":
        _, info = run(x, theta, w, return_info=True)
        assert len(set(info.graph_iterations.tolist())) > 1, info  # the graphs stopped at steps of their own
    x, theta, w_learned = (t.clone().requires_grad_() for t in (x, theta, w))
    # fixed weights take the sparse step; learned ones the differentiable propagation
    assert torch.autograd.gradcheck(lambda x, theta: run(x, theta, w), (x, theta))
    assert torch.autograd.gradcheck(lambda w: run(x.detach(), theta.detach(), w), (w_learned,))


def test_coefficients_receive_gradients_and_change_sign_in_training(backend):
    """On an even cycle the alternating signal is an eigenvector of Â with eigenvalue -1/3, so the
    fixed point is 0.1 x / (1 + gamma / 3): fitting 0.14 x needs gamma = -6/7 (a high-pass filter),
    which training finds from gamma = 0."""
    n = 40
    ring = torch.arange(n)
    edge_index = torch.stack([torch.cat([ring, (ring + 1) % n]), torch.cat([(ring + 1) % n, ring])])
    x = torch.tensor([1.0, -1.0]).repeat(n // 2).unsqueeze(-1) * torch.ones(n, 4)
    conv = backend.PIGNConv(4, form="signed", num_iterations=40, bias=False)
    opt = torch.optim.Adam(conv.parameters(), lr=0.05)
    for _ in range(80):
        opt.zero_grad()
        loss = (backend.call(conv, x, edge_index) - 0.14 * x).pow(2).mean()
        loss.backward()
        assert conv.operator.gamma_logit.grad is not None
        opt.step()
    assert bool((conv.operator.gamma() < -0.6).all()), conv.operator.gamma()


def test_options_are_checked_at_construction(backend):
    with pytest.raises(ValueError, match="GCNOperator: gamma_init must lie strictly between"):
        backend.PIGNConv(4, form="signed", gamma_init=0.99)
    with pytest.raises(ValueError, match=r"got 0.5 \(the default; pass gamma_init\)"):
        backend.PIGNConv(4, form="signed", gamma_max=0.3)
    for bad in (1.5, 1.0):  # (at 1.0, where float32's tanh saturates, the step had no fixed point)
        with pytest.raises(ValueError, match=r"GCNOperator: gamma_max must be a finite number in \(0, 1\), got 1"):
            backend.PIGNConv(4, form="signed", gamma_max=bad)
    with pytest.raises(ValueError, match=r"GCNOperator: gamma_scale must be a finite number in \(0, 65504\], got 0\.0"):
        backend.PIGNConv(4, form="signed", gamma_scale=0.0)
    # beyond the parameters' dtype the slope is inf, and inf * 0 made every coefficient, and output, NaN
    with pytest.raises(ValueError, match=r"GCNOperator: gamma_scale must be a finite number in \(0, 65504\], got 1e\+39"):
        backend.PIGNConv(4, form="signed", gamma_scale=1e39)
    assert torch.isfinite(backend.PIGNConv(4, form="signed", gamma_scale=65504.0).half().operator.gamma()).all()
    with pytest.raises(TypeError, match=r"GCNOperator: gamma_max must be a finite number in \(0, 1\), got 'a'"):
        backend.PIGNConv(4, form="signed", gamma_max="a")
    with pytest.raises(ValueError, match=r"GCNOperator: gamma_init must be a finite number in \(-1, 1\), got nan"):
        backend.PIGNConv(4, form="signed", gamma_init=float("nan"))
    gamma_max = np.float32(0.8)  # a NumPy number is a number (numbers.Real)
    assert backend.PIGNConv(4, form="signed", gamma_max=gamma_max).operator.gamma_max == pytest.approx(0.8)
    with pytest.raises(ValueError, match="GCNOperator: gamma_init applies only to learned .*propagation='signed'"):
        backend.PIGNConv(4, form="appnp", gamma_init=0.5)
    with pytest.raises(ValueError, match="GCNOperator: unknown propagation 'signd'.*Did you mean 'signed'"):
        backend.PIGNConv(4, propagation="signd")
    with pytest.raises(ValueError, match="form='signed' needs an operator that takes"):
        backend.PIGNConv(4, conv="sage", form="signed")


def test_forms_name_their_values_and_the_former_name_still_works(backend):
    for form, values in FORMS.items():
        conv = backend.PIGNConv(4, form=form)
        op = conv.operator
        assert conv.form == form and (conv.smoothing, conv.act) == (values["smoothing"], values["act"])
        assert (op.alpha, op.beta, op.propagation) == (values["alpha"], values["beta"], values["propagation"])
    assert backend.PIGNConv(4, form="residual").form == "appnp"


CHECKPOINTS = {"default": {}, "earlier default": {"bias": True, "gamma_max": 0.99}, "appnp": {"form": "appnp"},
               "paper": {"form": "paper"}, "signed with W": {"beta": 0.5}, "appnp without bias": {"form": "appnp",
                                                                                          "bias": False}}
PARAMETERS = ("operator.weight", "operator.gamma_logit", "operator.bias")


@pytest.mark.parametrize("saved", list(CHECKPOINTS))
def test_checkpoints_of_another_form_are_refused_with_the_layer_to_build(backend, saved):
    """Each mismatching parameter is named at once, in a warning, and the layer it says to build loads
    the checkpoint (for the earlier default form, with the gamma_max it names); torch's strict=True
    refuses the checkpoint, and strict=False returns the keys that differ."""
    state = backend.PIGNConv(4, **CHECKPOINTS[saved]).state_dict()
    for name, options in CHECKPOINTS.items():
        conv = backend.PIGNConv(4, **options)
        own = set(conv.state_dict())
        if own == set(state):
            conv.load_state_dict(state)
            continue
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            with pytest.raises(RuntimeError, match="Missing key|Unexpected key") as err:
                conv.load_state_dict(state)
            assert not caught  # (strict: the hint follows torch's error)
            result = conv.load_state_dict(state, strict=False)
        assert set(result.missing_keys) == own - set(state) and set(result.unexpected_keys) == set(state) - own
        if not state:  # (no parameter at all: nothing tells the form; torch's own message)
            assert not caught and "build the layer" not in str(err.value)
            continue
        assert len(caught) == 1 and str(caught[0].message) in str(err.value)
        text = str(caught[0].message)
        for p in PARAMETERS:  # every mismatch named, as missing ("no p") or as unexpected
            if (p in own) != (p in state):
                assert (f"no {p}," in text) == (p in own), (saved, name, p, text)
                assert p in text, (saved, name, p, text)
        call = re.search(r"build the layer as it was saved, (PIGNConv\(C[^)]*\))", text).group(1)
        if "gamma_logit" in "".join(state):  # learned coefficients: the bound is named, not told by the parameters
            assert "with the gamma_max it was built with (0.9 by default; 0.99" in text
            if saved == "earlier default":
                call = call[:-1] + ", gamma_max=0.99)"
        call = call.replace("<its beta>", "0.5")
        rebuilt = eval(call, {"PIGNConv": backend.PIGNConv, "C": 4})  # noqa: S307 - the message's own call
        rebuilt.load_state_dict(state)


@pytest.mark.parametrize("model", ["PIGN", "GraphPIGN"])
def test_a_models_checkpoint_of_another_form_names_the_model_to_build(backend, model):
    """The hint named PIGNConv(C, form='paper'), which cannot load a model's keys (conv., the encoder, the
    decoder): the model it names loads them."""
    Model = getattr(backend, model)
    saved = Model(6, 8, 3, form="paper").state_dict()
    with pytest.raises(RuntimeError) as err:
        Model(6, 8, 3).load_state_dict(saved)
    call = re.search(rf"build the model as it was saved, ({model}\(in_channels, hidden_channels, out_channels, "
                     r"form='paper'\))", str(err.value)).group(1)
    rebuilt = eval(call, {model: Model, "in_channels": 6, "hidden_channels": 8, "out_channels": 3})  # noqa: S307
    rebuilt.load_state_dict(saved)
    # its layer alone, loaded with its own keys: the layer is named
    layer_keys = {k[len("conv."):]: v for k, v in saved.items() if k.startswith("conv.")}
    with pytest.raises(RuntimeError, match=r"build the layer as it was saved, PIGNConv\(C, form='paper'\)"):
        Model(6, 8, 3).conv.load_state_dict(layer_keys)
    # a model of yours: a subclass names the library's model; a module holding one says that it may hold one
    sub = type("Mine", (Model,), {})
    with pytest.raises(RuntimeError, match=rf"build the model as it was saved, {model}\(in_channels, "):
        sub(6, 8, 3).load_state_dict(saved)
    holder = torch.nn.ModuleDict({"net": Model(6, 8, 3)})
    with pytest.warns(UserWarning, match=r"build the layer as it was saved, PIGNConv\(C, form='paper'\).*\(a PIGN "
                                         r"or GraphPIGN holding it takes the same keywords\)"):
        holder.load_state_dict({f"net.{k}": v for k, v in saved.items()}, strict=False)


def test_a_state_dict_without_this_operators_parameters_is_left_to_torch(backend):
    """strict=False loads another part of a model (no key of the operator), and a state_dict of another
    operator gets torch's own message, not a form's."""
    model = backend.PIGN(6, 8, 3)
    encoder_only = {k: v for k, v in model.state_dict().items() if k.startswith("encoder.")}
    result = model.load_state_dict(encoder_only, strict=False)
    assert "conv.operator.gamma_logit" in result.missing_keys
    with pytest.raises(RuntimeError, match="Missing key"):
        model.load_state_dict(encoder_only)
    sage = backend.PIGNConv(4, conv="sage").state_dict()
    with pytest.raises(RuntimeError) as err:
        backend.PIGNConv(4).load_state_dict(sage)
    assert "build the layer as it was saved" not in str(err.value)


def test_repr_names_the_coefficients(backend):
    assert "propagation='signed'" in repr(backend.PIGNConv(4, form="signed").operator)
    assert "propagation" not in repr(backend.PIGNConv(4, form="appnp").operator)


@pytest.mark.parametrize("grad", [False, True])
def test_the_smoothed_step_is_the_lerp_of_the_step(backend, grad):
    """The bound step's ``smoothed(z, t)`` (one product into a fresh addend ``(1-t) c + t z``) is
    ``lerp(step(z), z, t)``, with and without a gradient recorded, and the gradients agree."""
    n = 40
    edge_index = _undirected(n, 150, seed=6)
    conv = backend.PIGNConv(8, form="signed", bias=True)  # (with a constant term besides alpha x)
    with torch.no_grad():
        conv.operator.gamma_logit.copy_(torch.randn(8))
        conv.operator.bias.copy_(torch.randn(8))
    x = torch.randn(n, 8)
    step = backend.step(conv.operator, x, edge_index)
    assert hasattr(step, "smoothed")
    z = torch.randn(n, 8, requires_grad=grad)
    with torch.set_grad_enabled(grad):
        fused = step.smoothed(z, 0.3)
        plain = torch.lerp(step(z), z, 0.3)
        assert torch.allclose(fused, plain, atol=1e-6)
        assert torch.allclose(step.smoothed(z, 0.5), torch.lerp(step(z), z, 0.5), atol=1e-6)
        assert torch.allclose(fused, plain, atol=1e-6)  # each call returns a new tensor
    if grad:
        v = torch.randn(n, 8)
        (g1,) = torch.autograd.grad(fused, z, v)
        (g2,) = torch.autograd.grad(plain, z, v)
        assert torch.allclose(g1, g2, atol=1e-6)


def test_a_varying_smoothing_keeps_one_scaled_constant(backend, monkeypatch):
    """A schedule whose factor changes at every step (a sequence of factors) gives the lerp of the step
    at each factor, and the bound step keeps one scaled copy of its constant term, not one per factor."""
    n = 30
    edge_index = _undirected(n, 100, seed=8)
    conv = backend.PIGNConv(6, form="signed")
    x = torch.randn(n, 6)
    step = backend.step(conv.operator, x, edge_index)
    z = torch.randn(n, 6)
    with torch.no_grad():
        for t in (0.5, 0.4, 0.3, 0.3, 0.2):
            assert torch.allclose(step.smoothed(z, t), torch.lerp(step(z), z, t), atol=1e-6)
    assert step._c_t[0] == 0.2 and step._c_t[1].shape == (n, 6)
    # a whole layer with that schedule: the same answer as with the step followed by lerp
    from iterative_core.layer import BoundStep

    scheduled = backend.PIGNConv(6, form="signed", num_iterations=6, smoothing=[0.5, 0.45, 0.4, 0.35, 0.3, 0.25])
    with torch.no_grad():
        fused = backend.call(scheduled, x, edge_index)
        monkeypatch.setattr(BoundStep, "smoothed", None)
        plain = backend.call(scheduled, x, edge_index)
    assert torch.allclose(fused, plain, atol=1e-6)


def test_a_solver_keeping_earlier_iterates_gets_new_tensors(backend):
    """A registered solver that keeps its earlier iterates and takes ``f._smoothed_step`` gets a new
    tensor at every step (only ``_smoothed_step_latest``, which picard takes, may reuse memory):
    without a gradient its answer is the one it gives with a gradient."""
    from iterative_core.solvers import _SOLVERS, register_solver

    @register_solver("mean-of-last-three-test", overwrite=True)
    def mean_of_last_three(f, z0, monitor, schedule):
        kept, z = [], z0
        for k in range(monitor.max_iter):
            z_new = f._smoothed_step(z, schedule[k]) if hasattr(f, "_smoothed_step") else f(z)
            z, _ = monitor.accept(k, z, z_new)
            kept = (kept + [z])[-3:]
        return sum(kept) / len(kept)

    try:
        n = 40
        edge_index = _undirected(n, 150, seed=11)
        conv = backend.PIGNConv(8, form="signed", solver="mean-of-last-three-test", num_iterations=9).eval()
        with torch.no_grad():
            conv.operator.gamma_logit.copy_(torch.randn(8))
        x = torch.randn(n, 8)
        with torch.no_grad():
            quiet = backend.call(conv, x, edge_index)
        assert torch.equal(quiet, backend.call(conv, x, edge_index).detach())
    finally:
        _SOLVERS.pop("mean-of-last-three-test", None)


def test_an_operator_without_a_bias_takes_only_a_parameter_or_none_in_its_place(backend):
    """Its bias was a plain None attribute: ``operator.bias = "yes"`` was taken, and the next call failed
    inside the step; as on PyG's and DGL's layers, the empty slot is a registered parameter."""
    conv = backend.PIGNConv(4)
    assert conv.operator.bias is None and "bias" in conv.operator._parameters
    with pytest.raises(TypeError, match=r"cannot assign .* as parameter 'bias'"):
        conv.operator.bias = "yes"
    assert "bias" not in conv.state_dict() and conv.operator.bias is None
