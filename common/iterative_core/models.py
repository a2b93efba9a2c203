"""The PIGN model's backend-agnostic body: encoder, the iterated convolution, decoder."""
from __future__ import annotations

from typing import Optional

import torch.nn.functional as F
from torch import Tensor, nn

from .info import FixedPointInfo


class PIGNBase(nn.Module):
    """Encoder :math:`\\to` dropout :math:`\\to` iterated convolution :math:`\\to` decoder (the paper's
    iterative GCN). Adapters set ``conv_class`` and write ``forward`` in their ecosystem's order."""

    conv_class: type = None  # set by the adapter

    def __init__(self, in_channels: int, hidden_channels: int, out_channels: int, num_iterations: int = 8,
                 *, dropout: float = 0.5, input_dropout: float = 0.0, conv_dropout: Optional[float] = None,
                 **conv_kwargs) -> None:
        super().__init__()
        self.in_channels, self.hidden_channels, self.out_channels = in_channels, hidden_channels, out_channels
        self.dropout = float(dropout)
        self.input_dropout = float(input_dropout)
        self.encoder = nn.Linear(in_channels, hidden_channels)
        self.conv = self.conv_class(hidden_channels, num_iterations,
                                    dropout=dropout if conv_dropout is None else conv_dropout, **conv_kwargs)
        self.decoder = nn.Linear(hidden_channels, out_channels)

    def reset_parameters(self) -> None:
        self.encoder.reset_parameters()
        self.conv.reset_parameters()
        self.decoder.reset_parameters()

    def encode(self, x: Tensor) -> Tensor:
        x = F.dropout(x, self.input_dropout, self.training)
        x = F.relu(self.encoder(x))
        return F.dropout(x, self.dropout, self.training)

    def decode(self, z: Tensor, info: FixedPointInfo, return_info: bool):
        out = self.decoder(z)
        return (out, info) if return_info else out

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({self.in_channels}, {self.hidden_channels}, {self.out_channels}, "
                f"{self.conv.iteration_repr()})")
