"""A third adapter in one short file, written against the core's contract alone: graphs are dense
``[N, N]`` adjacency matrices (``adj[i, j]`` the weight of the edge ``j -> i``), layers are called as
``conv(z, adj)``. Nothing in the core knows of it."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from iterative_core import GCNOperatorBase, gcn_propagation, register_operator
from iterative_core.adapter import GraphAdapter, GraphView, WidthNames
from iterative_core.layer import scaled_add
from iterative_core.wrapping import OperatorLayerBase, RegistryLayerBase


class DenseAdapter(GraphAdapter):
    name = "dense"
    widths = WidthNames(inputs=("in_features",), outputs=("out_features",))

    def read_graph(self, layer, x: Tensor, adj: Tensor, edge_weight, batch, num_graphs) -> GraphView:
        n = x.size(0)
        if not isinstance(adj, Tensor) or adj.shape != (n, n):
            raise ValueError(f"{type(layer).__name__}: the graph must be an [{n}, {n}] adjacency matrix")
        if edge_weight is not None:
            raise ValueError(f"{type(layer).__name__}: the adjacency's entries are the edge weights")
        dst, src = adj.nonzero(as_tuple=True)
        return GraphView(n, src.numel(), edges=lambda: (src, dst), weights=lambda: adj[dst, src], batch=batch,
                         num_graphs=num_graphs, index_check=False)

    def call(self, conv, z: Tensor, adj: Tensor, **kwargs) -> Tensor:
        return conv(z, adj, **kwargs)


class DenseGCNOperator(GCNOperatorBase):
    def build_propagation(self, adj: Tensor, edge_weight: Optional[Tensor], num_nodes: int, dtype: torch.dtype):
        dst, src = adj.nonzero(as_tuple=True)
        prop = gcn_propagation(src, dst, num_nodes, adj[dst, src], add_self_loops=self.add_self_loops,
                               normalize=self.normalize, dtype=dtype)
        return prop, prop.dense()

    def propagator(self, adj: Tensor, prop, dense: Tensor):
        return lambda h, add, scale: scaled_add(dense @ h, add, scale)


register_operator("gcn", DenseGCNOperator, backend="dense", overwrite=True)


class PIGNConv(RegistryLayerBase):
    adapter = DenseAdapter

    def forward(self, x: Tensor, adj: Tensor, batch: Optional[Tensor] = None, return_info: bool = False):
        return self._run(x, adj, None, batch=batch, return_info=return_info)


class IterativeConv(OperatorLayerBase):
    adapter = DenseAdapter

    def forward(self, x: Tensor, adj: Tensor, batch: Optional[Tensor] = None, return_info: bool = False):
        return self._run(x, adj, None, batch=batch, return_info=return_info)
