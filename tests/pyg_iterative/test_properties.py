"""Property-based tests (hypothesis) of the PyG layer on random graphs."""
import pytest
import torch

pytest.importorskip("torch_geometric")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from pyg_iterative import PIGNConv  # noqa: E402
from tests.strategies import graphs  # noqa: E402

SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(graphs())
def test_no_crash_and_finite(g):
    edge_index, w, x, n = g
    out = PIGNConv(4, num_iterations=4)(x, edge_index, w)
    assert out.shape == (n, 4) and torch.isfinite(out).all()


@SETTINGS
@given(graphs())
def test_contraction_converges(g):
    edge_index, w, x, n = g
    torch.manual_seed(0)
    conv = PIGNConv(4, num_iterations=300, tol=1e-5, contraction=0.7, smoothing=0.0, act="tanh",
                    on_nonconvergence="raise")
    out, info = conv(x, edge_index, w, return_info=True)
    assert torch.isfinite(out).all()
    if n:
        assert info.converged is True and info.iterations < 300


@SETTINGS
@given(graphs(max_nodes=60))
def test_permutation_equivariance(g):
    edge_index, w, x, n = g
    torch.manual_seed(0)
    conv = PIGNConv(4, num_iterations=5)
    perm = torch.randperm(n)
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(n)
    out = conv(x, edge_index, w)
    out_p = conv(x[perm], inv[edge_index], w)
    assert torch.allclose(out_p, out[perm], atol=1e-4, rtol=1e-4)
