"""Anderson against Picard: iterations and wall time to a relative residual of 1e-5.

On an untrained PIGNConv and on one trained briefly on Cora (when the data is available), both
with ``contraction=0.9`` so that the fixed point exists. Same operator, same start, same tolerance.

    python benchmarks/bench_solvers.py [--device cuda] [--data-root DIR]
"""
from __future__ import annotations

import argparse
import os
import warnings

import torch
import torch.nn.functional as F

from _common import description, device_name, positive_float, random_graph, time_it, write_results

warnings.filterwarnings("ignore")


def solve_stats(conv, x, ei, device):
    out = {}
    for solver in ("picard", "anderson"):
        conv.solver = solver
        conv.solver_options = {"m": 5} if solver == "anderson" else {}
        with torch.no_grad():
            _, info = conv(x, ei, return_info=True)
            t = time_it(lambda: conv(x, ei), device, repeat=5)
        out[solver] = (info.iterations, info.final_residual, t, info.status)
    return out


def smoothing(text: str) -> float:
    """The ``--smoothing`` argument: a number in [0, 1), as the layer takes it."""
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not 0.0 <= value < 1.0:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a number in [0, 1)")
    return value


def data_root(text: str) -> str:
    """The ``--data-root`` argument: an existing directory."""
    if not os.path.isdir(text):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected an existing directory (the data root "
                                         "holding planetoid/Cora/raw)")
    return text


def main() -> None:
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument("--device", type=device_name, default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--data-root", type=data_root, default=None,
                   help="the data root holding Cora, for the trained case (default: $ITERATIVE_GNN_DATA; "
                        "neither: the untrained case alone)")
    p.add_argument("--tol", type=positive_float, default=1e-5, help="the relative residual to reach")
    p.add_argument("--smoothing", type=smoothing, default=0.0, help="the layer's smoothing, in [0, 1)")
    args = p.parse_args()
    source = "--data-root" if args.data_root is not None else "$ITERATIVE_GNN_DATA (the default of --data-root)"
    if args.data_root is None and os.environ.get("ITERATIVE_GNN_DATA"):
        try:
            args.data_root = data_root(os.environ["ITERATIVE_GNN_DATA"])
        except argparse.ArgumentTypeError as exc:
            p.error(f"{source}: {exc}")
    ds = None
    if args.data_root:
        from iterative_gnn.data import DatasetUnavailable, load_node_dataset

        try:
            ds = load_node_dataset("cora", "pyg", args.data_root)
        except (DatasetUnavailable, ImportError) as exc:
            p.error(f"{source}: {args.data_root!r} holds no Cora that loads: {exc}")
    device = torch.device(args.device)
    from pyg_iterative import PIGN, PIGNConv

    def make_conv(C):
        # inject_input: a non-zero fixed point (without it the fixed point is 0 and a relative residual
        # cannot fall); the weight is scaled up so that the contraction=0.9 rescaling is active (q near 0.9)
        conv = PIGNConv(C, num_iterations=1000, smoothing=args.smoothing, tol=args.tol, contraction=0.9,
                        act="identity", inject_input=True, on_nonconvergence="ignore", form="paper").to(device).eval()
        with torch.no_grad():
            conv.operator.weight.mul_(10.0)
        return conv

    cases = []
    N, E, C = 20_000, 200_000, 64
    ei = random_graph(N, E, device)
    torch.manual_seed(0)
    cases.append(("untrained, random graph 20k nodes / 200k edges", make_conv(C), torch.randn(N, C, device=device), ei))
    if ds is not None:
        torch.manual_seed(0)
        model = PIGN(ds.x.size(1), 64, ds.num_classes, num_iterations=30, smoothing=0.0, contraction=0.9,
                     act="tanh", inject_input=True, cached=True, dropout=0.5, input_dropout=0.0,
                     form="paper")
        opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
        for _ in range(50):
            model.train()
            opt.zero_grad()
            F.cross_entropy(model(ds.x, ds.graph)[ds.train_mask], ds.y[ds.train_mask]).backward()
            opt.step()
        model.eval()
        conv = make_conv(64)
        conv.operator.load_state_dict(model.conv.operator.state_dict())
        with torch.no_grad():
            h = model.encode(ds.x)
        cases.append(("trained 50 epochs on Cora (2708 nodes)", conv.to(device), h.to(device), ds.graph.to(device)))
    rows = []
    for name, conv, x, ei_ in cases:
        st = solve_stats(conv, x, ei_, device)
        for solver, (it, res, t, status) in st.items():
            rows.append({"case": name, "solver": solver, "iterations": it, "final rel residual": res,
                         "status": status, "wall ms": t * 1e3,
                         "iterations vs picard": it / st["picard"][0], "time vs picard": t / st["picard"][2]})
            print(rows[-1], flush=True)
    write_results(f"solvers_{device.type}", rows, device=str(device),
                  title=f"Anderson against Picard to a relative residual of {args.tol:g}",
                  columns=list(rows[0].keys()),
                  notes=["PIGNConv with contraction=0.9, act=identity (untrained) / tanh (trained), inject_input=True, smoothing "
                         f"{args.smoothing}; Anderson m=5, lam=1e-4; eval mode"])


if __name__ == "__main__":
    main()
