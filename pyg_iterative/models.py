"""The PIGN models for PyTorch Geometric: node-level and graph-level."""
from __future__ import annotations

from typing import Optional

import torch
from torch import Tensor

from iterative_core.models import GraphPIGNBase, PIGNBase

from .pign_conv import PIGNConv


def _num_edges(edge_index) -> Optional[int]:
    """The edge count of an edge index given as a ``[2, E]`` tensor (None for the other graph formats)."""
    if (isinstance(edge_index, Tensor) and edge_index.layout == torch.strided and edge_index.dim() == 2
            and edge_index.size(0) == 2):  # (another shape is refused as the graph's, by the convolution)
        return edge_index.size(1)
    return None


class PIGN(PIGNBase):
    r"""The Picard Iterative GNN of Zappala et al. (2023): dropout, a linear encoder, dropout, one
    :class:`PIGNConv` iterated ``num_iterations`` times, dropout and a linear decoder,

    .. math::
        \mathbf{H} = \mathrm{drop}\left(\mathrm{relu}\left(\mathrm{drop}(\mathbf{X})\,
        \mathbf{W}_{\mathrm{enc}} + \mathbf{b}_{\mathrm{enc}}\right)\right), \qquad
        \mathbf{Y} = \mathrm{drop}(\mathrm{PIGNConv}(\mathbf{H}))\, \mathbf{W}_{\mathrm{dec}}
        + \mathbf{b}_{\mathrm{dec}}.

    Args:
        in_channels (int): Input feature size, or :obj:`-1` to read it from the first input.
        hidden_channels (int): Width of the iterated representation.
        out_channels (int): Output size (e.g. the number of classes).
        num_iterations (int, optional): Iterations of the convolution. (default: :obj:`8`)
        dropout (float, optional): Dropout after the encoder; also the default of
            ``input_dropout`` and ``decoder_dropout``, and of ``conv_dropout`` with ``form="paper"``
            (the authors' model). (default: :obj:`0.5`)
        conv_dropout (float, optional): Dropout inside the iteration. (default: :obj:`dropout` with
            ``form="paper"``, else :obj:`0.0`)
        input_dropout (float, optional): Dropout on the input features, as APPNP and GCNII drop them.
            (default: :obj:`dropout`)
        decoder_dropout (float, optional): Dropout on the iterated representation, before the
            decoder, as GCNII drops before its output layer. (default: :obj:`dropout`)
        **conv_kwargs (optional): Passed to :class:`PIGNConv` (``conv="sage"`` picks another operator).

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, the graph as :class:`PIGNConv`
          takes it, batch vector :math:`(|\mathcal{V}|)` *(optional: with several graphs in one
          mini-batch, each converges and stops on its own)*, ``num_graphs`` *(optional, saves one
          device synchronisation)*
        - **output:** :math:`(|\mathcal{V}|, F_{out})`, one row per node
    """

    conv_class = PIGNConv

    def forward(self, x: Tensor, edge_index, edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None, return_info: bool = False, *, num_graphs: Optional[int] = None):
        """The node-level predictions; with ``return_info=True`` also the iteration's
        :class:`~iterative_core.FixedPointInfo` (``return_info`` fifth, as in DGL's ``PIGN``;
        ``num_graphs`` by keyword)."""
        self.check_order(x, edge_index)
        self.check_arguments("x, edge_index, edge_weight, batch, return_info, *, num_graphs", edge_weight,
                             _num_edges(edge_index), takes_batch=True, batch=("a tensor of graph ids or None", batch),
                             return_info=return_info)
        h = self.encode(x)
        z, info = self.iterate(x, h, edge_index, edge_weight, batch=batch, num_graphs=num_graphs, return_info=True)
        return self.decode(z, info, return_info)


class GraphPIGN(GraphPIGNBase):
    r"""PIGN for graph-level tasks (graph classification and regression): a linear encoder, one
    :class:`PIGNConv` iterated to its fixed point with every graph of the mini-batch converging (and,
    with a ``tol``, stopping) on its own, a pooling readout per graph and a linear decoder,

    .. math::
        \mathbf{y}_g = \mathrm{pool}_{i \in g}\left(\mathbf{z}^*_i\right) \mathbf{W}_{\mathrm{dec}}
        + \mathbf{b}_{\mathrm{dec}}, \qquad \mathbf{Z}^* = \mathrm{PIGNConv}(\mathrm{relu}(\mathbf{X}
        \mathbf{W}_{\mathrm{enc}} + \mathbf{b}_{\mathrm{enc}})).

    Args:
        in_channels (int): Input feature size, or :obj:`-1` to read it from the first input.
        hidden_channels (int): Width of the iterated representation.
        out_channels (int): Output size per graph.
        num_iterations (int, optional): Iterations of the convolution. (default: :obj:`8`)
        pool (str, optional): ``"mean"``, ``"sum"`` or ``"max"``. (default: :obj:`"mean"`)
        dropout (float, optional): Dropout after the encoder (and inside the iteration with
            ``form="paper"``). (default: :obj:`0.0`)
        conv_dropout (float, optional): Dropout inside the iteration. (default: :obj:`dropout` with
            ``form="paper"``, else :obj:`0.0`)
        input_dropout (float, optional): Dropout on the input features. (default: :obj:`0.0`)
        decoder_dropout (float, optional): Dropout on the pooled readout, before the decoder.
            (default: :obj:`0.0`)
        **conv_kwargs (optional): Passed to :class:`PIGNConv`.

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`, the graph as :class:`PIGNConv`
          takes it, batch vector :math:`(|\mathcal{V}|)` (optional; a PyG ``Batch`` has it as
          ``data.batch``), ``num_graphs`` (optional, saves one device synchronisation; pass
          ``data.num_graphs`` when the last graphs of a batch may have no nodes, which a batch vector
          cannot show: without it they get no row, as with PyG's pooling functions)
        - **output:** :math:`(B, F_{out})`, one row per graph
    """

    conv_class = PIGNConv

    def forward(self, x: Tensor, edge_index, edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None, num_graphs: Optional[int] = None, return_info: bool = False):
        """One row per graph; with ``return_info=True`` also the iteration's
        :class:`~iterative_core.FixedPointInfo` (``num_graphs`` fifth, ``return_info`` sixth: give
        them by keyword)."""
        self.check_order(x, edge_index)
        # (PIGN's order, whose fifth argument is return_info, or DGL's GraphPIGN's, whose fourth is)
        self.check_arguments("x, edge_index, edge_weight, batch, num_graphs, return_info", edge_weight,
                             _num_edges(edge_index), takes_batch=True, batch=("a tensor of graph ids or None", batch),
                             num_graphs=("an int or None", num_graphs), return_info=return_info)
        h = self.encode(x)
        z, info = self.iterate(x, h, edge_index, edge_weight, batch=batch, num_graphs=num_graphs, return_info=True)
        return self.readout(z, batch, num_graphs, info, return_info)
