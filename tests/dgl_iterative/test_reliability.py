"""Issue 7 for DGL: bad inputs, divergence, dtypes, determinism, persistence across backends."""
import io

import pytest
import torch

dgl = pytest.importorskip("dgl")

from dgl_iterative import PIGN, PIGNConv  # noqa: E402
from tests import reliability_cases as cases  # noqa: E402


def call(conv, x, edge_index, edge_weight, num_nodes, return_info=False):
    g = dgl.graph((edge_index[0], edge_index[1]), num_nodes=num_nodes)
    return conv(g, x, edge_weight, return_info=return_info)


def test_bad_input_table():
    cases.run_table(PIGNConv, call, "dgl")


def test_graph_and_feature_mismatch():
    g = dgl.graph((cases.EI[0], cases.EI[1]), num_nodes=5)
    with pytest.raises(ValueError, match="3 rows.*5 nodes"):
        PIGNConv(4)(g, torch.randn(3, 4))


def test_nan_features_are_reported():
    cases.run_nan_features(PIGNConv, call)


def test_odd_graphs():
    cases.run_odd_graphs(PIGNConv, call)


def test_dtypes():
    cases.run_dtypes(PIGNConv, call)


def test_divergence_and_stall():
    cases.run_expansive(PIGNConv, call)


def test_determinism():
    cases.run_determinism(PIGNConv, call)


def test_pyg_weights_give_the_same_predictions_after_save_and_load():
    pyg_iterative = pytest.importorskip("pyg_iterative")
    torch.manual_seed(0)
    src = pyg_iterative.PIGN(10, 16, 3, num_iterations=4, inject_input=True).eval()
    buf = io.BytesIO()
    torch.save(src.state_dict(), buf)
    buf.seek(0)
    dst = PIGN(10, 16, 3, num_iterations=4, inject_input=True).eval()
    dst.load_state_dict(torch.load(buf, weights_only=True))
    x, ei = torch.randn(20, 10), torch.randint(0, 20, (2, 60))
    a = src(x, ei)
    b = dst(dgl.graph((ei[0], ei[1]), num_nodes=20), x)
    assert torch.allclose(a, b, atol=1e-5)
    assert torch.equal(a.argmax(-1), b.argmax(-1))
