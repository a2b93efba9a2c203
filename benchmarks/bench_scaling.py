"""How the time per iteration grows with the number of edges: PIGNConv (default form) against the bare
loop and against one sparse product, on two families of random graphs.

* fixed degree (10 edges per node): nodes and edges grow together, so the features outgrow the
  caches on the way; the sparse product itself then costs more per edge;
* fixed nodes (10^5): only the edges grow, the memory the products gather from stays the same.

Per iteration is the slope of the forward time over ``K, 2K, 4K`` iterations, every variant timed in
turn. Linear in the edges means, at fixed nodes, that ``t = a + b * E`` fits every point; the table
gives each point's deviation from that fit, and the time per edge.

    python benchmarks/bench_scaling.py [--device cuda] [--iterations 3]
"""
from __future__ import annotations

import argparse
import warnings

import torch

from _common import gcn_csr, interleaved, random_graph, slope, write_results

warnings.filterwarnings("ignore")

FAMILIES = {
    "degree 10": [(1_000, 10_000), (10_000, 100_000), (100_000, 1_000_000), (200_000, 2_000_000),
                  (400_000, 4_000_000)],
    "nodes 1e5": [(100_000, 250_000), (100_000, 500_000), (100_000, 1_000_000), (100_000, 2_000_000),
                  (100_000, 4_000_000)],
}


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--device", default="cpu")
    p.add_argument("--channels", type=int, default=64)
    p.add_argument("--iterations", type=int, default=3)
    p.add_argument("--name", default=None)
    args = p.parse_args()
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
            conv = {k: PIGNConv(C, num_iterations=k, cached=True, validate=False).to(device).eval() for k in ks}
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
        title="Time per iteration against the number of edges (default PIGNConv, bare loop, one sparse product)",
        columns=list(rows[0].keys()),
        notes=[f"{C} channels, random undirected graphs; eval mode, no_grad; per iteration = least-squares slope of "
               f"the forward time over K = {ks[0]}, {ks[1]}, {ks[2]} (fastest of up to 5 rounds, every variant timed "
               "in turn)",
               "PIGNConv: form='residual' (the default), cached adjacency, input checks off; bare: torch.sparse.mm "
               "on a prebuilt CSR matrix, lerp, bias; one sparse.mm: the product alone",
               "fit a + bE: least squares over the fixed-nodes family; linear in the edges = small deviations there"],
    )


if __name__ == "__main__":
    main()
