"""Property-based tests (hypothesis) of what both adapters promise about batches."""
from __future__ import annotations

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.strategies import batches, cutting_batch_vectors

SETTINGS = settings(max_examples=15, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

OPTIONS = [
    dict(),
    dict(contraction=0.9),
    dict(form="paper", contraction=0.8, act="tanh"),
    dict(form="paper", contraction=0.9, tol=1e-5, num_iterations=60, smoothing=0.0),
    dict(beta=0.5, contraction=0.7, solver="anderson", tol=1e-6, num_iterations=60),
    dict(form="paper", inject_input=True, tol=1e-4, num_iterations=40, stop="abs"),
]


@SETTINGS
@given(batch=batches(), which=st.integers(0, len(OPTIONS) - 1))
def test_each_graph_of_a_batch_gives_its_output_alone(backend, batch, which):
    """Whatever else shares the batch, a graph's output is the one it gets alone (float64)."""
    edge_index, w, x, sizes = batch
    torch.manual_seed(0)
    conv = backend.PIGNConv(4, on_nonconvergence="ignore", **OPTIONS[which]).double()
    if conv.operator.weight is not None:
        with torch.no_grad():
            conv.operator.weight.mul_(2.0)  # beyond a contraction's budget: its rescaling is active
    x = x.double()
    w = None if w is None else w.double()
    out = backend.call(conv, x, edge_index, w, batch_sizes=sizes)
    start = 0
    for n in sizes:
        keep = (edge_index[1] >= start) & (edge_index[1] < start + n)
        ei = edge_index[:, keep] - start
        alone = backend.call(conv, x[start:start + n], ei, None if w is None else w[keep])
        torch.testing.assert_close(out[start:start + n], alone, atol=1e-6, rtol=1e-6)
        start += n


@SETTINGS
@given(case=cutting_batch_vectors())
def test_a_batch_vector_that_cuts_an_edge_is_refused(backend, case):
    edge_index, n, batch = case
    with pytest.raises(ValueError, match="different graphs"):
        backend.call(backend.PIGNConv(4), torch.randn(n, 4), edge_index, batch=batch)
