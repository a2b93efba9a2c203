"""PNG plots of the reproduce experiments (matplotlib, headless)."""
from __future__ import annotations

import math
from pathlib import Path
from typing import Optional

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


#: how to install what the plots need, named when it is missing
INSTALL_HINT = "pip install matplotlib, or the command's extra: pip install 'iterative-gnn[pyg]'"


def missing_library() -> Optional[str]:
    """Why no plot can be drawn here (matplotlib cannot be imported, with how to install it), or None."""
    try:
        import matplotlib  # noqa: F401
    except ImportError as exc:
        return f"matplotlib cannot be imported ({exc}); {INSTALL_HINT}"
    return None


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


_FORM_COLORS = ("tab:green", "tab:blue", "tab:purple", "tab:olive", "tab:cyan", "tab:pink")


def plot_heterophily(summary: list[dict], out: Path) -> dict[str, Path]:
    """``heterophily.png``: test accuracy (mean ± std over seeds) against the CSBM's homophily h, one
    line per model (PIGN in each form)."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(6, 4.2))
    forms = [k for k in dict.fromkeys(r["model"] for r in summary) if k.startswith("pign-")]
    style = {"mlp": ("tab:gray", "x", "MLP"), "gcn": ("tab:red", "s", "2-layer GCN")}
    style.update({k: (_FORM_COLORS[i % len(_FORM_COLORS)], "o", f"PIGN, form '{k[len('pign-'):]}'")
                  for i, k in enumerate(forms)})
    for key in dict.fromkeys(r["model"] for r in summary):
        pts = sorted((float(r["h"]), r["test_acc_mean"], r["test_acc_std"]) for r in summary if r["model"] == key)
        color, marker, label = style.get(key, (None, "o", key))
        ax.errorbar([p[0] for p in pts], [p[1] * 100 for p in pts], yerr=[p[2] * 100 for p in pts], color=color,
                    marker=marker, capsize=3, label=label)
    _label_axes(ax, "edge homophily h", "test accuracy (%)", "contextual SBM (2000 nodes, 2 classes, degree 10)")
    return {"heterophily.png": _save(fig, out / "heterophily.png")}


_GRAPH_STYLE = {"pign": ("tab:green", "^", "GraphPIGN (iterations)"), "gin": ("tab:orange", "o", "stacked GIN (layers)"),
                "gcn": ("tab:red", "s", "stacked GCN (layers)")}


def _depth_lines(ax, summary: list[dict], models) -> None:
    for key in models:
        pts = sorted((int(r["depth"]), r["test_acc_mean"], r["test_acc_std"]) for r in summary if r["model"] == key)
        color, marker, label = _GRAPH_STYLE.get(key, (None, "o", key))
        ax.errorbar([p[0] for p in pts], [p[1] * 100 for p in pts], yerr=[p[2] * 100 for p in pts], color=color,
                    marker=marker, capsize=3, label=label)
    ax.set_xscale("log", base=2)


def plot_graphs(summary: list[dict], out: Path) -> dict[str, Path]:
    """``graphs.png``: graph-family classification, test accuracy against depth."""
    fig, ax = _plt().subplots(figsize=(5.5, 4))
    _depth_lines(ax, summary, dict.fromkeys(r["model"] for r in summary))
    _label_axes(ax, "depth: iterations (GraphPIGN) / layers", "test accuracy (%)", "graph families")
    return {"graphs.png": _save(fig, out / "graphs.png")}


def plot_graphs_inference(summary: list[dict], out: Path) -> dict[str, Path]:
    """``graphs_inference.png``: a GraphPIGN trained with k iterations, evaluated with 1..4k; one line per k."""
    fig, ax = _plt().subplots(figsize=(5.5, 4))
    for i, k in enumerate(sorted({int(r["trained_iterations"]) for r in summary})):
        pts = sorted((int(r["eval_iterations"]), r["test_acc_mean"], r["test_acc_std"]) for r in summary
                     if int(r["trained_iterations"]) == k)
        color = _FORM_COLORS[i % len(_FORM_COLORS)]
        ax.errorbar([p[0] for p in pts], [p[1] * 100 for p in pts], yerr=[p[2] * 100 for p in pts], color=color,
                    capsize=2, label=f"trained with {k}")
        ax.axvline(k, color=color, linestyle=":")
    ax.set_xscale("log", base=2)
    _label_axes(ax, "iterations at inference", "test accuracy (%)", "graph families: GraphPIGN")
    return {"graphs_inference.png": _save(fig, out / "graphs_inference.png")}


def _iteration_bins(its: list[int]) -> range:
    """Bin edges of about 30 equal bins over the whole range of ``its``: the last edge is above the
    largest value (the graphs at the cap, the slowest, must not fall off the end)."""
    lo, hi = min(its), max(its)
    step = max(1, (hi - lo + 1) // 30)
    return range(lo, hi + step + 1, step)


def plot_graphs_iterations(rows: list[dict], out: Path) -> dict[str, Path]:
    """``graphs_iterations.png``: histogram of the iterations each test graph needed to reach the
    tolerance in one batch, one step histogram per training iteration count k."""
    fig, ax = _plt().subplots(figsize=(5.5, 4))
    cap = int(rows[0]["cap"])
    for i, k in enumerate(sorted({int(r["trained_iterations"]) for r in rows})):
        its = [int(r["iterations"]) for r in rows if int(r["trained_iterations"]) == k]
        ax.hist(its, bins=_iteration_bins(its), histtype="step", linewidth=1.5,
                color=_FORM_COLORS[i % len(_FORM_COLORS)], label=f"trained with {k} ({len(its)} graphs)")
    _label_axes(ax, f"iterations to reach tol {float(rows[0]['tol']):g} (cap {cap})", "test graphs",
                "graph families: per-graph convergence in one batch")
    return {"graphs_iterations.png": _save(fig, out / "graphs_iterations.png")}


def plot_long_range(summary: list[dict], out: Path) -> dict[str, Path]:
    """``long_range.png``: test accuracy of the stacked models against depth; GraphPIGN iterated to
    convergence as a horizontal band (mean ± std); chance at 50%."""
    fig, ax = _plt().subplots(figsize=(5.5, 4))
    _depth_lines(ax, summary, [m for m in dict.fromkeys(r["model"] for r in summary) if not m.startswith("pign")])
    for i, r in enumerate(r for r in summary if r["model"].startswith("pign")):
        m, sd = r["test_acc_mean"] * 100, r["test_acc_std"] * 100
        color = _FORM_COLORS[i % len(_FORM_COLORS)]
        ax.axhline(m, color=color, label=f"GraphPIGN, form '{r['model'].partition('-')[2]}', to convergence "
                                         f"({r['iterations_mean']:.0f} iterations)")
        ax.axhspan(m - sd, m + sd, color=color, alpha=0.15)
    ax.axhline(50, color="k", linestyle=":", label="chance")
    _label_axes(ax, "layers of the stacked models", "test accuracy (%)", "long range: marks within distance d?")
    return {"long_range.png": _save(fig, out / "long_range.png")}
