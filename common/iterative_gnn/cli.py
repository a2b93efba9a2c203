"""The ``iterative-gnn`` command-line tool."""
from __future__ import annotations

import argparse
import statistics
import sys
from typing import Optional, Sequence

import torch

from .backends import BACKENDS, build_pign
from .data import DatasetUnavailable, load_node_dataset, to_device
from .train import seed_everything, train_node_classifier


def _progress_bar(total: int, desc: str):
    try:
        from tqdm.auto import tqdm
    except ImportError:  # tqdm is optional
        return None, None
    bar = tqdm(total=total, desc=desc, leave=False, disable=not sys.stderr.isatty())

    def update(epoch: int, loss: float) -> None:
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.3f}")

    return bar, update


def cmd_train(args: argparse.Namespace) -> int:
    device = torch.device(args.device)
    try:
        ds = to_device(load_node_dataset(args.dataset, args.backend, args.data_root), device)
    except DatasetUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    accs, infos = [], []
    for seed in range(args.seeds):
        seed_everything(seed)
        model = build_pign(args.backend, ds.x.size(1), args.hidden, ds.num_classes, args.iterations,
                           dropout=args.dropout, smoothing=args.smoothing, cached=True).to(device)
        bar, update = _progress_bar(args.epochs, f"{args.backend} seed {seed}")
        res = train_node_classifier(model, ds, epochs=args.epochs, lr=args.lr, weight_decay=args.weight_decay,
                                    progress=update)
        if bar is not None:
            bar.close()
        accs.append(res.test_acc)
        infos.append(res.info)
    mean = statistics.mean(accs) * 100
    std = (statistics.stdev(accs) * 100) if len(accs) > 1 else 0.0
    last = infos[-1]
    print(f"[{args.backend}] {args.dataset} PIGN ({args.iterations} iterations, smoothing {args.smoothing}): "
          f"test accuracy {mean:.1f} ± {std:.1f}% over {args.seeds} seed(s)")
    print(f"[{args.backend}] iteration at evaluation: {last['iterations']} iterations, status {last['status']}, "
          f"final relative residual {last['final_residual']:.2e}, contraction factor {last['contraction_factor']:.3f}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="iterative-gnn", description="Iterative (fixed-point) GNNs for PyG and DGL.")
    sub = p.add_subparsers(dest="command", required=True)
    t = sub.add_parser("train", help="train PIGN on a node-classification dataset")
    t.add_argument("--backend", choices=BACKENDS, default="pyg")
    t.add_argument("--dataset", choices=["cora", "citeseer", "pubmed"], default="cora")
    t.add_argument("--data-root", default=None, help="data root (default: $ITERATIVE_GNN_DATA or the loader's own)")
    t.add_argument("--iterations", type=int, default=8)
    t.add_argument("--smoothing", type=float, default=0.5)
    t.add_argument("--hidden", type=int, default=64)
    t.add_argument("--dropout", type=float, default=0.5)
    t.add_argument("--lr", type=float, default=0.01)
    t.add_argument("--weight-decay", type=float, default=5e-4)
    t.add_argument("--epochs", type=int, default=200)
    t.add_argument("--seeds", type=int, default=1)
    t.add_argument("--device", default="cpu")
    t.set_defaults(func=cmd_train)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
