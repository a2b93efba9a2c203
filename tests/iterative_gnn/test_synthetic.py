"""The CSBM generator (iterative_gnn.synthetic) produces what its docstring says."""
import math

import pytest
import torch

from iterative_gnn.data import NodeDataset
from iterative_gnn.synthetic import edge_homophily, load_csbm, make_csbm


@pytest.mark.parametrize("h", [0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 1.0])
def test_edge_homophily_and_mean_degree(h):
    c = make_csbm(1000, homophily=h, mean_degree=10, seed=2)
    assert abs(edge_homophily(c.edge_index, c.y) - h) <= 0.03
    assert c.edge_index.size(1) == 2 * round(1000 * 10 / 2)  # both directions of n d / 2 edges
    deg = torch.bincount(c.edge_index[1], minlength=c.num_nodes).float()
    assert deg.mean().item() == pytest.approx(10.0)
    assert 5 < deg.std().item() ** 2 < 15  # about Poisson(10): the ends are drawn uniformly


@pytest.mark.parametrize("classes", [2, 4])
def test_homophily_with_more_classes(classes):
    c = make_csbm(600, homophily=0.2, mean_degree=6, num_classes=classes, feature_dim=8, seed=0)
    assert abs(edge_homophily(c.edge_index, c.y) - 0.2) <= 0.03
    assert torch.bincount(c.y).tolist() == [600 // classes] * classes
    assert c.x.shape == (600, 8) and c.num_classes == classes


def test_undirected_simple_graph():
    c = make_csbm(500, homophily=0.3, mean_degree=8, seed=1)
    src, dst = c.edge_index
    assert (src != dst).all()  # no self-loops
    pairs = set(zip(src.tolist(), dst.tolist()))
    assert len(pairs) == c.edge_index.size(1)  # no duplicates
    assert all((b, a) in pairs for a, b in pairs)  # both directions


def test_deterministic_for_a_seed():
    a, b = make_csbm(400, homophily=0.2, seed=5), make_csbm(400, homophily=0.2, seed=5)
    for k in ("x", "y", "edge_index", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(getattr(a, k), getattr(b, k)), k
    other = make_csbm(400, homophily=0.2, seed=6)
    assert not torch.equal(other.x, a.x) and not torch.equal(other.edge_index, a.edge_index)


def test_nodes_do_not_depend_on_the_homophily():
    a, b = make_csbm(400, homophily=0.1, seed=3), make_csbm(400, homophily=0.9, seed=3)
    for k in ("x", "y", "train_mask", "val_mask", "test_mask"):
        assert torch.equal(getattr(a, k), getattr(b, k)), k
    assert not torch.equal(a.edge_index, b.edge_index)


def test_masks_disjoint_complete_and_sized():
    c = make_csbm(1000, seed=0)
    m = torch.stack([c.train_mask, c.val_mask, c.test_mask]).int()
    assert (m.sum(0) == 1).all()
    assert (int(c.train_mask.sum()), int(c.val_mask.sum()), int(c.test_mask.sum())) == (600, 200, 200)
    d = make_csbm(1000, train_fraction=0.1, val_fraction=0.3, seed=0)
    assert (int(d.train_mask.sum()), int(d.val_mask.sum())) == (100, 300)


def test_features_give_the_bayes_accuracy():
    # two classes at +-mu along one direction with unit noise: the best classifier from the
    # features alone (the sign of the projection) is right with probability Phi(mu)
    c = make_csbm(4000, mu=1.0, seed=0)
    direction = c.x[c.y == 0].mean(0) - c.x[c.y == 1].mean(0)
    assert direction.norm().item() == pytest.approx(2.0, abs=0.2)  # |m_0 - m_1| = 2 mu
    pred = (c.x @ direction < 0).long()
    phi = 0.5 * (1 + math.erf(1.0 / math.sqrt(2)))  # 0.841
    assert abs(float((pred == c.y).float().mean()) - phi) < 0.03


def test_bad_arguments():
    with pytest.raises(ValueError):
        make_csbm(100, homophily=1.5)
    with pytest.raises(ValueError):
        make_csbm(100, num_classes=1)
    with pytest.raises(ValueError):
        make_csbm(100, num_classes=5, feature_dim=3)
    with pytest.raises(ValueError):
        make_csbm(20, mean_degree=30)  # more edges than node pairs
    with pytest.raises(ValueError):
        make_csbm(100, train_fraction=0.8, val_fraction=0.3)
    for bad in (float("nan"), float("inf")):  # NaN passed the check and failed in int(); inf overflowed
        with pytest.raises(ValueError, match="mean_degree must be a positive finite number"):
            make_csbm(100, mean_degree=bad)
        with pytest.raises(ValueError, match="mu must be a finite number"):  # NaN features without a word
            make_csbm(100, mu=bad)


def test_as_a_node_dataset_for_pyg():
    ds = load_csbm("pyg", num_nodes=300, homophily=0.2, mean_degree=6, seed=0)
    assert isinstance(ds, NodeDataset) and ds.backend == "pyg" and ds.num_classes == 2
    assert ds.graph.shape == (2, 2 * 900) and ds.num_nodes == 300
    assert abs(float(ds.extra["homophily"]) - 0.2) <= 0.03
    with pytest.raises(ValueError):
        load_csbm("jax")


def test_as_a_node_dataset_for_dgl():
    pytest.importorskip("dgl")
    ds = load_csbm("dgl", num_nodes=200, homophily=0.8, mean_degree=4, seed=0)
    assert ds.backend == "dgl" and ds.graph.num_nodes() == 200 and ds.graph.num_edges() == 2 * 400


def test_trains_with_run_one():
    pytest.importorskip("torch_geometric")
    from iterative_gnn.configs import RunConfig, run_one

    ds = load_csbm("pyg", num_nodes=200, homophily=0.9, mean_degree=6, seed=0)
    res, _, _ = run_one("pyg", ds, RunConfig("pign", depth=2, hidden=8, epochs=3), seed=0)
    assert 0.0 <= res.test_acc <= 1.0 and 0.0 <= res.val_acc <= 1.0
