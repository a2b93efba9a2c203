"""Both adapters on graph families from networkx's generators (paths, cycles, complete graphs, stars,
2-d grids, random regular and Barabasi-Albert graphs, and disjoint unions of these), converted with
the ecosystems' own converters (``torch_geometric.utils.from_networkx``, ``dgl.from_networkx``):

* the propagation the layer iterates is :math:`D^{-1/2}(A+I)D^{-1/2}` with :math:`A` from
  ``nx.to_numpy_array`` and :math:`D` from networkx's (in-)degrees;
* in a batch of mixed families each graph's output is the one it has alone;
* the components of a disconnected graph converge independently, and with a batch vector each
  reports its own number of iterations.
"""
from __future__ import annotations

from typing import Optional

import networkx as nx
import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from torch import Tensor

import iterative_core as ic
from tests.strategies import nx_batches, nx_directed, nx_graphs, nx_unions

SETTINGS = settings(max_examples=10, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
C = 4  # feature channels of the iteration tests

#: the option sets a batch is solved under: fixed steps of the default form (learned signed propagation
#: coefficients), APPNP's and the paper's, and per-graph stopping on ``tol`` (also with a bias in the signed step)
OPTIONS = {
    "default": dict(num_iterations=12),
    "appnp": dict(num_iterations=12, form="appnp"),
    "paper": dict(num_iterations=6, form="paper"),
    "default-tol": dict(num_iterations=400, tol=1e-6),
    # with a bias the map is affine: a component's relative residual depends on its features' scale
    "signed-bias-tol": dict(num_iterations=400, tol=1e-6, bias=True),
    "paper-tol": dict(num_iterations=400, tol=1e-6, form="paper", contraction=0.8, act="tanh", inject_input=True),
}


# ----------------------------------------------------------------------------------------- helpers
def weighted(G: nx.Graph) -> bool:
    """Whether ``G`` was drawn with edge weights (also when it has no edge to carry one)."""
    return G.graph["weighted"]


def nx_gcn_matrix(G: nx.Graph) -> np.ndarray:
    """:math:`D^{-1/2}(A^\\top + I)D^{-1/2}` (rows: destinations) from ``nx.to_numpy_array`` and
    networkx's degrees (in-degrees for a directed graph), the self-loop counted in the degree."""
    n, w = G.number_of_nodes(), ("weight" if weighted(G) else None)
    A = nx.to_numpy_array(G, nodelist=range(n), weight=w)  # A[u, v]: the edge u -> v
    deg = G.in_degree(weight=w) if G.is_directed() else G.degree(weight=w)
    dinv = 1.0 / np.sqrt(np.array([deg[v] for v in range(n)], dtype=np.float64) + 1.0)
    return dinv[:, None] * (A.T + np.eye(n)) * dinv[None, :]


def to_backend(backend, G: nx.Graph) -> tuple[object, Optional[Tensor]]:
    """``(graph, edge_weight)``: ``G`` in the backend's graph type, converted by the backend's library
    (PyG: the ``edge_index`` of ``from_networkx``; DGL: ``dgl.from_networkx``), its edge weights
    (float64, as the tests iterate) when it has any."""
    # PyG numbers the nodes in the order networkx lists them, DGL in sorted order: listed as 0..n-1,
    # both keep the labels, by which the tests index
    assert list(G.nodes) == list(range(G.number_of_nodes())), "nodes must be listed as 0..n-1"
    w = weighted(G)
    if backend.name == "pyg":
        from torch_geometric.utils import from_networkx

        data = from_networkx(G)
        weight = data.weight.double() if w and G.number_of_edges() else None
        return data.edge_index, (torch.zeros(0, dtype=torch.float64) if w and weight is None else weight)
    import dgl

    if not w:
        return dgl.from_networkx(G), None
    if not G.number_of_edges():
        return dgl.from_networkx(G), torch.zeros(0, dtype=torch.float64)
    # DGL reads edge attributes from a directed graph only (an undirected one: both directions)
    g = dgl.from_networkx(G if G.is_directed() else G.to_directed(), edge_attrs=["weight"])
    return g, g.edata["weight"].double()


def batch_to_backend(backend, graphs: list[nx.Graph]) -> tuple[object, Optional[Tensor], dict]:
    """``(graph, edge_weight, kwargs)`` of a mini-batch of ``graphs`` as each library batches them (a
    PyG ``Batch`` and its batch vector in ``kwargs``; ``dgl.batch``, which carries its own)."""
    w = weighted(graphs[0])
    if backend.name == "pyg":
        from torch_geometric.data import Batch, Data

        parts = []
        for G in graphs:
            ei, ew = to_backend(backend, G)
            parts.append(Data(edge_index=ei, num_nodes=G.number_of_nodes(),
                              **({"weight": ew} if w else {})))
        b = Batch.from_data_list(parts)
        return b.edge_index, (b.weight if w else None), {"batch": b.batch}
    import dgl

    parts = []
    for G in graphs:
        g, ew = to_backend(backend, G)
        if w:
            g.edata["weight"] = ew
        parts.append(g)
    g = dgl.batch(parts)
    return g, (g.edata["weight"] if w else None), {}


def features(n: int, seed: int, channels: int = C, dtype=torch.float64) -> Tensor:
    """Seeded standard normal node features ``[n, channels]``."""
    return torch.randn(n, channels, generator=torch.Generator().manual_seed(seed), dtype=dtype)


def make_conv(backend, options: dict, seed: int):
    """A PIGNConv in float64 (so that a tolerance test is not decided by rounding) with seeded
    parameters, a nonzero bias where the form has one and, in the default form, propagation
    coefficients of both signs (up to 0.75 in size: at most 110 steps to ``tol=1e-6``)."""
    torch.manual_seed(seed)
    conv = backend.PIGNConv(C, on_nonconvergence="raise", **options).double()
    with torch.no_grad():
        if conv.operator.bias is not None:
            conv.operator.bias.uniform_(-1.0, 1.0)
        if getattr(conv.operator, "gamma_logit", None) is not None:
            conv.operator.gamma_logit.uniform_(-0.2, 0.2)
    return conv


def solve(backend, conv, x: Tensor, graph, edge_weight, **kwargs):
    """``(output, FixedPointInfo)`` of ``conv`` on the backend's ``graph``."""
    return backend.run(conv, x, graph, edge_weight, return_info=True, **kwargs)


# ------------------------------------------------------------------------------- 1. normalisation
def family_graphs(directed: bool, with_weights: bool):
    """Graphs of :func:`nx_graphs` (``directed``: of :func:`nx_directed`), all weighted or none."""
    return (nx_directed if directed else nx_graphs)(weighted=with_weights)


KINDS = pytest.mark.parametrize("directed,with_weights", [(False, False), (False, True), (True, False), (True, True)])
NORM_SETTINGS = settings(SETTINGS, max_examples=6)


@KINDS
@NORM_SETTINGS
@given(data=st.data(), alpha=st.sampled_from([0.0, 0.1, 0.45]))
def test_one_step_propagates_with_the_networkx_normalisation(backend, directed, with_weights, data, alpha):
    """One step of APPNP's form from the identity features, no bias: :math:`(1-\\alpha)\\hat A +
    \\alpha I`, with :math:`\\hat A` built from networkx's adjacency and degrees."""
    G = data.draw(family_graphs(directed, with_weights), label="G")
    n = G.number_of_nodes()
    ref = torch.from_numpy(nx_gcn_matrix(G))
    graph, ew = to_backend(backend, G)
    conv = backend.PIGNConv(n, num_iterations=1, form="appnp", alpha=alpha, bias=False).double()
    out = backend.run(conv, torch.eye(n, dtype=torch.float64), graph, ew)
    expected = (1 - alpha) * ref + alpha * torch.eye(n, dtype=torch.float64)
    assert torch.allclose(out, expected, rtol=0, atol=1e-12), (G.graph.get("family"), (out - expected).abs().max())


@KINDS
@NORM_SETTINGS
@given(data=st.data())
def test_core_propagation_equals_the_networkx_normalisation(directed, with_weights, data):
    """The core's :func:`iterative_core.gcn_propagation` (what both adapters build) from the edges
    networkx lists; for an undirected graph also :math:`I - L`, ``L`` networkx's normalised
    Laplacian of the graph with a self-loop on every node."""
    G = data.draw(family_graphs(directed, with_weights), label="G")
    n = G.number_of_nodes()
    w = weighted(G)
    edges = list(G.edges(data=True))
    if not G.is_directed():  # both directions of each undirected edge
        edges = edges + [(v, u, d) for u, v, d in edges]
    src = torch.tensor([u for u, _, _ in edges], dtype=torch.long)
    dst = torch.tensor([v for _, v, _ in edges], dtype=torch.long)
    ew = torch.tensor([d["weight"] for _, _, d in edges], dtype=torch.float64) if w else None
    prop = ic.gcn_propagation(src, dst, n, ew, dtype=torch.float64)
    ref = torch.from_numpy(nx_gcn_matrix(G))
    assert torch.allclose(prop.dense(), ref, rtol=0, atol=1e-12)
    deg = G.in_degree(weight="weight" if w else None) if G.is_directed() else G.degree(weight="weight" if w else None)
    assert torch.allclose(prop.degree, torch.tensor([deg[v] + 1.0 for v in range(n)], dtype=prop.degree.dtype),
                          rtol=1e-12, atol=0)
    if not G.is_directed():
        H = G.copy()
        H.add_edges_from((v, v, {"weight": 1.0}) for v in range(n))
        L = nx.normalized_laplacian_matrix(H, nodelist=range(n), weight="weight" if w else None).toarray()
        assert torch.allclose(prop.dense(), torch.from_numpy(np.eye(n) - L), rtol=0, atol=1e-12)


# ----------------------------------------------------------------------------------- 2. batches
@pytest.mark.parametrize("options", list(OPTIONS))
@SETTINGS
@given(graphs=nx_batches(), seed=st.integers(0, 2**16))
def test_each_graph_of_a_mixed_batch_is_solved_as_alone(backend, options, graphs, seed):
    conv = make_conv(backend, OPTIONS[options], seed)
    sizes = [G.number_of_nodes() for G in graphs]
    x = features(sum(sizes), seed)
    graph, ew, kw = batch_to_backend(backend, graphs)
    out, info = solve(backend, conv, x, graph, ew, **kw)
    tol = "tol" in OPTIONS[options]
    if tol:
        if info.graph_iterations is None:  # a dgl.batch of one graph is that graph (batch_size 1)
            assert backend.name == "dgl" and len(graphs) == 1 and info.converged is True
            counts = [info.iterations]
        else:
            assert info.graph_iterations.shape == (len(graphs),) and bool(info.converged.all())
            assert info.iterations == int(info.graph_iterations.max())
            counts = info.graph_iterations.tolist()
    for i, (rows, xi, G) in enumerate(zip(torch.split(out, sizes), torch.split(x, sizes), graphs)):
        alone, info_alone = solve(backend, conv, xi, *to_backend(backend, G))
        assert torch.allclose(rows, alone, rtol=1e-9, atol=1e-10), (i, G.graph.get("family"))
        if tol:
            assert counts[i] == info_alone.iterations, (i, G.graph.get("family"))


# ------------------------------------------------------------------------ 3. disconnected components
def components(G: nx.Graph) -> tuple[list[list[int]], Tensor]:
    """The connected components (node lists, sorted) and the component of each node."""
    comps = sorted(sorted(c) for c in nx.connected_components(G))
    comp = torch.empty(G.number_of_nodes(), dtype=torch.long)
    for k, nodes in enumerate(comps):
        comp[nodes] = k
    return comps, comp


def component_graph(G: nx.Graph, nodes: list[int]) -> nx.Graph:
    """The subgraph of ``G`` on ``nodes`` (sorted), renumbered ``0..k-1`` in their order and listed in
    it (a subgraph view lists its nodes in set order, which the converters would number by)."""
    index = {v: i for i, v in enumerate(nodes)}
    H = nx.Graph(**G.graph)
    H.add_nodes_from(range(len(nodes)))
    H.add_edges_from((index[u], index[v], d) for u, v, d in G.subgraph(nodes).edges(data=True))
    return H


@pytest.mark.parametrize("options", ["default", "paper"])
@SETTINGS
@given(G=nx_unions(), seed=st.integers(0, 2**16))
def test_components_of_a_union_are_solved_as_alone(backend, options, G, seed):
    """A fixed number of steps on the whole union: each component's rows are its own solve."""
    conv = make_conv(backend, OPTIONS[options], seed)
    x = features(G.number_of_nodes(), seed)
    out, info = solve(backend, conv, x, *to_backend(backend, G))
    assert info.graph_iterations is None
    comps, _ = components(G)
    assert len(comps) >= 2
    for nodes in comps:
        alone, _ = solve(backend, conv, x[nodes], *to_backend(backend, component_graph(G, nodes)))
        assert torch.allclose(out[nodes], alone, rtol=1e-9, atol=1e-10)


def check_components_stop_on_their_own(backend, conv, G: nx.Graph, x: Tensor) -> list[int]:
    """Solve the union ``G`` with the batch vector of its components and each component alone: the
    same rows, and each component's reported iterations are those it runs alone. Returns them."""
    comps, comp = components(G)
    out, info = solve(backend, conv, x, *to_backend(backend, G), batch=comp)
    assert info.graph_iterations.shape == (len(comps),) and bool(info.converged.all())
    assert info.iterations == int(info.graph_iterations.max())
    for k, nodes in enumerate(comps):
        alone, info_alone = solve(backend, conv, x[nodes], *to_backend(backend, component_graph(G, nodes)))
        assert int(info.graph_iterations[k]) == info_alone.iterations, k
        assert torch.allclose(out[nodes], alone, rtol=1e-9, atol=1e-10), k
    return info.graph_iterations.tolist()


@pytest.mark.parametrize("options", ["default-tol", "signed-bias-tol", "paper-tol"])
@SETTINGS
@given(G=nx_unions(), seed=st.integers(0, 2**16), scales=st.lists(st.sampled_from([0.01, 1.0, 30.0]), min_size=8,
                                                                   max_size=8))
def test_components_stop_on_their_own_with_a_batch_vector(backend, options, G, seed, scales):
    """The union with a batch vector of its components (interleaved when a random regular graph falls
    apart): each component stops when it alone would, and reports its own iteration count."""
    conv = make_conv(backend, OPTIONS[options], seed)
    _, comp = components(G)
    # features of different scales per component: components far from their fixed point need more steps
    x = features(G.number_of_nodes(), seed) * torch.tensor(scales, dtype=torch.float64)[comp % 8, None]
    check_components_stop_on_their_own(backend, conv, G, x)


@pytest.mark.parametrize("options", ["default-tol", "signed-bias-tol", "paper-tol"])
def test_interleaved_components_report_their_own_iterations(backend, options):
    """A cycle on the even nodes, a star on the odd ones and a grid on the last: components whose nodes
    interleave, far from their fixed points by different amounts, stop at different steps."""
    G = nx.Graph(weighted=False)
    G.add_nodes_from(range(26))
    G.add_edges_from(nx.relabel_nodes(nx.cycle_graph(6), lambda v: 2 * v).edges)  # 0, 2, ..., 10
    G.add_edges_from(nx.relabel_nodes(nx.star_graph(5), lambda v: 2 * v + 1).edges)  # 1, 3, ..., 11
    G.add_edges_from(nx.relabel_nodes(nx.convert_node_labels_to_integers(nx.grid_2d_graph(3, 4)),
                                      lambda v: v + 12).edges)  # 12 .. 23; 24 and 25 alone
    _, comp = components(G)
    assert comp.tolist()[:12] == [0, 1] * 6
    conv = make_conv(backend, OPTIONS[options], 0)
    x = features(26, 0) * torch.tensor([1.0, 1e-3, 100.0, 1e-2, 10.0], dtype=torch.float64)[comp, None]
    counts = check_components_stop_on_their_own(backend, conv, G, x)
    assert len(counts) == 5 and len(set(counts)) > 1, counts
