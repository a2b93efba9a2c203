"""Each form's time per iteration against its memory-traffic floor, and where the rest goes.

The floor of one step is the bytes it must move divided by the machine's copy bandwidth (one large
``Tensor.copy_``, reads plus writes, same thread count), both measured in this run:

* the CSR matrix: row pointers (int64), column indices (int64) and values (float32) of ``E + N``
  entries (the edges and the self-loops);
* the iterate: one read when one ``N x C`` tensor fits in the last-level cache (LLC), else one
  gathered row per entry (``(E + N) x C`` floats);
* the constant term ``c = alpha x + b`` (the bias alone for the paper form): one read; the output:
  one write;
* the paper form also its dense transform ``z W``: one read of the iterate and one write.

The layer's per-iteration time is the slope between ``K`` and ``4K`` steps (PyG ``PIGNConv``,
``cached=True, validate=False``, eval, no_grad, every call on the same graph). The same run times
each operation a step is made of on tensors of the step's size (the fused product
``addmm(c, A, h)`` on the layer's matrix, the signed form's per-channel scaling, its addend
``(1 - s) c + s z`` and the product accumulated into it, the paper form's dense transform, ReLU and
smoothing ``lerp``): the table gives their sum, the
product alone against its own floor, and what remains (the solver's bookkeeping).

    python benchmarks/bench_floor.py [--edges 100000 500000 1000000] [--forms appnp signed paper]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")

import argparse  # noqa: E402
import warnings  # noqa: E402

import torch  # noqa: E402

from _common import (count, description, distinct, interleaved_rounds, one_of, random_graph,  # noqa: E402
                     result_name, slope, write_results)

warnings.filterwarnings("ignore")

#: the operations of each form's step as the layer takes them (the signed form's smoothed step: BoundStep.smoothed)
STEPS = {"appnp": ["product"], "signed": ["scaling", "addend", "product into addend"],
         "paper": ["transform", "product (bias)", "relu", "lerp"]}


def _args() -> argparse.Namespace:
    from iterative_core.forms import FORM_ALIASES

    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument("--edges", type=count, nargs="+", action=distinct(), default=[100_000, 500_000, 1_000_000],
                   help="edge counts, one graph each (nodes = edges // 10, at least 10)")
    p.add_argument("--channels", type=count, default=64)
    p.add_argument("--iterations", type=count, default=10)
    p.add_argument("--forms", type=one_of(STEPS, FORM_ALIASES), nargs="+", action=distinct(), default=list(STEPS),
                   help="forms of PIGNConv: " + ", ".join(STEPS)
                   + "".join(f" ({old}: the former name of {new})" for old, new in FORM_ALIASES.items()))
    p.add_argument("--rounds", type=count, default=7)
    p.add_argument("--threads", type=count, default=1)
    p.add_argument("--copy-mib", type=count, default=256, help="size of the copy that measures the bandwidth")
    p.add_argument("--name", type=result_name, default="floor_cpu",
                   help="stem of the result files in benchmarks/results/")
    return p.parse_args()


def copy_bandwidth(mib: int, rounds: int) -> float:
    """Bytes per second of a large ``dst.copy_(src)`` (one read and one write of each byte): fastest of
    ``rounds``."""
    src = torch.randn(mib * (1 << 20) // 4)
    dst = torch.empty_like(src)
    times = interleaved_rounds({"copy": lambda: dst.copy_(src)}, rounds=rounds, budget=30.0)["copy"]
    return 2 * src.numel() * 4 / min(times)


def floor_bytes(form: str, n: int, nnz: int, c: int, llc: int) -> dict:
    """The bytes one step of ``form`` must move, by part (see the module docstring)."""
    dense = n * c * 4
    parts = {"csr": (n + 1) * 8 + nnz * 12,
             "iterate": dense if dense <= llc else nnz * c * 4,
             "constant": dense if form != "paper" else c * 4,
             "output": dense}
    if form == "paper":
        parts["transform"] = 2 * dense
    return parts


def main() -> None:
    args = _args()
    torch.set_num_threads(args.threads)
    from iterative_core import gcn_propagation
    from iterative_core.sparse import _last_level_cache_bytes, csr_pair
    from pyg_iterative import PIGNConv

    llc = _last_level_cache_bytes()
    K, C = args.iterations, args.channels
    ks = (K, 4 * K)
    bw = copy_bandwidth(args.copy_mib, args.rounds)
    print(f"copy bandwidth {bw / 1e9:.2f} GB/s (reads + writes), LLC {llc / 2**20:.0f} MiB", flush=True)
    rows = []
    for E in args.edges:
        N = max(E // 10, 10)
        ei = random_graph(N, E, torch.device("cpu"))
        x = torch.randn(N, C)
        prop = gcn_propagation(ei[0], ei[1], N)
        pair = csr_pair(prop.src, prop.dst, prop.weight, N)  # the layer's product: cache-blocked where that pays
        nnz = pair.A._nnz()
        z, cst = torch.randn(N, C), torch.randn(N, C)
        g, bias = torch.rand(C) * 2 - 1, torch.randn(C)
        W = torch.randn(C, C) / C ** 0.5
        buf = torch.randn(N, C)  # an addend handed over to the product (the signed form's smoothed step)
        fns = {}
        for form in args.forms:
            torch.manual_seed(0)
            layers = {k: PIGNConv(C, num_iterations=k, form=form, cached=True, validate=False).eval() for k in ks}
            for k, layer in layers.items():
                layer.load_state_dict(layers[K].state_dict())
                fns[(form, k)] = lambda layer=layer: layer(x, ei)
        parts = {  # one operation of a step each, on tensors of the step's size
            "product": lambda: pair.product(z, cst, 0.9),
            "product (bias)": lambda: pair.product(z, bias, 1.0),
            "scaling": lambda: z * g,
            "addend": lambda: torch.add(cst, z, alpha=0.3),
            "product into addend": lambda: pair.product(z, buf, 0.7, into_add=True),
            "lerp": lambda: torch.lerp(cst, z, 0.3),
            "transform": lambda: z @ W,
            "relu": lambda: torch.relu(z),
        }
        fns.update(parts)
        with torch.no_grad():
            times = interleaved_rounds(fns, rounds=args.rounds, budget=600.0, warm=True)
        best = {key: min(v) for key, v in times.items()}
        for form in args.forms:
            per = slope(ks, [best[(form, k)] for k in ks])
            fb = floor_bytes(form, N, nnz, C, llc)
            floor = sum(fb.values()) / bw
            ops = STEPS[form]
            op_time = sum(best[o] for o in ops)
            product = best[next(o for o in ops if o.startswith("product"))]
            product_floor = (fb["csr"] + fb["iterate"] + (fb["constant"] if form != "paper" else 0)
                             + fb["output"]) / bw
            row = {"edges": E, "nodes": N, "form": form, "one N x C tensor MiB": N * C * 4 / 2**20,
                   "ms/iter": per * 1e3, "floor ms": floor * 1e3, "ms/iter / floor": per / floor,
                   "floor MB": sum(fb.values()) / 1e6,
                   "step's operations": " + ".join(ops), "their sum ms": op_time * 1e3,
                   "product ms": product * 1e3, "product / its floor": product / product_floor,
                   "other operations ms": (op_time - product) * 1e3,
                   "rest ms (layer - operations)": (per - op_time) * 1e3}
            rows.append(row)
            print(row, flush=True)
    write_results(
        args.name, rows, device="cpu",
        title="Per-iteration time against the memory-traffic floor, and where the time goes",
        columns=list(rows[0].keys()),
        notes=[f"copy bandwidth {bw / 1e9:.2f} GB/s (a {args.copy_mib} MiB `copy_`, reads + writes, fastest of "
               f"{args.rounds}); last-level cache {llc / 2**20:.0f} MiB; {args.threads} torch thread(s); "
               f"{C} channels, random undirected graphs with nodes = edges / 10, self-loops added",
               "floor = bytes a step must move / copy bandwidth: the CSR arrays, the iterate (one read if one "
               "N x C float32 tensor fits in the LLC, else one gathered row per matrix entry), the constant term, "
               "the output, and for the paper form the dense transform (read + write)",
               f"ms/iter: PyG PIGNConv (cached=True, validate=False, eval, no_grad), (t({4 * K}) - t({K})) / "
               f"{3 * K}, fastest of {args.rounds} rounds, every variant timed in turn, each timed call right after "
               "an untimed call of the same variant",
               "operations: each timed alone on tensors of the step's size (product = the core's fused sparse product "
               "with its addend, addmm(c, A, z), in column blocks where the layer uses them); rest = the layer's step minus their sum (the solver's "
               "bookkeeping, allocations)"],
    )


if __name__ == "__main__":
    main()
