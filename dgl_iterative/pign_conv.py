"""PIGNConv for DGL."""
from __future__ import annotations

from typing import Optional

from iterative_core.wrapping import RegistryLayerBase

from . import operators as _operators  # noqa: F401  (registers "sage", "gin", "gat")
from .adapter import DGLLayer
from .gcn_operator import GCNOperator  # noqa: F401  (registers "gcn")


class PIGNConv(DGLLayer, RegistryLayerBase):
    r"""The Picard Iterative Graph Neural Network layer from `Operator Learning Meets Numerical
    Analysis: Improving Neural Networks through Iterative Methods
    <https://arxiv.org/abs/2310.01618>`__: one weight-shared GCN operator iterated towards its fixed point.

    .. math::
        h^{(k+1)}_i = s_k h^{(k)}_i + (1 - s_k)\, \sigma\Big(b + \Big((1-\alpha)\sum_{j \in \mathcal{N}(i)
        \cup \{i\}} \frac{e_{ji}}{\sqrt{d_i d_j}} h^{(k)}_j + \alpha x_i\Big) W\Big), \qquad h^{(0)} = x,

    where :math:`d_i` is the weighted in-degree with the self-loop and :math:`e_{ji}` the edge weight
    (1 by default). The default ``form="residual"`` (chosen on Cora's validation split) takes
    :math:`s = 0`, :math:`\alpha = 0.1`, :math:`W = I` (``beta=0``, no weight) and no activation:
    APPNP's propagation with a bias. ``form="paper"`` is the paper's form: :math:`s = 0.5`,
    :math:`\alpha = 0`, a learned :math:`W`, :math:`\sigma = \mathrm{ReLU}` (see
    :mod:`iterative_core.forms`); explicit arguments override a form's values. The options (``inject_input``, ``alpha``, ``beta``, ``contraction``, solvers,
    gradient modes, stopping) are those of :class:`pyg_iterative.PIGNConv`, and the parameters have
    the same names, so ``load_state_dict`` moves weights between the two backends.

    Other operators come from the registry: ``conv="sage"``, ``"gin"``, ``"gat"`` (see
    :mod:`dgl_iterative.operators`) or one you added with :func:`dgl_iterative.register_operator`.
    Their parameter names are DGL's; :func:`iterative_core.operators.convert_state_dict` renames them
    to and from PyG's.

    Parameters
    ----------
    channels : int
        Input and output feature size (the iteration is square).
    num_iterations : int
        Iterations in training. Default: ``8``.
    smoothing : float or list of float
        Smoothing factor(s) in :math:`[0, 1)`. Default: the form's (``0`` or ``0.5``).
    tol : float, optional
        Stop early once the relative residual is below it.
    act : str or callable
        The activation :math:`\sigma`. Default: the form's (``"identity"`` or ``"relu"``).
    dropout : float
        Dropout inside the iteration. Default: ``0``.
    conv : str
        The registered operator: ``"gcn"`` (default), ``"sage"``, ``"gin"``, ``"gat"`` or your own.
    form : str, optional
        ``"residual"`` or ``"paper"``: the values of the options left unset. Default: ``"residual"``
        for ``conv="gcn"``, ``"paper"`` otherwise.
    add_self_loops, normalize, cached, bias, alpha, beta : optional
        ``conv="gcn"``'s options, as in :class:`pyg_iterative.PIGNConv`; other operators take their
        factory's keywords.
    allow_zero_in_degree : bool
        ``conv="gcn"`` with ``add_self_loops=False``: a node without in-edges has no input; as in
        :class:`dgl.nn.GraphConv` this raises unless set to ``True``. Default: ``False``.
    config : SolveConfig, optional
        The solve's options as one object; keywords override it.
    **kwargs
        The iteration's options, as in :class:`pyg_iterative.PIGNConv` (the README's options table,
        from :class:`iterative_core.SolveConfig` and :class:`iterative_core.LayerOptions`).

    Shapes
    ------
    - **graph**: a homogeneous ``DGLGraph`` with :math:`N` nodes, or a ``dgl.batch`` of graphs (each
      converges, and with a ``tol`` stops, on its own). Blocks and bipartite graphs are refused:
      iteration needs a square operator.
    - **feat**: :math:`(N, F)`; **edge_weight**: :math:`(E,)` or the name of an edge feature;
      **batch** *(optional, overrides the batched graph's)*: :math:`(N,)`; **num_graphs** *(optional)*.
    - **output**: :math:`(N, F)`, and a :class:`~iterative_core.FixedPointInfo` with ``return_info=True``.
    """

    def __init__(self, channels: int, num_iterations: int = 8, smoothing=None, tol: Optional[float] = None,
                 act=None, dropout: float = 0.0, *, conv: str = "gcn", form: Optional[str] = None,
                 **kwargs) -> None:
        super().__init__(channels, num_iterations, smoothing, tol, act, dropout, conv=conv, form=form, **kwargs)

    def extra_repr(self) -> str:
        return self.layer_repr()
