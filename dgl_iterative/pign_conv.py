"""PIGNConv for DGL."""
from __future__ import annotations

from typing import Optional

from torch import Tensor

from iterative_core import ITERATION_KEYS, IterativeLayerBase
from iterative_core._keys import check_keys
from iterative_core.validation import check_batch, check_edge_weight, check_features, check_same_device

from .gcn_operator import GCNOperator

_OWN_KEYS = ("add_self_loops", "normalize", "cached", "bias", "alpha", "beta", "allow_zero_in_degree")


class PIGNConv(IterativeLayerBase):
    r"""The Picard Iterative Graph Neural Network layer from `Operator Learning Meets Numerical
    Analysis: Improving Neural Networks through Iterative Methods
    <https://arxiv.org/abs/2310.01618>`__: one weight-shared GCN operator iterated towards its fixed point.

    .. math::
        h^{(k+1)}_i = s_k h^{(k)}_i + (1 - s_k)\, \sigma\Big(b + \sum_{j \in \mathcal{N}(i) \cup \{i\}}
        \frac{e_{ji}}{\sqrt{d_i d_j}} h^{(k)}_j W\Big), \qquad h^{(0)} = x,

    where :math:`d_i` is the weighted in-degree with the self-loop and :math:`e_{ji}` the edge weight
    (1 by default). The options (``inject_input``, ``alpha``, ``beta``, ``contraction``, solvers,
    gradient modes, stopping) are those of :class:`pyg_iterative.PIGNConv`, and the parameters have
    the same names, so ``load_state_dict`` moves weights between the two backends.

    Parameters
    ----------
    channels : int
        Input and output feature size (the iteration is square).
    num_iterations : int
        Iterations in training. Default: ``8``.
    smoothing : float or list of float
        Smoothing factor(s) in :math:`[0, 1)`. Default: ``0.5``.
    tol : float, optional
        Stop early once the relative residual is below it.
    act : str or callable
        The activation :math:`\sigma`. Default: ``"relu"``.
    dropout : float
        Dropout inside the iteration. Default: ``0``.
    add_self_loops, normalize, cached, bias : bool
        As in :class:`pyg_iterative.PIGNConv`.
    allow_zero_in_degree : bool
        With ``add_self_loops=False``, a node without in-edges has no input; as in
        :class:`dgl.nn.GraphConv` this raises unless set to ``True``. Default: ``False``.

    Shapes
    ------
    - **graph**: a homogeneous ``DGLGraph`` with :math:`N` nodes (iteration needs a square operator: blocks
      and bipartite graphs are refused).
    - **feat**: :math:`(N, F)`; **edge_weight**: :math:`(E,)`; **batch** *(optional)*: :math:`(N,)`.
    - **output**: :math:`(N, F)`, and a :class:`~iterative_core.FixedPointInfo` with ``return_info=True``.
    """

    def __init__(self, channels: int, num_iterations: int = 8, smoothing=0.5, tol: Optional[float] = None,
                 act="relu", dropout: float = 0.0, add_self_loops: bool = True, normalize: bool = True,
                 cached: bool = False, bias: bool = True, **kwargs) -> None:
        check_keys(type(self).__name__, kwargs, ITERATION_KEYS + _OWN_KEYS)
        own = {k: kwargs.pop(k) for k in ("alpha", "beta", "allow_zero_in_degree") if k in kwargs}
        super().__init__(channels, num_iterations, smoothing, tol, act, dropout, **kwargs)
        self.operator = GCNOperator(channels, bias=bias, add_self_loops=add_self_loops, normalize=normalize,
                                    cached=cached, **own)

    def reset_parameters(self) -> None:
        self.operator.reset_parameters()

    def forward(self, graph, feat: Tensor, edge_weight: Optional[Tensor] = None, batch: Optional[Tensor] = None,
                z_init: Optional[Tensor] = None, return_info: bool = False):
        where = type(self).__name__
        if graph.is_block or graph.num_src_nodes() != graph.num_dst_nodes():
            raise ValueError(
                f"{where}: iteration needs a square operator (the same nodes in and out), but got a block or "
                f"bipartite graph with {graph.num_src_nodes()} source and {graph.num_dst_nodes()} destination "
                "nodes. Use a node-induced subgraph instead (e.g. dgl.node_subgraph or dgl.khop_in_subgraph)."
            )
        check_features(feat, self.channels, where)
        n = graph.num_nodes()
        if feat.size(0) != n:
            raise ValueError(f"{where}: feat has {feat.size(0)} rows but the graph has {n} nodes")
        check_same_device(feat, graph.edges()[0], where)
        edge_weight = check_edge_weight(edge_weight, graph.num_edges(), where, normalize=self.operator.normalize,
                                        device=feat.device, validate=self.validate)
        check_batch(batch, n, where)
        op = self.operator
        prop, bound = op.prepare(graph, edge_weight, feat.dtype, need_bound=self.contraction is not None)
        W = op.weight_for(self.lipschitz_budget(), bound)
        z, info = self.solve(lambda z: op.apply(z, lambda h: op.propagate(graph, prop, h), W, feat), feat,
                             z_init=z_init, batch=batch)
        return (z, info) if return_info else z

    def extra_repr(self) -> str:
        return f"{self.channels}, {self.iteration_repr()}"
