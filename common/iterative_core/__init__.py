"""iterative_core: the backend-agnostic fixed-point engine behind ``pyg_iterative`` and ``dgl_iterative``.

Imports torch only. Solvers (:func:`fixed_point`, a registry), smoothing schedules, stopping rules,
gradient modes, convergence diagnostics (:class:`FixedPointInfo`) and the contraction theory. The
options of a solve are one checked, frozen object, :class:`SolveConfig` (:mod:`iterative_core.config`).
"""
import re as _re

import torch as _torch

#: the oldest torch release the library runs on: it calls ``load_state_dict(assign=...)`` and
#: ``torch.compiler``, which torch 2.1 added, and is tested from torch 2.2.1 on
MIN_TORCH = (2, 2)


def _check_torch(version: str) -> None:
    """ImportError naming the installed and the needed torch when ``version`` is older than
    :data:`MIN_TORCH` (a version string that does not start with digits passes)."""
    m = _re.match(r"(\d+)\.(\d+)", version)
    if m and tuple(int(p) for p in m.groups()) < MIN_TORCH:
        raise ImportError(f"iterative-gnn needs torch >= {'.'.join(map(str, MIN_TORCH))}; installed here: torch "
                          f"{version}. Upgrade it: pip install 'torch>={'.'.join(map(str, MIN_TORCH))}'")


_check_torch(_torch.__version__)

from . import schedules, theory  # noqa: E402
from .activations import resolve_activation
from .config import LayerOptions, SolveConfig, options_table
from .fixed_point import FIXED_POINT_KEYS, GRAD_MODES, STOP_RULES, fixed_point
from .info import ConvergenceError, ConvergenceWarning, FixedPointInfo
from .layer import ITERATION_KEYS, GCNOperatorBase, IterativeLayerBase
from .monitor import IterationMonitor
from .normalization import Propagation, gcn_propagation
from .operators import available_operators, convert_state_dict, get_operator, register_operator
from .schedules import linear, sigmoid, tanh, uniform
from .solvers import anderson, available_solvers, get_solver, picard, register_solver, solver_options
from .theory import (
    apriori_bound,
    apriori_iterations,
    aposteriori_bound,
    lipschitz_estimate,
    propagation_norm_bound,
    relaxed_contraction,
)

__version__ = "0.1.0"

__all__ = [
    "fixed_point", "SolveConfig", "LayerOptions", "options_table", "FixedPointInfo", "ConvergenceError", "ConvergenceWarning", "IterationMonitor",
    "register_solver", "get_solver", "available_solvers", "solver_options", "picard", "anderson",
    "uniform", "linear", "sigmoid", "tanh", "schedules", "theory",
    "register_operator", "get_operator", "available_operators", "convert_state_dict",
    "gcn_propagation", "Propagation", "IterativeLayerBase", "GCNOperatorBase", "resolve_activation",
    "lipschitz_estimate", "aposteriori_bound", "apriori_bound", "apriori_iterations", "relaxed_contraction",
    "propagation_norm_bound", "GRAD_MODES", "STOP_RULES", "FIXED_POINT_KEYS", "ITERATION_KEYS",
]
