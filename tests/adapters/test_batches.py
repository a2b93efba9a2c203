"""Mini-batches of graphs in both adapters (PyG's batch vector, DGL's dgl.batch): each graph converges
and stops on its own; the graph-level GraphPIGN is per graph and trains."""
from __future__ import annotations

import pytest
import torch
import torch.nn.functional as F

from tests.helpers import iterate_until, stack_graphs, toy_graphs, train_epochs, with_self_loops

C = 6
CONVS = {
    "PIGNConv": lambda backend: backend.PIGNConv(C, num_iterations=60, tol=1e-4, smoothing=0.5, form="paper"),
    "IterativeConv(GraphConv)": lambda backend: backend.IterativeConv(backend.layers.layer("GraphConv", C),
                                                                      num_iterations=60, tol=1e-4),
}


@pytest.mark.parametrize("conv", list(CONVS))
def test_each_graph_converges_on_its_own(backend, conv):
    graphs = []
    for i, (x, ei, _) in enumerate(toy_graphs(3, channels=C, seed=1)):
        ei, _ = with_self_loops(ei, None, x.size(0))  # DGL's GraphConv refuses nodes without in-edges
        graphs.append((x * 20 if i == 1 else x, ei))  # a graph far from its fixed point needs more iterations
    x, ei, sizes = stack_graphs(graphs)
    conv = CONVS[conv](backend)
    with torch.no_grad():  # a contraction with a nonzero fixed point
        for p in conv.parameters():
            p.mul_(0.3) if p.dim() > 1 else p.fill_(0.2)
    out, info = backend.call(conv, x, ei, batch_sizes=sizes, return_info=True)
    assert bool(info.converged.all()) and info.graph_iterations.shape == (3,)
    for i, (rows, (xi, eii)) in enumerate(zip(torch.split(out, sizes), graphs)):
        alone, its = iterate_until(backend.step(conv.operator, xi, eii), xi, tol=1e-4, max_iter=60)
        assert its == int(info.graph_iterations[i])
        assert torch.allclose(rows, alone, atol=1e-5), i
    assert len(set(info.graph_iterations.tolist())) > 1  # the graphs did stop at different steps


@pytest.mark.parametrize("pool", ["mean", "sum"])
def test_graph_pign_is_per_graph_and_trains(backend, pool):
    data = toy_graphs(24, channels=4)
    model = backend.GraphPIGN(4, 16, 2, num_iterations=4, pool=pool, tol=1e-3, on_nonconvergence="ignore")
    assert repr(model).startswith(f"GraphPIGN(4, 16, 2, pool={pool!r}")
    model.eval()
    x, ei, sizes = stack_graphs(data[:5])
    out = backend.call(model, x, ei, batch_sizes=sizes)
    assert out.shape == (5, 2)
    for i, (xi, eii, _) in enumerate(data[:5]):  # one graph's output does not depend on the others in the batch
        assert torch.allclose(out[i], backend.call(model, xi, eii)[0], atol=1e-5)
    model.train()
    model.conv.tol = None  # train on a fixed number of steps (no per-step synchronisation)

    def loss_of(model, part):
        x, ei, sizes = stack_graphs(part)
        y = torch.tensor([label for _, _, label in part])
        return F.cross_entropy(backend.call(model, x, ei, batch_sizes=sizes), y)

    losses = train_epochs(model, lambda: (data[:12], data[12:]), loss_of, epochs=10)
    assert losses[-1] < 0.8 * losses[0]


@pytest.mark.parametrize("solver", ["picard", "anderson"])
@pytest.mark.parametrize("pool", ["mean", "sum", "max"])
def test_a_graph_without_nodes_reads_the_same_alone_and_in_a_batch(backend, pool, solver):
    """Zeros before the decoder in both cases (alone, the mean was NaN and the max an IndexError;
    Anderson on a batch vector of no nodes failed in a reshape)."""
    model = backend.GraphPIGN(4, 8, 2, num_iterations=3, pool=pool, solver=solver).eval()
    x, ei, _ = toy_graphs(1, channels=4)[0]
    empty_x, empty_ei = torch.empty(0, 4), torch.empty(2, 0, dtype=torch.long)
    stacked = backend.call(model, x, ei, batch_sizes=[0, x.size(0)])  # the empty graph first
    alone = backend.call(model, empty_x, empty_ei)
    assert stacked.shape == (2, 2) and alone.shape == (1, 2) and torch.isfinite(alone).all()
    assert torch.allclose(stacked[0], alone[0], atol=1e-6)
    count = {"num_graphs": 2} if backend.name == "pyg" else {}  # (a batch vector of no nodes cannot tell)
    only_empty = backend.call(model, empty_x, empty_ei, batch_sizes=[0, 0], **count)  # a batch of empty graphs
    assert only_empty.shape == (2, 2) and torch.allclose(only_empty, alone.expand(2, 2), atol=1e-6)


@pytest.mark.parametrize("solver", ["picard", "anderson"])
def test_a_graph_without_nodes_stops_at_the_same_step_alone_and_in_a_batch(backend, solver):
    """With a tol, alone it took one step (a zero step ends the solve at its first test), and in a batch
    none (it was marked done before the first step)."""
    conv = backend.PIGNConv(4, tol=1e-4, num_iterations=50, solver=solver)
    x, ei, _ = toy_graphs(1, channels=4)[0]
    empty_x, empty_ei = torch.empty(0, 4), torch.empty(2, 0, dtype=torch.long)
    _, alone = backend.call(conv, empty_x, empty_ei, return_info=True)
    count = {"num_graphs": 2} if backend.name == "pyg" else {}  # (a batch vector cannot tell a last empty graph)
    _, stacked = backend.call(conv, x, ei, batch_sizes=[x.size(0), 0], return_info=True, **count)  # the empty one last
    assert alone.iterations == 1 and alone.converged
    assert int(stacked.graph_iterations[1]) == alone.iterations and bool(stacked.converged[1])
    assert int(stacked.graph_iterations[0]) > 1 and bool(stacked.converged[0])


def test_a_graph_that_diverges_among_many_that_converge_is_flagged_as_alone(backend):
    """One graph whose heavy edge weights make the operator expansive on it, among 40 on which it
    contracts: alone it is reported diverged, and so it is in the batch, which names it (the whole
    batch's growth, 1-2x, hid it: the batch passed as 'fixed')."""
    import iterative_core as ic

    ring = torch.tensor([[0, 1, 2, 3, 1, 2, 3, 0], [1, 2, 3, 0, 0, 1, 2, 3]])
    g = torch.Generator().manual_seed(0)
    graphs, weights = [], []
    for i in range(41):
        heavy = i == 13
        graphs.append((torch.randn(4, C, generator=g) * (0.01 if heavy else 10.0), ring))
        weights.append(torch.full((8,), 1.6 if heavy else 0.1))
    x, ei, sizes = stack_graphs(graphs)
    ew = torch.cat(weights)
    conv = backend.PIGNConv(C, num_iterations=8, form="paper", act="identity", smoothing=0.0,
                            normalize=False, bias=False, on_divergence="raise")
    with torch.no_grad():
        conv.operator.weight.copy_(0.5 * torch.eye(C))
    xh, eh = graphs[13]
    with pytest.raises(ic.ConvergenceError, match="expansive"):
        backend.call(conv, xh, eh, weights[13])
    with pytest.raises(ic.ConvergenceError, match=r"in 1 of 41 graphs of the batch \(graph 13\): the operator is "
                                                  r"expansive on graph 13") as exc:
        backend.call(conv, x, ei, ew, batch_sizes=sizes)
    info = exc.value.info
    assert info.iterate_growth < 10 and info.divergence_reason == "expansive" and info.status == "diverged"
    assert torch.nonzero(info.graph_diverged).flatten().tolist() == [13]
    assert float(info.graph_contraction_factors[13]) > 1.5 and float(info.graph_iterate_growth[13]) > 200
    assert bool((info.graph_contraction_factors[:13] < 1).all())
    # the other graphs' outputs do not depend on it
    conv.on_divergence = "ignore"
    out = backend.call(conv, x, ei, ew, batch_sizes=sizes)
    alone = backend.call(conv, graphs[0][0], ring, weights[0])
    assert torch.allclose(out[:4], alone, atol=1e-6)


def test_features_too_small_to_square_converge_as_their_scaled_copy(backend):
    # float32 squares of entries below 1e-19 underflow: the residual read zero and a solve with a tol
    # stopped at once, converged in name; each graph, alone or beside an ordinary one, takes the steps
    # of the same features at ordinary scale
    (x, ei, _), = toy_graphs(1, channels=C, seed=3)
    ei, _ = with_self_loops(ei, None, x.size(0))
    conv = backend.PIGNConv(C, num_iterations=200, tol=1e-6)
    ref, ref_info = backend.call(conv, x, ei, return_info=True)
    out, info = backend.call(conv, x * 1e-25, ei, return_info=True)
    assert info.iterations == ref_info.iterations > 5
    assert torch.allclose(out / 1e-25, ref, rtol=1e-4, atol=1e-6)
    xs, eis, sizes = stack_graphs([(x * 1e-25, ei), (x, ei)])
    out, info = backend.call(conv, xs, eis, batch_sizes=sizes, return_info=True)
    assert info.graph_iterations.tolist() == [ref_info.iterations] * 2
    assert torch.allclose(out[: x.size(0)] / 1e-25, ref, rtol=1e-4, atol=1e-6)
