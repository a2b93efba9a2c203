"""What pushes the signed form's learned coefficients to their bound in the drop-in script?

At its fixed point the signed form filters each channel, ``z_c = alpha (I - gamma_c Â)^-1 x_c``: on an
eigenvector of ``Â`` with eigenvalue ``λ`` (in (-1, 1]) its gain is ``alpha / (1 - gamma_c λ)``, at
``λ = 1`` 0.2 at the start (``gamma_c = 0.5``) and 1 at the bound 0.9. In the drop-in script
(``examples/drop_in_gcn.py``) training drives the coefficients of both layers to the bound. This script
trains the script's model with the step's input term rescaled per channel, through operators
registered with the library's extension API:

* ``signed``: the library's default form, unchanged (``c = alpha x``);
* ``dc``: gain 1 at ``λ = 1`` whatever ``gamma_c``, ``c = (1 - gamma_c) x`` (APPNP's normalisation per
  channel);
* ``peak``: the largest gain over ``λ`` in [-1, 1] held at 1, ``c = (1 - |gamma_c|) x``.

Each run prints, at the epoch of the best validation accuracy, the validation, rest-node (in none of
the split's masks: a second validation set) and test accuracy, and each layer's mean coefficient and
share of negative ones (%); and after the last epoch the validation accuracy and the same coefficients
(``*_end``).

    python docs/results/drop_in/gain.py --variants signed,dc,peak --datasets cora,citeseer --seeds 0-4 --log L
    python docs/results/drop_in/gain.py --summary L
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
from collections import defaultdict
from pathlib import Path

import torch
import torch.nn.functional as F

torch.set_num_threads(1)

ROOT = Path(__file__).resolve().parents[3]
for folder in ("", "common", "examples", "docs/results"):  # the library from this checkout, the example, the logs
    sys.path.insert(0, str(ROOT / folder))

from drop_in_gcn import build  # noqa: E402
from iterative_gnn.data import load_node_dataset  # noqa: E402
from pyg_iterative import register_operator  # noqa: E402
from pyg_iterative.gcn_operator import GCNOperator  # noqa: E402
from sweep_log import RunLog, parse_seeds  # noqa: E402

VARIANTS = ("signed", "dc", "peak")


class GainOperator(GCNOperator):
    """The GCN operator with the signed form's input term ``alpha x`` rescaled per channel: by
    ``(1 - gamma_c) / alpha`` (``"dc"``) or ``(1 - |gamma_c|) / alpha`` (``"peak"``), as a subclass's
    ``variant`` says."""

    variant: str

    def bind_step(self, x, W, propagate, scale=None, batch=None):
        step = super().bind_step(x, W, propagate, scale, batch)
        g = self.gamma()
        if g is None or scale is not None or self.bias is not None or not self.alpha or W is not None:
            raise ValueError("GainOperator rescales the signed form's step alone (no bias, weight or scale)")
        g = g.to(x.dtype)
        step.c = step.c * (((1 - g) if self.variant == "dc" else (1 - g.abs())) / self.alpha)
        return step


class DCOperator(GainOperator):
    variant = "dc"


class PeakOperator(GainOperator):
    variant = "peak"


register_operator("gcn-dc", DCOperator, overwrite=True)
register_operator("gcn-peak", PeakOperator, overwrite=True)


def options(variant: str) -> dict:
    """The ``PIGNConv`` options of ``variant``: none (the library's default), or the registered operator."""
    if variant == "signed":
        return {}
    return {"conv": f"gcn-{variant}", "form": "signed"}


def run(ds, variant: str, seed: int, epochs: int = 200) -> dict:
    """The drop-in script's training (``examples/drop_in_gcn.py``): Adam lr 0.01, weight decay 5e-4 on
    the first layer, 200 epochs; what it measures at the epoch of the best validation accuracy."""
    torch.manual_seed(seed)
    model = build("pyg", "pign", ds.x.size(1), ds.num_classes, **options(variant))
    opt = torch.optim.Adam([dict(params=model.conv1.parameters(), weight_decay=5e-4),
                            dict(params=model.conv2.parameters(), weight_decay=0.0)], lr=0.01)
    rest = ~(ds.train_mask | ds.val_mask | ds.test_mask)
    best = {"val": -1.0}
    for epoch in range(epochs):
        model.train()
        opt.zero_grad()
        F.cross_entropy(model(ds.x, ds.graph)[ds.train_mask], ds.y[ds.train_mask]).backward()
        opt.step()
        model.eval()
        with torch.no_grad():
            right = (model(ds.x, ds.graph).argmax(-1) == ds.y).float()
            val = float(right[ds.val_mask].mean())
            if val > best["val"]:
                best = {"val": val, "rest": float(right[rest].mean()), "test": float(right[ds.test_mask].mean()),
                        "epoch": epoch, **coefficients(model)}
    end = {f"{k}_end": v for k, v in coefficients(model).items()}
    return {k: v if k == "epoch" else round(v, 4) if k.startswith("gamma") else round(100 * v, 2)
            for k, v in {**best, **end, "val_end": val}.items()}


def coefficients(model) -> dict:
    """Each layer's mean coefficient (``gamma1``, ``gamma2``) and share of negative ones (``negative1``, ...)."""
    with torch.no_grad():
        gammas = {i: conv.operator.gamma() for i, conv in ((1, model.conv1), (2, model.conv2))}
    return {**{f"gamma{i}": float(g.mean()) for i, g in gammas.items()},
            **{f"negative{i}": float((g < 0).float().mean()) for i, g in gammas.items()}}


def summarize(paths: list[str]) -> str:
    rows = [json.loads(line) for p in paths for line in Path(p).read_text().splitlines() if line.strip()]
    rows = [r for r in rows if not r.get("header")]
    cell = defaultdict(list)
    for r in rows:
        cell[(r["dataset"], r["variant"])].append(r)
    out = ["| dataset | variant | seeds | validation | rest nodes | test | mean gamma, layer 1 / layer 2 "
           "| negative gammas (%), layer 1 / layer 2 | after 200 epochs: validation, mean gamma layer 1 / layer 2 |",
           "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"]
    for (ds, variant), rs in sorted(cell.items(), key=lambda kv: (kv[0][0], VARIANTS.index(kv[0][1]))):
        m = {k: statistics.mean(r[k] for r in rs)
             for k in ("val", "rest", "test", "gamma1", "gamma2", "negative1", "negative2", "val_end", "gamma1_end",
                       "gamma2_end")}
        sd = statistics.stdev(r["test"] for r in rs) if len(rs) > 1 else 0.0
        out.append(f"| {ds} | {variant} | {len(rs)} | {m['val']:.1f} | {m['rest']:.1f} | {m['test']:.1f} +- {sd:.1f} "
                   f"| {m['gamma1']:.2f} / {m['gamma2']:.2f} | {m['negative1']:.0f} / {m['negative2']:.0f} "
                   f"| {m['val_end']:.1f}, {m['gamma1_end']:.2f} / {m['gamma2_end']:.2f} |")
    return "\n".join(out)


def main(argv=None) -> None:
    argv = sys.argv[1:] if argv is None else argv
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--variants", default=",".join(VARIANTS))
    p.add_argument("--datasets", default="cora,citeseer")
    p.add_argument("--seeds", default="0-4")
    p.add_argument("--log", help="append one JSON line per run here (after a header)")
    p.add_argument("--summary", nargs="+", metavar="LOG", help="print the table of these logs and exit")
    args = p.parse_args(argv)
    if args.summary:
        print(summarize(args.summary))
        return
    variants = args.variants.split(",")
    for v in variants:
        if v not in VARIANTS:
            raise SystemExit(f"--variants: {v!r} is not one of {', '.join(VARIANTS)}")
    log = RunLog(args.log, argv)
    for name in args.datasets.split(","):
        ds = load_node_dataset(name, "pyg")
        for seed in parse_seeds(args.seeds):
            for v in variants:
                log.write({"dataset": name, "variant": v, "seed": seed, **run(ds, v, seed)})


if __name__ == "__main__":
    main()
