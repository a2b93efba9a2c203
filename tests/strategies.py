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
