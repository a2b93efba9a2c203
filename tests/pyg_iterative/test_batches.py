"""Mini-batches of graphs: each graph of a PyG Batch converges on its own; the graph-level PIGN."""
import pytest
import torch
import torch.nn.functional as F

pytest.importorskip("torch_geometric")

from torch_geometric.data import Batch, Data  # noqa: E402
from torch_geometric.loader import DataLoader  # noqa: E402
from torch_geometric.nn import GraphConv, global_max_pool, global_mean_pool  # noqa: E402

from iterative_core.models import global_pool  # noqa: E402
from pyg_iterative import GraphPIGN, IterativeConv, PIGNConv  # noqa: E402
from tests.pyg_iterative._reference import iterate_until, toy_graphs  # noqa: E402

C = 6


def _batch(seed=0):
    graphs = [Data(x=torch.randn(n, C), edge_index=torch.randint(0, n, (2, 3 * n))) for n in (5, 9, 7)]
    graphs[1].x = graphs[1].x * 20  # a graph far from its fixed point needs more iterations
    return graphs, Batch.from_data_list(graphs)


@pytest.mark.parametrize("make", [lambda: PIGNConv(C, num_iterations=60, tol=1e-4, smoothing=0.5, form="paper"),
                                  lambda: IterativeConv(GraphConv(C, C), num_iterations=60, tol=1e-4)])
def test_each_graph_converges_on_its_own(make):
    graphs, batch = _batch()
    conv = make()
    with torch.no_grad():  # a contraction with a nonzero fixed point
        for p in conv.parameters():
            p.mul_(0.3) if p.dim() > 1 else p.fill_(0.2)
    out, info = conv(batch.x, batch.edge_index, batch=batch.batch, num_graphs=batch.num_graphs, return_info=True)
    assert bool(info.converged.all()) and info.graph_iterations.shape == (3,)
    for i, g in enumerate(graphs):
        rows = batch.batch == i
        alone, its = iterate_until(lambda z: conv.operator(z, g.edge_index) if not hasattr(conv.operator, "bind")
                                   else conv.operator.bind(g.x, g.edge_index)(z), g.x, tol=1e-4, max_iter=60)
        assert its == int(info.graph_iterations[i])
        assert torch.allclose(out[rows], alone, atol=1e-5), i
    assert len(set(info.graph_iterations.tolist())) > 1  # the graphs did stop at different steps


@pytest.mark.parametrize("how,ref", [("mean", global_mean_pool), ("max", global_max_pool)])
def test_pooling_matches_pyg(how, ref):
    z = torch.randn(10, 3)
    batch = torch.tensor([0, 0, 0, 1, 1, 2, 2, 2, 2, 2])
    assert torch.allclose(global_pool(z, batch, 3, how), ref(z, batch, 3))
    assert torch.allclose(global_pool(z, batch, 3, "sum"), torch.stack([z[batch == i].sum(0) for i in range(3)]))


def test_graph_pign_is_per_graph_and_trains():
    data = [Data(x=x, edge_index=ei, y=torch.tensor([y])) for x, ei, y in toy_graphs(24, channels=4)]
    model = GraphPIGN(4, 16, 2, num_iterations=4, pool="sum", tol=1e-3, on_nonconvergence="ignore")
    assert repr(model).startswith("GraphPIGN(4, 16, 2, pool='sum'")
    batch = Batch.from_data_list(data[:5])
    model.eval()
    out = model(batch.x, batch.edge_index, batch=batch.batch, num_graphs=batch.num_graphs)
    assert out.shape == (5, 2)
    for i, g in enumerate(data[:5]):  # one graph's output does not depend on the others in the batch
        assert torch.allclose(out[i], model(g.x, g.edge_index)[0], atol=1e-5)
    model.train()
    model.conv.tol = None  # train on a fixed number of steps (no per-step synchronisation)
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for epoch in range(10):
        total = 0.0
        for b in DataLoader(data, batch_size=12, shuffle=False):
            opt.zero_grad()
            loss = F.cross_entropy(model(b.x, b.edge_index, batch=b.batch, num_graphs=b.num_graphs), b.y)
            loss.backward()
            opt.step()
            total += float(loss)
        losses.append(total)
    assert losses[-1] < 0.8 * losses[0]
