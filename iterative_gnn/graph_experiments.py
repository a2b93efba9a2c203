"""The graph-level experiments of ``iterative-gnn reproduce``: ``graphs`` and ``long_range``.

* ``graphs``: classify generated graphs by family (:func:`iterative_gnn.graph_families.make_family_graphs`,
  one-hot degree features). ``GraphPIGN`` with the library's defaults (``k`` iterations) against ``k``
  stacked GIN and GCN layers. Each trained ``GraphPIGN`` is also evaluated with 1..4k iterations, and
  run on the test graphs, in one batch, until each graph's own residual reaches :data:`ITERATION_TOL`
  (at most :data:`ITERATION_CAP` steps): the iterations each graph needed.
* ``long_range``: are the two marked nodes within distance 10?
  (:func:`iterative_gnn.graph_families.make_distance_graphs` with :data:`DISTANCE_TASK`: caterpillars
  of diameter up to 50, marks 8..10 or 19..21 hops apart, at least 4 hops from the spine's ends).
  ``GraphPIGN`` in each of the settings' forms, iterated to convergence (:data:`LONG_RANGE_PIGN`),
  against stacked GIN and GCN at each depth. No node of a 2-layer model sees both marks; 4 layers
see both only at distance 8; 8 and 16 layers at every distance of the near class.

Every model: hidden width 32, readout by pooling (sum; GraphPIGN on the long-range task by max, see
:data:`LONG_RANGE_PIGN`), Adam (lr 0.01, no weight decay), mini-batches of 32 graphs, the epoch with
the best validation accuracy kept; 60/20/20 split stratified by label. Each seed draws its own graphs
and initialises the models.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Optional

from .graph_families import (FAMILIES, degree_features, make_distance_graphs, make_family_graphs, mark_features)
from .graph_tasks import (GRAPH_MODELS, build_graph_model, collate, evaluate_graphs, graph_dataset,
                          per_graph_iterations, train_graph_classifier)
from .train import accuracy, seed_everything

__all__ = ["GRAPH_MODELS", "GraphTask", "GraphTraining", "FAMILY_TRAINING", "LONG_RANGE_TRAINING",
           "LONG_RANGE_PIGN", "DISTANCE_TASK", "ITERATION_TOL", "ITERATION_CAP", "plan", "run", "check_settings"]


@dataclass(frozen=True)
class GraphTraining:
    """How the models of an experiment are built and trained (``conv``: the ``GraphPIGN`` options,
    ``pign_pool``: its readout when not ``pool``)."""

    hidden: int = 32
    pool: str = "sum"
    pign_pool: Optional[str] = None
    lr: float = 0.01
    weight_decay: float = 0.0
    dropout: float = 0.0
    batch_size: int = 32
    conv: dict = field(default_factory=dict)


#: graph families: every model reads out by sum (GIN's readout; it sees the graph's size), GraphPIGN
#: with the library's defaults
FAMILY_TRAINING = GraphTraining()

#: GraphPIGN on the long-range task: iterated until the relative residual is below ``tol`` (at most
#: :data:`LONG_RANGE_MAX_ITER` steps; each graph of a batch stops on its own), implicit gradients.
#: It reads out by max: the forms ``"appnp"`` and ``"signed"`` iterate a linear map, and a sum over
#: the nodes of a linear map of the marks is the sum of what each mark contributes alone, blind to
#: how far apart they are; the stacked models read out by sum (GIN's readout)
LONG_RANGE_PIGN = {"tol": 1e-4, "grad": "implicit"}
LONG_RANGE_MAX_ITER = 300
LONG_RANGE_TRAINING = GraphTraining(pign_pool="max", conv=LONG_RANGE_PIGN)

#: the long-range task's generator arguments (with ``num_graphs`` and ``seed`` from the settings)
DISTANCE_TASK = {"threshold": 10, "spread": 2, "gap": 8, "margin": 4, "max_diameter": 50, "legs": 0.2, "max_leg": 1}

#: the per-graph convergence of a trained GraphPIGN: tolerance on each graph's relative residual, step cap
ITERATION_TOL = 1e-4
ITERATION_CAP = 500


@dataclass(frozen=True)
class GraphTask:
    """One training run of ``experiment`` (``"graphs"`` or ``"long_range"``): ``model`` at ``depth``
    (GraphPIGN: iterations; on the long-range task the most, with a tolerance) on the graphs of ``seed``.
    On the long-range task GraphPIGN's key names its form: ``pign-<form>``."""

    experiment: str
    model: str
    depth: int
    seed: int


def _seeds(name: str, s) -> int:
    return getattr(s, f"{name}_seeds") or s.seeds


def plan(name: str, s) -> list[GraphTask]:
    """The runs of experiment ``name`` under settings ``s``, seed after seed: each model at each depth
    (on the long-range task GraphPIGN once per form, iterated to convergence)."""
    out = []
    for seed in range(_seeds(name, s)):
        if name == "graphs":
            out += [GraphTask(name, m, d, seed) for d in s.graphs_depths for m in s.graphs_models]
        else:
            out += [GraphTask(name, m, d, seed) for d in s.long_range_depths for m in GRAPH_MODELS if m != "pign"]
            out += [GraphTask(name, f"pign-{f}", LONG_RANGE_MAX_ITER, seed) for f in s.long_range_forms]
    return out


def check_settings(name: str, s) -> None:
    """Refuse settings of experiment ``name`` that cannot run (ValueError naming the setting)."""
    depths = s.graphs_depths if name == "graphs" else s.long_range_depths
    bad = [d for d in depths if isinstance(d, bool) or not isinstance(d, int) or d < 1]
    if bad or not depths:
        raise ValueError(f"{name}_depths must be ints >= 1, got {tuple(depths)!r}")
    if name == "graphs":
        bad = [m for m in s.graphs_models if m not in GRAPH_MODELS]
        if bad:
            raise ValueError(f"unknown graphs model {bad[0]!r}; valid: {', '.join(GRAPH_MODELS)}")
        count, what = s.graphs_per_family, "graphs_per_family"
        minimum = 5  # a validation and a test graph of each family
    else:
        from iterative_core.forms import FORMS

        bad = [f for f in s.long_range_forms if f not in FORMS]
        if bad:
            raise ValueError(f"unknown long_range form {bad[0]!r}; valid: {', '.join(FORMS)}")
        count, what = s.long_range_graphs, "long_range_graphs"
        minimum = 10
    if isinstance(count, bool) or not isinstance(count, int) or count < minimum:
        raise ValueError(f"{what} must be an int >= {minimum}, got {count!r}")
    epochs = getattr(s, f"{name}_epochs")
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"{name}_epochs must be an int >= 1, got {epochs!r}")


def family_dataset(backend: str, per_family: int, seed: int, device: str = "cpu"):
    """The graph families of ``seed`` (``per_family`` graphs of each), one-hot degrees as features."""
    items = make_family_graphs(per_family, seed=seed)
    return graph_dataset(items, lambda it: degree_features(it.graph), backend, name="families",
                         num_classes=len(FAMILIES), split_seed=seed, device=device)


def distance_dataset(backend: str, num_graphs: int, seed: int, device: str = "cpu"):
    """The long-range task's graphs of ``seed``, a constant and the marks as features."""
    items = make_distance_graphs(num_graphs, seed=seed, **DISTANCE_TASK)
    return graph_dataset(items, mark_features, backend, name="distance", num_classes=2, split_seed=seed,
                         device=device)


def run(backend: str, task: GraphTask, s, cache: Callable) -> tuple[dict[str, list[dict]], str]:
    """Train ``task``'s model; return its rows by CSV name and a log line. ``cache(key, make)`` gives
    the dataset of ``key`` (made by ``make`` the first time)."""
    name, m, depth, seed = task.experiment, task.model, task.depth, task.seed
    if name == "graphs":
        ds = cache(("families", s.graphs_per_family, seed),
                   lambda: family_dataset(backend, s.graphs_per_family, seed, s.device))
        training, epochs = FAMILY_TRAINING, s.graphs_epochs
    else:
        ds = cache(("distance", s.long_range_graphs, seed),
                   lambda: distance_dataset(backend, s.long_range_graphs, seed, s.device))
        training, epochs = LONG_RANGE_TRAINING, s.long_range_epochs
    base, _, form = m.partition("-")
    conv = None
    if base == "pign":
        conv = dict(training.conv, **({"form": form} if form else {}))
    seed_everything(seed)
    pool = (training.pign_pool or training.pool) if base == "pign" else training.pool
    model = build_graph_model(backend, base, ds.num_features, training.hidden, ds.num_classes, depth,
                              pool=pool, dropout=training.dropout, conv=conv).to(ds.device)
    res = train_graph_classifier(model, ds, epochs=epochs, lr=training.lr, weight_decay=training.weight_decay,
                                 batch_size=training.batch_size, seed=seed)
    row = {"model": m, "depth": depth, "seed": seed, "test_acc": res.test_acc, "val_acc": res.val_acc,
           "best_epoch": res.best_epoch, "seconds": res.seconds}
    rows: dict[str, list[dict]] = {name: [row]}
    test = collate(ds, ds.test)
    if base == "pign" and name == "graphs":
        rows["graphs_inference"] = _inference_rows(model, ds, test, depth, seed, s.inference_factor)
        rows["graphs_iterations"] = _iteration_rows(model, ds, test, depth, seed)
        row["iterations"] = depth
    elif base == "pign":
        its, conv, _ = per_graph_iterations(model, test, tol=training.conv["tol"], max_iter=depth)
        row.update(iterations=float(its.float().mean()), max_iterations=int(its.max()),
                   converged=float(conv.float().mean()))
    line = (f"{name} {m} depth {depth} seed {seed}: test {res.test_acc * 100:.1f}% val {res.val_acc * 100:.1f}% "
            f"(epoch {res.best_epoch}, {res.seconds:.1f}s)")
    return rows, line


def _inference_rows(model, ds, test, k: int, seed: int, factor: int) -> list[dict]:
    """Accuracy of a GraphPIGN trained with ``k`` iterations, evaluated with 1..``factor * k``."""
    val = collate(ds, ds.val)
    conv, rows = model.conv, []
    try:
        for m in range(1, factor * k + 1):
            conv.eval_iterations = m
            acc = {}
            for part, b in (("test", test), ("val", val)):
                logits, _ = evaluate_graphs(model, b)
                acc[part] = accuracy(logits, b.y)  # k / n exactly, as every other experiment's
            rows.append({"trained_iterations": k, "eval_iterations": m, "seed": seed,
                         "test_acc": acc["test"], "val_acc": acc["val"]})
    finally:
        conv.eval_iterations = None
    return rows


def _iteration_rows(model, ds, test, k: int, seed: int) -> list[dict]:
    """The iterations each test graph needs to reach :data:`ITERATION_TOL` in one batch (capped)."""
    its, converged, correct = per_graph_iterations(model, test, tol=ITERATION_TOL, max_iter=ITERATION_CAP)
    return [{"trained_iterations": k, "seed": seed, "graph": int(i), "family": ds.items[int(i)].kind,
             "nodes": ds.items[int(i)].num_nodes, "iterations": int(n), "converged": int(bool(c)),
             "correct": int(bool(ok)), "tol": ITERATION_TOL, "cap": ITERATION_CAP}
            for i, n, c, ok in zip(test.index.tolist(), its.tolist(), converged.tolist(), correct.tolist())]
