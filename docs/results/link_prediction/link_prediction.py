"""Link prediction with PyG's example encoder (``examples/link_pred.py``: two ``GCNConv`` layers, 128 and
64 wide, a dot-product decoder, Adam with lr 0.01, 100 epochs, one negative edge per training edge drawn
at each epoch, ``RandomLinkSplit`` with 5% of the edges for validation and 10% for test) and with its
two ``GCNConv`` lines replaced by ``PIGNConv``: with the library's defaults, with the default form's
output scaled (``alpha``), and in the other forms. One JSON line per run, after a header with
the date, command, commit and machine: the best validation ROC AUC and the test ROC AUC at that epoch.

    ITERATIVE_GNN_DATA=../shared/data python docs/results/link_prediction/link_prediction.py \\
        --datasets cora,citeseer --seeds 0-4 --log docs/results/link_prediction/link_prediction.log
    python docs/results/link_prediction/link_prediction.py --summary docs/results/link_prediction/link_prediction.log
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "common"), str(ROOT), str(ROOT / "docs" / "results")]

import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from torch import nn  # noqa: E402

from sweep_log import RunLog, parse_seeds  # noqa: E402

#: the encoder's two layers: PyG's GCNConv (None), or PIGNConv with these options ({}: the library's
#: defaults); in the default form ``alpha`` scales the fixed point, ``alpha (I - diag(gamma) Â)^-1 x``
#: (the 8 steps start from ``x`` itself), and so the scale a dot-product decoder reads
MODELS = {"gcn": None, "pign": {}, "pign-a0.3": {"alpha": 0.3}, "pign-a0.5": {"alpha": 0.5},
          "pign-a0.9": {"alpha": 0.9}, "pign-appnp": {"form": "appnp"}, "pign-paper": {"form": "paper"}}


def roc_auc(labels: torch.Tensor, scores: torch.Tensor) -> float:
    """The probability that a positive pair scores above a negative one, ties counting half (the
    Mann-Whitney statistic over ranks, tied scores sharing their mean rank)."""
    positive = labels.bool()
    ordered, order = scores.double().sort()
    _, counts = ordered.unique_consecutive(return_counts=True)
    ends = counts.cumsum(0).double()
    ranks = torch.empty_like(ordered)
    ranks[order] = ((ends - counts + 1 + ends) / 2).repeat_interleave(counts)
    n_pos, n_neg = int(positive.sum()), int((~positive).sum())
    return float((ranks[positive].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


class Encoder(nn.Module):
    def __init__(self, model: str, in_channels: int) -> None:
        super().__init__()
        options = MODELS[model]
        if options is None:
            from torch_geometric.nn import GCNConv

            self.conv1, self.conv2 = GCNConv(in_channels, 128), GCNConv(128, 64)
        else:
            from pyg_iterative import PIGNConv

            self.conv1, self.conv2 = PIGNConv(in_channels, 128, **options), PIGNConv(128, 64, **options)

    def forward(self, x, edge_index):
        return self.conv2(self.conv1(x, edge_index).relu(), edge_index)


def decode(z, pairs):
    return (z[pairs[0]] * z[pairs[1]]).sum(-1)


def run(data, model: str, seed: int, epochs: int = 100) -> dict:
    import torch_geometric.transforms as T
    from torch_geometric.utils import negative_sampling

    torch.manual_seed(seed)
    train, val, test = T.RandomLinkSplit(num_val=0.05, num_test=0.1, is_undirected=True,
                                         add_negative_train_samples=False)(data)
    enc = Encoder(model, data.num_features)
    opt = torch.optim.Adam(enc.parameters(), lr=0.01)
    best = {"val": -1.0}
    for epoch in range(1, epochs + 1):
        enc.train()
        opt.zero_grad()
        z = enc(train.x, train.edge_index)
        neg = negative_sampling(train.edge_index, train.num_nodes, train.edge_label_index.size(1), method="sparse")
        pairs = torch.cat([train.edge_label_index, neg], 1)
        labels = torch.cat([train.edge_label, train.edge_label.new_zeros(neg.size(1))])
        F.binary_cross_entropy_with_logits(decode(z, pairs), labels).backward()
        opt.step()
        enc.eval()
        with torch.no_grad():
            z = enc(train.x, train.edge_index)  # (val and test share the training edges for message passing)
            aucs = {name: roc_auc(split.edge_label, decode(z, split.edge_label_index))
                    for name, split in (("val", val), ("test", test))}
        if aucs["val"] > best["val"]:
            best = dict(aucs, epoch=epoch)
    return {"val": round(100 * best["val"], 2), "test": round(100 * best["test"], 2), "epoch": best["epoch"]}


def summary(log: str) -> None:
    rows = defaultdict(list)
    for line in Path(log).read_text().splitlines():
        r = json.loads(line)
        if not r.get("header"):
            rows[(r["dataset"], r["model"])].append(r)
    print("| dataset | encoder | seeds | validation AUC | test AUC |\n| --- | --- | --- | --- | --- |")
    for (ds, model), rs in sorted(rows.items(), key=lambda kv: (kv[0][0], list(MODELS).index(kv[0][1]))):
        val = statistics.mean(r["val"] for r in rs)
        test = [r["test"] for r in rs]
        sd = statistics.stdev(test) if len(test) > 1 else 0.0
        print(f"| {ds} | {model} | {len(rs)} | {val:.1f} | {statistics.mean(test):.1f} +- {sd:.1f} |")
    # each encoder's mean validation AUC over the datasets, and its distance to gcn's on each (from the
    # unrounded means: a difference of the rounded cells can differ in its last digit)
    val = {key: statistics.mean(r["val"] for r in rs) for key, rs in rows.items()}
    datasets = sorted({ds for ds, _ in rows})
    models = [m for m in MODELS if all((ds, m) in val for ds in datasets)]
    print("\n| encoder | mean validation AUC over " + ", ".join(datasets) + " | "
          + " | ".join(f"gcn minus it, {ds}" for ds in datasets) + " |")
    print("| --- | --- |" + " --- |" * len(datasets))
    for model in models:
        gaps = " | ".join(f"{val[(ds, 'gcn')] - val[(ds, model)]:.1f}" if (ds, "gcn") in val else "-" for ds in datasets)
        print(f"| {model} | {statistics.mean(val[(ds, model)] for ds in datasets):.1f} | {gaps} |")


def main(argv: list[str] | None = None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--models", default=",".join(MODELS), help=f"comma-separated, of {', '.join(MODELS)}")
    p.add_argument("--datasets", default="cora,citeseer", help="comma-separated, of cora and citeseer")
    p.add_argument("--seeds", default="0-4", help="e.g. 0-4 or 0,2")
    p.add_argument("--log", help="append the runs to this file (one JSON line each, after a header)")
    p.add_argument("--summary", metavar="LOG", help="print the table of a log and stop")
    args = p.parse_args(argv)
    if args.summary:
        return summary(args.summary)
    models, datasets = args.models.split(","), args.datasets.split(",")
    for name, given, valid in (("--models", models, MODELS), ("--datasets", datasets, ("cora", "citeseer"))):
        wrong = [v for v in given if v not in valid]
        if wrong:
            p.error(f"argument {name}: invalid value {wrong[0]!r}: expected {', '.join(valid)} (comma-separated)")
    try:
        seeds = parse_seeds(args.seeds)
    except ValueError:
        seeds = []
    if not seeds or min(seeds) < 0:
        p.error(f"argument --seeds: invalid value {args.seeds!r}: expected whole numbers >= 0 and ranges first-last "
                "with first <= last, e.g. 0-4")
    from torch_geometric.data import Data

    from iterative_gnn.data import load_node_dataset

    torch.set_num_threads(1)
    log = RunLog(args.log, argv)
    for name in datasets:
        ds = load_node_dataset(name, "pyg", None)  # (the features row-normalised, as PyG's example does)
        data = Data(x=ds.x, edge_index=ds.graph, num_nodes=ds.x.size(0))
        for model in models:
            for seed in seeds:
                log.write(dict(dataset=name, model=model, seed=seed, **run(data, model, seed)))


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    main()
