"""The GCN graph operator :math:`\\hat A z W + b`, PyG side."""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.utils import spmm

from iterative_core import GCNOperatorBase, gcn_propagation, register_operator
from iterative_core.layer import scaled_add
from iterative_core.sparse import CSRPair, csr_pair, spmm_csr

from .adapter import edge_list


@torch.compiler.disable
def _csr(src: Tensor, dst: Tensor, value: Tensor, num_nodes: int) -> CSRPair:
    """The CSR matrix (rows: destinations) with its transpose built at the first backward use, made
    outside ``torch.compile``'s graph (torch < 2.4 cannot trace sparse constructors); it is built once
    per forward call, so the graph break costs nothing per iteration."""
    return csr_pair(src, dst, value, num_nodes)


class GCNOperator(GCNOperatorBase, MessagePassing):
    """The operator :math:`z \\mapsto \\hat A z W + b` of :class:`PIGNConv` with
    :math:`\\hat A = D^{-1/2}(A + I)D^{-1/2}`, as a PyG ``MessagePassing`` module.

    :meth:`build_propagation` builds :math:`\\hat A` once per forward call (or once, with
    ``cached=True``) as a CSR sparse matrix, so that each iteration is one sparse-dense product. When
    the edge weights require gradients it keeps the edge list and passes messages instead, so that
    they receive them. The sequence (cache, norm bound, rescaled weight) is
    :meth:`iterative_core.GCNOperatorBase.bind`.
    """

    def __init__(self, channels: int, *, bias: bool = True, add_self_loops: bool = True, normalize: bool = True,
                 cached: bool = False, alpha: float = 0.0, beta: Optional[float] = None) -> None:
        super().__init__(channels, bias=bias, alpha=alpha, beta=beta, add_self_loops=add_self_loops,
                         normalize=normalize, cached=cached)

    def build_propagation(self, edge_index, edge_weight: Optional[Tensor], num_nodes: int, dtype: torch.dtype):
        """:math:`\\hat A` of any graph argument :class:`PIGNConv` takes, with the CSR matrix (rows:
        destinations) the iteration multiplies by; when the edge weights require gradients, the edge
        list instead, so that message passing delivers them."""
        src, dst, w = edge_list(edge_index, edge_weight)
        prop = gcn_propagation(src, dst, num_nodes, w, add_self_loops=self.add_self_loops,
                               normalize=self.normalize, fold_loops=True, dtype=dtype)
        if w is not None and w.requires_grad:
            return prop, (torch.stack([prop.src, prop.dst]), prop.weight)
        return prop, _csr(prop.src, prop.dst, prop.weight, num_nodes)

    def propagator(self, edge_index, prop, adj) -> Callable[[Tensor, Optional[Tensor], float], Tensor]:
        if isinstance(adj, CSRPair) and not self._observed():
            # the hot path: one fused CSR product per step (scale * Â h + add), its transpose reused by
            # every backward step
            return lambda h, add, s: spmm_csr(adj, h, add, s)
        # the observed path: what propagate returned stays as the hooks saw it (a copy when it would
        # otherwise be the step's output, which the iteration may overwrite in place)
        return lambda h, add, s: (scaled_add(self.propagate_with(adj, h), add, s)
                                  if (add is not None or s != 1.0) else self.propagate_with(adj, h).clone())

    def forward(self, x: Tensor, edge_index, edge_weight: Optional[Tensor] = None) -> Tensor:
        """One application :math:`\\hat A x W + b` (no activation, no iteration)."""
        return self.bind(x, edge_index, edge_weight)(x)

    def _observed(self) -> bool:
        """Whether anything watches ``propagate`` (hooks, explainers): then every step goes through it."""
        return bool(self._explain or self._propagate_forward_pre_hooks or self._propagate_forward_hooks
                    or self._message_and_aggregate_forward_pre_hooks or self._message_and_aggregate_forward_hooks)

    def propagate_with(self, adj, h: Tensor) -> Tensor:
        if isinstance(adj, tuple):
            edge_index, w = adj
            return self.propagate(edge_index, x=h, edge_weight=w, size=(h.size(0), h.size(0)))
        return self.propagate(adj.A, x=h, edge_weight=None)

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        return edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: Tensor, x: Tensor) -> Tensor:
        return spmm(adj_t, x, reduce=self.aggr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


register_operator("gcn", GCNOperator, backend="pyg")
