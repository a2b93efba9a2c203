"""A contextual stochastic block model (CSBM): a seeded synthetic graph with a chosen homophily.

Used to test whether an iterated operator holds on heterophilous graphs, where a low-pass
propagation (APPNP's, GCN's) averages nodes with neighbours of the other class. Nothing is
downloaded; the same arguments give the same graph.

The model (Deshpande et al., 2018; the heterophily benchmarks of Chien et al., 2021, GPR-GNN):

* ``num_nodes`` nodes, ``num_classes`` balanced classes (the labels a random permutation of
  ``0, 1, ..., C-1`` repeated).
* Features: ``x_i = m_{y_i} + e_i`` with ``e_i ~ N(0, I_F)`` (``feature_dim`` = F) and class means
  at pairwise distance ``2 * mu``: for 2 classes ``m_0 = +mu u``, ``m_1 = -mu u`` along a random unit
  direction ``u``; for C > 2 classes ``m_c = sqrt(2) mu q_c`` with random orthonormal ``q_c`` (needs
  ``feature_dim >= num_classes``). For 2 classes the Bayes-optimal accuracy from the features alone is
  ``Phi(mu)``: 84.1% for the default ``mu = 1`` (an MLP trained on 60% of 2000 nodes gets 83-85%).
* Edges: ``round(num_nodes * mean_degree / 2)`` undirected edges, no self-loops, no duplicates, of
  which exactly ``round(homophily * m)`` join two nodes of the same class (the *edge homophily*,
  the fraction of edges within a class, is ``homophily`` up to that rounding). Each edge picks one
  end uniformly among all nodes and the other uniformly among the nodes of the same class (an
  intra-class edge) or of the other classes (an inter-class edge), so degrees are about Poisson with
  mean ``mean_degree``. ``edge_index`` holds both directions (``2 m`` columns).
* Split: a random ``train_fraction`` / ``val_fraction`` / rest of the nodes (default 60/20/20, the
  split of the heterophily benchmarks of Pei et al., 2020), disjoint and covering every node.

Features, labels and the split depend on ``seed`` only, the edges on ``seed`` and ``homophily``:
the graphs of one seed at different homophily levels share their nodes, so a features-only model
(an MLP) scores the same on all of them.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import torch
from torch import Tensor

from .backends import BACKENDS
from .chains import split_masks

__all__ = ["CSBM", "make_csbm", "load_csbm", "edge_homophily"]


@dataclass
class CSBM:
    """Plain tensors of a CSBM graph (see :func:`make_csbm`)."""

    x: Tensor  # [N, F] float
    y: Tensor  # [N] long
    edge_index: Tensor  # [2, 2m] long, both directions of each undirected edge
    train_mask: Tensor
    val_mask: Tensor
    test_mask: Tensor
    num_classes: int
    homophily: float  # the requested edge homophily
    mean_degree: float  # the requested mean degree

    @property
    def num_nodes(self) -> int:
        return self.x.size(0)


def edge_homophily(edge_index: Tensor, y: Tensor) -> float:
    """The fraction of edges (columns of ``edge_index``) whose two ends share a label."""
    if edge_index.size(1) == 0:
        return float("nan")
    return float((y[edge_index[0]] == y[edge_index[1]]).float().mean())


def _generator(seed: int, *salt: int) -> torch.Generator:
    # one independent stream per purpose, derived from the seed (and the homophily for the edges)
    key = seed
    for s in salt:
        key = (key * 1_000_003 + s) % (2 ** 62)
    return torch.Generator().manual_seed(key)


def _sample_edges(y: Tensor, count: int, same: bool, by_class: list[Tensor], g: torch.Generator,
                  taken: set) -> list[tuple[int, int]]:
    """``count`` new undirected pairs ``(min, max)``, within a class (``same``) or across classes."""
    n = y.numel()
    others = [torch.cat([idx for c, idx in enumerate(by_class) if c != k]) for k in range(len(by_class))]
    out: list[tuple[int, int]] = []
    while len(out) < count:
        need = count - len(out)
        batch = max(64, int(need * 1.2))
        u = torch.randint(n, (batch,), generator=g)
        pools = by_class if same else others
        sizes = torch.tensor([pools[int(c)].numel() for c in range(len(pools))])
        pick = (torch.rand(batch, generator=g) * sizes[y[u]]).long()
        for a, k, j in zip(u.tolist(), y[u].tolist(), pick.tolist()):
            b = int(pools[k][j])
            if a == b:
                continue
            pair = (a, b) if a < b else (b, a)
            if pair in taken:
                continue
            taken.add(pair)
            out.append(pair)
            if len(out) == count:
                break
    return out


def make_csbm(num_nodes: int = 2000, homophily: float = 0.5, mean_degree: float = 10.0, *, num_classes: int = 2,
              feature_dim: int = 32, mu: float = 1.0, train_fraction: float = 0.6, val_fraction: float = 0.2,
              seed: int = 0) -> CSBM:
    """Generate a CSBM graph; see the module's docstring for the model. The same arguments give the
    same graph."""
    if num_classes < 2:
        raise ValueError(f"need num_classes >= 2, got {num_classes}")
    if num_nodes < 2 * num_classes:
        raise ValueError(f"need num_nodes >= 2 * num_classes, got {num_nodes}")
    if not (0.0 <= homophily <= 1.0):
        raise ValueError(f"homophily must lie in [0, 1], got {homophily}")
    if not (0 < mean_degree < math.inf):  # (NaN too)
        raise ValueError(f"mean_degree must be a positive finite number, got {mean_degree}")
    if not math.isfinite(mu):
        raise ValueError(f"mu must be a finite number, got {mu}")
    if feature_dim < (1 if num_classes == 2 else num_classes):
        raise ValueError(f"feature_dim ({feature_dim}) must be >= num_classes ({num_classes}) for C > 2 classes")
    if not (0 < train_fraction and 0 < val_fraction and train_fraction + val_fraction < 1):
        raise ValueError("need 0 < train_fraction, 0 < val_fraction and train_fraction + val_fraction < 1")
    n, C = num_nodes, num_classes
    m = round(n * mean_degree / 2)
    by_size = [n // C + (1 if c < n % C else 0) for c in range(C)]
    # the largest class decides how many intra-class pairs exist; the rest cross classes
    intra_pairs = sum(s * (s - 1) // 2 for s in by_size)
    inter_pairs = n * (n - 1) // 2 - intra_pairs
    m_in = round(homophily * m)
    m_out = m - m_in
    if m_in > intra_pairs // 2 or m_out > inter_pairs // 2:
        raise ValueError(f"{m} edges with homophily {homophily} are too dense for {n} nodes: lower mean_degree")

    # nodes: labels, features, split (independent of the homophily)
    g = _generator(seed, 1)
    y = torch.cat([torch.full((s,), c, dtype=torch.long) for c, s in enumerate(by_size)])
    y = y[torch.randperm(n, generator=g)]
    if C == 2:
        u = torch.randn(feature_dim, generator=g)
        means = mu * torch.stack([u, -u]) / u.norm()
    else:
        q, _ = torch.linalg.qr(torch.randn(feature_dim, C, generator=g))
        means = math.sqrt(2.0) * mu * q.t()
    x = means[y] + torch.randn(n, feature_dim, generator=g)
    masks = split_masks(n, train_fraction, val_fraction, g)

    # edges: exactly m_in intra-class and m_out inter-class undirected pairs
    ge = _generator(seed, 2, round(homophily * 1_000_000), round(mean_degree * 1_000))
    by_class = [(y == c).nonzero().view(-1) for c in range(C)]
    taken: set = set()
    pairs = _sample_edges(y, m_in, True, by_class, ge, taken) + _sample_edges(y, m_out, False, by_class, ge, taken)
    e = torch.tensor(pairs, dtype=torch.long).view(-1, 2).t()
    e = e[:, torch.randperm(e.size(1), generator=ge)]
    edge_index = torch.cat([e, e.flip(0)], dim=1)
    return CSBM(x, y, edge_index, *masks, num_classes=C, homophily=float(homophily), mean_degree=float(mean_degree))


def load_csbm(backend: str = "pyg", *, name: Optional[str] = None, **kwargs):
    """:func:`make_csbm` as an :class:`iterative_gnn.data.NodeDataset` in the backend's graph type
    (PyG: the ``edge_index``; DGL: a ``DGLGraph``), ready for :func:`iterative_gnn.configs.run_one`.
    ``extra`` holds the requested and measured homophily and the mean degree."""
    from .data import NodeDataset, _graph_for

    if backend not in BACKENDS:
        raise ValueError(f"unknown backend {backend!r}; valid: 'pyg', 'dgl'")
    c = make_csbm(**kwargs)
    graph = _graph_for(backend, c.edge_index, c.num_nodes)
    name = name or f"csbm-h{c.homophily:g}"
    extra = {"homophily": torch.tensor(edge_homophily(c.edge_index, c.y)),
             "mean_degree": torch.tensor(c.edge_index.size(1) / c.num_nodes)}
    return NodeDataset(name, c.x, c.y, c.train_mask, c.val_mask, c.test_mask, c.num_classes, graph, backend,
                       extra=extra)
