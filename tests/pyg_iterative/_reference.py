"""The plain layer iterated by hand, the reference every output-equality test compares against."""
from __future__ import annotations

import torch


def iterate_by_hand(step, x, *, iterations, smoothing=0.5, act=torch.relu):
    """``z <- s z + (1 - s) act(step(z))`` in a Python loop, from ``z = x``."""
    z = x
    for k in range(iterations):
        s = smoothing[k] if isinstance(smoothing, (list, tuple)) else smoothing
        h = step(z)
        if isinstance(h, tuple):
            h = h[0]
        z = s * z + (1 - s) * act(h.flatten(1))
    return z


def simple_graph(n: int, e: int, *, seed: int = 0, weighted: bool = True):
    """A random simple directed graph (no duplicate edges, no self-loops) as ``(edge_index, weight)``,
    on which every input format of PyG means the same graph."""
    g = torch.Generator().manual_seed(seed)
    ei = torch.randint(0, n, (2, e), generator=g)
    ei = ei[:, ei[0] != ei[1]]
    key = torch.unique(ei[0] * n + ei[1])
    ei = torch.stack([key // n, key % n])
    w = torch.rand(ei.size(1), generator=g) + 0.1 if weighted else None
    return ei, w


def iterate_until(step, x, *, tol, max_iter, smoothing=0.5, act=torch.relu):
    """The hand loop with the relative stopping rule: stop after the step whose
    ``||z_new - z|| / ||z||`` is ``<= tol``. Returns ``(z, iterations)``."""
    z = x
    for k in range(max_iter):
        h = step(z)
        z_new = smoothing * z + (1 - smoothing) * act(h.flatten(1))
        r = float((z_new - z).detach().norm() / (z.detach().norm() + 1e-12))
        z = z_new
        if r <= tol:
            return z, k + 1
    return z, max_iter


def toy_graphs(num: int, *, channels: int = 4, seed: int = 0):
    """Small random graphs labelled by whether they have more edges than nodes (a learnable label)."""
    g = torch.Generator().manual_seed(seed)
    graphs = []
    for i in range(num):
        n = int(torch.randint(4, 9, (1,), generator=g))
        e = int(torch.randint(2, 3 * n, (1,), generator=g))
        ei = torch.randint(0, n, (2, e), generator=g)
        x = torch.randn(n, channels, generator=g)
        graphs.append((x, ei, int(e > 1.5 * n)))
    return graphs
