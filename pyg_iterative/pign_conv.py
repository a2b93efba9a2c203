"""PIGNConv for PyTorch Geometric."""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from iterative_core import ITERATION_KEYS, IterativeLayerBase
from iterative_core._keys import check_keys
from iterative_core.validation import check_batch, check_edge_weight, check_edges, check_features, check_same_device

from .gcn_operator import GCNOperator

_OWN_KEYS = ("add_self_loops", "normalize", "cached", "bias", "alpha", "beta")


class PIGNConv(IterativeLayerBase):
    r"""The Picard Iterative Graph Neural Network layer from `"Operator Learning Meets Numerical
    Analysis: Improving Neural Networks through Iterative Methods" <https://arxiv.org/abs/2310.01618>`_
    (Zappala et al., 2023): one weight-shared GCN operator iterated towards its fixed point,

    .. math::
        \mathbf{Z}^{(k+1)} = s_k \mathbf{Z}^{(k)} + (1 - s_k)\, \sigma\left(\hat{\mathbf{A}}
        \mathbf{Z}^{(k)} \mathbf{W} + \mathbf{b}\right), \qquad \mathbf{Z}^{(0)} = \mathbf{X},

    with :math:`\hat{\mathbf{A}} = \hat{\mathbf{D}}^{-1/2} (\mathbf{A} + \mathbf{I})
    \hat{\mathbf{D}}^{-1/2}` and smoothing factors :math:`s_k` (Krasnoselskii-Mann iteration;
    :math:`s_k = 0` is Picard's). With ``inject_input=True`` the input is added back at every step,
    :math:`\sigma(\hat{\mathbf{A}} \mathbf{Z}^{(k)} \mathbf{W} + \mathbf{b} + \mathbf{X})`; ``alpha``
    gives the initial-residual form :math:`\sigma(((1-\alpha)\hat{\mathbf{A}}\mathbf{Z}^{(k)} +
    \alpha\mathbf{X})\mathbf{W} + \mathbf{b})`, ``beta`` the identity mapping :math:`\mathbf{W} \to
    (1-\beta)\mathbf{I} + \beta\mathbf{W}`. With ``contraction=kappa < 1``, :math:`\mathbf{W}` is
    rescaled so that :math:`\mathrm{Lip}(\sigma)\,\|\hat{\mathbf{A}}\|_2\,\|\mathbf{W}\|_2 \le \kappa`:
    the fixed point then exists, is unique, and the iteration converges to it.

    Args:
        channels (int): Size of each input and output sample (the iteration is square).
        num_iterations (int, optional): Iterations in training (default: :obj:`8`).
        smoothing (float or list, optional): Smoothing factor(s) :math:`s_k` in :math:`[0, 1)`, one
            float or a schedule (see :mod:`iterative_core.schedules`). (default: :obj:`0.5`)
        tol (float, optional): Stop early once the relative residual is below it; None runs all
            iterations without synchronising with the device. (default: :obj:`None`)
        act (str or callable, optional): The activation :math:`\sigma`. (default: :obj:`"relu"`)
        dropout (float, optional): Dropout on the operator's output, inside the iteration.
            (default: :obj:`0.0`)
        add_self_loops (bool, optional): Add a self-loop to nodes that have none.
            (default: :obj:`True`)
        normalize (bool, optional): Symmetric degree normalisation. (default: :obj:`True`)
        cached (bool, optional): Build :math:`\hat{\mathbf{A}}` once and reuse it (transductive
            settings only). (default: :obj:`False`)
        bias (bool, optional): Learn the bias :math:`\mathbf{b}`. (default: :obj:`True`)
        **kwargs (optional): The iteration's options: ``eval_iterations``, ``eval_smoothing``,
            ``inject_input``, ``alpha``, ``beta``, ``contraction``, ``solver``, ``solver_options``,
            ``grad``, ``phantom_steps``, ``stop``, ``min_iter``, ``check_every``, ``backward_tol``,
            ``backward_max_iter``, ``on_nonconvergence``, ``on_divergence``, ``act_lipschitz``,
            ``validate``. An unknown keyword is an error that lists the valid ones.

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F)`, edge indices :math:`(2, |\mathcal{E}|)`,
          edge weights :math:`(|\mathcal{E}|)` *(optional)*, batch vector :math:`(|\mathcal{V}|)`
          *(optional, each graph then stops on its own)*
        - **output:** node features :math:`(|\mathcal{V}|, F)`, and a
          :class:`~iterative_core.FixedPointInfo` when ``return_info=True``
    """

    def __init__(self, channels: int, num_iterations: int = 8, smoothing=0.5, tol: Optional[float] = None,
                 act="relu", dropout: float = 0.0, add_self_loops: bool = True, normalize: bool = True,
                 cached: bool = False, bias: bool = True, **kwargs) -> None:
        check_keys(type(self).__name__, kwargs, ITERATION_KEYS + _OWN_KEYS)
        alpha = kwargs.pop("alpha", 0.0)
        beta = kwargs.pop("beta", None)
        super().__init__(channels, num_iterations, smoothing, tol, act, dropout, **kwargs)
        self.operator = GCNOperator(channels, bias=bias, add_self_loops=add_self_loops, normalize=normalize,
                                    cached=cached, alpha=alpha, beta=beta)

    def reset_parameters(self) -> None:
        self.operator.reset_parameters()

    def forward(self, x: Tensor, edge_index: Tensor, edge_weight: Optional[Tensor] = None,
                batch: Optional[Tensor] = None, z_init: Optional[Tensor] = None, return_info: bool = False):
        where = type(self).__name__
        check_features(x, self.channels, where)
        if not isinstance(edge_index, Tensor) or edge_index.dim() != 2 or edge_index.size(0) != 2:
            shape = tuple(edge_index.shape) if isinstance(edge_index, Tensor) else type(edge_index).__name__
            raise ValueError(f"{where}: edge_index must have shape [2, num_edges], got {shape}")
        check_same_device(x, edge_index, where, "edge_index")
        n = x.size(0)
        src, dst = edge_index[0], edge_index[1]
        check_edges(src, dst, n, where, validate=self.validate)
        edge_weight = check_edge_weight(edge_weight, src.numel(), where, normalize=self.operator.normalize,
                                        device=x.device, validate=self.validate)
        check_batch(batch, n, where)
        op = self.operator
        adj, bound = op.prepare(src, dst, n, edge_weight, x.dtype, need_bound=self.contraction is not None)
        W = op.weight_for(self.lipschitz_budget(), bound)
        z, info = self.solve(lambda z: op.apply(z, lambda h: op.propagate_with(adj, h), W, x), x,
                             z_init=z_init, batch=batch)
        return (z, info) if return_info else z

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.channels}, {self.iteration_repr()})"
