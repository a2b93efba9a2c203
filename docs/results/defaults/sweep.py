"""Which options of the signed form should ``PIGNConv`` take by default? (see README.md here)

Every candidate is a set of ``PIGNConv`` options on top of the library's defaults (from round 5 on,
it may hold the model's options under ``model``, whose ``conv`` goes to the ``PIGN`` constructor), run
in three setups:

* ``pign``: ``PIGN(in, 64, out, 8)`` trained as the library's ``default`` preset (input dropout 0.5 ->
  encoder -> ReLU -> dropout 0.5 -> the iterated conv -> dropout 0.5 -> decoder, the dropouts being
  those of the library at the time of each round; Adam lr 0.01, weight decay 5e-4, 200 epochs, the
  parameters of the best validation epoch) on Cora and CiteSeer (public split);
* ``dropin``: ``examples/drop_in_gcn.py``, PyG's 2-layer GCN script with ``GCNConv(in, out)`` replaced
  by ``PIGNConv(in, out, **options)``, on Cora and CiteSeer;
* ``graphs`` (round 7): ``GraphPIGN`` with 8 iterations on the generated graph families of the
  reproduce's ``graphs`` experiment (40 graphs per family, 60 epochs, its training), with two extras:
  the accuracy when evaluated with 32 iterations, and the share of test graphs whose own iteration
  reaches a relative residual of 1e-4 within 500 steps;
* ``csbm``: the ``pign`` setup on the contextual SBM of :mod:`iterative_gnn.synthetic` at edge
  homophily 0.1, 0.3, 0.5, 0.7, 0.9 (seed s draws the graph and initialises the model), with the
  references MLP, 2-layer GCN and the paper's form (``--candidates mlp,gcn,paper``).

One JSON line per (candidate, setup, graph, seed) goes to ``--log``; ``--summary`` prints the tables
of one or more logs. Selection uses validation accuracy only (see ``summarize``).

    python docs/results/defaults/sweep.py --candidates current,a0.15 --setups pign,dropin --seeds 0-9 --log L
    python docs/results/defaults/sweep.py --candidates mlp,gcn,paper --setups csbm --seeds 0-2 --log L
    python docs/results/defaults/sweep.py --summary L1 L2
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
sys.path.insert(0, str(ROOT / "examples"))
sys.path.insert(0, str(ROOT / "docs" / "results"))

from drop_in_gcn import run as run_drop_in  # noqa: E402
from iterative_gnn.configs import run_one  # noqa: E402
from iterative_gnn.data import load_node_dataset  # noqa: E402
from iterative_gnn.heterophily import heterophily_models  # noqa: E402
from iterative_gnn.synthetic import load_csbm  # noqa: E402
from sweep_log import RunLog, parse_seeds, rest_accuracy  # noqa: E402

#: candidate name -> PIGNConv options (on top of the library's defaults at the logged commit)
CANDIDATES: dict[str, dict] = {
    "current": {},
    "a0.15": {"alpha": 0.15},
    "i0.7": {"gamma_init": 0.7},
    "i0.9": {"gamma_init": 0.9},
    "i0.7-a0.15": {"gamma_init": 0.7, "alpha": 0.15},
    "i0.9-a0.15": {"gamma_init": 0.9, "alpha": 0.15},
    "i0.9-s2": {"gamma_init": 0.9, "gamma_scale": 2.0},
    "i0.7-s2": {"gamma_init": 0.7, "gamma_scale": 2.0},
    "appnp": {"form": "appnp"},  # the former default, for comparison
    # round 5: the model's input dropout (the training options of ``PIGN``, not ``PIGNConv``'s)
    "a0.3": {"alpha": 0.3},  # round 5: alpha scales the input term only (the filter is set by gamma)
    "a0.5": {"alpha": 0.5},
    "in0.2": {"model": {"input_dropout": 0.2}},
    "in0.5": {"model": {"input_dropout": 0.5}},
    "in0.8": {"model": {"input_dropout": 0.8}},
    "appnp-in0.5": {"form": "appnp", "model": {"input_dropout": 0.5}},  # the former default under in0.5
    # round 6: PIGN's dropouts (model options; ``conv`` inside ``model`` goes to the model's constructor)
    "dec0.5": {"model": {"conv": {"decoder_dropout": 0.5}}},  # dropout before the decoder too
    "d0.6": {"model": {"dropout": 0.6, "input_dropout": 0.6}},
    "d0.7": {"model": {"dropout": 0.7, "input_dropout": 0.7}},
    "d0.6-dec0.6": {"model": {"dropout": 0.6, "input_dropout": 0.6, "conv": {"decoder_dropout": 0.6}}},
    # round 7: a trained model whose fixed point predicts as its 8 iterations do (see ../fixed-point); the
    # round ran at commit 7407c53, whose defaults were gamma_max=0.99 with a bias (its logs record the
    # options then given: {"gamma_max": 0.9} for g0.9, {"bias": False} for nobias); both are named here,
    # so that the candidates stay what they were after fp became the default
    "fp": {"gamma_max": 0.9, "bias": False},  # |gamma| below APPNP's 0.9, no bias inside the iteration
    "g0.9": {"gamma_max": 0.9, "bias": True},
    "nobias": {"gamma_max": 0.99, "bias": False},
    "r6": {"gamma_max": 0.99, "bias": True},  # the defaults up to round 7
}
#: references of the heterophily target (csbm setup only)
REFERENCES = ("mlp", "gcn", "paper")
PLANETOID = ("cora", "citeseer")
HOMOPHILY = (0.1, 0.3, 0.5, 0.7, 0.9)


def split_name(name: str) -> tuple[str, dict]:
    """``"mlp:in0.5"`` -> (``"mlp"``, the model options of ``in0.5``): a reference under a candidate's
    model options (the references built on the ``default`` preset change with it)."""
    base, _, cand = name.partition(":")
    if cand and (base not in ("mlp", "paper") or cand not in CANDIDATES or "model" not in CANDIDATES[cand]):
        raise SystemExit(f"{name!r}: only mlp and paper take a model-level candidate after ':'")
    return base, (CANDIDATES[cand]["model"] if cand else {})


def pign_config(name: str):
    models = heterophily_models(forms=("signed", "paper"))
    base, model = split_name(name)
    if base == "gcn":
        return models["gcn"]
    if base in ("mlp", "paper"):
        return models["mlp" if base == "mlp" else "pign-paper"].with_(**model)
    opts = dict(CANDIDATES[name])
    model = opts.pop("model", {})
    return models["pign-signed"].with_(conv=opts).with_(**model)


def graph_run(options: dict, seed: int, depth: int = 8) -> tuple[float, float, dict]:
    """The ``graphs`` setup: (validation, test accuracy, extras) of ``GraphPIGN`` with ``options``."""
    from iterative_gnn import graph_experiments as ge
    from iterative_gnn.graph_tasks import (build_graph_model, collate, evaluate_graphs, per_graph_iterations,
                                           train_graph_classifier)
    from iterative_gnn.train import accuracy, seed_everything

    if "model" in options:
        raise SystemExit("model-level candidates have no graphs setup")
    t = ge.FAMILY_TRAINING
    ds = ge.family_dataset("pyg", 40, seed)
    seed_everything(seed)
    model = build_graph_model("pyg", "pign", ds.num_features, t.hidden, ds.num_classes, depth, pool=t.pool,
                              dropout=t.dropout, conv=dict(t.conv, **options))
    res = train_graph_classifier(model, ds, epochs=60, lr=t.lr, weight_decay=t.weight_decay,
                                 batch_size=t.batch_size, seed=seed)
    test = collate(ds, ds.test)
    model.conv.eval_iterations = 4 * depth
    logits, _ = evaluate_graphs(model, test)
    model.conv.eval_iterations = None
    _, converged, _ = per_graph_iterations(model, test, tol=1e-4, max_iter=500)
    return res.val_acc, res.test_acc, {"test_at_4k": round(100 * accuracy(logits, test.y), 2),
                                       "converged": round(100 * float(converged.float().mean()), 1)}


def one_run(name: str, setup: str, graph: str, seed: int) -> dict:
    t0 = time.perf_counter()
    extra = {}
    if setup == "dropin":
        if (name not in CANDIDATES and name != "gcn") or "model" in CANDIDATES.get(name, {}):
            raise SystemExit(f"candidate {name!r} has no drop-in setup")
        ds = load_node_dataset(graph, "pyg")
        conv = "gcn" if name == "gcn" else "pign"
        val, test = run_drop_in(ds, "pyg", conv, seed, **({} if name == "gcn" else CANDIDATES[name]))
    elif setup == "graphs":
        val, test, extra = graph_run(CANDIDATES[name], seed)
    else:
        ds = (load_node_dataset(graph, "pyg") if setup == "pign"
              else load_csbm("pyg", homophily=float(graph[1:]), seed=seed))
        res, _, model = run_one("pyg", ds, pign_config(name), seed, keep_model=setup == "pign")
        val, test = res.val_acc, res.test_acc
        if setup == "pign":
            extra = {"rest": round(100 * rest_accuracy(model, ds), 2)}
    options = CANDIDATES.get(name) or ({"model": split_name(name)[1]} if ":" in name else None)
    return {"candidate": name, "options": options, "setup": setup, "graph": graph, "seed": seed,
            "val": round(100 * val, 2), "test": round(100 * test, 2), **extra,
            "seconds": round(time.perf_counter() - t0, 2)}



def load(paths: list[str]) -> tuple[list[dict], str]:
    """The runs of the logs, each (candidate, setup, graph, seed) once: a run repeated in a later log
    replaces the earlier one (the library may have changed between the logs' commits, to rounding);
    and a note on how many repeats gave other accuracies."""
    rows: dict = {}
    repeats, moved = 0, []
    for p in paths:
        commit = None
        for line in Path(p).read_text().splitlines():
            if line.strip():
                row = json.loads(line)
                if row.get("header"):
                    commit = row.get("commit")
                    continue
                row["_commit"] = commit  # the library the run had (for paired differences)
                key = (row["candidate"], row["setup"], row["graph"], row["seed"])
                if key in rows:
                    repeats += 1
                    moved += [max(abs(rows[key][k] - row[k]) for k in ("val", "test"))] * (
                        (rows[key]["val"], rows[key]["test"]) != (row["val"], row["test"]))
                rows[key] = row
    note = (f"{repeats} runs repeated in a later log (the later one counts): {len(moved)} gave other "
            f"accuracies, by at most {max(moved, default=0):.2f} points" if repeats else "")
    return list(rows.values()), note


def summarize(rows: list[dict]) -> str:
    """Tables: per setup and graph, mean validation / test (test std) over seeds; the heterophily gap to
    the best reference per h (validation, test); the selection score."""
    cell: dict = defaultdict(list)
    for r in rows:
        cell[(r["candidate"], r["setup"], r["graph"])].append(r)
    names = list(dict.fromkeys(r["candidate"] for r in rows))
    out = []

    def mean(key, c, s, g):
        rs = cell.get((c, s, g))
        return statistics.mean(r[key] for r in rs) if rs else None

    for setup, graphs in (("pign", PLANETOID), ("dropin", PLANETOID), ("csbm", [f"h{h}" for h in HOMOPHILY])):
        present = [c for c in names if any((c, setup, g) in cell for g in graphs)]
        if not present:
            continue
        out += [f"\n## {setup}: mean validation / test accuracy (%), test std, seeds\n",
                "| candidate | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
        for c in present:
            cells = []
            for g in graphs:
                rs = cell.get((c, setup, g))
                if not rs:
                    cells.append("")
                    continue
                sd = statistics.stdev(r["test"] for r in rs) if len(rs) > 1 else 0.0
                cells.append(f"{mean('val', c, setup, g):.1f} / {mean('test', c, setup, g):.1f} +- {sd:.1f} ({len(rs)})")
            out.append(f"| {c} | " + " | ".join(cells) + " |")
    present = [c for c in names if (c, "graphs", "families") in cell]
    if present:
        out += ["\n## graphs: GraphPIGN, 8 iterations, on the graph families (%, mean over seeds)\n",
                "| candidate | validation | test +- std | test with 32 iterations | test graphs converged "
                "(1e-4, 500 steps) | seeds |", "|---|---|---|---|---|---|"]
        for c in present:
            rs = cell[(c, "graphs", "families")]
            sd = statistics.stdev(r["test"] for r in rs) if len(rs) > 1 else 0.0
            m = {k: statistics.mean(r[k] for r in rs) for k in ("val", "test", "test_at_4k", "converged")}
            out.append(f"| {c} | {m['val']:.1f} | {m['test']:.1f} +- {sd:.1f} | {m['test_at_4k']:.1f} | "
                       f"{m['converged']:.0f} | {len(rs)} |")
    hs = [f"h{h}" for h in HOMOPHILY]
    if all(any((ref, "csbm", g) in cell for ref in REFERENCES) for g in hs):
        out += ["\n## csbm: gap to the best of MLP, GCN, paper form (points, validation / test)\n",
                "| candidate | " + " | ".join(hs) + " | worst val | worst test |", "|---" * (len(hs) + 3) + "|"]
        for c in names:
            if split_name(c)[0] in REFERENCES or not all((c, "csbm", g) in cell for g in hs):
                continue
            gaps = []
            for g in hs:
                # a reference under this candidate's model options where it was run so, else as it is
                refs = [f"{r}:{c}" if (f"{r}:{c}", "csbm", g) in cell else r for r in REFERENCES]
                best_v = max(mean("val", r, "csbm", g) for r in refs if (r, "csbm", g) in cell)
                best_t = max(mean("test", r, "csbm", g) for r in refs if (r, "csbm", g) in cell)
                gaps.append((mean("val", c, "csbm", g) - best_v, mean("test", c, "csbm", g) - best_t))
            out.append(f"| {c} | " + " | ".join(f"{v:+.1f} / {t:+.1f}" for v, t in gaps)
                       + f" | {min(v for v, _ in gaps):+.1f} | {min(t for _, t in gaps):+.1f} |")
    with_rest = [r for r in rows if r["setup"] == "pign" and "rest" in r]
    if with_rest:
        # round 6: the paired gain on the nodes of none of the split's masks, over the seeds run with "current"
        # pairs only between runs of one commit: a later library changes "current" itself
        def pair(r: dict) -> tuple:
            return r["graph"], r["seed"], r["_commit"]

        base = {pair(r): r["rest"] for r in with_rest if r["candidate"] == "current"}
        out += ["\n## pign, rest nodes (in no mask; no test node): accuracy (%), and the paired difference to "
                "current (mean +- standard error, runs)\n",
                "| candidate | cora | citeseer | both: difference to current |", "|---|---|---|---|"]
        for c in dict.fromkeys(r["candidate"] for r in with_rest):
            mine = [r for r in with_rest if r["candidate"] == c]
            cells = [f"{statistics.mean(r['rest'] for r in mine if r['graph'] == g):.2f}"
                     if any(r["graph"] == g for r in mine) else "" for g in PLANETOID]
            d = [r["rest"] - base[pair(r)] for r in mine if pair(r) in base]
            if c == "current" or len(d) == 1:
                diff = ""
            elif not d:
                diff = "(no run of current with the same seed and commit)"
            else:
                diff = f"{statistics.mean(d):+.2f} +- {statistics.stdev(d) / len(d) ** 0.5:.2f} ({len(d)})"
            out.append(f"| {c} | " + " | ".join(cells) + f" | {diff} |")
    score = []
    for c in names:
        # the drop-in script builds no PIGN model: a model-level candidate has the drop-in cells of "current"
        keys = [("current" if s == "dropin" and "model" in CANDIDATES.get(c, {}) else c, s, g)
                for s in ("pign", "dropin") for g in PLANETOID]
        if not all(k in cell for k in keys):
            continue
        vals = [mean("val", *k) for k in keys]
        tests = [mean("test", *k) for k in keys]
        score.append(f"| {c} | {statistics.mean(vals):.2f} | {statistics.mean(tests):.2f} | "
                     + " | ".join(f"{t:.1f}" for t in tests) + " |")
    if score:
        out += ["\n## selection score: mean validation accuracy over the four Planetoid cells (pign and dropin)\n",
                "| candidate | score (val) | mean test | Cora pign | CiteSeer pign | Cora dropin | CiteSeer dropin |",
                "|---|---|---|---|---|---|---|", *score]
    return "\n".join(out)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--candidates", default="current")
    p.add_argument("--setups", default="pign,dropin,csbm")
    p.add_argument("--seeds", default="0-2")
    p.add_argument("--graphs", help="only these graphs (cora, citeseer, h0.1, ...)")
    p.add_argument("--log")
    p.add_argument("--summary", nargs="+", metavar="LOG")
    args = p.parse_args(argv)
    if args.summary:
        rows, note = load(args.summary)
        print((f"{note}\n" if note else "") + summarize(rows))
        return
    names = args.candidates.split(",")
    unknown = [n for n in names if n not in CANDIDATES and split_name(n)[0] not in REFERENCES]
    if unknown:
        raise SystemExit(f"unknown candidates {unknown}; valid: {', '.join([*CANDIDATES, *REFERENCES])}")
    log = RunLog(args.log, argv)
    for setup in args.setups.split(","):
        graphs = (PLANETOID if setup in ("pign", "dropin") else ["families"] if setup == "graphs"
                  else [f"h{h}" for h in HOMOPHILY])
        graphs = [g for g in graphs if not args.graphs or g in args.graphs.split(",")]
        for name in names:
            if setup in ("dropin", "graphs") and (split_name(name)[0] in ("mlp", "paper")
                                                  or "model" in CANDIDATES.get(name, {})):
                continue
            for graph in graphs:
                for seed in parse_seeds(args.seeds):
                    log.write(one_run(name, setup, graph, seed))


if __name__ == "__main__":
    main()
