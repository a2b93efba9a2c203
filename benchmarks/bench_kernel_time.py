"""Where the time of one forward goes on a graph whose iterates are far larger than the caches: user
time, kernel time and minor page faults per call, PIGNConv (each form) against the bare loop.

Each ``[N, C]`` iterate of a 10^7-edge graph (10^6 nodes, 64 channels) is 244 MiB. glibc's
allocator serves a block that large (above its mapping threshold, at most 32 MiB) with a fresh
mapping and returns it to the kernel when freed, so every iteration's new output (the layer's, as the
bare loop's) is faulted in, page by page, again. This script measures that kernel time per call,
every variant in turn, in one child process per allocator setting (the allocator variables of the
calling environment removed): the default, and
``THP_MEM_ALLOC_ENABLE=1`` (PyTorch's transparent huge pages for large CPU blocks, where the
kernel allows them on request), and glibc told to keep freed blocks in its heap
(``MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=68719476736``: no separate mapping for a large block,
and the heap's top not given back), so that the next iteration reuses pages already faulted in.

    python benchmarks/bench_kernel_time.py [--size 1000000:10000000] [--iterations 9] [--rounds 5]
        [--variants appnp,signed,paper,bare,appnp-fresh,signed-fresh]
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _common import (GraphSize, count, description, distinct, gcn_csr, graph_size, one_of, random_graph,  # noqa: E402
                     read_setting, result_name, rss_bytes, write_results)

FORMS = ("appnp", "signed", "paper")
THP = "/sys/kernel/mm/transparent_hugepage/"
#: --variants: short name -> variant
VARIANTS = {"appnp": "appnp", "signed": "signed", "paper": "paper", "bare": "bare",
            "appnp-fresh": "appnp, fresh iterates", "signed-fresh": "signed, fresh iterates"}
#: glibc keeps freed blocks in its heap when it may not map large ones apart (MALLOC_MMAP_MAX_=0) nor give
#: the heap's top back (a trim threshold of 64 GiB)
GLIBC_KEEP = {"MALLOC_MMAP_MAX_": "0", "MALLOC_TRIM_THRESHOLD_": str(64 * 2 ** 30)}
SETTINGS = {"default": {}, "THP_MEM_ALLOC_ENABLE=1": {"THP_MEM_ALLOC_ENABLE": "1"},
            "MALLOC_MMAP_MAX_=0 MALLOC_TRIM_THRESHOLD_=64GiB": GLIBC_KEEP}
#: variables that change the allocator: removed from every child's environment before its setting is applied
ALLOCATOR_ENV_PREFIXES = ("MALLOC_", "GLIBC_TUNABLES", "LD_PRELOAD", "THP_MEM_ALLOC_ENABLE")


def child(size: GraphSize, C: int, K: int, rounds: int, variants: list[str]) -> list[dict]:
    """Time ``variants`` in turn, in that order, ``rounds`` times, after one untimed call each."""
    from bench_iteration import bare_residual_loop
    from pyg_iterative import PIGNConv

    torch.set_num_threads(1)
    N, E = size
    torch.manual_seed(0)
    ei = random_graph(N, E, torch.device("cpu"))
    x = torch.randn(N, C)
    A = gcn_csr(ei, N)
    layers = {form: PIGNConv(C, num_iterations=K, form=form).eval() for form in FORMS}
    op = layers["appnp"].operator
    fns = {form: (lambda c=c: c(x, ei)) for form, c in layers.items()}
    fns["bare"] = lambda: bare_residual_loop(A, x, op.bias.detach(), K, op.alpha)
    # the forms as before they reused their buffers: grad mode on with nothing that requires a gradient
    # (no graph is recorded, but each step allocates its iterate as when one is)
    for form in ("appnp", "signed"):
        fresh = PIGNConv(C, num_iterations=K, form=form).eval().requires_grad_(False)
        fresh.load_state_dict(layers[form].state_dict())

        def call_fresh(layer=fresh) -> torch.Tensor:
            with torch.enable_grad():
                return layer(x, ei)

        fns[f"{form}, fresh iterates"] = call_fresh
    fns = {VARIANTS[v]: fns[VARIANTS[v]] for v in variants}
    samples: dict[str, list[tuple[float, float, float, int]]] = {name: [] for name in fns}
    with torch.no_grad():
        for fn in fns.values():  # set-up (normalisation, CSR build) out of the timed calls
            fn()
        for _ in range(rounds):
            for name, fn in fns.items():
                r0 = resource.getrusage(resource.RUSAGE_SELF)
                t0 = time.perf_counter()
                out = fn()
                wall = time.perf_counter() - t0
                r1 = resource.getrusage(resource.RUSAGE_SELF)
                del out
                samples[name].append((wall, r1.ru_utime - r0.ru_utime, r1.ru_stime - r0.ru_stime,
                                      r1.ru_minflt - r0.ru_minflt))
    peak = rss_bytes("VmHWM") / 2 ** 20
    rows = []
    bare_wall = [s[0] for s in samples["bare"]]
    for name, s in samples.items():
        walls = [v[0] for v in s]
        rows.append({
            "nodes": N, "edges": E, "variant": name, "iterations": K, "rounds": rounds,
            "wall s, min / median / max": "{:.2f} / {:.2f} / {:.2f}".format(min(walls), statistics.median(walls),
                                                                            max(walls)),
            "user s, median": statistics.median(v[1] for v in s),
            "kernel s, median / max": "{:.2f} / {:.2f}".format(statistics.median(v[2] for v in s),
                                                               max(v[2] for v in s)),
            "kernel share of wall, median": statistics.median(v[2] / v[0] for v in s),
            "minor faults per call, median": int(statistics.median(v[3] for v in s)),
            "minor faults per call, max": max(v[3] for v in s),
            "minor faults per call / iterations, median": statistics.median(v[3] for v in s) / K,
            "wall / bare, same round: min / median / max": "{:.2f} / {:.2f} / {:.2f}".format(
                *(f(a / b for a, b in zip(walls, bare_wall)) for f in (min, statistics.median, max))),
            "process peak RSS MiB": peak,
            "wall s per round": [round(w, 3) for w in walls],
            "kernel s per round": [round(v[2], 3) for v in s],
            "minor faults per round": [v[3] for v in s],
        })
    return rows


def variant_list(text: str) -> list[str]:
    """The ``--variants`` argument: comma-separated names of :data:`VARIANTS`, each at most once."""
    variants = text.split(",")
    if any(v not in VARIANTS for v in variants) or len(set(variants)) != len(variants):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected comma-separated names, each at most "
                                         f"once, of: {', '.join(VARIANTS)}")
    return variants + ([] if "bare" in variants else ["bare"])  # the reference of the same-round ratios


def main() -> None:
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument("--size", type=graph_size, default="1000000:10000000", help="nodes:edges (degree-10 random graph)")
    p.add_argument("--channels", type=count, default=64)
    p.add_argument("--iterations", type=count, default=9)
    p.add_argument("--rounds", type=count, default=5)
    p.add_argument("--name", type=result_name, default="kernel_time_cpu",
                   help="stem of the result files in benchmarks/results/")
    p.add_argument("--allocators", type=one_of(SETTINGS), nargs="+", action=distinct(), default=list(SETTINGS),
                   help="allocator settings to run, each at most once (default: all): "
                        + ", ".join(map(repr, SETTINGS)))
    p.add_argument("--variants", type=variant_list, default=",".join(VARIANTS),
                   help=f"comma-separated, timed in this order in each round (the bare loop always; default: all): "
                        f"{', '.join(VARIANTS)}")
    p.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args()
    torch.set_num_threads(1)
    if args.child:
        print(json.dumps(child(args.size, args.channels, args.iterations, args.rounds, args.variants)))
        return
    rows = []
    for setting in args.allocators:
        extra = SETTINGS[setting]
        cmd = [sys.executable, __file__, "--child", "--size", str(args.size), "--channels", str(args.channels),
               "--iterations", str(args.iterations), "--rounds", str(args.rounds),
               "--variants", ",".join(args.variants)]
        env = {k: v for k, v in os.environ.items() if not k.startswith(ALLOCATOR_ENV_PREFIXES)} | extra
        res = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if res.returncode != 0:
            raise RuntimeError(f"{setting}: {res.stderr.strip()[-2000:]}")
        for row in json.loads(res.stdout.strip().splitlines()[-1]):
            rows.append({"allocator": setting, **row})
            print(rows[-1], flush=True)
    write_results(
        args.name, rows, device="cpu",
        title="User time, kernel time and page faults per forward, iterates far beyond the caches",
        columns=[c for c in rows[0] if not c.endswith("per round")],
        notes=[f"{args.channels} channels, a random undirected graph of degree 10, one torch thread, eval and no_grad; "
               f"each variant called once untimed (set-up), then all in turn, in the order of the table, for {args.rounds} "
               "rounds; one child "
               "process per allocator setting",
               "variants: PIGNConv with form=appnp / signed / paper (default options) and the bare loop "
               "(prebuilt CSR matrix, one addmm per iteration, as bench_iteration.py); 'appnp / signed, fresh "
               "iterates': that layer called with grad mode on and nothing requiring a gradient, where its step "
               "allocates a new iterate at every step instead of reusing the forward pass's buffers",
               "user and kernel s: getrusage of the process around the call; minor faults: pages first touched "
               "during the call (4 KiB pages, or 2 MiB huge pages where the kernel gave them)",
               f"kernel transparent huge pages: enabled {read_setting(THP + 'enabled')}, "
               f"defrag {read_setting(THP + 'defrag')}",
               "per-round wall time, kernel time and faults: in the JSON"],
    )


if __name__ == "__main__":
    main()
