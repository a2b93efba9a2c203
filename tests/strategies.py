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
