"""IterativeConv for PyTorch Geometric: any square convolution iterated to its fixed point."""
from __future__ import annotations

from typing import Optional

from torch import nn

from torch_geometric.nn.conv import MessagePassing

from iterative_core.wrapping import OperatorLayerBase

from .adapter import PyGLayer, SquareWidths


class IterativeConv(PyGLayer, SquareWidths, OperatorLayerBase, MessagePassing):
    r"""Any square graph convolution made iterative: one weight-shared layer applied until its
    output stops changing (`"Operator Learning Meets Numerical Analysis"
    <https://arxiv.org/abs/2310.01618>`_, Zappala et al., 2023),

    .. math::
        \mathbf{Z}^{(k+1)} = s_k \mathbf{Z}^{(k)} + (1 - s_k)\, \sigma\left(
        \mathrm{conv}(\mathbf{Z}^{(k)}, \mathcal{G})\right), \qquad \mathbf{Z}^{(0)} = \mathbf{X},

    with smoothing factors :math:`s_k` (Krasnoselskii-Mann; :math:`s_k = 0` is Picard's iteration)
    and the solvers, stopping rules and gradient modes of :class:`PIGNConv`. Any PyG layer whose
    output width equals its input width works: ``GCNConv(C, C)``, ``GraphConv(C, C)``,
    ``SAGEConv(C, C)``, ``GINConv(mlp)`` with a square MLP, ``GATConv(C, C // H, heads=H)`` (heads
    concatenated), or your own ``MessagePassing``. A layer whose widths differ is refused: its output
    could not be fed back in.

    .. code-block:: python

        from torch_geometric.nn import GATConv
        from pyg_iterative import IterativeConv

        conv = IterativeConv(GATConv(64, 16, heads=4), num_iterations=10, smoothing=0.5, tol=1e-4,
                             inject_input=True)
        out, info = conv(x, edge_index, return_info=True)

    A ``MessagePassing`` module, so that PyG's tools take it as one: ``to_hetero`` and ``HeteroConv``
    give each relation its own copy, and an ``Explainer`` masks the messages of its operator (its own
    ``propagate`` is never called: the iteration runs the operator's).

    Its parameters are the layer's, under ``operator.`` (``IterativeConv(SAGEConv(C, C))`` has the
    state dict of ``PIGNConv(C, conv="sage")``). PyG's and DGL's own layers name (and sometimes lay
    out) their parameters differently: for the registered operators ``"gcn"`` (same names),
    ``"sage"``, ``"gin"`` and ``"gat"``, :func:`~iterative_core.operators.convert_state_dict` renames a
    state dict from one backend to the other and the outputs agree; ``GCNConv`` against DGL's
    ``GraphConv`` stores the weight transposed and normalises edge weights differently, so use
    ``PIGNConv(conv="gcn")`` for weights that move between backends.

    The layer is called with the graph exactly as given at every iteration, so a convolution that
    normalises its graph on every call (``GCNConv`` without ``cached``) does so at every iteration;
    :class:`PIGNConv` (``conv="gcn"``) builds its propagation matrix once per forward pass.

    Args:
        conv (torch.nn.Module): The convolution, called as ``conv(z, edge_index)`` (and
            ``edge_weight=w`` when weights are given).
        num_iterations (int, optional): Iterations in training. (default: :obj:`8`)
        smoothing (float or list, optional): Smoothing factor(s) :math:`s_k` in :math:`[0, 1)`.
            (default: :obj:`0.5`)
        tol (float, optional): Stop early once the relative residual is below it. (default: :obj:`None`)
        act (str or callable, optional): The activation :math:`\sigma`. (default: :obj:`"relu"`)
        dropout (float, optional): Dropout inside the iteration. (default: :obj:`0.0`)
        channels (int, optional): The width, when it cannot be read from :obj:`conv`.
        **kwargs (optional): The iteration's options, as in :class:`PIGNConv` (``eval_iterations``,
            ``eval_smoothing``, ``inject_input``, ``solver``, ``solver_options``, ``grad``, ``stop``,
            ...). ``contraction`` only for an operator that can bound its norm (``GCNOperator(C)``, or
            your own with ``supports_contraction = True`` and a ``bind`` that takes
            ``lipschitz_budget``): a general layer cannot.

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F)`; the graph as edge indices
          :math:`(2, |\mathcal{E}|)`, a :class:`torch_geometric.EdgeIndex`, a torch sparse adjacency
          :math:`(|\mathcal{V}|, |\mathcal{V}|)` (COO, CSR or CSC; ``adj_t`` convention) or a
          ``torch_sparse.SparseTensor``; edge weights :math:`(|\mathcal{E}|)` *(optional)*; batch
          vector :math:`(|\mathcal{V}|)` *(optional: each graph of a mini-batch converges on its own)*
        - **output:** node features :math:`(|\mathcal{V}|, F)`, and a
          :class:`~iterative_core.FixedPointInfo` when ``return_info=True``
    """

    def __init__(self, conv: nn.Module, num_iterations: int = 8, smoothing=0.5, tol: Optional[float] = None,
                 act="relu", dropout: float = 0.0, *, channels: Optional[int] = None, **kwargs) -> None:
        super().__init__(conv, channels, num_iterations, smoothing, tol, act, dropout, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.operator}, {self._iteration_repr()})"
