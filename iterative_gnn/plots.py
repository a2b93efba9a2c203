"""PNG plots of the reproduce experiments (matplotlib, headless)."""
from __future__ import annotations

import math
from pathlib import Path

_STYLE = {
    "gcn": ("tab:red", "s"), "pign-paper": ("tab:blue", "o"), "pign-best": ("tab:green", "^"),
    "pign-inject": ("tab:purple", "v"), "pign-default": ("tab:gray", "D"),
    "pign": ("tab:green", "^"), "appnp": ("tab:orange", "x"), "gcn2": ("tab:brown", "+"),
}
_LABEL = {
    "gcn": "stacked GCN (layers)", "pign-paper": "PIGN, paper's form (iterations)",
    "pign-best": "PIGN, best form (iterations)", "pign-inject": "PIGN + input injection",
    "pign-default": "PIGN, library defaults",
    "pign": "PIGN to convergence", "appnp": "APPNP", "gcn2": "GCNII",
}


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    _plt().close(fig)
    return path


def _panels(rows: list[dict]):
    """A figure with one panel per dataset: ``(fig, [(ax, dataset, that dataset's rows), ...])``."""
    names = list(dict.fromkeys(r["dataset"] for r in rows))
    fig, axes = _plt().subplots(1, len(names), figsize=(5 * len(names), 3.8), squeeze=False)
    return fig, [(ax, n, [r for r in rows if r["dataset"] == n]) for ax, n in zip(axes[0], names)]


def _label_axes(ax, xlabel: str, ylabel: str, title: str, fontsize: int = 8) -> None:
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    ax.grid(alpha=0.3, which="both")
    ax.legend(fontsize=fontsize)


def _style(key: str) -> tuple:
    """``(color, marker, linestyle, label)``; a variant (``gcn:wd0``) is its model's, dashed."""
    base, _, variant = key.partition(":")
    color, marker = _STYLE.get(base, (None, "o"))
    label = _LABEL.get(base, base) + (f" [{variant}]" if variant else "")
    return color, marker, "--" if variant else "-", label


def _line(ax, xs, means, stds, key):
    color, marker, ls, label = _style(key)
    ax.errorbar(xs, [m * 100 for m in means], yerr=[s * 100 for s in stds], label=label,
                color=color, marker=marker, linestyle=ls, capsize=3)


def plot_depth(summary: list[dict], out: Path) -> dict[str, Path]:
    """``depth.png``: one panel per dataset without noise; ``noise.png``: one per (dataset, noise)."""
    plt = _plt()
    files = {}
    panels = sorted({(r["dataset"], float(r["noise"])) for r in summary}, key=lambda t: (t[1], t[0]))
    for fname, sel in (("depth.png", [p for p in panels if p[1] == 0.0]), ("noise.png", [p for p in panels if p[1]])):
        if not sel:
            continue
        fig, axes = plt.subplots(1, len(sel), figsize=(5 * len(sel), 3.8), squeeze=False)
        for ax, (ds, noise) in zip(axes[0], sel):
            rs = [r for r in summary if r["dataset"] == ds and float(r["noise"]) == noise]
            for key in dict.fromkeys(r["model"] for r in rs):
                pts = sorted((int(r["depth"]), r["test_acc_mean"], r["test_acc_std"]) for r in rs if r["model"] == key)
                if len(pts) == 1:
                    color, marker, _, label = _style(key)
                    ax.errorbar([pts[0][0]], [pts[0][1] * 100], yerr=[pts[0][2] * 100], color=color, marker=marker,
                                linestyle="none", capsize=3, label=label)
                else:
                    _line(ax, *zip(*pts), key)
            ax.set_xscale("log", base=2)
            _label_axes(ax, "depth: iterations (PIGN) / layers (GCN)", "test accuracy (%)",
                        f"{ds}" + (f", feature noise {noise}" if noise else ""))
        files[fname] = _save(fig, out / fname)
    return files


def plot_inference(summary: list[dict], out: Path) -> dict[str, Path]:
    """``inference.png``: accuracy of a PIGN trained with k iterations, evaluated with 1..4k."""
    fig, panels = _panels(summary)
    for ax, ds, rs in panels:
        for key in dict.fromkeys(r["model"] for r in rs):
            pts = sorted((int(r["eval_iterations"]), r["test_acc_mean"], r["test_acc_std"]) for r in rs
                         if r["model"] == key)
            _line(ax, *zip(*pts), key)
            k = int(next(r["trained_iterations"] for r in rs if r["model"] == key))
        ax.axvline(k, color="k", linestyle=":", label=f"trained with {k}")
        _label_axes(ax, "iterations at inference", "test accuracy (%)", ds)
    return {"inference.png": _save(fig, out / "inference.png")}


def plot_residuals(rows: list[dict], out: Path) -> dict[str, Path]:
    """``residuals.png``: relative residual after each iteration (log scale), untrained and trained."""
    fig, panels = _panels(rows)
    for ax, ds, rs in panels:
        for key in dict.fromkeys(r["model"] for r in rs):
            for state, style in (("untrained", "--"), ("trained", "-")):
                sel = [r for r in rs if r["model"] == key and r["state"] == state]
                if not sel:
                    continue
                its = sorted({int(r["iteration"]) for r in sel})
                ys = []  # geometric mean over seeds
                for i in its:
                    vals = [float(r["residual"]) for r in sel if int(r["iteration"]) == i and float(r["residual"]) > 0]
                    ys.append(math.exp(sum(map(math.log, vals)) / len(vals)) if vals else float("nan"))
                color, _ = _STYLE.get(key, (None, "o"))
                ax.plot(its, ys, style, color=color, label=f"{_LABEL.get(key, key)}, {state}")
        ax.set_yscale("log")
        _label_axes(ax, "iteration", "relative residual ||z_{k+1} - z_k|| / ||z_k||", ds, fontsize=7)
    return {"residuals.png": _save(fig, out / "residuals.png")}


def plot_chains(summary: list[dict], out: Path) -> dict[str, Path]:
    """``chains.png``: test accuracy against chain length."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5, 3.8))
    for key in dict.fromkeys(r["model"] for r in summary):
        pts = sorted((int(r["length"]), r["test_acc_mean"], r["test_acc_std"]) for r in summary if r["model"] == key)
        color, marker = _STYLE.get(key, (None, "o"))
        ax.errorbar(*zip(*[(x, m * 100) for x, m, _ in pts]), yerr=[sd * 100 for *_, sd in pts], color=color,
                    marker=marker, capsize=3, label={"gcn": "2-layer GCN"}.get(key, _LABEL.get(key, key)))
    ax.axhline(50, color="k", linestyle=":", label="chance (2 classes)")
    _label_axes(ax, "chain length L", "test accuracy (%)", "chains (IGNN benchmark)")
    return {"chains.png": _save(fig, out / "chains.png")}
