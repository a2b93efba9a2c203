"""The PyG and DGL layers share parameter names and compute the same function."""
import pytest
import torch

dgl = pytest.importorskip("dgl")
pytest.importorskip("torch_geometric")

import dgl_iterative  # noqa: E402
import pyg_iterative  # noqa: E402
from tests.helpers import random_graph  # noqa: E402

CONFIGS = [
    dict(),
    dict(form="paper"),
    dict(form="paper", contraction=0.8, num_iterations=12),
    dict(inject_input=True, smoothing=0.3),
    dict(alpha=0.2, beta=0.5, act="tanh"),
    dict(contraction=0.8, num_iterations=12),
]


@pytest.mark.parametrize("cfg", CONFIGS)
def test_same_output_and_gradients(cfg):
    n = 50
    edge_index, w = random_graph(n, 200, isolated=4, seed=3)
    p = pyg_iterative.PIGNConv(16, **cfg)
    d = dgl_iterative.PIGNConv(16, **cfg)
    d.load_state_dict(p.state_dict())
    x = torch.randn(n, 16)
    xp, xd = x.clone().requires_grad_(), x.clone().requires_grad_()
    out_p = p(xp, edge_index, w)
    out_d = d(dgl.graph((edge_index[0], edge_index[1]), num_nodes=n), xd, w)
    assert (out_p - out_d).norm() / out_p.norm() <= 1e-5
    g = torch.randn_like(out_p)
    (out_p * g).sum().backward()
    (out_d * g).sum().backward()
    assert torch.allclose(xp.grad, xd.grad, rtol=1e-4, atol=1e-6)
    for (name, a), (_, b) in zip(p.named_parameters(), d.named_parameters()):
        assert torch.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-6), name


def test_models_share_weights():
    n = 30
    edge_index, _ = random_graph(n, 100, seed=4)
    p = pyg_iterative.PIGN(10, 16, 3, num_iterations=5)
    d = dgl_iterative.PIGN(10, 16, 3, num_iterations=5)
    d.load_state_dict(p.state_dict())
    p.eval(), d.eval()
    x = torch.randn(n, 10)
    a = p(x, edge_index)
    b = d(dgl.graph((edge_index[0], edge_index[1]), num_nodes=n), x)
    assert torch.allclose(a, b, atol=1e-5)
