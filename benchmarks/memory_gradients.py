"""Peak memory of one forward + backward pass: ``grad="unrolled"`` against ``grad="implicit"``.

The iterated map is the core's GCN operator on a random undirected graph (``gcn_propagation``, a CSR
product), :math:`T(z) = \\tanh(\\hat A z W^\\top + b + x)` with ``W`` rescaled to a 0.9-contraction
(``GCNOperatorBase.weight_for``), run for a fixed number of Krasnoselskii-Mann steps (smoothing 0.5,
no tol); the implicit backward runs as many adjoint steps. Loss: ``(z * z).sum()``, gradients to
``W``, ``b`` and ``x``.

Each configuration runs in a fresh child process. On the CPU the peak is the child's peak resident
set (``VmHWM``, reset with ``/proc/self/clear_refs``) minus its resident set just before the pass,
so it sees every allocation PyTorch makes; on a GPU it is ``torch.cuda.max_memory_allocated`` above
the memory held before the pass. A warm-up pass on a 1,000-node graph loads the code paths first.

    .venv/bin/python benchmarks/memory_gradients.py [--device cuda] [--nodes 50000] [--iterations 5 20 50 100]

Targets (issue 3): implicit at 100 iterations within 1.5x of implicit at 5; unrolled grows linearly.
"""
from __future__ import annotations

import argparse
import gc
import json
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "common"), str(Path(__file__).resolve().parent)]


def _status(key: str) -> int:
    """A ``/proc/self/status`` entry in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(key):
            return int(line.split()[1]) * 1024
    raise KeyError(key)


class PeakMemory:
    """Peak memory above the level at ``__enter__``: the CUDA allocator's peak on a GPU, the peak
    resident set (``VmHWM``, restarted with ``clear_refs``; Linux) on the CPU. ``bytes`` after exit."""

    def __init__(self, device) -> None:
        self.cuda = device.type == "cuda"
        self.device = device
        self.bytes = 0

    def _now(self, peak: bool) -> int:
        import torch

        if self.cuda:
            torch.cuda.synchronize(self.device)
            return (torch.cuda.max_memory_allocated if peak else torch.cuda.memory_allocated)(self.device)
        return _status("VmHWM" if peak else "VmRSS")

    def __enter__(self) -> "PeakMemory":
        import torch

        if self.cuda:
            torch.cuda.reset_peak_memory_stats(self.device)
        else:
            Path("/proc/self/clear_refs").write_text("5")  # the peak resident set restarts from the current one
        self.base = self._now(peak=False)
        return self

    def __exit__(self, *exc) -> None:
        self.bytes = self._now(peak=True) - self.base


def measure(device_name: str, mode: str, iters: int, nodes: int, edges: int, channels: int) -> dict:
    """One configuration, in this (child) process."""
    import torch

    import iterative_core as ic
    from _common import random_graph, sync
    from iterative_core.sparse import csr_pair, spmm_csr

    device = torch.device(device_name)

    def problem(n: int, e: int):
        torch.manual_seed(0)
        src, dst = random_graph(n, e, device)
        prop = ic.gcn_propagation(src, dst, n)
        pair = csr_pair(prop.src, prop.dst, prop.weight, n)
        op = ic.GCNOperatorBase(channels).to(device)
        with torch.no_grad():
            op.weight.mul_(3.0)  # above the budget: the contraction rescaling is active
            op.bias.normal_()
        x = torch.randn(n, channels, device=device, requires_grad=True)
        return op, pair, prop.norm_bound(), x

    def step(op, pair, bound, x):
        W = op.weight_for(0.9, bound)
        T = lambda z: torch.tanh(op.step(z, lambda h: spmm_csr(pair, h), W, x) + x)  # noqa: E731
        z, info = ic.fixed_point(T, x, max_iter=iters, smoothing=0.5, grad=mode, on_divergence="ignore")
        (z * z).sum().backward()
        return info

    step(*problem(1000, 10_000))  # load the code paths (first-call allocations are not the method's)
    args = problem(nodes, edges)
    gc.collect()
    with PeakMemory(device) as mem:
        t = time.perf_counter()
        info = step(*args)
        sync(device)
        seconds = time.perf_counter() - t
    return {"mode": mode, "iterations": iters, "peak MiB": mem.bytes / 2**20, "seconds": seconds,
            "backward iterations": info.backward_iterations}


def linear_fit(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Least-squares line ``y = a + b x``: ``(a, b, r2)``."""
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mx) ** 2 for x in xs)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sxx
    a = my - b * mx
    ss_res = sum((y - a - b * x) ** 2 for x, y in zip(xs, ys))
    ss_tot = sum((y - my) ** 2 for y in ys)
    return a, b, 1.0 - ss_res / ss_tot if ss_tot else 1.0


def main() -> None:
    from _common import count, description, device_name, distinct, result_name

    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument("--device", type=device_name, default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--nodes", type=count, default=50_000)
    p.add_argument("--edges", type=count, default=250_000, help="directed edges (both directions of E/2 pairs)")
    p.add_argument("--channels", type=count, default=16)
    p.add_argument("--iterations", type=count, nargs="+", default=[5, 20, 50, 100],
                   action=distinct(at_least=2, increasing=True, why="a line is fitted to the unrolled peaks, and "
                                   "the implicit peak at the last is compared with the first"),
                   help="iteration counts, at least two, in increasing order (default: 5 20 50 100)")
    p.add_argument("--name", type=result_name, default=None,
                   help="results file stem (default memory_gradients[_cuda])")
    p.add_argument("--child", nargs=2, metavar=("MODE", "ITERS"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(measure(args.device, args.child[0], int(args.child[1]), args.nodes, args.edges,
                                 args.channels)))
        return
    from _common import write_results

    rows = []
    for mode in ("unrolled", "implicit"):
        for iters in args.iterations:
            cmd = [sys.executable, __file__, "--child", mode, str(iters), "--device", args.device,
                   "--nodes", str(args.nodes), "--edges", str(args.edges), "--channels", str(args.channels)]
            res = subprocess.run(cmd, capture_output=True, text=True)
            if res.returncode != 0:
                raise SystemExit(f"{mode} at {iters} iterations failed:\n{res.stderr}")
            row = json.loads(res.stdout.strip().splitlines()[-1])
            rows.append(row)
            print(row, flush=True)
    peak = {(r["mode"], r["iterations"]): r["peak MiB"] for r in rows}
    first, last = args.iterations[0], args.iterations[-1]
    def ratio(a: float, b: float) -> float:  # (a graph so small that a peak reads 0.0 MiB has no ratio)
        return a / b if b else float("nan")

    for r in rows:
        r["vs implicit at same iterations"] = ratio(r["peak MiB"], peak[("implicit", r["iterations"])])
        r[f"vs same mode at {first}"] = ratio(r["peak MiB"], peak[(r["mode"], first)])
    a, b, r2 = linear_fit([float(i) for i in args.iterations], [peak[("unrolled", i)] for i in args.iterations])
    growth = ratio(peak[("implicit", last)], peak[("implicit", first)])
    summary = {"implicit peak at %d / at %d" % (last, first): growth, "target <= 1.5": growth <= 1.5,
               "unrolled MiB per iteration": b, "unrolled intercept MiB": a, "unrolled linear fit r2": r2}
    print(json.dumps(summary, indent=2))
    measure_note = ("peak resident set of a child process (VmHWM after clear_refs) minus its resident set "
                    "before the pass" if args.device == "cpu" else
                    "torch.cuda.max_memory_allocated minus the memory allocated before the pass")
    tensor_mib = args.nodes * args.channels * 4 / 2**20
    exe = Path(sys.executable)
    exe = exe.relative_to(ROOT) if exe.is_relative_to(ROOT) else exe
    exact = " ".join([str(exe), str(Path(__file__).resolve().relative_to(ROOT))] + sys.argv[1:])
    write_results(
        args.name or ("memory_gradients" if args.device == "cpu" else "memory_gradients_cuda"),
        rows, device=args.device,
        columns=["mode", "iterations", "peak MiB", "seconds", "backward iterations",
                 "vs implicit at same iterations", f"vs same mode at {first}"],
        title="Peak memory of forward + backward: unrolled against implicit gradients",
        notes=[f"iterative_core GCN operator (CSR product), {args.nodes} nodes, {args.edges} directed edges, "
               f"{args.channels} channels (one [N, C] float32 tensor = {tensor_mib:.2f} MiB), contraction 0.9, "
               "smoothing 0.5, no tol; one child process per row",
               f"exact command (from the repository root): `{exact}`",
               f"measure: {measure_note}; seconds: one pass, not a timing benchmark (shared machine)",
               f"implicit peak at {last} iterations / at {first}: {growth:.3f} (target <= 1.5: "
               f"{'met' if growth <= 1.5 else 'NOT met'})",
               f"unrolled: {b:.2f} MiB per iteration (linear fit, intercept {a:.1f} MiB, r^2 = {r2:.4f})"],
    )


if __name__ == "__main__":
    main()
