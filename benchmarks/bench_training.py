"""Training steps: forward + backward of PIGNConv in each gradient mode against a bare torch loop.

For each graph size and each form of ``PIGNConv`` one training step (forward, ``loss = sum(out^2)``,
backward to the layer's parameters and to the input) runs with ``grad="unrolled"``, ``"implicit"`` and
``"phantom"`` in the PyG layer (edge index) and, when DGL is installed, the DGL layer (a ``DGLGraph``),
and the same step is written by hand as a torch loop with autograd on a prebuilt CSR matrix
(the same graph, the same step math):

* ``form="appnp"``: ``z <- (1 - alpha) Â z + alpha x + b``;
* ``form="signed"`` (the default): ``z <- s z + (1 - s) ((Â z) diag(gamma) + alpha x)`` with ``s = 0.3`` (no bias)
  and ``gamma = gamma_max tanh(atanh(gamma_init / gamma_max) + gamma_scale theta)``, ``theta`` learned;
* ``form="paper"``: ``z <- s z + (1 - s) relu(Â z W^T + b)`` with ``s = 0.5``.

The bare loops take the same gradient route as the mode: every step in the autograd graph
(unrolled); ``K - 1`` steps without gradients, one step with them and, in its backward hook, ``K``
adjoint steps ``g <- J^T g + v`` by vector-Jacobian products (implicit); ``K - 1`` steps without
gradients and the last one backpropagated through (phantom). Each comes in two versions: ``torch``
(``torch.sparse.mm`` and autograd's own backward, which transposes the CSR matrix at every step) and
``kept At`` (a small autograd function holding the transpose built once, as a careful hand-written
loop would). The targets are judged against the faster of the two.

Per iteration is ``(t(K2) - t(K1)) / (K2 - K1)`` of the whole step; ``step at K1`` the whole step with
``K1`` iterations on the graph of the previous calls (the layer's per-graph set-up cached, as the bare
loop's prebuilt matrix is). Every variant of one graph and form is timed in turn, round after round;
each row gives the ratio of the fastest times and the spread (min, median, max) of the ratio over the
rounds. One thread by default.

    python benchmarks/bench_training.py [--edges 100000 1000000] [--iterations 10 30] [--rounds 5]
"""
from __future__ import annotations

import os

os.environ.setdefault("OMP_NUM_THREADS", "1")  # DGL's kernels (OpenMP) too: set before dgl is imported
os.environ.setdefault("DGLBACKEND", "pytorch")

import argparse  # noqa: E402
import warnings  # noqa: E402
from typing import Callable  # noqa: E402

import torch  # noqa: E402
from torch import Tensor  # noqa: E402

from _common import (count, description, distinct, form, gcn_csr, grad_mode, graph_sizes,  # noqa: E402
                     interleaved_rounds, positive_float, random_graph, result_name, spread, write_results)
from iterative_core.forms import FORMS  # noqa: E402

warnings.filterwarnings("ignore")

MODES = ("unrolled", "implicit", "phantom")


class _KeptTranspose(torch.autograd.Function):
    """``A @ h`` whose backward multiplies by a transpose built once (not at every step)."""

    @staticmethod
    def forward(ctx, h: Tensor, A: Tensor, At: Tensor) -> Tensor:  # type: ignore[override]
        ctx.At = At
        return torch.sparse.mm(A, h)

    @staticmethod
    def backward(ctx, g: Tensor):  # type: ignore[override]
        return torch.sparse.mm(ctx.At, g), None, None


def bare_step(form: str, A: Tensor, At: Tensor | None, x: Tensor, W: Tensor | None, b: Tensor | None,
              alpha: float, gamma: Callable[[], Tensor] | None = None) -> Callable[[], Callable[[Tensor], Tensor]]:
    """One step of ``form`` by hand, as a ``prepare()`` that a forward calls once: what does not change
    from step to step (the addend ``alpha x + b``, or ``alpha x`` without a bias, the signed form's coefficients) is made there, as
    the layer makes it, and the step returned does the rest. ``At`` given: the product's backward uses
    it, else autograd's own. ``gamma``: the signed form's coefficients from its learned parameter."""
    mm = (lambda h: torch.sparse.mm(A, h)) if At is None else (lambda h: _KeptTranspose.apply(h, A, At))
    smoothing = FORMS[form]["smoothing"] if form in FORMS else 0.0  # the form's default, which the layers take

    def prepare() -> Callable[[Tensor], Tensor]:
        if form == "appnp":
            c = torch.add(b, x, alpha=alpha)
            return lambda z: torch.add(c, mm(z), alpha=1.0 - alpha)
        if form == "signed":
            c, g = (x * alpha if b is None else torch.add(b, x, alpha=alpha)), gamma()
            return lambda z: torch.lerp(mm(z * g) + c, z, smoothing)
        return lambda z: torch.lerp(torch.relu(mm(z @ W.t()) + b), z, smoothing)

    return prepare


def bare_forward(prepare: Callable[[], Callable[[Tensor], Tensor]], x: Tensor, k: int, mode: str) -> Tensor:
    """``k`` steps from ``x`` with the gradient route of ``mode`` (see the module docstring); the step
    is prepared once per forward (:func:`bare_step`)."""
    step = prepare()
    if mode == "unrolled":
        z = x
        for _ in range(k):
            z = step(z)
        return z
    with torch.no_grad():
        z = x
        for _ in range(k - 1):
            z = step(z)
    if mode == "phantom":
        return step(z)
    z_in = z.detach().requires_grad_()
    y = step(z_in)
    out = y.view_as(y)

    def adjoint(v: Tensor) -> Tensor:
        g = v
        for _ in range(k):
            (vjp,) = torch.autograd.grad(y, z_in, g, retain_graph=True)
            g = vjp + v
        return g

    out.register_hook(adjoint)
    return out


def _args() -> argparse.Namespace:
    p = argparse.ArgumentParser(description=description(__doc__))
    p.add_argument("--edges", type=count, nargs="+", default=[100_000, 1_000_000])
    p.add_argument("--nodes", type=count, nargs="+", default=None,
                   help="node counts, exactly one per edge count (default: edges // 10)")
    p.add_argument("--channels", type=count, default=64)
    p.add_argument("--iterations", type=count, nargs=2, default=[10, 30], metavar=("K1", "K2"),
                   action=distinct(increasing=True, why="K1 < K2: per iteration = (t(K2) - t(K1)) / (K2 - K1)"),
                   help="the two iteration counts, K1 < K2 (default: 10 30)")
    p.add_argument("--rounds", type=count, default=5)
    p.add_argument("--budget", type=positive_float, default=240.0,
                   help="seconds per graph and form after which no further round starts (at least 3 rounds)")
    p.add_argument("--threads", type=count, default=1)
    p.add_argument("--forms", type=form, nargs="+", action=distinct(), default=["appnp", "signed", "paper"],
                   help="forms of PIGNConv: " + ", ".join(FORMS))
    p.add_argument("--modes", type=grad_mode, nargs="+", action=distinct(), default=list(MODES),
                   help="gradient modes: " + ", ".join(MODES))
    p.add_argument("--no-bare-torch", action="store_true",
                   help="time only the bare loop with the kept transpose (autograd's own backward transposes the "
                        "matrix at every step: the slower of the two, and the costliest variant to time)")
    p.add_argument("--name", type=result_name, default=None, help="stem of the result files in benchmarks/results/")
    args = p.parse_args()
    args.sizes = graph_sizes(p, args.edges, args.nodes)
    return args


def main() -> None:
    args = _args()
    torch.set_num_threads(args.threads)
    try:
        import dgl
        import dgl_iterative
    except ImportError:
        dgl = None
    from pyg_iterative import PIGNConv

    ks = tuple(args.iterations)
    K = ks[0]
    C = args.channels
    rows = []
    for N, E in args.sizes:
        ei = random_graph(N, E, torch.device("cpu"))
        g = dgl.graph((ei[0], ei[1]), num_nodes=N) if dgl is not None else None
        torch.manual_seed(1)
        x = torch.randn(N, C, requires_grad=True)
        A = gcn_csr(ei, N)
        At = A.t().to_sparse_csr()
        for form in args.forms:
            torch.manual_seed(0)
            layers: dict = {}  # (library, mode, k) -> callable
            state = None
            for mode in args.modes:
                for k in ks:
                    conv = PIGNConv(C, num_iterations=k, form=form, grad=mode).train()
                    state = state or conv.state_dict()
                    conv.load_state_dict(state)
                    layers[("PyG", mode, k)] = (conv, lambda c=conv: c(x, ei))
                    if dgl is not None:
                        dconv = dgl_iterative.PIGNConv(C, num_iterations=k, form=form, grad=mode).train()
                        dconv.load_state_dict(state)
                        layers[("DGL", mode, k)] = (dconv, lambda c=dconv: c(g, x))
            some = layers[("PyG", args.modes[0], K)][0].operator
            alpha = float(some.alpha)
            b = None if some.bias is None else some.bias.detach().clone().requires_grad_()  # (signed: none)
            W = some.weight.detach().clone().requires_grad_() if form == "paper" else None
            theta = gamma = None
            if some.gamma_logit is not None:  # the signed form: the same map from its parameter
                theta = some.gamma_logit.detach().clone().requires_grad_()
                gmax, offset, scale = some.gamma_max, some._gamma_offset, some.gamma_scale
                gamma = lambda: gmax * torch.tanh(offset + scale * theta)  # noqa: E731
            # in the order of the layer's parameters sorted by name (bias, gamma_logit, weight)
            bare_params = [q for q in (b, theta, W) if q is not None]
            steps = {"bare kept At": bare_step(form, A, At, x, W, b, alpha, gamma)}
            if not args.no_bare_torch:
                steps["bare torch"] = bare_step(form, A, None, x, W, b, alpha, gamma)
            bares = [n for n in ("bare torch", "bare kept At") if n in steps]

            def run(forward: Callable[[], Tensor], params) -> list:
                x.grad = None
                for q in params:
                    q.grad = None
                out = forward()
                (out * out).sum().backward()
                return [out.detach()] + [q.grad for q in [x, *params]]

            fns = {}
            for (lib, mode, k), (conv, call) in layers.items():
                params = [q for _, q in sorted(conv.named_parameters())]
                fns[(lib, mode, k)] = lambda call=call, params=params: run(call, params)
            for name, step in steps.items():
                for mode in args.modes:
                    for k in ks:
                        fns[(name, mode, k)] = (lambda step=step, mode=mode, k=k:
                                                run(lambda: bare_forward(step, x, k, mode), bare_params))
            # the same step: output and gradients (input, bias, weight) against the bare loop's
            diffs = {}
            for mode in args.modes:
                ref = fns[("bare kept At", mode, K)]()
                others = [lib for lib in ("PyG", "DGL", "bare torch") if (lib, mode, K) in fns]
                for lib in others:
                    got = fns[(lib, mode, K)]()
                    diffs[(lib, mode)] = max(
                        float((a - r).norm() / r.norm()) if r is not None and r.norm() > 0 else
                        (0.0 if a is None or float(a.norm()) == 0 else float("inf"))
                        for a, r in zip(got, ref))
            times = interleaved_rounds(fns, rounds=args.rounds, budget=args.budget)
            n_rounds = min(len(v) for v in times.values())

            def per_iter(key_of, r=None):
                t = [min(times[key_of(k)]) if r is None else times[key_of(k)][r] for k in ks]
                return (t[1] - t[0]) / (ks[1] - ks[0])

            for mode in args.modes:
                bare_best = min(bares, key=lambda n: per_iter(lambda k: (n, mode, k)))
                for lib in [lb for lb in ("PyG", "DGL") if (lb, mode, K) in fns] + bares:
                    mine = per_iter(lambda k: (lib, mode, k))
                    row = {"edges": E, "nodes": N, "form": form, "grad": mode, "variant": lib,
                           "ms/iter": mine * 1e3, f"step ms (K={K})": min(times[(lib, mode, K)]) * 1e3}
                    for ref in bares:
                        theirs = per_iter(lambda k: (ref, mode, k))
                        row[f"/ {ref}, per iter"] = mine / theirs
                    ratios = [per_iter(lambda k: (lib, mode, k), r) / per_iter(lambda k: (bare_best, mode, k), r)
                              for r in range(n_rounds)]
                    lo, med, hi = spread(ratios)
                    row["/ best bare, per iter: min / med / max over rounds"] = f"{lo:.2f} / {med:.2f} / {hi:.2f}"
                    step_ratios = [times[(lib, mode, K)][r] / times[(bare_best, mode, K)][r] for r in range(n_rounds)]
                    lo, med, hi = spread(step_ratios)
                    row[f"/ best bare, step at K={K}"] = min(times[(lib, mode, K)]) / min(times[(bare_best, mode, K)])
                    row["step ratio min / med / max"] = f"{lo:.2f} / {med:.2f} / {hi:.2f}"
                    # the longer step: dominated by the iterations, and no difference of two noisy times
                    long_ratios = [times[(lib, mode, ks[1])][r] / times[(bare_best, mode, ks[1])][r]
                                   for r in range(n_rounds)]
                    row[f"/ best bare, step at K={ks[1]}"] = (min(times[(lib, mode, ks[1])])
                                                              / min(times[(bare_best, mode, ks[1])]))
                    row[f"K={ks[1]} ratio min / med / max"] = "{:.2f} / {:.2f} / {:.2f}".format(*spread(long_ratios))
                    row["best bare"] = bare_best
                    row["rounds"] = n_rounds
                    row["max rel diff (out, grads)"] = diffs.get((lib, mode), "reference")
                    row["times ms per round"] = {str(k): [round(t * 1e3, 3) for t in times[(lib, mode, k)]] for k in ks}
                    rows.append(row)
                    print(row, flush=True)
    tag = "dgl_env" if dgl is not None else "pyg_env"
    write_results(
        args.name or f"training_cpu_{tag}", rows, device="cpu",
        title="Training steps: PIGNConv (each gradient mode) against a bare torch loop with autograd",
        columns=[c for c in rows[0] if c != "times ms per round"],  # the raw times: in the JSON
        notes=[f"{C} channels, random undirected graphs (nodes = edges / 10 unless --nodes), train mode, one step = "
               f"forward, loss = sum(out^2), backward to the input and the layer's parameters; {args.threads} torch "
               f"thread(s) (OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}); layer options at their defaults "
               "but form and grad (validate=True, cached=False: the per-graph cache serves the repeated calls)",
               f"per iteration = (t({ks[1]}) - t({ks[0]})) / {ks[1] - ks[0]} of the whole step; step at K={K}: one whole "
               "step on the graph of the previous calls; fastest of up to "
               f"{args.rounds} rounds, every variant of one graph and form timed in turn each round; 'min / med / max "
               f"over rounds': the ratio to the best bare loop within each round; step at K={ks[1]}: the longer whole "
               "step, mostly iterations, a ratio of two times rather than of two differences (less noisy); every "
               "round's times are in the JSON",
               "bare torch: torch.sparse.mm on a prebuilt CSR matrix, autograd's own backward (it transposes the "
               "matrix at every step); bare kept At: the same with the transpose built once (a 10-line autograd "
               "function); implicit: K-1 steps without gradients, one with, K adjoint steps by VJPs in a backward "
               "hook; phantom: K-1 steps without gradients, the last backpropagated through",
               "the bare loops make what does not change between steps once per forward, as the layer does (the "
               "addend alpha x + b, the signed form's coefficients); results before 2026-12-04 remade them at every "
               "step, which flattered the layer",
               "max rel diff: output and gradients of the layer against 'bare kept At' at K (the same step math); "
               "target: layer / best bare <= 1.2 per iteration for grad='unrolled' and 'implicit'"]
        + (["bare torch not timed (--no-bare-torch): the layers are compared with the kept-transpose loop only"]
           if args.no_bare_torch else []),
    )


if __name__ == "__main__":
    main()
