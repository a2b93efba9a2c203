"""PNG plots of the reproduce experiments (matplotlib, headless)."""
from __future__ import annotations

import math
from pathlib import Path

_STYLE = {
    "gcn": ("tab:red", "s"), "pign-paper": ("tab:blue", "o"), "pign-best": ("tab:green", "^"),
    "pign-inject": ("tab:purple", "v"), "pign-default": ("tab:gray", "D"), "pign-recommended": ("tab:olive", "P"),
    "pign": ("tab:green", "^"), "appnp": ("tab:orange", "x"), "gcn2": ("tab:brown", "+"),
}
_LABEL = {
    "gcn": "stacked GCN (layers)", "pign-paper": "PIGN, paper's form (iterations)",
    "pign-best": "PIGN, best form (iterations)", "pign-inject": "PIGN + input injection",
    "pign-default": "PIGN, library defaults", "pign-recommended": "PIGN, recommended defaults",
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


def _line(ax, xs, means, stds, key):
    color, marker = _STYLE.get(key, (None, "o"))
    ax.errorbar(xs, [m * 100 for m in means], yerr=[s * 100 for s in stds], label=_LABEL.get(key, key),
                color=color, marker=marker, capsize=3)


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
                    color, marker = _STYLE.get(key, (None, "o"))
                    ax.errorbar([pts[0][0]], [pts[0][1] * 100], yerr=[pts[0][2] * 100], color=color, marker=marker,
                                linestyle="none", capsize=3, label=_LABEL.get(key, key))
                else:
                    _line(ax, *zip(*pts), key)
            ax.set_xscale("log", base=2)
            ax.set_xlabel("depth: iterations (PIGN) / layers (GCN)")
            ax.set_ylabel("test accuracy (%)")
            ax.set_title(f"{ds}" + (f", feature noise {noise}" if noise else ""))
            ax.grid(alpha=0.3)
            ax.legend(fontsize=8)
        files[fname] = _save(fig, out / fname)
    return files


def plot_inference(summary: list[dict], out: Path) -> dict[str, Path]:
    """``inference.png``: accuracy of a PIGN trained with k iterations, evaluated with 1..4k."""
    plt = _plt()
    dss = list(dict.fromkeys(r["dataset"] for r in summary))
    fig, axes = plt.subplots(1, len(dss), figsize=(5 * len(dss), 3.8), squeeze=False)
    for ax, ds in zip(axes[0], dss):
        rs = [r for r in summary if r["dataset"] == ds]
        for key in dict.fromkeys(r["model"] for r in rs):
            pts = sorted((int(r["eval_iterations"]), r["test_acc_mean"], r["test_acc_std"]) for r in rs
                         if r["model"] == key)
            _line(ax, *zip(*pts), key)
            k = int(next(r["trained_iterations"] for r in rs if r["model"] == key))
        ax.axvline(k, color="k", linestyle=":", label=f"trained with {k}")
        ax.set_xlabel("iterations at inference")
        ax.set_ylabel("test accuracy (%)")
        ax.set_title(ds)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    return {"inference.png": _save(fig, out / "inference.png")}


def plot_residuals(rows: list[dict], out: Path) -> dict[str, Path]:
    """``residuals.png``: relative residual after each iteration (log scale), untrained and trained."""
    plt = _plt()
    dss = list(dict.fromkeys(r["dataset"] for r in rows))
    fig, axes = plt.subplots(1, len(dss), figsize=(5 * len(dss), 3.8), squeeze=False)
    for ax, ds in zip(axes[0], dss):
        rs = [r for r in rows if r["dataset"] == ds]
        for key in dict.fromkeys(r["model"] for r in rs):
            for state, style in (("untrained", "--"), ("trained", "-")):
                seeds = sorted({r["seed"] for r in rs if r["model"] == key and r["state"] == state})
                if not seeds:
                    continue
                its = sorted({int(r["iteration"]) for r in rs if r["model"] == key and r["state"] == state})
                # geometric mean over seeds
                ys = []
                for i in its:
                    vals = [float(r["residual"]) for r in rs if r["model"] == key and r["state"] == state
                            and int(r["iteration"]) == i and float(r["residual"]) > 0]
                    ys.append(math.exp(sum(map(math.log, vals)) / len(vals)) if vals else float("nan"))
                color, _ = _STYLE.get(key, (None, "o"))
                ax.plot(its, ys, style, color=color, label=f"{_LABEL.get(key, key)}, {state}")
        ax.set_yscale("log")
        ax.set_xlabel("iteration")
        ax.set_ylabel("relative residual ||z_{k+1} - z_k|| / ||z_k||")
        ax.set_title(ds)
        ax.grid(alpha=0.3, which="both")
        ax.legend(fontsize=7)
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
    ax.set_xlabel("chain length L")
    ax.set_ylabel("test accuracy (%)")
    ax.set_title("chains (IGNN benchmark)")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)
    return {"chains.png": _save(fig, out / "chains.png")}
