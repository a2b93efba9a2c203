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
attribute ``adapter``, and so does its GCN operator (a subclass of
:class:`~iterative_core.layer.GCNOperatorBase`), for which the adapter says how to read a graph:

* :meth:`GraphAdapter.edge_list`: ``(src, dst, weight)``; the core builds the normalised matrix
  from it as a CSR matrix and iterates one fused sparse-dense product per step (both adapters);
* :meth:`GraphAdapter.in_edges` (optional): the edges grouped by destination, where the graph
  already holds them so (DGL's CSC format, a CSR ``adj_t``), which spares the core a sort;
* :meth:`GraphAdapter.graph_key` (optional): the graph's identity and version (a :class:`GraphKey`),
  under which the checks and the propagation are reused while the same graph comes back unchanged;
* :meth:`GraphAdapter.traceable` (optional): whether ``torch.compile`` can trace the reading of a
  graph argument (PyG: a plain edge index), so that the set-up joins the iteration's compiled graph;
  and the class attribute ``traceable_layers``: whether it can trace the ecosystem's layers.

A forward pass of ``PIGNConv``, from the adapter to the core:

1. ``PIGNConv.forward(...)`` in the ecosystem's argument order calls ``self._run(...)``, the
   forward pass of :class:`~iterative_core.wrapping.OperatorLayerBase` (protected: an adapter's
   layers call it, their users call ``forward``);
2. the set-up (``_setup``) checks the features, ``z_init`` and ``batch``, asks the adapter for the
   :class:`GraphView` and checks it (:func:`check_graph_view`: index range, edge weights, a batch
   vector that cuts no edge; the checks that read every edge once per graph key);
3. the set-up binds the operator to the graph once: the GCN operator builds its propagation matrix
   from the adapter's edges (:meth:`GCNOperatorBase.build_propagation`), or reuses the one it built
   for the same unchanged graph (:meth:`GCNOperatorBase.prepare`: a small cache keyed on
   :meth:`GraphAdapter.graph_key`; with ``cached=True`` the first graph's, PyG's convention), bounds
   its norm per graph and rescales its weight when ``contraction`` is set
   (:meth:`GCNOperatorBase.bind`); any other layer is called through :meth:`GraphAdapter.call` at
   every step;
4. ``_run`` solves the fixed point (:func:`~iterative_core.fixed_point`).

Under ``torch.compile`` step 4 is traced whole, into one graph: the GCN operator's steps become the
edge-list product (the compiler cannot trace sparse tensors). The set-up is traced with it when it
reads nothing back (``validate=False``) and the adapter says the graph argument is
:meth:`~GraphAdapter.traceable` (the propagation is then normalised inside the graph, at every call);
otherwise it runs outside the compiled graph, as in eager mode, with its cache: one graph break before
the iteration. The convergence policies, which read the residuals, run after it.

A third ecosystem needs one short file: see ``tests/adapters/dense_adapter.py``, which iterates over
a dense adjacency matrix without touching the core.
"""
from __future__ import annotations

import weakref
from collections import OrderedDict
from dataclasses import dataclass, replace
from typing import Any, Callable, ClassVar, Hashable, Iterable, Mapping, Optional

import torch
from torch import Tensor, nn

from ._compile import is_compiling
from .checks import check_int, got
from .validation import check_batch_edges, check_edge_weight, check_edges

__all__ = ["GraphAdapter", "GraphView", "WidthNames", "check_graph_view", "GraphKey", "GraphCache", "tensor_key",
           "is_compiling"]


@dataclass(frozen=True)
class WidthNames:
    """The attribute names under which an ecosystem's layers keep their widths.

    ``inputs``: the input width (a pair for a layer built for bipartite graphs); ``input_dst``: a
    separate destination width; ``outputs``: the output width (per head); ``heads``: the number of
    heads, concatenated when the layer's ``concat`` is True, and, without a ``concat``, when
    ``heads_concatenated`` (DGL's layers, whose ``[N, heads, F]`` output is flattened; PyG's layers
    without ``concat`` average or sum their heads, or count them in their width); ``mlps``: a child
    module whose first and last linear maps give the widths (GIN); ``squares``: one width for input
    and output, of a layer square by construction (PyG's ``GPSConv(channels, ...)``, whatever its
    heads). torch's own ``nn.Linear`` names are always known.
    """

    inputs: tuple[str, ...] = ()
    input_dst: tuple[str, ...] = ()
    outputs: tuple[str, ...] = ()
    heads: tuple[str, ...] = ()
    mlps: tuple[str, ...] = ()
    squares: tuple[str, ...] = ()
    heads_concatenated: bool = True


class GraphKey:
    """The identity and the version of a graph argument: equal tokens mean the same objects, unchanged.

    ``token`` is hashable and names each object by ``id()`` beside what identifies its content (for a
    tensor: storage address, ``_version`` counter, shape, strides, dtype, device; see
    :func:`tensor_key`); ``objects`` are those objects. A key holds them for one call only; a
    :class:`GraphCache` keeps weak references, so that an entry is served only while they live (an
    ``id()`` is unique among live objects) and is dropped when one of them is collected.

    What a key cannot see: an edit that bypasses the version counter (through ``tensor.data``, NumPy
    or DLPack memory shared with the tensor, the tensors a ``DGLGraph`` returns from ``edges()``, or
    the tensors a sparse adjacency was made from, ``torch.sparse_csr_tensor(crow, col, w)``, whose
    memory it shares under a version counter of its own, or a write by another process through shared
    memory). After such an edit, pass a new tensor or graph object, or set the GCN operator's
    ``graph_cache_size = 0``, which keeps neither its propagations nor the graph's checks.
    """

    __slots__ = ("token", "objects")

    def __init__(self, token: Hashable, objects: Iterable[Any] = ()) -> None:
        self.token = token
        self.objects = tuple(objects)

    def extend(self, token: Hashable = (), objects: Iterable[Any] = ()) -> "GraphKey":
        """This key with more to tell apart (options, another tensor)."""
        return GraphKey((self.token, token), self.objects + tuple(objects))

    def __repr__(self) -> str:
        return f"GraphKey({self.token!r})"


def _sparse_parts(t: Tensor) -> Optional[tuple[Tensor, ...]]:
    if t.layout == torch.sparse_coo:
        return t._indices(), t._values()
    if t.layout == torch.sparse_csr:
        return t.crow_indices(), t.col_indices(), t.values()
    if t.layout == torch.sparse_csc:
        return t.ccol_indices(), t.row_indices(), t.values()
    return None


def _token(t: Tensor, objects: list) -> Optional[tuple]:
    if t.is_inference():  # made under torch.inference_mode(): no version counter tells an in-place edit
        return None
    objects.append(t)
    shape = tuple(t.shape)
    if t.layout != torch.strided:  # a sparse matrix: its components share its version counter
        parts = _sparse_parts(t)
        if parts is None:
            return None
        coalesced = t.is_coalesced() if t.layout == torch.sparse_coo else None
        return ("sparse", id(t), t.layout, t._version, shape, t.dtype, t.device, coalesced,
                tuple((p.data_ptr(), tuple(p.shape)) for p in parts))
    inner = getattr(t, "as_tensor", None)  # a wrapper subclass (PyG's EdgeIndex): its data is a plain tensor
    if type(t) is not Tensor and callable(inner):
        data = inner()
        if isinstance(data, Tensor) and data is not t:
            token = _token(data, objects)
            return None if token is None else ("wrapped", id(t), t._version, shape, token)
    try:
        ptr = t.data_ptr()
    except RuntimeError:  # no storage (a traced or wrapper tensor)
        return None
    if ptr == 0 and t.numel():
        return None
    return ("tensor", id(t), ptr, t._version, shape, t.stride(), t.storage_offset(), t.dtype, t.device)


def tensor_key(t: Optional[Tensor]) -> Optional[GraphKey]:
    """The :class:`GraphKey` of a tensor (dense, sparse COO / CSR / CSC, or a wrapper such as PyG's
    ``EdgeIndex``): any in-place change bumps its ``_version`` and so changes the key. None for
    ``None`` is a key too (``GraphKey(None)``); None is returned when the tensor cannot be keyed (no
    storage, an unknown layout, under ``torch.compile``, an inference tensor)."""
    if t is None:
        return GraphKey(None)
    if is_compiling():
        return None
    objects: list = []
    token = _token(t, objects)
    return None if token is None else GraphKey(token, objects)


def _dropper(cache_ref: "weakref.ref", token: Hashable) -> Callable[[Any], None]:
    def drop(_ref) -> None:
        cache = cache_ref()
        if cache is not None:
            cache._entries.pop(token, None)
    return drop


class GraphCache:
    """What was prepared for the last few graphs, keyed on their :class:`GraphKey`: a small LRU
    (``size`` entries, 0 keeps nothing). An entry is served only while every object of its key is
    alive, and dropped as soon as one is collected; copies and pickles of a cache are empty. An entry
    made under ``torch.inference_mode`` holds inference tensors, which autograd cannot save: it is
    served only inside inference mode (a training step after a validation pass builds its own)."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._entries: OrderedDict = OrderedDict()  # token -> (weak references, value, made in inference mode)

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Optional[GraphKey]) -> Any:
        """The value kept for ``key``, or None."""
        if key is None:
            return None
        entry = self._entries.get(key.token)
        if entry is None:
            return None
        refs, value, inference = entry
        if any(r() is None for r in refs):  # a dead object's id may name a new one: stale
            self._entries.pop(key.token, None)
            return None
        if inference and not torch.is_inference_mode_enabled():
            return None  # (kept for the next inference pass; a put outside inference mode replaces it)
        try:
            self._entries.move_to_end(key.token)
        except KeyError:  # dropped meanwhile (another thread, a collected object): still valid here
            pass
        return value

    def put(self, key: Optional[GraphKey], value: Any) -> None:
        """Keep ``value`` for ``key`` (evicting the least recently used entry beyond ``size``)."""
        if key is None or self.size <= 0:
            return
        drop = _dropper(weakref.ref(self), key.token)
        try:
            refs = tuple(weakref.ref(o, drop) for o in key.objects)
        except TypeError:  # an object that takes no weak reference cannot be watched: keep nothing
            return
        self._entries[key.token] = (refs, value, torch.is_inference_mode_enabled())
        self._entries.move_to_end(key.token)
        while len(self._entries) > self.size:
            try:
                self._entries.popitem(last=False)
            except KeyError:  # emptied meanwhile
                break

    def clear(self) -> None:
        self._entries.clear()

    def __getstate__(self) -> dict:
        return {"size": self.size}

    def __setstate__(self, state: dict) -> None:
        self.size = state["size"]
        self._entries = OrderedDict()


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
        batch_from_graph: the batch vector came from the graph itself (a ``dgl.batch``); it is checked
            as a given one is (``set_batch_num_nodes`` may set counts that cut an edge), and named as the
            graph's in the message.
        index_check: the edges may hold out-of-range indices (an edge index tensor, a torch sparse
            matrix, which torch builds without checking them); False where the graph object guarantees
            the range.
        edges_name: how messages name the edges (``"the edge index"``, ``"the sparse adjacency"``).
        key: the graph's identity and version (:meth:`GraphAdapter.graph_key`, covering the edges and
            ``edge_weight``); the checks of :func:`check_graph_view` that read every edge run once per
            key. None: checked at every call.
        weights_by_name: how the caller named ``edge_weight`` when it gave an edge feature's name
            (DGL's ``graph.edata['w']``), for the messages; None when it gave the tensor.
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
    edges_name: str = "the edge index"
    key: Optional[GraphKey] = None
    weights_by_name: Optional[str] = None


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
    #: whether ``torch.compile`` can trace this ecosystem's layers (:meth:`call`); when not, an iteration
    #: over one of them runs outside the compiled graph (the GCN operator's iteration is always traced)
    traceable_layers: ClassVar[bool] = True
    #: where a user finds the batch vector that matches a batch of graphs
    batch_hint: ClassVar[str] = "pass the batch vector of the graphs that were batched, or none"
    #: base classes (``module.QualName``) of this ecosystem whose ``reset_parameters`` resets only
    #: their own part, not the layers a subclass adds (see :func:`~iterative_core.wrapping.reset_module`)
    partial_resets: ClassVar[tuple[str, ...]] = ()
    #: parameters (by their name in the layer) that a layer's own ``reset_parameters`` leaves as they
    #: are, by the layer's class (``module.QualName``); see :func:`~iterative_core.wrapping.reset_module`
    resets_keep: ClassVar[Mapping[str, tuple[str, ...]]] = {}
    #: how this ecosystem's layers are called (what :meth:`call` does), for messages
    call_form: ClassVar[str] = "conv(x, graph)"
    #: the keyword by which this ecosystem's layers take the batch vector (PyG's ``batch``), handed to
    #: a wrapped layer whose ``forward`` names it; None where the graph carries it (DGL's ``dgl.batch``)
    batch_keyword: ClassVar[Optional[str]] = None
    #: the keywords under which this ecosystem's layers take edge features (``edge_attr=`` of the
    #: iterative layers is handed on under the first one a wrapped layer's ``forward`` names)
    edge_feature_keywords: ClassVar[tuple[str, ...]] = ("edge_attr",)
    #: layers that take edge features, for messages
    edge_feature_examples: ClassVar[str] = "a layer whose forward takes edge_attr"
    #: whether a pair of one tensor, ``(x, x)``, is one node set (DGL's ``HeteroGraphConv`` passes a
    #: relation within one node type so); where not (PyG's ``HeteroConv`` and ``to_hetero`` pass a pair only
    #: for a relation between two node types, whose features may be one tensor) it is refused as bipartite
    pair_of_one_tensor_is_one_node_set: ClassVar[bool] = False
    #: what to do with a pair of node features (a relation between two node sets), for messages
    pair_hint: ClassVar[str] = ""
    #: how this ecosystem gives each edge type its own layer, for messages
    relations_hint: ClassVar[str] = "one layer per edge type"
    #: this ecosystem's layers that cannot be iterated although their signature looks like a graph
    #: layer's, by class (``module.QualName``; not their subclasses): why, and what to do instead
    refused_layers: ClassVar[Mapping[str, str]] = {}

    @classmethod
    def refusal(cls, layer) -> Optional[str]:
        """Why ``layer`` cannot be iterated and what to do instead, or None: its class in
        :attr:`refused_layers` (not a subclass, whose ``forward`` may supply what is missing); an adapter
        may add refusals that depend on how a layer was built."""
        klass = type(layer)
        return cls.refused_layers.get(f"{klass.__module__}.{klass.__qualname__}")

    @classmethod
    def inner_layer(cls, layer) -> Optional[nn.Module]:
        """The layer that ``layer`` runs and passes its keywords on to (PyG's ``GPSConv(C, conv)``), whose
        ``forward`` then says which edge features it takes; None for the others."""
        return None

    @classmethod
    def passes_keywords_on(cls, layer) -> bool:
        """Whether ``layer`` is one of the ecosystem's layers that pass their keywords on to the layer
        they run (:meth:`inner_layer`, which may be None: ``GPSConv(C, None)`` runs none)."""
        return False

    @classmethod
    def layer_widths(cls, layer) -> Optional[tuple[tuple[Optional[int], ...], Optional[int]]]:
        """``(input widths, output width)`` of this ecosystem's layers whose widths its attributes do not
        say as :attr:`widths` reads them (None: read them so)."""
        return None

    @classmethod
    def needs_edge_features(cls, layer) -> bool:
        """Whether ``layer`` needs edge features although its ``forward`` gives them a default (None):
        the ecosystem's layers that fail inside without them. A required ``forward`` argument is
        found from the signature; this is for the others."""
        return False

    def edge_ordered(self, graph) -> bool:
        """Whether ``graph`` orders its edges, so that edge features can have one row per edge (an
        edge index does; a sparse adjacency does not)."""
        return isinstance(graph, Tensor) and graph.layout == torch.strided

    @classmethod
    def relation(cls, graph) -> str:
        """The relation ``graph`` stands for in a heterogeneous model, in words (`` on relation ...``),
        named in messages on its input; empty where the graph does not say."""
        return ""

    @classmethod
    def check_order(cls, where: str, x, graph) -> None:
        """Raise at once when the features and the graph come in another order than :attr:`call_form`,
        before the features' own checks name a dtype: here an edge index where the features go and
        floating-point features where the graph goes."""
        if (isinstance(x, Tensor) and isinstance(graph, Tensor) and not x.is_floating_point() and x.dim() == 2
                and x.size(0) == 2 and graph.is_floating_point()):
            raise TypeError(f"{where}: got {got(x)} where the node features go and {got(graph)} where the graph "
                            f"goes: the features come first, {cls.call_form}")

    @classmethod
    def graph_failure_hint(cls, exc: BaseException, graph, x) -> Optional[str]:
        """What to do when the ecosystem's code raised ``exc`` while a layer ran on ``graph`` (in a format
        that not every layer of the ecosystem takes), or None: the exception then passes as it is."""
        return None

    def usable_graph(self, graph):
        """The graph argument as the layer reads and passes it on: ``graph`` itself, or a copy that the
        ecosystem's functions need (a coalesced sparse matrix, a DGL graph that allows COO), never a
        change to the caller's. Called in the set-up, before :meth:`read_graph`."""
        return graph

    def read_graph(self, layer: nn.Module, x: Tensor, graph, edge_weight, batch: Optional[Tensor],
                   num_graphs: Optional[int]) -> GraphView:
        """Check what only this ecosystem knows about ``graph`` (its type, a bipartite or block
        structure, its size against ``x``, its device) and describe it as a :class:`GraphView`."""
        raise NotImplementedError

    def call(self, conv: nn.Module, z: Tensor, graph, **kwargs) -> Tensor:
        """Apply one of this ecosystem's layers to the features ``z`` on ``graph`` (``kwargs``:
        ``edge_weight=w`` when weights are given); return ``[N, C]`` node features."""
        raise NotImplementedError

    def edge_list(self, graph, edge_weight) -> tuple[Tensor, Tensor, Optional[Tensor]]:
        """``(src, dst, weight)`` of ``graph``, messages flowing ``src -> dst`` (``weight`` None when
        unweighted): what the core's GCN operator builds its propagation from
        (:meth:`~iterative_core.layer.GCNOperatorBase.build_propagation`)."""
        raise NotImplementedError(f"{type(self).__name__} does not implement edge_list")

    def in_edges(self, graph, edge_weight) -> Optional[tuple[Tensor, Tensor, Optional[Tensor]]]:
        """``(indptr, src, weight)``: the edges grouped by destination (node ``i`` receives from
        ``src[indptr[i]:indptr[i+1]]``, ``weight`` in the same order, None when unweighted), where the
        graph already holds them so (DGL's CSC format, a CSR ``adj_t``): the core then builds its CSR
        matrix without sorting. None (the default): it sorts :meth:`edge_list`."""
        return None

    def graph_key(self, graph, edge_weight) -> Optional[GraphKey]:
        """The identity and version of ``graph`` with its ``edge_weight`` (:class:`GraphKey`), under
        which what was prepared for it (the checks, the GCN operator's propagation) is reused; any
        change of the graph must change it. None (the default): nothing is reused."""
        return None

    def traceable(self, graph, edge_weight) -> bool:
        """Whether :meth:`read_graph` and :meth:`edge_list` read this graph argument with tensor
        operations alone, whose output shapes follow from the input shapes, so that ``torch.compile``
        can trace a layer's set-up with its iteration (with ``validate=False``). False (the default):
        under ``torch.compile`` the set-up runs outside the compiled graph, one graph break."""
        return False


#: the graphs that passed check_graph_view's checks that read every edge, by key and options
_CHECKED = GraphCache(32)


def _checked_key(view: GraphView, validate: bool, nonnegative: bool, checks_batch: bool) -> Optional[GraphKey]:
    if view.key is None:
        return None
    key = view.key.extend(("checked", validate, nonnegative, view.num_nodes, view.num_edges))
    if checks_batch:  # the batch vector is checked against the edges: it is part of what was checked
        batch = tensor_key(view.batch)
        key = None if batch is None else key.extend(batch.token, batch.objects)
    return key


def kept_graphs(operator) -> int:
    """``operator.graph_cache_size`` (1 where it has none), checked: it may be set on one operator or on
    its class, and a value that is no count failed at the next call, naming nothing."""
    return check_int("graph_cache_size", getattr(operator, "graph_cache_size", 1), minimum=0,
                     where=type(operator).__name__)


def without_kept_checks(operator, view: GraphView) -> GraphView:
    """``view`` without its key where ``operator`` keeps nothing (``graph_cache_size = 0``, the remedy for an
    edit that torch's version counter does not see): its checks then run at every call."""
    if kept_graphs(operator) <= 0 and view.key is not None:
        return replace(view, key=None)
    return view


def check_graph_view(view: GraphView, where: str, *, validate: bool, nonnegative: bool,
                     device, batch_hint: str, takes_batch: bool = True) -> Optional[Tensor]:
    """The core's checks of a graph: the index range (see :func:`check_edges`), the edge weights'
    shape, dtype, device and values (non-negative when ``nonnegative``), and, with ``validate``, a
    batch vector that cuts no edge. Returns the edge weights to pass on.

    The checks that read every edge run once per graph: a graph whose :attr:`GraphView.key` passed
    them under the same options (and batch vector) is not read again; the same key means the same
    objects, unchanged. Those that compare the graph with this call's input (the weights' shape and
    device) run every time."""
    checks_batch = validate and view.batch is not None
    memo = _checked_key(view, validate, nonnegative, checks_batch)
    if memo is not None and _CHECKED.get(memo) is not None:
        return check_edge_weight(view.edge_weight, view.num_edges, where, normalize=nonnegative, device=device,
                                 validate=False, takes_batch=takes_batch, shown=view.weights_by_name)
    if view.index_check:
        src, dst = view.edges()
        check_edges(src, dst, view.num_nodes, where, validate=validate, name=view.edges_name)
    edge_weight = check_edge_weight(view.edge_weight, view.num_edges, where, normalize=nonnegative,
                                    device=device, validate=validate, takes_batch=takes_batch,
                                    shown=view.weights_by_name)
    if validate and view.weights is not None:  # (NaN/Inf refused as in edge_weight, negatives where normalised)
        values = view.weights()
        if values is not None:
            check_edge_weight(values, values.numel(), where, normalize=nonnegative, device=device, validate=True,
                              name="the sparse adjacency (its values are the edge weights)")
    if checks_batch:
        check_batch_edges(view.batch, *view.edges(), where, batch_hint,
                          what="the graph's batch (batch_num_nodes())" if view.batch_from_graph else "the batch vector")
    if memo is not None:
        _CHECKED.put(memo, True)
    return edge_weight
