"""The operators ``PIGNConv(conv=...)`` builds from PyG's own layers, registered for backend ``"pyg"``.

Each factory takes the layer's width and returns a square PyG convolution; its keywords are the
options ``PIGNConv`` passes on (``PIGNConv(64, conv="gat", heads=4)``). ``"gcn"`` is
:class:`~pyg_iterative.GCNOperator` (registered in its own module).

* ``"sage"``: ``SAGEConv(C, C)``; options ``aggr="mean"`` (``"mean"``, ``"sum"``, ``"max"``, or ``"pool"``:
  ``max`` after PyG's ``project=True``, ``relu(lin(z))``), ``bias=True``.
* ``"gin"``: ``GINConv`` over ``Linear(C, H) -> ReLU -> Linear(H, C)``; options ``hidden=C``,
  ``eps=0.0``, ``train_eps=False``.
* ``"gat"``: ``GATConv(C, C // heads, heads=heads)`` with the heads concatenated; options ``heads=1``,
  ``negative_slope=0.2``, ``attention_dropout=0.0``, ``add_self_loops=True``, ``bias=True``.

The DGL adapter registers the same names with the same options and the same functions (DGL's
``GATConv`` on the graph with self-loops added): :func:`iterative_core.operators.convert_state_dict`
moves their weights between the backends.
"""
from __future__ import annotations

from typing import Optional

from torch import nn
from torch_geometric.nn import GATConv, GINConv, SAGEConv

from iterative_core.operators import (check_gat_options, check_gin_options, check_sage_aggr, gin_mlp, head_width,
                                      register_builtin_operators)

__all__ = ["sage_operator", "gin_operator", "gat_operator"]


def sage_operator(channels: int, *, aggr: str = "mean", bias: bool = True) -> nn.Module:
    """GraphSAGE: :math:`z_i W_r + \\mathrm{aggr}_{j \\in \\mathcal{N}(i)} z_j W_l + b`, ``aggr`` one of
    :data:`iterative_core.operators.SAGE_AGGREGATIONS` (``"pool"``: ``max`` over ``relu(lin(z_j))``)."""
    aggr = check_sage_aggr(aggr)
    if aggr == "pool":
        return SAGEConv(channels, channels, aggr="max", project=True, bias=bias)
    return SAGEConv(channels, channels, aggr=aggr, bias=bias)


def gin_operator(channels: int, *, hidden: Optional[int] = None, eps: float = 0.0, train_eps: bool = False) -> nn.Module:
    """GIN: :math:`\\mathrm{MLP}((1 + \\epsilon) z_i + \\sum_{j \\in \\mathcal{N}(i)} z_j)`."""
    check_gin_options(hidden, eps, train_eps)
    return GINConv(gin_mlp(channels, hidden), eps=eps, train_eps=train_eps)


def gat_operator(channels: int, *, heads: int = 1, negative_slope: float = 0.2, attention_dropout: float = 0.0,
                 add_self_loops: bool = True, bias: bool = True) -> nn.Module:
    """GAT with ``heads`` heads of width ``channels // heads``, concatenated."""
    heads = check_gat_options(heads, negative_slope, attention_dropout, add_self_loops=add_self_loops, bias=bias)
    return GATConv(channels, head_width(channels, heads), heads=heads, concat=True, negative_slope=negative_slope,
                   dropout=attention_dropout, add_self_loops=add_self_loops, bias=bias)


# with the parameter names both backends share (see convert_state_dict)
register_builtin_operators("pyg", {"sage": sage_operator, "gin": gin_operator, "gat": gat_operator})
