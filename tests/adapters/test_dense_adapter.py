"""The adapter contract is enough for a third ecosystem: the dense adapter of ``dense_adapter.py``
gives PyG's outputs on the same graph and weights, with every option the core implements."""
from __future__ import annotations

import pytest
import torch

from tests.adapters import dense_adapter as dense


def _graph(n=12, e=40, seed=0):
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, e), generator=g)
    w = torch.rand(e, generator=g, dtype=torch.float64) + 0.1
    adj = torch.zeros(n, n, dtype=torch.float64).index_put_((ei[1], ei[0]), w, accumulate=True)
    return ei, w, adj


@pytest.mark.parametrize("options", [dict(), dict(form="paper"), dict(form="paper", contraction=0.8, tol=1e-7,
                                                                     num_iterations=80, solver="anderson")])
def test_the_dense_adapter_matches_pyg(options):
    pyg = pytest.importorskip("pyg_iterative")
    ei, w, adj = _graph()
    x = torch.randn(12, 5, dtype=torch.float64)
    ref = pyg.PIGNConv(5, **options).double()
    if ref.operator.bias is not None:  # (the default, signed, form has none)
        with torch.no_grad():
            ref.operator.bias.uniform_(-0.5, 0.5)
    ours = dense.PIGNConv(5, **options).double()
    ours.load_state_dict(ref.state_dict())
    torch.testing.assert_close(ours(x, adj), ref(x, ei, w))


def test_the_dense_adapter_runs_the_cores_checks_and_batches():
    _, _, adj = _graph()
    conv = dense.PIGNConv(5, contraction=0.9).double()
    x = torch.randn(12, 5, dtype=torch.float64)
    with pytest.raises(ValueError, match="different graphs"):
        conv(x, adj, batch=torch.arange(12) % 2)  # the core's check, through the adapter's edges
    bad = adj.clone()
    bad[0, 1] = -1.0
    with pytest.raises(ValueError, match="negative"):
        conv(x, bad)
    with pytest.raises(ValueError, match=r"\[12, 12\] adjacency"):
        conv(x, adj[:5])


def test_any_layer_of_the_third_ecosystem_iterates():
    class Mix(torch.nn.Module):  # a layer in the dense ecosystem's calling order
        def __init__(self, c, out=None):
            super().__init__()
            out = c if out is None else out
            self.lin = torch.nn.Linear(c, out)
            self.in_features, self.out_features = c, out

        def forward(self, z, adj):
            return self.lin(adj @ z) * 0.3

    _, _, adj = _graph()
    conv = dense.IterativeConv(Mix(5).double(), num_iterations=50, tol=1e-8, smoothing=0.0)
    out, info = conv(torch.randn(12, 5, dtype=torch.float64), adj / adj.sum(1, keepdim=True).clamp_min(1),
                     return_info=True)
    assert info.status == "converged" and out.shape == (12, 5)
    with pytest.raises(ValueError, match="maps 5 input channels to 3"):
        dense.IterativeConv(Mix(5, 3))
    with pytest.raises(TypeError, match=r"Linear.forward\(input\) takes no graph"):  # (before its widths: none fit)
        dense.IterativeConv(torch.nn.Linear(5, 3))
