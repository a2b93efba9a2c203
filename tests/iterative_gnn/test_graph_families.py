"""The graph generators (iterative_gnn.graph_families) produce what their docstrings say."""
from collections import Counter

import networkx as nx
import pytest
import torch

from iterative_gnn.graph_families import (FAMILIES, degree_features, make_distance_graphs, make_family_graphs,
                                          mark_features, stratified_split)


def _edges(items):
    return [(it.label, it.kind, sorted(it.graph.edges), it.marked) for it in items]


def test_families_deterministic_for_a_seed():
    a, b = make_family_graphs(4, seed=3), make_family_graphs(4, seed=3)
    assert _edges(a) == _edges(b)
    assert _edges(make_family_graphs(4, seed=4)) != _edges(a)


def test_families_balanced_and_labelled_by_family():
    items = make_family_graphs(6, seed=0)
    assert Counter(it.kind for it in items) == {name: 6 for name in FAMILIES}
    names = list(FAMILIES)
    assert all(names[it.label] == it.kind for it in items)
    assert len({it.label for it in items[:20]}) > 3  # shuffled, not family after family


def test_families_are_connected_simple_graphs_numbered_from_zero():
    for it in make_family_graphs(3, seed=1):
        g = it.graph
        assert sorted(g.nodes) == list(range(g.number_of_nodes()))
        assert nx.is_connected(g) and nx.number_of_selfloops(g) == 0


def test_extra_edges_are_added():
    plain = make_family_graphs(5, families=["cycle", "tree"], extra_edges=(0, 0), seed=2)
    more = make_family_graphs(5, families=["cycle", "tree"], extra_edges=(3, 3), seed=2)
    for p, m in zip(plain, more):
        assert m.graph.number_of_edges() == p.graph.number_of_edges() + 3
    # without extra edges a cycle is 2-regular and a tree has n - 1 edges
    for it in plain:
        g = it.graph
        if it.kind == "cycle":
            assert {d for _, d in g.degree} == {2}
        else:
            assert nx.is_tree(g)


def test_family_arguments_refused():
    with pytest.raises(ValueError, match="unknown families"):
        make_family_graphs(2, families=["cycle", "moebius"])
    with pytest.raises(ValueError, match="cycle more than once"):  # two classes drawn alike
        make_family_graphs(2, families=["cycle", "star", "cycle"])
    # raw Python errors before: unpacking, NoneType * int, a name read letter by letter
    for bad in (3, (1, 2, 3), (1.0, 2)):
        with pytest.raises(ValueError, match=r"extra_edges must be \(low, high\), ints with 0 <= low <= high"):
            make_family_graphs(2, extra_edges=bad)
    with pytest.raises(ValueError, match=r"seed must be an int, got None"):
        make_family_graphs(2, seed=None)
    with pytest.raises(ValueError, match=r"families must be a list of family names, got the string 'cycle'"):
        make_family_graphs(2, families="cycle")
    with pytest.raises(ValueError, match="per_family"):
        make_family_graphs(0)
    with pytest.raises(ValueError, match="extra_edges"):
        make_family_graphs(2, extra_edges=(3, 1))


@pytest.mark.parametrize("n", [40, 41])
def test_distance_labels_balanced_and_measured(n):
    items = make_distance_graphs(n, threshold=10, spread=3, gap=4, max_diameter=30, seed=1)
    labels = Counter(it.label for it in items)
    assert labels[1] == (n + 1) // 2 and labels[0] == n // 2
    for it in items:
        d = nx.shortest_path_length(it.graph, *it.marked)
        assert d == it.distance
        assert it.label == int(d <= 10)
        assert (7 <= d <= 10) if it.label else (15 <= d <= 18)
        assert nx.is_tree(it.graph) and nx.diameter(it.graph) <= 30


def test_distance_graphs_deterministic_and_default_diameter():
    a, b = make_distance_graphs(12, seed=5), make_distance_graphs(12, seed=5)
    assert _edges(a) == _edges(b)
    assert _edges(make_distance_graphs(12, seed=6)) != _edges(a)
    assert max(nx.diameter(it.graph) for it in a) <= 50


def test_distance_arguments_refused():
    with pytest.raises(ValueError, match="max_diameter"):
        make_distance_graphs(4, threshold=20, spread=4, gap=8, max_diameter=30)
    with pytest.raises(ValueError, match="spread"):
        make_distance_graphs(4, threshold=4, spread=4)
    with pytest.raises(ValueError, match=r"legs must be a probability in \[0, 1\], got '0.2'"):
        make_distance_graphs(4, legs="0.2")
    with pytest.raises(ValueError, match="legs"):
        make_distance_graphs(4, legs=1.5)


def test_features():
    g = nx.star_graph(10)  # centre of degree 10, ten leaves
    x = degree_features(g, max_degree=4)
    assert x.shape == (11, 5) and torch.equal(x.sum(1), torch.ones(11))
    assert x[0, 4] == 1 and x[1:, 1].sum() == 10  # the centre in the capped column
    it = make_distance_graphs(2, seed=0)[0]
    m = mark_features(it)
    assert m[:, 0].sum() == it.num_nodes and m[:, 1].nonzero().view(-1).tolist() == sorted(it.marked)


def test_stratified_split_disjoint_covering_and_stratified():
    labels = [0] * 50 + [1] * 30 + [2] * 20
    tr, va, te = stratified_split(labels, 0.6, 0.2, seed=0)
    assert sorted(torch.cat([tr, va, te]).tolist()) == list(range(100))
    y = torch.tensor(labels)
    assert torch.bincount(y[tr]).tolist() == [30, 18, 12]
    assert torch.bincount(y[va]).tolist() == [10, 6, 4]
    tr2, _, _ = stratified_split(labels, 0.6, 0.2, seed=1)
    assert not torch.equal(tr, tr2)
    with pytest.raises(ValueError, match="train_fraction"):
        stratified_split(labels, 0.9, 0.2)
