"""How far the library's default model is from its fixed point after training, and what the fixed point
predicts.

``PIGN(in, 64, out, 8)`` (the ``default`` preset: form ``"signed"``, 8 iterations, the README's
training) is trained on Cora, CiteSeer and the CSBM at homophily 0.1, 0.5 and 0.9, the epoch kept
being the best on validation. For each run it records the learned propagation coefficients
:math:`\\gamma_c` (the share near their bound, :math:`|\\gamma_c| > 0.95\\,\\gamma_{max}`, and the share below 0), the
relative residual and measured contraction factor of the 8 iterations at evaluation, and then solves
the same trained layer to its fixed point (``tol`` = 1e-4, at most 5000 iterations): the iterations
that took, and the test accuracy there against the one at 8 iterations.

    ITERATIVE_GNN_DATA=../shared/data python docs/results/fixed-point/fixed_point.py --seeds 0,1,2 \\
        --out docs/results/fixed-point
"""
from __future__ import annotations

import argparse
import csv
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

from iterative_gnn.configs import PIGN_PRESETS, build_model, preset, run_one
from iterative_gnn.data import DatasetUnavailable, load_node_dataset
from iterative_gnn.synthetic import load_csbm
from iterative_gnn.train import accuracy, evaluate, filter_torch_notices

GRAPHS = ("cora", "citeseer", "csbm-h0.1", "csbm-h0.5", "csbm-h0.9")
FIELDS = ("graph", "seed", "test_acc", "gamma_near_bound", "gamma_negative", "gamma_median", "residual_8",
          "contraction_8", "fixed_point_status", "fixed_point_iterations", "fixed_point_test_acc",
          "same_prediction")


def load(graph: str, seed: int):
    if graph.startswith("csbm-h"):
        return load_csbm("pyg", homophily=float(graph[len("csbm-h"):]), seed=seed)
    return load_node_dataset(graph, "pyg")


def measure(graph: str, seed: int, cfg, tol: float, max_iterations: int) -> dict:
    ds = load(graph, seed)
    _, _, model = run_one("pyg", ds, cfg, seed, keep_model=True)
    conv = model.conv
    gamma = conv.operator.gamma()
    bound = getattr(conv.operator, "gamma_max", 1.0)  # (fixed coefficients: 1 - alpha, never near 1)
    gamma = torch.full((conv.channels,), 1.0 - conv.operator.alpha) if gamma is None else gamma.detach()
    out8, info8 = evaluate(model, ds, return_info=True)
    conv.configure(tol=tol, eval_iterations=max_iterations)
    out_fp, info_fp = evaluate(model, ds, return_info=True)
    test = ds.test_mask
    return {
        "graph": graph, "seed": seed, "test_acc": accuracy(out8, ds.y, test),
        "gamma_near_bound": float((gamma.abs() > 0.95 * bound).float().mean()),
        "gamma_negative": float((gamma < 0).float().mean()), "gamma_median": float(gamma.median()),
        "residual_8": info8.final_residual, "contraction_8": info8.contraction_factor,
        "fixed_point_status": info_fp.status, "fixed_point_iterations": info_fp.iterations,
        "fixed_point_test_acc": accuracy(out_fp, ds.y, test),
        "same_prediction": float((out8.argmax(-1) == out_fp.argmax(-1))[test].float().mean()),
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=" ".join(__doc__.split("\n\n")[0].split()))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--graphs", default=",".join(GRAPHS))
    p.add_argument("--tol", type=float, default=1e-4)
    p.add_argument("--max-iterations", type=int, default=5000)
    p.add_argument("--preset", default="default", help="the PIGN preset trained (default: the library's defaults)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="a PIGNConv option changed from the preset's (a number, true, false or a word), repeatable")
    p.add_argument("--out", type=Path, default=Path("docs/results/fixed-point"))
    args = p.parse_args(argv)
    # (the arguments are checked before any training: a bad one failed with a traceback, after the data)
    try:  # (numpy's generator, which the training seeds too, takes 0 .. 2**32 - 1)
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        seeds = [-1]
    if not all(0 <= s < 2**32 for s in seeds):
        p.error(f"argument --seeds: invalid value {args.seeds!r}: expected comma-separated whole numbers from 0 to "
                "2**32 - 1, e.g. 0,1,2")
    graphs = args.graphs.split(",")
    for graph in graphs:
        try:
            h = float(graph[len("csbm-h"):]) if graph.startswith("csbm-h") else None
        except ValueError:
            h = None
        if graph not in ("cora", "citeseer") and not (h is not None and 0.0 <= h <= 1.0):
            p.error(f"argument --graphs: invalid value {graph!r}: expected cora, citeseer or csbm-hH with H in [0, 1] "
                    "(e.g. csbm-h0.3), comma-separated")
    if args.preset not in PIGN_PRESETS:
        p.error(f"argument --preset: invalid value {args.preset!r}: expected one of {', '.join(PIGN_PRESETS)}")
    cfg = preset("pign", args.preset)
    for item in args.set:
        key, sep, value = item.partition("=")
        if not key or not sep:
            p.error(f"argument --set: invalid value {item!r}: expected KEY=VALUE, e.g. tol=1e-3")
        if value in ("true", "false"):
            value = value == "true"
        else:
            try:
                value = float(value)
            except ValueError:
                pass
        cfg = cfg.with_(conv={key: value})
    try:  # the options as the library checks them, on a model of any width
        build_model("pyg", cfg, 4, 2)
    except (TypeError, ValueError) as exc:
        p.error(f"argument --set: {exc}")
    filter_torch_notices()
    torch.set_num_threads(1)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}; {platform.system()} {platform.machine()}, {os.cpu_count()} cores "
          f"({platform.processor() or 'cpu'}); torch {torch.__version__}; git {commit}")
    print(f"# command: python {' '.join(sys.argv)}", flush=True)
    print(f"# model: {cfg.describe()}", flush=True)
    rows = []
    for graph in graphs:
        for seed in seeds:
            try:
                r = measure(graph, seed, cfg, args.tol, args.max_iterations)
            except DatasetUnavailable as exc:
                p.exit(2, f"{p.prog}: error: {exc}\n")
            rows.append(r)
            print(", ".join(f"{k}={v:.4g}" if isinstance(v, float) else f"{k}={v}" for k, v in r.items()), flush=True)
    args.out.mkdir(parents=True, exist_ok=True)
    with open(args.out / f"fixed_point_{args.preset}{''.join('_' + i for i in args.set)}.csv", "w", newline="") as f:
        w = csv.DictWriter(f, FIELDS)
        w.writeheader()
        w.writerows(rows)
    print("\n| graph | test acc, 8 iterations | at the fixed point | same prediction | |γ| > 0.95 γ_max | γ < 0 | "
          "residual after 8 | contraction factor | iterations to tol |")
    print("|---|---|---|---|---|---|---|---|---|")
    for graph in graphs:
        sel = [r for r in rows if r["graph"] == graph]

        def m(key, scale=1.0, fmt=".1f"):
            return format(scale * statistics.mean(r[key] for r in sel), fmt)
        its = sorted(r["fixed_point_iterations"] for r in sel)
        conv = sum(r["fixed_point_status"] == "converged" for r in sel)
        print(f"| {graph} | {m('test_acc', 100)} | {m('fixed_point_test_acc', 100)} | {m('same_prediction', 100)}% | "
              f"{m('gamma_near_bound', 100, '.0f')}% | {m('gamma_negative', 100, '.0f')}% | {m('residual_8', fmt='.3f')} | "
              f"{m('contraction_8', fmt='.3f')} | {its[len(its) // 2]} (median; {conv}/{len(sel)} converged) |")


if __name__ == "__main__":
    main()
