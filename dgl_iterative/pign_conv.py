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
        h^{(k+1)}_i = s_k h^{(k)}_i + (1 - s_k)\, \sigma\Big(\sum_{j \in \mathcal{N}(i) \cup \{i\}}
        \frac{e_{ji}}{\sqrt{d_i d_j}} h^{(k)}_j W \Gamma + \alpha x_i W + b\Big), \qquad h^{(0)} = x,

    where :math:`d_i` is the weighted in-degree with the self-loop (on both sides, as PyG's
    ``gcn_norm``: on a directed graph ``GraphConv(norm="both")`` takes the source's out-degree
    instead, so the two agree on undirected graphs), :math:`e_{ji}` the edge weight (1 by default)
    and :math:`\Gamma` the propagation coefficients, fixed (:math:`1-\alpha`) or
    learned per channel (:math:`\operatorname{diag}(\gamma)`). When ``out_feats`` differs from
    ``in_feats``, :math:`x` is first mapped to ``out_feats`` by a learned linear map, so that
    ``PIGNConv(in_feats, out_feats)`` replaces ``GraphConv(in_feats, out_feats)``. :math:`W` is
    ``operator.weight`` transposed (torch's :class:`~torch.nn.Linear` layout ``[out, in]``: the step
    computes ``h @ weight.T``). The default
    ``form="signed"`` takes :math:`s = 0.3`, :math:`\alpha = 0.1`, :math:`W = I` (``beta=0``, no
    weight), no activation, no bias in the step and one learned coefficient per channel,
    :math:`\gamma_c = 0.9 \tanh(\operatorname{atanh}(0.5/0.9) + 5\theta_c)` (0.5 at the start), of
    either sign: low-pass channels for homophilous structure, high-pass ones for heterophilous
    structure; its fixed point is a filter of the input, and a trained layer's 8 iterations predict as
    it does (``docs/results/fixed-point``). ``form="appnp"`` (formerly ``"residual"``) fixes :math:`\gamma_c =
    1-\alpha` with :math:`s = 0`: APPNP's propagation with a bias. ``form="paper"`` is the paper's form:
    :math:`s = 0.5`, :math:`\alpha = 0`, a learned :math:`W`, :math:`\sigma = \mathrm{ReLU}` (see
    :mod:`iterative_core.forms`); explicit arguments override a form's values. The options
    (``inject_input``, ``alpha``, ``beta``, ``propagation``, ``contraction``, solvers,
    gradient modes, stopping) are those of :class:`pyg_iterative.PIGNConv`, and the parameters have
    the same names, so ``load_state_dict`` moves weights between the two backends.

    Other operators come from the registry: ``conv="sage"``, ``"gin"``, ``"gat"`` (see
    :mod:`dgl_iterative.operators`) or one you added with :func:`dgl_iterative.register_operator`.
    Their parameter names are DGL's; :func:`iterative_core.operators.convert_state_dict` renames them
    to and from PyG's.

    Under ``torch.compile`` the iteration is traced whole, into one graph, as in
    :class:`pyg_iterative.PIGNConv`; DGL's graph objects cannot be traced, so the set-up (the checks,
    and the propagation built from the graph, kept per graph) runs before it, outside the compiled
    graph, and ``fullgraph=True`` is not available. The convergence policies run after it (none with
    ``on_divergence="ignore"`` and no ``tol``). The whole iteration runs outside the compiled graph with
    DGL's own layers (the other registered operators), with a ``tol``, and on torch older than 2.13
    (DGL 2.1's torch 2.2 included), which compiled it again at every call after the set-up.

    Shapes
    ------
    - **graph**: a homogeneous ``DGLGraph`` with :math:`N` nodes, or a ``dgl.batch`` of graphs (each
      converges, and with a ``tol`` stops, on its own). Blocks and bipartite graphs are refused:
      iteration needs a square operator.
    - **feat**: :math:`(N, F_{in})`; **edge_weight**: :math:`(E,)` or the name of an edge feature;
      **batch** *(optional, overrides the batched graph's)*: :math:`(N,)`; **num_graphs** *(optional)*.
    - **output**: :math:`(N, F_{out})`, and a :class:`~iterative_core.FixedPointInfo` with ``return_info=True``.
    """

    width_args = ("in_feats", "out_feats")

    def __init__(self, in_feats: int, out_feats: Optional[int] = None, *, num_iterations: int = 8,
                 smoothing=None, tol: Optional[float] = None, act=None, dropout: float = 0.0, conv: str = "gcn",
                 form: Optional[str] = None, **kwargs) -> None:
        r"""Build the layer; the update rule and the forms are in the class's description.

        Parameters
        ----------
        in_feats : int
            Input feature size, or ``-1`` to read it from the first input (the learned linear map below
            is then always there, as for differing sizes).
        out_feats : int, optional
            Output feature size, the width of the iteration; when it differs from ``in_feats`` the input is
            first mapped to it by a learned linear map (no bias). Default: ``in_feats``.
        num_iterations : int
            Iterations in training. Default: ``8``.
        smoothing : float or list of float
            Smoothing factor(s) in :math:`[0, 1)`. Default: the form's.
        tol : float, optional
            Stop early once the relative residual is below it.
        act : str or callable
            The activation :math:`\sigma`. Default: the form's.
        dropout : float
            Dropout inside the iteration: one mask per forward pass with a ``tol`` or
            ``grad="implicit"``/``"phantom"``, else one per step. Default: ``0``.
        conv : str
            The registered operator: ``"gcn"`` (default), ``"sage"``, ``"gin"``, ``"gat"`` or your own.
        form : str, optional
            ``"signed"``, ``"appnp"`` or ``"paper"``: the values of the options left unset. Default: the
            first of ``"signed"``, ``"appnp"``, ``"paper"`` whose options the operator takes:
            ``"signed"`` for ``conv="gcn"``, ``"paper"`` for the other built-in ones.
        add_self_loops, normalize, cached, bias, alpha, beta, propagation, gamma_init, gamma_scale, gamma_max : optional
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
        """
        super().__init__(in_feats, out_feats, num_iterations=num_iterations, smoothing=smoothing, tol=tol, act=act,
                         dropout=dropout, conv=conv, form=form, **kwargs)
