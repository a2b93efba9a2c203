"""The GCN operator's set-up, once per graph: the propagation (normalisation, CSR matrix) and the
input checks are reused while the same graph comes back unchanged, and built anew after any change;
the cache stays small; and gradients through both propagation paths match finite differences."""
from __future__ import annotations

import copy
import dataclasses
import gc
import io
import pickle

import numpy as np
import pytest
import torch

import iterative_core.adapter as core_adapter
from iterative_core import GCNOperatorBase
from tests.helpers import random_graph

C = 8


def _count_builds(monkeypatch, op) -> list:
    """Count ``op.build_propagation`` calls (what a cache hit skips)."""
    calls = []
    real = op.build_propagation

    def counting(*args, **kwargs):
        calls.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(op, "build_propagation", counting)
    return calls


def _pair(backend, **kw):
    """Two layers with the same parameters: one that keeps its cache, one built fresh for each check."""
    conv = backend.PIGNConv(C, num_iterations=5, form="paper", **kw)

    def fresh():
        other = backend.PIGNConv(C, num_iterations=5, form="paper", **kw)
        other.load_state_dict(conv.state_dict())
        return other

    return conv, fresh


@pytest.mark.parametrize("weighted", [False, True])
def test_a_second_call_on_the_same_graph_reuses_the_propagation(backend, monkeypatch, weighted):
    n = 30
    edge_index, w = random_graph(n, 90, weighted=weighted, seed=1)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    first = backend.run(conv, x, g, w)
    second = backend.run(conv, x, g, w)
    assert len(calls) == 1 and len(conv.operator._graphs) == 1
    assert torch.equal(first, second)
    assert torch.allclose(first, backend.run(fresh(), x, g, w), atol=1e-6)
    # other features on the same graph: the same propagation
    backend.run(conv, torch.randn(n, C), g, w)
    assert len(calls) == 1


def test_an_in_place_edit_of_the_edge_weights_rebuilds(backend, monkeypatch):
    n = 30
    edge_index, w = random_graph(n, 90, seed=2)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    before = backend.run(conv, x, g, w)
    w[:20] *= 5.0  # in place: bumps w._version
    after = backend.run(conv, x, g, w)
    assert len(calls) == 2
    assert not torch.allclose(before, after)
    assert torch.allclose(after, backend.run(fresh(), x, g, w), atol=1e-6)


def test_an_in_place_edit_of_the_edge_index_gives_the_new_graphs_answer(backend, monkeypatch):
    """PyG: the edge index tensor itself. DGL: a graph has no version counter, but DGL replaces its
    structure object at every mutation, which the key follows (the same counts after
    ``remove_edges`` and ``add_edges`` below)."""
    n = 30
    edge_index, _ = random_graph(n, 90, seed=3)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    g = backend.graph(edge_index, n)
    before = backend.run(conv, x, g)
    if backend.name == "pyg":
        edge_index[1, :30] = (edge_index[1, :30] + 7) % n  # in place: bumps edge_index._version
        g = edge_index
    else:  # the same graph object, the same node and edge counts, another structure
        g.remove_edges(torch.arange(30))
        g.add_edges(edge_index[0, :30].clone(), (edge_index[1, :30] + 7) % n)
    after = backend.run(conv, x, g)
    assert len(calls) == 2
    assert not torch.allclose(before, after)
    assert torch.allclose(after, backend.run(fresh(), x, g), atol=1e-6)


def test_an_in_place_edit_is_checked_again(backend):
    """The input checks run once per graph version: an index made out of range in place is refused
    at the next call (PyG), as a new negative weight is (both)."""
    n = 20
    edge_index, w = random_graph(n, 60, seed=4)
    x = torch.randn(n, C)
    conv = backend.PIGNConv(C, num_iterations=3)
    g = backend.graph(edge_index, n)
    backend.run(conv, x, g, w)
    w[3] = -1.0
    with pytest.raises(ValueError, match="negative"):
        backend.run(conv, x, g, w)
    w[3] = 1.0
    backend.run(conv, x, g, w)
    if backend.name == "pyg":
        edge_index[0, 5] = n + 3
        with pytest.raises(ValueError, match=f"node {n + 3}"):
            backend.run(conv, x, edge_index, w)


def test_the_checks_that_read_every_edge_run_once_per_graph(backend, monkeypatch):
    counted = []
    real = core_adapter.check_edge_weight

    def spy(w, *args, validate=True, **kwargs):
        if w is not None and validate:
            counted.append(1)
        return real(w, *args, validate=validate, **kwargs)

    monkeypatch.setattr(core_adapter, "check_edge_weight", spy)
    n = 20
    edge_index, w = random_graph(n, 60, seed=5)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv = backend.PIGNConv(C, num_iterations=3)
    for _ in range(3):
        backend.run(conv, x, g, w)
    assert len(counted) == 1
    # the shape and device checks still compare the weights with each call's input
    with pytest.raises(ValueError, match="edges"):
        backend.run(conv, x, g, w[:-1])


def test_a_new_graph_object_rebuilds(backend, monkeypatch):
    n = 30
    edge_index, w = random_graph(n, 90, seed=6)
    x = torch.randn(n, C)
    conv, _ = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    g1 = backend.graph(edge_index, n)
    g2 = backend.graph(edge_index.clone(), n)
    out1 = backend.run(conv, x, g1, w)
    out2 = backend.run(conv, x, g2, w)
    assert len(calls) == 2 and torch.allclose(out1, out2, atol=1e-6)
    backend.run(conv, x, g1, w)
    backend.run(conv, x, g2, w)
    assert len(calls) == 2  # both kept
    backend.run(conv, x, g1, w.clone())  # new weights: a new graph too
    assert len(calls) == 3


def test_the_cache_stays_bounded_and_drops_dead_graphs(backend, monkeypatch):
    n = 16
    conv, _ = _pair(backend)
    op = conv.operator
    calls = _count_builds(monkeypatch, op)
    graphs = []
    for seed in range(20):  # a stream of mini-batch graphs
        graphs.append(backend.graph(random_graph(n, 40, seed=seed)[0], n))
        backend.run(conv, torch.randn(n, C), graphs[-1])
    assert len(calls) == 20
    assert len(op._graphs) == GCNOperatorBase.graph_cache_size == 4
    backend.run(conv, torch.randn(n, C), graphs[-1])  # the most recent ones are kept
    assert len(calls) == 20
    backend.run(conv, torch.randn(n, C), graphs[0])  # the oldest were evicted
    assert len(calls) == 21
    del graphs
    gc.collect()
    assert len(op._graphs) == 0  # an entry dies with its graph


def test_dgl_graph_mutation_rebuilds(backend, monkeypatch):
    if backend.name != "dgl":
        pytest.skip("DGL graphs only")
    n = 20
    edge_index, _ = random_graph(n, 60, seed=7)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    before = backend.run(conv, x, g)
    g.add_edges(torch.tensor([0, 1, 2]), torch.tensor([5, 6, 7]))
    after = backend.run(conv, x, g)
    assert len(calls) == 2 and not torch.allclose(before, after)
    assert torch.allclose(after, backend.run(fresh(), x, g), atol=1e-6)
    # edge weights by name: an in-place edit of the edge feature rebuilds too
    g.edata["w"] = torch.rand(g.num_edges()) + 0.1
    a = backend.run(conv, x, g, "w")
    g.edata["w"][:10] *= 3.0
    b = backend.run(conv, x, g, "w")
    assert len(calls) == 4 and not torch.allclose(a, b)
    assert torch.allclose(b, backend.run(fresh(), x, g, "w"), atol=1e-6)


def test_weights_that_require_grad_are_never_cached(backend, monkeypatch):
    n = 20
    edge_index, w = random_graph(n, 60, seed=8)
    w.requires_grad_()
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, _ = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    for _ in range(2):
        backend.run(conv, x, g, w).sum().backward()
    assert len(calls) == 2 and len(conv.operator._graphs) == 0
    assert w.grad is not None and bool(w.grad.abs().sum() > 0)
    # the same graph without gradients afterwards is cached as usual
    with torch.no_grad():
        w2 = w.detach()
    backend.run(conv, x, g, w2)
    backend.run(conv, x, g, w2)
    assert len(calls) == 3


def test_cached_true_keeps_nothing_for_weights_that_require_grad(backend, monkeypatch):
    """The second training step failed with torch's "backward through the graph a second time": the
    first call's propagation, built from learned weights, was kept (an explainer's edge mask too)."""
    n = 20
    edge_index, w = random_graph(n, 60, seed=8)
    w.requires_grad_()
    g = backend.graph(edge_index, n)
    conv = backend.PIGNConv(C, num_iterations=3, cached=True)
    calls = _count_builds(monkeypatch, conv.operator)
    grads = []
    for _ in range(2):
        w.grad = None
        backend.run(conv, torch.randn(n, C), g, w).sum().backward()
        grads.append(w.grad.clone())
    assert len(calls) == 2 and conv.operator._cache is None and all(bool(gr.abs().sum() > 0) for gr in grads)
    # a validation pass under no_grad between the steps: the propagation it built was kept and the next
    # steps reused it, with no gradient to the weights
    for _ in range(2):
        with torch.no_grad():
            backend.run(conv, torch.randn(n, C), g, w)
        w.grad = None
        backend.run(conv, torch.randn(n, C), g, w).sum().backward()
        assert w.grad is not None and bool(w.grad.abs().sum() > 0)
    assert conv.operator._cache is None
    # weights computed from a parameter: under no_grad they require no gradient, and a validation pass kept
    # its propagation for the training steps after it (no gradient reached the parameter)
    theta = torch.zeros(w.shape, requires_grad=True)
    for _ in range(2):
        with torch.no_grad():
            backend.run(conv, torch.randn(n, C), g, torch.sigmoid(theta))
        theta.grad = None
        backend.run(conv, torch.randn(n, C), g, torch.sigmoid(theta)).sum().backward()
        assert theta.grad is not None and bool(theta.grad.abs().sum() > 0)
    # fixed weights under no_grad (inference): built once, as before
    fixed = torch.rand(w.shape) + 0.1
    inference = backend.PIGNConv(C, num_iterations=3, cached=True)
    builds = _count_builds(monkeypatch, inference.operator)
    with torch.no_grad():
        outs = [backend.run(inference, torch.ones(n, C), g, fixed) for _ in range(3)]
        assert len(builds) == 1 and all(torch.equal(o, outs[0]) for o in outs)
        # other weights are not served the first ones' propagation (a validation pass ran with the weights
        # of the first call, unweighted ones here, where training used the given weights)
        unweighted = backend.run(inference, torch.ones(n, C), g)
    assert len(builds) == 2 and not torch.allclose(unweighted, outs[0])


def test_cached_true_tells_weights_made_under_inference_mode_from_others(backend):
    """Weights made under torch.inference_mode() (Lightning's evaluation) have no version counter to key
    them by: cached=True served them whatever propagation it held, the training weights' one too."""
    n = 20
    edge_index, w_train = random_graph(n, 60, weighted=True, seed=14)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend, cached=True)
    backend.run(conv, x, g, w_train).sum().backward()
    conv.eval()
    with torch.inference_mode():
        w_eval = torch.rand(w_train.shape) * 10 + 0.1
        got = backend.run(conv, x, g, w_eval)
        want = backend.run(fresh().eval(), x, g, w_eval)
        again = backend.run(conv, x, g, torch.rand(w_train.shape) + 0.1)  # other inference-made weights
        want_again = backend.run(fresh().eval(), x, g, torch.rand(w_train.shape) + 0.1)
    assert torch.allclose(got, want, atol=1e-6)
    assert not torch.allclose(again, got, atol=1e-3)
    assert torch.isfinite(want_again).all()
    # nothing made under inference mode was kept: the training weights still get their own propagation
    assert conv.operator._cache is not None and conv.operator._cache[2][1] is w_train
    assert torch.allclose(backend.run(conv, x, g, w_train), backend.run(fresh().eval(), x, g, w_train), atol=1e-6)


def _cached_layer_called_once(backend, monkeypatch, n: int = 20):
    """A ``cached=True`` layer after one call: the layer, its builds (a list), the features and its output."""
    edge_index, _ = random_graph(n, 60, seed=9)
    x = torch.randn(n, C)
    conv = backend.PIGNConv(C, num_iterations=3, cached=True)
    calls = _count_builds(monkeypatch, conv.operator)
    g = backend.graph(edge_index, n)
    return conv, calls, x, g, backend.run(conv, x, g)


def test_cached_true_keeps_the_first_graph(backend, monkeypatch):
    n = 20
    conv, calls, x, _, first = _cached_layer_called_once(backend, monkeypatch, n)
    other = backend.graph(random_graph(n, 60, seed=10)[0], n)
    assert torch.equal(backend.run(conv, x, other), first)  # PyG's convention: one fixed graph
    assert len(calls) == 1 and len(conv.operator._graphs) == 0
    conv.reset_parameters()
    backend.run(conv, x, other)
    assert len(calls) == 2


def test_cached_true_serves_only_its_own_device(backend, monkeypatch):
    """A ``cached=True`` layer moved with ``.to(device)`` was served the propagation built on the former
    device (its dtype was compared, not its device). Stood in for here by a kept propagation whose
    weights are on the meta device."""
    conv, calls, x, g, first = _cached_layer_called_once(backend, monkeypatch)
    (prop, data), nodes, token = conv.operator._cache
    conv.operator._cache = ((dataclasses.replace(prop, weight=prop.weight.to("meta")), data), nodes, token)
    assert torch.equal(backend.run(conv, x, g), first) and len(calls) == 2  # built again, on the features' device
    backend.run(conv, x, g)
    assert len(calls) == 2  # (and kept)


def test_dtype_and_options_are_part_of_the_key(backend, monkeypatch):
    n = 20
    edge_index, _ = random_graph(n, 60, seed=11)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    backend.run(conv, x, g)
    conv.double()
    out = backend.run(conv, x.double(), g)
    assert out.dtype == torch.float64 and len(calls) == 2
    conv.operator.normalize = False
    ref = fresh().double()
    ref.operator.normalize = False
    assert torch.allclose(backend.run(conv, x.double(), g), backend.run(ref, x.double(), g))
    assert len(calls) == 3


@pytest.mark.parametrize("cached", [False, True])
def test_an_edit_after_the_forward_pass_does_not_reach_its_backward_pass(backend, cached):
    """Without added self-loops or normalisation the propagation kept the caller's own edge index and
    weights, from which the first backward pass builds the transpose: an in-place edit between the
    forward and the backward pass (or, with cached=True, after the pass that built it) changed the
    gradient but not the output."""
    n = 20
    edge_index, w = random_graph(n, 60, weighted=True, seed=15)
    edge_index = torch.cat([edge_index, torch.arange(n).repeat(2, 1)], 1)  # every node has an in-edge
    w = torch.cat([w, torch.rand(n) + 0.1])
    other = torch.cat([random_graph(n, 60, seed=16)[0], torch.arange(n).repeat(2, 1)], 1)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend, add_self_loops=False, normalize=False, cached=cached)

    def grad(layer, index, weights, edit=None):
        xr = x.clone().requires_grad_()
        out = backend.run(layer, xr, backend.graph(index, n), weights)
        if edit is not None:
            edit()
        out.pow(2).sum().backward()
        return xr.grad

    want = grad(fresh(), edge_index, w)
    index, weights = edge_index.clone(), w.clone()
    if cached:
        with torch.no_grad():
            backend.run(conv, x, backend.graph(index, n), weights)
        if backend.name == "pyg":  # the kept propagation serves the edited index (one fixed graph, as GCNConv)
            index.copy_(other)
    # (a DGL graph copies its edges: only its weights are the caller's to edit)
    got = grad(conv, index, weights, lambda: (weights.mul_(3.0), index.copy_(other) if backend.name == "pyg" else None))
    assert torch.allclose(got, want, atol=1e-5)


def test_the_norm_bound_of_a_reused_propagation_is_kept(backend, monkeypatch):
    from iterative_core import Propagation

    counted = []
    real = Propagation.norm_bound
    monkeypatch.setattr(Propagation, "norm_bound", lambda self, *a, **k: counted.append(1) or real(self, *a, **k))
    n = 20
    edge_index, _ = random_graph(n, 60, seed=12)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend, contraction=0.5)
    first = backend.run(conv, x, g)
    second = backend.run(conv, x, g)
    assert len(counted) == 1 and torch.equal(first, second)
    with torch.no_grad():
        conv.operator.weight.mul_(3.0)  # the weight's norm is still taken at every call
    assert torch.allclose(backend.run(conv, x, g), backend.run(fresh(), x, g), atol=1e-6)


@pytest.mark.parametrize("cached", [False, True])
def test_copies_and_pickles_start_with_an_empty_cache(backend, cached):
    """With cached=True, deepcopy after a call failed (a sparse CSR tensor has no storage to copy) and
    a pickled model did not load (the CSR check of torch.load)."""
    n = 20
    edge_index, _ = random_graph(n, 60, seed=13)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv = backend.PIGNConv(C, num_iterations=3, cached=cached)
    out = backend.run(conv, x, g)
    assert len(conv.operator._graphs) == (0 if cached else 1) and (conv.operator._cache is not None) == cached
    buf = io.BytesIO()
    torch.save(conv, buf)
    buf.seek(0)
    for other in (copy.deepcopy(conv), pickle.loads(pickle.dumps(conv)), torch.load(buf, weights_only=False)):
        assert len(other.operator._graphs) == 0 and other.operator._cache is None
        assert torch.equal(backend.run(other, x, g), out)
    assert conv.operator._cache is not None or not cached  # the original keeps its own


@pytest.mark.parametrize("parametrization", ["orthogonal", "spectral_norm"])
def test_an_operator_with_a_torch_parametrization_copies_with_an_empty_cache(backend, parametrization):
    """torch's parametrize gives the operator a class that deep-copies the whole __dict__, past the
    operator's __getstate__: with cached=True a copy after a call (deepcopy, an EMA's or SWA's
    AveragedModel) failed inside torch ("Cannot access storage of SparseCsrTensorImpl")."""
    from torch.optim.swa_utils import AveragedModel

    n = 20
    edge_index, _ = random_graph(n, 60, seed=13)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv = backend.PIGNConv(C, num_iterations=3, form="paper", cached=True).eval()
    getattr(torch.nn.utils.parametrizations, parametrization)(conv.operator, "weight")
    out = backend.run(conv, x, g)
    for other in (copy.deepcopy(conv), AveragedModel(conv).module):
        assert other.operator._cache is None and type(other.operator) is type(conv.operator)
        assert torch.equal(backend.run(other, x, g), out)
        with torch.no_grad():  # its own parameters, not the original's
            next(iter(other.operator.parametrizations.weight.parameters())).add_(1.0)
        assert torch.equal(backend.run(conv, x, g), out)
    assert conv.operator._cache is not None  # the original keeps its own


def _gradcheck_kwargs(grad: str) -> dict:
    # the input added back at every step, so that the fixed point is not 0 whatever x (tanh(A z W) is
    # 0 at z = 0: a gradcheck of that compares zero with zero)
    # (phantom: the last 30 steps of a 0.5-contraction, the fixed point's gradient to about 1e-9)
    converged = dict(num_iterations=300, tol=1e-13, stop="abs", contraction=0.5, on_nonconvergence="raise",
                     inject_input=True)
    return {"implicit": dict(converged, backward_tol=1e-13), "phantom": dict(converged, phantom_steps=30),
            "unrolled": dict(num_iterations=5, inject_input=True)}[grad]


@pytest.mark.parametrize("weights", ["none", "fixed", "learned"])
@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
def test_gradcheck_through_both_propagation_paths(backend, grad, weights):
    """float64 gradcheck of the GCN operator's propagation: the fused CSR product (unweighted, or
    weights without gradients: w.r.t. the input, the propagation reused from the cache at every
    call) and the differentiable path for weights that require gradients (w.r.t. input and weights)."""
    n = 12
    edge_index, w = random_graph(n, 40, isolated=2, weighted=True, seed=3)
    g = backend.graph(edge_index, n)
    torch.manual_seed(0)
    conv = backend.PIGNConv(3, form="paper", act="tanh", grad=grad, **_gradcheck_kwargs(grad)).double()
    with torch.no_grad():
        conv.operator.bias.normal_()
    x = torch.randn(n, 3, dtype=torch.float64, requires_grad=True)
    w = w.double()
    out = backend.run(copy.deepcopy(conv), x, g, w)  # (a copy: the graph caches below count this conv's calls)
    dx, = torch.autograd.grad(out.pow(2).sum(), x)
    assert out.abs().max() > 1e-2 and dx.abs().max() > 1e-2  # an answer and a gradient that are not 0
    if weights == "learned":
        w.requires_grad_()
        assert torch.autograd.gradcheck(lambda x, w: backend.run(conv, x, g, w), (x, w))
        assert len(conv.operator._graphs) == 0
        return
    args = () if weights == "none" else (w,)
    assert torch.autograd.gradcheck(lambda x: backend.run(conv, x, g, *args), (x,))
    assert len(conv.operator._graphs) == 1  # every call of the check after the first reused it


@pytest.mark.parametrize("loops", [True, False])
@pytest.mark.parametrize("edges", [0, 1, 70])
def test_a_csr_matrix_from_grouped_edges_needs_no_sort(loops, edges):
    """The in-edges grouped by destination (DGL's CSC, a CSR adj_t) give the same matrix as the
    sorted edge list, the diagonal of the added self-loops first in each row."""
    from iterative_core.sparse import csr_pair

    n = 12
    g = torch.Generator().manual_seed(edges)
    dst = torch.sort(torch.randint(0, n - 2, (edges,), generator=g)).values  # rows n-2, n-1 empty
    src = torch.randint(0, n, (edges,), generator=g)
    w = torch.rand(edges, generator=g, dtype=torch.float64)
    crow = torch.zeros(n + 1, dtype=torch.long)
    crow[1:] = torch.cumsum(torch.bincount(dst, minlength=n), 0)
    if loops:
        ids = torch.arange(n)
        src, dst = torch.cat([src, ids]), torch.cat([dst, ids])
        w = torch.cat([w, torch.rand(n, generator=g, dtype=torch.float64)])
    grouped, ref = csr_pair(src, dst, w, n, crow=crow.int(), loops=loops), csr_pair(src, dst, w, n)
    # (duplicate entries may be summed in another order)
    assert torch.allclose(grouped.A.to_dense(), ref.A.to_dense(), rtol=1e-14, atol=1e-14)
    assert torch.allclose(grouped.At.to_dense(), ref.A.to_dense().t(), rtol=1e-14, atol=1e-14)
    assert grouped.A.crow_indices().tolist() == ref.A.crow_indices().tolist()


@pytest.mark.parametrize("add_self_loops", [True, False])
@pytest.mark.parametrize("weighted", [False, True])
def test_grouped_in_edges_match_the_edge_list(backend, add_self_loops, weighted):
    """Where the graph holds its in-edges grouped (DGL: always; PyG: a CSR adj_t), the propagation
    built from them matches the one built from the edge list, with existing self-loops, isolated
    nodes, duplicate edges and (DGL) 32-bit node ids."""
    n = 30
    edge_index, w = random_graph(n, 90, isolated=3, weighted=True, seed=14)
    edge_index = torch.cat([edge_index, torch.tensor([[4, 4, 9], [4, 4, 9]])], 1)
    w = torch.cat([w, torch.tensor([0.5, 0.7, 2.0])]) if weighted else None
    x = torch.randn(n, C)
    extra = {} if add_self_loops else backend.zero_in_degree_ok
    conv = backend.PIGNConv(C, num_iterations=4, form="paper", add_self_loops=add_self_loops, **extra)
    op = conv.operator
    graphs = [backend.graph(edge_index, n)]
    if backend.name == "pyg":
        values = torch.ones(edge_index.size(1)) if w is None else w
        adj_t = torch.sparse_coo_tensor(edge_index.flip(0), values, (n, n), check_invariants=True)
        graphs.append(adj_t.to_sparse_csr())
        assert op.in_edges(graphs[0], w) is None and op.in_edges(graphs[1], None) is not None
    else:
        graphs.append(graphs[0].int())
        assert op.in_edges(graphs[0], w) is not None
    A = None
    for graph in graphs:
        ww = w if (backend.name == "dgl" or graph is graphs[0]) else None
        prop, pair = op.build_propagation(graph, ww, n, torch.float32)
        dense = pair.A.to_dense()
        A = dense if A is None else A
        assert torch.allclose(dense, A, atol=1e-6)
        assert torch.allclose(prop.dense(), dense, atol=1e-6)
    # the edge list's own matrix (the sort), through the core's gcn_propagation
    from iterative_core import gcn_propagation

    ref = gcn_propagation(edge_index[0], edge_index[1], n, w, add_self_loops=add_self_loops, fold_loops=True)
    assert torch.allclose(A, ref.dense(), atol=1e-6)


class _EdgeIndexAdapter(core_adapter.GraphAdapter):
    """A third ecosystem's whole graph side for the GCN operator: the edge list and the key."""

    name = "plain"

    def edge_list(self, edge_index, edge_weight):
        return edge_index[0], edge_index[1], edge_weight

    def graph_key(self, edge_index, edge_weight):
        graph, weight = core_adapter.tensor_key(edge_index), core_adapter.tensor_key(edge_weight)
        return core_adapter.GraphKey((graph.token, weight.token), graph.objects + weight.objects)


class _PlainGCN(GCNOperatorBase):
    adapter = _EdgeIndexAdapter


@pytest.mark.parametrize("learned", [False, True])
def test_an_adapter_that_only_lists_edges_gets_the_whole_operator(monkeypatch, learned):
    """The core's defaults over an adapter's edge list: the fused CSR product (or, for weights that
    require gradients, the differentiable edge-list product), the cache, the bound."""
    from tests.helpers import dense_gcn_matrix

    n = 15
    edge_index, w = random_graph(n, 50, isolated=2, seed=15, dtype=torch.float64)
    op = _PlainGCN(4, alpha=0.2).double()
    calls = _count_builds(monkeypatch, op)
    x = torch.randn(n, 4, dtype=torch.float64)
    if learned:
        w.requires_grad_()
    A = dense_gcn_matrix(edge_index, w.detach(), n, dtype=torch.float64)
    ref = ((0.8 * A @ x + 0.2 * x) @ op.weight.t() + op.bias).detach()
    for _ in range(2):
        assert torch.allclose(op.bind(x, edge_index, w)(x), ref)
    assert len(calls) == (2 if learned else 1)
    bound = op.norm_bound(op.prepare(edge_index, w, n, torch.float64)[0]).detach()
    assert float(bound) >= float(torch.linalg.matrix_norm(A, 2)) - 1e-9  # a bound on the norm
    if learned:
        xg = x.clone().requires_grad_()
        assert torch.autograd.gradcheck(lambda x, w: op.bind(x, edge_index, w)(x), (xg, w))


def test_a_dgl_graph_without_csc_sorts_its_edge_list(backend):
    if backend.name != "dgl":
        pytest.skip("DGL graphs only")
    n = 20
    edge_index, w = random_graph(n, 60, seed=16)
    g = backend.graph(edge_index, n)
    coo_only = g.formats("coo")
    conv = backend.PIGNConv(C, num_iterations=4, form="paper")
    assert conv.operator.in_edges(coo_only, w) is None and conv.operator.in_edges(g, w) is not None
    x = torch.randn(n, C)
    assert torch.allclose(backend.run(conv, x, coo_only, w), backend.run(conv, x, g, w), atol=1e-6)


@pytest.mark.parametrize("bad, error", [("x", TypeError), (None, TypeError), (2.5, TypeError), (True, TypeError),
                                        (-1, ValueError)])
def test_a_cache_size_that_is_no_count_is_refused_by_name(backend, monkeypatch, bad, error):
    """Set on one operator it is refused at once; set on the class, at the next call. A string or None
    failed at the next call inside the cache, naming nothing; -1, 2.5 and True passed."""
    conv, _ = _pair(backend)
    message = rf"^GCNOperator: graph_cache_size must be an int >= 0, got "
    with pytest.raises(error, match=message):
        conv.operator.graph_cache_size = bad
    assert conv.operator.graph_cache_size == 4
    monkeypatch.setattr(type(conv.operator), "graph_cache_size", bad)
    with pytest.raises(error, match=message):
        backend.run(conv, torch.randn(6, C), backend.graph(random_graph(6, 12, seed=0)[0], 6))
    monkeypatch.undo()
    conv.operator.graph_cache_size = np.int64(2)  # a NumPy integer is a count
    assert conv.operator.graph_cache_size == 2 and type(conv.operator.graph_cache_size) is int


def test_the_cache_size_is_set_per_operator(backend, monkeypatch):
    n = 16
    conv, _ = _pair(backend)
    op = conv.operator
    calls = _count_builds(monkeypatch, op)
    graphs = [backend.graph(random_graph(n, 40, seed=s)[0], n) for s in range(3)]
    op.graph_cache_size = 1
    for g in graphs + graphs[-1:]:
        backend.run(conv, torch.randn(n, C), g)
    assert len(op._graphs) == 1 and len(calls) == 3
    op.graph_cache_size = 0  # nothing kept: every call builds
    backend.run(conv, torch.randn(n, C), graphs[0])
    backend.run(conv, torch.randn(n, C), graphs[0])
    assert len(calls) == 5


def test_writes_that_bypass_the_version_need_the_keeping_off(backend):
    """Writes through ``.numpy()`` do not bump the version torch keeps: the README says so, and that
    ``graph_cache_size = 0`` makes each call read the weights anew."""
    n = 30
    edge_index, w = random_graph(n, 90, seed=4)
    g = backend.graph(edge_index, n)
    x = torch.randn(n, C)
    conv, fresh = _pair(backend)
    before = backend.run(conv, x, g, w)
    w.numpy()[:20] *= 5.0  # not seen by w._version
    assert torch.equal(backend.run(conv, x, g, w), before)  # the kept propagation: the former weights
    conv.operator.graph_cache_size = 0
    after = backend.run(conv, x, g, w)
    assert not torch.allclose(before, after)
    assert torch.allclose(after, backend.run(fresh(), x, g, w.clone()), atol=1e-6)


def test_a_pyg_edge_index_object_is_keyed_by_its_data(backend, monkeypatch):
    if backend.name != "pyg":
        pytest.skip("PyG's EdgeIndex")
    from torch_geometric import EdgeIndex

    n = 20
    edge_index, _ = random_graph(n, 60, seed=17)
    ei = EdgeIndex(edge_index, sparse_size=(n, n))
    x = torch.randn(n, C)
    conv, fresh = _pair(backend)
    calls = _count_builds(monkeypatch, conv.operator)
    first = backend.run(conv, x, ei)
    assert torch.equal(backend.run(conv, x, ei), first) and len(calls) == 1
    ei.as_tensor()[1, :10] = (ei.as_tensor()[1, :10] + 3) % n  # in place, on the data it wraps
    after = backend.run(conv, x, ei)
    assert len(calls) == 2 and torch.allclose(after, backend.run(fresh(), x, ei.as_tensor().clone()), atol=1e-6)


def test_graph_cache_size_zero_keeps_no_check_either(backend):
    """The README's remedy for an edit torch's version counter does not see (``.data``, shared memory):
    ``graph_cache_size = 0`` dropped the propagations but a graph's checks were still kept, so an index
    written out of range that way was not named (a bare IndexError from the propagation)."""
    if backend.name != "pyg":
        pytest.skip("a DGL graph is rebuilt after such an edit (its tensors are its own)")
    torch.manual_seed(0)
    ei, _ = random_graph(20, 60, simple=True)
    conv = backend.PIGNConv(4, num_iterations=2)
    x = torch.randn(20, 4)
    with torch.no_grad():
        backend.call(conv, x, ei)
        ei.data[1, 5] = 25  # (no new version)
        conv.operator.graph_cache_size = 0
        with pytest.raises(ValueError, match=r"the edge index refers to node 25 but the graph has only 20 nodes"):
            backend.call(conv, x, ei)
