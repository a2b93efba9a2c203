"""The synthetic graphs (the chains task, the CSBM) have the structure their docstrings claim, as
networkx measures it: distances from the labelled end by ``shortest_path_length``, chains as path
components, and the CSBM's edge homophily, degrees, self-loops and duplicates."""
from __future__ import annotations

import networkx as nx
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from iterative_gnn.chains import make_chains
from iterative_gnn.synthetic import edge_homophily, make_csbm

SETTINGS = settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def nx_digraph(edge_index: torch.Tensor, n: int) -> nx.DiGraph:
    """The directed graph of ``edge_index``'s columns on nodes ``0..n-1`` (a repeated column is one edge)."""
    G = nx.DiGraph()
    G.add_nodes_from(range(n))
    G.add_edges_from(edge_index.t().tolist())
    return G


# ------------------------------------------------------------------------------------------- chains
@SETTINGS
@given(length=st.integers(1, 12), classes=st.integers(2, 4), per_class=st.integers(1, 4), directed=st.booleans(),
       noise=st.sampled_from([0.0, 0.3]), seed=st.integers(0, 2**16))
def test_chains_are_paths_and_distances_are_shortest_paths(length, classes, per_class, directed, noise, seed):
    c = make_chains(length, num_classes=classes, chains_per_class=per_class, directed=directed, noise=noise,
                    seed=seed)
    n = c.num_nodes
    D = nx_digraph(c.edge_index, n)
    assert D.number_of_edges() == c.edge_index.size(1)  # no duplicate edges
    assert nx.number_of_selfloops(D) == 0
    U = D.to_undirected()
    comps = sorted(sorted(k) for k in nx.connected_components(U))
    assert len(comps) == classes * per_class  # one component per chain ...
    ends = (c.distance == 0).nonzero().view(-1).tolist()
    for nodes in comps:
        chain = U.subgraph(nodes)
        assert nx.is_isomorphic(chain, nx.path_graph(length))  # ... and each a path of `length` nodes
        assert len({int(c.chain[v]) for v in nodes}) == 1
        (end,) = [v for v in nodes if v in ends]  # one labelled end per chain, at one end of the path
        assert chain.degree(end) <= 1
        # the distance the task records is the hop count from the labelled end, along the edges'
        # direction when the chain is directed (every node reachable from its end, none beyond it)
        hops = nx.single_source_shortest_path_length(D, end)
        assert sorted(hops) == nodes
        for v in nodes:
            assert hops[v] == int(c.distance[v]) == nx.shortest_path_length(U, end, v)
        assert nx.eccentricity(chain, end) == length - 1
    if directed:  # edges point away from the labelled end: nothing reaches it
        assert all(D.in_degree(e) == 0 for e in ends)
    elif D.number_of_edges():  # both directions of every edge
        assert nx.reciprocity(D) == 1.0


@SETTINGS
@given(length=st.integers(2, 10), per_class=st.integers(1, 3), seed=st.integers(0, 2**16))
def test_chains_label_is_read_at_the_labelled_end_of_each_node_s_path(length, per_class, seed):
    """Each node's label is the class one-hot in the features of the one node of its component that
    has any (the labelled end), ``distance`` hops away."""
    c = make_chains(length, num_classes=3, chains_per_class=per_class, directed=False, seed=seed)
    U = nx_digraph(c.edge_index, c.num_nodes).to_undirected()
    informed = {v for v in range(c.num_nodes) if bool(c.x[v].abs().sum() > 0)}
    for v in range(c.num_nodes):
        (source,) = informed & nx.node_connected_component(U, v)
        assert int(c.x[source].argmax()) == int(c.y[v])
        assert nx.shortest_path_length(U, source, v) == int(c.distance[v])


# --------------------------------------------------------------------------------------------- CSBM
@SETTINGS
@given(per_class=st.integers(16, 40), extra=st.integers(0, 3), homophily=st.sampled_from([0.0, 0.15, 0.5, 0.8, 1.0]),
       mean_degree=st.sampled_from([1.0, 2.5, 4.0, 6.0]), classes=st.integers(2, 4), seed=st.integers(0, 2**16))
def test_csbm_is_simple_undirected_with_the_requested_homophily(per_class, extra, homophily, mean_degree, classes,
                                                                 seed):
    n = classes * per_class + extra % classes  # 16 or more per class: never too dense for degree 6
    c = make_csbm(n, homophily=homophily, mean_degree=mean_degree, num_classes=classes, feature_dim=8, seed=seed)
    m = round(n * mean_degree / 2)
    D = nx_digraph(c.edge_index, n)
    assert D.number_of_edges() == c.edge_index.size(1) == 2 * m  # no duplicate columns
    assert nx.reciprocity(D) == 1.0  # both directions of every edge
    G = nx.Graph(D)
    for v in range(n):
        G.nodes[v]["y"] = int(c.y[v])
    assert nx.number_of_selfloops(G) == 0 and G.number_of_edges() == m  # m distinct undirected pairs
    # exactly round(homophily * m) edges join two nodes of one class
    same = sum(G.nodes[u]["y"] == G.nodes[v]["y"] for u, v in G.edges)
    assert same == round(homophily * m)
    assert edge_homophily(c.edge_index, c.y) == pytest.approx(same / m)
    assert sum(d for _, d in G.degree) == 2 * m  # mean degree 2m / n, as requested up to rounding
    assert abs(2 * m / n - mean_degree) <= 1 / n + 1e-12
