"""dgl_iterative: iterative (fixed-point) graph convolutions for DGL.

>>> from dgl_iterative import PIGNConv
>>> conv = PIGNConv(64, num_iterations=8)
>>> out = conv(graph, feat)
"""
from iterative_core import ConvergenceError, FixedPointInfo, fixed_point

from .gcn_operator import GCNOperator
from .models import PIGN
from .pign_conv import PIGNConv

__all__ = ["PIGNConv", "PIGN", "GCNOperator", "FixedPointInfo", "ConvergenceError", "fixed_point"]
