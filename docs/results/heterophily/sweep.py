"""Heterophily sweep: which weight-shared, learned iterated operator holds on homophilous and
heterophilous graphs alike? (see README.md in this folder)

Every model is trained with the library's ``default`` setup (``PIGN(in, 64, out, 8)``: encoder ->
ReLU -> dropout 0.5 -> the iterated conv -> decoder; Adam lr 0.01, weight decay 5e-4, 200 epochs,
the parameters of the best validation epoch), PyG backend, one CPU thread, one process, on

* the CSBM of :mod:`iterative_gnn.synthetic` (2000 nodes, 2 classes, mean degree 10, 32 Gaussian
  features with mu = 1, split 60/20/20) at edge homophily h in {0.1, 0.3, 0.5, 0.7, 0.9}: seed s
  draws the graph *and* initialises the model, so 3 seeds are 3 graphs per h;
* Cora and CiteSeer (public Planetoid split), seeds 0, 1, 2.

Selection is on validation accuracy only; test accuracy is reported beside it.

Candidates besides the baselines (MLP = the same model with 0 iterations, a 2-layer GCN, the paper's
form, today's default ``form="residual"``):

* learned W in the residual form (GCNII's initial residual without the identity mapping, beta=1);
* ``conv="signed"``, a prototype operator defined here: the residual form with a learned, signed
  propagation coefficient per channel (GPR-GNN's idea, as a fixed point instead of a polynomial)::

      z <- (Â z) diag(gamma) + alpha x + b,   gamma_c = g_max tanh(scale * theta_c),  z_0 = x

  ``|gamma_c| <= g_max < 1`` and ``||Â||_2 = 1`` (undirected graph): a ``g_max``-contraction, whose
  fixed point ``z_c = (I - gamma_c Â)^{-1} (alpha x_c + b_c)`` is a low-pass filter of channel c
  for ``gamma_c > 0`` (APPNP's, exactly today's default at ``gamma_c = 0.9``) and a high-pass one for
  ``gamma_c < 0``. ``scale`` multiplies the speed at which Adam moves ``gamma`` (Adam moves
  ``theta`` by about ``lr`` per step whatever the gradient's size).

Usage (one line per (candidate, graph, seed), then the tables)::

    python docs/results/heterophily/sweep.py --log docs/results/heterophily/sweep.log
    python docs/results/heterophily/sweep.py --time            # measure one epoch per model first
    python docs/results/heterophily/sweep.py --graphs cora,citeseer --seeds 0,1,2,3,4,5,6,7,8,9 \
        --iterations 16 --candidates residual,signed-s5-init0-km0.5     # the confirmation
    python docs/results/heterophily/summarize.py docs/results/heterophily/sweep.log docs/results/heterophily/sweep_round2.log

Round 3 (README.md) adds ``param="centred"`` (``gamma = g_max tanh(atanh(gamma_init / g_max) +
scale * theta)``, theta starting at 0, so that weight decay pulls gamma toward ``gamma_init``), a
per-parameter decay on theta (``theta_decay``, by a gradient hook, the library's training untouched),
GCNII's identity mapping ``beta`` for the signed operator, and candidates named by their options
(``signedc-i0.5-s5-km0.3-wd0``, see :func:`candidate`). It was run from a copy of the library at one
commit (``git archive HEAD`` into a folder with a ``SNAPSHOT_COMMIT`` file, this script copied in), so
that edits in the working tree could not change the runs.

The round-2 candidate was ``signed-s5-init0-km0.5``: ``conv="signed", scale=5, gamma_init=0,
smoothing=0.5`` (g_max 0.99, alpha 0.1, W = I, no activation).
"""
from __future__ import annotations

import argparse
import datetime
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Optional

import torch
from torch import Tensor, nn

torch.set_num_threads(1)

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "common"))  # iterative_core from this tree (also when run from a snapshot of it)

from iterative_gnn.configs import RunConfig, run_one  # noqa: E402
from iterative_gnn.data import load_node_dataset  # noqa: E402
from iterative_gnn.synthetic import load_csbm  # noqa: E402
from pyg_iterative import GCNOperator, register_operator  # noqa: E402


# --- the prototype operator ------------------------------------------------------------------------
class SignedGCNOperator(GCNOperator):
    r"""``z -> (Â z W') diag(gamma) + alpha x W' + b`` with a learned signed coefficient ``gamma`` per
    channel (``per_channel=False``: one for all channels), initialised at ``gamma_init``;
    ``W' = (1 - beta) I + beta W`` (GCNII's identity mapping; ``beta=0``: W' = I, no weight).

    Parametrisations of ``gamma`` (theta is what is learned and decayed):

    * ``param="plain"``: ``gamma = g_max tanh(scale * theta)``, theta initialised at
      ``atanh(gamma_init / g_max) / scale`` (weight decay pulls gamma toward 0);
    * ``param="centred"``: ``gamma = g_max tanh(atanh(gamma_init / g_max) + scale * theta)``, theta
      initialised at 0 (weight decay pulls gamma toward ``gamma_init``). With ``gamma_init=0`` both are
      the same function of the same theta.

    ``theta_decay``: the L2 weight decay on theta in place of the optimiser's (``optimizer_decay``,
    applied by ``torch.optim.Adam(weight_decay=...)`` to every parameter): a gradient hook on theta
    adds ``(theta_decay - optimizer_decay) theta``, so Adam sees ``grad + theta_decay * theta``
    (0: theta excluded from weight decay). None: the optimiser's decay.

    ``input="alpha"``: the input enters as ``alpha x``; ``input="complement"``: as ``(1 - |gamma|) x``.
    With ``beta=0`` the step is one fused CSR product per iteration, as today's default, plus a
    column scaling; with ``beta > 0`` one ``C x C`` GEMM more, and no contraction guarantee.
    """

    def __init__(self, channels: int, *, gamma_init: float = 0.9, per_channel: bool = True, scale: float = 1.0,
                 g_max: float = 0.99, input: str = "alpha", param: str = "plain",
                 theta_decay: Optional[float] = None, optimizer_decay: float = 5e-4, bias: bool = True,
                 add_self_loops: bool = True, normalize: bool = True, cached: bool = False, alpha: float = 0.1,
                 beta: Optional[float] = 0.0):
        if beta is None or not (0.0 <= beta <= 1.0):
            raise ValueError(f"beta (identity mapping) must be a float in [0, 1], got {beta!r}")
        if not (0.0 < g_max < 1.0) or not (abs(gamma_init) < g_max):
            raise ValueError(f"need 0 < g_max < 1 and |gamma_init| < g_max, got g_max={g_max!r}, "
                             f"gamma_init={gamma_init!r}")
        if not scale > 0:
            raise ValueError(f"scale must be > 0, got {scale!r}")
        if input not in ("alpha", "complement"):
            raise ValueError(f"input must be 'alpha' or 'complement', got {input!r}")
        if param not in ("plain", "centred"):
            raise ValueError(f"param must be 'plain' or 'centred', got {param!r}")
        if theta_decay is not None and not theta_decay >= 0:
            raise ValueError(f"theta_decay must be None or >= 0, got {theta_decay!r}")
        self.g_max, self.scale, self.gamma_init, self.input = float(g_max), float(scale), float(gamma_init), input
        self.per_channel, self.param = per_channel, param
        self.offset = math.atanh(self.gamma_init / self.g_max) if param == "centred" else 0.0
        super().__init__(channels, bias=bias, add_self_loops=add_self_loops, normalize=normalize, cached=cached,
                         alpha=alpha, beta=float(beta))
        self.theta = nn.Parameter(torch.empty(channels if per_channel else 1))
        self.theta_decay, self.optimizer_decay = theta_decay, float(optimizer_decay)
        if theta_decay is not None and theta_decay != optimizer_decay:
            extra = float(theta_decay) - self.optimizer_decay
            theta = self.theta
            theta.register_hook(lambda grad: grad + extra * theta.detach())
        self.reset_parameters()

    def reset_parameters(self) -> None:
        super().reset_parameters()
        if hasattr(self, "theta"):
            with torch.no_grad():
                self.theta.fill_(0.0 if self.param == "centred" else math.atanh(self.gamma_init / self.g_max) / self.scale)

    def gamma(self) -> Tensor:
        return self.g_max * torch.tanh(self.offset + self.scale * self.theta)

    def scaled_weight(self, lipschitz_budget, norm_bound, dtype=None):
        if lipschitz_budget is not None:
            raise ValueError("the signed operator takes no contraction budget; leave contraction unset")
        W = self._raw_weight()
        return (W if W is None or dtype is None else W.to(dtype)), None

    def bind_step(self, x: Tensor, W, propagate, scale=None, batch=None):
        g = self.gamma().to(x.dtype)
        b = self.bias
        inp = self.alpha * x if self.input == "alpha" else (1.0 - g.abs()) * x
        if W is not None:
            inp = inp @ W
        c = inp if b is None else inp + b.to(x.dtype)
        if W is None:
            return lambda z: propagate(z * g, c, 1.0)
        return lambda z: propagate((z @ W) * g, c, 1.0)

    def extra_repr(self) -> str:
        return (f"{self.channels}, gamma_init={self.gamma_init}, per_channel={self.per_channel}, scale={self.scale}, "
                f"g_max={self.g_max}, param={self.param!r}, theta_decay={self.theta_decay}, input={self.input!r}, "
                f"alpha={self.alpha}, beta={self.beta}")


def signed_operator(channels: int, *, gamma_init: float = 0.9, per_channel: bool = True, scale: float = 1.0,
                    g_max: float = 0.99, input: str = "alpha", param: str = "plain",
                    theta_decay: Optional[float] = None, optimizer_decay: float = 5e-4, bias: bool = True,
                    add_self_loops: bool = True, normalize: bool = True, cached: bool = False, alpha: float = 0.1,
                    beta: Optional[float] = 0.0) -> nn.Module:
    # takes alpha and beta: PIGNConv(conv="signed") resolves to form="residual" (smoothing 0, identity,
    # no dropout inside the iteration), as conv="gcn" does
    return SignedGCNOperator(channels, gamma_init=gamma_init, per_channel=per_channel, scale=scale, g_max=g_max,
                             input=input, param=param, theta_decay=theta_decay, optimizer_decay=optimizer_decay,
                             bias=bias, add_self_loops=add_self_loops, normalize=normalize, cached=cached,
                             alpha=alpha, beta=beta)


register_operator("signed", signed_operator, overwrite=True)


# --- the models ---------------------------------------------------------------------------------------
DEFAULT = RunConfig("pign", depth=8, hidden=64, dropout=0.5, lr=0.01, weight_decay=5e-4, epochs=200)
BASELINES = ("mlp", "gcn", "paper")  # the reference of the criterion

CANDIDATES: dict[str, RunConfig] = {
    # baselines
    "mlp": DEFAULT.with_(depth=0),  # the same encoder / dropout / decoder, no iteration
    "gcn": RunConfig("gcn", depth=2, hidden=64, dropout=0.5, lr=0.01, weight_decay=5e-4, epochs=200),
    "paper": DEFAULT.with_(conv={"form": "paper"}),
    "residual": DEFAULT.with_(conv={"form": "appnp"}),  # the former default (form="appnp"): z <- 0.9 Â z + 0.1 x + b
    # learned W (beta=1: a full W), initial residual alpha=0.1, no activation (GCNII without the identity mapping)
    "W-a0.1": DEFAULT.with_(conv={"form": "appnp", "beta": 1.0}),
    # the prototype: signed propagation coefficient, per channel unless said otherwise
    "signed-s1": DEFAULT.with_(conv={"conv": "signed", "scale": 1.0}),
    "signed-s5": DEFAULT.with_(conv={"conv": "signed", "scale": 5.0}),
    "signed-s5-scalar": DEFAULT.with_(conv={"conv": "signed", "scale": 5.0, "per_channel": False}),
    "signed-s5-init0": DEFAULT.with_(conv={"conv": "signed", "scale": 5.0, "gamma_init": 0.0}),
    "signed-s5-init0-g0.9": DEFAULT.with_(conv={"conv": "signed", "scale": 5.0, "gamma_init": 0.0, "g_max": 0.9}),
    "signed-s5-noloops": DEFAULT.with_(conv={"conv": "signed", "scale": 5.0, "add_self_loops": False}),
    # tried in a one-seed pilot and dropped (not run by default): input (1 - |gamma|) x instead of alpha x
    # (Cora val 72.8 vs 82.0 for today's default); a learned W with relu (Cora 49% in docs/results/sweep)
}

# the second round (run with --candidates after the first had shown init 0 and scale 5 best): a slower
# scale, a tighter bound, Krasnoselskii-Mann smoothing 0.5 (the same fixed point, damped oscillation)
CANDIDATES["signed-s2-init0"] = DEFAULT.with_(conv={"conv": "signed", "scale": 2.0, "gamma_init": 0.0})
CANDIDATES["signed-s5-init0-g0.95"] = DEFAULT.with_(conv={"conv": "signed", "scale": 5.0, "gamma_init": 0.0,
                                                          "g_max": 0.95})
CANDIDATES["signed-s5-init0-km0.5"] = DEFAULT.with_(conv={"conv": "signed", "scale": 5.0, "gamma_init": 0.0,
                                                          "smoothing": 0.5})
ROUND2 = ("signed-s2-init0", "signed-s5-init0-g0.95", "signed-s5-init0-km0.5")

CANDIDATES["signed-s5-compl"] = DEFAULT.with_(conv={"conv": "signed", "scale": 5.0, "input": "complement"})
CANDIDATES["W-a0.1-relu"] = DEFAULT.with_(conv={"form": "appnp", "beta": 1.0, "act": "relu"})
OPTIONAL = ("signed-s5-compl", "W-a0.1-relu")


# the third round: the centred parametrisation (weight decay pulls gamma toward gamma_init), named
# "signedc" + "-"-separated options, e.g. "signedc-i0.9-s5-km0.3-b0.1-wd0":
#   i = gamma_init (0), s = scale (5), km = smoothing (0: Picard), a = alpha (0.1), b = beta (0: W = I),
#   g = g_max (0.99), wd = theta_decay (the optimiser's 5e-4 unless given; 0: theta not decayed)
ROUND3_KEYS = {"i": ("gamma_init", 0.0), "s": ("scale", 5.0), "km": ("smoothing", 0.0), "a": ("alpha", 0.1),
               "b": ("beta", 0.0), "g": ("g_max", 0.99), "wd": ("theta_decay", None)}


def candidate(name: str) -> RunConfig:
    """The configuration of ``name``: one of CANDIDATES, or a round-3 ``signedc-...`` name."""
    if name in CANDIDATES:
        return CANDIDATES[name]
    parts = name.split("-")
    if parts[0] != "signedc":
        raise ValueError(f"unknown candidate {name!r}; valid: {', '.join(CANDIDATES)} or signedc-<options>")
    conv = {"conv": "signed", "param": "centred", "optimizer_decay": DEFAULT.weight_decay}
    conv.update({key: default for key, default in ROUND3_KEYS.values() if default is not None})
    for part in parts[1:]:
        key = next((k for k in sorted(ROUND3_KEYS, key=len, reverse=True) if part.startswith(k)), None)
        try:
            value = float(part[len(key):]) if key else None
        except ValueError:
            value = None
        if value is None:
            raise ValueError(f"candidate {name!r}: cannot read option {part!r}; valid prefixes: {', '.join(ROUND3_KEYS)}")
        conv[ROUND3_KEYS[key][0]] = value
    return DEFAULT.with_(conv=conv)


GRAPHS = ("h0.1", "h0.3", "h0.5", "h0.7", "h0.9", "cora", "citeseer")


def load_graph(name: str, seed: int):
    if name.startswith("h"):
        return load_csbm("pyg", num_nodes=2000, homophily=float(name[1:]), mean_degree=10.0, feature_dim=32,
                         mu=1.0, seed=seed, name=f"csbm-{name}")
    return load_node_dataset(name, "pyg")


def gammas(model) -> Optional[list]:
    op = getattr(getattr(model, "conv", None), "operator", None)
    if isinstance(op, SignedGCNOperator):
        return [round(float(v), 3) for v in op.gamma().detach()]
    return None


def machine() -> str:
    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    import torch_geometric
    return (f"{platform.system()} {platform.machine()}, {cpu}, {os.cpu_count()} cores (shared; 1 thread used), "
            f"torch {torch.__version__}, torch_geometric {torch_geometric.__version__}, python {platform.python_version()}")


def git_state() -> str:
    snap = ROOT / "SNAPSHOT_COMMIT"  # a copy of the tree at one commit (git archive), see README.md
    if snap.exists():
        return f"library: snapshot of commit {snap.read_text().strip()} (git archive, no other edits) at {ROOT}"
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True).stdout.count("\n")
        return f"HEAD {head}, {dirty} tracked files modified in the working tree (other engineers' edits)"
    except OSError:
        return "?"


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--graphs", default=",".join(GRAPHS),
                   help="hH (a CSBM of edge homophily H in [0, 1], e.g. h0.3), cora, citeseer (comma-separated)")
    p.add_argument("--candidates", default=",".join(c for c in CANDIDATES if c not in OPTIONAL + ROUND2))
    p.add_argument("--seeds", default="0,1,2")
    p.add_argument("--iterations", type=int, default=None, help="override the depth of the PIGN models")
    p.add_argument("--epochs", type=int, default=None)
    p.add_argument("--time", action="store_true", help="time 20 epochs of each model on each graph and stop")
    p.add_argument("--log", default=None)
    args = p.parse_args(argv)
    graphs = args.graphs.split(",")
    for g in graphs:  # (before the log is opened: an unknown name wrote the log's header, then failed)
        if g in ("cora", "citeseer"):
            continue
        try:
            h = float(g[1:]) if g.startswith("h") else None
        except ValueError:
            h = None
        if h is None or not 0.0 <= h <= 1.0:
            p.error(f"argument --graphs: invalid value {g!r}: expected hH with H in [0, 1] (e.g. h0.3), cora or citeseer")
    names = args.candidates.split(",")
    for name in names:
        candidate(name)  # an unknown name fails before any run
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        p.error(f"argument --seeds: invalid value {args.seeds!r}: expected comma-separated whole numbers, e.g. 0,1,2")
    log = open(args.log, "a") if args.log else None

    def out(line: str) -> None:
        print(line, flush=True)
        if log:
            log.write(line + "\n")
            log.flush()

    out(f"# {datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M UTC}; {machine()}")
    out(f"# {git_state()}")
    out("# command: ITERATIVE_GNN_DATA=" + os.environ.get("ITERATIVE_GNN_DATA", "") + " .venv/bin/python "
        + " ".join([os.path.relpath(__file__, ROOT)] + (argv if argv is not None else sys.argv[1:])))
    rows = []
    t_all = time.time()
    for g in graphs:
        for seed in seeds:
            ds = load_graph(g, seed)
            for name in names:
                cfg = candidate(name)
                if args.iterations is not None and cfg.model == "pign" and cfg.depth > 0:
                    cfg = cfg.with_(depth=args.iterations)
                if args.epochs is not None or args.time:
                    cfg = cfg.with_(epochs=20 if args.time else args.epochs)
                res, secs, model = run_one("pyg", ds, cfg, seed, keep_model=True)
                row = dict(candidate=name, graph=g, seed=seed, depth=cfg.depth, val=round(res.val_acc, 4),
                           test=round(res.test_acc, 4), best_epoch=res.best_epoch, seconds=round(secs, 2))
                if args.time:
                    row["ms_per_epoch"] = round(1000 * secs / cfg.epochs, 1)
                gm = gammas(model)
                if gm is not None:
                    row["gamma_min_mean_max"] = [min(gm), round(sum(gm) / len(gm), 3), max(gm)]
                if res.info and isinstance(res.info.get("final_residual"), float):
                    row["final_residual"] = float("%.3g" % res.info["final_residual"])
                rows.append(row)
                out(json.dumps(row))
        if args.time:
            continue
    out(f"# total {time.time() - t_all:.0f} s")
    if not args.time:
        out(summary(rows, graphs, names))


def summary(rows, graphs, names) -> str:
    """Mean val / test per candidate and graph; the gap to the best baseline (MLP, GCN, paper form)
    on each graph, on validation (selection) and on test; the worst case over graphs."""
    def mean(c, g, k):
        v = [r[k] for r in rows if r["candidate"] == c and r["graph"] == g]
        return 100 * statistics.mean(v) if v else float("nan")

    lines = ["", "## mean accuracy (%) over seeds: val / test", "",
             "| candidate | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
    for c in names:
        lines.append(f"| {c} | " + " | ".join(f"{mean(c, g, 'val'):.1f} / {mean(c, g, 'test'):.1f}" for g in graphs)
                     + " |")
    base = [b for b in BASELINES if b in names]
    if base:
        ref = {(g, k): max(mean(b, g, k) for b in base) for g in graphs for k in ("val", "test")}
        lines += ["", f"## gap to the best of {', '.join(base)} on each graph (points): val / test; worst case", "",
                  "| candidate | " + " | ".join(graphs) + " | worst val | worst test |",
                  "|---" * (len(graphs) + 3) + "|"]
        for c in names:
            gv = [mean(c, g, "val") - ref[g, "val"] for g in graphs]
            gt = [mean(c, g, "test") - ref[g, "test"] for g in graphs]
            lines.append(f"| {c} | " + " | ".join(f"{a:+.1f} / {b:+.1f}" for a, b in zip(gv, gt))
                         + f" | {min(gv):+.1f} | {min(gt):+.1f} |")
    if "residual" in names:
        lines += ["", "## gap to today's default (residual) on each graph (points): val / test", "",
                  "| candidate | " + " | ".join(graphs) + " |", "|---" * (len(graphs) + 1) + "|"]
        for c in names:
            lines.append(f"| {c} | " + " | ".join(
                f"{mean(c, g, 'val') - mean('residual', g, 'val'):+.1f} / "
                f"{mean(c, g, 'test') - mean('residual', g, 'test'):+.1f}" for g in graphs) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    main()
