"""Can the ``best`` PIGN preset do better on validation? (see README.md here)

Every candidate is the ``best`` preset (:data:`iterative_gnn.configs.PIGN_PRESETS`) as rounds 1-6 had it
(without the consistency training round 6 chose; candidate ``cr1`` is today's preset) with some of its
training options or ``PIGNConv`` options changed, trained on Cora and CiteSeer (public split) at 8 and
16 iterations; selection reads validation accuracy only. One JSON line per (candidate, graph,
iterations, seed) goes to ``--log``; ``--summary`` prints the table of one or more logs.

    python docs/results/best/sweep.py --candidates best,e500 --seeds 0-4 --log L
    python docs/results/best/sweep.py --summary L
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections import defaultdict
from pathlib import Path

import torch

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "common"))
sys.path.insert(0, str(ROOT / "docs" / "results"))

from iterative_gnn.configs import preset, run_one  # noqa: E402
from iterative_gnn.data import load_node_dataset  # noqa: E402
from sweep_log import RunLog, parse_seeds, rest_accuracy  # noqa: E402

#: candidate name -> changes to the ``best`` preset (``conv``: PIGNConv options)
CANDIDATES: dict[str, dict] = {
    "best": {},
    "e500": {"epochs": 500},
    "d0.6": {"dropout": 0.6, "input_dropout": 0.6},
    "h64": {"hidden": 64},
    "wd1e-3": {"weight_decay": 1e-3},
    "signed": {"conv": {"form": "signed"}},
    "a0.15": {"conv": {"alpha": 0.15}},
    "e500-d0.6": {"epochs": 500, "dropout": 0.6, "input_dropout": 0.6},
    # round 3: dropout inside the iteration (APPNP drops during its propagation, GCNII before each layer),
    # before the decoder (GCNII), and GCNII's recipe with one weight-tied layer (W learned, identity mapping)
    "cd0.5": {"conv": {"conv_dropout": 0.5}},
    "dec0.5": {"conv": {"decoder_dropout": 0.5}},
    "cd0.5-dec0.5": {"conv": {"conv_dropout": 0.5, "decoder_dropout": 0.5}},
    "gcnii": {"hidden": 64, "dropout": 0.6, "input_dropout": 0.6,
              "conv": {"beta": 0.15, "act": "relu", "conv_dropout": 0.6, "decoder_dropout": 0.6}},
    # round 4: the stronger regularisation of APPNP's paper (weight decay 5e-3) and DAGNN's Cora recipe
    # (dropout 0.8, weight decay 5e-3, hidden 64), both propagating the output of an MLP, as the preset
    # does in effect (a linear iteration, then a linear decoder)
    "wd5e-3": {"weight_decay": 5e-3},
    "d0.6-wd2e-3": {"dropout": 0.6, "input_dropout": 0.6, "weight_decay": 2e-3},
    "d0.8-wd5e-3": {"dropout": 0.8, "input_dropout": 0.8, "weight_decay": 5e-3},
    "d0.8-wd5e-3-h64": {"hidden": 64, "dropout": 0.8, "input_dropout": 0.8, "weight_decay": 5e-3},
    # round 5: weight decay on the encoder apart, as APPNP's paper (5e-3 on the first layer only) and
    # PyG's GCN example (5e-4 on the first layer only) put it
    "enc5e-3-rest0": {"encoder_weight_decay": 5e-3, "weight_decay": 0.0},
    "enc5e-3": {"encoder_weight_decay": 5e-3},
    "enc1e-3": {"encoder_weight_decay": 1e-3},
    "enc5e-4-rest0": {"encoder_weight_decay": 5e-4, "weight_decay": 0.0},
    # round 6: GRAND's consistency regularisation in training (weight, passes, temperature; GRAND's
    # Planetoid settings: weight 1.0 (0.7 on CiteSeer), 2-4 passes, temperature 0.5 (0.3 on CiteSeer))
    "cr1": {"consistency": 1.0},
    "cr0.5": {"consistency": 0.5},
    "cr2": {"consistency": 2.0},
    "cr1-s4": {"consistency": 1.0, "consistency_samples": 4},
    "cr1-t0.3": {"consistency": 1.0, "consistency_temperature": 0.3},
    # round 7: no bias in the step, so that the trained model's fixed point predicts as its iterations do
    # (with the bias it did not: ../fixed-point)
    "cr1-nobias": {"consistency": 1.0, "conv": {"bias": False}},
}
GRAPHS, ITERATIONS = ("cora", "citeseer"), (8, 16)


def config(name: str, iterations: int):
    changes = dict(CANDIDATES[name])
    conv = changes.pop("conv", {})
    # the preset of rounds 1-6 (trained without consistency, which round 6 added to it): every candidate's
    # changes are to it, so that the logs of every round can be run again as they were
    best = preset("pign", "best").with_(consistency=0.0)
    return best.with_(depth=iterations, conv={**best.conv, **conv}, **changes)


def summarize(paths: list[str]) -> str:
    cell: dict = defaultdict(list)
    names = []
    for p in paths:
        for line in Path(p).read_text().splitlines():
            row = json.loads(line) if line.strip() else {"header": True}
            if not row.get("header"):
                cell[(row["candidate"], row["graph"], row["iterations"])].append(row)
                names.append(row["candidate"])
    cols = [(g, k) for g in GRAPHS for k in ITERATIONS]

    def paired(c: str, key: str = "val") -> str:
        """``key`` (validation accuracy, or ``"rest"``: the accuracy on the nodes in no mask, logged
        from round 3 on) minus ``best``'s, same graph, iterations and seed: mean +- standard error."""
        if c == "best":
            return ""
        base = {(r["graph"], r["iterations"], r["seed"]): r.get(key) for g, k in cols for r in cell.get(("best", g, k), [])}
        d = [r[key] - base[(g, k, r["seed"])] for g, k in cols for r in cell.get((c, g, k), [])
             if base.get((g, k, r["seed"])) is not None and key in r]
        return f"{statistics.mean(d):+.2f} +- {statistics.stdev(d) / len(d) ** 0.5:.2f} ({len(d)})" if len(d) > 1 else ""
    out = ["| candidate | " + " | ".join(f"{g} {k}" for g, k in cols)
           + " | mean val | mean test | val - best's (paired) | rest - best's (paired) |", "|---" * (len(cols) + 5) + "|"]
    for c in dict.fromkeys(names):
        cells, vals, tests = [], [], []
        for g, k in cols:
            rs = cell.get((c, g, k))
            if not rs:
                cells.append("")
                continue
            v, t = statistics.mean(r["val"] for r in rs), statistics.mean(r["test"] for r in rs)
            sd = statistics.stdev(r["test"] for r in rs) if len(rs) > 1 else 0.0
            vals.append(v)
            tests.append(t)
            cells.append(f"{v:.1f} / {t:.1f} +- {sd:.1f} ({len(rs)})")
        full = len(vals) == len(cols)
        out.append(f"| {c} | " + " | ".join(cells) + (f" | {statistics.mean(vals):.2f} | {statistics.mean(tests):.2f} | "
                                                       f"{paired(c)} | {paired(c, 'rest')} |" if full else " | | | | |"))
    return "\n".join(out)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--candidates", default="best")
    p.add_argument("--seeds", default="0-4")
    p.add_argument("--graphs", default=",".join(GRAPHS))
    p.add_argument("--iterations", default="8,16")
    p.add_argument("--log")
    p.add_argument("--summary", nargs="+", metavar="LOG")
    args = p.parse_args(argv)
    if args.summary:
        print(summarize(args.summary))
        return
    names = args.candidates.split(",")
    unknown = [n for n in names if n not in CANDIDATES]
    if unknown:
        p.error(f"argument --candidates: unknown {unknown}; valid: {', '.join(CANDIDATES)}")
    # (checked before the log is opened: a bad value wrote the log's header, then failed)
    try:
        parse_seeds(args.seeds)
        [int(x) for x in args.iterations.split(",")]
    except ValueError:
        p.error(f"argument --seeds or --iterations: invalid value {args.seeds!r} / {args.iterations!r}: expected "
                "seeds such as 0-4 or 0,2,5 and iterations such as 8,16")
    bad = [g for g in args.graphs.split(",") if g not in GRAPHS]
    if bad:
        p.error(f"argument --graphs: unknown {bad}; valid: {', '.join(GRAPHS)}")
    log = RunLog(args.log, argv)
    for graph in args.graphs.split(","):
        ds = load_node_dataset(graph, "pyg")
        for name in names:
            for k in (int(x) for x in args.iterations.split(",")):
                for seed in parse_seeds(args.seeds):
                    t0 = time.perf_counter()
                    res, _, model = run_one("pyg", ds, config(name, k), seed, keep_model=True)
                    log.write({"candidate": name, "changes": CANDIDATES[name], "graph": graph, "iterations": k,
                               "seed": seed, "val": round(100 * res.val_acc, 2), "test": round(100 * res.test_acc, 2),
                               "rest": round(100 * rest_accuracy(model, ds), 2),
                               "seconds": round(time.perf_counter() - t0, 2)})


if __name__ == "__main__":
    main()
