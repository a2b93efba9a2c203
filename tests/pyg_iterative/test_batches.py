"""Mini-batches, PyG only: the core's pooling against PyG's, and GraphPIGN on the batches PyG's
DataLoader makes. What both adapters share is in tests/adapters/test_batches.py."""
import pytest
import torch

pytest.importorskip("torch_geometric")

from torch_geometric.data import Data  # noqa: E402
from torch_geometric.loader import DataLoader  # noqa: E402
from torch_geometric.nn import global_max_pool, global_mean_pool  # noqa: E402

from iterative_core.models import global_pool  # noqa: E402
from pyg_iterative import GraphPIGN  # noqa: E402
from tests.helpers import toy_graphs  # noqa: E402


@pytest.mark.parametrize("how,ref", [("mean", global_mean_pool), ("max", global_max_pool)])
def test_pooling_matches_pyg(how, ref):
    z = torch.randn(10, 3)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 2])
    assert torch.allclose(global_pool(z, batch, 3, how), ref(z, batch, 3))
    assert torch.allclose(global_pool(z, batch, 3, "sum"), torch.stack([z[batch == i].sum(0) for i in range(3)]))


def test_graph_pign_on_dataloader_batches_is_per_graph():
    data = [Data(x=x, edge_index=ei, y=torch.tensor([y])) for x, ei, y in toy_graphs(10, channels=4)]
    model = GraphPIGN(4, 16, 2, num_iterations=4, pool="max", tol=1e-3, on_nonconvergence="ignore").eval()
    rows = torch.cat([model(b.x, b.edge_index, batch=b.batch, num_graphs=b.num_graphs)
                      for b in DataLoader(data, batch_size=4, shuffle=False)])
    assert rows.shape == (10, 2)
    for i, g in enumerate(data):
        assert torch.allclose(rows[i], model(g.x, g.edge_index)[0], atol=1e-5)


def test_num_graphs_may_be_a_numpy_integer():
    """As PyG's pooling takes it (data.num_graphs read through numpy, a size from a sampler)."""
    np = pytest.importorskip("numpy")
    x, ei = torch.randn(4, 4), torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
    batch = torch.tensor([0, 0, 1, 1])
    model = GraphPIGN(4, 8, 2, num_iterations=2).eval()
    assert torch.equal(model(x, ei, batch=batch, num_graphs=np.int64(2)), model(x, ei, batch=batch, num_graphs=2))


def test_return_info_in_num_graphs_place_is_named():
    """PIGN's fifth argument is return_info, GraphPIGN's num_graphs: a copied call failed in the inner
    layer ("PIGNConv: num_graphs must be an int")."""
    x, ei = torch.randn(4, 4), torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]])
    batch = torch.tensor([0, 0, 1, 1])
    model = GraphPIGN(4, 8, 2, num_iterations=2)
    with pytest.raises(TypeError, match=r"^GraphPIGN: num_graphs must be an int or None, got True, a bool; "
                                        r".*pass return_info=True by keyword$"):
        model(x, ei, None, batch, True)
    out, info = model(x, ei, None, batch, 2, True)
    assert out.shape == (2, 2) and info.iterations == 2


def test_global_pool_without_a_batch_vector_counts_one_graph():
    """It returned one row for num_graphs=3 without a batch vector."""
    z = torch.randn(4, 2)
    torch.testing.assert_close(global_pool(z, None, 1, "sum"), z.sum(0, keepdim=True))
    with pytest.raises(ValueError, match=r"global_pool: num_graphs=3 was given without a batch vector"):
        global_pool(z, None, 3)
