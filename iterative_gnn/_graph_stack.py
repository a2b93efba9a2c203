"""The body both backends' stacked graph-level baselines share (each writes ``forward`` in its
ecosystem's argument order)."""
from __future__ import annotations

from torch import nn

from iterative_core.models import POOLS


class GraphStackBase(nn.Module):
    """``depth`` message-passing layers (ReLU and dropout after each), a pooling readout per graph and a
    linear decoder: the stacked counterpart of ``GraphPIGN`` for graph-level tasks. Subclasses build
    one layer in :meth:`layer`."""

    def __init__(self, in_channels: int, hidden: int, out_channels: int, depth: int, dropout: float = 0.0,
                 pool: str = "sum"):
        super().__init__()
        if pool not in POOLS:
            raise ValueError(f"unknown pooling {pool!r}; valid: {', '.join(POOLS)}")
        self.convs = nn.ModuleList(self.layer(a, hidden) for a in [in_channels] + [hidden] * (depth - 1))
        self.decoder = nn.Linear(hidden, out_channels)
        self.dropout, self.pool = dropout, pool

    def layer(self, in_channels: int, out_channels: int) -> nn.Module:
        raise NotImplementedError
