"""DGL's side of the core's adapter contract (:mod:`iterative_core.adapter`).

Accepted: a homogeneous ``DGLGraph`` (also a ``dgl.batch`` of graphs, whose batch vector each graph's
convergence is measured on), with edge weights as a tensor or as the name of an edge feature.
Blocks (message-flow graphs), bipartite graphs and heterographs are refused: the iteration feeds its
output back in as its input, so it needs one node set.
"""
from __future__ import annotations

import numbers
import weakref
from typing import Optional, Union

import torch
from dgl import DGLError, DGLGraph
try:  # (DGL's own reading of a graph's allowed formats, without building the dict graph.formats() returns)
    from dgl.heterograph_index import _CAPI_DGLHeteroGetAllowedFormats
except ImportError:  # pragma: no cover - another DGL's internals
    _CAPI_DGLHeteroGetAllowedFormats = None
from torch import Tensor, nn

from iterative_core.adapter import GraphAdapter, GraphKey, GraphView, WidthNames, is_compiling, tensor_key
from iterative_core.checks import got
from iterative_core.validation import check_same_device
from iterative_core.wrapping import square_error

__all__ = ["DGLAdapter", "DGLLayer", "resolve_edge_weight", "batch_vector", "check_feat_rows", "check_square_graph"]


def weights_by_name(edge_weight: Union[Tensor, str, None]) -> Optional[str]:
    """How messages show edge weights given as an edge feature's name (``graph.edata['w']``); None for
    weights given as a tensor (or none)."""
    return f"graph.edata[{edge_weight!r}]" if isinstance(edge_weight, str) else None


def resolve_edge_weight(graph, edge_weight: Union[Tensor, str, None], where: str) -> Optional[Tensor]:
    """The edge weights as a tensor: ``edge_weight`` itself or ``graph.edata[edge_weight]``."""
    if isinstance(edge_weight, str):
        if edge_weight not in graph.edata:
            raise KeyError(f"{where}: edge_weight={edge_weight!r} is not an edge feature of the graph; "
                           f"edge features: {sorted(graph.edata.keys())}")
        return graph.edata[edge_weight]
    return edge_weight


# the batch vector of each batched graph still alive, built once (GraphPIGN's readout and the layer share it)
_BATCH_VECTORS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


@torch.compiler.disable  # (DGL's C functions cannot be traced; the layers call it in their set-up, outside)
def with_coo(graph):
    """``graph``, or for a graph whose formats exclude COO (``g.formats("csc")``, ``g.formats("csr")``) a
    copy that allows all three, sharing its features (made from the graph's own format when first
    needed): DGL lists edges in id order, and its kernels compute the edge weights' gradient and GAT's
    attention, only with COO (they failed inside DGL's C library)."""
    if not isinstance(graph, DGLGraph):
        return graph
    if _CAPI_DGLHeteroGetAllowedFormats is not None:  # (a few microseconds)
        allows_coo = "coo" in _CAPI_DGLHeteroGetAllowedFormats(graph._graph)
    else:  # the public reading, slower
        formats = graph.formats()
        allows_coo = "coo" in formats["created"] or "coo" in formats["not created"]
    if allows_coo:
        return graph
    copy = graph.formats(["coo", "csr", "csc"])
    _mark_copy(copy, graph)  # (the caches know the copy as the graph it copies: the same structure)
    return copy


@torch.compiler.disable  # (as with_coo: DGL's graph objects cannot be traced)
def for_one_call(graph):
    """A copy of ``graph`` (DGL's ``local_var``: the same structure and data, new data frames) for one
    call of a layer, known to the caches as ``graph``: the steps write their node and edge data (DGL's
    ``local_scope``) into the copy, so that threads calling layers on one graph object never read each
    other's (DGL's own layers do: 30 of 600 calls of a ``SAGEConv`` on a shared graph were wrong)."""
    if not isinstance(graph, DGLGraph):
        return graph
    copy = graph.local_var()
    _mark_copy(copy, _source(graph))
    return copy


def _mark_copy(copy, source) -> None:
    """Mark ``copy`` as ``source``'s for the caches, with the copy's structure (its index object). DGL's
    graph edits (``dgl.remove_edges``, ``add_self_loop`` ...) clone a graph with its attributes but give
    it a new index, and a graph derived so must not be taken for ``source`` (its propagation was served
    for another structure); ``local_var()`` and ``copy.copy`` keep the index, and the mark holds."""
    copy._iterative_source = (source, copy._graph)


def _source(graph):
    """The graph that :func:`with_coo` or :func:`for_one_call` copied, else ``graph`` itself (also for a
    graph derived from such a copy, which carries the copy's mark on another structure)."""
    mark = getattr(graph, "_iterative_source", None)
    return mark[0] if mark is not None and mark[1] is getattr(graph, "_graph", None) else graph


def check_square_graph(where: str, graph) -> None:
    """Refuse a graph the iteration cannot run on: a block (message-flow graph), a bipartite graph or a
    heterograph of several node or edge types."""
    if graph.is_block or graph.num_src_nodes() != graph.num_dst_nodes():
        kind = "a block (message-flow graph)" if graph.is_block else "a bipartite graph"
        apart = (", two node sets even where their counts agree"
                 if graph.is_block and graph.num_src_nodes() == graph.num_dst_nodes() else "")
        raise ValueError(square_error(
            where, f"got {kind} with {graph.num_src_nodes()} source and {graph.num_dst_nodes()} destination "
            f"nodes{apart}", DGLAdapter.subgraph_hint))
    if len(graph.ntypes) > 1 or len(graph.etypes) > 1:
        raise ValueError(
            f"{where}: got a heterograph with node types {graph.ntypes} and edge types {graph.etypes}; the "
            "iteration needs one node set and one edge set. Convert it with dgl.to_homogeneous(graph) (node "
            "features of one width), or iterate one relation, e.g. graph[etype] of a single node type")


def check_feat_rows(where: str, feat: Tensor, graph) -> None:
    """Refuse node features with another number of rows than ``graph`` has nodes."""
    if feat.size(0) != graph.num_nodes():
        raise ValueError(f"{where}: feat has {feat.size(0)} rows but the graph has {graph.num_nodes()} nodes")


def _counts(counts: Tensor) -> str:
    shown = counts[:8].tolist()
    return str(shown) if counts.numel() <= 8 else str(shown)[:-1] + f", ... ({counts.numel()} graphs)]"


def batch_vector(graph, where: str = "batch_vector") -> tuple[Optional[Tensor], Optional[int]]:
    """``(batch, num_graphs)`` of a batched graph (from ``graph.batch_num_nodes()``), ``(None, None)``
    for a single graph. Built once per graph and batch structure; counts that do not sum to the nodes
    are an error that ``where`` begins."""
    graph = _source(graph)
    if getattr(graph, "_batch_num_nodes", ()) is None:
        # a graph that never had batch sizes: asking for them would store int tensors of its idtype on it,
        # which .int() / .long() copy unconverted, so that a later dgl.batch of the copy failed
        return None, None
    num_graphs = graph.batch_size
    if num_graphs <= 1:
        return None, None
    counts = graph.batch_num_nodes()
    known = _BATCH_VECTORS.get(graph)
    # the same tensor, unchanged: set_batch_num_nodes keeps the tensor it is given, which may be
    # changed in place and set again
    # (a tensor made under torch.inference_mode has no version counter: it is known by identity alone)
    version = "inference" if counts.is_inference() else counts._version
    # (a vector built under torch.inference_mode serves only there: autograd cannot save it for a training step)
    if (known is not None and known[0] is counts and known[1] == version
            and (not known[2].is_inference() or torch.is_inference_mode_enabled())):
        return known[2], num_graphs
    total, n = int(counts.sum()), graph.num_nodes()  # (set_batch_num_nodes takes any counts)
    if total != n or bool((counts < 0).any()):
        raise ValueError(f"{where}: the graph's batch_num_nodes() {_counts(counts)} "
                         + (f"holds a negative count" if total == n else f"sums to {total}, but the graph has {n} nodes")
                         + ": set_batch_num_nodes() needs one count per graph, each >= 0, summing to the nodes "
                           "(or batch the graphs with dgl.batch, which sets them)")
    ids = torch.arange(num_graphs, device=counts.device)
    batch = torch.repeat_interleave(ids, counts, output_size=n)
    _BATCH_VECTORS[graph] = (counts, version, batch)
    return batch, num_graphs


class DGLAdapter(GraphAdapter):
    """DGL's graphs (``DGLGraph``, ``dgl.batch``) and layers (``conv(graph, feat, ...)``)."""

    name = "dgl"
    # DGL's layers whose reset_parameters draws the weights but keeps the biases, or the module given to them
    resets_keep = {"dgl.nn.pytorch.conv.sageconv.SAGEConv": ("fc_self.bias", "fc_pool.bias", "bias"),
                   "dgl.nn.pytorch.conv.tagconv.TAGConv": ("lin.bias",),
                   "dgl.nn.pytorch.conv.nnconv.NNConv": ("edge_func",)}
    # (in_channels / out_channels last: this library's PIGNConv, and modules named as in PyG)
    widths = WidthNames(inputs=("_in_src_feats", "_in_feats", "in_feats", "in_channels"), input_dst=("_in_dst_feats",),
                        outputs=("_out_feats", "out_feats", "out_channels"), heads=("_num_heads", "num_heads"),
                        mlps=("apply_func", "mlp", "theta"), squares=("channels",))  # theta: EdgeConv's Linear(in, out)
    square_hint = ("Build it with in_feats == out_feats (attention layers: out_feats * num_heads == in_feats, "
                   "heads concatenated, e.g. GATConv(C, C // num_heads, num_heads=num_heads)).")
    subgraph_hint = ("Iterate on a node-induced subgraph instead: dgl.node_subgraph, dgl.khop_in_subgraph, or the "
                     "subgraphs dgl.dataloading.ClusterGCNSampler / ShaDowKHopSampler yield (not the blocks of "
                     "NeighborSampler).")
    batch_hint = "batch the graphs with dgl.batch (which carries the batch vector), or pass none"
    call_form = "conv(graph, feat[, edge_weight=w])"
    # DGL's layers name their edge features each their own way (GINEConv: edge_feat; NNConv: efeat; CFConv:
    # edge_feats)
    edge_feature_keywords = ("edge_feat", "efeat", "efeats", "edge_feats", "edge_attr")
    edge_feature_examples = "a layer whose forward takes them (GINEConv's edge_feat, NNConv's efeat)"
    relations_hint = "HeteroGraphConv"
    pair_of_one_tensor_is_one_node_set = True  # (HeteroGraphConv passes (x, x) for a relation within one type)
    _dense = ("takes a dense adjacency matrix, not a DGLGraph, and the iteration passes the graph; iterate its "
              "sparse counterpart on the graph ({})")
    refused_layers = {
        "dgl.nn.pytorch.conv.grouprevres.GroupRevRes": (
            "it frees the storage of its input at every call (DGL's memory-saving reversible residual), and the "
            "iteration reads each step's input again (the process would crash). Iterate the layer it groups: "
            "IterativeConv(layer)"),
        "dgl.nn.pytorch.conv.densegraphconv.DenseGraphConv": _dense.format("GraphConv"),
        "dgl.nn.pytorch.conv.densesageconv.DenseSAGEConv": _dense.format("SAGEConv"),
        "dgl.nn.pytorch.conv.densechebconv.DenseChebConv": _dense.format("ChebConv"),
        "dgl.nn.pytorch.conv.dgnconv.DGNConv": (
            "it needs the graph's Laplacian eigenvectors (eig_vec) at each call, which the iteration does not "
            "pass. Iterate a module whose forward(graph, feat) calls it with them (its other inputs fixed)"),
        "dgl.nn.pytorch.hetero.HeteroGraphConv": (
            "it maps the features of several node types, one dict of them, and the iteration runs on one node "
            "set. Iterate each relation's layer instead: HeteroGraphConv({etype: IterativeConv(layer), ...})"),
    }

    def edge_ordered(self, graph) -> bool:
        return True  # a DGLGraph's edges have ids: edge features follow them
    # DGL's message passing calls into its C library, which torch.compile cannot trace
    traceable_layers = False

    @classmethod
    def relation(cls, graph) -> str:
        """`` on relation (src type, edge type, dst type)`` for a relation graph of a heterograph (what
        ``HeteroGraphConv`` gives each module); empty for a homogeneous graph."""
        if not isinstance(graph, DGLGraph) or len(graph.canonical_etypes) != 1:
            return ""
        etype = graph.canonical_etypes[0]
        return "" if etype == ("_N", "_E", "_N") else f" on relation {etype}"

    @classmethod
    def check_order(cls, where: str, x, graph) -> None:
        if not hasattr(graph, "num_src_nodes"):  # a DGLGraph's (a block's too)
            raise TypeError(f"{where}: expected a DGLGraph as the first argument, in DGL's order "
                            f"{cls.call_form}, got {got(graph)}")

    def read_graph(self, layer: nn.Module, feat: Tensor, graph, edge_weight, batch: Optional[Tensor],
                   num_graphs: Optional[int]) -> GraphView:
        where = type(layer).__name__
        self.check_order(where, feat, graph)
        check_square_graph(where, graph)
        n = graph.num_nodes()
        check_feat_rows(where, feat, graph)
        check_same_device(feat, graph, where)
        own, own_count = batch_vector(graph, where)  # its counts sum to the nodes (checked when built)
        from_graph = batch is None or batch is own
        if batch is None:
            batch, num_graphs = own, own_count
        by_name = weights_by_name(edge_weight)
        edge_weight = resolve_edge_weight(graph, edge_weight, where)
        return GraphView(n, graph.num_edges(), edges=graph.edges, edge_weight=edge_weight,
                         batch=batch, num_graphs=num_graphs, batch_from_graph=from_graph, index_check=False,
                         key=self.graph_key(graph, edge_weight), weights_by_name=by_name)

    def usable_graph(self, graph):
        return for_one_call(with_coo(graph))

    def edge_list(self, graph, edge_weight) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        src, dst = graph.edges()
        return src, dst, resolve_edge_weight(graph, edge_weight, "DGLAdapter.edge_list")

    def in_edges(self, graph, edge_weight) -> Optional[tuple[Tensor, Tensor, Optional[Tensor]]]:
        """The in-edges from DGL's CSC format (made once per graph and kept by DGL; building it is
        cheaper than sorting the edge list: see ``benchmarks/NOTES.md``). None for a graph whose
        formats exclude CSC (``graph.formats("coo")``): the core sorts its edge list then."""
        formats = graph.formats()
        if "csc" not in formats["created"] and "csc" not in formats["not created"]:
            return None
        indptr, src, eids = graph.adj_tensors("csc")
        w = resolve_edge_weight(graph, edge_weight, "DGLAdapter.in_edges")
        if w is not None:
            w = w.reshape(-1)
            if eids.numel():  # DGL leaves it empty when the edges are in id order
                w = w.index_select(0, eids.long())
        return indptr, src, w

    def graph_key(self, graph, edge_weight) -> Optional[GraphKey]:
        """The graph object, its structure (DGL replaces a graph's index object at every
        ``add_edges``, ``remove_edges``, ``add_nodes`` ...), node and edge counts, device and index
        dtype, and the edge weights' tensor (identity, storage, ``_version``; a name is read from
        ``graph.edata``). None when the weights require gradients."""
        w = resolve_edge_weight(graph, edge_weight, "DGLAdapter.graph_key")
        graph = _source(graph)
        index = getattr(graph, "_graph", None)
        if index is None or is_compiling():
            return None
        if w is not None and (not isinstance(w, Tensor) or w.requires_grad):
            return None
        weight = tensor_key(w)
        if weight is None:
            return None
        token = ("dgl", id(graph), id(index), graph.num_nodes(), graph.num_edges(), graph.idtype, graph.device,
                 weight.token)
        return GraphKey(token, (graph, index) + weight.objects)

    def call(self, conv: nn.Module, z: Tensor, graph, **kwargs) -> Tensor:
        out = conv(graph, z, **kwargs)
        first = out[0] if isinstance(out, tuple) and out else out  # (features, attention) when asked
        if isinstance(first, Tensor) and first.dim() == 3 and z.dim() == 2:
            return first.flatten(1)  # DGL's attention layers return [N, heads, F]: the heads concatenated
        return out


class DGLLayer:
    """The calling convention of this package's iterative layers (a mixin before the core's layer
    base): DGL's order, ``forward(graph, feat, edge_weight=None, ...)``."""

    adapter = DGLAdapter

    def forward(self, graph, feat: Tensor, edge_weight: Union[Tensor, str, None] = None,
                batch: Optional[Tensor] = None, z_init: Optional[Tensor] = None, return_info: bool = False,
                num_graphs: Optional[int] = None, edge_attr: Optional[Tensor] = None):
        """Iterate on ``graph`` from the node features ``feat``.

        Args:
            graph: a homogeneous ``DGLGraph``, or a ``dgl.batch`` of graphs (each converges and stops
                on its own).
            feat: node features ``[N, C]``.
            edge_weight: ``[E]`` edge weights, or the name of an edge feature.
            batch: ``[N]`` graph of each node (default: the batched graph's own).
            z_init: warm start of the iteration's width (``[N, out_feats]`` for ``PIGNConv``), e.g. the
                previous epoch's fixed point, detached (default: ``feat``, or ``feat`` mapped to
                ``out_feats`` when the widths differ).
            return_info: also return the :class:`~iterative_core.FixedPointInfo`.
            num_graphs: the number of graphs in ``batch`` (without ``batch``: the batched graph's
                ``batch_size``, which it must equal).
            edge_attr: ``[E, D]`` edge features in the graph's edge order, passed at every step to a
                wrapped layer that takes them (``GINEConv``'s ``edge_feat``, ``NNConv``'s ``efeat``).
        """
        if (batch is None and isinstance(num_graphs, numbers.Integral) and not isinstance(num_graphs, bool)
                and isinstance(graph, DGLGraph)):  # the graph's own batch: its count, or a mistake
            if num_graphs != graph.batch_size:
                raise ValueError(f"{type(self).__name__}: num_graphs={num_graphs}, but the graph holds "
                                 f"{graph.batch_size} graph(s) (its batch_size); leave num_graphs out, or pass the "
                                 "batch vector it counts")
            num_graphs = None
        try:
            return self._run(feat, graph, edge_weight, batch=batch, num_graphs=num_graphs, z_init=z_init,
                             return_info=return_info, edge_attr=edge_attr)
        except DGLError as err:  # (raised by DGL's C library, e.g. for a dtype its kernels do not take)
            if isinstance(feat, Tensor) and feat.dtype == torch.float16 and "Feature data can only be" in str(err):
                raise TypeError(
                    f"{type(self).__name__}: feat has dtype torch.float16, which DGL's CPU kernels do not take "
                    "(they take bfloat16, float32 and float64) and this layer's operator runs at every step; "
                    "convert the layer and its features with .bfloat16() or .float(), or run on a GPU") from None
            raise
