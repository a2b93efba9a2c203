"""Issue 7 for PyG: bad inputs, divergence, dtypes, determinism, persistence."""
import io

import pytest
import torch

pytest.importorskip("torch_geometric")

from pyg_iterative import PIGN, PIGNConv  # noqa: E402
from tests import reliability_cases as cases  # noqa: E402


def call(conv, x, edge_index, edge_weight, num_nodes, return_info=False):
    return conv(x, edge_index, edge_weight, return_info=return_info)


def test_bad_input_table():
    cases.run_table(PIGNConv, call, "pyg")


def test_edge_index_shape_dtype_and_range():
    conv = PIGNConv(4)
    x = torch.randn(5, 4)
    with pytest.raises(ValueError, match=r"\[2, num_edges\]"):
        conv(x, torch.tensor([0, 1, 2]))
    with pytest.raises(ValueError, match=r"\[2, num_edges\]"):
        conv(x, torch.zeros(3, 4, dtype=torch.long))
    with pytest.raises(ValueError, match="int64"):
        conv(x, cases.EI.float())
    with pytest.raises(ValueError, match=r"node 9 .* only 5 nodes"):
        conv(x, torch.tensor([[0, 9], [1, 2]]))
    with pytest.raises(ValueError, match="negative node index -1"):
        conv(x, torch.tensor([[0, -1], [1, 2]]))
    # validate=False skips the checks that need a synchronisation
    assert PIGNConv(4, validate=False).validate is False


def test_bipartite_input_is_refused():
    with pytest.raises(ValueError, match="square"):
        PIGNConv(4)((torch.randn(5, 4), torch.randn(3, 4)), cases.EI)


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


def test_state_dict_round_trip_with_weights_only():
    torch.manual_seed(0)
    model = PIGN(10, 16, 3, num_iterations=4, inject_input=True).eval()
    x, ei = torch.randn(20, 10), torch.randint(0, 20, (2, 60))
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    clone = PIGN(10, 16, 3, num_iterations=4, inject_input=True).eval()
    clone.load_state_dict(torch.load(buf, weights_only=True))
    assert torch.equal(model(x, ei), clone(x, ei))
