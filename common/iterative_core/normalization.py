"""The GCN propagation matrix, built once from an edge list (backend-agnostic).

Messages flow from ``src`` to ``dst``. With ``add_self_loops`` a self-loop of weight 1 is added to
every node that has none (an existing self-loop keeps its weight and is not counted twice). With
``normalize`` the entries become :math:`d_i^{-1/2} a_{ij} d_j^{-1/2}`, :math:`d` the weighted
in-degree including self-loops (PyG's ``gcn_norm``; for undirected graphs this is also DGL's
``norm="both"``). Nodes of degree zero get zero rows and columns. Duplicate edges add up, self-loops
included, in both backends; there ``gcn_norm`` differs: it keeps one of a node's self-loops (with
its weight) and drops the others.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Optional

import torch
from torch import Tensor

from .theory import propagation_norm_bound

__all__ = ["Propagation", "gcn_propagation"]


@dataclass
class Propagation:
    """A normalised propagation matrix as an edge list plus a diagonal.

    ``matrix = sparse(dst, src, weight) + diag(loop_weight)``. With ``fold_loops`` the added
    self-loops are part of the edge list (``loop_weight`` is None); otherwise they are kept apart so
    that an adapter can propagate over the user's own graph and add ``loop_weight * z``.
    """

    src: Tensor
    dst: Tensor
    weight: Tensor
    loop_weight: Optional[Tensor]
    num_nodes: int
    degree: Tensor  # weighted in-degree including self-loops (before normalisation; float64 for weighted graphs)
    normalized: bool
    #: Set when the graph had no edge weights: the matrix is then
    #: ``diag(node_scale) @ (sparse(dst, src, 1) + diag(unit_loops)) @ diag(node_scale)``
    #: (``node_scale`` None without normalisation), so that a backend can propagate with an
    #: unweighted sum over edges and two node-wise scalings, which is much faster in DGL than a
    #: per-edge product. ``unit_loops`` is None without added self-loops.
    node_scale: Optional[Tensor] = None
    unit_loops: Optional[Tensor] = None
    unweighted: bool = False  # set only with the loops kept apart (``fold_loops=False``)
    #: the edge list holds the folded self-loops alone, one per node in node order (a graph without
    #: edges): the matrix is ``diag(weight)``, which the products apply as such
    loops_only: bool = False
    #: the bounds of :meth:`norm_bound` already computed, per batch vector (kept by the GCN operator
    #: for a propagation it reuses: see :meth:`iterative_core.GCNOperatorBase.norm_bound`)
    bounds: Any = field(default=None, repr=False, compare=False)

    def norm_bound(self, batch: Optional[Tensor] = None, num_graphs: Optional[int] = None) -> Tensor:
        """An upper bound on the spectral norm of the matrix (exactly 1 for an undirected graph
        under the symmetric normalisation), one per graph with a ``batch`` vector; see
        :func:`iterative_core.theory.propagation_norm_bound`."""
        src, dst, w = self.src, self.dst, self.weight
        if self.loop_weight is not None:
            idx = torch.arange(self.num_nodes, device=src.device)
            src, dst, w = torch.cat([src, idx]), torch.cat([dst, idx]), torch.cat([w, self.loop_weight])
        scale = self.degree.clamp_min(0).sqrt() if self.normalized else None
        if scale is not None:
            scale = torch.where(scale > 0, scale, torch.ones_like(scale))
        return propagation_norm_bound(src, dst, w, self.num_nodes, node_scale=scale, batch=batch,
                                      num_graphs=num_graphs)

    def dense(self) -> Tensor:
        """The matrix as a dense ``[N, N]`` tensor (rows: destinations), for tests and small graphs."""
        n = self.num_nodes
        out = torch.zeros(n, n, dtype=self.weight.dtype, device=self.weight.device)
        out.index_put_((self.dst, self.src), self.weight, accumulate=True)
        if self.loop_weight is not None:
            out = out + torch.diag(self.loop_weight)
        return out


def gcn_propagation(
    src: Tensor,
    dst: Tensor,
    num_nodes: int,
    edge_weight: Optional[Tensor] = None,
    *,
    add_self_loops: bool = True,
    normalize: bool = True,
    fold_loops: bool = True,
    dtype: torch.dtype = torch.float32,
) -> Propagation:
    """Build the (normalised) propagation matrix of a graph given as ``src -> dst`` edges.

    Runs without host-device synchronisation (the added self-loops are a full diagonal whose entries
    are zero where a node already had a loop), so it is ``torch.compile``-friendly.
    """
    device = src.device
    # weighted degrees are summed in float64 where the device has it: a sum of large finite weights
    # (say 3e38 in float32) would otherwise overflow to Inf and erase the node's edges. The normalised
    # entries w_ij / sqrt(d_i d_j) are at most 1, so they fit the iteration's dtype again.
    acc = dtype
    if edge_weight is not None and normalize and device.type in ("cpu", "cuda"):
        acc = torch.promote_types(dtype, torch.float64)
    w = torch.ones(src.numel(), dtype=dtype, device=device) if edge_weight is None else edge_weight.to(acc)
    if add_self_loops:
        # the nodes that have a self-loop, counted without a boolean mask (whose size depends on the
        # values: a synchronisation on a GPU, and no shape that torch.compile can trace)
        loops = torch.zeros(num_nodes, dtype=torch.int32, device=device).index_add_(
            0, src, (src == dst).to(torch.int32))
        loop_w = (loops == 0).to(acc)
    else:
        loop_w = torch.zeros(num_nodes, dtype=acc, device=device)
    deg = torch.zeros(num_nodes, dtype=acc, device=device).index_add_(0, dst, w) + loop_w
    unit_loops, dinv = (loop_w.to(dtype) if add_self_loops else None), None
    if normalize:
        # 0 where a node's weighted degree is 0 (its edges all weigh 0), with a zero gradient there: the
        # power taken of the positive degrees only (inf replaced after the power gave its weights NaN
        # gradients, inf * 0, which one masked edge spread to a learned weight)
        # (a negative degree, from negative weights that validate=False lets through, stays NaN, as the power
        # gives it: the solve reports it rather than computing with a made-up normalisation)
        pos = deg > 0
        dinv = torch.where(pos, torch.where(pos, deg, torch.ones_like(deg)).pow(-0.5),
                           torch.where(deg == 0, 0.0, float("nan")).to(deg.dtype))
        w = dinv[src] * w * dinv[dst]
        loop_w = loop_w * dinv * dinv
        w, loop_w, dinv = w.to(dtype), loop_w.to(dtype), dinv.to(dtype)
    if fold_loops and add_self_loops:
        idx = torch.arange(num_nodes, device=device)
        return Propagation(torch.cat([src, idx]), torch.cat([dst, idx]), torch.cat([w, loop_w]), None,
                           num_nodes, deg, normalize, loops_only=src.numel() == 0)
    # the propagation outlives the call (the first backward pass builds the transpose from its edge list,
    # the norm bound reads it, caches keep it): it holds copies, not the caller's tensors, which an
    # in-place edit would change under it (torch.cat made copies above)
    if w is edge_weight:
        w = w.clone()
    return Propagation(src.clone(), dst.clone(), w, loop_w if add_self_loops else None, num_nodes, deg, normalize,
                       node_scale=dinv, unit_loops=unit_loops, unweighted=edge_weight is None)
