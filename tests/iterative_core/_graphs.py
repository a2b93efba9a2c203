"""Small graphs, the GCN operator as a dense matrix, and a tiny torch-only adapter for the core tests."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

import iterative_core as ic


def random_edges(n: int, e: int, *, seed: int = 0, undirected: bool = True) -> tuple[Tensor, Tensor]:
    """``e`` random edges on ``n`` nodes (both directions when ``undirected``), no self-loops."""
    g = torch.Generator().manual_seed(seed)
    src = torch.randint(0, n, (e,), generator=g)
    dst = (src + torch.randint(1, n, (e,), generator=g)) % n
    if undirected:
        src, dst = torch.cat([src, dst]), torch.cat([dst, src])
    return src, dst


def gcn_dense(src: Tensor, dst: Tensor, n: int, dtype=torch.float64) -> tuple[Tensor, Tensor]:
    """``(Â, bound)``: :math:`D^{-1/2}(A+I)D^{-1/2}` as a dense matrix and the core's bound on its norm."""
    prop = ic.gcn_propagation(src, dst, n, dtype=dtype)
    return prop.dense(), prop.norm_bound()


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


def orthogonal(c: int, *, seed: int = 0, dtype=torch.float64) -> Tensor:
    g = torch.Generator().manual_seed(seed)
    q, _ = torch.linalg.qr(torch.randn(c, c, generator=g, dtype=dtype))
    return q


class DenseConv(ic.IterativeLayerBase):
    """The smallest adapter: the GCN operator with :math:`\\hat A` as a dense matrix product."""

    def __init__(self, channels: int, num_iterations: int = 8, **kwargs) -> None:
        alpha = kwargs.pop("alpha", 0.0)
        super().__init__(channels, num_iterations, **kwargs)
        self.operator = ic.GCNOperatorBase(channels, alpha=alpha)

    def weight(self, bound: Tensor) -> Tensor:
        return self.operator.weight_for(self.lipschitz_budget(), bound)

    def operator_fn(self, x: Tensor, A: Tensor, bound: Tensor):
        """The map :math:`T` the layer iterates, for measurements."""
        op, W = self.operator, self.weight(bound)
        inner = lambda z: op.step(z, lambda h: A @ h, W, x)  # noqa: E731
        act, inject = self.act_fn, self.inject_input
        return lambda z: act(inner(z) + x if inject else inner(z))

    def forward(self, x: Tensor, A: Tensor, bound: Tensor, *, batch: Optional[Tensor] = None,
                z_init: Optional[Tensor] = None):
        op, W = self.operator, self.weight(bound)
        return self.solve(lambda z: op.step(z, lambda h: A @ h, W, x), x, z_init=z_init, batch=batch)
