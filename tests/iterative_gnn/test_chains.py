"""The chains generator produces what its docstring says."""
import pytest
import torch

from iterative_gnn.chains import make_chains


@pytest.mark.parametrize("length,classes,per_class", [(1, 2, 3), (7, 2, 5), (12, 3, 4)])
def test_sizes_labels_and_features(length, classes, per_class):
    c = make_chains(length, num_classes=classes, chains_per_class=per_class, seed=1)
    n = classes * per_class * length
    assert c.num_nodes == n and c.x.shape == (n, classes) and c.num_classes == classes
    for k in range(classes * per_class):
        nodes = torch.arange(k * length, (k + 1) * length)
        assert (c.chain[nodes] == k).all()
        assert (c.y[nodes] == k % classes).all()  # every node carries its chain's class
        assert torch.equal(c.distance[nodes], torch.arange(length))
    ends = c.distance == 0
    assert torch.equal(c.x[ends], torch.eye(classes)[c.y[ends]])  # the class, one-hot, at one end only
    assert (c.x[~ends] == 0).all()  # no other node knows anything
    assert torch.bincount(c.y).tolist() == [per_class * length] * classes


def test_edges_join_consecutive_nodes_of_one_chain_pointing_away_from_the_labelled_end():
    length, c = 6, make_chains(6, chains_per_class=3)
    src, dst = c.edge_index
    assert c.edge_index.size(1) == 2 * 3 * (length - 1)
    assert (dst == src + 1).all() and (c.chain[src] == c.chain[dst]).all()
    assert (c.distance[dst] == c.distance[src] + 1).all() and (src != dst).all()
    assert c.edge_index.unique(dim=1).size(1) == c.edge_index.size(1)


def test_undirected_chains_have_both_directions():
    d = make_chains(5, chains_per_class=2, directed=False)
    e = {tuple(p) for p in d.edge_index.t().tolist()}
    assert len(e) == 2 * 2 * 2 * 4 and all((b, a) in e for a, b in e)
    assert all(abs(a - b) == 1 and d.chain[a] == d.chain[b] for a, b in e)


def test_split_is_disjoint_complete_sized_and_seeded():
    c = make_chains(10, chains_per_class=10, seed=3)
    n = c.num_nodes
    m = torch.stack([c.train_mask, c.val_mask, c.test_mask]).int()
    assert (m.sum(0) == 1).all()
    assert int(c.train_mask.sum()) == round(0.05 * n) and int(c.val_mask.sum()) == round(0.10 * n)
    again, other = make_chains(10, chains_per_class=10, seed=3), make_chains(10, chains_per_class=10, seed=4)
    assert torch.equal(again.train_mask, c.train_mask) and torch.equal(again.x, c.x)
    assert not torch.equal(other.train_mask, c.train_mask)


def test_noise_and_feature_dim():
    c = make_chains(4, feature_dim=5, noise=0.1, seed=0)
    assert c.x.shape[1] == 5
    rest = c.x.clone()
    ends = c.distance == 0
    rest[ends, :2] -= torch.eye(2)[c.y[ends]]
    assert rest.abs().max() <= 0.1 and rest.abs().max() > 0
    with pytest.raises(ValueError):
        make_chains(4, feature_dim=1)
    with pytest.raises(ValueError):
        make_chains(0)
