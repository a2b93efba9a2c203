"""The tables of README.md from the sweep's logs (the JSON lines of sweep.py), all rounds together.

    python docs/results/heterophily/summarize.py docs/results/heterophily/sweep.log \
        docs/results/heterophily/sweep_round2.log > docs/results/heterophily/summary.md

Selection (validation only): for each candidate, the gap of its mean validation accuracy to the best
mean validation accuracy of the references on each graph, and the worst gap over the 7 graphs;
reference set A = MLP, 2-layer GCN, paper form (the issue's criterion), set B = A + today's default
(no regression on any graph).

Options (round 3): ``--graphs h0.1,h0.3`` and ``--seeds 0,1,2`` keep only those runs (so that a
candidate run at 10 seeds is compared with baselines run at 3 on the same seeds);
``--planetoid`` prints instead one table of Cora and CiteSeer per candidate and depth: seeds, mean
validation accuracy, test mean +- std, against the targets.

    python docs/results/heterophily/summarize.py --planetoid docs/results/heterophily/sweep_round3.log
    python docs/results/heterophily/summarize.py --graphs h0.1,h0.3,h0.5,h0.7,h0.9 --seeds 0,1,2 \
        docs/results/heterophily/sweep.log docs/results/heterophily/sweep_round3.log
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict

GRAPHS = ("h0.1", "h0.3", "h0.5", "h0.7", "h0.9", "cora", "citeseer")
TARGETS = {"cora": 83.0, "citeseer": 71.5}  # test mean at 8 iterations, the default training


def read(paths, graphs=None, seeds=None) -> list[dict]:
    """The runs of the logs (one JSON line each), those on ``graphs`` and ``seeds`` when given; a run
    repeated in several logs (same candidate, graph, seed, depth) is kept once (its first line)."""
    rows, seen = [], set()
    for p in paths:
        for line in open(p):
            if line.startswith("{"):
                r = json.loads(line)
                key = (r["candidate"], r["graph"], r["seed"], r.get("depth", 8))
                if key in seen or (graphs and r["graph"] not in graphs) or (seeds and r["seed"] not in seeds):
                    continue
                seen.add(key)
                rows.append(r)
    return rows


def planetoid(paths) -> None:
    """Cora and CiteSeer per candidate and depth: seeds, mean val, test mean +- std; the targets."""
    rows = read(paths, graphs=("cora", "citeseer"))
    by = defaultdict(list)
    for r in rows:
        by[r["candidate"], r.get("depth", 8), r["graph"]].append(r)
    keys = list(dict.fromkeys((r["candidate"], r.get("depth", 8)) for r in rows))
    out = [f"# Cora / CiteSeer: {len(rows)} runs from {', '.join(paths)}", "",
           "| candidate | it. | Cora seeds | Cora val | Cora test | CiteSeer seeds | CiteSeer val | CiteSeer test "
           "| mean val (both) | targets (test, 8 it.) |", "|---" * 10 + "|"]
    for c, d in keys:
        cells, vals, met = [], [], []
        for g in ("cora", "citeseer"):
            rs = by.get((c, d, g), [])
            if not rs:
                cells += ["0", "", ""]
                continue
            v = statistics.mean(100 * r["val"] for r in rs)
            t = [100 * r["test"] for r in rs]
            sd = statistics.stdev(t) if len(t) > 1 else float("nan")
            cells += [str(len(rs)), f"{v:.1f}", f"{statistics.mean(t):.1f} +- {sd:.1f}"]
            vals.append(v)
            met.append(statistics.mean(t) >= TARGETS[g] - 1e-9)
        both = f"{statistics.mean(vals):.2f}" if len(vals) == 2 else ""
        target = ("both met" if all(met) else "met: " + ", ".join(g for g, m in zip(TARGETS, met) if m) if any(met)
                  else "none") if len(met) == 2 and d == 8 else ""
        out.append(f"| {c} | {d} | " + " | ".join(cells) + f" | {both} | {target} |")
    print("\n".join(out))


def main(paths, graphs=None, seeds=None) -> None:
    rows = read(paths, graphs, seeds)
    for r in rows:
        if r.get("depth", 8) not in (0, 2, 8):  # a PIGN run at another depth is its own row
            r["candidate"] += f" ({r['depth']} it.)"
    by = defaultdict(list)
    for r in rows:
        by[r["candidate"], r["graph"], r.get("depth", 8)].append(r)
    names = list(dict.fromkeys(r["candidate"] for r in rows))

    def m(c, g, k, d=None):
        rs = by.get((c, g, d), []) if d is not None else [r for (cc, gg, _), v in by.items() if cc == c and gg == g
                                                           for r in v]
        return 100 * statistics.mean(r[k] for r in rs) if rs else float("nan")

    def sd(c, g, k):
        v = [100 * r[k] for (cc, gg, _), rs in by.items() if cc == c and gg == g for r in rs]
        return statistics.stdev(v) if len(v) > 1 else float("nan")

    def n(c, g):
        return sum(len(v) for (cc, gg, _), v in by.items() if cc == c and gg == g)

    graphs = [g for g in GRAPHS if any(gg == g for (_, gg, _) in by)]
    out = [f"# heterophily sweep: {len(rows)} runs from {', '.join(paths)}", "",
           "## mean val / test accuracy (%), seeds per cell in the logs (3 unless said)", "",
           "| candidate | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
    for c in names:
        cells = []
        for g in graphs:
            if n(c, g) == 0:
                cells.append("")
                continue
            cells.append(f"{m(c, g, 'val'):.1f} / {m(c, g, 'test'):.1f}" + (f" ({n(c, g)})" if n(c, g) != 3 else ""))
        out.append(f"| {c} | " + " | ".join(cells) + " |")
    out += ["", "## test accuracy std over seeds (points)", "",
            "| candidate | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
    for c in names:
        out.append(f"| {c} | " + " | ".join(f"{sd(c, g, 'test'):.1f}" for g in graphs) + " |")

    for label, refs in (("A", ("mlp", "gcn", "paper")), ("B", ("mlp", "gcn", "paper", "residual"))):
        refs = [r for r in refs if r in names]
        if not refs or (label == "B" and refs == ["mlp", "gcn", "paper"]):
            continue
        label = f"{label} = best of {', '.join(refs)}" + (" (residual: today's default)" if "residual" in refs else "")
        ref = {(g, k): max(m(r, g, k) for r in refs) for g in graphs for k in ("val", "test")}
        out += ["", f"## gap to reference {label} (points): val / test; worst case over graphs", "",
                "| candidate | " + " | ".join(graphs) + " | worst val | worst test |",
                "|---" * (len(graphs) + 3) + "|"]
        ranked, partial = [], []
        for c in names:
            present = [g for g in graphs if n(c, g)]
            if len(present) < len(graphs):  # a pilot on some graphs: no worst case over all of them
                partial.append(f"{c} ({len(present)} of {len(graphs)} graphs)")
                continue
            gv = [m(c, g, "val") - ref[g, "val"] for g in graphs]
            gt = [m(c, g, "test") - ref[g, "test"] for g in graphs]
            ranked.append((min(gv), c))
            out.append(f"| {c} | " + " | ".join(f"{a:+.1f} / {b:+.1f}" for a, b in zip(gv, gt))
                       + f" | {min(gv):+.1f} | {min(gt):+.1f} |")
        out += ["", "ranking by worst validation gap: " + ", ".join(f"{c} ({v:+.1f})" for v, c in sorted(ranked, reverse=True))]
        if partial:
            out += ["", "not ranked (not run on every graph): " + ", ".join(partial)]

    out += ["", "## relative residual ||z_8 - z_7|| / ||z_7|| at evaluation (mean over seeds)", "",
            "| candidate | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
    for c in names:
        cells = []
        for g in graphs:
            v = [r["final_residual"] for (cc, gg, _), rs in by.items() if cc == c and gg == g for r in rs
                 if isinstance(r.get("final_residual"), float) and r["final_residual"] == r["final_residual"]]
            cells.append(f"{statistics.mean(v):.2g}" if v else "")
        if any(cells):
            out.append(f"| {c} | " + " | ".join(cells) + " |")
    out += ["", "## learned gamma at the selected epoch: min / mean / max over channels (mean over seeds)", "",
            "| candidate | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
    for c in names:
        cells = []
        for g in graphs:
            v = [r["gamma_min_mean_max"] for (cc, gg, _), rs in by.items() if cc == c and gg == g for r in rs
                 if r.get("gamma_min_mean_max")]
            cells.append("/".join(f"{statistics.mean(x[i] for x in v):+.2f}" for i in range(3)) if v else "")
        if any(cells):
            out.append(f"| {c} | " + " | ".join(cells) + " |")
    print("\n".join(out))


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("logs", nargs="+")
    ap.add_argument("--graphs", default=None, help="comma-separated graphs to keep (default: all)")
    ap.add_argument("--seeds", default=None, help="comma-separated seeds to keep (default: all)")
    ap.add_argument("--planetoid", action="store_true", help="the Cora / CiteSeer table with test std")
    a = ap.parse_args()
    if a.planetoid:
        planetoid(a.logs)
    else:
        main(a.logs, a.graphs.split(",") if a.graphs else None,
             [int(s) for s in a.seeds.split(",")] if a.seeds else None)
