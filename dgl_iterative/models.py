"""The PIGN models for DGL: node-level and graph-level."""
from __future__ import annotations

from typing import Optional, Union

import dgl
import torch
from torch import Tensor

from iterative_core._compile import is_compiling
from iterative_core.checks import got
from iterative_core.models import GraphPIGNBase, PIGNBase

from .adapter import batch_vector, check_feat_rows, check_square_graph, weights_by_name
from .pign_conv import PIGNConv


@torch.compiler.disable  # (DGL's C functions cannot be traced: torch.compile failed inside DGL's graph object)
def _graph_batch(where: str, graph, feat) -> tuple[Optional[Tensor], Optional[int]]:
    """``graph``'s batch vector and graph count, after the checks a model of graphs makes first."""
    if not isinstance(graph, dgl.DGLGraph):  # (before reading its batch: a tensor has no batch_size)
        raise TypeError(f"{where}: graph must be a DGLGraph (a dgl.batch of graphs: DGL's order, "
                        f"model(graph, feat, edge_weight=None, return_info=False)), got {got(graph)}")
    check_square_graph(where, graph)  # (a block's row counts would be the first complaint)
    if isinstance(feat, Tensor) and feat.dim():  # (before the batch's check, which would name the batch)
        check_feat_rows(where, feat, graph)
    return batch_vector(graph, where)  # the layer reads the same vector (built once)


def _edge_weight(edge_weight, eweight, where: str):
    """The edge weights given under either name (not both); ``where``: the model's name."""
    if eweight is None:
        return edge_weight
    if edge_weight is not None:
        raise TypeError(f"{where}: edge weights were given twice, as edge_weight and as eweight (the name DGL's "
                        "explainers use): pass one")
    return eweight


def _weights(graph, edge_weight, takes_batch: bool) -> dict:
    """The model's check of its edge weights (:meth:`~iterative_core.models.PIGNBase.check_arguments`):
    the weights (those an edge feature's name holds, shown by that name and not taken for a batch
    vector), the edge count (None where the graph is not a ``DGLGraph``), and ``takes_batch``."""
    if not isinstance(graph, dgl.DGLGraph) or is_compiling() or not graph.is_homogeneous:
        return dict(edge_weight=edge_weight, num_edges=None, takes_batch=takes_batch)
    if isinstance(edge_weight, str):
        return dict(edge_weight=graph.edata.get(edge_weight), num_edges=graph.num_edges(), takes_batch=False,
                    shown=weights_by_name(edge_weight))
    return dict(edge_weight=edge_weight, num_edges=graph.num_edges(), takes_batch=takes_batch)


class PIGN(PIGNBase):
    r"""The Picard Iterative GNN of Zappala et al. (2023) for DGL: input dropout, a linear encoder,
    dropout, one :class:`PIGNConv` iterated ``num_iterations`` times, dropout and a linear decoder. Arguments
    as in :class:`pyg_iterative.PIGN`; parameters have the same names in both backends."""

    conv_class = PIGNConv

    def forward(self, graph, feat: Tensor, edge_weight: Union[Tensor, str, None] = None,
                batch: Optional[Tensor] = None, return_info: bool = False, *, num_graphs: Optional[int] = None,
                eweight: Optional[Tensor] = None, embed: bool = False):
        """The node-level predictions, :math:`(N, F_{out})`; with ``return_info=True`` also the
        iteration's :class:`~iterative_core.FixedPointInfo`.

        Parameters
        ----------
        graph : DGLGraph
            A homogeneous graph, or a ``dgl.batch`` of graphs (each converges, and with a ``tol`` stops,
            on its own).
        feat : Tensor
            Node features, :math:`(N, F_{in})`.
        edge_weight : Tensor or str, optional
            Edge weights, :math:`(E,)`, or the name of an edge feature that holds them.
        batch : Tensor, optional
            Graph ids, :math:`(N,)`, overriding the batched graph's.
        return_info : bool
            Also return the :class:`~iterative_core.FixedPointInfo`.
        num_graphs : int, optional
            How many graphs ``batch`` counts (saves one device synchronisation).
        eweight : Tensor, optional
            The edge weights under the name DGL's explainers give them (``GNNExplainer`` calls
            ``model(graph, feat, eweight=mask)``).
        embed : bool
            Return the node embeddings, the iteration's answer :math:`(N, F_{hidden})`, instead of the
            predictions (``PGExplainer`` calls ``model(graph, feat, embed=True)``).
        """
        edge_weight = _edge_weight(edge_weight, eweight, type(self).__name__)
        self.check_order(feat, graph)
        self.check_arguments("graph, feat, edge_weight, batch, return_info, *, num_graphs, eweight, embed",
                             **_weights(graph, edge_weight, takes_batch=True),
                             batch=("a tensor of graph ids or None", batch), return_info=return_info)
        if isinstance(graph, dgl.DGLGraph) and not is_compiling():  # (named as the model's, before the encoder runs)
            check_square_graph(type(self).__name__, graph)
        h = self.encode(feat)
        z, info = self.iterate(feat, graph, h, edge_weight, batch=batch, num_graphs=num_graphs, return_info=True)
        return self.decode(z, info, return_info, embed)


class GraphPIGN(GraphPIGNBase):
    r"""PIGN for graph-level tasks on a ``dgl.batch`` of graphs: a linear encoder, one
    :class:`PIGNConv` iterated with every graph converging (and, with a ``tol``, stopping) on its own,
    a pooling readout per graph (``pool="mean"``, ``"sum"`` or ``"max"``) and a linear decoder.
    Arguments and parameter names as in :class:`pyg_iterative.GraphPIGN`.

    Shapes
    ------
    - **graph**: a ``DGLGraph``, usually from ``dgl.batch`` (:math:`B` graphs, :math:`N` nodes in all).
    - **feat**: :math:`(N, F_{in})`; **edge_weight**: :math:`(E,)` or an edge feature name.
    - **output**: :math:`(B, F_{out})`, one row per graph.
    """

    conv_class = PIGNConv

    def forward(self, graph, feat: Tensor, edge_weight: Union[Tensor, str, None] = None, return_info: bool = False,
                *, eweight: Optional[Tensor] = None, embed: bool = False):
        """One row per graph, :math:`(B, F_{out})`; with ``return_info=True`` also the iteration's
        :class:`~iterative_core.FixedPointInfo`.

        Parameters
        ----------
        graph : DGLGraph
            A ``dgl.batch`` of graphs (or one graph); the batch is read from it.
        feat : Tensor
            Node features, :math:`(N, F_{in})`.
        edge_weight : Tensor or str, optional
            Edge weights, :math:`(E,)`, or the name of an edge feature that holds them.
        return_info : bool
            Also return the :class:`~iterative_core.FixedPointInfo`.
        eweight : Tensor, optional
            The edge weights under the name DGL's explainers give them (``GNNExplainer`` calls
            ``model(graph, feat, eweight=mask)``).
        embed : bool
            Return the node embeddings, the iteration's answer :math:`(N, F_{hidden})`, before the pooling
            (``PGExplainer`` calls ``model(graph, feat, embed=True)``).
        """
        edge_weight = _edge_weight(edge_weight, eweight, type(self).__name__)
        self.check_arguments("graph, feat, edge_weight, return_info, *, eweight, embed",
                             **_weights(graph, edge_weight, takes_batch=False), return_info=return_info)
        batch, num_graphs = _graph_batch(type(self).__name__, graph, feat)
        h = self.encode(feat)
        z, info = self.iterate(feat, graph, h, edge_weight, batch=batch, num_graphs=num_graphs, return_info=True)
        return self.readout(z, batch, num_graphs if batch is not None else 1, info, return_info, embed)
