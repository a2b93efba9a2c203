"""The GCN graph operator :math:`\\hat A z W + b`, DGL side."""
from __future__ import annotations

from typing import Callable, Optional

import dgl.function as fn
import torch
from dgl import DGLError
from torch import Tensor

from iterative_core import GCNOperatorBase, Propagation, gcn_propagation, register_operator
from iterative_core._compile import under_transform
from iterative_core.adapter import is_compiling
from iterative_core.layer import scaled_add
from iterative_core.sparse import CSRPair

from .adapter import DGLAdapter, with_coo


class GCNOperator(GCNOperatorBase):
    """The operator :math:`z \\mapsto \\hat A z W + b` (:math:`W` = ``weight.T``) of :class:`PIGNConv` on a ``DGLGraph``.

    The core builds :math:`\\hat A` (self-loops folded in) from the graph's edges as a CSR sparse
    matrix, once per graph (see :meth:`iterative_core.GCNOperatorBase.prepare`: reused while the same
    graph comes back unchanged, or once for all with ``cached=True``), and each iteration is one
    fused sparse-dense product, as in the PyG adapter. Edge weights that require gradients are
    propagated with DGL's builtin message passing instead (``update_all`` with ``u_mul_e``, the
    added self-loops as a diagonal), so that autograd reaches them.
    """

    adapter = DGLAdapter

    def __init__(self, channels: int, *, bias: bool = True, add_self_loops: bool = True, normalize: bool = True,
                 cached: bool = False, alpha: float = 0.0, beta: Optional[float] = None,
                 propagation: str = "fixed", gamma_init: Optional[float] = None,
                 gamma_scale: Optional[float] = None, gamma_max: Optional[float] = None,
                 allow_zero_in_degree: bool = False) -> None:
        super().__init__(channels, bias=bias, alpha=alpha, beta=beta, add_self_loops=add_self_loops,
                         normalize=normalize, cached=cached, propagation=propagation, gamma_init=gamma_init,
                         gamma_scale=gamma_scale, gamma_max=gamma_max)
        self.allow_zero_in_degree = allow_zero_in_degree

    def build_propagation(self, graph, edge_weight: Optional[Tensor], num_nodes: int, dtype: torch.dtype):
        """:math:`\\hat A` of ``graph`` (see :meth:`iterative_core.GCNOperatorBase.build_propagation`);
        without added self-loops a node without in-edges is refused unless ``allow_zero_in_degree``,
        as DGL's ``GraphConv`` does."""
        if not self.add_self_loops and not self.allow_zero_in_degree:
            if bool((graph.in_degrees() == 0).any()):
                raise DGLError(
                    "There are 0-in-degree nodes in the graph, output for those nodes will be invalid. "
                    "This is harmful for some applications, causing silent performance regression. "
                    "Adding self-loop on the input graph by calling `g = dgl.add_self_loop(g)` (or "
                    "add_self_loops=True) will resolve the issue. Setting ``allow_zero_in_degree`` to be "
                    "`True` when constructing this module will suppress the check and let the code run."
                )
        return super().build_propagation(graph, edge_weight, num_nodes, dtype)

    def differentiable_propagation(self, graph, src: Tensor, dst: Tensor, weight: Tensor, num_nodes: int,
                                   dtype: torch.dtype):
        """The normalised edge weights on the user's graph, the added self-loops kept apart as a
        diagonal, for ``update_all``."""
        return self.normalized(src, dst, num_nodes, weight, fold_loops=False, dtype=dtype), None

    def normalized(self, src: Tensor, dst: Tensor, num_nodes: int, weight: Optional[Tensor], *,
                   fold_loops: bool = True, dtype: torch.dtype = torch.float32):
        # the core's, through this module's name for gcn_propagation (where tests count the builds)
        return gcn_propagation(src, dst, num_nodes, weight, add_self_loops=self.add_self_loops,
                               normalize=self.normalize, fold_loops=fold_loops, dtype=dtype)

    def propagator(self, graph, prop: Propagation, data) -> Callable[[Tensor, Optional[Tensor], float], Tensor]:
        if isinstance(data, CSRPair):
            return super().propagator(graph, prop, data)

        def apply(h: Tensor, add: Optional[Tensor], s: float) -> Tensor:
            # DGL's message passing cannot be traced, nor run under torch.func / forward AD: the core's edge-list product
            if is_compiling() or under_transform():
                return GCNOperatorBase.propagator(self, graph, prop, None)(h, add, s)
            return scaled_add(self.propagate(graph, prop, h), add, s)

        return apply

    def forward(self, graph, feat: Tensor, edge_weight: Optional[Tensor] = None) -> Tensor:
        """One application :math:`\\hat A x W + b` (no activation, no iteration)."""
        return self.apply_once(feat, with_coo(graph), edge_weight)

    @staticmethod
    def propagate(graph, prop: Propagation, h: Tensor) -> Tensor:
        """:math:`\\hat A h` with DGL's builtin message passing over a propagation whose self-loops
        are kept apart (``fold_loops=False``): an unweighted sum between two node scalings by
        :math:`d^{-1/2}` (``copy_u``) when the graph had no weights, else ``u_mul_e``."""
        if prop.unweighted:
            s = None if prop.node_scale is None else prop.node_scale.unsqueeze(-1)
            hs = h if s is None else h * s
            with graph.local_scope():
                graph.srcdata["h"] = hs
                graph.update_all(fn.copy_u("h", "m"), fn.sum("m", "h"))
                out = graph.dstdata["h"]
            if prop.unit_loops is not None:
                out = torch.addcmul(out, prop.unit_loops.unsqueeze(-1), hs)
            return out if s is None else out * s
        with graph.local_scope():
            graph.srcdata["h"] = h
            graph.edata["_w"] = prop.weight.unsqueeze(-1)
            graph.update_all(fn.u_mul_e("h", "_w", "m"), fn.sum("m", "h"))
            out = graph.dstdata["h"]
        if prop.loop_weight is not None:
            out = out + prop.loop_weight.unsqueeze(-1) * h
        return out


register_operator("gcn", GCNOperator, backend="dgl", _builtin=True)
