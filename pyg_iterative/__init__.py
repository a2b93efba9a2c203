"""pyg_iterative: iterative (fixed-point) graph convolutions for PyTorch Geometric.

>>> from pyg_iterative import PIGNConv, IterativeConv
>>> conv = PIGNConv(64, num_iterations=8)                      # the GCN operator
>>> conv = PIGNConv(64, conv="gat", heads=4)                   # another registered operator
>>> conv = IterativeConv(SAGEConv(64, 64), num_iterations=8)   # any square PyG layer
>>> out = conv(x, edge_index)
"""
from functools import partial

from iterative_core import ConvergenceError, FixedPointInfo, SolveConfig, fixed_point
from iterative_core import available_operators as _available_operators
from iterative_core.operators import convert_state_dict, operator_registrar

from .adapter import PyGAdapter
from .gcn_operator import GCNOperator
from .iterative_conv import IterativeConv
from .models import PIGN, GraphPIGN
from .pign_conv import PIGNConv

register_operator = operator_registrar("pyg")
#: the names ``PIGNConv(conv=...)`` accepts
available_operators = partial(_available_operators, "pyg")

__all__ = [
    "PIGNConv", "IterativeConv", "PIGN", "GraphPIGN", "GCNOperator", "register_operator", "available_operators",
    "convert_state_dict", "FixedPointInfo", "ConvergenceError", "SolveConfig", "fixed_point", "PyGAdapter",
]
