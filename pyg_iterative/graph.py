"""The graph arguments PyG users pass, checked and turned into the operator's call.

Accepted for ``edge_index``: a ``[2, E]`` index tensor (messages flow ``edge_index[0] -> edge_index[1]``),
a :class:`torch_geometric.EdgeIndex`, a square torch sparse adjacency in COO, CSR or CSC layout and a
``torch_sparse.SparseTensor``. Sparse matrices follow PyG's ``adj_t`` convention (rows are the
destinations, ``adj_t[i, j]`` for the edge ``j -> i``) and carry the edge weights as their values.
"""
from __future__ import annotations

from typing import Optional

from torch import Tensor
from torch_geometric.typing import SparseTensor
from torch_geometric.utils import is_torch_sparse_tensor, to_edge_index

from iterative_core import GCNOperatorBase
from iterative_core.validation import check_batch_edges, check_edge_weight, check_edges, check_same_device
from iterative_core.wrapping import OperatorLayerBase, square_error

__all__ = ["SQUARE_HINT", "is_sparse", "edge_list", "check_graph", "call"]

SQUARE_HINT = ("Build it with in_channels == out_channels (attention layers: out_channels * heads == in_channels, "
               "heads concatenated, e.g. GATConv(C, C // heads, heads=heads)).")
_HOW = ("Iterate on a node-induced subgraph instead: torch_geometric.utils.subgraph or k_hop_subgraph, or the "
        "subgraphs NeighborLoader / ClusterLoader yield, whose edge_index indexes one node set.")


def is_sparse(edge_index) -> bool:
    """Whether ``edge_index`` is a sparse adjacency (torch sparse or ``SparseTensor``)."""
    return isinstance(edge_index, SparseTensor) or (isinstance(edge_index, Tensor) and is_torch_sparse_tensor(edge_index))


def _sparse_size(adj) -> tuple[int, int]:
    return tuple(adj.sizes()) if isinstance(adj, SparseTensor) else tuple(adj.shape[:2])


def edge_list(edge_index, edge_weight: Optional[Tensor] = None) -> tuple[Tensor, Tensor, Optional[Tensor]]:
    """``(src, dst, weight)`` of any accepted graph argument (a sparse matrix's values are its weights)."""
    if is_sparse(edge_index):
        ei, value = to_edge_index(edge_index)  # [row, col] of adj_t: row = destination
        return ei[1], ei[0], value
    if hasattr(edge_index, "as_tensor"):  # EdgeIndex
        edge_index = edge_index.as_tensor()
    return edge_index[0], edge_index[1], edge_weight


def check_graph(layer: OperatorLayerBase, x: Tensor, edge_index, edge_weight: Optional[Tensor],
                batch: Optional[Tensor], num_graphs: Optional[int]):
    """Check that ``edge_index`` is a square graph on ``x``'s nodes; return ``(edge_weight, batch, num_graphs)``."""
    where = type(layer).__name__
    n = x.size(0)
    op = layer.operator
    nonneg = isinstance(op, GCNOperatorBase) and op.normalize
    if is_sparse(edge_index):
        size = _sparse_size(edge_index)
        if size[0] != size[1] or size[0] != n:
            raise ValueError(square_error(
                where, f"got a {size[0]} x {size[1]} sparse adjacency for {n} nodes", _HOW))
        if edge_weight is not None:
            raise ValueError(f"{where}: a sparse adjacency carries the edge weights as its values; "
                             "do not pass edge_weight as well")
        if layer.validate and (nonneg or batch is not None):
            ei, value = to_edge_index(edge_index)
            if nonneg:
                check_edge_weight(value, value.numel(), where, normalize=True, device=x.device, validate=True)
            check_batch_edges(batch, ei[1], ei[0], where)
        return None, batch, num_graphs
    if not isinstance(edge_index, Tensor):
        raise TypeError(f"{where}: edge_index must be a [2, num_edges] tensor, a torch_geometric.EdgeIndex, a "
                        f"torch sparse adjacency or a torch_sparse.SparseTensor, got {type(edge_index).__name__}")
    if edge_index.dim() != 2 or edge_index.size(0) != 2:
        raise ValueError(f"{where}: edge_index must have shape [2, num_edges], got {tuple(edge_index.shape)}")
    check_same_device(x, edge_index, where, "edge_index")
    if hasattr(edge_index, "sparse_size"):  # EdgeIndex
        rows, cols = edge_index.sparse_size()
        if rows is not None and cols is not None and rows != cols:
            raise ValueError(square_error(where, f"got an EdgeIndex of sparse size ({rows}, {cols})", _HOW))
    src, dst, _ = edge_list(edge_index)
    check_edges(src, dst, n, where, validate=layer.validate)
    edge_weight = check_edge_weight(edge_weight, src.numel(), where, normalize=nonneg, device=x.device,
                                    validate=layer.validate)
    if layer.validate:
        check_batch_edges(batch, src, dst, where)
    return edge_weight, batch, num_graphs


def call(op, z: Tensor, edge_index, **kwargs) -> Tensor:
    """A PyG convolution's calling order."""
    return op(z, edge_index, **kwargs)
