"""IterativeConv for DGL: any square convolution iterated to its fixed point."""
from __future__ import annotations

from typing import Optional

from torch import nn

from iterative_core.wrapping import OperatorLayerBase

from .adapter import DGLLayer


class IterativeConv(DGLLayer, OperatorLayerBase):
    r"""Any square DGL graph convolution made iterative: one weight-shared layer applied until its
    output stops changing (`Operator Learning Meets Numerical Analysis
    <https://arxiv.org/abs/2310.01618>`__, Zappala et al., 2023).

    .. math::
        h^{(k+1)} = s_k h^{(k)} + (1 - s_k)\, \sigma\big(\mathrm{conv}(\mathcal{G}, h^{(k)})\big),
        \qquad h^{(0)} = x,

    with the solvers, stopping rules and gradient modes of :class:`PIGNConv`. Any DGL layer whose
    output width equals its input width works: ``GraphConv(C, C)``, ``SAGEConv(C, C, "mean")``,
    ``GINConv(mlp, "sum")`` with a square MLP, ``GATConv(C, C // H, H)`` (its ``[N, H, C // H]``
    output is read with the heads concatenated), or your own module. A layer whose widths differ is
    refused: its output could not be fed back in. The layer's own rules hold (DGL's ``GraphConv``
    and ``GATConv`` refuse nodes without in-edges unless built with ``allow_zero_in_degree=True``:
    add self-loops with ``dgl.add_self_loop``).

    Its parameters are the layer's, under ``operator.``. Weights move from and to PyG for the
    registered operators (``PIGNConv(conv="gcn" | "sage" | "gin" | "gat")``) with
    :func:`~iterative_core.operators.convert_state_dict`; DGL's ``GraphConv`` against PyG's
    ``GCNConv`` stores the weight transposed and normalises edge weights differently.

    .. code-block:: python

        from dgl.nn import GATConv
        from dgl_iterative import IterativeConv

        conv = IterativeConv(GATConv(64, 16, num_heads=4), num_iterations=10, tol=1e-4, inject_input=True)
        out, info = conv(dgl.add_self_loop(g), feat, return_info=True)

    Parameters
    ----------
    conv : torch.nn.Module
        The convolution, called as ``conv(graph, h)`` (and ``edge_weight=w`` when weights are given).
    num_iterations : int
        Iterations in training. Default: ``8``.
    smoothing : float, sequence or schedule
        The smoothing factors :math:`s_k` (``0`` is Picard's iteration). Default: ``0.5``.
    tol, dropout
        As in :class:`PIGNConv`.
    act : str or callable
        The activation :math:`\sigma` applied to each step. Default: ``"relu"``.
    channels : int, optional
        The width, when it cannot be read from ``conv``.
    **kwargs
        The iteration's options, as in :class:`PIGNConv`; ``contraction`` only for an operator that
        can bound its norm (``GCNOperator(C)``, or your own with ``supports_contraction = True`` and a
        ``bind`` that takes ``lipschitz_budget``): a general layer cannot.

    Shapes
    ------
    - **graph**: a homogeneous ``DGLGraph`` with :math:`N` nodes, or a ``dgl.batch`` of graphs (each
      converges, and with a ``tol`` stops, on its own). Blocks and bipartite graphs are refused.
    - **feat**: :math:`(N, F)`; **edge_weight**: :math:`(E,)` or the name of an edge feature.
    - **output**: :math:`(N, F)`, and a :class:`~iterative_core.FixedPointInfo` with ``return_info=True``.
    """

    def __init__(self, conv: nn.Module, num_iterations: int = 8, smoothing=0.5, tol: Optional[float] = None,
                 act="relu", dropout: float = 0.0, *, channels: Optional[int] = None, **kwargs) -> None:
        super().__init__(conv, channels, num_iterations, smoothing, tol, act, dropout, **kwargs)

    def extra_repr(self) -> str:
        return self._iteration_repr()
