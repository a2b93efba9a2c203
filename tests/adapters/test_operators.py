"""PIGNConv(conv=...) in both adapters: the registered operators against the backend's own layers
iterated by hand, their options, and an operator a user registers."""
from __future__ import annotations

import functools
import warnings

import pytest
import torch
import torch.nn.utils.prune
from torch import nn

from iterative_core import get_operator
from iterative_core import operators as registry
from iterative_core.operators import SAGE_AGGREGATIONS
from tests.helpers import iterate_by_hand, random_graph

C = 8


def test_builtin_operators_registered(backend):
    assert {"gcn", "sage", "gin", "gat"} <= set(backend.available_operators())


@pytest.mark.parametrize("conv,options,cls", [
    ("sage", {}, "SAGEConv"),
    ("sage", {"aggr": "max"}, "SAGEConv"),
    ("gin", {"hidden": 12, "train_eps": True}, "GINConv"),
    ("gat", {"heads": 2}, "GATConv"),
    ("gat", {"heads": 4, "negative_slope": 0.1}, "GATConv"),
])
def test_registered_operator_matches_layer_iterated_by_hand(backend, conv, options, cls):
    ei, _ = random_graph(15, 50, simple=True)
    x = torch.randn(15, C)
    layer = backend.PIGNConv(C, num_iterations=5, smoothing=0.3, conv=conv, **options)
    op = layer.operator
    assert isinstance(op, getattr(backend.layers.lib, cls)) and layer.conv_name == conv
    if backend.name == "dgl" and conv == "gat":
        # PyG's convention, by hand: DGL's GATConv on the graph with one self-loop per node
        import dgl

        looped = dgl.add_self_loop(backend.graph(ei, 15))
        step = lambda z: dgl.nn.GATConv.forward(op, looped, z)  # noqa: E731
    else:
        step = backend.step(op, x, ei)
    ref = iterate_by_hand(step, x, iterations=5, smoothing=0.3)
    assert torch.allclose(backend.call(layer, x, ei), ref, atol=1e-6)
    # the same module through IterativeConv: same parameters, same output
    same = backend.IterativeConv(op, num_iterations=5, smoothing=0.3)
    assert same.state_dict().keys() == layer.state_dict().keys()
    assert torch.allclose(backend.call(same, x, ei), ref, atol=1e-6)


def test_numpy_integers_are_taken_for_heads_and_channels(backend):
    """Widths and head counts computed with NumPy are whole numbers: ``heads=np.int64(2)`` was refused
    with "heads must divide channels=8; got heads=2", and ``IterativeConv``'s ``channels=np.int64``
    as "not an int"."""
    import numpy as np

    layer = backend.PIGNConv(C, conv="gat", heads=np.int64(2))
    heads = getattr(layer.operator, "heads", getattr(layer.operator, "_num_heads", None))
    assert heads == 2 and type(heads) is int
    assert "heads=2," in repr(layer)  # (the repr is Python: not heads=np.int64(2))
    ei, _ = random_graph(6, 12, simple=True)
    assert backend.call(layer, torch.randn(6, C), ei).shape == (6, C)
    wrapped = backend.IterativeConv(backend.layers.layer("GraphConv", C), channels=np.int64(C))
    assert wrapped.channels == C and type(wrapped.channels) is int


def test_operator_options_checked(backend):
    PIGNConv = backend.PIGNConv
    with pytest.raises(TypeError, match=r"conv='sage'.*'alpha'.*valid keywords:.*aggr"):
        PIGNConv(C, conv="sage", alpha=0.1)
    with pytest.raises(TypeError, match=r"conv='gin'.*'heads'.*valid keywords:.*hidden"):
        PIGNConv(C, conv="gin", heads=2)
    with pytest.raises(ValueError, match="heads must divide channels=8"):
        PIGNConv(C, conv="gat", heads=3)
    with pytest.raises(ValueError, match="PIGNConv: unknown conv='gan'; the operators registered for .*'gat'.*'gcn'.*'gin'.*'sage'"):
        PIGNConv(C, conv="gan")
    with pytest.raises(ValueError, match="contraction="):
        PIGNConv(C, conv="sage", contraction=0.9)
    with pytest.raises(TypeError, match="IterativeConv"):
        PIGNConv(C, conv=backend.layers.layer("GraphConv", C))
    mlps = [m for m in PIGNConv(C, conv="gin").operator.children() if isinstance(m, nn.Sequential)]
    assert [m.weight.shape for m in mlps[0] if isinstance(m, nn.Linear)] == [(C, C), (C, C)]


def sage_by_hand(w: dict, z: torch.Tensor, edge_index: torch.Tensor, aggr: str) -> torch.Tensor:
    """``z W_root + aggr_j(h_j) W_neighbor + b`` from the weights under their shared names, with
    ``h = z`` or, for ``"pool"``, ``relu(z W_pool + b_pool)``; 0 for a node without in-edges."""
    src, dst = edge_index
    h = z if aggr != "pool" else torch.relu(z @ w["pool.weight"].T + w["pool.bias"])
    reduce = {"mean": "mean", "sum": "sum", "max": "amax", "pool": "amax"}[aggr]
    neigh = torch.zeros_like(h).scatter_reduce(0, dst[:, None].expand(-1, h.size(1)), h[src], reduce,
                                               include_self=False)
    return z @ w["root.weight"].T + neigh @ w["neighbor.weight"].T + w["bias"]


@pytest.mark.parametrize("conv,options", [("sage", {"aggr": "pool"}), ("gin", {"eps": 0.3}),
                                           ("gin", {"eps": 0.3, "train_eps": True}), ("gat", {"heads": 2})])
def test_builtin_operators_are_built_in_the_default_dtype(backend, conv, options):
    """Under ``torch.set_default_dtype(torch.float64)`` every tensor of an operator is float64, as in a
    module of torch's own (DGL builds GIN's eps and GAT's attention vectors as float32: GIN's eps=0.3 read
    0.30000001 and moved the output 2e-9 from PyG's; GAT refused a float64 input)."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        layer = backend.PIGNConv(C, num_iterations=3, conv=conv, **options)
        tensors = dict(layer.named_parameters()) | dict(layer.named_buffers())
        assert {name: t.dtype for name, t in tensors.items() if t.dtype != torch.float64} == {}
        if conv == "gin":
            assert layer.operator.eps.item() == 0.3
        ei, _ = random_graph(10, 30, simple=True)
        assert backend.call(layer, torch.randn(10, C), ei).dtype == torch.float64
    finally:
        torch.set_default_dtype(before)


@pytest.mark.parametrize("aggr", SAGE_AGGREGATIONS)
def test_sage_aggregations_are_the_same_function_in_both_backends(backend, aggr):
    """Each backend's conv='sage' against one function written by hand, with the same weights: also at
    nodes without in-edges (node 0 has out-edges only, the last 3 none), where max is 0, not -inf."""
    ei, _ = random_graph(20, 60, simple=True, isolated=3, seed=2)
    ei = ei[:, ei[1] != 0]
    x = torch.randn(20, C) - 1.0  # mostly negative: a max taken with 0 would differ
    layer = backend.PIGNConv(C, num_iterations=4, smoothing=0.3, conv="sage", aggr=aggr)
    with torch.no_grad():
        for name, t in layer.named_parameters():
            if name.endswith("bias"):
                t.normal_()
    shared = registry._KEYS[backend.name]["sage"]
    w = {shared[k]: v for k, v in layer.operator.state_dict().items()}
    pool = {"pool.weight", "pool.bias"} if aggr == "pool" else set()
    assert set(w) == {"root.weight", "neighbor.weight", "bias"} | pool
    step = backend.step(layer.operator, x, ei)
    lonely = [0, 17, 18, 19]
    assert torch.allclose(step(x)[lonely], x[lonely] @ w["root.weight"].T + w["bias"], atol=1e-6)
    out = backend.call(layer, x, ei)
    assert torch.isfinite(out).all()
    ref = iterate_by_hand(lambda z: sage_by_hand(w, z, ei, aggr), x, iterations=4, smoothing=0.3)
    assert torch.allclose(out, ref, atol=1e-5)


@pytest.mark.parametrize("aggr,error,message", [
    ("lstm", ValueError, "unknown conv='sage' aggr 'lstm'; valid: 'max', 'mean', 'pool', 'sum'.$"),
    ("gcn", ValueError, "unknown conv='sage' aggr 'gcn'; valid: 'max', 'mean', 'pool', 'sum'.$"),
    ("mena", ValueError, r"unknown conv='sage' aggr 'mena'; valid: .* Did you mean 'mean'\?$"),
    (["mean", "max"], TypeError, r"conv='sage' aggr must be a string, one of 'max', 'mean', 'pool', 'sum'; got"),
])
def test_sage_aggr_outside_the_shared_ones_refused_alike(backend, aggr, error, message):
    """Each backend's own SAGEConv takes aggregations the other lacks or computes otherwise ('lstm',
    'gcn', lists): both refuse them, when the layer is built, with the same message."""
    with pytest.raises(error, match=message):
        backend.PIGNConv(C, conv="sage", aggr=aggr)
    with pytest.raises(error, match=message):
        backend.PIGN(5, C, 3, conv="sage", aggr=aggr)


def test_sage_add_is_the_sum(backend):
    """PyG's name for the sum, taken by both backends as "sum"."""
    x, (ei, _) = torch.randn(12, C), random_graph(12, 30, seed=5)
    add = backend.PIGNConv(C, num_iterations=3, conv="sage", aggr="add")
    total = backend.PIGNConv(C, num_iterations=3, conv="sage", aggr="sum")
    total.load_state_dict(add.state_dict())
    torch.testing.assert_close(backend.call(add, x, ei), backend.call(total, x, ei))
    mean = backend.PIGNConv(C, num_iterations=3, conv="sage", aggr="mean")
    mean.load_state_dict(add.state_dict())
    assert not torch.allclose(backend.call(add, x, ei), backend.call(mean, x, ei))


def test_user_operator_registered_and_iterated(backend, clean_registry):
    Layer = backend.layers.MeanOfNeighbours
    backend.register_operator("mean_of_neighbours", Layer)
    assert "mean_of_neighbours" in backend.available_operators()
    assert get_operator("mean_of_neighbours", backend.name) is Layer
    ei, w = random_graph(12, 40, simple=True)
    x = torch.randn(12, C)
    layer = backend.PIGNConv(C, num_iterations=5, conv="mean_of_neighbours", scale=0.5, act="tanh")
    assert isinstance(layer.operator, Layer) and layer.operator.scale == 0.5
    ref = iterate_by_hand(backend.step(layer.operator, x, ei, w), x, iterations=5, act=torch.tanh)
    assert torch.allclose(backend.call(layer, x, ei, w), ref, atol=1e-6)
    # and in the model, by name
    model = backend.PIGN(5, C, 3, num_iterations=2, conv="mean_of_neighbours")
    assert backend.call(model, torch.randn(12, 5), ei).shape == (12, 3)
    with pytest.raises(ValueError, match="already registered"):
        backend.register_operator("mean_of_neighbours", lambda c: Layer(c))


@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
@pytest.mark.parametrize("conv", ["sage", "gin", "gat"])
def test_gradcheck_registered_operators_every_gradient_mode(backend, conv, grad):
    """float64 finite differences w.r.t. the input (added back at every step, so that the fixed point
    depends on it) and the operator's first weight matrix. Unrolled: the derivative of 5 steps;
    implicit: of the fixed point solved to 1e-13; phantom: its last 30 steps on a strong contraction,
    which approximate the implicit one to far below gradcheck's tolerance."""
    n = 8
    edge_index, _ = random_graph(n, 20, simple=True, seed=5)
    g = backend.graph(edge_index, n)
    converged = dict(num_iterations=300, tol=1e-13, stop="abs", backward_tol=1e-13, on_nonconvergence="raise",
                     smoothing=0.0)
    extra = {"unrolled": dict(num_iterations=5), "implicit": converged,
             "phantom": dict(converged, phantom_steps=30)}[grad]
    layer = backend.PIGNConv(4, conv=conv, inject_input=True, act="tanh", grad=grad, **extra).double()
    with torch.no_grad():  # a strong contraction: small weights
        for p in layer.parameters():
            if p.dim() > 1:
                p.mul_(0.2)
    name, weight = next((k, p) for k, p in layer.named_parameters() if p.dim() == 2)
    x = torch.randn(n, 4, dtype=torch.float64, requires_grad=True)
    w = weight.detach().clone().requires_grad_()

    def run(x, w):
        args = (x, g) if backend.name == "pyg" else (g, x)
        return torch.func.functional_call(layer, {name: w}, args)

    assert torch.autograd.gradcheck(run, (x, w))


def _with_alpha(backend):
    """A user's operator factory with an ``alpha`` of its own (a name the GCN operator's forms also set)."""
    def factory(channels: int, alpha: float = 0.5) -> nn.Module:
        op = backend.layers.MeanOfNeighbours(channels)
        op.alpha = alpha
        return op
    return factory


def test_a_user_factorys_own_alpha_keeps_its_default_and_takes_no_form(backend, clean_registry):
    backend.register_operator("with_alpha", _with_alpha(backend))
    layer = backend.PIGNConv(C, conv="with_alpha")
    assert layer.operator.alpha == 0.5  # not the forms' alpha (0.0 of "paper", 0.1 of "appnp"/"signed")
    assert (layer.form, layer.smoothing, layer.act) == ("paper", 0.5, "relu")
    assert backend.PIGNConv(C, conv="with_alpha", alpha=0.9).operator.alpha == 0.9
    with pytest.raises(AttributeError, match=r"alpha is an option of the GCN operator \(conv='gcn'\); this layer "
                                             r"iterates conv='with_alpha'.*layer.operator.alpha"):
        layer.alpha = 0.3
    assert layer.operator.alpha == 0.5
    with pytest.raises(ValueError, match=r"form='appnp' needs an operator that takes alpha, beta as the GCN operator"):
        backend.PIGNConv(C, conv="with_alpha", form="appnp")
    assert backend.PIGNConv(C).alpha == 0.1  # the GCN operator's, read and set through the layer
    gcn = backend.PIGNConv(C)
    gcn.alpha = 0.3
    assert gcn.operator.alpha == 0.3


def test_a_factory_option_assigned_on_the_layer_is_refused_with_where_it_goes(backend, clean_registry):
    """PIGNConv(C, conv=..., gamma=0.7) shows gamma=0.7 in its repr; conv.gamma = 0.0 was accepted and
    changed nothing (the operator kept 0.7)."""
    def factory(channels: int, gamma: float = 0.5) -> nn.Module:
        op = backend.layers.MeanOfNeighbours(channels)
        op.gamma = float(gamma)
        return op

    backend.register_operator("with_gamma", factory)
    layer = backend.PIGNConv(C, conv="with_gamma", gamma=0.7)
    with pytest.raises(AttributeError, match=r"^PIGNConv: gamma is an option of the operator of conv='with_gamma', "
                                             r"which it takes when it is built \(gamma=0.7 here\); assigned on the "
                                             r"layer it changes nothing: set layer.operator.gamma if your operator "
                                             r"reads it, or build a new layer with gamma=0.0$"):
        layer.gamma = 0.0
    assert layer.operator.gamma == 0.7 and "gamma" not in vars(layer)
    layer.gamma = 0.7  # the value it was built with, set again: nothing to refuse
    layer.gamma = torch.tensor(0.7, dtype=torch.float64)  # (equal, of another type)
    # not given, the factory's default: the same (an attribute of that name on the layer changed nothing either)
    with pytest.raises(AttributeError, match=r"^PIGNConv: gamma is an option .*\(gamma=0.5 here\)"):
        backend.PIGNConv(C, conv="with_gamma").gamma = 0.0
    # the GCN operator's bias, given, set by the form or by its default: the same
    for options, built in (({"form": "paper", "bias": True}, True), ({"form": "paper"}, True),
                           ({"form": "appnp"}, True), ({}, False)):
        with pytest.raises(AttributeError, match=rf"^PIGNConv: bias is an option of the operator of conv='gcn'.*"
                                                 rf"\(bias={built} here\).*build a new layer with bias={not built}$"):
            backend.PIGNConv(C, **options).bias = not built
        backend.PIGNConv(C, **options).bias = built
    with pytest.raises(AttributeError, match=r"^PIGNConv: aggr is an option of the operator of conv='sage'.*"
                                             r"\(aggr='mean' here\)"):
        backend.PIGNConv(C, conv="sage").aggr = "max"

    class WithOwnGamma(backend.PIGNConv):  # a subclass of yours keeps what it likes under that name
        def __init__(self, channels, gamma):
            super().__init__(channels, conv="with_gamma", gamma=gamma)
            self.gamma = torch.nn.Parameter(torch.tensor(float(gamma)))

    assert isinstance(WithOwnGamma(C, 1).gamma, torch.nn.Parameter)


def test_a_factory_keyword_the_layer_takes_or_a_misspelt_one_is_warned_about(backend, clean_registry):
    Layer = backend.layers.MeanOfNeighbours

    def with_dropout(channels: int, dropout: float = 0.0) -> nn.Module:
        op = Layer(channels)
        op.attention_dropout = dropout
        return op

    backend.register_operator("with_dropout", with_dropout)
    with pytest.warns(UserWarning, match=r"dropout sets the layer's own option; the factory of operator 'with_dropout' "
                                         r"takes a keyword of the same name and keeps its default.*functools.partial"):
        layer = backend.PIGNConv(C, conv="with_dropout", dropout=0.3)
    assert layer.dropout == 0.3 and layer.operator.attention_dropout == 0.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.PIGNConv(C, conv="with_dropout")  # nothing given twice

    backend.register_operator("any_keywords", lambda channels, **options: Layer(channels))
    with pytest.warns(UserWarning, match=r"num_iteration=5 goes to the factory of operator 'any_keywords' \(it takes "
                                         r"\*\*kwargs\), not to the iteration: did you mean num_iterations=\?"):
        layer = backend.PIGNConv(C, conv="any_keywords", num_iteration=5)
    assert layer.num_iterations == 8
    with pytest.warns(UserWarning, match=r"frm='paper' goes to the factory .* did you mean form=\?"):  # the layer's own
        backend.PIGNConv(C, conv="any_keywords", frm="paper")

    backend.register_operator("not_a_factory", dict)
    with pytest.raises(TypeError, match=r"building operator 'not_a_factory' as factory\(8, \*\*\{\}\) failed: .*"
                                        r"called as factory\(channels, \*\*options\)"):
        backend.PIGNConv(C, conv="not_a_factory")


@pytest.mark.parametrize("options, warned", [
    (dict(tol=1e-4), "tol=0.0001 is not reached"),
    (dict(grad="implicit"), "grad='implicit' gives the gradient of no fixed point"),
    (dict(), None),  # a fixed number of unrolled steps: dropout at each is a regulariser like any
])
def test_dropout_inside_the_operator_is_warned_about_where_a_fixed_point_is_assumed(backend, options, warned):
    if warned is None:
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            backend.PIGNConv(C, conv="gat", attention_dropout=0.5, **options)
        return
    with pytest.warns(UserWarning, match=r"the operator applies dropout \(.*0\.5.*\): in training each step draws "
                                         r"new masks.*" + warned + r".*pass the layer's dropout= instead"):
        backend.PIGNConv(C, conv="gat", attention_dropout=0.5, **options)
    with pytest.warns(UserWarning, match="the operator applies dropout"):  # a layer of the backend, wrapped
        backend.IterativeConv(backend.layers.layer("GATConv", C, dropout=0.5), **options)


def test_a_partial_of_the_gcn_operator_keeps_the_forms(backend, clean_registry):
    """functools.partial(GCNOperator, ...), as the keyword-clash warning suggests, is still the GCN operator."""
    backend.register_operator("gcn_no_bias", functools.partial(backend.GCNOperator, bias=False))
    layer = backend.PIGNConv(C, conv="gcn_no_bias")
    assert (layer.form, layer.smoothing, layer.alpha) == ("signed", 0.3, 0.1) and layer.operator.bias is None
    appnp = backend.PIGNConv(C, conv="gcn_no_bias", form="appnp")
    assert appnp.form == "appnp" and appnp.operator.bias is None  # the partial's bias holds over the form's
    assert backend.PIGNConv(C, form="appnp").operator.bias is not None
    backend.register_operator("gcn_bias", functools.partial(backend.GCNOperator, bias=True))
    assert backend.PIGNConv(C, conv="gcn_bias").operator.bias is not None  # ... in the signed form too
    backend.register_operator("gcn_alpha", functools.partial(backend.GCNOperator, alpha=0.2))
    fixed_alpha = backend.PIGNConv(C, conv="gcn_alpha")  # the form the layer takes unasked: not named
    assert fixed_alpha.operator.alpha == 0.2 and "form=" not in repr(fixed_alpha)


def test_a_valid_factorys_own_argument_errors_pass_unchanged(backend, clean_registry):
    with pytest.raises(ValueError, match=r"^GCNOperator: alpha") as e:
        backend.PIGNConv(C, alpha=2.0)
    assert "building operator" not in str(e.value)


def test_a_factory_keyword_near_but_not_a_layer_option_is_not_warned_about(backend, clean_registry):
    Layer = backend.layers.MeanOfNeighbours
    backend.register_operator("relational", lambda channels, **options: Layer(channels))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.PIGNConv(C, conv="relational", num_relations=3)  # PyG's RGCNConv keyword, not num_iterations
        backend.PIGN(4, C, 2, conv="relational", form="paper")  # the model's own dropout inside: no clash


def test_the_models_own_dropout_inside_is_no_clash_with_a_factorys(backend, clean_registry):
    Layer = backend.layers.MeanOfNeighbours
    backend.register_operator("with_dropout", lambda channels, dropout=0.0: Layer(channels))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = backend.PIGN(4, C, 2, conv="with_dropout")  # the paper form: dropout 0.5 inside, the model's
    assert model.conv.dropout == 0.5
    with pytest.warns(UserWarning, match="dropout sets the layer's own option"):
        backend.PIGN(4, C, 2, conv="with_dropout", conv_dropout=0.2)  # the user's: said


@pytest.mark.parametrize("conv,options,error,message", [
    ("gin", dict(hidden=0), ValueError, r"^PIGNConv: conv='gin' hidden must be an int >= 1 or None, got 0$"),
    ("gin", dict(hidden="8"), TypeError, r"^PIGNConv: conv='gin' hidden must be an int >= 1 or None, got '8'"),
    ("gin", dict(eps="a"), TypeError, r"^PIGNConv: conv='gin' eps must be a finite number, got 'a'"),
    ("gin", dict(train_eps=1), TypeError, r"^PIGNConv: conv='gin' train_eps must be True or False, got 1"),
    ("gat", dict(heads=True), TypeError, r"^PIGNConv: conv='gat' heads must be an int >= 1, got True"),
    ("gat", dict(heads=2.0), TypeError, r"^PIGNConv: conv='gat' heads must be an int >= 1, got 2\.0"),
    ("gat", dict(negative_slope="x"), TypeError, r"^PIGNConv: conv='gat' negative_slope must be a finite number, got 'x'"),
    ("gat", dict(attention_dropout=2.0), ValueError, r"^PIGNConv: conv='gat' attention_dropout must be a finite number in "
                                                     r"\[0, 1\), got 2\.0$"),
])
def test_the_builtin_operators_options_are_checked_when_built(backend, conv, options, error, message):
    """They went to torch unchecked: a zero-width GIN MLP was built, and others failed inside torch, some
    only at the first forward pass."""
    with pytest.raises(error, match=message):  # (the layer's name first, as for every option)
        backend.PIGNConv(4, conv=conv, **options)


def test_a_registered_factorys_own_error_names_the_layer_and_the_operator(backend, clean_registry):
    """A factory's ValueError (an option out of range) came without the layer's name; one that names its
    owner already (GCNOperator: ...) passes unchanged (test_a_valid_factorys_own_argument_errors_pass_unchanged)."""
    Layer = backend.layers.MeanOfNeighbours

    def factory(channels, k=1):
        if k < 0:
            raise ValueError(f"k must be >= 0, got {k}")
        return Layer(channels)

    backend.register_operator("needs_k", factory)
    with pytest.raises(ValueError, match=r"^PIGNConv\(conv='needs_k'\): k must be >= 0, got -1$"):
        backend.PIGNConv(C, conv="needs_k", k=-1)


@pytest.mark.parametrize("make", ["PIGNConv", "IterativeConv"])
def test_an_activation_class_or_an_unknown_name_is_refused_with_the_layer_named(backend, make):
    """act=nn.ReLU (the class) was taken, and each step built a module of the iterate: a raw torch error
    at the first call ("Boolean value of Tensor ... is ambiguous", or Tanh.__init__'s)."""
    build = ((lambda **kw: backend.PIGNConv(C, form="paper", **kw)) if make == "PIGNConv" else
             (lambda **kw: backend.IterativeConv(backend.layers.MeanOfNeighbours(C), **kw)))
    for cls in (nn.ReLU, nn.Tanh):
        with pytest.raises(TypeError, match=rf"^{make}: act={cls.__name__} is a class; pass an instance, "
                                            rf"act={cls.__name__}\(\), or a name"):
            build(act=cls)
    with pytest.raises(ValueError, match=rf"^{make}: unknown activation 'rleu'; .* Did you mean 'relu'\?$"):
        build(act="rleu")
    build(act=nn.ReLU())  # an instance is a callable activation


@pytest.mark.parametrize("conv", ["gcn", "sage"])
def test_forward_hooks_on_an_operator_that_binds_are_named_as_not_run(backend, conv):
    """A forward hook on the GCN operator (whose bind() returns the step) was silently never called,
    while the same hook on an operator called at every step (sage) runs then."""
    layer = backend.PIGNConv(C, conv=conv, num_iterations=3)
    calls = []
    layer.operator.register_forward_hook(lambda module, inputs, output: calls.append(1))
    ei, _ = random_graph(10, 30)
    x = torch.randn(10, C)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend.call(layer, x, ei)
    named = [w for w in caught if "(forward or backward) registered on PIGNConv.operator" in str(w.message)]
    if conv == "gcn":
        assert not calls and len(named) == 1 and "are not run" in str(named[0].message)
        assert ("register_propagate_forward_hook" in str(named[0].message)) == (backend.name == "pyg")
    else:
        assert len(calls) == 3 and not named
    # once per operator and set of hooks: not at every step of a training loop (a catch_warnings block
    # in the set-up made Python show it again at each new graph), again for a new hook
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for seed in range(3):
            backend.call(layer, x, random_graph(10, 30, seed=seed)[0])
        layer.operator.register_full_backward_hook(lambda module, grad_in, grad_out: None)
        backend.call(layer, x, ei)
    assert len([w for w in caught if "registered on PIGNConv.operator" in str(w.message)]) == (conv == "gcn")
    if conv == "gcn":  # hidden by a filter: given once it is lifted
        layer.operator.register_forward_pre_hook(lambda module, inputs: None)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            backend.call(layer, x, ei)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            backend.call(layer, x, ei)
        assert len([w for w in caught if "registered on PIGNConv.operator" in str(w.message)]) == 1


@pytest.mark.parametrize("reparametrize", ["prune", "weight_norm"])
def test_prune_and_weight_norm_on_the_gcn_operator_apply_at_every_call(backend, reparametrize):
    """torch's prune and weight_norm compute the weight in a forward pre-hook, which the GCN operator's
    bind() never ran: the weight stayed the tensor computed when the hook was set, and the second training
    step failed ("Trying to backward through the graph a second time"); no warning is due for them."""
    ei, _ = random_graph(10, 30)
    x = torch.randn(10, C)
    layer = backend.PIGNConv(C, form="paper", num_iterations=3)
    if reparametrize == "prune":
        torch.nn.utils.prune.l1_unstructured(layer.operator, "weight", amount=0.5)
    else:
        torch.nn.utils.weight_norm(layer.operator, "weight")
    opt = torch.optim.SGD(layer.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            backend.call(layer, x, ei).pow(2).sum().backward()
            opt.step()
        out = backend.call(layer, x, ei)
    # the weight the hook computes from the trained parameters
    plain = backend.PIGNConv(C, form="paper", num_iterations=3)
    with torch.no_grad():
        if reparametrize == "prune":
            weight = layer.operator.weight_orig * layer.operator.weight_mask
        else:
            v, g = layer.operator.weight_v, layer.operator.weight_g
            weight = g * v / torch.linalg.vector_norm(v, dim=tuple(range(1, v.dim())), keepdim=True)
        plain.operator.weight.copy_(weight)
        plain.operator.bias.copy_(layer.operator.bias)
    torch.testing.assert_close(out, backend.call(plain, x, ei))


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_the_gcn_operator_called_alone_in_half_precision_computes_in_float32(backend, dtype):
    """As the layer does: called alone, a half-precision GCN operator failed on the CPU ("addmm_out_sparse_csr
    not implemented for 'Half'") where the same operator iterated in a layer ran."""
    edge_index, w = random_graph(10, 30, seed=1)
    x = torch.randn(10, 4)
    op = backend.GCNOperator(4, **backend.zero_in_degree_ok).to(dtype)
    wide = backend.GCNOperator(4, **backend.zero_in_degree_ok)
    wide.load_state_dict({k: v.float() for k, v in op.state_dict().items()})
    out = backend.call(op, x.to(dtype), edge_index, w)
    assert out.dtype == dtype
    expected = backend.call(wide, x.to(dtype).float(), edge_index, w)
    torch.testing.assert_close(out.float(), expected.to(dtype).float(), rtol=0, atol=0)


def test_the_gcn_operator_called_alone_refuses_features_of_another_dtype_than_its_parameters(backend):
    """As a layer of it does (and torch's own layers): called alone it computed in the features' dtype,
    float64 features through float32 parameters returning float64."""
    edge_index, w = random_graph(10, 30, seed=1)
    op = backend.GCNOperator(4, **backend.zero_in_degree_ok)
    for dtype in (torch.float64, torch.float16):
        with pytest.raises(TypeError, match=rf"^GCNOperator: node features have dtype {dtype} but the operator's "
                                            rf"parameters have dtype torch.float32; convert one to the other: "
                                            rf"operator.to\({dtype}\) or features.to\(torch.float32\)"):
            backend.call(op, torch.randn(10, 4, dtype=dtype), edge_index, w)
    assert backend.call(op.double(), torch.randn(10, 4, dtype=torch.float64), edge_index, w).dtype == torch.float64


def test_the_gcn_operator_called_alone_under_autocast_runs_as_a_layer_does(backend):
    """It failed on the CPU ("addmm_out_sparse_csr" not implemented for 'BFloat16') where a layer of it
    ran: it now runs in its parameters' dtype with autocast off, and its backward pass after the block."""
    edge_index, w = random_graph(10, 30, seed=1)
    x = torch.randn(10, 4, requires_grad=True)
    op = backend.GCNOperator(4, **backend.zero_in_degree_ok)
    plain = backend.call(op, x, edge_index, w)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        out = backend.call(op, x, edge_index, w)
        assert out.dtype == torch.float32 and torch.equal(out, plain)
        with pytest.raises(RuntimeError, match=r"GCNOperator: backward\(\) was called inside torch.autocast"):
            out.sum().backward(retain_graph=True)
    out.sum().backward()
    assert x.grad is not None and torch.isfinite(x.grad).all()
