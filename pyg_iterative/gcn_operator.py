"""The GCN graph operator :math:`\\hat A z W + b`, PyG side."""
from __future__ import annotations

from typing import Callable, Optional

import torch
from torch import Tensor
from torch_geometric.nn.conv import MessagePassing
from torch_geometric.typing import OptTensor
from torch_geometric.utils import spmm

from iterative_core import GCNOperatorBase, gcn_propagation, register_operator
from iterative_core.adapter import is_compiling
from iterative_core.layer import scaled_add
from iterative_core.sparse import CSRPair

from .adapter import PROPAGATE_STEPS, PyGAdapter, SquareWidths

#: the steps whose hooks see the messages one by one (skipped by a fused sparse product)
_PER_EDGE_STEPS = ("message", "aggregate", "edge_update")


def message_hooks(module: MessagePassing, steps=PROPAGATE_STEPS) -> list[str]:
    """The steps of ``propagate`` (of ``steps``) on which ``module`` has hooks registered."""
    return [step for step in steps
            if getattr(module, f"_{step}_forward_pre_hooks", None) or getattr(module, f"_{step}_forward_hooks", None)]


class GCNOperator(SquareWidths, GCNOperatorBase, MessagePassing):
    """The operator :math:`z \\mapsto \\hat A z W + b` (:math:`W` = ``weight.T``) of :class:`PIGNConv` with
    :math:`\\hat A = D^{-1/2}(A + I)D^{-1/2}`, as a PyG ``MessagePassing`` module.

    The core builds :math:`\\hat A` from the edge list :class:`PyGAdapter` reads (any graph argument
    :class:`PIGNConv` takes) as a CSR sparse matrix, once per graph (see
    :meth:`iterative_core.GCNOperatorBase.prepare`: reused while the same graph comes back unchanged,
    or once for all with ``cached=True``), so that each iteration is one fused sparse-dense product.
    When the edge weights require gradients it keeps the edge list and passes messages instead, so
    that they receive them; so does every step while hooks or an explainer watch ``propagate``. An
    explainer's edge mask meets the messages in ``GCNConv``'s order: the given edges other than
    self-loops, in their order, then one self-loop per node.
    """

    adapter = PyGAdapter
    # propagate's arguments, declared as PyG documents it: without the declaration PyG reads (and
    # parses) the source of every class of the MRO at each construction to find them
    propagate_type = {"x": Tensor, "edge_weight": OptTensor}

    def __init__(self, channels: int, *, bias: bool = True, add_self_loops: bool = True, normalize: bool = True,
                 cached: bool = False, alpha: float = 0.0, beta: Optional[float] = None,
                 propagation: str = "fixed", gamma_init: Optional[float] = None,
                 gamma_scale: Optional[float] = None, gamma_max: Optional[float] = None) -> None:
        super().__init__(channels, bias=bias, alpha=alpha, beta=beta, add_self_loops=add_self_loops,
                         normalize=normalize, cached=cached, propagation=propagation, gamma_init=gamma_init,
                         gamma_scale=gamma_scale, gamma_max=gamma_max)

    def differentiable_propagation(self, edge_index, src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int,
                                   dtype: torch.dtype):
        """The folded edge list as ``(edge_index, weight)``, for message passing."""
        prop = self.normalized(src, dst, num_nodes, weight, fold_loops=True, dtype=dtype)
        return prop, (torch.stack([prop.src, prop.dst]), prop.weight)

    def normalized(self, src: Tensor, dst: Tensor, num_nodes: int, weight: Optional[Tensor], *,
                   fold_loops: bool = True, dtype: torch.dtype = torch.float32):
        # the core's, through this module's name for gcn_propagation (where tests count the builds)
        return gcn_propagation(src, dst, num_nodes, weight, add_self_loops=self.add_self_loops,
                               normalize=self.normalize, fold_loops=fold_loops, dtype=dtype)

    def propagator(self, edge_index, prop, adj) -> Callable[[Tensor, Optional[Tensor], float], Tensor]:
        if not isinstance(adj, tuple) and not self._observed():
            # the hot path: one fused CSR product per step (scale * Â h + add), its transpose reused by
            # every backward step (the edge list inside a torch.compile graph, which built no CSR matrix)
            return super().propagator(edge_index, prop, adj)
        # the observed path: what propagate returned stays as the hooks saw it (a copy when it would
        # otherwise be the step's output, which the iteration may overwrite in place)
        if self._explain:  # the messages in the order an explainer's edge mask follows, built once per call
            adj = self._explained_edges(prop)
        elif isinstance(adj, CSRPair) and self._takes_edge_list():
            # a sparse matrix takes PyG's fused message_and_aggregate, which skips the message and
            # aggregate hooks: with those, the messages are passed along the edge list (built once per call);
            # so they are for propagate's hooks, which see the edge_index and edge_weight GCNConv passes
            adj = (torch.stack([prop.src, prop.dst]), prop.weight)
        return lambda h, add, s: (scaled_add(self._propagate_with(prop, adj, h), add, s)
                                  if (add is not None or s != 1.0) else self._propagate_with(prop, adj, h).clone())

    def forward(self, x: Tensor, edge_index, edge_weight: Optional[Tensor] = None) -> Tensor:
        """One application :math:`\\hat A x W + b` (no activation, no iteration)."""
        return self.apply_once(x, edge_index, edge_weight)

    def _observed(self) -> bool:
        """Whether anything watches ``propagate`` (hooks on any of its steps, explainers): then every
        step goes through it."""
        return bool(self._explain or message_hooks(self))

    def _takes_edge_list(self) -> bool:
        """Whether the observed steps pass messages along the edge list: with hooks on the steps that see
        them one by one, or on ``propagate`` itself unless a hook on the fused ``message_and_aggregate``
        needs the sparse matrix."""
        hooked = message_hooks(self)
        return (any(step in _PER_EDGE_STEPS for step in hooked)
                or ("propagate" in hooked and "message_and_aggregate" not in hooked))

    def _propagate_with(self, prop, adj, h: Tensor) -> Tensor:
        if isinstance(adj, CSRPair) and not is_compiling():
            return self.propagate(adj.A, x=h, edge_weight=None)
        # the folded edge list: what a traced graph uses (no sparse tensor), and weights with gradients
        edge_index, w = adj if isinstance(adj, tuple) else (torch.stack([prop.src, prop.dst]), prop.weight)
        return self.propagate(edge_index, x=h, edge_weight=w, size=(h.size(0), h.size(0)))

    def _explained_edges(self, prop) -> tuple[Tensor, Tensor]:
        """The normalised edge list in the layout PyG's explainers mask (``explain_message``), that of
        ``GCNConv`` after ``add_remaining_self_loops``: the graph's edges other than self-loops in their
        given order, then one self-loop per node (carrying the weight of the node's own loops). The
        propagation's list holds every given edge in order, then the added loops (zero where a node
        had its own)."""
        if not self.add_self_loops:
            return torch.stack([prop.src, prop.dst]), prop.weight
        n = prop.num_nodes
        e = prop.src.numel() - n
        src, dst, w = prop.src[:e], prop.dst[:e], prop.weight[:e]
        own = src == dst
        loops = prop.weight[e:].index_add(0, src[own], w[own])
        idx = torch.arange(n, device=src.device, dtype=src.dtype)
        keep = ~own
        return torch.stack([torch.cat([src[keep], idx]), torch.cat([dst[keep], idx])]), torch.cat([w[keep], loops])

    def message(self, x_j: Tensor, edge_weight: Tensor) -> Tensor:
        return edge_weight.view(-1, 1) * x_j

    def message_and_aggregate(self, adj_t: Tensor, x: Tensor) -> Tensor:
        return spmm(adj_t, x, reduce=self.aggr)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"


register_operator("gcn", GCNOperator, backend="pyg", _builtin=True)
