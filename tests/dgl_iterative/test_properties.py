"""Property-based tests (hypothesis): the DGL layer on random graphs, and agreement with PyG."""
import pytest
import torch

dgl = pytest.importorskip("dgl")
from hypothesis import HealthCheck, given, settings  # noqa: E402

from dgl_iterative import PIGNConv  # noqa: E402
from tests.strategies import graphs  # noqa: E402

SETTINGS = settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def to_dgl(edge_index, n):
    return dgl.graph((edge_index[0], edge_index[1]), num_nodes=n)


@SETTINGS
@given(graphs())
def test_no_crash_converges_under_contraction(g):
    edge_index, w, x, n = g
    conv = PIGNConv(4, num_iterations=300, tol=1e-5, contraction=0.7, smoothing=0.0, act="tanh",
                    on_nonconvergence="raise")
    out, info = conv(to_dgl(edge_index, n), x, w, return_info=True)
    assert out.shape == (n, 4) and torch.isfinite(out).all()
    if n:
        assert info.converged is True


@SETTINGS
@given(graphs())
def test_agrees_with_pyg(g):
    pyg_iterative = pytest.importorskip("pyg_iterative")
    edge_index, w, x, n = g
    p = pyg_iterative.PIGNConv(4, num_iterations=5)
    d = PIGNConv(4, num_iterations=5)
    d.load_state_dict(p.state_dict())
    a = p(x, edge_index, w)
    b = d(to_dgl(edge_index, n), x, w)
    assert torch.allclose(a, b, atol=1e-5 * (1 + float(x.abs().max()) if n else 1), rtol=1e-4)


@SETTINGS
@given(graphs(max_nodes=60))
def test_permutation_equivariance(g):
    edge_index, w, x, n = g
    conv = PIGNConv(4, num_iterations=5)
    perm = torch.randperm(n)
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(n)
    out = conv(to_dgl(edge_index, n), x, w)
    out_p = conv(to_dgl(inv[edge_index], n), x[perm], w)
    assert torch.allclose(out_p, out[perm], atol=1e-4, rtol=1e-4)
