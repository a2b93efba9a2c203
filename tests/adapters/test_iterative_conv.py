"""IterativeConv in both adapters: any square layer of the backend iterated, compared with the same
layer iterated by hand; what it refuses and why."""
from __future__ import annotations

import copy
import io
import pickle
import re
import warnings

import pytest
import torch
from torch import nn

from tests.helpers import iterate_by_hand, random_graph, with_self_loops

C, N = 8, 15
KINDS = ["GraphConv", "SAGEConv", "GINConv", "GATConv"]


def _graph(n: int = N, e: int = 50, *, weighted: bool = True, seed: int = 0):
    """A simple random graph with one self-loop per node (DGL's layers refuse nodes without in-edges)."""
    ei, w = random_graph(n, e, simple=True, weighted=weighted, seed=seed)
    return with_self_loops(ei, w, n)


def _square(kind: str, backend) -> nn.Module:
    return backend.layers.layer(kind, C, C // 2, heads=2) if kind == "GATConv" else backend.layers.layer(kind, C)


def _contract(layer: nn.Module, bias: float) -> None:
    """Shrink the weights (a contraction) and set the biases (a nonzero fixed point)."""
    with torch.no_grad():
        for p in layer.parameters():
            p.mul_(0.1) if p.dim() > 1 else p.fill_(bias)


@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("kind", KINDS)
def test_matches_layer_iterated_by_hand(backend, kind, weighted):
    ei, w = _graph(weighted=weighted)
    x = torch.randn(N, C)
    layer = _square(kind, backend)
    conv = backend.IterativeConv(layer, num_iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7], act="tanh")
    assert conv.channels == C and conv.conv is layer
    if weighted and kind not in backend.layers.WEIGHTED:
        with pytest.raises(TypeError, match=f"{kind}.forward takes no edge_weight"):
            backend.call(conv, x, ei, w)
        return
    out = backend.call(conv, x, ei, w)
    ref = iterate_by_hand(backend.step(layer, x, ei, w), x, iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7],
                          act=torch.tanh)
    assert torch.allclose(out, ref, atol=1e-6)


def test_gradients_match_hand_loop(backend):
    ei, w = _graph(12, 40)
    layer = backend.layers.layer("GraphConv", C)
    conv = backend.IterativeConv(layer, num_iterations=4, smoothing=0.3)
    x = torch.randn(12, C, requires_grad=True)
    backend.call(conv, x, ei, w).square().sum().backward()
    got = [p.grad.clone() for p in layer.parameters()] + [x.grad.clone()]
    layer.zero_grad(), x.grad.zero_()
    iterate_by_hand(backend.step(layer, x, ei, w), x, iterations=4, smoothing=0.3).square().sum().backward()
    want = [p.grad for p in layer.parameters()] + [x.grad]
    for a, b in zip(got, want):
        assert torch.allclose(a, b, atol=1e-6)


@pytest.mark.parametrize("kind,c_in,c_out,heads,msg", [
    ("GraphConv", 8, 16, 1, "maps 8 input channels to 16 output channels"),
    ("GATConv", 8, 8, 2, "maps 8 input channels to 16 output channels"),
    ("SAGEConv", (8, 16), 8, 1, "bipartite"),
    ("GINConv", 8, 6, 1, "maps 8 input channels to 6"),
])
def test_non_square_layer_refused_with_reason(backend, kind, c_in, c_out, heads, msg):
    with pytest.raises(ValueError, match=msg + ".*feeds each output back"):
        backend.IterativeConv(backend.layers.layer(kind, c_in, c_out, heads=heads))


def test_the_librarys_own_layers_widths_are_read(backend):
    """DGL's names are ``_in_feats`` / ``_out_feats``; its ``PIGNConv`` was not read without ``channels=``."""
    assert backend.IterativeConv(backend.PIGNConv(C, num_iterations=2)).channels == C
    assert backend.IterativeConv(backend.PIGNConv(-1, C, num_iterations=2)).channels == C
    with pytest.raises(ValueError, match=f"maps 4 input channels to {C} output channels"):
        backend.IterativeConv(backend.PIGNConv(4, C))
    # the GCN operator (the README's way to iterate it with contraction=): DGL did not read its width
    conv = backend.IterativeConv(backend.GCNOperator(C), contraction=0.9, num_iterations=2)
    assert conv.channels == C
    ei, w = _graph()
    assert backend.run(conv, torch.randn(N, C), backend.graph(ei, N)).shape == (N, C)


class _Grow(nn.Module):
    """No width attributes: only the output gives it away (either backend's argument order)."""

    def forward(self, a, b):
        x = a if isinstance(a, torch.Tensor) and a.is_floating_point() else b
        return torch.cat([x, x], 1)


def test_output_width_checked_at_run_time(backend):
    conv = backend.IterativeConv(_Grow(), channels=4)
    with pytest.raises(ValueError, match=r"shape \(5, 4\) to shape \(5, 8\)"):
        backend.call(conv, torch.randn(5, 4), torch.tensor([[0, 1], [1, 2]]))
    with pytest.raises(ValueError, match="pass channels="):
        backend.IterativeConv(_Grow())


class _NeedsThree(nn.Module):
    """A layer with a third required input (as PyG's GCN2Conv(x, x_0, edge_index))."""

    in_features = out_features = 4

    def forward(self, a, b, c):
        return a


def test_a_module_not_called_as_a_graph_layer_is_refused_at_construction(backend):
    form = "conv(x, edge_index" if backend.name == "pyg" else "conv(graph, feat"
    with pytest.raises(TypeError, match=rf"Linear.forward\(input\) takes no graph; each step calls it as "
                                        rf"{re.escape(form)}"):
        backend.IterativeConv(nn.Linear(4, 4))
    with pytest.raises(TypeError, match=r"_NeedsThree.forward\(a, b, c\) needs 3 positional arguments"):
        backend.IterativeConv(_NeedsThree())
    backend.IterativeConv(_Grow(), channels=4)  # two positional inputs: accepted (as every layer above)


class _RequiredWeight(nn.Module):
    """A weighted layer whose edge_weight has no default (the layer passes it by keyword)."""

    in_features = out_features = 4

    def forward(self, a, b, edge_weight):
        z = a if isinstance(a, torch.Tensor) and a.is_floating_point() else b
        return 0.5 * z * edge_weight.mean()


def test_a_required_edge_weight_is_not_a_third_positional_input(backend):
    conv = backend.IterativeConv(_RequiredWeight(), num_iterations=2)
    ei = torch.tensor([[0, 1], [1, 2]])
    out = backend.call(conv, torch.ones(3, 4), ei, torch.tensor([2.0, 2.0]))
    assert out.shape == (3, 4)


def test_a_bipartite_pair_of_features_is_refused(backend):
    g = backend.graph(torch.tensor([[0, 1], [1, 2]]), 4)
    pair = (torch.randn(4, C), torch.randn(3, C))
    with pytest.raises(ValueError, match="bipartite.*subgraph"):
        backend.run(backend.IterativeConv(backend.layers.layer("SAGEConv", C)), pair, g)
    with pytest.raises(ValueError, match="square"):
        backend.run(backend.PIGNConv(C), pair, g)
    # (x_src, None), PyG's pair without the targets' features: "must be a torch.Tensor, got tuple" before
    with pytest.raises(ValueError, match=r"got a bipartite pair \(x_src, None\).*square"):
        backend.run(backend.PIGNConv(C), (pair[0], None), g)


def test_one_tensor_as_both_ends_of_a_pair_is_one_node_set_in_dgl_only(backend):
    """(x, x), as DGL's HeteroGraphConv passes a relation within one node type, was refused as bipartite;
    two tensors, even equal ones, still are. PyG's HeteroConv and to_hetero pass a pair only for a
    relation between two node types, whose features may be one tensor: it ran there as one node set."""
    g = backend.graph(torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]]), 4)
    x = torch.randn(4, C)
    for conv in (backend.PIGNConv(C, num_iterations=3),
                 backend.IterativeConv(backend.layers.layer("GraphConv", C), num_iterations=3)):
        if backend.name == "dgl":
            assert torch.equal(backend.run(conv, (x, x), g), backend.run(conv, x, g))
        else:
            with pytest.raises(ValueError, match=r"bipartite pair \(x_src, x_dst\).*between two node types"):
                backend.run(conv, (x, x), g)
        with pytest.raises(ValueError, match="bipartite"):
            backend.run(conv, (x, x.clone()), g)


def test_dgl_hetero_graph_conv_takes_the_layers():
    dgl = pytest.importorskip("dgl")
    from dgl.nn import HeteroGraphConv

    from dgl_iterative import PIGNConv

    hg = dgl.heterograph({("u", "f", "u"): ([0, 1, 2], [1, 2, 3]), ("u", "g", "u"): ([3, 2], [0, 0])})
    x = torch.randn(4, C)
    conv = HeteroGraphConv({"f": PIGNConv(C, num_iterations=3), "g": PIGNConv(C, num_iterations=3)}, aggregate="sum")
    out = conv(hg, {"u": x})
    by_hand = sum(conv.mods[rel](hg[rel], x) for rel in ("f", "g"))
    assert torch.allclose(out["u"], by_hand, atol=1e-6)


@pytest.mark.parametrize("grad", ["implicit", "phantom"])
def test_a_gradient_that_cannot_reach_the_input_is_warned_once(backend, grad):
    """Without inject_input the input only starts the iteration: nothing before an implicit or phantom
    layer learnt, silently (the README's GATConv recipe)."""
    ei, _ = _graph(10, 30, weighted=False)
    enc = nn.Linear(4, C)
    x = torch.randn(10, 4)
    for conv, warned in ((backend.IterativeConv(backend.layers.layer("GraphConv", C), grad=grad), True),
                         (backend.PIGNConv(C, form="paper", grad=grad), True),
                         (backend.PIGNConv(C, conv="sage", grad=grad), True),
                         (backend.PIGNConv(C, conv="gat", grad=grad), True),  # DGL's binds, without reading x
                         (backend.IterativeConv(backend.layers.layer("GraphConv", C), grad=grad,
                                                inject_input=True), False),
                         (backend.PIGNConv(C, grad=grad), False),  # the default form adds alpha x at every step
                         (backend.IterativeConv(backend.layers.layer("GraphConv", C)), False)):  # unrolled
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            for _ in range(2):
                backend.call(conv, enc(x), ei).sum().backward()
            with torch.no_grad():
                backend.call(conv, enc(x), ei)
        said = [str(w.message) for w in caught if "the input enters no step" in str(w.message)]
        assert len(said) == warned, (conv, said)
        if warned:
            assert f"grad={grad!r}" in said[0] and "inject_input=True" in said[0]
            assert enc.weight.grad is None or not enc.weight.grad.any()  # what it warns of
        else:
            assert enc.weight.grad is not None and enc.weight.grad.any()
        enc.zero_grad(set_to_none=True)


def test_a_tol_towards_a_fixed_point_blind_to_the_input_is_warned_once(backend):
    """Without inject_input a wrapped layer's fixed point does not depend on the input: with a tol the
    converged output was the same for every input, and nothing said so (grad='unrolled')."""
    ei, _ = _graph(10, 30, weighted=False)
    layer = backend.layers.layer("GraphConv", C)
    _contract(layer, 0.5)
    x = torch.randn(10, C)
    for inject, warned in ((False, True), (True, False)):
        conv = backend.IterativeConv(layer, num_iterations=200, tol=1e-6, inject_input=inject)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            a, info = backend.call(conv, x, ei, return_info=True)
            b = backend.call(conv, 10 * x, ei)
        said = [str(w.message) for w in caught if "the input enters no step" in str(w.message)]
        assert info.status == "converged" and len(said) == warned, said
        assert torch.allclose(a, b, atol=1e-4) == warned  # what it warns of
        if warned:
            assert "tol=1e-06" in said[0] and "inject_input=True" in said[0]
    conv = backend.IterativeConv(layer, num_iterations=8)  # no tol: 8 steps from the input, the paper's form
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        backend.call(conv, x, ei)
    # once per layer in training and eval alike: eval_iterations (a configuration of its own) warned again
    conv = backend.IterativeConv(layer, num_iterations=200, eval_iterations=300, tol=1e-6)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        for mode in (True, True, False, False):
            backend.call(conv.train(mode), x, ei)
    assert len([w for w in caught if "the input enters no step" in str(w.message)]) == 1


class _BoundStep(nn.Module):
    """An operator of its own ``bind``: a linear step that adds the input at every step unless
    ``reads_input`` is False."""

    def __init__(self, reads_input: bool) -> None:
        super().__init__()
        self.in_channels = self.out_channels = C
        self.lin = nn.Linear(C, C)
        if not reads_input:
            self.reads_input = False

    def bind(self, x, graph, edge_weight=None, *, lipschitz_budget=None):
        if getattr(self, "reads_input", True):
            return lambda z: 0.5 * self.lin(z) + x
        return lambda z: 0.5 * self.lin(z)


@pytest.mark.parametrize("reads_input", [True, False])
def test_an_operator_of_its_own_bind_declares_whether_its_step_reads_the_input(backend, reads_input):
    ei, _ = _graph(10, 30, weighted=False)
    enc = nn.Linear(4, C)
    conv = backend.IterativeConv(_BoundStep(reads_input), grad="implicit")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        backend.call(conv, enc(torch.randn(10, 4)), ei).sum().backward()
    said = [str(w.message) for w in caught if "the input enters no step" in str(w.message)]
    assert len(said) == (not reads_input), said
    assert (enc.weight.grad is not None and bool(enc.weight.grad.any())) == reads_input


@pytest.mark.parametrize("returns", ["nothing", "a tensor"])
def test_a_bind_that_returns_no_step_is_named(backend, returns):
    """A bind that forgot its return (or returned the step's value) failed inside the solver with
    "'NoneType' object is not callable"."""

    class NoStep(_BoundStep):
        def bind(self, x, graph, edge_weight=None, *, lipschitz_budget=None):
            step = super().bind(x, graph, edge_weight, lipschitz_budget=lipschitz_budget)
            return None if returns == "nothing" else step(x)

    ei, _ = _graph(10, 30, weighted=False)
    hint = r" \(a missing return statement\?\)" if returns == "nothing" else ""
    with pytest.raises(TypeError, match=rf"^IterativeConv: NoStep.bind\(x, graph, edge_weight, ...\) returned "
                                        rf"{'None' if returns == 'nothing' else 'a float32 Tensor of shape'}.*"
                                        rf"must return the step, a callable z -> op\(z\){hint}$"):
        backend.call(backend.IterativeConv(NoStep(True)), torch.randn(10, C), ei)


def test_contraction_refused_for_general_layers(backend):
    with pytest.raises(ValueError, match="contraction=.*spectral_norm"):
        backend.IterativeConv(backend.layers.layer("GraphConv", C), contraction=0.9)


def test_iteration_options_apply(backend):
    ei, _ = _graph(10, 30, weighted=False)
    layer = backend.layers.layer("GraphConv", C)
    x = torch.randn(10, C)
    conv = backend.IterativeConv(layer, num_iterations=3, eval_iterations=6, inject_input=True, smoothing=0.2)
    conv.eval()
    out, info = backend.call(conv, x, ei, return_info=True)
    step = backend.step(layer, x, ei)
    ref = iterate_by_hand(lambda z: step(z) + x, x, iterations=6, smoothing=0.2)
    assert info.iterations == 6 and torch.allclose(out, ref, atol=1e-6)
    _contract(layer, 0.5)
    out2, info2 = backend.call(backend.IterativeConv(layer, num_iterations=50, tol=1e-5, smoothing=0.5), x, ei,
                               return_info=True)
    assert info2.status == "converged" and info2.iterations < 50
    assert torch.allclose(out2, torch.relu(backend.step(layer, out2, ei)(out2)), atol=1e-4)  # a fixed point


@pytest.mark.parametrize("solver,grad", [("anderson", "unrolled"), ("picard", "implicit"), ("anderson", "implicit"),
                                         ("picard", "phantom")])
def test_solvers_and_gradient_modes(backend, solver, grad):
    ei, w = _graph(12, 40)
    x, w = torch.randn(12, C, dtype=torch.float64), w.double()
    layer = backend.layers.layer("GraphConv", C).double()
    _contract(layer, 0.3)
    ref = backend.IterativeConv(layer, num_iterations=100, tol=1e-12, smoothing=0.0)
    z_ref = backend.call(ref, x, ei, w)
    ref_grads = torch.autograd.grad(z_ref.square().sum(), list(layer.parameters()))
    conv = backend.IterativeConv(layer, num_iterations=100, tol=1e-12, smoothing=0.0, solver=solver, grad=grad,
                                 phantom_steps=20, backward_tol=1e-12)
    z, info = backend.call(conv, x, ei, w, return_info=True)
    assert info.solver == solver and info.grad == grad and info.status == "converged"
    assert torch.allclose(z, z_ref, atol=1e-10)
    grads = torch.autograd.grad(z.square().sum(), list(layer.parameters()))
    for a, b in zip(grads, ref_grads):
        assert torch.allclose(a, b, rtol=1e-6, atol=1e-9)


REPR = {
    "pyg": ("IterativeConv(GraphConv(8, 8), num_iterations=4, smoothing=0.3)",
            {"operator.lin_rel.weight", "operator.lin_rel.bias", "operator.lin_root.weight"}),
    "dgl": ("IterativeConv(\n  num_iterations=4, smoothing=0.3\n  (operator): GraphConv(",
            {"operator.weight", "operator.bias"}),
}


def test_reset_parameters_resets_a_learned_gin_eps(backend):
    """DGL's GINConv has no reset_parameters: its learned eps kept the trained value (PyG's went back)."""
    mlp = nn.Sequential(nn.Linear(C, C), nn.ReLU(), nn.Linear(C, C))
    gin = backend.layers.layer("GINConv", C)
    wrapped = (backend.IterativeConv(type(gin)(mlp, train_eps=True, eps=0.25)) if backend.name == "pyg" else
               backend.IterativeConv(type(gin)(mlp, "sum", init_eps=0.25, learn_eps=True)))
    for conv, start in ((backend.PIGNConv(C, conv="gin", train_eps=True, eps=0.5), 0.5), (wrapped, 0.25)):
        conv = copy.deepcopy(conv).double()
        before = conv.operator.state_dict()
        with torch.no_grad():
            for p in conv.parameters():
                p.fill_(3.0)
        conv.reset_parameters()
        assert conv.operator.eps.item() == start and conv.operator.eps.dtype == torch.float64
        weights = [k for k in before if k.endswith("weight")]
        assert weights and all(not torch.equal(conv.operator.state_dict()[k], torch.full_like(before[k], 3.0))
                               for k in weights)  # the MLP re-initialised too
        assert "_initial_values" not in str(conv.state_dict().keys())


def test_reset_parameters_resets_a_parameter_a_users_layer_holds_itself(backend):
    """A user's layer (a PyG MessagePassing subclass, a DGL nn.Module) without a reset_parameters of its
    own, holding a parameter itself: it kept its trained value (MessagePassing's reset resets only the
    aggregation). It goes back to its value at construction; its Linear child is re-initialised."""
    layer = backend.layers.MeanOfNeighbours(C)
    layer.gain = nn.Parameter(torch.full((C,), 0.1))
    conv = backend.IterativeConv(layer)
    with torch.no_grad():
        for p in conv.parameters():
            p.fill_(3.0)
    conv.reset_parameters()
    assert torch.equal(conv.operator.gain, torch.full((C,), 0.1))
    assert not torch.equal(conv.operator.lin.weight, torch.full_like(conv.operator.lin.weight, 3.0))


def test_reset_parameters_of_a_layer_built_on_the_meta_device(backend):
    """Built on the meta device, a parameter the user's layer holds itself has no value to go back to:
    reset_parameters() failed with torch's "Cannot copy out of meta tensor". It names the parameter and
    the ways out, and changes nothing; a layer whose parameters all have a reset initialises."""
    with torch.device("meta"):
        layer = backend.layers.MeanOfNeighbours(C)
        layer.gain = nn.Parameter(torch.full((C,), 0.1))
        conv = backend.IterativeConv(layer)
        plain = backend.IterativeConv(backend.layers.MeanOfNeighbours(C))
    conv = conv.to_empty(device="cpu")
    with torch.no_grad():
        for p in conv.parameters():
            p.fill_(3.0)
    with pytest.raises(RuntimeError, match=r"IterativeConv.reset_parameters\(\): the operator's parameter\(s\) "
                                           r"'gain' keep their values through every reset_parameters\(\) of "
                                           r"MeanOfNeighbours .* built on the meta device\. Load a state_dict"):
        conv.reset_parameters()
    assert all(bool((p == 3.0).all()) for p in conv.parameters())
    plain = plain.to_empty(device="cpu")
    plain.reset_parameters()
    assert all(bool(torch.isfinite(p).all()) for p in plain.parameters())


def test_repr_reset_state_dict_deepcopy_and_pickle(backend):
    ei, _ = _graph(10, 30, weighted=False)
    x = torch.randn(10, C)
    conv = backend.IterativeConv(backend.layers.layer("GraphConv", C), num_iterations=4, smoothing=0.3)
    text, keys = REPR[backend.name]
    assert repr(conv).startswith(text)
    assert set(conv.state_dict()) == keys
    before = [p.detach().clone() for p in conv.parameters()]
    conv.reset_parameters()
    assert not any(torch.equal(a, b) for a, b in zip(before, conv.parameters()) if a.dim() > 1)
    out = backend.call(conv, x, ei)
    assert torch.equal(backend.call(copy.deepcopy(conv), x, ei), out)
    assert torch.equal(backend.call(pickle.loads(pickle.dumps(conv)), x, ei), out)
    buf = io.BytesIO()
    torch.save(conv, buf)
    buf.seek(0)
    assert torch.equal(backend.call(torch.load(buf, weights_only=False), x, ei), out)


def test_user_written_layer_made_iterative(backend):
    ei, w = _graph(12, 40)
    x = torch.randn(12, C)
    layer = backend.layers.MeanOfNeighbours(C)
    out = backend.call(backend.IterativeConv(layer, num_iterations=6, smoothing=0.4), x, ei, w)
    ref = iterate_by_hand(backend.step(layer, x, ei, w), x, iterations=6, smoothing=0.4)
    assert torch.allclose(out, ref, atol=1e-6)
    bad = backend.layers.MeanOfNeighbours(C)
    setattr(bad, backend.layers.OUT_WIDTH, 4)
    with pytest.raises(ValueError, match="maps 8 input channels to 4"):
        backend.IterativeConv(bad)


@pytest.mark.parametrize("grad", ["unrolled", "implicit", "phantom"])
def test_gradcheck_a_wrapped_layer_every_gradient_mode(backend, grad):
    """float64 finite differences w.r.t. the input (added back at every step) and the wrapped layer's
    weight, in each gradient mode (phantom: 30 last steps of a strong contraction)."""
    ei, w = _graph(8, 20)
    converged = dict(num_iterations=300, tol=1e-13, stop="abs", backward_tol=1e-13, on_nonconvergence="raise",
                     smoothing=0.0)
    extra = {"unrolled": dict(num_iterations=5), "implicit": converged,
             "phantom": dict(converged, phantom_steps=30)}[grad]
    layer = backend.layers.layer("GraphConv", 4).double()
    _contract(layer, 0.3)
    conv = backend.IterativeConv(layer, inject_input=True, act="tanh", grad=grad, **extra)
    name, weight = next((k, p) for k, p in conv.named_parameters() if p.dim() == 2)
    g = backend.graph(ei, 8)
    x = torch.randn(8, 4, dtype=torch.float64, requires_grad=True)

    def run(x, wt):
        args = (x, g, w.double()) if backend.name == "pyg" else (g, x, w.double())
        return torch.func.functional_call(conv, {name: wt}, args)

    assert torch.autograd.gradcheck(run, (x, weight.detach().clone().requires_grad_()))


def _edge_feature_layer(backend) -> tuple[nn.Module, int, str]:
    """GINE over ``Linear(C, C) -> tanh`` in the backend's own form, the width of its edge features
    and the keyword its forward takes them by."""
    mlp = nn.Sequential(nn.Linear(C, C), nn.Tanh())
    if backend.name == "pyg":
        from torch_geometric.nn import GINEConv

        return GINEConv(mlp, edge_dim=3), 3, "edge_attr"
    from dgl.nn import GINEConv

    return GINEConv(mlp), C, "edge_feat"  # DGL's: edge features of the node features' width


def test_edge_features_reach_a_layer_that_takes_them(backend):
    """GINEConv iterated with edge features: the hand loop's answer, per graph in a batch, and the
    features checked against the edges. DGL's layers take them under their own names (GINEConv's
    edge_feat); DGL's IterativeConv had no way to pass them."""
    torch.manual_seed(0)
    layer, D, key = _edge_feature_layer(backend)
    layer = layer.double()
    conv = backend.IterativeConv(layer, channels=C, num_iterations=4, act="tanh").double()
    parts = [random_graph(n, 2 * n, simple=True, seed=n)[0] for n in (5, 7, 6)]
    xs = [torch.randn(n, C, dtype=torch.float64) for n in (5, 7, 6)]
    es = [torch.randn(p.size(1), D, dtype=torch.float64) for p in parts]
    g0 = backend.graph(parts[0], 5)
    ref = iterate_by_hand(lambda z: backend.run(layer, z, g0, **{key: es[0]}), xs[0], iterations=4, smoothing=0.5,
                          act=torch.tanh)
    assert torch.allclose(backend.run(conv, xs[0], g0, edge_attr=es[0]), ref, atol=1e-12)
    starts = [0, 5, 12]
    ei = torch.cat([p + s for p, s in zip(parts, starts)], 1)
    out = backend.call(conv, torch.cat(xs), ei, batch_sizes=[5, 7, 6], edge_attr=torch.cat(es))
    for i, (p, x, e, s) in enumerate(zip(parts, xs, es, starts)):
        alone = backend.run(conv, x, backend.graph(p, x.size(0)), edge_attr=e)
        assert torch.allclose(out[s:s + x.size(0)], alone, atol=1e-12)
    with pytest.raises(ValueError, match=r"edge_attr must have one row per edge \(\d+\), got shape \(2, "):
        backend.run(conv, xs[0], g0, edge_attr=es[0][:2])
    if backend.name == "dgl":  # its GINEConv needs them
        with pytest.raises(TypeError, match=r"GINEConv.forward needs edge features \(edge_feat\); pass them as "
                                            r"edge_attr="):
            backend.run(conv, xs[0], g0)
    gcn = backend.IterativeConv(backend.layers.layer("GraphConv", C)).double()
    with pytest.raises(TypeError, match="GraphConv takes no edge features"):
        backend.run(gcn, xs[0], g0, edge_attr=es[0])
    for dtype in (torch.float32, torch.float16):  # half precision binds in float32: refused there too
        with pytest.raises(TypeError, match="GCNOperator takes no edge features"):
            backend.run(backend.PIGNConv(C).to(dtype), xs[0].to(dtype), g0, edge_attr=es[0].to(dtype))


def test_one_weight_per_edge_given_as_edge_features_is_pointed_to_edge_weight(backend):
    """Many datasets keep their edge weights in ``edge_attr``: refused by an operator that takes no edge
    features, the message said to use another layer, not where the weights go."""
    ei, _ = with_self_loops(random_graph(10, 30)[0], None, 10)
    x, g = torch.randn(10, 4), backend.graph(ei, 10)
    w = torch.rand(ei.size(1))
    for layer in (backend.PIGNConv(4), backend.IterativeConv(backend.layers.layer("GraphConv", 4))):
        for given, fix in ((w, "edge_weight=edge_attr"), (w[:, None], "edge_weight=edge_attr.view(-1)")):
            with pytest.raises(TypeError, match=r"takes no edge features .*; one weight per edge goes in "
                                                rf"edge_weight= \({re.escape(fix)}\)$"):
                backend.run(layer, x, g, edge_attr=given)
        for features in (torch.rand(ei.size(1), 3), torch.randint(0, 3, (ei.size(1),))):  # (edge types: not weights)
            with pytest.raises(TypeError, match=r"takes no edge features .*, or leave them out$"):
                backend.run(layer, x, g, edge_attr=features)
    if backend.name == "pyg":  # a layer that takes no edge weights either (DGL's SAGEConv takes them)
        from torch_geometric.nn import GCNConv, GPSConv, SAGEConv

        with pytest.raises(TypeError, match=r"takes no edge features .*, or leave them out$"):
            backend.run(backend.IterativeConv(backend.layers.layer("SAGEConv", 4)), x, g, edge_attr=w)
        # nor one that passes its keywords on to a layer that takes none (GPSConv(SAGEConv)), which failed
        # inside SAGEConv ("unexpected keyword argument 'edge_weight'") when given them
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # (GPSConv's batch norm: warned about, not the point here)
            gps = backend.IterativeConv(GPSConv(4, SAGEConv(4, 4), heads=1), num_iterations=2)
            with pytest.raises(TypeError, match=r"takes no edge features \(.*nor does the SAGEConv it runs\).*, or "
                                                r"leave them out$"):
                backend.run(gps, x, g, edge_attr=w)
            with pytest.raises(TypeError, match=r"GPSConv.forward takes no edge_weight \(nor does the SAGEConv it "
                                                r"runs\); leave the weights out"):
                backend.run(gps, x, g, w)
            gcn = backend.IterativeConv(GPSConv(4, GCNConv(4, 4), heads=1, norm=None), num_iterations=2)
            assert backend.run(gcn, x, g, w).shape == (10, 4)  # (the layer it runs takes them)
            # no layer to run (GPSConv(C, None) dropped them unread), or a compiled one that takes none
            for inner, why in ((None, r"and runs no layer that would"),
                               (torch.compile(SAGEConv(4, 4)), r"nor does the SAGEConv it runs")):
                gps = backend.IterativeConv(GPSConv(4, inner, heads=1, norm=None), num_iterations=2)
                with pytest.raises(TypeError, match=rf"GPSConv.forward takes no edge_weight \({why}\)"):
                    backend.run(gps, x, g, w)

            class MyGPS(GPSConv):  # a user's subclass is one too (it was matched by class name)
                pass

            gps = backend.IterativeConv(MyGPS(4, None, heads=1, norm=None), num_iterations=2)
            with pytest.raises(TypeError, match=r"MyGPS.forward takes no edge_weight \(and runs no layer"):
                backend.run(gps, x, g, w)
            gps = backend.IterativeConv(MyGPS(4, SAGEConv(4, 4), heads=1, norm=None), num_iterations=2)
            with pytest.raises(TypeError, match=r"takes no edge features \(.*nor does the SAGEConv it runs\)"):
                backend.run(gps, x, g, edge_attr=w)


def test_features_of_another_dtype_than_the_wrapped_layer_are_named(backend):
    ei, _ = with_self_loops(random_graph(10, 30)[0], None, 10)  # (DGL's GraphConv refuses nodes without in-edges)
    conv = backend.IterativeConv(backend.layers.layer("GraphConv", 8), num_iterations=2)
    with pytest.raises(TypeError, match=r"IterativeConv: node features have dtype torch.float64 but the layer's "
                                        r"parameters have dtype torch.float32; .*layer.to\(torch.float64\)"):
        backend.call(conv, torch.randn(10, 8, dtype=torch.float64), ei)
    assert backend.call(conv.double(), torch.randn(10, 8, dtype=torch.float64), ei).dtype == torch.float64


def test_a_tol_a_half_precision_wrapped_layer_cannot_resolve_is_named_in_the_layers_terms(backend):
    ei, _ = with_self_loops(random_graph(10, 30)[0], None, 10)
    conv = backend.IterativeConv(backend.layers.layer("GraphConv", 8), tol=1e-4).bfloat16()
    with pytest.raises(ValueError, match=r"IterativeConv: tol=0.0001 is below what torch.bfloat16 iterates resolve "
                                         r"\(eps 0.00781\).*Iterate in float32 \(layer.float\(\) and float32 features\)"):
        backend.call(conv, torch.randn(10, 8, dtype=torch.bfloat16), ei)


def test_an_adjoint_tol_a_half_precision_layer_cannot_resolve_is_refused_only_when_it_would_run(backend):
    """An absolute tol passes the forward check, but the adjoint stops on its relative residual; a
    frozen layer outside no_grad records no gradient and runs no adjoint (it was refused as well)."""
    ei, _ = with_self_loops(random_graph(10, 30)[0], None, 10)
    conv = backend.IterativeConv(backend.layers.layer("GraphConv", 8), grad="implicit", tol=1e-4, stop="abs",
                                 on_nonconvergence="ignore").bfloat16()
    x = torch.randn(10, 8, dtype=torch.bfloat16)
    with pytest.raises(ValueError, match=r"IterativeConv: grad='implicit' solves the adjoint to tol=0.0001 "
                                         r"\(backward_tol=None takes tol\).*Iterate in float32 \(layer.float\(\)"):
        backend.call(conv, x, ei)
    conv.requires_grad_(False)
    assert backend.call(conv, x, ei).dtype == torch.bfloat16


@pytest.mark.parametrize("conv", ["sage", "gin", "gat"])
def test_a_tol_a_half_precision_operator_cannot_resolve_is_refused_on_both_backends(backend, conv):
    """DGL's GAT operator iterates a bfloat16 layer's iterate in float32 but computes each step in
    bfloat16: its tol was checked against float32 and accepted, then never reached."""
    ei, _ = with_self_loops(random_graph(10, 30)[0], None, 10)
    layer = backend.PIGNConv(8, conv=conv, tol=1e-5).bfloat16()
    with pytest.raises(ValueError, match=r"PIGNConv: tol=1e-05 is below what torch.bfloat16 iterates resolve"):
        backend.call(layer, torch.randn(10, 8, dtype=torch.bfloat16), ei)


@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_an_operator_of_its_own_bind_iterates_in_the_layers_half_dtype(backend, dtype):
    """A half layer bound its operator to float32 features while the operator's parameters stayed half:
    torch's "expected m1 and m2 to have the same dtype" from inside the user's bind."""
    ei, _ = _graph(10, 30, weighted=False)
    x = torch.randn(10, C)
    conv = backend.IterativeConv(_BoundStep(True), num_iterations=4)
    ref = backend.call(conv, x, ei)
    out = backend.call(conv.to(dtype), x.to(dtype), ei)
    assert out.dtype == dtype and torch.allclose(out.float(), ref, atol=0.1, rtol=0.05)


def test_a_learned_activation_is_reset_and_shown_as_built(backend):
    """act=nn.PReLU(C) kept its trained slope after reset_parameters(), and printed as act='PReLU'."""
    act = nn.PReLU(C, init=0.25)
    for conv in (backend.IterativeConv(backend.layers.layer("GraphConv", C), act=act),
                 backend.PIGNConv(C, form="paper", act=act)):
        with torch.no_grad():
            act.weight.fill_(0.9)
        conv.reset_parameters()
        assert torch.equal(act.weight, torch.full((C,), 0.25))
        assert f"act=PReLU(num_parameters={C})" in repr(conv)
    assert "act=tanh" in repr(backend.PIGNConv(C, form="paper", act=torch.tanh))


def test_a_step_that_returns_the_wrong_shape_is_named_as_the_layers(backend):
    """The message named fixed_point() and its f, which the user never called."""
    ei, _ = _graph(10, 30, weighted=False)
    conv = backend.PIGNConv(C, form="paper", act=lambda h: h[:, :1])
    with pytest.raises(ValueError, match=r"^PIGNConv: its step <lambda>\(GCNOperator\(z\)\) must return a tensor of "
                                         r"z0's shape, dtype and device \(\(10, 8\)"):
        backend.call(conv, torch.randn(10, C), ei)


def test_a_bfloat16_layer_refuses_weights_its_cast_makes_zero_or_infinite(backend):
    """The wrapped layer gets the edge weights in its own dtype: float32 weights below bfloat16's smallest
    value (9.2e-41) dropped their edges, and those beyond its largest (3.39e38) became inf."""
    ei, w = _graph()
    conv = backend.IterativeConv(_square("GraphConv", backend), num_iterations=3, inject_input=True).bfloat16()
    x = torch.randn(N, C).bfloat16()
    for value, message in ((1e-42, r"nonzero value\(s\) that are 0 in torch.bfloat16"),
                           (3.4e38, r"values up to 3\.4e\+38, beyond the range of torch.bfloat16")):
        bad = w.clone()
        bad[:3] = value
        with pytest.raises(ValueError, match=rf"^IterativeConv: edge_weight holds .*{message}"):
            backend.call(conv, x, ei, bad)
    assert backend.call(conv, x, ei, w).dtype == torch.bfloat16
    conv.validate = False  # (the checks read values back)
    assert backend.call(conv, x, ei, bad).dtype == torch.bfloat16


@pytest.mark.parametrize("kind", ["SGConv", "SSGConv"])
def test_a_layer_that_caches_its_propagated_features_is_refused(backend, kind):
    """SGConv(cached=True) keeps the features it propagated at its first call: every step and every later
    call reused them, the map iterated was a constant, and the layer read "converged" to a wrong answer."""
    if backend.name == "pyg":
        import torch_geometric.nn as gnn

        make = {"SGConv": lambda cached: gnn.SGConv(C, C, K=1, cached=cached),
                "SSGConv": lambda cached: gnn.SSGConv(C, C, alpha=0.1, K=1, cached=cached)}[kind]
    elif kind == "SGConv":
        import dgl.nn

        make = lambda cached: dgl.nn.SGConv(C, C, k=1, cached=cached)  # noqa: E731
    else:
        pytest.skip("DGL has no SSGConv")
    with pytest.raises(ValueError, match=rf"IterativeConv: the operator caches its propagated features \({kind} built "
                                         r"with cached=True\).*Build it with cached=False"):
        backend.IterativeConv(make(True), channels=C, inject_input=True)
    ei, _ = _graph(weighted=False)
    x = torch.randn(N, C)
    conv = backend.IterativeConv(make(False), channels=C, inject_input=True, num_iterations=3)
    twice = backend.call(conv, 2 * x, ei)
    assert not torch.allclose(backend.call(conv, x, ei), twice)  # each call propagates its own input


def _gcn_layer_and_changed_copy(backend, iterations: int):
    """``(x, edge_index, layer, copy)``: ``IterativeConv(GCNOperator(4))`` of 4 iterations, and a layer of
    the same weights built with ``alpha=0.3, normalize=False`` and ``iterations``."""
    torch.manual_seed(0)
    ei, _ = random_graph(12, 40, simple=True)
    conv = backend.IterativeConv(backend.GCNOperator(4, **backend.zero_in_degree_ok), num_iterations=4)
    ref = backend.IterativeConv(backend.GCNOperator(4, alpha=0.3, normalize=False, **backend.zero_in_degree_ok),
                                num_iterations=iterations)
    ref.load_state_dict(conv.state_dict())
    return torch.randn(12, 4), ei, conv, ref


def test_the_gcn_operators_options_set_on_iterative_conv_reach_it(backend):
    """``IterativeConv(GCNOperator(C))``: ``layer.alpha = 0.3`` (or ``normalize``, ``cached``) set a plain
    attribute that nothing read, as PIGNConv's did not; with another layer it is refused, not kept."""
    x, ei, conv, ref = _gcn_layer_and_changed_copy(backend, 4)
    conv.alpha, conv.normalize = 0.3, False
    assert (conv.alpha, conv.operator.alpha, conv.operator.normalize) == (0.3, 0.3, False)
    torch.testing.assert_close(backend.call(conv, x, ei), backend.call(ref, x, ei), rtol=0, atol=0)
    with pytest.raises(TypeError, match=r"cached must be True or False, got 'yes'"):
        conv.cached = "yes"
    other = backend.IterativeConv(backend.layers.layer("SAGEConv", 4), num_iterations=2)
    with pytest.raises(AttributeError, match=rf"^IterativeConv: alpha is an option of the GCN operator \(conv='gcn'\); "
                                             rf"this layer iterates {type(other.operator).__name__}: set "
                                             r"layer.operator.alpha if it reads one$"):
        other.alpha = 0.3
    assert not hasattr(other, "alpha")


def test_configure_takes_the_gcn_operators_options_as_their_attributes_do(backend):
    """``layer.configure(alpha=0.3)`` was refused as an unknown keyword while ``layer.alpha = 0.3`` worked;
    it now sets them as the attributes do, checked with the iteration's options: nothing changes when
    one value is refused."""
    x, ei, conv, ref = _gcn_layer_and_changed_copy(backend, 3)
    conv.configure(alpha=0.3, normalize=False, num_iterations=3)
    assert (conv.operator.alpha, conv.operator.normalize, conv.num_iterations) == (0.3, False, 3)
    torch.testing.assert_close(backend.call(conv, x, ei), backend.call(ref, x, ei), rtol=0, atol=0)
    with pytest.raises(ValueError, match=r"num_iterations must be an int >= 0, got -1"):
        conv.configure(alpha=0.1, num_iterations=-1)
    with pytest.raises(ValueError, match=r"alpha \(initial residual\) must be a finite number in \[0, 1\), got 1.5"):
        conv.configure(alpha=1.5, num_iterations=5)
    assert (conv.operator.alpha, conv.num_iterations) == (0.3, 3)
    with pytest.raises(TypeError, match=r"'alfa' -> 'alpha'\?"):
        conv.configure(alfa=0.2)
    other = backend.IterativeConv(backend.layers.layer("SAGEConv", 4), num_iterations=2)
    with pytest.raises(TypeError, match=r"unknown keyword\(s\) 'alpha'"):
        other.configure(alpha=0.3)


def test_a_gcn_operator_subclass_whose_step_returns_its_input_leaves_the_callers_features(backend):
    """The activation ran in place on the GCN operator's step, taken to be a new tensor: a subclass whose
    own bind returned its input (an ablation's identity step) had the caller's features overwritten
    (ReLU zeroed their negatives), and the layer's check then blamed the step."""

    class Switchable(backend.GCNOperator):
        def bind(self, x, graph, edge_weight=None, **kwargs):
            return lambda z: z

    conv = backend.IterativeConv(Switchable(4, **backend.zero_in_degree_ok), act="relu", num_iterations=2).eval()
    x = torch.randn(6, 4)
    kept = x.clone()
    with torch.no_grad():
        out = backend.call(conv, x, torch.tensor([[0, 1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 0]]))
    assert torch.equal(x, kept)
    expected = kept
    for _ in range(2):
        expected = 0.5 * expected + 0.5 * torch.relu(expected)
    torch.testing.assert_close(out, expected)
