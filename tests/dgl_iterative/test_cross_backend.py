"""PyG and DGL in one process: the layers share parameter names and compute the same function, and
weights move between the backends (directly for the GCN operator, through convert_state_dict for the
others)."""
import io

import pytest
import torch

dgl = pytest.importorskip("dgl")
pytest.importorskip("torch_geometric")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from torch_geometric.data import Batch, Data  # noqa: E402

import dgl_iterative  # noqa: E402
import pyg_iterative  # noqa: E402
from iterative_core.operators import SAGE_AGGREGATIONS, convert_state_dict  # noqa: E402
from tests.helpers import random_graph, toy_graphs  # noqa: E402
from tests.strategies import graphs  # noqa: E402

C = 8
CONFIGS = [
    dict(),
    dict(form="paper"),
    dict(form="paper", contraction=0.8, num_iterations=12),
    dict(inject_input=True, smoothing=0.3),
    dict(alpha=0.2, beta=0.5, act="tanh"),
    dict(contraction=0.8, num_iterations=12),
    dict(form="appnp"),
    dict(gamma_init=-0.5, gamma_scale=2.0),
    dict(form="signed", beta=0.5, contraction=0.8, num_iterations=12),
    dict(out_channels=5),
]


def to_dgl(edge_index, n):
    return dgl.graph((edge_index[0], edge_index[1]), num_nodes=n)


@pytest.mark.parametrize("cfg", CONFIGS, ids=repr)
def test_same_output_and_gradients(cfg):
    cfg = dict(cfg)
    n = 50
    edge_index, w = random_graph(n, 200, isolated=4, seed=3)
    out = cfg.pop("out_channels", None)
    p = pyg_iterative.PIGNConv(16, out, **cfg)
    d = dgl_iterative.PIGNConv(16, out, **cfg)
    if p.operator.gamma_logit is not None:  # coefficients of both signs
        torch.nn.init.uniform_(p.operator.gamma_logit, -0.5, 0.5)
    d.load_state_dict(p.state_dict())
    x = torch.randn(n, 16)
    xp, xd = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_p = p(xp, edge_index, w)
    out_d = d(to_dgl(edge_index, n), xd, w)
    assert (out_p - out_d).norm() / out_p.norm() <= 1e-5
    g = torch.randn_like(out_p)
    (out_p * g).sum().backward()
    (out_d * g).sum().backward()
    assert torch.allclose(xp.grad, xd.grad, rtol=1e-4, atol=1e-6)
    for (name, a), (_, b) in zip(p.named_parameters(), d.named_parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6), name


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(graphs())
def test_agrees_on_random_graphs(g):
    edge_index, w, x, n = g
    p = pyg_iterative.PIGNConv(4, num_iterations=5)
    d = dgl_iterative.PIGNConv(4, num_iterations=5)
    d.load_state_dict(p.state_dict())
    a = p(x, edge_index, w)
    b = d(to_dgl(edge_index, n), x, w)
    assert torch.allclose(a, b, atol=1e-5 * (1 + float(x.abs().max()) if n else 1), rtol=1e-4)


@pytest.mark.parametrize("options", [dict(num_iterations=5), dict(num_iterations=4, inject_input=True)])
def test_pyg_model_weights_give_the_same_predictions_after_save_and_load(options):
    torch.manual_seed(0)
    n = 30
    edge_index, _ = random_graph(n, 100, seed=4)
    p = pyg_iterative.PIGN(10, 16, 3, **options).eval()
    buf = io.BytesIO()
    torch.save(p.state_dict(), buf)
    buf.seek(0)
    d = dgl_iterative.PIGN(10, 16, 3, **options).eval()
    d.load_state_dict(torch.load(buf, weights_only=True))
    x = torch.randn(n, 10)
    a = p(x, edge_index)
    b = d(to_dgl(edge_index, n), x)
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.equal(a.argmax(-1), b.argmax(-1))


@pytest.mark.parametrize("pool", ["mean", "sum", "max"])
def test_graph_pign_same_in_both_backends(pool):
    data = toy_graphs(5, channels=4, seed=2)
    p = pyg_iterative.GraphPIGN(4, 8, 3, num_iterations=5, pool=pool, tol=1e-3, on_nonconvergence="ignore")
    d = dgl_iterative.GraphPIGN(4, 8, 3, num_iterations=5, pool=pool, tol=1e-3, on_nonconvergence="ignore")
    d.load_state_dict(p.state_dict())
    b = Batch.from_data_list([Data(x=x, edge_index=ei) for x, ei, _ in data])
    a = p(b.x, b.edge_index, batch=b.batch, num_graphs=b.num_graphs)
    c = d(dgl.batch([to_dgl(ei, x.size(0)) for x, ei, _ in data]), b.x)
    assert torch.allclose(a, c, atol=1e-5)


@pytest.mark.parametrize("conv,options", [("gcn", {}), ("gcn", {"bias": True}), ("sage", {}), ("gin", {"hidden": 12}),
                                          ("gat", {"heads": 2})])
def test_same_operator_in_both_backends(conv, options):
    ei, _ = random_graph(20, 70, simple=True, seed=2)
    x = torch.randn(20, C)
    p = pyg_iterative.PIGNConv(C, num_iterations=5, conv=conv, **options)
    d = dgl_iterative.PIGNConv(C, num_iterations=5, conv=conv, **options)
    with torch.no_grad():  # nonzero biases, so that they are compared too
        for name, t in p.named_parameters():
            if name.endswith("bias"):
                t.normal_()
    d.load_state_dict(convert_state_dict(p.state_dict(), conv, "pyg", "dgl"))
    assert torch.allclose(p(x, ei), d(to_dgl(ei, 20), x), atol=1e-5)
    back = convert_state_dict(d.state_dict(), conv, "dgl", "pyg")
    assert back.keys() == p.state_dict().keys()
    assert all(torch.equal(back[k], v) for k, v in p.state_dict().items())


def test_gat_without_self_loops_on_nodes_without_in_edges_same_in_both_backends():
    """DGL's error told to set allow_zero_in_degree=True, which PIGNConv(conv="gat") did not take; with
    it, a node without in-edges keeps the bias, as in PyG."""
    ei, _ = random_graph(12, 30, simple=True, seed=4)
    x = torch.randn(14, C)  # two nodes without edges
    p = pyg_iterative.PIGNConv(C, num_iterations=4, conv="gat", heads=2, add_self_loops=False)
    d = dgl_iterative.PIGNConv(C, num_iterations=4, conv="gat", heads=2, add_self_loops=False,
                               allow_zero_in_degree=True)
    with torch.no_grad():
        p.operator.bias.normal_()
    d.load_state_dict(convert_state_dict(p.state_dict(), "gat", "pyg", "dgl"))
    assert torch.allclose(p(x, ei), d(to_dgl(ei, 14), x), atol=1e-5)


@pytest.mark.parametrize("aggr", SAGE_AGGREGATIONS)
def test_sage_aggregations_same_in_both_backends(aggr):
    """Every aggr of conv='sage': PyG's weights, converted, give DGL the same output and gradients, also
    at nodes without in-edges (node 0 has out-edges only, the last 3 none), where max is 0, not -inf."""
    ei, _ = random_graph(20, 60, simple=True, isolated=3, seed=2)
    ei = ei[:, ei[1] != 0]
    x = torch.randn(20, C) - 1.0
    p = pyg_iterative.PIGNConv(C, num_iterations=5, conv="sage", aggr=aggr)
    d = dgl_iterative.PIGNConv(C, num_iterations=5, conv="sage", aggr=aggr)
    with torch.no_grad():
        for name, t in p.named_parameters():
            if name.endswith("bias"):
                t.normal_()
    d.load_state_dict(convert_state_dict(p.state_dict(), "sage", "pyg", "dgl"))
    xp, xd = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_p, out_d = p(xp, ei), d(to_dgl(ei, 20), xd)
    assert torch.isfinite(out_d).all() and torch.allclose(out_p, out_d, atol=1e-5)
    g = torch.randn_like(out_p)
    (out_p * g).sum().backward()
    (out_d * g).sum().backward()
    assert torch.allclose(xp.grad, xd.grad, atol=1e-5)
    grads_d = convert_state_dict({k: t.grad for k, t in d.named_parameters()}, "sage", "dgl", "pyg")
    assert all(torch.allclose(t.grad, grads_d[k], atol=1e-5) for k, t in p.named_parameters())


def test_model_state_dict_converted_inside_models():
    p = pyg_iterative.PIGN(5, C, 3, num_iterations=3, conv="sage")
    d = dgl_iterative.PIGN(5, C, 3, num_iterations=3, conv="sage")
    d.load_state_dict(convert_state_dict(p.state_dict(), "sage", "pyg", "dgl"))
    p.eval(), d.eval()
    ei, _ = random_graph(12, 40, simple=True)
    x = torch.randn(12, 5)
    assert torch.allclose(p(x, ei), d(to_dgl(ei, 12), x), atol=1e-5)


@pytest.mark.parametrize("conv", ["sage", "gin", "gat"])
@pytest.mark.parametrize("direction", ["pyg->dgl", "dgl->pyg"])
def test_the_other_backends_names_say_how_to_convert(conv, direction):
    """Loaded unconverted, the other backend's weights failed with torch's list of missing and
    unexpected keys alone; a warning now says how to convert them (strict=False still returns the keys)."""
    src, dst = direction.split("->")
    modules = {"pyg": pyg_iterative, "dgl": dgl_iterative}
    saved = modules[src].PIGN(4, C, 3, 2, conv=conv).state_dict()
    target = modules[dst].PIGN(4, C, 3, 2, conv=conv)
    hint = (rf"has {src}'s name for operator '{conv}': convert the state_dict first, "
            rf"{dst}_iterative\.convert_state_dict\(state_dict, '{conv}', '{src}', '{dst}'\)")
    with pytest.raises(RuntimeError, match=r"Missing key(.|\n)*" + hint):
        target.load_state_dict(saved)
    with pytest.warns(UserWarning, match=hint):
        assert target.load_state_dict(saved, strict=False).unexpected_keys
    target.load_state_dict(convert_state_dict(saved, conv, src, dst))  # and converted, it loads
    target.load_state_dict(modules[dst].PIGN(4, C, 3, 2, conv=conv).state_dict())  # its own names: no hint
