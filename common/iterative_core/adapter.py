r"""The contract between the core and an ecosystem: what an adapter implements, once.

The core iterates; an adapter knows its ecosystem's graphs and layers. It subclasses
:class:`GraphAdapter` and implements two methods:

* :meth:`GraphAdapter.read_graph` turns the graph argument its users pass (PyG: an edge index or a
  sparse adjacency; DGL: a ``DGLGraph``) into a :class:`GraphView`: the node count, the edges (read
  lazily, only when a check or the operator needs them), the edge weights and the batch vector. It
  refuses what cannot be iterated (bipartite graphs, blocks, heterographs) with its ecosystem's
  advice.
* :meth:`GraphAdapter.call` applies one of its ecosystem's layers, in its calling order, and returns
  ``[N, C]`` node features.

Its class attributes say the rest: the names its layers keep their widths under
(:class:`WidthNames`), and the advice its messages give. Its layers name the adapter in their class
attribute ``adapter``, and its GCN operator implements two methods of
:class:`~iterative_core.layer.GCNOperatorBase` (``build_propagation`` and ``propagator``).

A forward pass of ``PIGNConv``, from the adapter to the core:

1. ``PIGNConv.forward(...)`` in the ecosystem's argument order calls
   :meth:`~iterative_core.wrapping.OperatorLayerBase.run`;
2. ``run`` checks the features, ``z_init`` and ``batch``, asks the adapter for the
   :class:`GraphView` and checks it (:func:`check_graph_view`: index range, edge weights, a batch
   vector that cuts no edge);
3. ``run`` binds the operator to the graph once: the GCN operator builds its propagation matrix
   through the adapter's ``build_propagation`` (cached with ``cached=True``), bounds its norm per
   graph and rescales its weight when ``contraction`` is set (:meth:`GCNOperatorBase.bind`); any
   other layer is called through :meth:`GraphAdapter.call` at every step;
4. ``run`` solves the fixed point (:meth:`~iterative_core.layer.IterativeLayerBase.solve`, then
   :func:`~iterative_core.fixed_point`).

A third ecosystem needs one short file: see ``tests/adapters/dense_adapter.py``, which iterates over
a dense adjacency matrix without touching the core.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, ClassVar, Optional

from torch import Tensor, nn

from .validation import check_batch_edges, check_edge_weight, check_edges

__all__ = ["GraphAdapter", "GraphView", "WidthNames", "check_graph_view"]


@dataclass(frozen=True)
class WidthNames:
    """The attribute names under which an ecosystem's layers keep their widths.

    ``inputs``: the input width (a pair for a layer built for bipartite graphs); ``input_dst``: a
    separate destination width; ``outputs``: the output width (per head); ``heads``: the number of
    heads, concatenated unless the layer's ``concat`` is False; ``mlps``: a child module whose first
    and last linear maps give the widths (GIN). torch's own ``nn.Linear`` names are always known.
    """

    inputs: tuple[str, ...] = ()
    input_dst: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    mlps: tuple[str, ...] = ()


@dataclass
class GraphView:
    """What the core needs of one graph argument.

    Args:
        num_nodes: the number of nodes (rows of the features).
        num_edges: the number of edges (entries of ``edge_weight``).
        edges: returns ``(src, dst)``, messages flowing ``src -> dst``; called only when needed.
        edge_weight: the weights to pass on to the operator (None: unweighted, or the weights travel
            inside the graph argument, as a sparse matrix's values do).
        weights: returns the weights to check (default: ``edge_weight``); for a sparse matrix its
            values.
        batch, num_graphs: the batch vector and the number of graphs, given or read from the graph.
        batch_from_graph: the batch vector came from the graph itself (a ``dgl.batch``), so it cannot
            cut an edge and is not checked.
        index_check: the edges may hold out-of-range indices (an edge index tensor); False where the
            graph object guarantees the range.
    """

    num_nodes: int
    num_edges: int
    edges: Callable[[], tuple[Tensor, Tensor]]
    edge_weight: Optional[Tensor] = None
    weights: Optional[Callable[[], Optional[Tensor]]] = None
    batch: Optional[Tensor] = None
    num_graphs: Optional[int] = None
    batch_from_graph: bool = False
    index_check: bool = True


class GraphAdapter:
    """An ecosystem's side of the contract (see the module docstring). Subclass it once per
    ecosystem and set the class attributes; the core never imports an adapter."""

    #: the backend name operators are registered under (``register_operator(..., backend=name)``)
    name: ClassVar[str] = ""
    #: where the ecosystem's layers keep their widths
    widths: ClassVar[WidthNames] = WidthNames()
    #: how to build a square layer in this ecosystem (ends an error refusing a non-square one)
    square_hint: ClassVar[str] = "Build it with as many output channels as input channels."
    #: how to iterate on a sampled or bipartite graph in this ecosystem (node-induced subgraphs)
    subgraph_hint: ClassVar[str] = "Iterate on a node-induced subgraph instead."
    #: where a user finds the batch vector that matches a batch of graphs
    batch_hint: ClassVar[str] = "pass the batch vector of the graphs that were batched, or none"

    def read_graph(self, layer: nn.Module, x: Tensor, graph, edge_weight, batch: Optional[Tensor],
                   num_graphs: Optional[int]) -> GraphView:
        """Check what only this ecosystem knows about ``graph`` (its type, a bipartite or block
        structure, its size against ``x``, its device) and describe it as a :class:`GraphView`."""
        raise NotImplementedError

    def call(self, conv: nn.Module, z: Tensor, graph, **kwargs) -> Tensor:
        """Apply one of this ecosystem's layers to the features ``z`` on ``graph`` (``kwargs``:
        ``edge_weight=w`` when weights are given); return ``[N, C]`` node features."""
        raise NotImplementedError


def check_graph_view(view: GraphView, where: str, *, validate: bool, nonnegative: bool,
                     device, batch_hint: str) -> Optional[Tensor]:
    """The core's checks of a graph: the index range (see :func:`check_edges`), the edge weights'
    shape, dtype, device and values (non-negative when ``nonnegative``), and, with ``validate``, a
    batch vector that cuts no edge. Returns the edge weights to pass on."""
    if view.index_check:
        src, dst = view.edges()
        check_edges(src, dst, view.num_nodes, where, validate=validate)
    edge_weight = check_edge_weight(view.edge_weight, view.num_edges, where, normalize=nonnegative,
                                    device=device, validate=validate)
    if validate and view.weights is not None and nonnegative:
        values = view.weights()
        if values is not None:
            check_edge_weight(values, values.numel(), where, normalize=True, device=device, validate=True)
    if validate and view.batch is not None and not view.batch_from_graph:
        check_batch_edges(view.batch, *view.edges(), where, batch_hint)
    return edge_weight
