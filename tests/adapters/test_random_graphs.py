"""Property-based tests (hypothesis) of PIGNConv in both adapters on random graphs (0 to 120 nodes,
directed or not, weighted or not, features of any scale): finite output, convergence under a
contraction, permutation equivariance."""
from __future__ import annotations

import torch
from hypothesis import HealthCheck, given, settings

from tests.strategies import graphs

SETTINGS = settings(max_examples=25, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@SETTINGS
@given(g=graphs())
def test_no_crash_and_finite(backend, g):
    edge_index, w, x, n = g
    out = backend.call(backend.PIGNConv(4, num_iterations=4), x, edge_index, w)
    assert out.shape == (n, 4) and torch.isfinite(out).all()


@SETTINGS
@given(g=graphs())
def test_contraction_converges(backend, g):
    edge_index, w, x, n = g
    torch.manual_seed(0)
    conv = backend.PIGNConv(4, num_iterations=300, tol=1e-5, contraction=0.7, smoothing=0.0, act="tanh",
                            on_nonconvergence="raise")
    out, info = backend.call(conv, x, edge_index, w, return_info=True)
    assert out.shape == (n, 4) and torch.isfinite(out).all()
    if n:
        assert info.converged is True and info.iterations < 300


@SETTINGS
@given(g=graphs(max_nodes=60))
def test_permutation_equivariance(backend, g):
    edge_index, w, x, n = g
    torch.manual_seed(0)
    conv = backend.PIGNConv(4, num_iterations=5)
    perm = torch.randperm(n)
    inv = torch.empty_like(perm)
    inv[perm] = torch.arange(n)
    out = backend.call(conv, x, edge_index, w)
    out_p = backend.call(conv, x[perm], inv[edge_index], w)
    assert torch.allclose(out_p, out[perm], atol=1e-4, rtol=1e-4)
