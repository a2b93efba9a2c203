"""The tables of README.md from the sweep's logs (the JSON lines of sweep.py), all rounds together.

    python docs/results/heterophily/summarize.py docs/results/heterophily/sweep.log \
        docs/results/heterophily/sweep_round2.log > docs/results/heterophily/summary.md

Selection (validation only): for each candidate, the gap of its mean validation accuracy to the best
mean validation accuracy of the references on each graph, and the worst gap over the 7 graphs;
reference set A = MLP, 2-layer GCN, paper form (the issue's criterion), set B = A + today's default
(no regression on any graph).
"""
from __future__ import annotations

import json
import statistics
import sys
from collections import defaultdict

GRAPHS = ("h0.1", "h0.3", "h0.5", "h0.7", "h0.9", "cora", "citeseer")


def main(paths) -> None:
    rows = []
    for p in paths:
        for line in open(p):
            if line.startswith("{"):
                r = json.loads(line)
                if r.get("depth", 8) not in (0, 2, 8):  # a PIGN run at another depth is its own row
                    r["candidate"] += f" ({r['depth']} it.)"
                rows.append(r)
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
        ranked = []
        for c in names:
            gv = [m(c, g, "val") - ref[g, "val"] for g in graphs]
            gt = [m(c, g, "test") - ref[g, "test"] for g in graphs]
            ranked.append((min(gv), c))
            out.append(f"| {c} | " + " | ".join(f"{a:+.1f} / {b:+.1f}" for a, b in zip(gv, gt))
                       + f" | {min(gv):+.1f} | {min(gt):+.1f} |")
        out += ["", "ranking by worst validation gap: " + ", ".join(f"{c} ({v:+.1f})" for v, c in sorted(ranked, reverse=True))]

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
    main(sys.argv[1:])
