"""pyg_iterative: iterative (fixed-point) graph convolutions for PyTorch Geometric.

>>> from pyg_iterative import PIGNConv
>>> conv = PIGNConv(64, num_iterations=8)
>>> out = conv(x, edge_index)
"""
from iterative_core import ConvergenceError, FixedPointInfo, fixed_point

from .gcn_operator import GCNOperator
from .models import PIGN
from .pign_conv import PIGNConv

__all__ = ["PIGNConv", "PIGN", "GCNOperator", "FixedPointInfo", "ConvergenceError", "fixed_point"]
