"""The "chains" long-range benchmark of the IGNN paper (Gu et al., 2020), generated in code.

A graph made of separate chains (paths). Every node of a chain carries the chain's class as its
label, but only the node at one end of the chain sees the class in its features: to classify a node
at distance ``d`` from that end, a model must carry information ``d`` hops along the chain. A
``k``-layer message-passing network sees ``k`` hops, so on long chains it is right only near the
labelled end and at chance elsewhere; an iteration run to its fixed point sees the whole chain.
"""
from __future__ import annotations

import math

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class Chains:
    """Plain tensors of a chains graph (see :func:`make_chains`)."""

    x: Tensor  # [N, feature_dim] float
    y: Tensor  # [N] long, the chain's class
    edge_index: Tensor  # [2, E] long: i -> i + 1 along each chain (and back, when not directed)
    train_mask: Tensor  # [N] bool
    val_mask: Tensor
    test_mask: Tensor
    distance: Tensor  # [N] long, hops from the chain's labelled end (0 for the end node itself)
    chain: Tensor  # [N] long, the chain each node belongs to
    num_classes: int
    length: int

    @property
    def num_nodes(self) -> int:
        return self.x.size(0)



def split_masks(n: int, train_fraction: float, val_fraction: float,
                generator: torch.Generator) -> list[Tensor]:
    """Train, validation and test masks of ``n`` nodes: a random permutation cut at the fractions."""
    perm = torch.randperm(n, generator=generator)
    n_train, n_val = round(train_fraction * n), round(val_fraction * n)
    masks = []
    for idx in (perm[:n_train], perm[n_train:n_train + n_val], perm[n_train + n_val:]):
        mask = torch.zeros(n, dtype=torch.bool)
        mask[idx] = True
        masks.append(mask)
    return masks

def make_chains(length: int, *, num_classes: int = 2, chains_per_class: int = 20, feature_dim: int | None = None,
                noise: float = 0.0, train_fraction: float = 0.05, val_fraction: float = 0.10,
                directed: bool = True, seed: int = 0) -> Chains:
    """Generate ``num_classes * chains_per_class`` chains of ``length`` nodes each.

    * Chain ``c`` (numbered ``0 .. num_classes * chains_per_class - 1``) has class ``c % num_classes``;
      its nodes are ``c * length .. (c + 1) * length - 1`` in order along the chain, and every one of
      them is labelled with the chain's class.
    * Edges join consecutive nodes of a chain, none join chains, no self-loops. With ``directed``
      (the default, as in IGNN) each edge points away from the labelled end, from node ``i`` to node
      ``i + 1``, so that messages flow from the labelled end along the chain: ``length - 1`` edges
      per chain. Otherwise both directions: ``2 * (length - 1)`` edges per chain.
    * Features have ``feature_dim`` entries (default ``num_classes``), drawn uniformly from
      ``[-noise, noise]`` (all zero for ``noise=0``); the first node of each chain (``distance`` 0)
      has the one-hot vector of its class added to its first ``num_classes`` entries. No other node
      carries any information on the class.
    * Nodes are split at random (seeded by ``seed``) into disjoint train, validation and test sets
      of ``round(train_fraction * N)``, ``round(val_fraction * N)`` and the remaining nodes
      (IGNN's 5% / 10% / 85%).

    The same arguments give the same graph.
    """
    if length < 1:
        raise ValueError(f"length must be >= 1, got {length}")
    if num_classes < 2 or chains_per_class < 1:
        raise ValueError("need num_classes >= 2 and chains_per_class >= 1")
    feature_dim = num_classes if feature_dim is None else feature_dim
    if feature_dim < num_classes:
        raise ValueError(f"feature_dim ({feature_dim}) must be >= num_classes ({num_classes})")
    if not (0 < train_fraction and 0 < val_fraction and train_fraction + val_fraction < 1):
        raise ValueError("need 0 < train_fraction, 0 < val_fraction and train_fraction + val_fraction < 1")
    if not (isinstance(noise, (int, float)) and not isinstance(noise, bool) and math.isfinite(noise) and noise >= 0):
        raise ValueError(f"make_chains: noise must be a finite number >= 0 (the features' half-range), got {noise!r}")
    g = torch.Generator().manual_seed(seed)
    num_chains = num_classes * chains_per_class
    n = num_chains * length
    chain = torch.arange(num_chains).repeat_interleave(length)
    distance = torch.arange(length).repeat(num_chains)
    y = chain % num_classes
    x = (torch.rand(n, feature_dim, generator=g) * 2 - 1) * noise if noise > 0 else torch.zeros(n, feature_dim)
    ends = distance == 0
    x[ends, :num_classes] += torch.eye(num_classes)[y[ends]]
    # consecutive nodes of the same chain
    src = torch.arange(n - 1)
    src = src[distance[:-1] < length - 1]
    dst = src + 1
    edge_index = torch.stack([src, dst])
    if not directed:
        edge_index = torch.cat([edge_index, torch.stack([dst, src])], dim=1)
    masks = split_masks(n, train_fraction, val_fraction, g)
    return Chains(x, y, edge_index, *masks, distance=distance, chain=chain, num_classes=num_classes, length=length)
