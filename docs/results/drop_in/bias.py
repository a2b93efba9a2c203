"""The drop-in script's model (``examples/drop_in_gcn.py --conv pign``) with a learned bias added after
each ``PIGNConv``'s iteration, outside the step (as ``GCNConv`` adds its bias after propagating; the
signed form has none in its step, see ``iterative_core.forms``), against the model unchanged. One JSON
line per run, after a header with the date, command, commit and machine: the best validation accuracy,
the accuracy on the rest nodes (in none of the split's masks) and on the test nodes at that epoch.

    ITERATIVE_GNN_DATA=../shared/data python docs/results/drop_in/bias.py --variants bias,current \
        --dataset cora --seeds 0-9 --log docs/results/drop_in/bias.log
    python docs/results/drop_in/bias.py --summary docs/results/drop_in/bias.log
"""
from __future__ import annotations

import argparse
import datetime
import json
import platform
import statistics
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
sys.path[:0] = [str(ROOT / "common"), str(ROOT), str(ROOT / "examples")]

import torch  # noqa: E402
from torch import nn  # noqa: E402

import drop_in_gcn  # noqa: E402
from iterative_gnn.data import load_node_dataset  # noqa: E402


class WithBias(nn.Module):
    """``conv(x, graph) + b``: a bias after the iteration, zero at the start."""

    def __init__(self, conv: nn.Module, width: int) -> None:
        super().__init__()
        self.conv, self.bias = conv, nn.Parameter(torch.zeros(width))

    def forward(self, x, graph):
        return self.conv(x, graph) + self.bias


def run(ds, variant: str, seed: int, epochs: int = 200) -> dict:
    torch.manual_seed(seed)
    model = drop_in_gcn.build("pyg", "pign", ds.x.size(1), ds.num_classes, 16)
    if variant == "bias":
        model.conv1, model.conv2 = WithBias(model.conv1, 16), WithBias(model.conv2, ds.num_classes)
    best = drop_in_gcn.fit(model, ds, ds.graph, epochs, masks={"rest": ~(ds.train_mask | ds.val_mask | ds.test_mask)})
    return {"val": round(100 * best["val"], 2), "rest": round(100 * best["rest"], 2),
            "test": round(100 * best["test"], 2), "epoch": best["epoch"]}


def variants(text: str) -> list[str]:
    names = text.split(",")
    if not names or any(n not in ("bias", "current") for n in names):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected bias, current or bias,current")
    return names


def seed_range(text: str) -> tuple[int, int]:
    """``0-9`` -> ``(0, 9)``: whole numbers, the first at most the last."""
    try:
        lo, hi = (int(v) for v in text.split("-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected first-last, e.g. 0-9") from None
    if not 0 <= lo <= hi:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected 0 <= first <= last")
    return lo, hi


def summary(log: str) -> None:
    rows = defaultdict(list)
    for line in Path(log).read_text().splitlines():
        r = json.loads(line)
        if not r.get("header"):
            rows[(r["dataset"], r["variant"])].append(r)
    print("| dataset | variant | seeds | validation | rest nodes | test |\n| --- | --- | --- | --- | --- | --- |")
    for (ds, variant), rs in sorted(rows.items()):
        mean = {k: statistics.mean(r[k] for r in rs) for k in ("val", "rest", "test")}
        sd = statistics.stdev(r["test"] for r in rs) if len(rs) > 1 else 0.0
        print(f"| {ds} | {variant} | {len(rs)} | {mean['val']:.1f} | {mean['rest']:.1f} | {mean['test']:.1f} +- {sd:.1f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--variants", type=variants, default="bias,current", help="bias, current, or both (comma-separated)")
    p.add_argument("--dataset", choices=("cora", "citeseer"), default="cora")
    p.add_argument("--seeds", type=seed_range, default="0-9", help="first-last, e.g. 0-9")
    p.add_argument("--log")
    p.add_argument("--summary", metavar="LOG")
    args = p.parse_args()
    if args.summary:
        return summary(args.summary)
    torch.set_num_threads(1)
    ds = load_node_dataset(args.dataset, "pyg", None)
    lo, hi = args.seeds
    commit = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                            text=True).stdout.strip()
    header = dict(header=True, date=datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
                  command="python " + " ".join(sys.argv), commit=commit, machine=platform.platform(),
                  torch=torch.__version__, threads=1)
    with open(args.log, "a") as f:
        f.write(json.dumps(header) + "\n")
        for variant in args.variants:
            for seed in range(lo, hi + 1):
                f.write(json.dumps(dict(dataset=args.dataset, variant=variant, seed=seed, **run(ds, variant, seed)))
                        + "\n")
                f.flush()


if __name__ == "__main__":
    import warnings

    warnings.simplefilter("ignore")
    main()
