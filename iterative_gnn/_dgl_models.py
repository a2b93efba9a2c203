"""Baselines from DGL's own layers (imported only with ``--backend dgl``).

DGL's ``GraphConv``, ``APPNPConv`` and ``GCN2Conv`` expect the self-loops of
:math:`\\hat A = D^{-1/2}(A + I)D^{-1/2}` in the graph: the models add them once per graph.
"""
from __future__ import annotations

import os

os.environ.setdefault("DGLBACKEND", "pytorch")

import dgl  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from dgl.nn import APPNPConv, GCN2Conv, GINConv, GraphConv  # noqa: E402
from torch import Tensor, nn  # noqa: E402

from iterative_core.models import global_pool  # noqa: E402
from ._graph_stack import GraphStackBase  # noqa: E402


class _SelfLoops(nn.Module):
    def __init__(self):
        super().__init__()
        self._key, self._graph = None, None

    def with_self_loops(self, g):
        """``g`` with one self-loop per node, made once per graph: the same graph object is passed every
        epoch in full-batch training. The key holds the object and its structure (DGL replaces a graph's
        index object at every ``add_edges``, ``remove_edges`` ...), so that an edit in place is seen."""
        index = getattr(g, "_graph", None)
        key = (g, index, g.num_nodes(), g.num_edges(), g.device)
        held = self._key
        if held is None or held[0] is not g or held[1] is not index or held[2:] != key[2:]:
            self._key, self._graph = key, dgl.add_self_loop(dgl.remove_self_loop(g))
        return self._graph


class StackedGCN(_SelfLoops):
    """``depth`` stacked ``GraphConv`` layers (Kipf and Welling): dropout before each, ReLU between."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int, dropout: float = 0.5):
        super().__init__()
        dims = [in_channels] + [hidden] * (depth - 1) + [out_channels]
        self.convs = nn.ModuleList(GraphConv(a, b) for a, b in zip(dims[:-1], dims[1:]))
        self.dropout = dropout

    def forward(self, graph, x: Tensor, return_info: bool = False):
        g = self.with_self_loops(graph)
        for i, conv in enumerate(self.convs):
            x = conv(g, F.dropout(x, self.dropout, self.training))
            if i < len(self.convs) - 1:
                x = F.relu(x)
        return (x, None) if return_info else x


class APPNPNet(_SelfLoops):
    """A 2-layer MLP followed by ``APPNPConv`` propagation with ``depth`` steps (Gasteiger et al.)."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int, dropout: float = 0.5,
                 alpha: float = 0.1):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(in_channels, hidden), nn.Linear(hidden, out_channels)
        self.prop = APPNPConv(k=depth, alpha=alpha)
        self.dropout = dropout

    def forward(self, graph, x: Tensor, return_info: bool = False):
        g = self.with_self_loops(graph)
        x = F.relu(self.lin1(F.dropout(x, self.dropout, self.training)))
        x = self.lin2(F.dropout(x, self.dropout, self.training))
        x = self.prop(g, x)
        return (x, None) if return_info else x


class GCN2Net(_SelfLoops):
    """``depth`` ``GCN2Conv`` layers between two linear maps (GCNII, Chen et al.)."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int, dropout: float = 0.5,
                 alpha: float = 0.1, theta: float = 0.5):
        super().__init__()
        self.lin1, self.lin2 = nn.Linear(in_channels, hidden), nn.Linear(hidden, out_channels)
        self.convs = nn.ModuleList(GCN2Conv(hidden, layer=i + 1, alpha=alpha, lambda_=theta) for i in range(depth))
        self.dropout = dropout

    def forward(self, graph, x: Tensor, return_info: bool = False):
        g = self.with_self_loops(graph)
        x = x0 = F.relu(self.lin1(F.dropout(x, self.dropout, self.training)))
        for conv in self.convs:
            x = F.relu(conv(g, F.dropout(x, self.dropout, self.training), x0))
        x = self.lin2(F.dropout(x, self.dropout, self.training))
        return (x, None) if return_info else x


class _GraphStack(GraphStackBase):
    """:class:`GraphStackBase` on a ``dgl.batch`` of graphs."""

    def prepare(self, graph):
        return graph

    def forward(self, graph, x: Tensor, return_info: bool = False):
        g = self.prepare(graph)
        for conv in self.convs:
            x = F.dropout(F.relu(conv(g, x)), self.dropout, self.training)
        num_graphs = graph.batch_size
        batch = (torch.repeat_interleave(torch.arange(num_graphs, device=x.device), graph.batch_num_nodes())
                 if num_graphs > 1 else None)
        out = self.decoder(global_pool(x, batch, num_graphs, self.pool))
        return (out, None) if return_info else out


class GraphGIN(_GraphStack):
    """Stacked ``GINConv`` layers (Xu et al.; each with a 2-layer MLP with batch normalisation, sum
    aggregation, eps = 0), a pooling readout and a linear decoder."""

    def layer(self, in_channels: int, out_channels: int) -> nn.Module:
        return GINConv(nn.Sequential(nn.Linear(in_channels, out_channels), nn.BatchNorm1d(out_channels), nn.ReLU(),
                                     nn.Linear(out_channels, out_channels)), "sum")


class GraphGCN(_GraphStack):
    """Stacked ``GraphConv`` layers (symmetric normalisation; the self-loops added once per batch), a
    pooling readout and a linear decoder."""

    def layer(self, in_channels: int, out_channels: int) -> nn.Module:
        return GraphConv(in_channels, out_channels)

    def prepare(self, graph):
        return dgl.add_self_loop(dgl.remove_self_loop(graph))
