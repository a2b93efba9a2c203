"""The PIGN model for PyTorch Geometric."""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from iterative_core.models import PIGNBase

from .pign_conv import PIGNConv


class PIGN(PIGNBase):
    r"""The Picard Iterative GNN of Zappala et al. (2023): a linear encoder, dropout, one
    :class:`PIGNConv` iterated ``num_iterations`` times, and a linear decoder.

    Args:
        in_channels (int): Input feature size.
        hidden_channels (int): Width of the iterated representation.
        out_channels (int): Output size (e.g. the number of classes).
        num_iterations (int, optional): Iterations of the convolution. (default: :obj:`8`)
        dropout (float, optional): Dropout after the encoder, and inside the iteration unless
            ``conv_dropout`` is given. (default: :obj:`0.5`)
        input_dropout (float, optional): Dropout on the input features. (default: :obj:`0.0`)
        **conv_kwargs (optional): Passed to :class:`PIGNConv`.
    """

    conv_class = PIGNConv

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None, return_info: bool = False):
        h = self.encode(x)
        z, info = self.conv(h, edge_index, edge_weight, batch=batch, return_info=True)
        return self.decode(z, info, return_info)
