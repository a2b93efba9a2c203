"""dgl.batch graphs: PIGNConv converges per graph from graph.batch_num_nodes(); the graph-level PIGN,
also against PyG's on the same weights."""
import pytest
import torch
import torch.nn.functional as F

dgl = pytest.importorskip("dgl")

from dgl_iterative import GraphPIGN, PIGNConv  # noqa: E402
from tests.pyg_iterative._reference import iterate_until, toy_graphs  # noqa: E402


def _dgl(graphs):
    return [dgl.graph((ei[0], ei[1]), num_nodes=x.size(0)) for x, ei, _ in graphs]


def test_pign_conv_converges_per_graph_of_a_batch():
    data = toy_graphs(4, channels=6, seed=1)
    parts = _dgl(data)
    xs = [x * (10 if i == 2 else 1) for i, (x, _, _) in enumerate(data)]
    conv = PIGNConv(6, num_iterations=60, tol=1e-4, form="paper")
    with torch.no_grad():
        conv.operator.weight.mul_(0.3), conv.operator.bias.fill_(0.2)
    bg = dgl.batch(parts)
    out, info = conv(bg, torch.cat(xs), return_info=True)
    assert bool(info.converged.all()) and len(set(info.graph_iterations.tolist())) > 1
    for i, (p, x, rows) in enumerate(zip(parts, xs, torch.split(out, bg.batch_num_nodes().tolist()))):
        step = conv.operator.bind(x, p)
        alone, its = iterate_until(step, x, tol=1e-4, max_iter=60)
        assert its == int(info.graph_iterations[i]) and torch.allclose(rows, alone, atol=1e-5)


def test_graph_pign_is_per_graph_and_trains():
    data = toy_graphs(24, channels=4)
    graphs = _dgl(data)
    y = torch.tensor([lbl for _, _, lbl in data])
    model = GraphPIGN(4, 16, 2, num_iterations=4, pool="mean", tol=1e-3, on_nonconvergence="ignore")
    model.eval()
    bg = dgl.batch(graphs[:5])
    out = model(bg, torch.cat([x for x, _, _ in data[:5]]))
    assert out.shape == (5, 2)
    for i in range(5):
        assert torch.allclose(out[i], model(graphs[i], data[i][0])[0], atol=1e-5)
    model.train()
    model.conv.tol = None
    opt = torch.optim.Adam(model.parameters(), lr=0.03)
    losses = []
    for _ in range(10):
        total = 0.0
        for s in (0, 12):
            opt.zero_grad()
            loss = F.cross_entropy(model(dgl.batch(graphs[s:s + 12]), torch.cat([d[0] for d in data[s:s + 12]])),
                                   y[s:s + 12])
            loss.backward()
            opt.step()
            total += float(loss)
        losses.append(total)
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize("pool", ["mean", "sum", "max"])
def test_graph_pign_same_in_both_backends(pool):
    pyg_iterative = pytest.importorskip("pyg_iterative")
    from torch_geometric.data import Batch, Data

    data = toy_graphs(5, channels=4, seed=2)
    p = pyg_iterative.GraphPIGN(4, 8, 3, num_iterations=5, pool=pool, tol=1e-3, on_nonconvergence="ignore")
    d = GraphPIGN(4, 8, 3, num_iterations=5, pool=pool, tol=1e-3, on_nonconvergence="ignore")
    d.load_state_dict(p.state_dict())
    b = Batch.from_data_list([Data(x=x, edge_index=ei) for x, ei, _ in data])
    a = p(b.x, b.edge_index, batch=b.batch, num_graphs=b.num_graphs)
    c = d(dgl.batch(_dgl(data)), b.x)
    assert torch.allclose(a, c, atol=1e-5)
