"""PIGNConv for PyTorch Geometric."""
from __future__ import annotations

from typing import Optional

from torch_geometric.nn.conv import MessagePassing

from iterative_core.wrapping import RegistryLayerBase

from . import operators as _operators  # noqa: F401  (registers "sage", "gin", "gat")
from .adapter import PyGLayer
from .gcn_operator import GCNOperator  # noqa: F401  (registers "gcn")


class PIGNConv(PyGLayer, RegistryLayerBase, MessagePassing):
    r"""The Picard Iterative Graph Neural Network layer from `"Operator Learning Meets Numerical
    Analysis: Improving Neural Networks through Iterative Methods" <https://arxiv.org/abs/2310.01618>`_
    (Zappala et al., 2023): one weight-shared graph operator :math:`T` iterated towards its fixed point
    :math:`\mathbf{Z}^\star = T(\mathbf{Z}^\star)`,

    .. math::
        \mathbf{Z}^{(k+1)} = s_k \mathbf{Z}^{(k)} + (1 - s_k)\, T(\mathbf{Z}^{(k)}), \qquad
        T(\mathbf{Z}) = \sigma\left(\hat{\mathbf{A}} \mathbf{Z} \mathbf{W} \mathbf{\Gamma} +
        \alpha \mathbf{X} \mathbf{W} + \mathbf{b}\right), \qquad \mathbf{Z}^{(0)} = \mathbf{X},

    with :math:`\hat{\mathbf{A}} = \hat{\mathbf{D}}^{-1/2} (\mathbf{A} + \mathbf{I})
    \hat{\mathbf{D}}^{-1/2}`, smoothing factors :math:`s_k` (Krasnoselskii-Mann iteration;
    :math:`s_k = 0` is Picard's), the propagation coefficients :math:`\mathbf{\Gamma}` (fixed,
    :math:`(1-\alpha)\mathbf{I}`, or learned, :math:`\operatorname{diag}(\gamma)`), the identity
    mapping :math:`\mathbf{W} \to (1-\beta)\mathbf{I} + \beta\mathbf{W}` (GCNII's) when ``beta`` is
    set, and the input :math:`\mathbf{X}` first mapped to ``out_channels`` by a learned linear map
    when ``out_channels`` differs from ``in_channels`` (so that ``PIGNConv(in, out)`` replaces
    ``GCNConv(in, out)``). :math:`\mathbf{W}` is ``operator.weight`` transposed: torch's
    :class:`~torch.nn.Linear` layout ``[out, in]``, so that the step computes ``Z @ weight.T`` (as
    :math:`\mathbf{\Theta}` in PyG's ``GCNConv``).

    Three forms set the options left unset (see :mod:`iterative_core.forms`):

    * ``form="signed"`` (the default): :math:`s = 0.3`, :math:`\alpha = 0.1`, :math:`\mathbf{W} =
      \mathbf{I}`, :math:`\sigma` the identity, no bias (``bias=False``) and one learned coefficient
      per channel, :math:`\gamma_c = 0.9 \tanh(\operatorname{atanh}(0.5/0.9) + 5\theta_c)` of either
      sign, starting at 0.5 (:math:`\theta_c = 0`): :math:`T(\mathbf{Z}) =
      \hat{\mathbf{A}}\mathbf{Z}\operatorname{diag}(\gamma) + \alpha\mathbf{X}`. Its fixed point,
      :math:`\mathbf{z}_c = \alpha(\mathbf{I} - \gamma_c\hat{\mathbf{A}})^{-1}\mathbf{x}_c`, filters
      each channel of the input low-pass (:math:`\gamma_c > 0`, as APPNP) or high-pass
      (:math:`\gamma_c < 0`, which heterophilous graphs need), as GPR-GNN's learned signed
      coefficients do; a 0.9-contraction on undirected graphs whatever the weights (with
      ``normalize=True``), so that a trained layer's 8 iterations predict as its fixed point does (a
      bias in the step, or coefficients up to 0.99, would be amplified up to 100-fold at the fixed
      point, far more than in 8 steps).
    * ``form="appnp"`` (``"residual"`` is its former name): :math:`s = 0`, :math:`\alpha = 0.1`,
      :math:`\mathbf{W} = \mathbf{I}`, :math:`\sigma` the identity:
      :math:`T(\mathbf{Z}) = (1-\alpha)\hat{\mathbf{A}}\mathbf{Z} + \alpha\mathbf{X} + \mathbf{b}`,
      APPNP's propagation with a bias.
    * ``form="paper"``: the paper's form, :math:`s = 0.5`, :math:`\alpha = 0`, a full learned
      :math:`\mathbf{W}` and :math:`\sigma = \mathrm{ReLU}`:
      :math:`T(\mathbf{Z}) = \mathrm{ReLU}(\hat{\mathbf{A}}\mathbf{Z}\mathbf{W} + \mathbf{b})`.

    With ``inject_input=True`` the input is added back inside :math:`\sigma` at every step; with
    ``contraction=kappa < 1``, :math:`\mathbf{W}` is rescaled so that :math:`\mathrm{Lip}(\sigma)
    \|\mathbf{\Gamma}\|_2\|\hat{\mathbf{A}}\|_2\|\mathbf{W}\|_2 \le \kappa`: the fixed point then
    exists, is unique, and the iteration converges to it.

    Other operators come from the registry (``conv="sage"``, ``"gin"``, ``"gat"`` or one you added
    with :func:`pyg_iterative.register_operator`); the iteration then applies
    :math:`\sigma(\mathrm{op}(\mathbf{Z}^{(k)}, \mathcal{G}))` in the paper's form, and the options
    above that are specific to the GCN operator are replaced by the operator's own (see
    :mod:`pyg_iterative.operators`).

    Under ``torch.compile`` the iteration is traced whole, into one graph (each step a gather and an
    ``index_add`` that the compiler fuses). What reads values back from the device runs outside it:
    the input checks (``validate=True``) before the iteration, with the per-graph cache of the
    propagation, and the convergence policies (``on_divergence``, ``on_nonconvergence`` with a
    ``tol``) after it. The iteration itself runs eagerly with a ``tol`` (whose test reads the residual
    back), and, on torch older than 2.13, after a set-up outside the graph (torch 2.2 compiled it again
    at every call).
    With ``validate=False``, ``on_divergence="ignore"`` and no ``tol`` nothing is read back: the
    propagation of an edge index (with a batch vector, its ``num_graphs`` too) is then normalised
    inside the compiled graph at every call, and ``torch.compile(model, fullgraph=True)`` compiles a
    whole model, from the first call, for any graph (not with ``grad="implicit"``, whose gradient
    steps run outside the graph, and a lazy ``in_channels=-1`` after one call that sets its width).
    A sparse adjacency or an ``EdgeIndex`` is set up outside the graph. Indices at or beyond the node
    count that ``validate=False`` lets through are refused by torch's own bounds checks inside the
    graph; negative ones are not (the compiled graph reads them from the end, as Python does): keep
    ``validate=True`` for input not known to be valid.

    A ``MessagePassing`` module, so that PyG's tools take it as one: ``to_hetero`` and ``HeteroConv``
    give each relation its own copy, and an ``Explainer`` masks the messages of its operator (its own
    ``propagate`` is never called: the iteration runs the operator's).

    Shapes:
        - **input:** node features :math:`(|\mathcal{V}|, F_{in})`; the graph as edge indices
          :math:`(2, |\mathcal{E}|)`, a :class:`torch_geometric.EdgeIndex`, a torch sparse adjacency
          :math:`(|\mathcal{V}|, |\mathcal{V}|)` (COO, CSR or CSC; ``adj_t`` convention, values are
          edge weights) or a ``torch_sparse.SparseTensor``; edge weights :math:`(|\mathcal{E}|)`
          *(optional)*; batch vector :math:`(|\mathcal{V}|)` *(optional, each graph then stops on its own)*
        - **output:** node features :math:`(|\mathcal{V}|, F_{out})`, and a
          :class:`~iterative_core.FixedPointInfo` when ``return_info=True``
    """

    def __init__(self, in_channels: int, out_channels: Optional[int] = None, *, num_iterations: int = 8,
                 smoothing=None, tol: Optional[float] = None, act=None, dropout: float = 0.0, conv: str = "gcn",
                 form: Optional[str] = None, **kwargs) -> None:
        r"""Build the layer; the update rule and the forms are in the class's description.

        Args:
            in_channels (int): Size of each input sample, or :obj:`-1` to read it from the first input
                (the learned linear map below is then always there, as for differing widths, and
                ``out_channels`` must be given).
            out_channels (int, optional): Size of each output sample, the width of the iteration; when it
                differs from ``in_channels`` the input is first mapped to it by a learned linear map
                (no bias). (default: :obj:`None`, the same as ``in_channels``)
            num_iterations (int, optional): Iterations in training. (default: :obj:`8`)
            smoothing (float or list, optional): Smoothing factor(s) :math:`s_k` in :math:`[0, 1)`, one
                float or a schedule (see :mod:`iterative_core.schedules`). (default: the form's)
            tol (float, optional): Stop early once the relative residual is below it; None runs all
                iterations without synchronising with the device. (default: :obj:`None`)
            act (str or callable, optional): The activation :math:`\sigma`. (default: the form's)
            dropout (float, optional): Dropout on the operator's output, inside the iteration: one mask
                per forward pass with a ``tol`` or ``grad="implicit"``/``"phantom"``, else one per step.
                (default: :obj:`0.0`)
            conv (str, optional): The registered operator to iterate: ``"gcn"``, ``"sage"``, ``"gin"``,
                ``"gat"`` or your own. (default: :obj:`"gcn"`)
            form (str, optional): ``"signed"``, ``"appnp"`` or ``"paper"``, the values of the options left
                unset (see above). (default: the first of ``"signed"``, ``"appnp"``, ``"paper"`` whose
                options the operator takes: :obj:`"signed"` for ``conv="gcn"``, :obj:`"paper"` for the
                other built-in ones)
            add_self_loops (bool, optional): ``conv="gcn"``: add a self-loop to nodes that have none.
                (default: :obj:`True`)
            normalize (bool, optional): ``conv="gcn"``: symmetric degree normalisation; the
                self-loops of ``add_self_loops`` are added either way (``GCNConv(normalize=False)``
                adds none). (default: :obj:`True`)
            cached (bool, optional): ``conv="gcn"``: build :math:`\hat{\mathbf{A}}` at the first call and
                reuse it at every later call with the same edge weights (none, the same tensor unchanged,
                or the same sparse adjacency), whatever graph is passed, as ``GCNConv`` does (a graph of
                another size is then refused): transductive settings only. A call with other weights
                builds it again; weights computed from parameters are never kept. (default: :obj:`False`)
            bias (bool, optional): Learn the bias :math:`\mathbf{b}` inside the step. (default: the
                form's: :obj:`False` for ``"signed"``, :obj:`True` for ``"appnp"`` and ``"paper"``)
            config (SolveConfig, optional): The solve's options as one object; keywords override it.
            **kwargs (optional): The iteration's options (the README's options table, from
                :class:`iterative_core.SolveConfig` and :class:`iterative_core.LayerOptions`):
                ``eval_iterations``, ``eval_smoothing``, ``inject_input``, ``contraction`` (``conv="gcn"``
                only), ``solver``, ``solver_options``, ``grad``, ``phantom_steps``, ``stop``, ``min_iter``,
                ``check_every``, ``trace``, ``backward_tol``, ``backward_max_iter``, ``backward_solver``,
                ``backward_solver_options``, ``on_nonconvergence``, ``on_divergence``,
                ``divergence_growth``, ``act_lipschitz``, ``validate`` (default :obj:`True`: the input is
                checked at once; :obj:`False` skips the checks that synchronise with the device, and
                invalid input off the CPU is then undefined behaviour); and the operator's, for ``"gcn"``:
                ``alpha`` (initial residual), ``beta`` (identity mapping; None: a full :math:`\mathbf{W}`),
                ``propagation`` (``"fixed"`` or ``"signed"``), ``gamma_init``, ``gamma_scale``,
                ``gamma_max`` (the learned coefficients' start, speed and bound: :math:`\gamma_c =
                \gamma_{max}\tanh(\operatorname{atanh}(\gamma_{init}/\gamma_{max}) + \text{scale}\,
                \theta_c)`, :math:`\theta` starting at 0, so weight decay pulls :math:`\gamma` towards
                :math:`\gamma_{init}`); the factory's keywords for the others. An unknown keyword is an
                error that lists the valid ones.
        """
        super().__init__(in_channels, out_channels, num_iterations=num_iterations, smoothing=smoothing, tol=tol,
                         act=act, dropout=dropout, conv=conv, form=form, **kwargs)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.extra_repr()})"
