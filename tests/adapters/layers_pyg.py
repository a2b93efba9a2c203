"""PyG's side of the layers the shared tests iterate: PyG's own convolutions by kind, and a layer
written by a user (a ``MessagePassing``). ``tests.adapters.layers_dgl`` builds the same for DGL."""
from __future__ import annotations

from torch import nn
from torch_geometric import nn as gnn
from torch_geometric.nn import MessagePassing

#: the backend's layer library, for ``isinstance`` checks
lib = gnn
#: the kinds of layer whose ``forward`` takes ``edge_weight``
WEIGHTED = {"GCNConv", "GraphConv"}
#: the attribute that holds a layer's output width
OUT_WIDTH = "out_channels"


def layer(kind: str, c_in, c_out=None, *, heads: int = 1, dropout: float = 0.0) -> nn.Module:
    """PyG's layer ``kind`` from ``c_in`` to ``c_out`` channels (per head for ``GATConv``, with attention ``dropout``)."""
    c_out = c_in if c_out is None else c_out
    if kind == "SAGEConv":
        return gnn.SAGEConv(c_in, c_out)
    if kind == "GINConv":
        return gnn.GINConv(nn.Sequential(nn.Linear(c_in, c_out), nn.ReLU(), nn.Linear(c_out, c_out)))
    if kind == "GATConv":
        return gnn.GATConv(c_in, c_out, heads=heads, dropout=dropout)
    return getattr(gnn, kind)(c_in, c_out)  # GraphConv, GCNConv


class MeanOfNeighbours(MessagePassing):
    """A user's layer: :math:`z_i \\mapsto s\\, W \\mathrm{mean}_j (w_{ji} z_j) + b`."""

    def __init__(self, channels: int, scale: float = 1.0):
        super().__init__(aggr="mean")
        self.in_channels = self.out_channels = channels
        self.scale = scale
        self.lin = nn.Linear(channels, channels)

    def forward(self, x, edge_index, edge_weight=None):
        return self.scale * self.lin(self.propagate(edge_index, x=x, edge_weight=edge_weight))

    def message(self, x_j, edge_weight):
        return x_j if edge_weight is None else edge_weight.view(-1, 1) * x_j
