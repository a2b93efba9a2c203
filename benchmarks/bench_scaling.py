"""How the time per iteration grows with the number of edges: PIGNConv (default form) against the bare
loop and against one sparse product, on two families of random graphs.

* fixed degree (10 edges per node): nodes and edges grow together, so the features outgrow the
  caches on the way; the sparse product itself then costs more per edge;
* fixed nodes (10^5): only the edges grow, the memory the products gather from stays the same.

Per iteration is the slope of the forward time over ``K, 2K, 4K`` iterations, every variant timed in
turn. Linear in the edges means, at fixed nodes, that ``t = a + b * E`` fits every point; the table
gives each point's deviation from that fit, and the time per edge.

With ``--memory`` it measures instead, one child process per size (10^5, 10^6, 10^7 edges at degree
10 by default: the features in cache, at its size, far beyond it), the time per iteration of each form
and the peak memory of the default form: of the process (peak resident set above the inputs) and of live PyTorch tensors
(the profiler's memory events), for a first call (set-up included), a call on the same graph again,
and one training step (``grad="unrolled"`` and ``"implicit"``), each per edge.

    python benchmarks/bench_scaling.py [--device cuda] [--iterations 3]
    python benchmarks/bench_scaling.py --memory [--sizes 10000:100000 100000:1000000 1000000:10000000]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings

import torch

from _common import (GraphSize, count, cpu_allocated_peak, description, device_name, distinct, gcn_csr,
                     graph_size, interleaved, interleaved_rounds, positive_float, random_graph, refuse, reset_peak_rss,
                     result_name, rss_bytes, slope, spread, write_results)

warnings.filterwarnings("ignore")

FAMILIES = {
    "degree 10": [(1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000), (200_000, 2_000_000),
                  (400_000, 4_000_000)],
    "nodes 1e5": [(100_000, 250_000), (100_000, 500_000), (100_000, 1_000_000), (100_000, 2_000_000),
                  (100_000, 4_000_000)],
}


#: the forms timed by --memory (appnp: the step the bare loop computes)
FORMS = ("appnp", "signed", "paper")
MEMORY_SIZES = [GraphSize(10_000, 100_000), GraphSize(100_000, 1_000_000), GraphSize(1_000_000, 10_000_000)]
#: the options of --memory alone, with their defaults
MEMORY_DEFAULTS = {"sizes": MEMORY_SIZES, "rounds": 5, "budget": 120.0}


def _regime(feature_bytes: int) -> str:
    """Where the dense operand of one product lives: in the last-level cache, in the window where the
    product is computed in cache-sized blocks, or in memory (see iterative_core.sparse)."""
    from iterative_core.sparse import MAX_SEGMENTS, _last_level_cache_bytes

    llc = _last_level_cache_bytes()
    if feature_bytes <= llc // 4:
        return f"in cache (<= LLC/4 = {llc / 2 ** 20 / 4:g} MiB)"
    if feature_bytes <= MAX_SEGMENTS * llc // 4:
        return f"cache-blocked (<= LLC = {llc / 2 ** 20:g} MiB)"
    return "memory (> LLC)"


def one_size(N: int, E: int, C: int, ks: tuple, rounds: int, budget: float) -> dict:
    """Peak memory and time per iteration on one graph (run in a fresh process, so that the resident
    set holds nothing but this graph's work)."""
    from bench_iteration import bare_residual_loop
    from pyg_iterative import PIGNConv

    torch.manual_seed(0)
    ei = random_graph(N, E, torch.device("cpu"))
    x = torch.randn(N, C)
    inputs = ei.numel() * ei.element_size() + x.numel() * x.element_size()
    K = ks[0]
    make = lambda form, k, **kw: PIGNConv(C, num_iterations=k, form=form, **kw)  # noqa: E731
    row = {"nodes": N, "edges": E, "feature MiB": x.numel() * 4 / 2 ** 20, "regime": _regime(x.numel() * 4),
           "inputs MiB (x + edge_index)": inputs / 2 ** 20}
    # 1. the process: a first call (set-up, K iterations) above the inputs; the default form
    conv = make(None, K).eval()
    base = rss_bytes()
    reset_peak_rss()
    t = time.perf_counter()
    with torch.no_grad():
        conv(x, ei)
    row[f"first call s (K={K})"] = time.perf_counter() - t
    row["peak RSS MiB, first call"] = (rss_bytes("VmHWM") - base) / 2 ** 20
    # 2. live tensors (profiler): a first call of a fresh layer, the same call again, one training step
    fresh = make(None, K).eval()
    with torch.no_grad():
        row["peak tensors MiB, first call"] = cpu_allocated_peak(lambda: fresh(x, ei)) / 2 ** 20
        row["peak tensors MiB, same graph"] = cpu_allocated_peak(lambda: fresh(x, ei)) / 2 ** 20
    xg = x.clone().requires_grad_()
    for mode in ("unrolled", "implicit"):
        train = make(None, K, grad=mode, on_nonconvergence="ignore").train()

        def step(train=train):
            out = train(xg, ei)
            (out * out).sum().backward()

        step()  # the graph's set-up and the transpose, as in every later training step
        row[f"peak tensors MiB, train step {mode}"] = cpu_allocated_peak(step) / 2 ** 20
        del train
    for key in [k for k in row if k.startswith("peak")]:
        row[key.replace("MiB", "B/edge")] = row[key] * 2 ** 20 / E
    # 3. time per iteration, every variant in turn
    A = gcn_csr(ei, N)
    layers = {form: {k: make(form, k).eval() for k in ks} for form in FORMS}
    for by_k in layers.values():
        for c in by_k.values():
            c.load_state_dict(by_k[K].state_dict())
    op = layers["appnp"][K].operator  # the step the bare loop computes
    b = op.bias.detach()

    def spmm_only(k: int) -> torch.Tensor:
        z = x
        for _ in range(k):
            z = torch.sparse.mm(A, z)
        return z

    fns = {}
    for k in ks:
        for form, by_k in layers.items():
            fns[(form, k)] = lambda c=by_k[k]: c(x, ei)
        fns[("bare", k)] = lambda k=k: bare_residual_loop(A, x, b, k, op.alpha)
        fns[("spmm", k)] = lambda k=k: spmm_only(k)
    # while the graph's data fits the last-level cache, each timed call comes right after an untimed one of the
    # same variant (its data warm, as in a training loop); beyond, no call finds it in cache anyway
    from iterative_core.sparse import _last_level_cache_bytes

    warm = x.numel() * x.element_size() <= _last_level_cache_bytes()
    with torch.no_grad():
        times = interleaved_rounds(fns, rounds=rounds, budget=budget, warm=warm)
    n = min(len(v) for v in times.values())
    per = {}
    for who in (*FORMS, "bare", "spmm"):
        per[who] = (min(times[(who, ks[1])]) - min(times[(who, ks[0])])) / (ks[1] - ks[0])
        per[(who, "rounds")] = [(times[(who, ks[1])][r] - times[(who, ks[0])][r]) / (ks[1] - ks[0])
                                for r in range(n)]
    row.update({f"{form} ms/iter": per[form] * 1e3 for form in FORMS})
    row.update({"bare appnp ms/iter": per["bare"] * 1e3, "one sparse.mm ms": per["spmm"] * 1e3})
    row.update({f"{form} ns/edge/iter": per[form] / E * 1e9 for form in FORMS})
    row.update({
        "sparse.mm ns/edge": per["spmm"] / E * 1e9,
        "appnp / bare, min / med / max over rounds": "{:.2f} / {:.2f} / {:.2f}".format(*spread(
            [a / b for a, b in zip(per[("appnp", "rounds")], per[("bare", "rounds")])])),
    })
    row.update({f"fwd ms same graph (K={K}), {form}": min(times[(form, K)]) * 1e3 for form in FORMS})
    row.update({
        "rounds": n, "timed warm": warm,
        "process peak RSS MiB (whole run)": rss_bytes("VmHWM") / 2 ** 20,
        "times ms per round": {f"{who} K={k}": [round(v * 1e3, 3) for v in times[(who, k)]]
                               for who in (*FORMS, "bare", "spmm") for k in ks},
    })
    return row


def memory_main(args: argparse.Namespace) -> None:
    ks = (args.iterations, 3 * args.iterations)
    rows = []
    for size in args.sizes:
        cmd = [sys.executable, __file__, "--one-size", str(size), "--threads", str(args.threads), "--channels",
               str(args.channels), "--iterations",
               str(args.iterations), "--rounds", str(args.rounds), "--budget", str(args.budget)]
        res = subprocess.run(cmd, capture_output=True, text=True)
        if res.returncode != 0:
            raise RuntimeError(f"{size}: {res.stderr.strip()[-2000:]}")
        rows.append(json.loads(res.stdout.strip().splitlines()[-1]))
        print(rows[-1], flush=True)
    write_results(
        args.name or "scaling_memory_cpu", rows, device="cpu",
        title="Per-iteration time and peak memory from 10^5 to 10^7 edges, per memory regime",
        columns=[c for c in rows[0] if c != "times ms per round"],  # the raw times: in the JSON
        notes=[f"{args.channels} channels, random undirected graphs of degree 10, PIGNConv with default options "
               f"(validate=True, the per-graph cache), {args.threads} torch thread(s), one child process per size; "
               "memory: the default form (signed); time: each form",
               f"per iteration = (t({ks[1]}) - t({ks[0]})) / {ks[1] - ks[0]} of the forward (eval, no_grad) on the "
               f"same graph, fastest of up to {args.rounds} rounds, every variant timed in turn (timed warm: each timed call "
               "right after an untimed call of the same variant, done while the features fit the last-level cache); "
               "bare: "
               "torch.sparse.mm on a prebuilt CSR matrix, lerp, bias; one sparse.mm: the product alone",
               "regime: where one [N, C] float32 operand lives against the last-level cache (the CSR product "
               "is computed in cache-sized blocks between LLC/4 and LLC)",
               "peak RSS: the process's peak resident set (VmHWM, reset before the call) minus its resident set "
               "before it, during the first forward on the graph (set-up: input checks, normalisation, CSR build; "
               "then the iterations); it includes memory the C allocator keeps after frees",
               "peak tensors: live PyTorch CPU tensors above the level at the call's start, from the profiler's "
               "memory events: a first forward of a fresh layer (normalisation and CSR build; the edge-index range "
               "check was memoised by the call before), the same forward again (the graph's set-up cached), and "
               f"one training step (forward with K={ks[0]}, loss, backward; the graph's set-up and transpose built "
               "by an earlier step) with grad='unrolled' and 'implicit'; B/edge: bytes per edge"],
    )


def main() -> None:
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument("--device", type=device_name, default="cpu", help="cpu or cuda[:N] (--memory: cpu only)")
    p.add_argument("--channels", type=count, default=64)
    p.add_argument("--iterations", type=count, default=3)
    p.add_argument("--name", type=result_name, default=None, help="stem of the result files in benchmarks/results/")
    p.add_argument("--memory", action="store_true", help="time and peak memory per size, one process each")
    p.add_argument("--sizes", type=graph_size, nargs="+", action=distinct(), default=None,
                   help="with --memory only: nodes:edges of each graph (default: "
                        + " ".join(map(str, MEMORY_SIZES)) + ")")
    p.add_argument("--rounds", type=count, default=None, help="with --memory only: timing rounds (default: 5)")
    p.add_argument("--budget", type=positive_float, default=None,
                   help="with --memory only: seconds per size after which no further timing round starts (at least "
                        "3; default: 120)")
    p.add_argument("--threads", type=count, default=1, help="torch threads (CPU)")
    p.add_argument("--one-size", type=graph_size, default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    for key, default in MEMORY_DEFAULTS.items():
        if getattr(args, key) is None:
            setattr(args, key, default)
        elif not (args.memory or args.one_size):
            refuse(p, f"--{key}", getattr(args, key), "only together with --memory (without it the script times "
                   "fixed families of graphs, 5 rounds each)")
    if args.memory and args.device != "cpu":
        refuse(p, "--device", args.device, "cpu with --memory (it measures the CPU's resident set and tensors)")
    torch.set_num_threads(args.threads)
    if args.one_size:
        N, E = args.one_size
        print(json.dumps(one_size(N, E, args.channels, (args.iterations, 3 * args.iterations), args.rounds,
                                  args.budget)))
        return
    if args.memory:
        memory_main(args)
        return
    device = torch.device(args.device)

    from bench_iteration import bare_residual_loop
    from pyg_iterative import PIGNConv

    K, C = args.iterations, args.channels
    ks = (K, 2 * K, 4 * K)
    rows = []
    for family, sizes in FAMILIES.items():
        fam_rows = []
        for N, E in sizes:
            ei = random_graph(N, E, device)
            x = torch.randn(N, C, device=device)
            A = gcn_csr(ei, N)
            conv = {k: PIGNConv(C, num_iterations=k, form="appnp", cached=True, validate=False).to(device).eval()
                    for k in ks}
            op = conv[K].operator
            b = op.bias.detach()

            def spmm_only(k: int) -> torch.Tensor:
                z = x
                for _ in range(k):
                    z = torch.sparse.mm(A, z)
                return z

            with torch.no_grad():
                ref = bare_residual_loop(A, x, b, K, op.alpha)
                err = float((conv[K](x, ei) - ref).norm() / ref.norm())
                fns = {}
                for k in ks:
                    fns[("ours", k)] = lambda k=k: conv[k](x, ei)
                    fns[("bare", k)] = lambda k=k: bare_residual_loop(A, x, b, k, op.alpha)
                    fns[("spmm", k)] = lambda k=k: spmm_only(k)
                t = interleaved(fns, device, rounds=5, budget=30.0)
            per = {who: slope(ks, [t[(who, k)] for k in ks]) for who in ("ours", "bare", "spmm")}
            fam_rows.append({
                "family": family, "nodes": N, "edges": E, "feature MiB": round(N * C * 4 / 2 ** 20, 1),
                "PIGNConv ms/iter": per["ours"] * 1e3, "bare ms/iter": per["bare"] * 1e3,
                "one sparse.mm ms": per["spmm"] * 1e3,
                "PIGNConv ns/edge": per["ours"] / E * 1e9, "bare ns/edge": per["bare"] / E * 1e9,
                "sparse.mm ns/edge": per["spmm"] / E * 1e9,
                "PIGNConv / bare": per["ours"] / per["bare"], "max rel diff": err,
            })
            print(fam_rows[-1], flush=True)
        # at fixed nodes: least-squares t = a + b E, each point's deviation from it
        es = [r["edges"] for r in fam_rows]
        ts = [r["PIGNConv ms/iter"] for r in fam_rows]
        fixed_nodes = len({r["nodes"] for r in fam_rows}) == 1
        b_fit = slope(es, ts)
        a_fit = sum(ts) / len(ts) - b_fit * sum(es) / len(es)
        for r, t_ms in zip(fam_rows, ts):
            fit = a_fit + b_fit * r["edges"] if fixed_nodes else float("nan")
            r["fit a + bE ms"] = fit
            r["deviation from fit"] = t_ms / fit - 1
        rows += fam_rows
    write_results(
        args.name or f"scaling_{device.type}", rows, device=str(device),
        title="Time per iteration against the number of edges (PIGNConv form='appnp', bare loop, one sparse product)",
        columns=list(rows[0].keys()),
        notes=[f"{C} channels, random undirected graphs; eval mode, no_grad; per iteration = least-squares slope of "
               f"the forward time over K = {ks[0]}, {ks[1]}, {ks[2]} (fastest of up to 5 rounds, every variant timed "
               "in turn)",
               "PIGNConv: form='appnp' (named 'residual' while it was the default), cached adjacency, input checks "
               "off; bare: torch.sparse.mm on a prebuilt CSR matrix, lerp, bias; one sparse.mm: the product alone",
               "fit a + bE: least squares over the fixed-nodes family; linear in the edges = small deviations there"],
    )


if __name__ == "__main__":
    main()
