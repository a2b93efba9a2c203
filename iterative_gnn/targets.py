"""The acceptance targets of the reproduce experiments, as data (a leaf module: nothing but the table).

Each :class:`Target` names a ``check`` (how :func:`iterative_gnn.reproduce.check_targets` measures
it) and the numbers it is checked against; its ``text`` is the target as the report states it, a
``str.format`` template. Accuracies and margins are fractions (``0.01`` is one point).

The checks and the fields each reads:

* ``floor``: the mean test accuracy of ``model`` on ``dataset`` is at least ``threshold`` at every
  depth of the run from ``depths[0]`` to ``depths[-1]``.
* ``flat``: each model of ``family`` in the run's depth sweep, on each dataset, stays within
  ``margin`` of its best depth at each of ``depths``.
* ``collapse``: ``model`` on each dataset loses more than ``margin`` from its best depth at
  ``depths`` (measured only when a shallower depth was run).
* ``near``: ``model`` at ``depths[0]`` is at most ``margin`` below ``reference`` at
  ``reference_depth``, on each dataset.
* ``noise``: in each cell (dataset, noise level, depth) of the noise experiment, the choice on
  validation among the models of ``family`` has a test accuracy at least that of the choice among
  ``reference``'s family.
* ``chains_floor``: on chains of ``length`` nodes, ``model`` reaches ``threshold``.
* ``chains_chance``: on chains of ``length`` nodes, ``model`` is within ``margin`` of ``threshold``
  (chance).
* ``heterophily_gap``: on the CSBM, the default form's mean test accuracy is at most ``margin`` below
  the best of ``reference`` (comma-separated model keys) at every homophily level of the run.
* ``graphs_near``: on the graph families, ``model``'s choice on validation (over its depths) is at most
  ``margin`` below the choice among the models of ``reference`` (comma-separated; over model and depth).
* ``graphs_inference``: a ``model`` trained with k of ``depths`` iterations, evaluated with more (up to
  the run's inference factor times k), is never more than ``margin`` below its accuracy at k.
* ``graphs_converged``: at least the fraction ``threshold`` of the test graphs reach the tolerance,
  each in its own number of iterations, in one batch (every trained ``model``).
* ``long_range_wins``: on the long-range task, the choice on validation among the models of family
  ``model`` (GraphPIGN in each form, iterated to convergence) has a test accuracy at least that of the
  choice among the models of ``reference`` over their depths.
* ``long_range_chance``: on the long-range task, each model of ``reference`` at each of ``depths`` is
  within ``margin`` of ``threshold`` (chance): the answer is out of their reach.

Template fields: every field of the target, ``threshold_pct`` and ``margin_pts`` (as percentages),
``lo`` and ``hi`` (the first and last of ``depths``), ``deep`` (``depths`` joined with "and"), and
what the check measured in: ``dataset``, ``model``, ``noise``, ``depth``, ``run`` (the depths or
levels run), ``form`` (the default form), ``hi_eval`` (the most iterations at inference), ``tol`` and
``cap`` (the per-graph convergence's tolerance and step cap).
"""
from __future__ import annotations

from dataclasses import dataclass, fields

#: the checks a target can name, in the order the report lists their targets:
#: per named dataset, per dataset of the run, per noise cell, on chains, on the other generated graphs
CHECKS = ("floor", "flat", "collapse", "near", "noise", "chains_floor", "chains_chance", "heterophily_gap",
          "graphs_near", "graphs_inference", "graphs_converged", "long_range_wins", "long_range_chance")


@dataclass(frozen=True)
class Target:
    """One acceptance target: a check (one of :data:`CHECKS`) and its numbers."""

    check: str
    text: str
    model: str = ""
    family: str = ""
    dataset: str = ""
    depths: tuple[int, ...] = ()
    threshold: float = 0.0
    margin: float = 0.0
    reference: str = ""
    reference_depth: int = 0
    length: int = 0
    note: str = ""

    def __post_init__(self) -> None:
        if self.check not in CHECKS:
            raise ValueError(f"unknown check {self.check!r}; valid: {', '.join(CHECKS)}")

    def statement(self, **measured) -> str:
        """:attr:`text` with the target's numbers and what the check measured filled in."""
        values = {f.name: getattr(self, f.name) for f in fields(self)}
        values.update(threshold_pct=self.threshold * 100, margin_pts=self.margin * 100,
                      lo=self.depths[0] if self.depths else None, hi=self.depths[-1] if self.depths else None,
                      deep=" and ".join(map(str, self.depths)))
        values.update(measured)
        return self.text.format(**values)


#: the targets the reproduce run checks
TARGETS: tuple[Target, ...] = (
    Target("floor", "PIGN best >= {threshold_pct:.1f}% on {dataset} at every iteration count {lo}..{hi} (run: {run})",
           model="pign-best", dataset="cora", depths=(8, 16), threshold=0.83),
    Target("floor", "PIGN best >= {threshold_pct:.1f}% on {dataset} at every iteration count {lo}..{hi} (run: {run})",
           model="pign-best", dataset="citeseer", depths=(8, 16), threshold=0.715),
    # GCNII's territory with one weight-tied operator (the best preset, chosen on validation)
    Target("floor", "PIGN best >= {threshold_pct:.1f}% on {dataset} at every iteration count {lo}..{hi} (stretch; "
                    "run: {run})", model="pign-best", dataset="cora", depths=(8, 16), threshold=0.84),
    Target("floor", "PIGN best >= {threshold_pct:.1f}% on {dataset} at every iteration count {lo}..{hi} (stretch; "
                    "run: {run})", model="pign-best", dataset="citeseer", depths=(8, 16), threshold=0.725),
    Target("floor", "PIGN with library defaults >= {threshold_pct:.1f}% on {dataset} at {lo} iterations (run: {run})",
           model="pign-default", dataset="cora", depths=(8,), threshold=0.83),
    Target("floor", "PIGN with library defaults >= {threshold_pct:.1f}% on {dataset} at {lo} iterations (run: {run})",
           model="pign-default", dataset="citeseer", depths=(8,), threshold=0.715),
    Target("flat", "{model} on {dataset} within {margin_pts:g} point of its best at {deep} iterations",
           family="pign", depths=(8, 16), margin=0.01),
    Target("collapse", "stacked GCN on {dataset} collapses at {deep} layers "
                       "(drop of more than {margin_pts:g} points from its best)",
           model="gcn", depths=(8, 16), margin=0.10),
    Target("near", "PIGN with library defaults ({lo} iterations) within {margin_pts:g} points of the "
                   "{reference_depth}-layer GCN on {dataset}",
           model="pign-default", depths=(8,), reference="gcn", reference_depth=2, margin=0.03),
    Target("noise", "under noise {noise} on {dataset}, PIGN >= stacked GCN at depth {depth}",
           family="pign", reference="gcn", note="each family's configuration chosen on validation"),
    Target("chains_floor", "chains L={length}: PIGN >= {threshold_pct:g}%", model="pign", length=50, threshold=0.95),
    Target("chains_chance", "chains L={length}: 2-layer GCN near chance ({threshold_pct:g}%, within {margin_pts:g} "
                            "points)", model="gcn", length=50, threshold=0.5, margin=0.10),
    Target("heterophily_gap", "heterophily: the default form ({form}) never more than {margin_pts:g} points below the "
                              "best of MLP, GCN and the paper form at any h (run: {run})",
           reference="mlp,gcn,pign-paper", margin=0.03, note="mean test accuracy over seeds at each h"),
    Target("graphs_near", "graph families: GraphPIGN within {margin_pts:g} points of the best stacked GIN/GCN",
           model="pign", reference="gin,gcn", margin=0.03, note="each side's depth (and model) chosen on validation"),
    Target("graphs_inference", "graph families: GraphPIGN trained with {depth} iterations loses at most "
                               "{margin_pts:g} points when run with up to {hi_eval}",
           model="pign", depths=(8, 16), margin=0.02),
    Target("graphs_converged", "graph families: at least {threshold_pct:g}% of the test graphs reach tol {tol:g} "
                               "within {cap} iterations, each stopping on its own in the batch",
           model="pign", threshold=1.0, note="every trained GraphPIGN, every seed"),
    Target("long_range_wins", "long range: GraphPIGN to convergence >= the best stacked GIN/GCN (depths {run})",
           model="pign", reference="gin,gcn", note="the form, and the stacked model and depth, chosen on validation"),
    Target("long_range_chance", "long range: {depth}-layer {model} near chance ({threshold_pct:g}%, within "
                                "{margin_pts:g} points)", reference="gin,gcn", depths=(2,), threshold=0.5, margin=0.10),
)
