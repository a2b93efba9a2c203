"""The ``iterative-gnn`` command-line tool (also ``python -m iterative_gnn``).

Subcommands: ``train`` (one model, several seeds), ``reproduce`` (the paper's experiments, CSV and
PNG files) and ``chains`` (the long-range chains benchmark). Every one takes ``--backend pyg|dgl``.
"""
from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path
from typing import Optional, Sequence

import torch

from .backends import BACKENDS, MODELS
from .configs import PIGN_PRESETS, RunConfig, preset, run_one
from .data import DATASETS, DatasetUnavailable, add_feature_noise, cache_dir, load_node_dataset, planetoid_available
from .data import to_device


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


def _set_threads(n: Optional[int]) -> None:
    if n:
        torch.set_num_threads(n)


# ------------------------------------------------------------------------------------------------ train
_CONV_FLAGS = {  # CLI dest -> PIGNConv keyword
    "smoothing": "smoothing", "solver": "solver", "grad": "grad", "tol": "tol", "contraction": "contraction",
    "act": "act", "alpha": "alpha", "beta": "beta", "inject_input": "inject_input", "conv_dropout": "conv_dropout",
    "eval_iterations": "eval_iterations",
}
_TRAIN_FLAGS = ("hidden", "dropout", "input_dropout", "lr", "weight_decay", "epochs")


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The preset (PIGN) or baseline configuration, with every option given on the command line applied."""
    if args.dataset == "chains" and args.preset is None:
        from .reproduce import chains_models

        cfgs = chains_models(args.length)
        cfg = cfgs["pign"] if args.model == "pign" else cfgs["gcn"].with_(model=args.model)
    else:
        cfg = preset(args.model, (args.preset or "best") if args.model == "pign" else None)
    changes = {k: getattr(args, k) for k in _TRAIN_FLAGS if getattr(args, k) is not None}
    if args.iterations is not None:
        changes["depth"] = args.iterations
    conv = {}
    if args.model == "pign":
        conv = {kw: getattr(args, dest) for dest, kw in _CONV_FLAGS.items() if getattr(args, dest) is not None}
    else:
        given = [dest for dest in _CONV_FLAGS if getattr(args, dest) is not None]
        if given:
            raise SystemExit(f"error: --{given[0].replace('_', '-')} applies to --model pign only")
    return cfg.with_(conv=conv, **changes)


def _load(args: argparse.Namespace, noise_seed: int = 0):
    kwargs = {"length": args.length} if args.dataset == "chains" else {}
    ds = load_node_dataset(args.dataset, args.backend, args.data_root, **kwargs)
    if args.noise:
        ds = add_feature_noise(ds, args.noise, seed=1000 + noise_seed)
    return to_device(ds, torch.device(args.device))


def cmd_train(args: argparse.Namespace) -> int:
    _set_threads(args.threads)
    cfg = config_from_args(args)
    try:
        base = _load(args)
    except DatasetUnavailable as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"[{args.backend}] {base.name}: {base.num_nodes} nodes, {base.num_classes} classes, "
          f"{int(base.train_mask.sum())}/{int(base.val_mask.sum())}/{int(base.test_mask.sum())} train/val/test; "
          f"{cfg.describe()}")
    accs, vals, infos, rows = [], [], [], []
    for seed in range(args.seeds):
        ds = _load(args, seed) if args.noise else base
        bar, update = _progress_bar(cfg.epochs, f"{args.backend} seed {seed}")
        res, secs, _ = run_one(args.backend, ds, cfg, seed, progress=update)
        if bar is not None:
            bar.close()
        accs.append(res.test_acc)
        vals.append(res.val_acc)
        infos.append(res.info)
        rows.append({"backend": args.backend, "dataset": base.name, "model": args.model, "seed": seed,
                     "depth": cfg.depth, "test_acc": res.test_acc, "val_acc": res.val_acc,
                     "best_epoch": res.best_epoch, "seconds": secs,
                     **({k: res.info[k] for k in ("iterations", "final_residual", "contraction_factor")}
                        if res.info else {})})
        if args.seeds > 1:
            print(f"  seed {seed}: test {res.test_acc * 100:.1f}%, val {res.val_acc * 100:.1f}% "
                  f"(best epoch {res.best_epoch}, {secs:.1f}s)")
    mean = statistics.mean(accs) * 100
    std = (statistics.stdev(accs) * 100) if len(accs) > 1 else 0.0
    name = f"PIGN[{args.preset or ('chains' if args.dataset == 'chains' else 'best')}]" if args.model == "pign" \
        else args.model.upper()
    print(f"[{args.backend}] {base.name} {name} (depth {cfg.depth}): test accuracy {mean:.1f} ± {std:.1f}% "
          f"over {args.seeds} seed(s) (validation {statistics.mean(vals) * 100:.1f}%)")
    if infos[-1]:
        its = [i["iterations"] for i in infos]
        res_ = [i["final_residual"] for i in infos]
        qs = [i["contraction_factor"] for i in infos]
        last = infos[-1]
        print(f"[{args.backend}] iteration at evaluation: {statistics.mean(its):.0f} iterations, status "
              f"{last['status']}, final relative residual {statistics.mean(res_):.2e}, "
              f"contraction factor {statistics.mean(qs):.3f} (mean over seeds)")
    if args.csv:
        from .reproduce import write_csv

        print(f"wrote {write_csv(Path(args.csv), rows)}")
    return 0


# ------------------------------------------------------------------------------------------------ reproduce
def _ints(s: str) -> tuple:
    return tuple(int(v) for v in s.split(",") if v)


def _floats(s: str) -> tuple:
    return tuple(float(v) for v in s.split(",") if v)


def _strs(s: str) -> tuple:
    return tuple(v.strip() for v in s.split(",") if v.strip())


def _cora_available(root) -> bool:
    if planetoid_available("cora", root):
        return True
    return (cache_dir() / "pyg" / "planetoid" / "Cora" / "raw").is_dir()


def _run_experiments(args: argparse.Namespace, settings, title: str) -> int:
    from .reproduce import Runner

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    logf = open(out / "run.log", "w")
    from .reproduce import machine

    def log(msg: str) -> None:
        print(msg, flush=True)
        logf.write(msg + "\n")
        logf.flush()

    log(f"# {title}; backend {args.backend}; {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
    log(f"# machine: {machine()}")
    log(f"# command: {args.command_line}")
    log(f"# settings: {settings}")
    t0 = time.perf_counter()
    try:
        files = Runner(args.backend, settings, out, log=log, command=args.command_line).run(
            jobs=args.jobs, threads=args.threads)
    except DatasetUnavailable as exc:
        log(f"error: {exc}")
        return 2
    log(f"# done in {time.perf_counter() - t0:.0f}s; wrote:")
    for f in files.values():
        log(f"#   {f}")
    summary = files.get("summary.md")
    if summary is not None:
        print()
        print(Path(summary).read_text())
    logf.close()
    return 0


def cmd_reproduce(args: argparse.Namespace) -> int:
    from .reproduce import EXPERIMENTS, Settings, quick_settings, report

    _set_threads(args.threads)
    if args.report:
        out = Path(args.report)
        first = ""
        if (out / "run.log").exists():
            first = next((line[len("# command: "):].strip() for line in (out / "run.log").read_text().splitlines()
                          if line.startswith("# command: ")), "")
        command = f"{first} (tables from its CSV files: {args.command_line})" if first else args.command_line
        try:
            files = report(out, args.backend, command)
        except FileNotFoundError as exc:
            raise SystemExit(f"error: {exc}")
        print(Path(files["summary.md"]).read_text())
        return 0
    s = quick_settings() if args.quick else Settings()
    if args.quick and not args.datasets and not _cora_available(args.data_root):
        print("Cora is not under the data root (--data-root or $ITERATIVE_GNN_DATA): running the chains "
              "benchmark, which needs no files.", flush=True)
        s.experiments = ("chains",)
    elif args.quick:
        s.experiments = ("depth", "noise", "inference", "residuals")
    for dest, conv in (("experiments", _strs), ("datasets", _strs), ("depths", _ints), ("models", _strs),
                       ("noise", _floats), ("noise_depths", _ints), ("noise_models", _strs),
                       ("chains_lengths", _ints)):
        v = getattr(args, dest)
        if v is not None:
            setattr(s, dest, conv(v))
    if args.extra is not None:
        s.extra = tuple((m, int(d)) for m, d in (item.split("@") for item in _strs(args.extra)))
    for dest in ("seeds", "epochs", "inference_k"):
        if getattr(args, dest) is not None:
            setattr(s, dest, getattr(args, dest))
    if args.seeds is not None:
        s.chains_seeds = s.noise_seeds = args.seeds
    for dest in ("noise_seeds", "chains_seeds"):
        if getattr(args, dest) is not None:
            setattr(s, dest, getattr(args, dest))
    bad = [e for e in s.experiments if e not in EXPERIMENTS]
    if bad:
        raise SystemExit(f"error: unknown experiment {bad[0]!r}; valid: {', '.join(EXPERIMENTS)}")
    s.data_root, s.device = args.data_root, args.device
    return _run_experiments(args, s, "reproduce" + (" --quick" if args.quick else ""))


def cmd_chains(args: argparse.Namespace) -> int:
    from .reproduce import Settings

    _set_threads(args.threads)
    s = Settings(experiments=("chains",), chains_lengths=_ints(args.lengths), seeds=args.seeds,
                 chains_seeds=args.seeds,
                 epochs=args.epochs, device=args.device)
    return _run_experiments(args, s, "chains")


# ------------------------------------------------------------------------------------------------ parser
def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=BACKENDS, default="pyg", help="graph library (default: pyg)")
    p.add_argument("--device", default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    p.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's choice)")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="iterative-gnn", description="Iterative (fixed-point) GNNs for PyG and DGL.")
    sub = p.add_subparsers(dest="command", required=True)

    t = sub.add_parser("train", help="train one model on a node-classification dataset, over several seeds",
                       description="Train PIGN or a baseline; report test accuracy (mean ± std over seeds, "
                                   "model chosen on validation) and the iteration's convergence.")
    _common(t)
    t.add_argument("--dataset", choices=DATASETS, default="cora")
    t.add_argument("--data-root", default=None,
                   help="data root holding planetoid/<Name>/raw (default: $ITERATIVE_GNN_DATA or the loader's own)")
    t.add_argument("--model", choices=MODELS, default="pign")
    t.add_argument("--preset", choices=list(PIGN_PRESETS), default=None,
                   help="PIGN configuration: paper (the authors' form), inject (paper + input injection), "
                        "default (the library's defaults) or best (chosen on validation; the default, except on "
                        "chains, whose default is the chains benchmark's configuration); options below override it")
    t.add_argument("--iterations", "--depth", type=int, default=None,
                   help="PIGN iterations (the most, with --tol); layers for gcn/gcn2; steps for appnp (default 8)")
    t.add_argument("--seeds", type=int, default=1)
    t.add_argument("--noise", type=float, default=0.0, help="fraction of feature entries set to 1")
    t.add_argument("--length", type=int, default=50, help="chain length (--dataset chains)")
    t.add_argument("--csv", default=None, help="also write one row per seed to this CSV file")
    g = t.add_argument_group("training (default: from the preset)")
    g.add_argument("--hidden", type=int)
    g.add_argument("--dropout", type=float)
    g.add_argument("--input-dropout", type=float)
    g.add_argument("--lr", type=float)
    g.add_argument("--weight-decay", type=float)
    g.add_argument("--epochs", type=int)
    c = t.add_argument_group("PIGN iteration (default: from the preset)")
    c.add_argument("--smoothing", type=float, help="smoothing factor s in z <- s z + (1 - s) T(z)")
    c.add_argument("--solver", help="picard or anderson")
    c.add_argument("--grad", help="unrolled, implicit or phantom")
    c.add_argument("--tol", type=float, help="stop once the relative residual is below it")
    c.add_argument("--contraction", type=float, help="rescale W so that the operator is a kappa-contraction")
    c.add_argument("--act", help="activation inside the iteration (relu, identity, tanh, ...)")
    c.add_argument("--alpha", type=float, help="initial residual (APPNP/GCNII teleport)")
    c.add_argument("--beta", type=float, help="identity mapping W -> (1 - beta) I + beta W")
    c.add_argument("--inject-input", action=argparse.BooleanOptionalAction, default=None,
                   help="add the encoded input back at every iteration")
    c.add_argument("--conv-dropout", type=float, help="dropout inside the iteration")
    c.add_argument("--eval-iterations", type=int, help="iterations at evaluation (default: as in training)")
    t.set_defaults(func=cmd_train)

    r = sub.add_parser("reproduce", help="the paper's experiments: CSV files and PNG plots",
                       description="Accuracy against depth (PIGN iterations vs stacked GCN layers) on Cora and "
                                   "CiteSeer, with feature noise, iterations at inference, residuals per iteration, "
                                   "and the chains benchmark. Writes CSV, PNG, summary.md and run.log into --out.")
    _common(r)
    r.add_argument("--data-root", default=None)
    r.add_argument("--out", default="results", help="output folder (default: results)")
    r.add_argument("--quick", action="store_true",
                   help="a short run (minutes on 2 CPU cores): Cora when the data root has it, else chains")
    r.add_argument("--experiments", help="comma list of depth,noise,inference,residuals,chains")
    r.add_argument("--datasets", help="comma list (default: cora,citeseer)")
    r.add_argument("--depths", help="comma list (default: 1,2,4,8,16)")
    r.add_argument("--models", help="comma list of gcn, appnp, gcn2, pign-<preset> (default: gcn,pign-paper,pign-best)")
    r.add_argument("--extra", help="comma list of model@depth run once per dataset without noise "
                                    "(default: pign-default@8,pign-default@16; '' for none)")
    r.add_argument("--seeds", type=int, help="seeds of the depth runs (default 10; 2 with --quick)")
    r.add_argument("--noise-seeds", type=int, help="seeds of the noise runs (default 3)")
    r.add_argument("--chains-seeds", type=int, help="seeds of the chains runs (default 3)")
    r.add_argument("--noise-models", help="comma list of the models run under noise, a ':wd0' variant trains "
                                          "without weight decay (default: gcn, pign-best, each with "
                                          "and without; the targets compare each family's choice on validation)")
    r.add_argument("--epochs", type=int)
    r.add_argument("--noise", help="comma list of noise levels (default: 0.5,0.7)")
    r.add_argument("--noise-depths", help="comma list (default: 2,8,16)")
    r.add_argument("--inference-k", type=int, help="iterations in training for the inference experiment (default 8)")
    r.add_argument("--chains-lengths", help="comma list (default: 10,25,50,100)")
    r.add_argument("--report", metavar="DIR", help="only write the tables, plots and targets from the CSV files "
                                                  "of an earlier run in DIR (also of a run stopped early)")
    r.add_argument("--jobs", type=int, default=1,
                   help="training runs in parallel, one worker process each (of --threads threads, default 1)")
    r.set_defaults(func=cmd_reproduce)

    ch = sub.add_parser("chains", help="the chains long-range benchmark (generated, no download)",
                        description="PIGN iterated to convergence against a 2-layer GCN on chains whose class is "
                                    "visible only at one end (IGNN paper).")
    _common(ch)
    ch.add_argument("--lengths", default="10,25,50,100", help="comma list of chain lengths")
    ch.add_argument("--seeds", type=int, default=3)
    ch.add_argument("--epochs", type=int, default=200)
    ch.add_argument("--out", default="results/chains")
    ch.add_argument("--jobs", type=int, default=1, help="training runs in parallel (worker processes)")
    ch.set_defaults(func=cmd_chains)
    return p


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_parser().parse_args(argv)
    args.command_line = "iterative-gnn " + " ".join(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
