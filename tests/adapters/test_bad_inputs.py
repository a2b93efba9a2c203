"""Bad inputs, odd graphs, dtypes, divergence and stalls, determinism and persistence: what each must
give, the same in both adapters."""
from __future__ import annotations

import copy
import io
import warnings

import pytest
import torch

from iterative_core import ConvergenceError, ConvergenceWarning
from tests.helpers import dense_gcn_matrix, dense_pign

EI = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])  # a directed 4-cycle; node 4 is isolated


# ------------------------------------------------------------------------------------- bad inputs
def test_feature_width_different_from_channels_names_both(backend):
    with pytest.raises(ValueError, match=r"3 channels.*channels=4"):
        backend.call(backend.PIGNConv(4, num_iterations=3), torch.randn(5, 3), EI)


@pytest.mark.parametrize("x,edges,weight,match", [
    (torch.randn(5, 3), EI, None, r"GCNOperator: node features have 3 channels .*channels=4"),
    (torch.randn(3, 4), EI, None, r"GCNOperator: .*(3 rows.*5 nodes|refers to node 3 .* only 3 nodes)"),
    (torch.randn(5, 4), torch.tensor([[0, 1], [1, 9]]), None, r"GCNOperator: .*(refers to node 9|5 rows.*10 nodes)"),
    (torch.randn(5, 4), EI, torch.rand(3), r"GCNOperator: .*shape \(3,\).*4 edges"),
], ids=["width", "rows", "index", "weights"])
def test_the_gcn_operator_called_alone_checks_its_input_as_the_layer_does(backend, x, edges, weight, match):
    """One application of the exported operator read rows out of range (DGL: a segmentation fault on
    a block) or failed inside a matrix product."""
    n = 5 if edges is EI else 10
    g = backend.graph(edges, n)
    with pytest.raises(ValueError, match=match):
        backend.run(backend.GCNOperator(4), x, g, weight)


@pytest.mark.parametrize("weight,match", [
    (torch.rand(3), r"shape \(3,\).*4 edges"),
    (torch.rand(4, 3), r"one weight per edge, shape \(4,\), got \(4, 3\): edge features go by name, edge_attr="),
    (torch.tensor([1.0, float("nan"), 1.0, 1.0]), "NaN"),
    (torch.tensor([1.0, -1.0, 1.0, 1.0]), "negative"),  # the symmetric normalisation cannot take them
], ids=["length", "edge-features", "nan", "negative"])
def test_bad_edge_weights_are_refused(backend, weight, match):
    with pytest.raises(ValueError, match=match):
        backend.call(backend.PIGNConv(4, num_iterations=3), torch.randn(5, 4), EI, weight)


def test_a_batch_vector_in_edge_weights_place_is_named(backend):
    """``model(x, edge_index, batch)``, as a PyG user may write it, put the batch vector where the edge
    weights go and failed with "edge_weight has shape (5,) but the graph has 4 edges"."""
    batch = torch.tensor([0, 0, 0, 1, 1])
    with pytest.raises(TypeError, match=r"edge_weight must be a floating-point tensor .* got torch.int64 of "
                                        r"shape \(5,\) \(.*pass a batch vector by name, batch=batch\)"):
        backend.call(backend.PIGNConv(4, num_iterations=3), torch.randn(5, 4), EI, batch)
    # one entry per edge: integer weights, or the batch vector of a graph with as many nodes as edges,
    # whose only hint was to convert it (and, converted, the batch vector was read as weights)
    for x in (torch.randn(5, 4), torch.randn(4, 4)):
        with pytest.raises(TypeError, match=r"got torch.int64 of shape \(4,\) \(weights: convert them, "
                                            r"edge_weight.float\(\); a batch vector: .*by name, batch=batch\)"):
            backend.call(backend.PIGNConv(4, num_iterations=3), x, EI, torch.tensor([0, 0, 1, 1]))
    # a model names itself (the message named its PIGNConv), and points to batch= only where its forward
    # takes one (DGL's GraphPIGN reads the batch from the batched graph)
    message = r"^{}: edge_weight must be a floating-point tensor with one entry per edge, got torch.int64 of shape {}{}$"
    by_name = r" \(edge_weight is the third argument; pass a batch vector by name, batch=batch\)"
    both = r" \(weights: convert them, edge_weight.float\(\); a batch vector: edge_weight is the third argument; .*\)"
    takes_batch = {"PIGN": True, "GraphPIGN": backend.name == "pyg"}
    for name, takes in takes_batch.items():
        model = getattr(backend, name)(4, 8, 2, 3)
        for ids, shape, hint in ((batch, r"\(5,\)", by_name if takes else ""),
                                 (torch.tensor([0, 0, 1, 1]), r"\(4,\)",
                                  both if takes else r" \(convert it: edge_weight.float\(\)\)"),
                                 (torch.zeros(4, 3, dtype=torch.long), r"\(4, 3\)", "")):  # (integer edge features)
            with pytest.raises(TypeError, match=message.format(name, shape, hint)):
                backend.call(model, torch.randn(5, 4), EI, ids)
    for name in takes_batch:  # real weights, one too few
        with pytest.raises(ValueError, match=rf"^{name}: edge_weight has shape \(3,\) but the graph has 4 edges$"):
            backend.call(getattr(backend, name)(4, 8, 2, 3), torch.randn(5, 4), EI, torch.rand(3))
    if backend.name == "dgl":  # integer weights given by name are checked as the model's too (never a batch vector)
        g = backend.graph(EI, 5)
        g.edata["types"] = torch.tensor([0, 1, 1, 2])
        for name in takes_batch:
            with pytest.raises(TypeError, match=message.format(name, r"\(4,\)",
                                                               r" \(convert it: graph.edata\['types'\].float\(\)\)")):
                getattr(backend, name)(4, 8, 2, 3)(g, torch.randn(5, 4), "types")
        # and the layers' (which said edge_weight.float(), and pointed to a batch vector)
        g.edata["weight"] = torch.tensor([1, 2, 1, 1])
        for layer in (backend.PIGNConv(4, num_iterations=3), backend.IterativeConv(backend.GCNOperator(4))):
            with pytest.raises(TypeError, match=message.format(type(layer).__name__, r"\(4,\)",
                                                               r" \(convert it: graph.edata\['weight'\].float\(\)\)")):
                layer(g, torch.randn(5, 4), "weight")
    else:  # an edge index of another shape is refused as such, not as weights of a made-up count
        for name in takes_batch:
            with pytest.raises(ValueError, match=r"edge_index must have shape \[2, num_edges\], got \(4, 2\)"):
                getattr(backend, name)(4, 8, 2, 3)(torch.randn(5, 4), EI.t(), torch.rand(4))
    # the GCN operator called alone takes no batch vector: not pointed to batch=
    with pytest.raises(TypeError, match=r"got torch.int64 of shape \(5,\)$"):
        backend.call(backend.GCNOperator(4), torch.randn(5, 4), EI, batch)
    with pytest.raises(TypeError, match=r"got torch.bool of shape \(4,\) \(convert it: edge_weight.float\(\)\)"):
        backend.call(backend.PIGNConv(4, num_iterations=3), torch.randn(5, 4), EI, torch.ones(4, dtype=torch.bool))


def test_the_other_ecosystems_order_is_named_before_the_features_dtype(backend):
    """The arguments in the other library's order (PyG's conv(x, edge_index) on DGL's layers, DGL's
    conv(graph, feat) on PyG's) were refused for the features' dtype (an edge index in their place)."""
    x, g = torch.randn(5, 4), backend.graph(EI, 5)
    if backend.name == "pyg":
        swapped, wanted = [(EI, x)], r"got an int64 Tensor of shape \(2, 4\) where the node features go and a float32 " \
                                     r"Tensor of shape \(5, 4\) where the graph goes: the features come first, conv\(x, edge_index"
    else:
        swapped, wanted = [(x, EI), (x, g)], r"expected a DGLGraph as the first argument, in DGL's order conv\(graph, feat"
    for build in (lambda: backend.PIGNConv(4, num_iterations=2), lambda: backend.PIGN(4, 8, 2, 2),
                  lambda: backend.IterativeConv(backend.PIGNConv(4, num_iterations=1), channels=4, num_iterations=2)):
        for args in swapped:
            with pytest.raises(TypeError, match=wanted):
                build()(*args)


def test_negative_weights_are_fine_without_normalisation(backend):
    conv = backend.PIGNConv(4, num_iterations=3, normalize=False)
    out = backend.call(conv, torch.randn(5, 4), EI, torch.tensor([1.0, -1.0, 1.0, 1.0]))
    assert torch.isfinite(out).all()


def test_unsupported_dtype_is_named(backend):
    with pytest.raises(TypeError, match="int64"):
        backend.call(backend.PIGNConv(4, num_iterations=3), torch.randn(5, 4).long(), EI)


def test_unknown_keyword_and_solver_list_the_valid_ones(backend):
    with pytest.raises(TypeError, match="valid keywords:.*num_iterations"):
        backend.PIGNConv(4, num_iteration=3)
    with pytest.raises(ValueError, match="'anderson'.*'picard'"):
        backend.PIGNConv(4, solver="broyden")


def test_nan_features_are_named_at_once_or_reported_as_divergence(backend):
    x = torch.randn(5, 4)
    x[2, 1] = float("nan")
    x[3, 0] = float("inf")
    # named at once, with the count and the first row
    with pytest.raises(ValueError, match=r"2 NaN/Inf entries \(the first in row 2\)"):
        backend.call(backend.PIGNConv(4, num_iterations=3), x, EI)
    # without validation the iteration still reports it, as a divergence
    with pytest.warns(ConvergenceWarning, match="diverged"):
        _, info = backend.call(backend.PIGNConv(4, num_iterations=3, validate=False), x, EI, return_info=True)
    assert info.status == "diverged" and info.diverged
    with pytest.raises(ConvergenceError):
        backend.call(backend.PIGNConv(4, num_iterations=3, on_divergence="raise", validate=False), x, EI)


def test_validate_false_skips_the_checks_that_synchronise(backend):
    """validate=False reads no value back from the device: a NaN edge weight and a batch vector that cuts
    an edge are not refused (the NaN shows as a divergence instead); the shape checks stay."""
    x = torch.randn(5, 4)
    nan_weight = torch.tensor([1.0, float("nan"), 1.0, 1.0])
    cutting = torch.tensor([0, 0, 1, 1, 1])  # the edge 1 -> 2 joins graph 0 to graph 1
    with pytest.raises(ValueError, match="NaN"):
        backend.call(backend.PIGNConv(4, num_iterations=3), x, EI, nan_weight)
    with pytest.raises(ValueError, match="different graphs"):
        backend.call(backend.PIGNConv(4, num_iterations=3), x, EI, batch=cutting)
    unchecked = backend.PIGNConv(4, num_iterations=3, validate=False)
    with pytest.warns(ConvergenceWarning, match="diverged"):
        out = backend.call(unchecked, x, EI, nan_weight)
    assert not torch.isfinite(out).all()
    assert backend.call(unchecked, x, EI, batch=cutting).shape == (5, 4)
    with pytest.raises(ValueError, match=r"shape \(3,\).*4 edges"):
        backend.call(unchecked, x, EI, torch.rand(3))
    # on the CPU the ids' range costs no synchronisation: checked, as the edge indices are (it was an IndexError)
    with pytest.raises(ValueError, match=r"batch holds the graph id 1 but num_graphs=1 \(valid ids 0\.\.0\)"):
        backend.call(unchecked, x, torch.tensor([[0, 1], [1, 0]]), batch=torch.tensor([0, 0, 1, 1, 1]), num_graphs=1)


@pytest.mark.parametrize("kw,error,match", [
    ({"normalize": "no"}, TypeError, r"normalize must be True or False, got 'no' \(a str\)"),
    ({"add_self_loops": 0}, TypeError, r"add_self_loops must be True or False, got 0"),
    ({"cached": 1}, TypeError, r"cached must be True or False, got 1"),
    ({"bias": None}, TypeError, r"bias must be True or False, got None"),
    ({"alpha": "0.1"}, TypeError, r"alpha \(initial residual\) must be a finite number in \[0, 1\), got '0\.1'"),
    ({"beta": 1.5}, ValueError, r"beta \(identity mapping\) must be a finite number in \[0, 1\] or None, got 1\.5"),
])
def test_the_gcn_operators_options_are_checked_at_construction(backend, kw, error, match):
    """A truthy string or 0 used to pass as a switch (``normalize='no'`` normalised, ``bias=0`` dropped
    the bias) without a word."""
    with pytest.raises(error, match=match):
        backend.PIGNConv(4, **kw)


def test_the_gcn_operators_options_set_later_are_checked_or_refused(backend):
    conv = backend.PIGNConv(4, num_iterations=3, form="appnp")
    x = torch.randn(5, 4)
    before = backend.call(conv, x, EI)
    with pytest.raises(ValueError, match=r"GCNOperator: alpha \(initial residual\) must be a finite number in "
                                         r"\[0, 1\), got 2\.0"):
        conv.operator.alpha = 2.0
    with pytest.raises(TypeError, match=r"GCNOperator: normalize must be True or False, got 'no'"):
        conv.normalize = "no"  # the layer's attribute is the operator's, checked by it
    with pytest.raises(AttributeError, match=r"GCNOperator: beta is fixed when the operator is built .* it is 0\.0\): "
                                             r"build a new layer with the value 0\.5"):
        conv.beta = 0.5
    conv.beta = 0.0  # the same value: nothing changes, nothing to refuse
    assert torch.equal(backend.call(conv, x, EI), before)  # nothing of the above changed the layer
    conv.alpha = 0.5  # as APPNP's and GCNConv's attributes: read and set on the layer
    assert conv.operator.alpha == conv.alpha == 0.5 and "alpha" not in conv.__dict__
    assert not torch.allclose(backend.call(conv, x, EI), before)
    conv.tol = 1e-4  # the iteration's own options stay attributes of the layer
    assert conv.tol == 1e-4


def test_a_learned_coefficients_option_on_fixed_propagation_is_refused_not_stored(backend):
    """gamma_* exist only with propagation='signed'; set later on a fixed one, they were stored as an
    attribute nothing reads."""
    conv = backend.PIGNConv(4, num_iterations=3, form="appnp")
    for target in (conv, conv.operator):
        with pytest.raises(AttributeError, match=r"GCNOperator: gamma_init is fixed when the operator is built .* "
                                                 r"this one has none, with propagation='fixed'"):
            target.gamma_init = 0.3
    assert "gamma_init" not in vars(conv) and "gamma_init" not in vars(conv.operator)


def test_a_subclass_keeps_its_own_attributes(backend):
    """Only the GCN operator's options are the layer's; a subclass's own names are left alone."""
    class MyConv(backend.PIGNConv):
        def __init__(self, channels, heads=2):
            super().__init__(channels, conv="gat", heads=heads)
            self.heads = heads

    assert MyConv(8).heads == 2 and "heads" in MyConv(8).__dict__


def test_a_cached_propagation_is_rebuilt_when_a_switch_changes(backend):
    conv = backend.PIGNConv(4, num_iterations=3, cached=True)
    x = torch.randn(5, 4)
    backend.call(conv, x, EI)
    conv.operator.normalize = False
    fresh = backend.PIGNConv(4, num_iterations=3, normalize=False)
    fresh.load_state_dict(conv.state_dict())
    assert torch.allclose(backend.call(conv, x, EI), backend.call(fresh, x, EI))


def test_a_switch_changed_later_is_checked_on_a_graph_seen_before(backend):
    """DGL refuses nodes without in-edges unless allow_zero_in_degree; the graphs kept from before the
    change must not let such a graph through."""
    if backend.name != "dgl":
        pytest.skip("allow_zero_in_degree is DGL's")
    conv = backend.PIGNConv(4, num_iterations=2, add_self_loops=False, allow_zero_in_degree=True)
    g = backend.graph(EI, 5)  # node 4 has no in-edge
    backend.run(conv, torch.randn(5, 4), g)
    conv.allow_zero_in_degree = False
    with pytest.raises(Exception, match="0-in-degree nodes"):
        backend.run(conv, torch.randn(5, 4), g)


def test_a_warm_start_with_nan_is_refused_when_validating(backend):
    conv = backend.PIGNConv(4, num_iterations=3)
    z = torch.randn(5, 4)
    z[2, 1] = float("nan")
    with pytest.raises(ValueError, match=r"PIGNConv: z_init holds 1 NaN/Inf entry; a warm start must be finite"):
        backend.call(conv, torch.randn(5, 4), EI, z_init=z)
    conv.validate = False  # no synchronisation: the NaN goes through, reported as divergence
    with pytest.warns(ConvergenceWarning):
        backend.call(conv, torch.randn(5, 4), EI, z_init=z)


def test_num_graphs_zero_with_nodes_in_a_batch_says_no_id_is_valid(backend):
    with pytest.raises(ValueError, match=r"batch holds the graph id 0 but num_graphs=0 \(no graph ids are valid\)"):
        backend.call(backend.PIGNConv(4, num_iterations=3), torch.randn(5, 4), EI,
                     batch=torch.zeros(5, dtype=torch.long), num_graphs=0)


def test_a_batch_vector_of_another_dtype_is_named_with_the_conversion(backend):
    conv = backend.PIGNConv(4, num_iterations=3)
    with pytest.raises(TypeError, match=r"batch must be int64 \(graph ids, .*\), got torch.int32: convert it, "
                                        r"batch.long\(\)$"):
        backend.call(conv, torch.randn(5, 4), EI, batch=torch.zeros(5, dtype=torch.int32))
    with pytest.raises(TypeError, match=r"batch must be int64 .*, got torch.float32$"):
        backend.call(conv, torch.randn(5, 4), EI, batch=torch.zeros(5))


def test_features_given_as_a_list_are_named_as_such(backend):
    with pytest.raises(TypeError, match=r"PIGNConv: node features must be a torch\.Tensor, got list"):
        backend.run(backend.PIGNConv(4, num_iterations=3), torch.randn(5, 4).tolist(), backend.graph(EI, 5))


# ------------------------------------------------------------------------------------- odd graphs
def test_a_graph_without_edges_keeps_each_node_to_its_self_loop(backend):
    conv = backend.PIGNConv(4, num_iterations=4, form="paper")
    x = torch.randn(6, 4)
    out = backend.call(conv, x, torch.zeros(2, 0, dtype=torch.long))
    assert out.shape == (6, 4) and torch.isfinite(out).all()
    ref = dense_pign(x, torch.eye(6), conv.operator.weight, conv.operator.bias, iterations=4, smoothing=0.5)
    assert torch.allclose(out, ref, atol=1e-5)


def test_a_graph_without_nodes(backend):
    conv = backend.PIGNConv(4, num_iterations=4, form="paper")
    assert backend.call(conv, torch.randn(0, 4), torch.zeros(2, 0, dtype=torch.long)).shape == (0, 4)


def test_self_loops_duplicates_and_isolated_nodes(backend):
    """Self-loops already present are not counted twice; duplicate edges add up; isolated nodes keep
    their added loop."""
    conv = backend.PIGNConv(4, num_iterations=4, form="paper")
    x = torch.randn(6, 4)
    ei = torch.tensor([[0, 0, 1, 1, 2], [1, 1, 1, 1, 2]])
    out = backend.call(conv, x, ei)
    assert torch.isfinite(out).all()
    A = dense_gcn_matrix(ei, None, 6)
    assert A[2, 2] == pytest.approx(1.0)  # node 2: its own loop only, weight 1, degree 1
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=4, smoothing=0.5)
    assert torch.allclose(out, ref, atol=1e-5)


# ----------------------------------------------------------------------------------------- dtypes
@pytest.mark.parametrize("dtype,tol", [(torch.float64, 1e-5), (torch.float16, 5e-3), (torch.bfloat16, 3e-2)],
                         ids=["float64", "float16", "bfloat16"])
@pytest.mark.parametrize("kw", [{"form": "signed"}, {"form": "appnp"}, {"form": "paper"},
                                {"form": "appnp", "beta": 0.5, "contraction": 0.8}, {"form": "signed", "beta": 0.5}],
                         ids=["signed", "appnp", "paper", "appnp-beta-contraction", "signed-beta"])
def test_every_float_dtype_gives_the_float32_output(backend, kw, dtype, tol):
    """(GCNII's identity mapping, with ``beta``, built its identity in the weight's dtype, which
    torch 2.2 cannot do in bfloat16.)"""
    x = torch.randn(5, 4)
    ref_conv = backend.PIGNConv(4, num_iterations=3, **kw)
    if ref_conv.operator.bias is not None:  # (the signed form has none)
        with torch.no_grad():
            ref_conv.operator.bias.uniform_(-0.5, 0.5)
    ref = backend.call(ref_conv, x, EI)
    conv = backend.PIGNConv(4, num_iterations=3, **kw)
    conv.load_state_dict(ref_conv.state_dict())
    out = backend.call(conv.to(dtype), x.to(dtype), EI)
    assert out.dtype == dtype
    assert torch.allclose(out.double(), ref.double(), atol=tol * 10, rtol=tol * 10)


@pytest.mark.parametrize("conv", ["sage", "gin", "gat"])
def test_a_bfloat16_layer_of_a_builtin_operator_runs_and_returns_bfloat16(backend, conv):
    """DGL's GAT operator binds the graph (its loops once per call), so its iteration ran in float32
    against bfloat16 weights and failed in a matrix product."""
    x = torch.randn(5, 4)
    w = torch.rand(EI.size(1)) + 0.5 if backend.name == "dgl" else None  # DGL's take float32 weights too
    ref_conv = backend.PIGNConv(4, num_iterations=3, conv=conv)
    ref = backend.call(ref_conv, x, EI, w)
    out = backend.call(copy.deepcopy(ref_conv).to(torch.bfloat16), x.to(torch.bfloat16), EI, w)
    assert out.dtype == torch.bfloat16
    assert torch.allclose(out.float(), ref, atol=0.1, rtol=0.1)


@pytest.mark.parametrize("widths, kw", [((4, 3), {}), ((4,), {}), ((4,), {"form": "appnp"}), ((4,), {"form": "paper"})],
                         ids=["projection", "signed", "appnp", "paper"])
@pytest.mark.parametrize("layer_dtype, x_dtype", [(torch.float32, torch.float64), (torch.float64, torch.float32)])
def test_features_of_another_dtype_than_the_layer_are_named(backend, widths, kw, layer_dtype, x_dtype):
    """The GCN operator used to iterate in the features' dtype: a float64 layer given float32 features
    computed and returned float32, while the projection refused the same mismatch."""
    conv = backend.PIGNConv(*widths, num_iterations=3, **kw).to(layer_dtype)
    with pytest.raises(TypeError, match=rf"PIGNConv: node features have dtype {x_dtype} but the layer's parameters "
                                        rf"have dtype {layer_dtype}; convert one to the other: layer\.to\({x_dtype}\) "
                                        rf"or features\.to\({layer_dtype}\)"):
        backend.call(conv, torch.randn(5, 4, dtype=x_dtype), EI)


def test_a_layer_without_parameters_iterates_in_the_features_dtype(backend):
    """APPNP's form without a bias has nothing to learn, like PyG's APPNP: any float dtype runs."""
    conv = backend.PIGNConv(4, num_iterations=3, form="appnp", bias=False)
    assert not list(conv.parameters())
    x = torch.randn(5, 4, dtype=torch.float64)
    out = backend.call(conv, x, EI)
    assert out.dtype == torch.float64
    torch.testing.assert_close(out.float(), backend.call(conv, x.float(), EI))


@pytest.mark.parametrize("widths, kw", [((4,), {}), ((4, 3), {}), ((4,), {"form": "paper"}), ((4,), {"conv": "sage"})],
                         ids=["signed", "projection", "paper", "sage"])
def test_under_autocast_the_layer_runs_in_its_own_dtype(backend, widths, kw):
    """Autocast used to reach the iteration: the CPU's sparse product has no bfloat16 kernel, and an
    ecosystem operator returned bfloat16 for float32 input. The layer now runs with autocast off, in
    its parameters' dtype, and a backward pass taken outside autocast (PyTorch's AMP pattern) works."""
    conv = backend.PIGNConv(*widths, num_iterations=3, **kw)
    x = torch.randn(5, 4)
    ref = backend.call(conv, x, EI)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = backend.call(conv, x.to(torch.bfloat16), EI)
    assert out.dtype == torch.float32
    torch.testing.assert_close(out, backend.call(conv, x.to(torch.bfloat16).float(), EI))
    assert not torch.equal(out, ref)  # the features' rounding to bfloat16 is kept, nothing else is
    out.sum().backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in conv.parameters())


@pytest.mark.parametrize("kw", [{"grad": "unrolled"}, {"grad": "implicit"}, {"grad": "phantom"},
                                {"form": "paper", "solver": "anderson", "contraction": 0.9}, {"conv": "sage"}],
                         ids=["unrolled", "implicit", "phantom", "anderson", "sage"])
def test_a_backward_pass_inside_autocast_is_named(backend, kw):
    """A backward pass inside the autocast block failed with torch's "addmm_out_sparse_csr_impl_mkl not
    implemented for 'BFloat16'" (the GCN operator), or ran the iteration's backward steps in bfloat16: with
    Anderson, a gradient 39% off without a word. Outside the block it is the layer's own dtype's."""
    import warnings

    conv = backend.PIGNConv(4, num_iterations=3, **kw)
    x = torch.randn(5, 4, requires_grad=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # (3 implicit steps are no fixed point: said, not tested here)
        with torch.autocast("cpu", dtype=torch.bfloat16):
            out = backend.call(conv, x, EI)
            with pytest.raises(RuntimeError, match=r"^PIGNConv: backward\(\) was called inside torch.autocast.*in "
                                                   r"torch.float32\)\. Call backward\(\) after the autocast block"):
                out.sum().backward(retain_graph=True)
        out.sum().backward()  # after the block: the gradient in the layer's dtype
        want = torch.autograd.grad(backend.call(conv, x, EI).sum(), x)[0]
    torch.testing.assert_close(x.grad, want)


def test_a_layer_runs_on_the_meta_device(backend):
    """Shapes only, as model builders trace them: the autocast check must not ask a device that has none."""
    if backend.name == "dgl":
        pytest.skip("DGL graphs do not live on the meta device")
    from iterative_core.validation import _AUTOCAST_BY_DEVICE
    if not _AUTOCAST_BY_DEVICE:
        pytest.skip("torch before 2.4 has no meta kernel for the residual norms (_foreach_norm)")
    from torch_geometric.nn import SAGEConv  # the GCN operator's set-up counts degrees (no meta kernel)

    conv = backend.IterativeConv(SAGEConv(4, 4), num_iterations=2, validate=False, on_divergence="ignore")
    out = conv.to("meta")(torch.empty(5, 4, device="meta"), EI.to("meta"))
    assert out.shape == (5, 4) and out.device.type == "meta"


def test_what_cannot_run_on_the_meta_device_says_so(backend):
    """The input checks read values and the GCN operator builds a sparse matrix: neither exists on the
    meta device, where torch's own errors (Tensor.item(), a missing bincount kernel) named neither."""
    if backend.name == "dgl":
        pytest.skip("DGL graphs do not live on the meta device")
    x, ei = torch.empty(5, 4, device="meta"), EI.to("meta")
    with pytest.raises(ValueError, match="PIGNConv: validate=True reads the inputs' values.*pass validate=False"):
        backend.PIGNConv(4).to("meta")(x, ei)
    conv = backend.PIGNConv(4, validate=False, on_divergence="ignore").to("meta")
    with pytest.raises(NotImplementedError, match="GCN operator builds a sparse matrix.*meta device.*SAGEConv"):
        conv(x, ei)


# --------------------------------------------------------------------------- divergence and stalls
def test_an_expansive_operator_is_reported_as_diverged(backend):
    x = torch.randn(5, 4)
    conv = backend.PIGNConv(4, num_iterations=40, act="identity", smoothing=0.0, form="paper")
    with torch.no_grad():
        conv.operator.weight.copy_(torch.eye(4) * 50)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        _, info = backend.call(conv, x, EI, return_info=True)
    assert info.status == "diverged"
    assert any(issubclass(w.category, ConvergenceWarning) for w in rec)
    conv.on_divergence = "raise"
    with pytest.raises(ConvergenceError, match="diverged"):
        backend.call(conv, x, EI)


def test_a_stall_at_max_iter_with_a_tol_is_reported(backend):
    x = torch.randn(5, 4)
    stall = backend.PIGNConv(4, num_iterations=2, tol=1e-12, smoothing=0.9)
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        _, info = backend.call(stall, x, EI, return_info=True)
    assert info.status == "max_iter" and info.converged is False
    stall.on_nonconvergence = "raise"
    with pytest.raises(ConvergenceError, match="did not reach"):
        backend.call(stall, x, EI)


# ------------------------------------------------------------------------ determinism, persistence
def test_dropout_is_deterministic_under_a_seed(backend):
    x = torch.randn(30, 8)
    ei = torch.randint(0, 30, (2, 90))
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        conv = backend.PIGNConv(8, num_iterations=5, dropout=0.3)
        conv.train()
        outs.append(backend.call(conv, x, ei))
    assert torch.equal(outs[0], outs[1])
    torch.manual_seed(124)
    assert not torch.equal(backend.call(backend.PIGNConv(8, num_iterations=5, dropout=0.3), x, ei), outs[0])


def test_state_dict_round_trip_with_weights_only(backend):
    torch.manual_seed(0)
    model = backend.PIGN(10, 16, 3, num_iterations=4, inject_input=True).eval()
    x, ei = torch.randn(20, 10), torch.randint(0, 20, (2, 60))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    clone = backend.PIGN(10, 16, 3, num_iterations=4, inject_input=True).eval()
    clone.load_state_dict(torch.load(buf, weights_only=True))
    assert torch.equal(backend.call(model, x, ei), backend.call(clone, x, ei))


def test_num_graphs_without_a_batch_vector_is_one_graph_or_refused(backend):
    """Without a batch vector the nodes are one graph: ``num_graphs=1`` says so (PyG refused it, DGL took
    it); any other count is refused, naming the count."""
    conv = backend.PIGNConv(4, num_iterations=3, tol=1e-4)
    x = torch.randn(5, 4)
    torch.testing.assert_close(backend.call(conv, x, EI, num_graphs=1), backend.call(conv, x, EI), rtol=0, atol=0)
    for count in (0, 2):
        with pytest.raises(ValueError, match=rf"num_graphs={count}"):
            backend.call(conv, x, EI, num_graphs=count)


@pytest.mark.parametrize("make", ["PIGNConv", "IterativeConv"])
def test_a_misspelt_call_keyword_names_the_layer_not_the_adapters_mixin(backend, make):
    """Python names an unknown keyword by the function's qualified name: it was the adapter's mixin's
    (PyGLayer.forward, DGLLayer.forward), a class the user never wrote."""
    conv = (backend.PIGNConv(4) if make == "PIGNConv"
            else backend.IterativeConv(backend.layers.MeanOfNeighbours(4)))
    ei = torch.tensor([[0, 1], [1, 0]])
    with pytest.raises(TypeError, match=rf"^{make}\.forward\(\) got an unexpected keyword argument 'edge_weights'"):
        backend.call(conv, torch.randn(2, 4), ei, edge_weights=torch.ones(2))

    class Yours(type(conv)):
        pass

    assert Yours.forward.__qualname__.endswith("Yours.forward") and Yours.forward.__code__ is type(conv).forward.__code__
