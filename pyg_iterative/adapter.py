"""PyTorch Geometric's side of the core's adapter contract (:mod:`iterative_core.adapter`).

Accepted for ``edge_index``: a ``[2, E]`` index tensor (messages flow ``edge_index[0] -> edge_index[1]``),
a :class:`torch_geometric.EdgeIndex`, a square torch sparse adjacency in COO, CSR or CSC layout and a
``torch_sparse.SparseTensor``. Sparse matrices follow PyG's ``adj_t`` convention (rows are the
destinations, ``adj_t[i, j]`` for the edge ``j -> i``) and carry the edge weights as their values.
"""
from __future__ import annotations

import os
from typing import Optional

import torch
from torch import Tensor, nn
from torch_geometric.nn.conv import HypergraphConv, MessagePassing
from torch_geometric.typing import SparseTensor
from torch_geometric.utils import is_torch_sparse_tensor, to_edge_index

from iterative_core.adapter import GraphAdapter, GraphKey, GraphView, WidthNames, is_compiling, tensor_key
from iterative_core.validation import check_same_device
from iterative_core.wrapping import (_parameters, mlp_widths, square_error, unwrapped, user_hooks,
                                     warn_unrun_hooks_once)

__all__ = ["PyGAdapter", "PyGLayer", "SquareWidths", "is_sparse", "edge_list"]


def is_sparse(edge_index) -> bool:
    """Whether ``edge_index`` is a sparse adjacency (torch sparse or ``SparseTensor``)."""
    return isinstance(edge_index, SparseTensor) or (isinstance(edge_index, Tensor) and is_torch_sparse_tensor(edge_index))


def _sparse_size(adj) -> tuple[int, int]:
    return tuple(adj.sizes()) if isinstance(adj, SparseTensor) else tuple(adj.shape[:2])


def _check_compressed(adj, where: str, validate: bool) -> None:
    """A torch CSR or CSC matrix's offsets (``crow_indices``, ``ccol_indices``): one per row (column)
    and one more, non-decreasing from 0 to the number of entries. torch builds the matrix without
    checking them, and reading bad ones fails deep inside, or reads other memory. Read as the index
    range is (:func:`~iterative_core.validation.check_edges`): always on the CPU, elsewhere with
    ``validate``."""
    if (not isinstance(adj, Tensor) or adj.layout not in (torch.sparse_csr, torch.sparse_csc)
            or not (validate or adj.device.type == "cpu")):
        return
    csr = adj.layout == torch.sparse_csr
    ptr, idx = (adj.crow_indices(), adj.col_indices()) if csr else (adj.ccol_indices(), adj.row_indices())
    count, nnz = adj.size(0 if csr else 1), idx.numel()
    if (ptr.numel() == count + 1 and int(ptr[0]) == 0 and int(ptr[-1]) == nnz
            and not bool((ptr.diff() < 0).any())):
        return
    kind = "crow_indices" if csr else "ccol_indices"
    raise ValueError(f"{where}: the sparse {'CSR' if csr else 'CSC'} adjacency's {kind} are not valid offsets: a "
                     f"{adj.size(0)} x {adj.size(1)} matrix with {nnz} entries needs {count + 1} non-decreasing "
                     f"ones from 0 to {nnz}; build it with check_invariants=True (torch.sparse_{'csr' if csr else 'csc'}"
                     "_tensor) to see where")


def _as_edge_index(weights: str) -> str:
    """How to pass a sparse adjacency ``adj_t`` as an edge index, for messages (``weights``: the weights'
    expression in the call)."""
    return ("edge_index, edge_weight = torch_geometric.utils.to_edge_index(adj_t), then "
            f"layer(x, edge_index.flip(0), {weights})")


def edge_list(edge_index, edge_weight: Optional[Tensor] = None) -> tuple[Tensor, Tensor, Optional[Tensor]]:
    """``(src, dst, weight)`` of any accepted graph argument (a sparse matrix's values are its weights)."""
    if isinstance(edge_index, Tensor) and edge_index.layout == torch.sparse_coo:
        # read without PyG's to_edge_index, which marks the tensor coalesced in place (a new version at
        # every call, which no cache could recognise) and whose values then take no gradient
        adj = edge_index if edge_index.is_coalesced() else edge_index.coalesce()
        row, col = adj.indices()  # [row, col] of adj_t: row = destination
        return col, row, adj.values()
    if is_sparse(edge_index):
        ei, value = to_edge_index(edge_index)  # [row, col] of adj_t: row = destination
        return ei[1], ei[0], value
    if type(edge_index) is not Tensor and hasattr(edge_index, "as_tensor"):  # EdgeIndex
        edge_index = edge_index.as_tensor()
    return edge_index[0], edge_index[1], edge_weight


#: PyG layers whose ``forward`` takes ``edge_attr=None`` yet fail inside without edge features (or pseudo-coordinates)
_NEED_EDGE_ATTR = frozenset({"GINEConv", "NNConv", "ECConv", "GMMConv", "SplineConv"})
#: PyG layers that run another PyG layer given to them, passing their keywords on (``GPSConv(C, conv)``,
#: ``AntiSymmetricConv(C, phi)``): where that one is kept
_INNER_CONV = {"GPSConv": "conv", "AntiSymmetricConv": "phi"}


def _inner_attribute(layer) -> Optional[str]:
    """The attribute holding the layer that ``layer`` runs with its keywords, where ``layer`` is (or
    subclasses) one of PyG's layers in :data:`_INNER_CONV`."""
    for klass in type(layer).__mro__:
        if klass.__name__ in _INNER_CONV and klass.__module__.startswith("torch_geometric."):
            return _INNER_CONV[klass.__name__]
    return None

_TYPED = ("it needs the type of every edge (edge_type) at each call, whatever num_relations is, and the iteration "
          "does not pass it. Iterate one layer per edge type instead (HeteroConv, to_hetero)")
_HETERO = ("it maps a dict of features by node type, and the iteration runs on one node set. Iterate each "
           "relation's layer instead: HeteroConv({edge_type: IterativeConv(layer), ...}), or to_hetero")


class PyGAdapter(GraphAdapter):
    """PyG's graphs (edge indices and sparse adjacencies) and layers (``conv(x, edge_index, ...)``)."""

    name = "pyg"
    widths = WidthNames(inputs=("in_channels",), outputs=("out_channels",), heads=("heads",), mlps=("nn",),
                        squares=("channels",), heads_concatenated=False)
    square_hint = ("Build it with in_channels == out_channels (attention layers: out_channels * heads == "
                   "in_channels, heads concatenated, e.g. GATConv(C, C // heads, heads=heads)).")
    subgraph_hint = ("Iterate on a node-induced subgraph instead: torch_geometric.utils.subgraph or k_hop_subgraph, "
                     "or the subgraphs NeighborLoader / ClusterLoader yield, whose edge_index indexes one node set.")
    batch_hint = "pass the batch vector of the graphs that were batched (data.batch of a PyG Batch), or none"
    call_form = "conv(x, edge_index[, edge_weight=w][, batch=batch])"
    batch_keyword = "batch"
    edge_feature_examples = "a layer whose forward takes edge_attr (GINEConv, GATConv(edge_dim=...))"
    relations_hint = "HeteroConv, to_hetero"
    pair_hint = ("In a heterogeneous model (HeteroConv, to_hetero) that is a relation between two node types: "
                 "iterate the relations within one node type, and give those between two types a bipartite "
                 "layer, e.g. HeteroConv({('user', 'follows', 'user'): PIGNConv(C), ('user', 'buys', 'item'): "
                 "SAGEConv((-1, -1), C)}). For a sampled bipartite graph, iterate on a node-induced subgraph "
                 "instead: torch_geometric.utils.subgraph or k_hop_subgraph.")
    partial_resets = ("torch_geometric.nn.conv.message_passing.MessagePassing",)
    refused_layers = {
        "torch_geometric.nn.conv.rgcn_conv.RGCNConv": _TYPED,
        "torch_geometric.nn.conv.rgcn_conv.FastRGCNConv": _TYPED,
        "torch_geometric.nn.conv.rgat_conv.RGATConv": _TYPED,
        "torch_geometric.nn.conv.hgt_conv.HGTConv": _HETERO,
        "torch_geometric.nn.conv.han_conv.HANConv": _HETERO,
        "torch_geometric.nn.conv.hetero_conv.HeteroConv": _HETERO,
        "torch_geometric.nn.conv.wl_conv.WLConv": (
            "it relabels integer colours (the Weisfeiler-Lehman test), it does not map features; WLConvContinuous "
            "is its counterpart for features"),
        "torch_geometric.nn.conv.dna_conv.DNAConv": (
            "it attends over the representations of all earlier layers, [num_nodes, num_layers, channels], not "
            "over one iterate"),
    }

    @classmethod
    def refusal(cls, layer) -> Optional[str]:
        if type(layer) is HypergraphConv and getattr(layer, "use_attention", False):
            return ("with use_attention=True it needs hyperedge_attr at each call, which the iteration does not "
                    "pass. Build it with use_attention=False, or iterate a module whose forward(x, edge_index) "
                    "calls it with them (its other inputs fixed)")
        return super().refusal(layer)

    @classmethod
    def inner_layer(cls, layer) -> Optional[nn.Module]:
        inner = getattr(layer, _inner_attribute(layer) or "", None)
        return inner if isinstance(inner, nn.Module) else None

    @classmethod
    def passes_keywords_on(cls, layer) -> bool:
        return _inner_attribute(layer) is not None

    @classmethod
    def layer_widths(cls, layer):
        name = type(layer).__name__
        if name in ("EdgeConv", "DynamicEdgeConv") and isinstance(getattr(layer, "nn", None), nn.Module):
            # its nn maps [x_i, x_j - x_i], twice the features' width
            first, last = mlp_widths(layer.nn, cls.widths)
            if first is not None and first % 2:  # (an odd width fits no features: refused as the nn reads)
                return None
            return ((None if first is None else first // 2),), last
        if name == "MixHopConv":  # one block of out_channels per power, concatenated
            return (layer.in_channels,), layer.out_channels * len(layer.powers)
        return None

    @classmethod
    def needs_edge_features(cls, layer) -> bool:
        # PyG's layers whose forward defaults edge_attr to None but fail inside without it
        name = type(layer).__name__
        if name in _NEED_EDGE_ATTR:
            return True
        if name == "CGConv":  # dim=0 (the default): no edge features
            return bool(getattr(layer, "dim", 0))
        if name == "PDNConv":  # normalize=True (the default) makes its own weights
            return not getattr(layer, "normalize", True)
        if name in ("TransformerConv", "ResGatedGraphConv", "PNAConv"):  # built with edge_dim
            return getattr(layer, "edge_dim", None) is not None
        inner = unwrapped(cls.inner_layer(layer))  # (compiled: the layer it compiled)
        if inner is not None:  # the layer it runs, given its keywords
            params = _parameters(inner.forward) or {}
            required = any(k in params and params[k].default is params[k].empty for k in cls.edge_feature_keywords)
            return required or cls.needs_edge_features(inner)
        return False

    def read_graph(self, layer: nn.Module, x: Tensor, edge_index, edge_weight: Optional[Tensor],
                   batch: Optional[Tensor], num_graphs: Optional[int]) -> GraphView:
        where = type(layer).__name__
        n = x.size(0)
        if is_sparse(edge_index):
            if isinstance(edge_index, Tensor) and (edge_index.dim() != 2 or edge_index.dense_dim() != 0):
                dense = edge_index.dense_dim()
                raise ValueError(f"{where}: a sparse adjacency must be a 2-D sparse matrix with one scalar value per "
                                 f"edge, got a sparse tensor of shape {tuple(edge_index.shape)}"
                                 + (f" ({dense} dense dimension{'s' if dense > 1 else ''}: values of shape "
                                    f"{(edge_index._nnz(), *edge_index.shape[edge_index.dim() - dense:])})"
                                    if dense else "")
                                 + "; pass one graph's adjacency (a batch of graphs is one block-diagonal matrix, "
                                   "with a batch vector), with its weights as values")
            size = _sparse_size(edge_index)
            if size[0] != size[1] or size[0] != n:
                raise ValueError(square_error(
                    where, f"got a {size[0]} x {size[1]} sparse adjacency for {n} nodes", self.subgraph_hint))
            if (isinstance(edge_index, Tensor) and edge_index.layout == torch.sparse_coo
                    and not edge_index.is_coalesced()):
                raise ValueError(f"{where}: the torch COO adjacency is not coalesced (its entries may be unsorted or "
                                 "repeated); pass adj_t.coalesce(): PyG's functions would mark this one coalesced "
                                 "in place, unsorted, and torch's later results on it would be wrong")
            if edge_weight is not None:
                raise ValueError(f"{where}: a sparse adjacency carries the edge weights as its values; "
                                 "do not pass edge_weight as well")
            _check_no_edge_mask(layer, where)
            values = edge_index if isinstance(edge_index, Tensor) else edge_index.storage.value()
            if values is not None and not values.dtype.is_floating_point:
                raise TypeError(f"{where}: a sparse adjacency's values are its edge weights and must be "
                                f"floating-point, got {values.dtype}: convert it, adj.float()")
            op = getattr(layer, "operator", None)
            if values is not None and values.dtype != x.dtype and op is not None and not hasattr(op, "bind"):
                # (an edge_weight tensor is cast to x's dtype; a matrix would be copied at every call)
                half_on_cpu = x.dtype in (torch.float16, torch.bfloat16) and x.device.type == "cpu"
                raise TypeError(f"{where}: the sparse adjacency's values are {values.dtype} but the node features "
                                f"{x.dtype}, and {type(op).__name__} multiplies the two: "
                                + ("the CPU's sparse products take no half precision: pass the graph as an edge "
                                   f"index, {_as_edge_index(f'edge_weight.to({x.dtype})')}" if half_on_cpu else
                                   f"convert it once, adj.to({x.dtype})"))
            listed = []
            validate = getattr(layer, "validate", True)

            def edges_and_values():
                if not listed:
                    _check_compressed(edge_index, where, validate)  # (before PyG's listing reads its offsets)
                    listed.append(edge_list(edge_index))
                return listed[0]

            nnz = edge_index.nnz() if isinstance(edge_index, SparseTensor) else edge_index._nnz()
            # (torch builds a sparse tensor without checking its indices: they are checked as an edge index's)
            return GraphView(n, nnz, edges=lambda: edges_and_values()[:2], weights=lambda: edges_and_values()[2],
                             batch=batch, num_graphs=num_graphs, edges_name="the sparse adjacency",
                             key=self.graph_key(edge_index, None))
        if not isinstance(edge_index, Tensor):
            raise TypeError(f"{where}: edge_index must be a [2, num_edges] tensor, a torch_geometric.EdgeIndex, a "
                            f"torch sparse adjacency or a torch_sparse.SparseTensor, got {type(edge_index).__name__}")
        if edge_index.dim() != 2 or edge_index.size(0) != 2:
            raise ValueError(f"{where}: edge_index must have shape [2, num_edges], got {tuple(edge_index.shape)}")
        check_same_device(x, edge_index, where, "edge_index")
        if type(edge_index) is not Tensor and hasattr(edge_index, "sparse_size"):  # EdgeIndex
            rows, cols = edge_index.sparse_size()
            # PyG's message passing fills an unknown size from x: (None, 5) for 10 nodes is a 10 x 5 graph
            read = (n if rows is None else rows, n if cols is None else cols)
            if read[0] != read[1]:
                raise ValueError(square_error(where, f"got an EdgeIndex of sparse size ({rows}, {cols}) for {n} nodes, "
                                                     f"which PyG's message passing reads as {read[0]} x {read[1]}",
                                              f"For a graph of {n} nodes set both sizes, "
                                              f"edge_index.sparse_resize_({n}, {n}); for a bipartite one, "
                                              + self.subgraph_hint[:1].lower() + self.subgraph_hint[1:]))
            known = rows if rows is not None else cols
            # more nodes than x has rows (as PyG's layers, which take a smaller size: one PyG infers from the
            # largest index, with the nodes after it isolated)
            if known is not None and known > n:
                raise ValueError(f"{where}: the EdgeIndex has sparse size ({rows}, {cols}) but the node features "
                                 f"have {n} rows; give x one row per node of the EdgeIndex, or build it with "
                                 f"sparse_size=({n}, {n})")
        src, dst, _ = edge_list(edge_index)
        return GraphView(n, src.numel(), edges=lambda: (src, dst), edge_weight=edge_weight, batch=batch,
                         num_graphs=num_graphs, key=self.graph_key(edge_index, edge_weight))

    @classmethod
    def graph_failure_hint(cls, exc: BaseException, graph, x) -> Optional[str]:
        """A PyG function failed on an ``EdgeIndex`` of a smaller sparse size than the graph's nodes
        (its message names the size), on a CSC adjacency (its message names the layout) or, on the CPU,
        on a half-precision one (its message names the dtype): formats that not every PyG layer takes.
        The format to pass instead; None for any other error."""
        tb = exc.__traceback__
        while tb is not None and tb.tb_next is not None:
            tb = tb.tb_next
        if tb is None or f"{os.sep}torch_geometric{os.sep}" not in tb.tb_frame.f_code.co_filename:
            return None  # (raised outside PyG)
        text, n = str(exc), (x.size(0) if isinstance(x, Tensor) else None)
        if type(graph) is not Tensor and hasattr(graph, "sparse_size"):  # EdgeIndex
            size = tuple(graph.sparse_size())
            smaller = [k for k in size if k is not None and n is not None and k < n]
            if not smaller or f"expected size {smaller[0]}" not in text:
                return None
            return (f"PyG failed on the EdgeIndex of sparse size {size} for {n} nodes, which not every PyG layer "
                    f"takes: give it the size of the graph, edge_index.sparse_resize_({n}, {n})")
        if not is_sparse(graph):
            return None
        layout = getattr(graph, "layout", None)
        values = graph.values() if isinstance(graph, Tensor) else graph.storage.value()
        half = (values is not None and values.dtype in (torch.float16, torch.bfloat16) and values.device.type == "cpu"
                and ("'Half'" in text or "'BFloat16'" in text))
        csc = layout == torch.sparse_csc and ("csc" in text.lower())
        if not (half or csc):  # (another cause: the error passes as it is)
            return None
        what = "CSC" if layout == torch.sparse_csc else "CSR" if layout == torch.sparse_csr else "COO"
        return (f"PyG failed on the {what} sparse adjacency"
                + (f" of {values.dtype} values, which the CPU's sparse products do not take" if half else
                   ", a format that not every PyG layer takes")
                + ": pass the same graph as an edge index, which every PyG layer takes: "
                + _as_edge_index("edge_weight") + " (adj_t's rows are the destinations)"
                + (", or as a CSR matrix, adj_t.to_sparse_csr()" if not half else ""))

    def traceable(self, edge_index, edge_weight: Optional[Tensor]) -> bool:
        """A plain ``[2, E]`` index tensor (with plain weights, or none): ``torch.compile`` traces its
        set-up. An ``EdgeIndex`` or a sparse adjacency is read outside the compiled graph."""
        return (type(edge_index) is Tensor and edge_index.layout == torch.strided
                and (edge_weight is None or type(edge_weight) is Tensor))

    def call(self, conv: nn.Module, z: Tensor, edge_index, **kwargs) -> Tensor:
        return conv(z, edge_index, **kwargs)

    def edge_list(self, edge_index, edge_weight: Optional[Tensor]) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        return edge_list(edge_index, edge_weight)

    def in_edges(self, edge_index, edge_weight: Optional[Tensor]) -> Optional[tuple[Tensor, Tensor, Optional[Tensor]]]:
        """A torch sparse CSR ``adj_t`` is grouped by destination already (its rows); None otherwise."""
        if isinstance(edge_index, Tensor) and edge_index.layout == torch.sparse_csr:
            return edge_index.crow_indices(), edge_index.col_indices(), edge_index.values()
        return None

    def graph_key(self, edge_index, edge_weight: Optional[Tensor]) -> Optional[GraphKey]:
        """The edge index (a tensor, an ``EdgeIndex``, a torch sparse adjacency) and the edge weights,
        each by identity, storage, ``_version`` counter, shape, dtype and device. None for a
        ``SparseTensor``, and when weights (a sparse matrix's values too) require gradients."""
        if not isinstance(edge_index, Tensor) or isinstance(edge_index, SparseTensor):
            return None
        if edge_index.requires_grad or (isinstance(edge_weight, Tensor) and edge_weight.requires_grad):
            return None
        graph = tensor_key(edge_index)
        weight = tensor_key(edge_weight) if edge_weight is None or isinstance(edge_weight, Tensor) else None
        if graph is None or weight is None:
            return None
        return GraphKey(("pyg", graph.token, weight.token), graph.objects + weight.objects)


class SquareWidths:
    """``in_channels`` and ``out_channels``, the names PyG's tools read off a ``MessagePassing`` module
    (``GraphMaskExplainer``), of a square module's ``channels`` (a mixin)."""

    @property
    def in_channels(self) -> int:
        """The input width (``channels``: the module is square), under PyG's name."""
        return self.channels

    @property
    def out_channels(self) -> int:
        """The output width (``channels``), under PyG's name."""
        return self.channels


#: ``MessagePassing``'s hooks on the steps of ``propagate`` (each as ``_<step>_forward[_pre]_hooks``)
PROPAGATE_STEPS = ("propagate", "message", "aggregate", "message_and_aggregate", "edge_update")
#: the attribute of ``MessagePassing`` that holds each kind of those hooks, and its step
_PROPAGATE_HOOKS = {f"_{step}_forward{pre}_hooks": step for step in PROPAGATE_STEPS for pre in ("", "_pre")}


def _check_no_edge_mask(layer: nn.Module, where: str) -> None:
    """Refuse an explainer's edge mask (PyG's ``set_masks``, as ``Explainer`` sets it) with a sparse
    adjacency: the mask's entries follow the columns of the edge index it was made for, and the edges a
    sparse matrix lists come in its own order, so the mask would weight other edges."""
    masked = [m for m in layer.modules()
              if isinstance(m, MessagePassing) and m.explain and getattr(m, "_edge_mask", None) is not None]
    if masked:
        on = "this layer" if masked[0] is layer else f"its {type(masked[0]).__name__}"
        raise ValueError(f"{where}: an explainer's edge mask is set on {on}, and its entries follow the columns of "
                         "the edge_index it was made for; a sparse adjacency lists the edges in another order, so the "
                         "mask would weight other edges. Pass the graph as that edge_index (PyG's Explainer takes "
                         "one), or remove the mask first (torch_geometric.explain.algorithm.utils.clear_masks)")


class PyGLayer:
    """The calling convention of this package's iterative layers (a mixin before the core's layer
    base): PyG's order, ``forward(x, edge_index, edge_weight=None, ...)``."""

    adapter = PyGAdapter

    def _check_message_wrappers(self) -> None:
        """Refuse what would rewrite the layer's own messages, which no step passes (each step runs the
        operator's ``propagate``): ``to_hetero_with_bases``' relation weights (a hook on the layer's
        ``message``) and ``GraphMaskExplainer``'s gates (an ``explain_message`` of its own)."""
        where = type(self).__name__
        if "edge_type_weight" in self._parameters:
            raise RuntimeError(
                f"{where}: PyG's to_hetero_with_bases weights each relation's messages with a hook on the layer's own "
                "message step, which the iteration never runs (each step runs the operator's propagate): the weights "
                "would change nothing. Use to_hetero, or HeteroConv")
        gated = [m for m in (self, getattr(self, "operator", None))
                 if isinstance(m, MessagePassing) and m.explain and "explain_message" in m.__dict__]
        if gated:
            for m in gated:  # leave the layer as it was before the explainer, so that it still runs
                del m.explain_message
                m.explain = None  # (as never explained: PyG's explainers skip a layer set to False)
            raise RuntimeError(
                f"{where}: GraphMaskExplainer gates each layer's messages once per forward pass; the iteration passes "
                "the operator's messages at every step, so those gates cannot explain it (its gates were removed from "
                "this layer again). Use GNNExplainer or PGExplainer, which mask the edges at every step")

    def _warn_unrun_propagate_hooks(self) -> None:
        """Hooks on the layer's own ``propagate`` steps (``register_message_forward_hook`` ...) never run:
        each step runs the operator's ``propagate``, where such hooks run at every step."""
        hooks = user_hooks(self, _PROPAGATE_HOOKS)
        if not hooks:
            return
        where = type(self).__name__
        steps = [step for step in PROPAGATE_STEPS if any(_PROPAGATE_HOOKS[name] == step for name, _ in hooks)]
        warn_unrun_hooks_once(self, hooks, "_unrun_propagate_hooks",
                              f"{where}: the hooks registered on the layer's own {', '.join(steps)} are not run: each "
                              f"step runs {where}.operator's propagate ({type(self.operator).__name__}); register them "
                              "on layer.operator, where they run at every step")

    def forward(self, x: Tensor, edge_index, edge_weight: Optional[Tensor] = None, batch: Optional[Tensor] = None,
                z_init: Optional[Tensor] = None, return_info: bool = False, num_graphs: Optional[int] = None,
                edge_attr: Optional[Tensor] = None):
        """Iterate on the graph ``edge_index`` from the node features ``x``.

        Args:
            x: node features ``[N, C]``.
            edge_index: ``[2, E]`` edge indices (messages ``edge_index[0] -> edge_index[1]``), an
                ``EdgeIndex``, a torch sparse ``adj_t`` or a ``SparseTensor`` (values are weights).
            edge_weight: ``[E]`` edge weights (not with a sparse adjacency).
            batch: ``[N]`` graph of each node: each graph converges and stops on its own.
            z_init: warm start of the iteration's width (``[N, out_channels]`` for ``PIGNConv``), e.g. the
                previous epoch's fixed point, detached (default: ``x``, or ``x`` mapped to
                ``out_channels`` when the widths differ).
            return_info: also return the :class:`~iterative_core.FixedPointInfo`.
            num_graphs: the number of graphs in ``batch`` (saves one synchronisation); without
                ``batch`` the nodes are one graph, and only 1 is accepted.
            edge_attr: ``[E, D]`` edge features, passed at every step to a wrapped layer whose
                ``forward`` takes ``edge_attr`` (``GINEConv``, ``GATConv(edge_dim=...)``); with an
                edge index only.
        """
        self._check_message_wrappers()
        if not is_compiling():
            self._warn_unrun_propagate_hooks()
        return self._run(x, edge_index, edge_weight, batch=batch, num_graphs=num_graphs, z_init=z_init,
                         return_info=return_info, edge_attr=edge_attr)
