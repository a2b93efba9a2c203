"""``torch.compile``: the iteration is traced whole, in one graph; what reads values back (the input
checks, the convergence policies) or cannot be traced (a DGL graph, a sparse adjacency) runs outside
it, before or after the iteration, never inside; the per-graph set-up cache keeps working; a PyG model
set up without synchronisation (``validate=False``, ``on_divergence="ignore"``, no ``tol``) compiles
with ``fullgraph=True``; outputs and gradients equal eager mode's, and no warning is raised.

The compiler runs with ``backend="aot_eager"`` (forward and backward traced as inductor traces them,
without its C++ code generation) or ``"eager"`` for ``explain``."""
from __future__ import annotations

import warnings

import pytest
import torch

from iterative_core._compile import TRACES_AFTER_A_BREAK
from tests.helpers import random_graph, toy_graphs

C, N = 8, 24
#: the options under which a forward pass reads nothing back from the device
SYNC_FREE = dict(validate=False, on_divergence="ignore")


def _compile_works() -> bool:
    try:
        torch._dynamo.reset()
        return bool(torch.compile(lambda t: t + 1, backend="eager")(torch.zeros(1)) == 1)
    except Exception:  # e.g. a Python version this torch's compiler does not support
        return False


pytestmark = pytest.mark.skipif(not _compile_works(), reason="torch.compile does not run here")


@pytest.fixture(autouse=True)
def _fresh_compiler():
    torch._dynamo.reset()
    yield
    torch._dynamo.reset()


def _inputs(backend, *, seed: int = 0, **kw):
    edge_index, w = random_graph(N, 70, seed=seed, **kw)
    return backend.graph(edge_index, N), torch.randn(N, C), w


def _explain(backend, module, x, g, *args, **kwargs):
    run = torch._dynamo.explain(module)
    return run(x, g, *args, **kwargs) if backend.name == "pyg" else run(g, x, *args, **kwargs)


def _breaks(explained) -> list[str]:
    """The functions each graph break called outside the compiled graph."""
    names = ("_setup_outside_graph", "_apply_policies", "_gradient_steps", "_attach_implicit_backward")
    found = []
    for b in explained.break_reasons:
        text = str(b.reason)
        found.append(next((n for n in names if n in text), text.splitlines()[0]))
    return found


def _propagations_in(explained) -> int:
    """Edge-list products (``index_add``) in the compiled graphs: one per iteration, and two more
    when the normalisation is traced too."""
    return sum(1 for gm in explained.graphs for node in gm.graph.nodes
               if node.op in ("call_method", "call_function") and "index_add" in str(node.target))


def _no_warnings(record) -> None:
    assert not record, [f"{w.category.__name__}: {w.message}" for w in record]


def test_the_iteration_is_one_graph_with_the_setup_traced_or_outside(backend):
    g, x, _ = _inputs(backend)
    conv = backend.PIGNConv(C, num_iterations=6, **SYNC_FREE)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        explained = _explain(backend, conv, x, g)
    _no_warnings(record)
    if backend.name == "pyg":  # an edge index is set up inside the graph: nothing breaks it
        assert explained.graph_count == 1
        assert _breaks(explained) == [] and _propagations_in(explained) == 6 + 2
    elif TRACES_AFTER_A_BREAK:  # a DGLGraph is read outside, before the iteration (torch < 2.3 lists no break
        assert explained.graph_count == 1  # before an empty graph)
        assert set(_breaks(explained)) <= {"_setup_outside_graph"} and _propagations_in(explained) == 6
    else:  # after that break the compiler would compile the iteration again at every call: it runs eagerly
        assert _propagations_in(explained) == 0


def test_default_options_break_only_before_and_after_the_iteration(backend):
    g, x, _ = _inputs(backend)
    conv = backend.PIGNConv(C, num_iterations=6)  # validate=True, on_divergence="warn"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        explained = _explain(backend, conv, x, g)
    _no_warnings(record)
    if not TRACES_AFTER_A_BREAK:  # (the set-up reads values back: outside, and the iteration too, see above)
        assert _propagations_in(explained) == 0
        return
    assert explained.graph_count == 1 and _propagations_in(explained) == 6
    assert set(_breaks(explained)) <= {"_setup_outside_graph", "_apply_policies"}
    assert "_apply_policies" in _breaks(explained)


@pytest.mark.parametrize("options", [{}, SYNC_FREE, dict(tol=1e-5, num_iterations=40)], ids=["default", "sync-free",
                                                                                           "tol"])
def test_later_calls_compile_nothing_new(backend, options):
    """torch 2.2 compiled the iteration again at every call after a set-up outside the graph (a DGL graph,
    or the input checks): it guarded on the identity of the step each call builds, and once its cache was
    full each call ran 100-1000 times slower than eager mode. With a tol, the step monitor was compiled
    again for every step, until the compiler's limit. Now the same inputs, or another graph of the same
    size, compile nothing after the first call, and a tol's iteration runs outside the compiled graph."""
    from torch._dynamo.utils import counters

    g, x, _ = _inputs(backend)
    other, _, _ = _inputs(backend, seed=1)
    conv = backend.PIGNConv(C, **options).eval()
    compiled = torch.compile(conv, backend="eager")
    with torch.no_grad(), warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        first = backend.run(compiled, x, g)
        after_first = counters["stats"]["unique_graphs"]
        for graph in (g, g, other, g):
            backend.run(compiled, x, graph)
        assert counters["stats"]["unique_graphs"] == after_first
        assert torch.allclose(first, backend.run(conv, x, g), atol=1e-6)
    _no_warnings([r for r in record if "tol" not in options or "has no effect" not in str(r.message)])
    if "tol" in options:
        assert _propagations_in(_explain(backend, conv, x, g)) == 0


@pytest.mark.parametrize("form", ["signed", "appnp", "paper"])
def test_compiled_outputs_and_gradients_equal_eager(backend, form):
    g, x, w = _inputs(backend, weighted=True)
    conv = backend.PIGNConv(C, num_iterations=5, form=form, **SYNC_FREE)
    x.requires_grad_()
    ref = backend.run(conv, x, g, w)
    ref_grads = torch.autograd.grad(ref.square().sum(), [x, *conv.parameters()])
    compiled = torch.compile(conv, backend="aot_eager")
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for _ in range(2):  # the first call compiles, the second runs the compiled graph
            out = backend.run(compiled, x, g, w)
            grads = torch.autograd.grad(out.square().sum(), [x, *conv.parameters()])
            assert torch.allclose(out, ref, atol=1e-6)
            assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads, ref_grads))
    _no_warnings(record)


def _inductor_works() -> bool:
    """The default compiler needs a C++ compiler for CPU code."""
    import shutil

    return any(shutil.which(c) for c in ("c++", "g++", "clang++"))


@pytest.mark.skipif(not _inductor_works(), reason="inductor needs a C++ compiler")
def test_the_default_compiler_compiles_the_default_layer(backend):
    """``torch.compile(conv)`` as a user writes it: the default compiler (inductor, with its code
    generation) and the layer's default options, whose divergence test reads the residuals after the
    iteration: the output, its gradient and the residuals (per graph too, in a batch) are eager mode's,
    with no warning. (torch 2.2's inductor dropped the residuals' writes into their buffer, an ``out=``
    into a view: they read NaN, and the divergence test then failed to compile.)"""
    g, x, w = _inputs(backend, weighted=True)
    conv = backend.PIGNConv(C)
    x.requires_grad_()
    ref, ref_info = backend.run(conv, x, g, w, return_info=True)
    ref_grad, = torch.autograd.grad(ref.square().sum(), [x])
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out, info = backend.run(torch.compile(conv), x, g, w, return_info=True)
    grad, = torch.autograd.grad(out.square().sum(), [x])
    assert torch.allclose(out, ref, atol=1e-5) and torch.allclose(grad, ref_grad, atol=1e-4)
    measured = ~torch.isnan(ref_info.residuals)  # (the steps the monitor measured; the others read NaN)
    assert measured.any() and torch.equal(measured, ~torch.isnan(info.residuals))
    assert torch.allclose(info.residuals[measured], ref_info.residuals[measured], rtol=1e-4)
    # a batch of two graphs: each graph's residuals and contraction factor, written per step, too
    edge_index, _ = random_graph(N, 70, seed=1)
    edges = torch.cat([edge_index, edge_index + N], 1)
    both = torch.randn(2 * N, C)
    _, ref_info = backend.call(conv, both, edges, batch_sizes=[N, N], return_info=True)
    with warnings.catch_warnings(record=True) as more:
        warnings.simplefilter("always")
        _, info = backend.call(torch.compile(conv), both, edges, batch_sizes=[N, N], return_info=True)
    assert torch.allclose(info.graph_residuals, ref_info.graph_residuals, rtol=1e-4, equal_nan=True)
    assert torch.allclose(info.graph_contraction_factors, ref_info.graph_contraction_factors, rtol=1e-4)
    # (the compiler's own deprecation notices aside: torch 2.13's inductor gives some)
    _no_warnings([r for r in record + more if not issubclass(r.category, DeprecationWarning)])


@pytest.mark.skipif(not _inductor_works(), reason="inductor needs a C++ compiler")
def test_the_default_compiler_on_a_graph_without_edges(backend):
    """Every node isolated (``Â = I``: the step is ``0.3 z + 0.7 (0.5 z + 0.1 x)``), compiled by inductor
    with nothing read back: torch 2.13's inductor miscompiled the 8 ``index_add`` steps over the self-loops
    alone, 0.14 off the answer without a word; the layer now applies the diagonal as such."""
    x = torch.randn(5, C, dtype=torch.float64)
    edges = torch.empty(2, 0, dtype=torch.long)
    z = x
    for _ in range(8):
        z = 0.3 * z + 0.7 * (0.5 * z + 0.1 * x)
    conv = backend.PIGNConv(C, **SYNC_FREE).double()
    with torch.no_grad():
        assert torch.allclose(backend.call(conv, x, edges), z, atol=1e-12)
        assert torch.allclose(backend.call(torch.compile(conv), x, edges), z, atol=1e-12)


def test_fullgraph_compiles_a_lazy_layer_after_the_call_that_sets_its_width(backend):
    """``PIGNConv(-1, C)``: its width check read whether the map was still lazy with a torch function that
    torch.compile cannot trace ("torch.* op returned non-Tensor")."""
    if backend.name != "pyg":
        pytest.skip("a DGLGraph is read outside the compiled graph: fullgraph=True needs an edge index")
    edge_index, _ = random_graph(N, 70)
    conv = backend.PIGNConv(-1, C, num_iterations=3, **SYNC_FREE)
    x = torch.randn(N, 5)
    expected = conv(x, edge_index)  # (the eager call that sets the width)
    assert torch.allclose(torch.compile(conv, backend="eager", fullgraph=True)(x, edge_index), expected, atol=1e-6)


@pytest.mark.parametrize("model", ["conv", "PIGN"])
def test_fullgraph_compiles_a_pyg_model_set_up_without_synchronisation(backend, model):
    if backend.name != "pyg":
        pytest.skip("a DGLGraph is read outside the compiled graph: fullgraph=True needs an edge index")
    g, x, _ = _inputs(backend)
    torch.manual_seed(1)
    module = (backend.PIGNConv(C, 4, **SYNC_FREE) if model == "conv"
              else backend.PIGN(C, 16, 3, dropout=0.0, **SYNC_FREE))
    ref = module(x, g)
    ref_grads = torch.autograd.grad(ref.square().sum(), list(module.parameters()))
    compiled = torch.compile(module, backend="aot_eager", fullgraph=True)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        for graph in (g, _inputs(backend, seed=3)[0]):  # another graph of the same size: no cache needed
            expected = module(x, graph)
            out = compiled(x, graph)
            assert torch.allclose(out, expected, atol=1e-6)
        out = compiled(x, g)
        grads = torch.autograd.grad(out.square().sum(), list(module.parameters()))
    _no_warnings(record)
    assert torch.allclose(out, ref, atol=1e-6)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads, ref_grads))


@pytest.mark.parametrize("model", ["PIGN", "GraphPIGN"])
def test_fullgraph_compiles_a_pyg_model_on_a_mini_batch_given_num_graphs(backend, model):
    """PIGN took no num_graphs, so a batch vector broke fullgraph=True (the count is read from the device)."""
    if backend.name != "pyg":
        pytest.skip("a DGLGraph is read outside the compiled graph: fullgraph=True needs an edge index")
    graphs = toy_graphs(3, channels=C)
    x = torch.cat([x for x, _, _ in graphs])
    starts = torch.tensor([0, *[g[0].size(0) for g in graphs]]).cumsum(0)
    ei = torch.cat([e + s for (_, e, _), s in zip(graphs, starts)], 1)
    batch = torch.repeat_interleave(torch.arange(3), torch.tensor([g[0].size(0) for g in graphs]))
    module = getattr(backend, model)(C, 16, 3, dropout=0.0, **SYNC_FREE).eval()
    compiled = torch.compile(module, backend="aot_eager", fullgraph=True)
    out = compiled(x, ei, batch=batch, num_graphs=3)
    assert torch.allclose(out, module(x, ei, batch=batch), atol=1e-6)


@pytest.mark.parametrize("model", ["PIGN", "GraphPIGN"])
def test_a_model_compiles_on_a_batch_of_graphs(backend, model):
    """DGL's GraphPIGN read the batched graph's counts inside the compiled frame: torch.compile failed in
    DGL's graph object ("module 'dgl._api_internal' has no attribute '_raw_ptr'")."""
    graphs = toy_graphs(3, channels=C)
    x = torch.cat([x for x, _, _ in graphs])
    starts = torch.tensor([0, *[g[0].size(0) for g in graphs]]).cumsum(0)
    ei = torch.cat([e + s for (_, e, _), s in zip(graphs, starts)], 1)
    sizes = [g[0].size(0) for g in graphs]
    module = getattr(backend, model)(C, 16, 3).eval()
    expected = backend.call(module, x, ei, batch_sizes=sizes)
    out = backend.call(torch.compile(module, backend="eager"), x, ei, batch_sizes=sizes)
    assert out.shape == expected.shape and torch.allclose(out, expected, atol=1e-6)


def test_the_gcn_operator_alone_compiles_whole(backend):
    """Its input checks read values back: under torch.compile they are left out (they broke fullgraph)."""
    if backend.name != "pyg":
        pytest.skip("a DGLGraph is read outside the compiled graph: fullgraph=True needs an edge index")
    g, x, _ = _inputs(backend)
    op = backend.GCNOperator(C)
    compiled = torch.compile(op, backend="aot_eager", fullgraph=True)
    assert torch.allclose(compiled(x, g), op(x, g), atol=1e-6)


def test_the_per_graph_setup_cache_works_under_compile(backend, monkeypatch):
    g, x, w = _inputs(backend, weighted=True)
    conv = backend.PIGNConv(C, num_iterations=4)  # validated: set up outside the graph, with the cache
    builds = []
    real = conv.operator.build_propagation

    def counting(*args, **kwargs):
        builds.append(1)
        return real(*args, **kwargs)

    monkeypatch.setattr(conv.operator, "build_propagation", counting)
    compiled = torch.compile(conv, backend="aot_eager")
    first = backend.run(compiled, x, g, w)
    second = backend.run(compiled, torch.randn(N, C), g, w)
    assert len(builds) == 1 and len(conv.operator._graphs) == 1
    w2 = w * 2.0  # other weights: another graph
    third = backend.run(compiled, x, g, w2)
    assert len(builds) == 2
    assert torch.allclose(first, backend.run(conv, x, g, w), atol=1e-6)
    assert torch.allclose(third, backend.run(conv, x, g, w2), atol=1e-6)
    assert second.shape == first.shape


def test_validation_under_compile(backend):
    g, x, _ = _inputs(backend)
    bad = x.clone()
    bad[3, 1] = float("nan")
    checked = torch.compile(backend.PIGNConv(C, num_iterations=3), backend="aot_eager")
    with pytest.raises(ValueError, match="NaN/Inf"):  # the layer's own message, from outside the graph
        backend.run(checked, bad, g)
    if backend.name == "pyg":  # an index out of range, traced with validate=False: torch refuses it
        edge_index, _ = random_graph(N, 70)
        edge_index[1, 5] = N + 2
        unchecked = torch.compile(backend.PIGNConv(C, num_iterations=3, **SYNC_FREE), backend="aot_eager")
        with pytest.raises((IndexError, RuntimeError), match="index|out of"):
            unchecked(x, edge_index)


@pytest.mark.parametrize("grad", ["implicit", "phantom"])
def test_gradient_modes_under_compile(backend, grad):
    g, x, _ = _inputs(backend)
    conv = backend.PIGNConv(C, num_iterations=6, form="paper", grad=grad, **SYNC_FREE)
    ref = backend.run(conv, x, g)
    ref_grads = torch.autograd.grad(ref.square().sum(), list(conv.parameters()))
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        out = backend.run(torch.compile(conv, backend="aot_eager"), x, g)
        grads = torch.autograd.grad(out.square().sum(), list(conv.parameters()))
    _no_warnings(record)
    assert torch.allclose(out, ref, atol=1e-6)
    assert all(torch.allclose(a, b, atol=1e-5) for a, b in zip(grads, ref_grads))


def test_a_pyg_sparse_adjacency_compiles_with_its_setup_outside(backend):
    if backend.name != "pyg":
        pytest.skip("PyG's sparse adjacency")
    edge_index, w = random_graph(N, 70, weighted=True)
    adj_t = torch.sparse_coo_tensor(edge_index.flip(0), w, (N, N), check_invariants=True).coalesce()
    x = torch.randn(N, C)
    conv = backend.PIGNConv(C, num_iterations=4, **SYNC_FREE)
    out = torch.compile(conv, backend="aot_eager")(x, adj_t)
    assert torch.allclose(out, conv(x, adj_t), atol=1e-6)
    assert torch.allclose(out, conv(x, edge_index, w), atol=1e-6)


@pytest.mark.parametrize("op", ["sage", "gat"])  # DGL's GAT operator binds the graph itself (its own bind)
def test_a_registered_operator_compiles(backend, op):
    g, x, _ = _inputs(backend)
    conv = backend.PIGNConv(C, num_iterations=3, conv=op, **SYNC_FREE)
    out = backend.run(torch.compile(conv, backend="aot_eager"), x, g)
    assert torch.allclose(out, backend.run(conv, x, g), atol=1e-6)


def test_jit_script_is_refused_by_name(backend):
    """It failed inside TorchScript's compiler ("Don't support conversion in JoinedStr"), pointing into
    the library's source; the layers, and the models and wrappers holding them, say what to use."""
    for module in (backend.PIGNConv(4), backend.PIGN(4, 8, 2, 2),
                   backend.IterativeConv(backend.layers.layer("GraphConv", 4))):
        with pytest.raises(RuntimeError, match=r"(PIGNConv|IterativeConv): torch.jit.script cannot compile the "
                                               r"iteration .* use torch.compile"):
            torch.jit.script(module)
