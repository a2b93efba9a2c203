"""PIGNConv(conv=...) for DGL: the registry, a user's operator, and the same operators in both backends
(weights moved with convert_state_dict give the same outputs)."""
import pytest
import torch
from torch import nn

dgl = pytest.importorskip("dgl")

import dgl_iterative  # noqa: E402
from dgl_iterative import PIGN, PIGNConv, register_operator  # noqa: E402
from iterative_core.operators import convert_state_dict  # noqa: E402
from tests.dgl_iterative.test_iterative_conv import MeanOfNeighbours  # noqa: E402
from tests.pyg_iterative._reference import iterate_by_hand, simple_graph  # noqa: E402

C = 8


def test_builtin_operators_registered():
    assert {"gcn", "sage", "gin", "gat"} <= set(dgl_iterative.available_operators())


@pytest.mark.parametrize("conv,options", [("sage", {}), ("gin", {"hidden": 12}), ("gat", {"heads": 2})])
def test_registered_operator_matches_layer_iterated_by_hand(conv, options):
    ei, _ = simple_graph(15, 50)
    g = dgl.graph((ei[0], ei[1]), num_nodes=15)
    x = torch.randn(15, C)
    layer = PIGNConv(C, num_iterations=5, smoothing=0.3, conv=conv, **options)
    op = layer.operator
    if conv == "gat":  # PyG's convention: the graph with one self-loop per node
        looped = dgl.add_self_loop(g)
        step = lambda z: dgl.nn.GATConv.forward(op, looped, z)  # noqa: E731
    else:
        step = lambda z: op(g, z)  # noqa: E731
    ref = iterate_by_hand(step, x, iterations=5, smoothing=0.3)
    assert torch.allclose(layer(g, x), ref, atol=1e-6)


def test_user_operator_registered_and_iterated():
    register_operator("mean_of_neighbours", MeanOfNeighbours, overwrite=True)
    ei, w = simple_graph(12, 40)
    g = dgl.graph((ei[0], ei[1]), num_nodes=12)
    x = torch.randn(12, C)
    layer = PIGNConv(C, num_iterations=5, conv="mean_of_neighbours")
    ref = iterate_by_hand(lambda z: layer.operator(g, z, w), x, iterations=5)
    assert torch.allclose(layer(g, x, w), ref, atol=1e-6)
    assert PIGN(5, C, 3, num_iterations=2, conv="mean_of_neighbours")(g, torch.randn(12, 5)).shape == (12, 3)


@pytest.mark.parametrize("conv,options", [("gcn", {}), ("sage", {}), ("gin", {"hidden": 12}),
                                          ("gat", {"heads": 2})])
def test_same_operator_in_both_backends(conv, options):
    pyg_iterative = pytest.importorskip("pyg_iterative")
    ei, _ = simple_graph(20, 70, seed=2)
    g = dgl.graph((ei[0], ei[1]), num_nodes=20)
    x = torch.randn(20, C)
    p = pyg_iterative.PIGNConv(C, num_iterations=5, conv=conv, **options)
    d = PIGNConv(C, num_iterations=5, conv=conv, **options)
    with torch.no_grad():  # nonzero biases, so that they are compared too
        for name, t in p.named_parameters():
            if name.endswith("bias"):
                t.normal_()
    d.load_state_dict(convert_state_dict(p.state_dict(), conv, "pyg", "dgl"))
    assert torch.allclose(p(x, ei), d(g, x), atol=1e-5)
    back = convert_state_dict(d.state_dict(), conv, "dgl", "pyg")
    assert back.keys() == p.state_dict().keys()
    assert all(torch.equal(back[k], v) for k, v in p.state_dict().items())


def test_model_state_dict_converted_inside_models():
    pyg_iterative = pytest.importorskip("pyg_iterative")
    p = pyg_iterative.PIGN(5, C, 3, num_iterations=3, conv="sage")
    d = PIGN(5, C, 3, num_iterations=3, conv="sage")
    d.load_state_dict(convert_state_dict(p.state_dict(), "sage", "pyg", "dgl"))
    p.eval(), d.eval()
    ei, _ = simple_graph(12, 40)
    x = torch.randn(12, 5)
    assert torch.allclose(p(x, ei), d(dgl.graph((ei[0], ei[1]), num_nodes=12), x), atol=1e-5)


def test_gat_edge_weights_and_zero_in_degree():
    ei, w = simple_graph(12, 30)
    g = dgl.graph((ei[0], ei[1]), num_nodes=14)  # two isolated nodes: their self-loops keep them defined
    x = torch.randn(14, C)
    layer = PIGNConv(C, num_iterations=3, conv="gat", heads=2)
    assert torch.isfinite(layer(g, x, w)).all()
    with pytest.raises(dgl.DGLError, match="0-in-degree"):
        PIGNConv(C, conv="gat", add_self_loops=False)(g, x)


def test_unknown_option_lists_valid_ones():
    with pytest.raises(TypeError, match=r"conv='gin'.*'heads'.*valid keywords:.*hidden"):
        PIGNConv(C, conv="gin", heads=2)
    assert isinstance(PIGNConv(C, conv="gin").operator.apply_func, nn.Sequential)
