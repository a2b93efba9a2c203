"""Graph-level classification on generated graphs, with either backend: datasets, mini-batches, the
models (``GraphPIGN`` and stacked GIN / GCN of equal depth) and a training loop.

The graphs come from :mod:`iterative_gnn.graph_families` as networkx graphs with their node features
already computed, so that both backends train on the same tensors: PyG gets each graph's
``edge_index`` from ``torch_geometric.utils.from_networkx`` and batches by concatenation (node ids
offset per graph, a ``batch`` vector, as ``torch_geometric.data.Batch`` does); DGL gets
``dgl.from_networkx`` graphs and ``dgl.batch``.
"""
from __future__ import annotations

import copy
import numbers
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Optional, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from iterative_core.checks import check_int

from .backends import check_backend, import_backend
from .graph_families import LabelledGraph, stratified_split
from .train import accuracy, check_training

__all__ = ["GRAPH_MODELS", "GraphDataset", "GraphBatch", "graph_dataset", "collate", "build_graph_model",
           "graph_forward", "GraphRunResult", "train_graph_classifier", "evaluate_graphs", "per_graph_iterations"]

#: the graph-level models: the iterated GraphPIGN and the stacked GIN and GCN
GRAPH_MODELS = ("pign", "gin", "gcn")


@dataclass
class GraphDataset:
    """Labelled graphs in one backend's graph type, with their node features and a split.

    ``graphs[i]`` is graph ``i`` (PyG: its ``edge_index``; DGL: a ``DGLGraph``), ``x[i]`` its
    ``[n_i, F]`` node features, ``y[i]`` its label; ``train``, ``val`` and ``test`` hold graph indices.
    ``items`` are the generator's records (family, marks, distance), in the same order. Batches go
    to ``device`` (:func:`collate`).
    """

    name: str
    backend: str
    items: list[LabelledGraph]
    graphs: list
    x: list[Tensor]
    y: Tensor
    train: Tensor
    val: Tensor
    test: Tensor
    num_classes: int
    device: torch.device = torch.device("cpu")

    @property
    def num_features(self) -> int:
        return self.x[0].size(1)

    def __len__(self) -> int:
        return len(self.graphs)


def _to_backend(g, backend: str):
    """``g`` as ``backend``'s graph, node ``i`` being the ``i``-th row of its features (nodes ``0..n-1``;
    the converters number nodes in insertion order, PyG's, or sorted, DGL's: both get them sorted)."""
    n = g.number_of_nodes()
    try:
        numbered = sorted(g.nodes) == list(range(n))
    except TypeError:  # names that do not compare (numbers and strings)
        numbered = False
    if not numbered:
        raise ValueError(f"graph_dataset needs graphs whose nodes are 0..n-1 (node i is row i of the features); got "
                         f"nodes {sorted(g.nodes, key=str)[:5]}...: relabel them with "
                         "networkx.convert_node_labels_to_integers")
    # always a copy without attributes: the features come from features(item), and PyG's converter refuses
    # attributes that some nodes or edges have and others lack
    ordered = g.__class__()
    ordered.add_nodes_from(range(n))
    ordered.add_edges_from(g.edges)
    if backend == "pyg":
        from torch_geometric.utils import from_networkx

        return from_networkx(ordered).edge_index
    import dgl

    return dgl.from_networkx(ordered)


def graph_dataset(items: Sequence[LabelledGraph], features: Callable[[LabelledGraph], Tensor], backend: str, *,
                  name: str = "graphs", num_classes: Optional[int] = None, train_fraction: float = 0.6,
                  val_fraction: float = 0.2, split_seed: int = 0, device: str | torch.device = "cpu") -> GraphDataset:
    """``items`` converted to ``backend``'s graphs, ``features(item)`` as their node features, and a
    split stratified by label (:func:`iterative_gnn.graph_families.stratified_split`); batches are
    made on ``device``."""
    check_backend(backend)
    items = list(items)
    if not items:
        raise ValueError("graph_dataset needs at least one graph, got none")
    labels = [it.label for it in items]
    bad = next((v for v in labels if isinstance(v, bool) or not isinstance(v, numbers.Integral) or v < 0), None)
    if bad is not None:
        raise ValueError(f"graph_dataset needs each graph's label to be a class index, an int >= 0; got {bad!r}")
    y = torch.tensor(labels, dtype=torch.long)
    largest = int(y.max())
    if num_classes is not None and (isinstance(num_classes, bool) or not isinstance(num_classes, numbers.Integral)
                                    or num_classes <= largest):
        raise ValueError(f"num_classes must be an int above the largest label, {largest} (or None: {largest + 1}); "
                         f"got {num_classes!r}")
    xs = [features(it) for it in items]
    for it, x in zip(items, xs):
        if x.dim() != 2 or x.size(0) != it.num_nodes:
            raise ValueError(f"features must give [num_nodes, F] per graph; got {tuple(x.shape)} for a graph of "
                             f"{it.num_nodes} nodes")
    train, val, test = stratified_split(y.tolist(), train_fraction, val_fraction, seed=split_seed)
    return GraphDataset(name, backend, items, [_to_backend(it.graph, backend) for it in items], xs, y,
                        train, val, test, largest + 1 if num_classes is None else int(num_classes),
                        torch.device(device))


@dataclass
class GraphBatch:
    """Graphs of a dataset as one disjoint union: ``graph`` (PyG: ``edge_index``; DGL: ``dgl.batch``),
    ``x`` ``[N, F]``, ``y`` ``[B]``, ``batch`` ``[N]`` (node -> graph) and ``num_graphs``; ``index``
    the dataset indices of the graphs, in order."""

    graph: Any
    x: Tensor
    y: Tensor
    batch: Tensor
    num_graphs: int
    index: Tensor


def collate(ds: GraphDataset, index: Tensor) -> GraphBatch:
    """The graphs ``index`` of ``ds`` as one :class:`GraphBatch`, on the dataset's device."""
    idx = index.tolist()
    x = torch.cat([ds.x[i] for i in idx])
    sizes = torch.tensor([ds.x[i].size(0) for i in idx])
    batch = torch.repeat_interleave(torch.arange(len(idx)), sizes)
    if ds.backend == "pyg":
        offsets = torch.cumsum(sizes, 0) - sizes
        graph = torch.cat([ds.graphs[i] + int(o) for i, o in zip(idx, offsets)], dim=1)
    else:
        import dgl

        graph = dgl.batch([ds.graphs[i] for i in idx])
    dev = ds.device
    return GraphBatch(graph.to(dev), x.to(dev), ds.y[index].to(dev), batch.to(dev), len(idx), index)


def build_graph_model(backend: str, name: str, in_channels: int, hidden: int, out_channels: int, depth: int, *,
                      pool: str = "sum", dropout: float = 0.0, conv: Optional[dict] = None) -> nn.Module:
    """``pign``: ``GraphPIGN(in, hidden, out, depth, pool=pool, **conv)`` (``depth`` iterations, the
    iteration's non-convergence not warned: the experiments report it); ``gin`` / ``gcn``: ``depth``
    stacked layers of the backend's own ``GINConv`` / GCN layer, then the same pooling and a decoder."""
    check_backend(backend)
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth must be an int >= 1, got {depth!r}")
    if name == "pign":
        options = dict(conv or {})
        options.setdefault("on_nonconvergence", "ignore")
        return import_backend(backend).GraphPIGN(in_channels, hidden, out_channels, depth, pool=pool,
                                                 dropout=dropout, **options)
    if name not in GRAPH_MODELS:
        raise ValueError(f"unknown graph model {name!r}; valid: {', '.join(GRAPH_MODELS)}")
    if conv:
        raise ValueError(f"conv options are for the 'pign' model only, got {sorted(conv)} for {name!r}")
    import_backend(backend)  # the install hint when the backend is missing
    if backend == "pyg":
        from . import _pyg_models as m
    else:
        from . import _dgl_models as m
    cls = {"gin": m.GraphGIN, "gcn": m.GraphGCN}[name]
    return cls(in_channels, hidden, out_channels, depth, dropout=dropout, pool=pool)


def graph_forward(model: nn.Module, b: GraphBatch, return_info: bool = False):
    """Call a graph-level model in its backend's order: PyG ``(x, edge_index, batch=, num_graphs=)``,
    DGL ``(graph, feat)`` (the batch is the graph's)."""
    if isinstance(b.graph, Tensor):
        return model(b.x, b.graph, batch=b.batch, num_graphs=b.num_graphs, return_info=return_info)
    return model(b.graph, b.x, return_info=return_info)


def evaluate_graphs(model: nn.Module, b: GraphBatch):
    """``(logits, info)`` in eval mode, without gradients (``info``: the iteration's
    ``FixedPointInfo`` for ``GraphPIGN``, None for the stacked models)."""
    model.eval()
    with torch.no_grad():
        return graph_forward(model, b, return_info=True)


@dataclass
class GraphRunResult:
    test_acc: float
    val_acc: float
    best_epoch: int
    seconds: float
    losses: list = field(default_factory=list)


def train_graph_classifier(model: nn.Module, ds: GraphDataset, *, epochs: int = 100, lr: float = 0.01,
                           weight_decay: float = 0.0, batch_size: int = 32, seed: int = 0) -> GraphRunResult:
    """Adam on mini-batches of the training graphs (a new seeded shuffle each epoch), cross-entropy;
    keep the parameters of the epoch with the best validation accuracy (the first such epoch), report
    the test accuracy with them."""
    where = "train_graph_classifier"
    epochs, lr, weight_decay = check_training(where, epochs=epochs, lr=lr, weight_decay=weight_decay)
    batch_size = check_int("batch_size", batch_size, minimum=1, where=where)
    for part, ids in (("training", ds.train), ("validation", ds.val), ("test", ds.test)):
        if ids.numel() == 0:
            counts = [c for c in torch.bincount(ds.y).tolist() if c]
            raise ValueError(f"{where}: the split of the {ds.y.numel()} graphs ({min(counts)} to {max(counts)} per "
                             f"class, each class cut at graph_dataset's train_fraction and val_fraction) has no "
                             f"{part} graph; give more graphs per class, or other fractions")
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    gen = torch.Generator().manual_seed(seed)
    val_b, test_b = collate(ds, ds.val), collate(ds, ds.test)
    best_val, best_state, best_epoch, losses = -1.0, None, 0, []
    t0 = time.perf_counter()
    for epoch in range(epochs):
        model.train()
        order = ds.train[torch.randperm(ds.train.numel(), generator=gen)]
        total = 0.0
        for chunk in order.split(batch_size):
            b = collate(ds, chunk)
            opt.zero_grad()
            loss = F.cross_entropy(graph_forward(model, b), b.y)
            loss.backward()
            opt.step()
            total += float(loss.detach()) * chunk.numel()
        losses.append(total / order.numel())
        val = accuracy(evaluate_graphs(model, val_b)[0], val_b.y)
        if val > best_val:
            best_val, best_epoch, best_state = val, epoch, copy.deepcopy(model.state_dict())
    model.load_state_dict(best_state)
    test = accuracy(evaluate_graphs(model, test_b)[0], test_b.y)
    if ds.device.type == "cuda":
        torch.cuda.synchronize(ds.device)
    return GraphRunResult(test, best_val, best_epoch, time.perf_counter() - t0, losses)


def per_graph_iterations(model: nn.Module, b: GraphBatch, *, tol: float, max_iter: int) -> tuple[Tensor, Tensor, Tensor]:
    """Run a trained ``GraphPIGN`` on the batch ``b`` until each graph's residual reaches ``tol`` (each
    graph stops on its own) or ``max_iter`` steps; return ``(iterations, converged, correct)`` per graph
    (from the iteration's ``FixedPointInfo.graph_iterations`` and ``converged``). The layer's ``tol``
    and evaluation iterations are restored afterwards."""
    conv = model.conv
    saved = conv.tol, conv.eval_iterations
    conv.tol, conv.eval_iterations = tol, max_iter
    try:
        logits, info = evaluate_graphs(model, b)
    finally:
        conv.tol, conv.eval_iterations = saved
    if info is None or info.graph_iterations is None:
        raise ValueError("per_graph_iterations needs a GraphPIGN called on a batch of several graphs")
    converged = info.converged
    return info.graph_iterations.cpu(), torch.as_tensor(converged).cpu(), (logits.argmax(-1) == b.y).cpu()
