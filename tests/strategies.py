"""Hypothesis strategies: random graphs (directed or not, weighted or not, 0 to 120 nodes) and features."""
from __future__ import annotations

import torch
from hypothesis import strategies as st


@st.composite
def graphs(draw, max_nodes: int = 120, channels: int = 4):
    n = draw(st.integers(0, max_nodes))
    e = draw(st.integers(0, 4 * n)) if n else 0
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, max(n, 1), (e,), generator=g)
    dst = torch.randint(0, max(n, 1), (e,), generator=g)
    if draw(st.booleans()):  # undirected
        src, dst = torch.cat([src, dst]), torch.cat([dst, src])
    weight = torch.rand(src.numel(), generator=g) + 0.05 if draw(st.booleans()) else None
    scale = draw(st.sampled_from([1e-3, 1.0, 100.0]))
    x = torch.randn(n, channels, generator=g) * scale
    return torch.stack([src, dst]) if e else torch.zeros(2, 0, dtype=torch.long), weight, x, n


@st.composite
def batches(draw, max_graphs: int = 4, max_nodes: int = 30, channels: int = 4):
    """Several random graphs stored one after another, as a mini-batch holds them:
    ``(edge_index, weight, x, sizes)`` with each graph's edges among its own nodes."""
    parts = [draw(graphs(max_nodes=max_nodes, channels=channels)) for _ in range(draw(st.integers(1, max_graphs)))]
    weighted = draw(st.booleans())
    eis, ws, xs, sizes, off = [], [], [], [], 0
    for ei, w, x, n in parts:
        eis.append(ei + off)
        ws.append(w if w is not None else torch.rand(ei.size(1)) + 0.05)
        xs.append(x)
        sizes.append(n)
        off += n
    return torch.cat(eis, 1), (torch.cat(ws) if weighted else None), torch.cat(xs), sizes


@st.composite
def cutting_batch_vectors(draw, max_nodes: int = 30):
    """``(edge_index, n, batch)``: a graph and a batch vector that puts the two ends of at least one
    edge in different graphs (the graph ids are sorted, as PyG's are)."""
    n = draw(st.integers(2, max_nodes))
    seed = draw(st.integers(0, 2**31 - 1))
    g = torch.Generator().manual_seed(seed)
    cut = draw(st.integers(1, n - 1))  # nodes < cut in graph 0, the others in graph 1
    u = draw(st.integers(0, cut - 1))
    v = draw(st.integers(cut, n - 1))
    extra = torch.randint(0, n, (2, draw(st.integers(0, 3 * n))), generator=g)
    edge = torch.tensor([[u], [v]]) if draw(st.booleans()) else torch.tensor([[v], [u]])
    edge_index = torch.cat([extra, edge], 1)
    batch = (torch.arange(n) >= cut).long()
    return edge_index, n, batch


# ------------------------------------------------------------------------------ networkx graph families
#: the generator families :func:`nx_graphs` draws from
NX_FAMILIES = ("path", "cycle", "complete", "star", "grid_2d", "random_regular", "barabasi_albert")


@st.composite
def nx_graphs(draw, max_nodes: int = 24, weighted=None, families=NX_FAMILIES):
    """A ``networkx.Graph`` from one of ``families`` (paths, cycles, complete graphs, stars, 2-d grids,
    random regular and Barabasi-Albert graphs) with at most ``max_nodes`` nodes numbered ``0..n-1``
    (grids relabelled in their node order). With ``weighted`` (drawn when None) every edge has a
    ``"weight"`` in [0.1, 2), a float32 value. ``G.graph`` holds ``family`` and ``weighted``."""
    import random

    import networkx as nx

    family = draw(st.sampled_from(families))
    seed = draw(st.integers(0, 2**31 - 1))
    if family == "path":
        G = nx.path_graph(draw(st.integers(1, max_nodes)))
    elif family == "cycle":
        G = nx.cycle_graph(draw(st.integers(3, max(3, max_nodes))))
    elif family == "complete":
        G = nx.complete_graph(draw(st.integers(1, min(max_nodes, 10))))
    elif family == "star":
        G = nx.star_graph(draw(st.integers(1, max_nodes - 1)))  # a hub and k leaves
    elif family == "grid_2d":
        rows = draw(st.integers(1, max(1, max_nodes // 2)))
        cols = draw(st.integers(1, max(1, max_nodes // rows)))
        G = nx.grid_2d_graph(rows, cols)
    elif family == "random_regular":
        n = draw(st.integers(2, max(2, max_nodes)))
        d = draw(st.integers(0, min(n - 1, 4)))
        if (n * d) % 2:
            d -= 1
        G = nx.random_regular_graph(d, n, seed=seed)
    else:  # barabasi_albert
        n = draw(st.integers(2, max(2, max_nodes)))
        G = nx.barabasi_albert_graph(n, draw(st.integers(1, min(n - 1, 3))), seed=seed)
    G = nx.convert_node_labels_to_integers(G)
    if weighted is None:
        weighted = draw(st.booleans())
    G.graph.update(family=family, weighted=weighted)
    if weighted:
        rng = random.Random(seed)
        for u, v in G.edges:  # float32 values: the converters store weights in float32, exactly then
            G[u][v]["weight"] = float(torch.tensor(rng.uniform(0.1, 2.0), dtype=torch.float32))
    return G


@st.composite
def nx_directed(draw, max_nodes: int = 24, weighted=None):
    """A ``networkx.DiGraph``: a graph of :func:`nx_graphs` whose edges each keep one direction (either)
    or both, at random."""
    import random

    import networkx as nx

    G = draw(nx_graphs(max_nodes=max_nodes, weighted=weighted))
    rng = random.Random(draw(st.integers(0, 2**31 - 1)))
    D = nx.DiGraph(**G.graph)
    D.add_nodes_from(G.nodes)
    for u, v, attrs in G.edges(data=True):
        way = rng.randrange(3)
        if way != 1:
            D.add_edge(u, v, **attrs)
        if way != 0:
            D.add_edge(v, u, **attrs)
    return D


@st.composite
def nx_unions(draw, min_parts: int = 2, max_parts: int = 4, max_nodes: int = 16, weighted=None):
    """A disconnected ``networkx.Graph``: the disjoint union of ``min_parts`` to ``max_parts`` graphs of
    :func:`nx_graphs` (mixed families; all weighted or none), nodes numbered part after part."""
    import networkx as nx

    if weighted is None:
        weighted = draw(st.booleans())
    parts = draw(st.lists(nx_graphs(max_nodes=max_nodes, weighted=weighted), min_size=min_parts, max_size=max_parts))
    return nx.disjoint_union_all(parts)


@st.composite
def nx_batches(draw, max_graphs: int = 4, max_nodes: int = 16, weighted=None):
    """A list of 1 to ``max_graphs`` graphs of :func:`nx_graphs` of mixed families, all weighted or none,
    to be batched together."""
    if weighted is None:
        weighted = draw(st.booleans())
    return draw(st.lists(nx_graphs(max_nodes=max_nodes, weighted=weighted), min_size=1, max_size=max_graphs))
