"""PIGNConv as a drop-in for GCNConv (PyG) or GraphConv (DGL): a 2-layer GCN script where only the
two layer lines change.

    python examples/drop_in_gcn.py --backend pyg --conv pign --dataset cora --seeds 0,1,2
    DGLBACKEND=pytorch python examples/drop_in_gcn.py --backend dgl --conv pign

The model is the one of PyG's ``examples/gcn.py``: ``conv1 -> ReLU -> dropout -> conv2``, hidden 16,
Adam with lr 0.01 and weight decay 5e-4 on the first layer only, 200 epochs; the test accuracy is read
at the epoch of the best validation accuracy. With ``--conv pign`` the two lines are

    conv1 = PIGNConv(num_features, 16)      # was GCNConv(num_features, 16) / GraphConv(in_feats, 16)
    conv2 = PIGNConv(16, num_classes)       # was GCNConv(16, num_classes)  / GraphConv(16, n_classes)

each a learned linear map to its output width followed by 8 iterations of the default (signed) form.
``--conv pign-last`` changes the first line more: ``conv1 = Linear(num_features, 16)``, so that only the
output is iterated (APPNP's shape: an MLP whose predictions are propagated).
In DGL the ``GraphConv`` model runs on ``dgl.add_self_loop`` of the graph, as DGL's GCN example does
(``GraphConv`` propagates with :math:`A`, GCN with :math:`A + I`); ``PIGNConv`` adds the loops itself.
Data: Cora or CiteSeer from ``--data-root``, else ``$ITERATIVE_GNN_DATA``, else the loaders' default
location.
"""
from __future__ import annotations

import argparse
import statistics
import sys
from pathlib import Path
from typing import Optional

import torch
import torch.nn.functional as F
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from iterative_gnn.cli import positive_int, seed_value  # noqa: E402
from iterative_gnn.data import DatasetUnavailable, load_node_dataset  # noqa: E402


def seed_list(text: str) -> list[int]:
    """``0,1,2``: distinct seeds, each as the CLI's ``--split-seed`` takes it (``torch.manual_seed``'s
    range; a seed given twice would count one run twice)."""
    try:
        seeds = [seed_value(s) for s in text.split(",")]
    except argparse.ArgumentTypeError:
        seeds = None
    if seeds is None or len(set(seeds)) != len(seeds):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected comma-separated distinct whole numbers "
                                         "from 0 to 2**64 - 1, e.g. 0,1,2")
    return seeds


class TwoLayer(nn.Module):
    def __init__(self, conv1: nn.Module, conv2: nn.Module, backend: str) -> None:
        super().__init__()
        self.conv1, self.conv2, self.backend = conv1, conv2, backend

    def forward(self, x, graph):
        call = (lambda conv, h: conv(h, graph)) if self.backend == "pyg" else (lambda conv, h: conv(graph, h))
        x = F.dropout(x, 0.5, self.training)
        x = F.relu(self.conv1(x) if isinstance(self.conv1, nn.Linear) else call(self.conv1, x))
        x = F.dropout(x, 0.5, self.training)
        return call(self.conv2, x)


def build(backend: str, conv: str, num_features: int, num_classes: int, /, hidden: int = 16,
          **options) -> TwoLayer:
    """The 2-layer model of ``conv`` (``"gcn"``, ``"pign"`` or ``"pign-last"``); ``options`` go to the
    ``PIGNConv`` layers (none: the library's defaults), ``PIGNConv``'s own ``conv=`` among them (the
    arguments before ``/`` are positional, so that their names stay free for the options)."""
    if backend == "pyg":
        from torch_geometric.nn import GCNConv

        from pyg_iterative import PIGNConv
        layer = GCNConv if conv == "gcn" else PIGNConv
    else:
        from dgl.nn import GraphConv

        from dgl_iterative import PIGNConv
        layer = GraphConv if conv == "gcn" else PIGNConv
    if options and conv == "gcn":
        raise ValueError(f"options {sorted(options)} are PIGNConv options; --conv is {conv!r}")
    first = nn.Linear(num_features, hidden) if conv == "pign-last" else layer(num_features, hidden, **options)
    return TwoLayer(first, layer(hidden, num_classes, **options), backend)


def fit(model: nn.Module, ds, graph, epochs: int = 200, masks: Optional[dict] = None) -> dict:
    """Train ``model`` as PyG's example does (Adam, lr 0.01, weight decay 5e-4 on ``conv1`` only); return
    the accuracies at the epoch of the best validation accuracy: ``val``, ``test``, one per entry of
    ``masks`` (name: node mask), and ``epoch``."""
    opt = torch.optim.Adam([dict(params=model.conv1.parameters(), weight_decay=5e-4),
                            dict(params=model.conv2.parameters(), weight_decay=0.0)], lr=0.01)
    masks = {"val": ds.val_mask, "test": ds.test_mask, **(masks or {})}
    best = {"val": 0.0, "test": 0.0, "epoch": None}
    for epoch in range(epochs):
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(ds.x, graph)[ds.train_mask], ds.y[ds.train_mask]).backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            pred = model(ds.x, graph).argmax(-1)
        acc = {name: float((pred[m] == ds.y[m]).float().mean()) for name, m in masks.items()}
        if acc["val"] > best["val"]:
            best = dict(acc, epoch=epoch)
    return best


def run(ds, backend: str, conv: str, seed: int, /, epochs: int = 200, hidden: int = 16,
        **options) -> tuple[float, float]:
    """Train one model; return (best validation accuracy, test accuracy at that epoch). ``options`` as
    in :func:`build`."""
    torch.manual_seed(seed)
    model = build(backend, conv, ds.x.size(1), ds.num_classes, hidden, **options)
    graph = ds.graph
    if backend == "dgl" and conv == "gcn":  # GraphConv propagates with A: GCN's A + I needs the loops (DGL's example)
        import dgl

        graph = dgl.add_self_loop(dgl.remove_self_loop(graph))
    best = fit(model, ds, graph, epochs)
    return best["val"], best["test"]


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--backend", choices=("pyg", "dgl"), default="pyg")
    p.add_argument("--conv", choices=("gcn", "pign", "pign-last"), default="pign")
    p.add_argument("--dataset", choices=("cora", "citeseer"), default="cora")
    p.add_argument("--data-root", help="the data root (default: $ITERATIVE_GNN_DATA, else the loaders' location)")
    p.add_argument("--seeds", type=seed_list, default="0,1,2", help="comma-separated seeds")
    p.add_argument("--epochs", type=positive_int, default=200)
    p.add_argument("--hidden", type=positive_int, default=16, help="the hidden width (PyG's example: 16)")
    args = p.parse_args(argv)
    torch.set_num_threads(1)
    try:
        ds = load_node_dataset(args.dataset, args.backend, args.data_root)
    except (DatasetUnavailable, ImportError) as exc:
        p.exit(2, f"{p.prog}: error: {exc}\n")
    seeds = args.seeds
    vals, tests = zip(*(run(ds, args.backend, args.conv, s, args.epochs, args.hidden) for s in seeds))
    sd = statistics.stdev(tests) if len(tests) > 1 else 0.0
    hidden = "" if args.hidden == 16 else f" hidden {args.hidden}"
    print(f"{args.backend} {args.conv}{hidden} {args.dataset} seeds {','.join(map(str, seeds))}: val {100 * statistics.mean(vals):.1f}, "
          f"test {100 * statistics.mean(tests):.1f} +- {100 * sd:.1f}")


if __name__ == "__main__":
    main()
