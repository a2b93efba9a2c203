"""The graphs DGL users pass, checked and turned into the operator's call.

Accepted: a homogeneous ``DGLGraph`` (also a ``dgl.batch`` of graphs, whose batch vector each graph's
convergence is measured on), with edge weights as a tensor or as the name of an edge feature.
Blocks (message-flow graphs) and bipartite graphs are refused: their output nodes are not their
input nodes, so the output cannot be fed back in.
"""
from __future__ import annotations

from typing import Optional, Union

import torch
from torch import Tensor

from iterative_core import GCNOperatorBase
from iterative_core.validation import check_batch_edges, check_edge_weight, check_same_device
from iterative_core.wrapping import OperatorLayerBase, square_error

__all__ = ["SQUARE_HINT", "resolve_edge_weight", "batch_vector", "check_graph", "call"]

SQUARE_HINT = ("Build it with in_feats == out_feats (attention layers: out_feats * num_heads == in_feats, "
               "heads concatenated, e.g. GATConv(C, C // num_heads, num_heads=num_heads)).")
_HOW = ("Iterate on a node-induced subgraph instead: dgl.node_subgraph, dgl.khop_in_subgraph, or the subgraphs "
        "dgl.dataloading.ClusterGCNSampler / ShaDowKHopSampler yield (not the blocks of NeighborSampler).")


def resolve_edge_weight(graph, edge_weight: Union[Tensor, str, None], where: str) -> Optional[Tensor]:
    """The edge weights as a tensor: ``edge_weight`` itself or ``graph.edata[edge_weight]``."""
    if isinstance(edge_weight, str):
        if edge_weight not in graph.edata:
            raise KeyError(f"{where}: edge_weight={edge_weight!r} is not an edge feature of the graph; "
                           f"edge features: {sorted(graph.edata.keys())}")
        return graph.edata[edge_weight]
    return edge_weight


def batch_vector(graph) -> tuple[Optional[Tensor], Optional[int]]:
    """``(batch, num_graphs)`` of a batched graph (from ``graph.batch_num_nodes()``), ``(None, None)``
    for a single graph."""
    num_graphs = graph.batch_size
    if num_graphs <= 1:
        return None, None
    counts = graph.batch_num_nodes()
    ids = torch.arange(num_graphs, device=counts.device)
    return torch.repeat_interleave(ids, counts, output_size=graph.num_nodes()), num_graphs


def check_graph(layer: OperatorLayerBase, feat: Tensor, graph, edge_weight, batch: Optional[Tensor],
                num_graphs: Optional[int]):
    """Check that ``graph`` is a square graph on ``feat``'s rows; return ``(edge_weight, batch, num_graphs)``
    with the batch vector of a batched graph unless one was given."""
    where = type(layer).__name__
    if not hasattr(graph, "num_src_nodes"):
        raise TypeError(f"{where}: expected a DGLGraph as the first argument, got {type(graph).__name__}")
    if graph.is_block or graph.num_src_nodes() != graph.num_dst_nodes():
        kind = "a block (message-flow graph)" if graph.is_block else "a bipartite graph"
        raise ValueError(square_error(
            where, f"got {kind} with {graph.num_src_nodes()} source and {graph.num_dst_nodes()} destination nodes",
            _HOW))
    if len(graph.ntypes) > 1 or len(graph.etypes) > 1:
        raise ValueError(
            f"{where}: got a heterograph with node types {graph.ntypes} and edge types {graph.etypes}; the "
            "iteration needs one node set and one edge set. Convert it with dgl.to_homogeneous(graph) (node "
            "features of one width), or iterate one relation, e.g. graph[etype] of a single node type")
    n = graph.num_nodes()
    if feat.size(0) != n:
        raise ValueError(f"{where}: feat has {feat.size(0)} rows but the graph has {n} nodes")
    check_same_device(feat, graph.edges()[0], where)
    op = layer.operator
    nonneg = isinstance(op, GCNOperatorBase) and op.normalize
    edge_weight = check_edge_weight(resolve_edge_weight(graph, edge_weight, where), graph.num_edges(), where,
                                    normalize=nonneg, device=feat.device, validate=layer.validate)
    if batch is None:
        batch, num_graphs = batch_vector(graph)  # consistent with the graph by construction
    elif layer.validate:
        check_batch_edges(batch, *graph.edges(), where)
    return edge_weight, batch, num_graphs


def call(op, z: Tensor, graph, **kwargs) -> Tensor:
    """A DGL convolution's calling order."""
    return op(graph, z, **kwargs)
