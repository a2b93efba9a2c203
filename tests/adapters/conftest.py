"""The ``backend`` fixture: behaviour both adapters share is tested once, over PyG and DGL.

Each backend is a small object that builds the adapter's layers and calls them on a graph given as
an edge index, so that one test body holds both to the same behaviour. A backend whose library is
not installed is skipped (DGL runs in the DGL environment).
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from types import ModuleType
from typing import Optional

import pytest
import torch
from torch import Tensor


@dataclass
class Backend:
    name: str
    module: ModuleType  # pyg_iterative or dgl_iterative

    def __getattr__(self, name: str):
        """The adapter's own names: ``backend.PIGNConv``, ``IterativeConv``, ``PIGN``, ``GraphPIGN``,
        ``register_operator``, ``available_operators`` ..."""
        if name.startswith("__") or name == "module":  # not set yet (copying, unpickling)
            raise AttributeError(name)
        return getattr(self.module, name)

    @property
    def layers(self) -> ModuleType:
        """The backend's own layers and a user-written one, built alike for both backends
        (``tests.adapters.layers_pyg`` or ``tests.adapters.layers_dgl``)."""
        return importlib.import_module(f"tests.adapters.layers_{self.name}")

    @property
    def zero_in_degree_ok(self) -> dict:
        """The options under which the GCN operator accepts nodes without in-edges and without
        self-loops (DGL refuses them by default, as its ``GraphConv`` does)."""
        return {"allow_zero_in_degree": True} if self.name == "dgl" else {}

    def graph(self, edge_index: Tensor, num_nodes: int, batch_sizes: Optional[list[int]] = None):
        """The backend's graph object for ``edge_index`` (a ``dgl.batch`` of graphs of ``batch_sizes``
        nodes for DGL, the edge index itself for PyG)."""
        if self.name == "pyg":
            return edge_index
        import dgl

        g = dgl.graph((edge_index[0], edge_index[1]), num_nodes=num_nodes)
        if batch_sizes is not None:
            counts = torch.zeros(len(batch_sizes), dtype=torch.long)
            ids = torch.repeat_interleave(torch.arange(len(batch_sizes)), torch.tensor(batch_sizes))
            counts.index_add_(0, ids[edge_index[1]], torch.ones(edge_index.size(1), dtype=torch.long))
            g.set_batch_num_nodes(torch.tensor(batch_sizes))
            g.set_batch_num_edges(counts)
        return g

    def run(self, module, x: Tensor, graph, *args, **kwargs):
        """``module`` on node features and a graph of the backend's own kind, in the backend's order
        (PyG ``module(x, graph, ...)``, DGL ``module(graph, x, ...)``)."""
        if self.name == "pyg":
            return module(x, graph, *args, **kwargs)
        return module(graph, x, *args, **kwargs)

    def call(self, conv, x: Tensor, edge_index: Tensor, edge_weight: Optional[Tensor] = None, *,
             batch: Optional[Tensor] = None, batch_sizes: Optional[list[int]] = None, **kwargs):
        """``conv`` on the graph; ``batch_sizes`` (graphs stored one after another) gives PyG its batch
        vector and DGL a batched graph; ``batch`` is passed as given."""
        g = self.graph(edge_index, x.size(0), batch_sizes)
        if batch_sizes is not None and batch is None and self.name == "pyg":
            batch = torch.repeat_interleave(torch.arange(len(batch_sizes)), torch.tensor(batch_sizes))
        if batch is not None:
            kwargs["batch"] = batch
        return self.run(conv, x, g, edge_weight, **kwargs)

    def step(self, op, x: Tensor, edge_index: Tensor, edge_weight: Optional[Tensor] = None):
        """The map ``z -> op(z, graph)`` an iterative layer iterates for the operator ``op``: its ``bind``
        when it has one, else the layer called in the backend's order (edge weights as a keyword)."""
        g = self.graph(edge_index, x.size(0))
        if hasattr(op, "bind"):
            return op.bind(x, g, edge_weight)
        kw = {} if edge_weight is None else {"edge_weight": edge_weight}
        return lambda z: self.run(op, z, g, **kw)


def _backend(name: str) -> Backend:
    if name == "dgl":
        pytest.importorskip("dgl")
    else:
        pytest.importorskip("torch_geometric")
    return Backend(name, importlib.import_module(f"{name}_iterative"))


@pytest.fixture(params=["pyg", "dgl"])
def backend(request) -> Backend:
    return _backend(request.param)
