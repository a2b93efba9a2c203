"""Baselines from PyG's own layers (imported only with ``--backend pyg``)."""
from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn
from torch_geometric.nn import APPNP, GCN2Conv, GCNConv, GINConv

from iterative_core.models import global_pool
from ._graph_stack import GraphStackBase

from .sparse_input import accept_sparse_input, sparse_aware


def _drop_input(x: Tensor, p: float, training: bool) -> Tensor:
    """Dropout on the input features; a sparse input had it applied by the training loop
    (:func:`iterative_gnn.sparse_input.accept_sparse_input`)."""
    return F.dropout(x, p, training) if x.layout == torch.strided else x


class StackedGCN(nn.Module):
    """``depth`` stacked ``GCNConv`` layers (Kipf and Welling): dropout before each, ReLU between."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int, dropout: float = 0.5):
        super().__init__()
        dims = [in_channels] + [hidden] * (depth - 1) + [out_channels]
        self.convs = nn.ModuleList(GCNConv(a, b, cached=True) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout

    def enable_sparse_input(self) -> "StackedGCN":
        """Take sparse features: the first layer's linear map as a sparse product."""
        sparse_aware(self.convs[0].lin)
        self.sparse_input, self.sparse_input_dropout = True, self.dropout
        return self

    def forward(self, x: Tensor, edge_index: Tensor, return_info: bool = False):
        for i, conv in enumerate(self.convs):
            x = conv((_drop_input if i == 0 else F.dropout)(x, self.dropout, self.training), edge_index)
            if i < len(self.convs) - 1:
                x = F.relu(x)
        return (x, None) if return_info else x


class APPNPNet(nn.Module):
    """A 2-layer MLP followed by ``APPNP`` propagation with ``depth`` steps (Gasteiger et al.)."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int, dropout: float = 0.5,
                 alpha: float = 0.1):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(in_channels, hidden), nn.Linear(hidden, out_channels)
        self.prop = APPNP(K=depth, alpha=alpha, cached=True)
        self.dropout = dropout

    def enable_sparse_input(self) -> "APPNPNet":
        return accept_sparse_input(self, "lin1", self.dropout)

    def forward(self, x: Tensor, edge_index: Tensor, return_info: bool = False):
        x = F.relu(self.lin1(_drop_input(x, self.dropout, self.training)))
        x = self.lin2(F.dropout(x, self.dropout, self.training))
        x = self.prop(x, edge_index)
        return (x, None) if return_info else x


class GCN2Net(nn.Module):
    """``depth`` ``GCN2Conv`` layers between two linear maps (GCNII, Chen et al.; as PyG's example)."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int, dropout: float = 0.5,
                 alpha: float = 0.1, theta: float = 0.5):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(in_channels, hidden), nn.Linear(hidden, out_channels)
        self.convs = nn.ModuleList(GCN2Conv(hidden, alpha, theta, layer=i + 1, cached=True) for i in range(depth))
        self.dropout = dropout

    def enable_sparse_input(self) -> "GCN2Net":
        return accept_sparse_input(self, "lin1", self.dropout)

    def forward(self, x: Tensor, edge_index: Tensor, return_info: bool = False):
        x = x0 = F.relu(self.lin1(_drop_input(x, self.dropout, self.training)))
        for conv in self.convs:
            x = F.relu(conv(F.dropout(x, self.dropout, self.training), x0, edge_index))
        x = self.lin2(F.dropout(x, self.dropout, self.training))
        return (x, None) if return_info else x


class _GraphStack(GraphStackBase):
    """:class:`GraphStackBase` on an ``edge_index`` and a ``batch`` vector."""

    def forward(self, x: Tensor, edge_index: Tensor, batch: Tensor | None = None, num_graphs: int | None = None,
                return_info: bool = False):
        for conv in self.convs:
            x = F.dropout(F.relu(conv(x, edge_index)), self.dropout, self.training)
        out = self.decoder(global_pool(x, batch, num_graphs, self.pool))
        return (out, None) if return_info else out


class GraphGIN(_GraphStack):
    """Stacked ``GINConv`` layers (Xu et al.; each with a 2-layer MLP with batch normalisation, sum
    aggregation, eps = 0), a pooling readout and a linear decoder."""

    def layer(self, in_channels: int, out_channels: int) -> nn.Module:
        return GINConv(nn.Sequential(nn.Linear(in_channels, out_channels), nn.BatchNorm1d(out_channels), nn.ReLU(),
                                     nn.Linear(out_channels, out_channels)))


class GraphGCN(_GraphStack):
    """Stacked ``GCNConv`` layers (symmetric normalisation with self-loops), a pooling readout and a
    linear decoder. Not cached: every mini-batch is another graph."""

    def layer(self, in_channels: int, out_channels: int) -> nn.Module:
        return GCNConv(in_channels, out_channels)
