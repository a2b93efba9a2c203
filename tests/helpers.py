"""Graphs and plain-torch references for every test: seeded random graphs, the GCN propagation matrix
written densely, the iterations written as Python loops, and a torch-only adapter for the core tests.

Every generator takes a ``seed`` and draws from its own ``torch.Generator``, so a graph does not depend
on what ran before it.
"""
from __future__ import annotations

from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor

import iterative_core as ic


# ------------------------------------------------------------------------------------------- graphs
def random_graph(n: int, e: int, *, isolated: int = 0, weighted: bool = True, seed: int = 0, simple: bool = False,
                 dtype=torch.float32) -> tuple[Tensor, Optional[Tensor]]:
    """``(edge_index, weight)``: ``e`` random directed edges among the first ``n - isolated`` of ``n``
    nodes (the last ``isolated`` nodes have none). A multigraph that may hold self-loops, or with
    ``simple`` one without self-loops or duplicate edges (on which every graph format of PyG means
    the same graph). Weights are in [0.1, 1.1)."""
    g = torch.Generator().manual_seed(seed)
    m = n - isolated
    src = torch.randint(0, m, (e,), generator=g)
    dst = torch.randint(0, m, (e,), generator=g)
    if simple:
        keep = src != dst
        key = torch.unique(src[keep] * n + dst[keep])
        src, dst = key // n, key % n
    w = torch.rand(src.numel(), generator=g, dtype=dtype) + 0.1 if weighted else None
    return torch.stack([src, dst]), w


def random_edges(n: int, e: int, *, seed: int = 0, undirected: bool = True) -> tuple[Tensor, Tensor]:
    """``(src, dst)``: ``e`` random edges on ``n`` nodes (both directions when ``undirected``), no self-loops."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, n, (e,), generator=g)
    dst = (src + torch.randint(1, n, (e,), generator=g)) % n
    if undirected:
        src, dst = torch.cat([src, dst]), torch.cat([dst, src])
    return src, dst


def with_self_loops(edge_index: Tensor, weight: Optional[Tensor], n: int) -> tuple[Tensor, Optional[Tensor]]:
    """One self-loop of weight 1 appended per node (after the other edges, as ``dgl.add_self_loop``
    numbers them)."""
    loops = torch.arange(n).repeat(2, 1)
    return torch.cat([edge_index, loops], 1), None if weight is None else torch.cat([weight, torch.ones(n)])


def stack_graphs(graphs) -> tuple[Tensor, Tensor, list[int]]:
    """Graphs ``(x, edge_index, ...)`` stored one after another, as a mini-batch holds them:
    ``(x, edge_index, sizes)``."""
    xs, eis, sizes, off = [], [], [], 0
    for x, ei, *_ in graphs:
        xs.append(x)
        eis.append(ei + off)
        sizes.append(x.size(0))
        off += x.size(0)
    return torch.cat(xs), torch.cat(eis, 1), sizes


def block_diag_graph(sizes: list[int], *, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """A batch of random undirected graphs: ``(src, dst, batch)`` with nodes numbered consecutively."""
    srcs, dsts, batch, offset = [], [], [], 0
    for i, n in enumerate(sizes):
        s, d = random_edges(n, 2 * n, seed=seed + i)
        srcs.append(s + offset)
        dsts.append(d + offset)
        batch.append(torch.full((n,), i, dtype=torch.long))
        offset += n
    return torch.cat(srcs), torch.cat(dsts), torch.cat(batch)


def toy_graphs(num: int, *, channels: int = 4, seed: int = 0) -> list[tuple[Tensor, Tensor, int]]:
    """Small random graphs ``(x, edge_index, label)`` labelled by whether they have more edges than
    nodes (a learnable label)."""
    g = torch.Generator().manual_seed(seed)
    graphs = []
    for _ in range(num):
        n = int(torch.randint(4, 9, (1,), generator=g))
        e = int(torch.randint(2, 3 * n, (1,), generator=g))
        ei = torch.randint(0, n, (2, e), generator=g)
        x = torch.randn(n, channels, generator=g)
        graphs.append((x, ei, int(e > 1.5 * n)))
    return graphs


def community_graph(n: int = 240, k: int = 3, *, seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """``(x, edge_index, y)``: ``k`` communities, dense inside and sparse across, undirected; features
    are a noisy one-hot of the community. A model of the features alone reaches about 0.63 accuracy,
    PIGN on the whole graph above 0.9."""
    g = torch.Generator().manual_seed(seed)
    y = torch.arange(n) % k
    src = torch.randint(0, n, (16 * n,), generator=g)
    dst = torch.randint(0, n, (16 * n,), generator=g)
    keep = (y[src] == y[dst]) | (torch.rand(src.numel(), generator=g) < 0.1)
    ei = torch.stack([src[keep], dst[keep]])
    ei = torch.cat([ei, ei.flip(0)], 1)
    x = F.one_hot(y, k).float() * 0.3 + torch.randn(n, k, generator=g)
    return x, ei, y


def orthogonal(c: int, *, seed: int = 0, dtype=torch.float64) -> Tensor:
    """A random orthogonal ``c x c`` matrix."""
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(c, c, generator=g, dtype=dtype))
    return q


# --------------------------------------------------------------------------------------- references
def affine_contraction(q: float, n: int = 6, c: int = 3, *, seed: int = 0) -> tuple[Tensor, Tensor]:
    r"""``(A, b)`` of the affine map :math:`z \mapsto A z + b` on ``[n, c]`` iterates, with
    :math:`\|A\|_2 = q` (a ``q``-contraction), float32, from its own generator."""
    g = torch.Generator().manual_seed(seed)
    A = torch.randn(n, n, generator=g)
    return q * A / torch.linalg.matrix_norm(A, 2), torch.randn(n, c, generator=g)


def as_on_a_device(monkeypatch) -> None:
    """Run the CPU as a device runs: no value is read back where that would stall one (the CPU taken off
    ``iterative_core._compile``'s list of devices where a read-back is free)."""
    import sys

    monkeypatch.setattr(sys.modules["iterative_core._compile"], "_FREE_READ_BACK", frozenset())


def dense_gcn_matrix(edge_index, w, n, *, add_self_loops=True, normalize=True, dtype=torch.float32):
    """Â written densely, entry by entry: A[dst, src] += w, a self-loop of 1 where none exists,
    D^-1/2 A D^-1/2 (zero rows and columns for nodes of degree 0)."""
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


def gcn_dense(src: Tensor, dst: Tensor, n: int, dtype=torch.float64) -> tuple[Tensor, Tensor]:
    """``(Â, bound)`` from the core's own :func:`~iterative_core.gcn_propagation`: the matrix densely and
    the core's bound on its norm (for tests of the solvers, which take the matrix as given)."""
    prop = ic.gcn_propagation(src, dst, n, dtype=dtype)
    return prop.dense(), prop.norm_bound()


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
    """The "appnp" form by hand: z <- (1 - alpha) A z + alpha x + b."""
    z = x
    for _ in range(iterations):
        z = (1 - alpha) * A @ z + alpha * x + b
    return z


def iterate_by_hand(step, x, *, iterations, smoothing=0.5, act=torch.relu):
    """Any layer iterated in a Python loop from ``z = x``: ``z <- s z + (1 - s) act(step(z))`` (a tuple
    output is read as its first entry, a ``[N, heads, F]`` output as ``[N, heads * F]``)."""
    z = x
    for k in range(iterations):
        s = smoothing[k] if isinstance(smoothing, (list, tuple)) else smoothing
        h = step(z)
        if isinstance(h, tuple):
            h = h[0]
        z = s * z + (1 - s) * act(h.flatten(1))
    return z


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


def train_epochs(model, batches, loss_of, *, epochs: int, lr: float = 0.03) -> list[float]:
    """Adam on ``loss_of(model, batch)`` over ``batches()`` for ``epochs`` epochs; each epoch's summed loss."""
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    losses = []
    for _ in range(epochs):
        total = 0.0
        for batch in batches():
            opt.zero_grad()
            loss = loss_of(model, batch)
            loss.backward()
            opt.step()
            total += float(loss)
        losses.append(total)
    return losses


class DenseConv(ic.IterativeLayerBase):
    """The smallest adapter, for the core tests: the GCN operator with :math:`\\hat A` as a dense matrix
    product."""

    def __init__(self, channels: int, num_iterations: int = 8, **kwargs) -> None:
        alpha = kwargs.pop("alpha", 0.0)
        super().__init__(channels, num_iterations, **kwargs)
        self.operator = ic.GCNOperatorBase(channels, alpha=alpha)

    def weight(self, bound: Tensor) -> Tensor:
        return self.operator.weight_for(self._lipschitz_budget(), bound)

    def operator_fn(self, x: Tensor, A: Tensor, bound: Tensor):
        """The map :math:`T` the layer iterates, for measurements."""
        op, W = self.operator, self.weight(bound)
        inner = lambda z: op.step(z, lambda h: A @ h, W, x)  # noqa: E731
        act, inject = self.act_fn, self.inject_input
        return lambda z: act(inner(z) + x if inject else inner(z))

    def forward(self, x: Tensor, A: Tensor, bound: Tensor, *, batch: Optional[Tensor] = None,
                z_init: Optional[Tensor] = None):
        op, W = self.operator, self.weight(bound)
        return self._solve(lambda z: op.step(z, lambda h: A @ h, W, x), x, z_init=z_init, batch=batch)
