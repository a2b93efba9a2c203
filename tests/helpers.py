"""Plain-torch references for the tests: dense propagation matrices and hand-written iterations."""
from __future__ import annotations

import torch


def random_graph(n: int, e: int, *, isolated: int = 0, weighted: bool = True, seed: int = 0, dtype=torch.float32):
    """A random directed multigraph on ``n`` nodes whose last ``isolated`` nodes have no edges."""
    g = torch.Generator().manual_seed(seed)
    m = n - isolated
    src = torch.randint(0, m, (e,), generator=g)
    dst = torch.randint(0, m, (e,), generator=g)
    w = torch.rand(e, generator=g, dtype=dtype) + 0.1 if weighted else None
    return torch.stack([src, dst]), w


def dense_gcn_matrix(edge_index, w, n, *, add_self_loops=True, normalize=True, dtype=torch.float32):
    """Â written densely: A[dst, src] += w, a self-loop of 1 where none exists, D^-1/2 A D^-1/2."""
    A = torch.zeros(n, n, dtype=dtype)
    w = torch.ones(edge_index.size(1), dtype=dtype) if w is None else w.to(dtype)
    for (s, d), wi in zip(edge_index.t().tolist(), w.tolist()):
        A[d, s] += wi
    if add_self_loops:
        for i in range(n):
            if not bool(((edge_index[0] == i) & (edge_index[1] == i)).any()):
                A[i, i] += 1.0
    if normalize:
        deg = A.sum(1)
        dinv = torch.where(deg > 0, deg.pow(-0.5), torch.zeros_like(deg))
        A = dinv[:, None] * A * dinv[None, :]
    return A


def dense_pign(x, A, W, b, *, iterations, smoothing, act=torch.relu, inject=False):
    """The PIGN iteration by hand: z <- s z + (1 - s) act(A z W^T + b [+ x])."""
    z = x
    for k in range(iterations):
        s = smoothing[k] if isinstance(smoothing, (list, tuple)) else smoothing
        h = A @ (z @ W.t()) + (b if b is not None else 0)
        if inject:
            h = h + x
        z = s * z + (1 - s) * act(h)
    return z


def dense_residual(x, A, b, *, iterations, alpha=0.1):
    """The default (residual) form by hand: z <- (1 - alpha) A z + alpha x + b."""
    z = x
    for _ in range(iterations):
        z = (1 - alpha) * A @ z + alpha * x + b
    return z
