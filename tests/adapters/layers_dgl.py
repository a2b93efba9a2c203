"""DGL's side of the layers the shared tests iterate: DGL's own convolutions by kind, and a layer
written by a user (builtin message functions). ``tests.adapters.layers_pyg`` builds the same for PyG."""
from __future__ import annotations

import dgl.function as fn
from dgl import nn as dglnn
from torch import nn

#: the backend's layer library, for ``isinstance`` checks
lib = dglnn
#: the kinds of layer whose ``forward`` takes ``edge_weight``
WEIGHTED = {"GraphConv", "SAGEConv", "GINConv", "GATConv"}
#: the attribute that holds a layer's output width
OUT_WIDTH = "out_feats"


def layer(kind: str, c_in, c_out=None, *, heads: int = 1, dropout: float = 0.0) -> nn.Module:
    """DGL's layer ``kind`` from ``c_in`` to ``c_out`` channels (per head for ``GATConv``, with attention ``dropout``)."""
    c_out = c_in if c_out is None else c_out
    if kind == "SAGEConv":
        return dglnn.SAGEConv(c_in, c_out, "mean")
    if kind == "GINConv":
        return dglnn.GINConv(nn.Sequential(nn.Linear(c_in, c_out), nn.ReLU(), nn.Linear(c_out, c_out)), "sum")
    if kind == "GATConv":
        return dglnn.GATConv(c_in, c_out, num_heads=heads, attn_drop=dropout)
    return getattr(dglnn, kind)(c_in, c_out)  # GraphConv


class MeanOfNeighbours(nn.Module):
    """A user's layer: :math:`z_i \\mapsto s\\, W \\mathrm{mean}_j (w_{ji} z_j) + b`."""

    def __init__(self, channels: int, scale: float = 1.0):
        super().__init__()
        self.in_feats = self.out_feats = channels
        self.scale = scale
        self.lin = nn.Linear(channels, channels)

    def forward(self, graph, feat, edge_weight=None):
        with graph.local_scope():
            graph.srcdata["h"] = feat
            if edge_weight is None:
                graph.update_all(fn.copy_u("h", "m"), fn.mean("m", "h"))
            else:
                graph.edata["w"] = edge_weight.view(-1, 1)
                graph.update_all(fn.u_mul_e("h", "w", "m"), fn.mean("m", "h"))
            return self.scale * self.lin(graph.dstdata["h"])
