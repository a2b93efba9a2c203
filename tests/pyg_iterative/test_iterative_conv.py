"""IterativeConv, PyG only: GCNConv (PyG's own, no DGL counterpart) iterated, and the sparse adjacency of
a bipartite graph refused. What both adapters share is in tests/adapters/test_iterative_conv.py."""
import pytest
import torch

pytest.importorskip("torch_geometric")

from torch_geometric.nn import GCNConv, SAGEConv  # noqa: E402

from pyg_iterative import IterativeConv  # noqa: E402
from tests.helpers import iterate_by_hand, random_graph  # noqa: E402

C = 8


@pytest.mark.parametrize("weighted", [False, True])
def test_gcnconv_matches_layer_iterated_by_hand(weighted):
    """On a graph without self-loops, which GCNConv adds at every call."""
    ei, w = random_graph(15, 50, simple=True, weighted=weighted)
    x = torch.randn(15, C)
    layer = GCNConv(C, C)
    conv = IterativeConv(layer, num_iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7], act="tanh")
    out = conv(x, ei, w)
    ref = iterate_by_hand(lambda z: layer(z, ei, w), x, iterations=5, smoothing=[0.1, 0.3, 0.5, 0.5, 0.7],
                          act=torch.tanh)
    assert torch.allclose(out, ref, atol=1e-6)
    with pytest.raises(ValueError, match="maps 8 input channels to 16 output channels.*feeds each output back"):
        IterativeConv(GCNConv(C, 2 * C))


def test_a_non_square_sparse_adjacency_is_refused_with_hint():
    ei = torch.tensor([[0, 1], [1, 2]])
    adj = torch.sparse_coo_tensor(ei, torch.ones(2), (3, 4))
    with pytest.raises(ValueError, match=r"3 x 4 sparse adjacency.*square.*subgraph"):
        IterativeConv(SAGEConv(C, C))(torch.randn(4, C), adj)
