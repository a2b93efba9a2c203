"""The operators ``PIGNConv(conv=...)`` builds from DGL's own layers, registered for backend ``"dgl"``.

The names, options and functions are those of :mod:`pyg_iterative.operators`, so that a model
moves between the backends with :func:`iterative_core.operators.convert_state_dict`:

* ``"sage"``: :class:`SAGEOperator`, ``dgl.nn.SAGEConv(C, C)`` with PyG's aggregations; options
  ``aggr="mean"`` (``"mean"``, ``"sum"``, ``"max"``, or ``"pool"``: DGL's max over ``relu(fc_pool(z))``),
  ``bias=True``.
* ``"gin"``: ``dgl.nn.GINConv`` (sum) over ``Linear(C, H) -> ReLU -> Linear(H, C)``; options ``hidden=C``,
  ``eps=0.0``, ``train_eps=False``.
* ``"gat"``: ``dgl.nn.GATConv(C, C // heads, heads)`` with the heads concatenated, on the graph with
  its self-loops replaced by one loop per node (as PyG's ``GATConv`` does; edge weights of the added
  loops are 1); options ``heads=1``, ``negative_slope=0.2``, ``attention_dropout=0.0``,
  ``add_self_loops=True``, ``bias=True``, and DGL's ``allow_zero_in_degree=False``.

``"gcn"`` is :class:`~dgl_iterative.GCNOperator` (registered in its own module).

One difference: these take edge weights, as DGL's layers do (``edge_weight=``), where PyG's
``SAGEConv``, ``GINConv`` and ``GATConv``, and so PyG's ``"sage"``, ``"gin"`` and ``"gat"``, refuse
them; weighted graphs move between the backends with ``conv="gcn"``.
"""
from __future__ import annotations

from typing import Callable, Optional

import dgl
import dgl.function as fn
import torch
from dgl.nn import GATConv, GINConv, SAGEConv
from torch import Tensor, nn

from iterative_core.checks import check_int
from iterative_core.operators import (check_gat_options, check_gin_options, check_sage_aggr, gin_mlp, head_width,
                                      register_builtin_operators)
from iterative_core.wrapping import check_weights_fit

__all__ = ["sage_operator", "gin_operator", "gat_operator", "GATOperator", "SAGEOperator"]


class GATOperator(GATConv):
    """DGL's ``GATConv`` with concatenated heads which, with ``add_self_loops``, runs on the graph
    with one self-loop per node. The loops are added once per forward pass of the iterative layer
    (:meth:`bind`), not at every iteration."""

    #: its bound step does not read the features it is bound with (they only start the iteration)
    reads_input = False
    #: a half-precision layer binds it to float32 features (each step computes in the parameters' dtype)
    binds_in_float32 = True

    def __init__(self, channels: int, heads: int, *, add_self_loops: bool = True, allow_zero_in_degree: bool = False,
                 **kwargs) -> None:
        heads = check_int("heads", heads, minimum=1, where=type(self).__name__)
        # with the loops added no node is without in-edges; without them, DGL's rule (GATConv's check)
        super().__init__(channels, head_width(channels, heads), heads,
                         allow_zero_in_degree=add_self_loops or allow_zero_in_degree, **kwargs)
        self.add_self_loops = add_self_loops

    def looped(self, graph, edge_weight: Optional[Tensor]):
        """``graph`` with its self-loops replaced by one per node, and the edge weights to match."""
        if not self.add_self_loops:
            return graph, edge_weight
        src, dst = graph.edges()
        keep = src != dst
        g = dgl.add_self_loop(dgl.remove_self_loop(graph))
        if edge_weight is not None:
            loops = torch.ones(graph.num_nodes(), dtype=edge_weight.dtype, device=edge_weight.device)
            edge_weight = torch.cat([edge_weight[keep], loops])
        return g, edge_weight

    def bind(self, feat: Tensor, graph, edge_weight: Optional[Tensor] = None, *,
             lipschitz_budget: Optional[float] = None, validate: bool = True) -> Callable[[Tensor], Tensor]:
        """The map ``z -> GAT(z)`` on ``graph`` with its loops. A half-precision layer's iteration runs
        in float32 (see :class:`~iterative_core.IterativeLayerBase`): each step computes in the
        parameters' dtype and returns the iterate's, and the edge weights are cast to it (with
        ``validate``, those the cast would make infinite or 0 are refused)."""
        g, w = self.looped(graph, edge_weight)
        gat = super(GATOperator, self).forward
        dtype = self.fc.weight.dtype if hasattr(self, "fc") else self.fc_src.weight.dtype
        if validate and w is not None and w.is_floating_point() and w.dtype != dtype:  # DGL wants the features' dtype
            check_weights_fit(w, dtype, "PIGNConv(conv='gat')", "DGL's GATConv")  # (none made inf or 0 by the cast)
        kw = {} if w is None else {"edge_weight": w.to(dtype)}
        if feat.dtype == dtype:
            return lambda z: gat(g, z, **kw).flatten(1)

        def step(z: Tensor) -> Tensor:
            return gat(g, z.to(dtype), **kw).flatten(1).to(z.dtype)

        step.compute_dtype = dtype  # what the iterates resolve: a tol is checked against it
        return step

    def forward(self, graph, feat: Tensor, edge_weight: Optional[Tensor] = None) -> Tensor:
        """One application, heads concatenated: ``[N, heads * F]``."""
        return self.bind(feat, graph, edge_weight)(feat)


class SAGEOperator(SAGEConv):
    """DGL's ``SAGEConv(C, C)`` (its parameters and names) with the aggregations of PyG's ``SAGEConv``:
    ``"mean"`` and ``"pool"`` are DGL's own, ``"sum"`` and ``"max"`` are computed here (0 at a node
    without in-edges, as in PyG)."""

    def __init__(self, channels: int, aggr: str = "mean", *, bias: bool = True) -> None:
        aggr = check_sage_aggr(aggr)
        super().__init__(channels, channels, aggr if aggr == "pool" else "mean", bias=bias)
        self.aggr = aggr

    def reset_parameters(self) -> None:
        """DGL's reset (Glorot weights), with the linear maps' biases drawn again as when built (DGL's
        keeps them, where PyG's ``SAGEConv`` resets every parameter)."""
        for lin in (getattr(self, "fc_self", None), getattr(self, "fc_pool", None)):
            if lin is not None and lin.bias is not None:
                lin.reset_parameters()  # (its weight too, drawn again below)
        super().reset_parameters()

    def forward(self, graph, feat: Tensor, edge_weight: Optional[Tensor] = None) -> Tensor:
        if self.aggr in ("mean", "pool"):
            return super().forward(graph, feat, edge_weight)
        with graph.local_scope():
            graph.srcdata["h"] = feat
            message = fn.copy_u("h", "m")
            if edge_weight is not None:
                graph.edata["_edge_weight"] = edge_weight
                message = fn.u_mul_e("h", "_edge_weight", "m")
            graph.update_all(message, (fn.sum if self.aggr == "sum" else fn.max)("m", "neigh"))
            return self.fc_self(feat) + self.fc_neigh(graph.dstdata["neigh"])


def sage_operator(channels: int, *, aggr: str = "mean", bias: bool = True) -> nn.Module:
    """GraphSAGE: :math:`z_i W_r + \\mathrm{aggr}_{j \\in \\mathcal{N}(i)} z_j W_l + b`, ``aggr`` one of
    :data:`iterative_core.operators.SAGE_AGGREGATIONS` (``"pool"``: ``max`` over ``relu(fc_pool(z_j))``)."""
    return SAGEOperator(channels, aggr, bias=bias)


def gin_operator(channels: int, *, hidden: Optional[int] = None, eps: float = 0.0, train_eps: bool = False) -> nn.Module:
    """GIN: :math:`\\mathrm{MLP}((1 + \\epsilon) z_i + \\sum_{j \\in \\mathcal{N}(i)} z_j)`."""
    check_gin_options(hidden, eps, train_eps)
    op = GINConv(gin_mlp(channels, hidden), "sum", init_eps=eps, learn_eps=train_eps)
    return _in_default_dtype(op, eps=eps)


def gat_operator(channels: int, *, heads: int = 1, negative_slope: float = 0.2, attention_dropout: float = 0.0,
                 add_self_loops: bool = True, bias: bool = True, allow_zero_in_degree: bool = False) -> nn.Module:
    """GAT with ``heads`` heads of width ``channels // heads``, concatenated. With
    ``add_self_loops=False`` a node without in-edges is refused unless ``allow_zero_in_degree``, as in
    DGL's ``GATConv`` (it then keeps only the bias, as in PyG's ``GATConv``)."""
    heads = check_gat_options(heads, negative_slope, attention_dropout, add_self_loops=add_self_loops, bias=bias,
                              allow_zero_in_degree=allow_zero_in_degree)
    return _in_default_dtype(GATOperator(channels, heads, add_self_loops=add_self_loops, negative_slope=negative_slope,
                                         attn_drop=attention_dropout, bias=bias, allow_zero_in_degree=allow_zero_in_degree))


def _in_default_dtype(op: nn.Module, **exact: float) -> nn.Module:
    """``op`` in torch's default dtype, as PyG's operators and the rest of the layer are: DGL builds
    ``GINConv``'s ``eps`` and ``GATConv``'s attention vectors and bias as float32 whatever the default.
    ``exact``: values to set again in that dtype (``eps=0.3`` read through float32 is 0.30000001)."""
    op = op.to(torch.get_default_dtype())
    with torch.no_grad():
        for name, value in exact.items():
            getattr(op, name).fill_(value)
    return op


# with the parameter names both backends share (see convert_state_dict)
register_builtin_operators("dgl", {"sage": sage_operator, "gin": gin_operator, "gat": gat_operator})
