"""The PIGN model for DGL."""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from iterative_core.models import PIGNBase

from .pign_conv import PIGNConv


class PIGN(PIGNBase):
    r"""The Picard Iterative GNN of Zappala et al. (2023) for DGL: a linear encoder, dropout, one
    :class:`PIGNConv` iterated ``num_iterations`` times, and a linear decoder. Arguments as in
    :class:`pyg_iterative.PIGN`; parameters have the same names in both backends."""

    conv_class = PIGNConv

    def forward(self, graph, feat: Tensor, edge_weight: Optional[Tensor] = None, batch: Optional[Tensor] = None,
                return_info: bool = False):
        h = self.encode(feat)
        z, info = self.conv(graph, h, edge_weight, batch=batch, return_info=True)
        return self.decode(z, info, return_info)
