"""The paper's experiments, as CSV files plus PNG plots.

1. ``depth``: test accuracy against depth on Cora and CiteSeer: PIGN with 1..16 iterations (the
   paper's form and the library's best) against a stacked GCN with 1..16 layers, same hidden width.
2. ``noise``: the same with noisy features (a fraction of the feature entries set to 1).
3. ``inference``: a PIGN trained with ``k`` iterations, evaluated with 1..4k iterations.
4. ``residuals``: the relative residual after each iteration, untrained and trained.
5. ``chains``: the long-range chains benchmark, PIGN iterated to convergence against a 2-layer GCN.
6. ``heterophily``: node classification on the contextual SBM at homophily 0.1..0.9: an MLP, a
   2-layer GCN and PIGN in every form of the library (read from its registry when run).
7. ``graphs``: graph classification of generated graph families: ``GraphPIGN`` against stacked GIN
   and GCN of equal depth; a ``GraphPIGN`` trained with k iterations evaluated with 1..4k, and the
   iterations each graph of a batch needs to reach the tolerance.
8. ``long_range``: "are the two marked nodes within distance d?" on caterpillar trees of diameter up
   to 50: ``GraphPIGN`` iterated to convergence against the stacked models.

Everything is measured when run; nothing here holds a result. Selection is on the validation
split; test accuracy is only reported.
"""
from __future__ import annotations

import ast
import csv
import dataclasses
import math
import multiprocessing
import os
import platform
import re
import statistics
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Callable, Iterable, Optional, Sequence, Union

import torch

from . import plots
from . import graph_experiments
from .configs import RunConfig, build_model, chains_models, preset, run_one
from .data import DATASETS, add_feature_noise, load_node_dataset, to_device
from .heterophily import default_form, form_key, heterophily_models
from .synthetic import load_csbm
from .targets import TARGETS, Target
from .train import ConvergenceTally, RunResult, accuracy, convergence_watch, evaluate, filter_torch_notices
from .train import seed_everything

EXPERIMENTS = ("depth", "noise", "inference", "residuals", "chains", "heterophily", "graphs", "long_range")
#: what a quick run makes when Cora is there (without it, the chains benchmark)
QUICK_EXPERIMENTS = ("depth", "noise", "inference", "residuals", "heterophily", "graphs", "long_range")

#: the CSV files of per-run rows a run writes (``<kind>.csv``)
ROW_KINDS = ("depth", "inference", "residuals", "chains", "heterophily", "graphs", "graphs_inference",
             "graphs_iterations", "long_range")

#: every file a run writes into its folder (``--overwrite`` removes these, and only these)
OUTPUT_FILES = tuple(f"{k}{suffix}" for k in ROW_KINDS for suffix in (".csv", "_summary.csv")) + (
    "targets.csv", "summary.md", "run.log", "depth.png", "noise.png", "inference.png", "residuals.png", "chains.png",
    "heterophily.png", "graphs.png", "graphs_inference.png", "graphs_iterations.png", "long_range.png")


#: variants of a model's training a key may name after a colon, e.g. ``gcn:wd0``
VARIANTS = {"wd0": {"weight_decay": 0.0}, "cr": {"consistency": 1.0}, "cr0": {"consistency": 0.0}}
#: what each variant does, for the command line's help
VARIANT_HELP = ("':wd0' (no weight decay), ':cr' (consistency training, weight 1) or ':cr0' (none); "
                "several in a row: pign-best:cr0:wd0")


def model_config(key: str) -> RunConfig:
    """``gcn``, ``appnp``, ``gcn2`` or ``pign-<preset>`` (``paper``, ``inject``, ``default``, ``best``),
    optionally with variants, each after a colon (``pign-best:cr0:wd0``): ``:wd0`` trains without weight
    decay, ``:cr`` with the consistency regularisation (weight 1.0, see
    :func:`iterative_gnn.train.consistency_loss`), ``:cr0`` without it."""
    base, *variants = key.split(":")
    for variant in variants:
        if variant not in VARIANTS:
            raise ValueError(f"unknown variant {variant!r} in {key!r}; valid: {', '.join(VARIANTS)}")
    if len(set(variants)) < len(variants) or {"cr", "cr0"} <= set(variants):
        raise ValueError(f"{key!r} names a variant twice or both cr and cr0; each variant once")
    if base == "pign":
        cfg = preset("pign", "best")
    elif base.startswith("pign-"):
        cfg = preset("pign", base[len("pign-"):] or base)
    else:
        cfg = preset(base)
    for variant in variants:
        cfg = cfg.with_(**VARIANTS[variant])
    return cfg


def model_family(key: str) -> str:
    """``pign`` for every PIGN preset and variant, else the baseline's name (``gcn:wd0`` -> ``gcn``)."""
    base = key.partition(":")[0]
    return "pign" if base.startswith("pign") else base


#: the settings that list what to run, each entry once
_LISTS = ("experiments", "datasets", "depths", "models", "noise", "noise_datasets", "noise_depths", "noise_models",
          "extra", "chains_lengths", "heterophily_h", "heterophily_models", "graphs_depths", "graphs_models",
          "long_range_depths", "long_range_forms")


@dataclass
class Settings:
    """What ``reproduce`` runs. The defaults are the full run; :func:`quick_settings` a short one."""

    experiments: tuple = EXPERIMENTS
    datasets: tuple = ("cora", "citeseer")
    depths: tuple = (1, 2, 4, 8, 16)
    models: tuple = ("gcn", "pign-paper", "pign-best")
    seeds: int = 10
    epochs: int = 200
    noise: tuple = (0.5, 0.7)
    noise_datasets: tuple = ("cora",)
    noise_depths: tuple = (2, 8, 16)
    # each model with and without weight decay: under noise the feature signal is weak, and the
    # weight decay tuned on clean features can hold it back; each model's variant is chosen on validation.
    # Both trained alike, without the consistency regularisation: the target compares the models
    noise_models: tuple = ("gcn", "gcn:wd0", "pign-best:cr0", "pign-best:cr0:wd0")
    noise_seeds: Optional[int] = 3  # default: seeds
    # (model, depth) pairs run once per dataset, without noise
    extra: tuple = (("pign-default", 8), ("pign-default", 16))
    inference_k: int = 8
    inference_factor: int = 4
    chains_lengths: tuple = (10, 25, 50, 100)
    chains_seeds: Optional[int] = 3  # default: seeds
    # heterophily: the CSBM's homophily levels; models (default: mlp, gcn and pign-<form> for every form)
    heterophily_h: tuple = (0.1, 0.3, 0.5, 0.7, 0.9)
    heterophily_models: Optional[tuple] = None
    heterophily_seeds: Optional[int] = 5  # default: seeds
    heterophily_epochs: Optional[int] = None  # default: epochs
    # graphs: graph families (graphs per family), models at each depth, training epochs
    graphs_depths: tuple = (2, 4, 8, 16)
    graphs_models: tuple = graph_experiments.GRAPH_MODELS
    graphs_per_family: int = 40
    graphs_seeds: Optional[int] = 3  # default: seeds
    graphs_epochs: int = 60
    # long_range: the distance task (number of graphs), the stacked models' depths, GraphPIGN's forms,
    # training epochs
    long_range_graphs: int = 400
    long_range_depths: tuple = (2, 4, 8, 16)
    long_range_forms: tuple = ("appnp", "signed")
    long_range_seeds: Optional[int] = 3  # default: seeds
    long_range_epochs: int = 100
    data_root: Optional[str] = None
    device: str = "cpu"
    # the torch CPU threads of each run, as recorded in run.log and summary.md (the results depend on
    # it); None: not recorded. It sets nothing: the caller sets the threads (see Runner.run)
    threads: Optional[int] = None


def quick_settings(**overrides) -> Settings:
    """A short run (a few minutes on 2 CPU cores): Cora, depths 2 and 8, two seeds, one noise level;
    the generated-graph experiments small (one seed, fewer graphs, levels and epochs)."""
    s = Settings(datasets=("cora",), depths=(2, 8), seeds=2, noise=(0.5,), noise_depths=(8,), noise_seeds=1,
                 noise_models=("gcn:wd0", "pign-best:cr0:wd0"), extra=(), chains_lengths=(10, 50),
                 chains_seeds=1, heterophily_h=(0.1, 0.5, 0.9), heterophily_seeds=1, heterophily_epochs=100,
                 graphs_depths=(2, 8), graphs_per_family=12, graphs_seeds=1, graphs_epochs=30,
                 long_range_graphs=120, long_range_depths=(2, 8), long_range_forms=("appnp",), long_range_seeds=1,
                 long_range_epochs=30)
    for k, v in overrides.items():
        setattr(s, k, v)
    return s


def covered_extras(s: Settings) -> list[tuple[str, int]]:
    """The ``extra`` runs ``(model, depth)`` that ``models`` x ``depths`` run already."""
    return [(m, d) for m, d in s.extra if m in s.models and d in s.depths]


def inference_models(s: Settings) -> tuple[str, ...]:
    """The PIGN models the inference and residuals experiments train at ``inference_k`` iterations: those
    of ``models``, and those of ``extra`` at that depth when the depth experiment runs."""
    extra = [m for m, d in s.extra if d == s.inference_k] if "depth" in s.experiments else []
    return tuple(m for m in dict.fromkeys((*s.models, *extra)) if m.startswith("pign"))


def experiments_without_models(s: Settings) -> tuple[str, ...]:
    """The inference and residuals experiments of ``s`` when no PIGN model is there for them to train
    (:func:`inference_models` is empty), else ()."""
    wanted = tuple(e for e in ("inference", "residuals") if e in s.experiments)
    return wanted if wanted and not inference_models(s) else ()


def trains(experiments: Sequence[str]) -> str:
    """``"inference experiment trains"`` / ``"inference and residuals experiments train"``, for messages."""
    return " and ".join(experiments) + (" experiments train" if len(experiments) > 1 else " experiment trains")


# ------------------------------------------------------------------------------------------------
# the work: one task per training run, picklable (they go to worker processes with ``--jobs``)
@dataclass(frozen=True)
class DepthTask:
    """One run of the depth experiment (``noise`` 0) or the noise experiment. ``hook``: also run the
    inference and residuals experiments on the trained model."""

    dataset: str
    noise: float
    model: str
    depth: int
    seed: int = 0
    hook: bool = False


@dataclass(frozen=True)
class InferenceTask:
    """A PIGN trained at ``inference_k`` iterations for the inference and residuals experiments only
    (when the depth experiment does not train it at that depth)."""

    dataset: str
    model: str
    seed: int


@dataclass(frozen=True)
class ChainsTask:
    """One run of the chains benchmark on chains of ``length`` nodes."""

    length: int
    model: str
    seed: int


@dataclass(frozen=True)
class HeterophilyTask:
    """One run of the heterophily experiment: ``model`` on the CSBM of homophily ``h`` drawn with ``seed``."""

    h: float
    model: str
    seed: int


Task = Union[DepthTask, InferenceTask, ChainsTask, HeterophilyTask, graph_experiments.GraphTask]


@dataclass(frozen=True)
class TaskResult:
    """What a task gives back: its rows by CSV name (``depth``, ``inference``, ...), its log line, the
    iteration's info at evaluation (PIGN models) and, once :meth:`Runner.execute` has it, its experiment
    (``experiment``) and whether the run converged: ``convergence`` counts a run iterated to a tolerance,
    ``fixed`` one of a fixed number of iterations (failed: it raised a convergence warning)."""

    rows: dict
    line: str
    info: Optional[dict] = None
    experiment: str = ""
    convergence: Optional[ConvergenceTally] = None
    fixed: Optional[ConvergenceTally] = None


def experiment_of(task: "Task") -> str:
    """The experiment a task belongs to (the name :data:`EXPERIMENTS` gives it)."""
    if isinstance(task, ChainsTask):
        return "chains"
    if isinstance(task, HeterophilyTask):
        return "heterophily"
    if isinstance(task, graph_experiments.GraphTask):
        return task.experiment
    if isinstance(task, InferenceTask):
        return "inference"
    return "noise" if task.noise else "depth"


# ------------------------------------------------------------------------------------------------
# records
def write_csv(path: Path, rows: list[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as f:
        write_rows(f, rows)
    return path


def write_rows(f, rows: list[dict]) -> None:
    """``rows`` as CSV into the text file ``f``: a header naming every key (in the order they first
    appear), then one line per row."""
    keys: list[str] = []
    for r in rows:
        keys += [k for k in r if k not in keys]
    w = csv.DictWriter(f, fieldnames=keys)
    w.writeheader()
    for r in rows:
        w.writerow({k: _fmt(r.get(k)) for k in keys})


def _fmt(v):
    if isinstance(v, float):
        return "" if math.isnan(v) else f"{v:.6g}"
    return "" if v is None else v


def read_csv(path: Path) -> list[dict]:
    with open(path, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def percent(x: float, digits: int = 1) -> str:
    """``100 x`` with ``digits`` decimals, a tie rounded up (86.25 -> 86.3), as one rounds by hand:
    Python's format rounds the binary value half to even (86.2), and a mean over seeds may leave it
    just below or above the tie."""
    x = float(x)  # (a numpy or torch number too)
    if not math.isfinite(x):
        return str(x)
    return str(Decimal(repr(round(x * 100, 9))).quantize(Decimal(1).scaleb(-digits), ROUND_HALF_UP))


def _test_accuracy(summary: dict) -> str:
    """A summary row's test accuracy as the tables show it: ``mean ± std`` in percent (``± n/a``: one run,
    no spread to report)."""
    std = summary["test_acc_std"]
    return f"{percent(summary['test_acc_mean'])} ± {'n/a' if math.isnan(std) else percent(std)}"


def summarize(rows: list[dict], by: Iterable[str], values: Iterable[str] = ("test_acc", "val_acc")) -> list[dict]:
    """Mean and standard deviation (over seeds) of ``values`` for each group of ``by``; the standard
    deviation of a single value is NaN (no spread to report)."""
    by, values = list(by), list(values)
    groups: dict[tuple, list[dict]] = {}
    for r in rows:
        groups.setdefault(tuple(r[k] for k in by), []).append(r)
    out = []
    for key, rs in groups.items():
        row = dict(zip(by, key))
        row["runs"] = len(rs)
        for v in values:
            xs = [float(r[v]) for r in rs if r.get(v) not in (None, "")]
            xs = [x for x in xs if not math.isnan(x)]
            row[f"{v}_mean"] = statistics.mean(xs) if xs else float("nan")
            # (no value at all, e.g. a baseline's iterations: the mean is empty, the std stays 0 as before)
            row[f"{v}_std"] = statistics.stdev(xs) if len(xs) > 1 else float("nan") if xs else 0.0
        out.append(row)
    return out


def _info_fields(info: Optional[dict]) -> dict:
    if not info:
        return {"iterations": None, "final_residual": None, "contraction_factor": None}
    return {k: info.get(k) for k in ("iterations", "final_residual", "contraction_factor")}


# ------------------------------------------------------------------------------------------------
class Runner:
    """Runs the experiments of a :class:`Settings` with one backend, writing into ``out``."""

    def __init__(self, backend: str, settings: Settings, out: Path, log: Callable[[str], None] = print,
                 command: str = ""):
        self.backend, self.s, self.out, self.log, self.command = backend, settings, Path(out), log, command
        self.device = torch.device(settings.device)
        self.rows: dict[str, list[dict]] = {k: [] for k in ROW_KINDS}
        self._datasets: dict = {}
        self._generated: dict = {}  # the generated datasets of the current seed, by (experiment, parameter, seed)
        self.n_done = 0
        #: by experiment: the runs iterated to a tolerance and those that did not converge
        self.convergence: dict[str, ConvergenceTally] = {}
        #: by experiment: the runs of a fixed number of iterations and those that raised a convergence warning
        self.fixed: dict[str, ConvergenceTally] = {}
        #: called as ``progress(runs done, runs in all)`` when the run starts and after each run
        self.progress: Optional[Callable[[int, int], None]] = None
        self._total = 0

    def dataset(self, name: str, noise: float = 0.0, seed: int = 0):
        key = (name, noise, seed if noise else 0)
        if key not in self._datasets:
            if (name, 0.0, 0) not in self._datasets:
                self._datasets[(name, 0.0, 0)] = to_device(
                    load_node_dataset(name, self.backend, self.s.data_root), self.device)
            base = self._datasets[(name, 0.0, 0)]
            if noise:
                # a fresh noise draw per seed, kept only for the current seed
                self._datasets = {k: v for k, v in self._datasets.items() if k[1] == 0.0}
                self._datasets[key] = add_feature_noise(base, noise, seed=1000 + seed)
        return self._datasets[key]

    def check(self) -> None:
        """What can fail before any training: the settings name known experiments, models and
        datasets, each once, and levels in range; each experiment has something to run; and each
        dataset the plan needs loads (ValueError or DatasetUnavailable)."""
        s = self.s
        for kind, names, valid in (("experiment", s.experiments, EXPERIMENTS),
                                   ("dataset", (*s.datasets, *s.noise_datasets), DATASETS)):
            bad = [n for n in names if n not in valid]
            if bad:
                raise ValueError(f"unknown {kind} {bad[0]!r}; valid: {', '.join(valid)}")
        for key in dict.fromkeys((*s.models, *s.noise_models, *(k for k, _ in s.extra))):
            model_config(key)
        for name in _LISTS:
            values = tuple(getattr(s, name) or ())
            twice = [v for i, v in enumerate(values) if v in values[:i]]
            if twice:
                raise ValueError(f"{name} has {twice[0]!r} twice (its runs would count as more seeds); give each once")
        covered = covered_extras(s)
        if covered:
            raise ValueError(f"extra has {covered[0]!r}, which models and depths run already (its runs would count "
                             "as more seeds); leave it out of extra")
        wanted = experiments_without_models(s)
        if wanted:
            raise ValueError(f"the {trains(wanted)} the PIGN models of models (pign-<preset>, e.g. pign-best), and models "
                             f"({', '.join(s.models) or 'none'}) has none; add one, or leave the experiment out")
        if "noise" in s.experiments:
            bad = [p for p in s.noise if isinstance(p, bool) or not (isinstance(p, (int, float)) and 0 < p <= 1)]
            if bad:
                raise ValueError(f"noise level {bad[0]!r} is not valid; valid: numbers in (0, 1] (the runs "
                                 "without noise are the depth experiment)")
        if "heterophily" in s.experiments:
            bad = [h for h in s.heterophily_h if not (isinstance(h, (int, float)) and 0.0 <= h <= 1.0)]
            if bad:
                raise ValueError(f"heterophily level {bad[0]!r} is not a homophily; valid: numbers in [0, 1]")
            valid = heterophily_models()
            bad = [m for m in (s.heterophily_models or ()) if m not in valid]
            if bad:
                raise ValueError(f"unknown heterophily model {bad[0]!r}; valid: {', '.join(valid)}")
        for name in ("graphs", "long_range"):
            if name in s.experiments:
                graph_experiments.check_settings(name, s)
        needed = list(s.datasets) if {"depth", "inference", "residuals"} & set(s.experiments) else []
        needed += list(s.noise_datasets) if "noise" in s.experiments else []
        for name in dict.fromkeys(needed):
            self.dataset(name)

    # the work, as independent tasks ------------------------------------------------------------
    def plan(self) -> list[Task]:
        """Every training run of the settings, in order: a :class:`DepthTask` per run of the depth and
        noise experiments (``hook``: also run experiments 3 and 4 on the trained model), an
        :class:`InferenceTask` for each PIGN not trained at ``inference_k`` above, and a
        :class:`ChainsTask` per chains run."""
        s = self.s
        runs: list[DepthTask] = []  # the depth and noise runs of one seed
        if "depth" in s.experiments:
            for name in s.datasets:
                for key in s.models:
                    runs += [DepthTask(name, 0.0, key, d) for d in s.depths]
                runs += [DepthTask(name, 0.0, key, d) for key, d in s.extra]
        if "noise" in s.experiments:
            for name in s.noise_datasets:
                for p in s.noise:
                    for key in s.noise_models:
                        runs += [DepthTask(name, p, key, d) for d in s.noise_depths]
        want_inf = "inference" in s.experiments or "residuals" in s.experiments
        tasks: list[Task] = []
        done_inf: set[tuple[str, str, int]] = set()  # (dataset, model, seed) trained at inference_k
        for seed in range(s.seeds):
            for run in runs:
                if run.noise and seed >= (s.noise_seeds or s.seeds):
                    continue
                hook = (want_inf and run.model.startswith("pign") and run.noise == 0.0 and run.depth == s.inference_k
                        and (run.dataset, run.model, seed) not in done_inf)
                if hook:
                    done_inf.add((run.dataset, run.model, seed))
                tasks.append(dataclasses.replace(run, seed=seed, hook=hook))
        if want_inf:
            for seed in range(s.seeds):
                for name in s.datasets:
                    for key in [k for k in s.models if k.startswith("pign") and (name, k, seed) not in done_inf]:
                        tasks.append(InferenceTask(name, key, seed))
        chains: list[Task] = []
        if "chains" in s.experiments:
            for seed in range(s.chains_seeds or s.seeds):
                for length in s.chains_lengths:
                    chains += [ChainsTask(length, key, seed) for key in chains_models(length)]
        # the short chains runs first, then the generated-graph experiments and the rest seed after seed:
        # a run stopped early (see ``report``) has every experiment, each over the seeds it completed
        return chains + self._plan_generated() + tasks

    def _plan_generated(self) -> list[Task]:
        """The runs of the heterophily, graphs and long_range experiments, seed after seed."""
        s = self.s
        per_seed: list[tuple[int, Task]] = []
        if "heterophily" in s.experiments:
            keys = s.heterophily_models or tuple(heterophily_models())
            for seed in range(s.heterophily_seeds or s.seeds):
                per_seed += [(seed, HeterophilyTask(h, key, seed)) for h in s.heterophily_h for key in keys]
        for name in ("graphs", "long_range"):
            if name in s.experiments:
                per_seed += [(t.seed, t) for t in graph_experiments.plan(name, s)]
        return [t for _, t in sorted(per_seed, key=lambda st: st[0])]  # a stable sort: each seed's order kept

    def execute(self, task: Task) -> TaskResult:
        """Run one task; return its rows (by CSV name), its log line and whether it converged (the
        library's convergence warnings are counted, not shown). A run iterated to a tolerance converged
        when it reached it (GraphPIGN: every test graph, in the graphs experiment in its per-graph
        test); a run of a fixed number of iterations has no tolerance to reach; an MLP (0 iterations)
        and the baselines do not iterate."""
        with convergence_watch() as warned:
            result = self._execute(task)
        info, kind = result.info, None  # kind: "tol", "fixed" or None (no iteration)
        if isinstance(task, graph_experiments.GraphTask):
            if task.model.startswith("pign"):
                kind = "tol"
                if task.experiment == "graphs":
                    done = all(int(r["converged"]) for r in result.rows.get("graphs_iterations", []))
                else:  # the share of the test graphs that converged
                    done = float(result.rows[task.experiment][0]["converged"]) >= 1.0
                info = {"status": "converged" if done else "max_iter"}
        elif info is not None and info.get("iterations"):
            kind = "fixed" if info.get("status") == "fixed" else "tol"
        tally, fixed = ConvergenceTally(), ConvergenceTally()
        if kind == "fixed":
            fixed.add(warned, info)
        else:
            tally.add(warned, info, iterative=kind == "tol")
        return dataclasses.replace(result, experiment=experiment_of(task), convergence=tally, fixed=fixed)

    def _execute(self, task: Task) -> TaskResult:
        if isinstance(task, ChainsTask):
            return self._run_chains(task)
        if isinstance(task, HeterophilyTask):
            return self._run_heterophily(task)
        if isinstance(task, graph_experiments.GraphTask):
            rows, line = graph_experiments.run(self.backend, task, self.s, self._generated_dataset)
            return TaskResult(rows, f"[{self.backend}] {line}")
        if isinstance(task, InferenceTask):
            return self._run_inference(task)
        return self._run_depth(task)

    def _result(self, rows: dict[str, list[dict]], tag: str, seed: int, res: RunResult, secs: float) -> TaskResult:
        return TaskResult(rows, f"[{self.backend}] {tag} seed {seed}: test {percent(res.test_acc)}% "
                                f"val {percent(res.val_acc)}% (epoch {res.best_epoch}, {secs:.1f}s)", res.info)

    def _run_chains(self, task: ChainsTask) -> TaskResult:
        length, key, seed = task.length, task.model, task.seed
        ds = to_device(load_node_dataset("chains", self.backend, length=length, seed=seed), self.device)
        cfg = chains_models(length)[key].with_(epochs=self.s.epochs)
        res, secs, _ = run_one(self.backend, ds, cfg, seed)
        rows = {"chains": [{
            "length": length, "model": key, "seed": seed, "test_acc": res.test_acc,
            "val_acc": res.val_acc, "best_epoch": res.best_epoch, **_info_fields(res.info),
            "seconds": secs, "config": cfg.describe(),
        }]}
        return self._result(rows, f"chains L={length} {key}", seed, res, secs)

    def _generated_dataset(self, key: tuple, make: Callable[[], object]):
        """The generated dataset ``key`` (its last entry the seed), made once; those of earlier seeds are
        dropped (the tasks come seed after seed)."""
        if key not in self._generated:
            self._generated = {k: v for k, v in self._generated.items() if k[-1] == key[-1]}
            self._generated[key] = make()
        return self._generated[key]

    def _run_heterophily(self, task: HeterophilyTask) -> TaskResult:
        h, key, seed = task.h, task.model, task.seed
        ds = self._generated_dataset(("csbm", h, seed), lambda: to_device(
            load_csbm(self.backend, homophily=h, seed=seed), self.device))
        cfg = heterophily_models()[key]
        cfg = cfg.with_(epochs=self.s.heterophily_epochs or self.s.epochs)
        res, secs, _ = run_one(self.backend, ds, cfg, seed)
        rows = {"heterophily": [{
            "h": h, "model": key, "seed": seed, "val_acc": res.val_acc, "test_acc": res.test_acc,
            "default": "yes" if key == form_key(default_form(self.backend)) else "",
            "edge_homophily": float(ds.extra["homophily"]), "best_epoch": res.best_epoch, **_info_fields(res.info),
            "seconds": secs, "config": cfg.describe(),
        }]}
        return self._result(rows, f"heterophily h={h} {key}", seed, res, secs)

    def _run_inference(self, task: InferenceTask) -> TaskResult:
        name, key, seed, k = task.dataset, task.model, task.seed, self.s.inference_k
        ds = self.dataset(name)
        cfg = model_config(key).with_(depth=k, epochs=self.s.epochs)
        res, secs, model = run_one(self.backend, ds, cfg, seed, keep_model=True)
        rows = self._after_training(ds, name, key, cfg, seed, model)
        return self._result(rows, f"{name} {key} k={k}", seed, res, secs)

    def _run_depth(self, task: DepthTask) -> TaskResult:
        name, p, key, d, seed = task.dataset, task.noise, task.model, task.depth, task.seed
        ds = self.dataset(name, p, seed)
        cfg = model_config(key).with_(depth=d, epochs=self.s.epochs)
        res, secs, model = run_one(self.backend, ds, cfg, seed, keep_model=task.hook)
        rows = {"depth": [{
            "dataset": name, "noise": p, "model": key, "depth": d, "seed": seed,
            "test_acc": res.test_acc, "val_acc": res.val_acc, "best_epoch": res.best_epoch,
            **_info_fields(res.info), "seconds": secs, "config": cfg.describe(),
        }]}
        if task.hook:
            rows.update(self._after_training(ds, name, key, cfg, seed, model))
        return self._result(rows, f"{name} noise {p} {key} depth {d}", seed, res, secs)

    def _after_training(self, ds, name: str, key: str, cfg: RunConfig, seed: int, model) -> dict[str, list[dict]]:
        """Experiments 3 (iterations at inference) and 4 (residuals per iteration) on a trained PIGN."""
        s, k = self.s, cfg.depth
        conv = model.conv
        rows: dict[str, list[dict]] = {"inference": [], "residuals": []}
        if "inference" in s.experiments:
            for m in range(1, s.inference_factor * k + 1):
                conv.eval_iterations = m
                out, info = evaluate(model, ds, return_info=True)
                rows["inference"].append({
                    "dataset": name, "model": key, "trained_iterations": k, "eval_iterations": m, "seed": seed,
                    "test_acc": accuracy(out, ds.y, ds.test_mask), "val_acc": accuracy(out, ds.y, ds.val_mask),
                    "final_residual": info.final_residual,
                })
        if "residuals" in s.experiments:
            seed_everything(seed)
            untrained = build_model(self.backend, cfg, ds.x.size(1), ds.num_classes).to(self.device)
            for state, mdl in (("untrained", untrained), ("trained", model)):
                mdl.conv.eval_iterations = s.inference_factor * k
                mdl.conv.trace = True  # every step's residual
                _, info = evaluate(mdl, ds, return_info=True)
                for i, (r, a) in enumerate(zip(info.residuals.tolist(), info.abs_residuals.tolist()), 1):
                    rows["residuals"].append({"dataset": name, "model": key, "state": state, "seed": seed,
                                              "iteration": i, "residual": r, "abs_residual": a})
        conv.eval_iterations, conv.trace = None, False
        return rows

    # ---------------------------------------------------------------------------------------------
    def run(self, jobs: int = 1, threads: Optional[int] = None) -> dict[str, Path]:
        """Run every task (in ``jobs`` worker processes of ``threads`` torch threads each when
        ``jobs > 1``; the rows and the log keep the plan's order) and write the files. The settings
        are checked first (:meth:`check`); a run stopped early still writes the tables of the runs
        that finished."""
        self.check()
        tasks = self.plan()
        self._total = len(tasks)
        if self.progress is not None:
            self.progress(0, len(tasks))
        finished = False
        try:
            if jobs > 1 and tasks:  # (one task too: in a worker of ``threads`` threads, as the others would be)
                ctx = multiprocessing.get_context("spawn")  # no fork of a process that runs OpenMP threads
                pool = ProcessPoolExecutor(min(jobs, len(tasks)), mp_context=ctx, initializer=_init_worker,
                                           initargs=(self.backend, self.s, threads or 1))
                try:
                    self._collect(pool.map(_work, tasks))
                finally:
                    pool.shutdown(cancel_futures=True)  # stopped early: the queued runs are dropped
            else:
                self._collect(map(self.execute, tasks))
            finished = True
        finally:
            for line in self.convergence_lines():
                self.log(line)
            if not finished:
                self.save_partial(len(tasks))
        return self.save()

    def convergence_lines(self) -> list[str]:
        """One line per experiment with runs of an iterative model (in the order of :data:`EXPERIMENTS`):
        how many of those iterated to a tolerance did not reach it (and the worst final residual among
        them), and how many ran a fixed number of iterations (which have no tolerance to reach)."""
        names = dict.fromkeys([*self.convergence, *self.fixed])
        order = sorted(names, key=lambda n: EXPERIMENTS.index(n) if n in EXPERIMENTS else len(EXPERIMENTS))
        lines = []
        for name in order:
            tol, fixed = self.convergence.get(name, ConvergenceTally()), self.fixed.get(name, ConvergenceTally())
            parts = [tol.describe("PIGN runs iterated to a tolerance")] if tol.runs else []
            if fixed.runs:
                warned = "" if not fixed.failed else (
                    f", {fixed.failed} of them raised a convergence warning"
                    + ("" if fixed.worst is None else f" (worst final residual {fixed.worst:.2e})"))
                what = "ran" if parts else "PIGN run ran" if fixed.runs == 1 else "PIGN runs ran"
                parts.append(f"{fixed.runs} {what} a fixed number of iterations (no tolerance to reach){warned}")
            if parts:
                lines.append(f"# convergence, {name}: " + "; ".join(parts))
        return lines

    def save_partial(self, total: int) -> dict[str, Path]:
        """After a run stopped early: the tables, plots and targets from the CSV files of the runs
        that finished (as :func:`report` makes them), so that the folder is consistent."""
        self.log(f"# stopped after {self.n_done} of {total} runs; tables from the runs that finished")
        if not self.n_done:
            return {}
        try:
            return report(self.out, self.backend, f"{self.command} (stopped after {self.n_done} of {total} runs)",
                          log=self.log)
        except Exception as exc:  # noqa: BLE001 - the error that stopped the run is the one to see
            self.log(f"# could not write the tables: {type(exc).__name__}: {exc}")
            return {}

    def _collect(self, results: Iterable[TaskResult]) -> None:
        for result in results:
            for kind, rs in result.rows.items():
                self.rows[kind].extend(rs)
            self.n_done += 1
            if result.convergence is not None:
                self.convergence.setdefault(result.experiment, ConvergenceTally()).merge(result.convergence)
            if result.fixed is not None:
                self.fixed.setdefault(result.experiment, ConvergenceTally()).merge(result.fixed)
            self.log(result.line)
            self.save_rows()
            if self.progress is not None:
                self.progress(self.n_done, self._total)

    def save_rows(self) -> None:
        """The per-run rows so far (a long run can be read while it goes)."""
        for name, rows in self.rows.items():
            if rows:
                write_csv(self.out / f"{name}.csv", rows)

    def _save_generated(self, files: dict[str, Path], todo: list[Callable[[], dict]]) -> None:
        """The CSV files and summaries of the heterophily, graphs and long_range experiments into
        ``files``; their plots appended to ``todo``."""
        r = self.rows

        def table(kind: str, by: tuple, values: tuple, plot: Optional[Callable] = None) -> None:
            files[f"{kind}.csv"] = write_csv(self.out / f"{kind}.csv", r[kind])
            summ = summarize(r[kind], by, values)
            files[f"{kind}_summary.csv"] = write_csv(self.out / f"{kind}_summary.csv", summ)
            if plot is not None:
                todo.append(lambda: plot(summ, self.out))

        if r["heterophily"]:
            table("heterophily", ("h", "model"), ("test_acc", "val_acc", "final_residual"), plots.plot_heterophily)
        if r["graphs"]:
            table("graphs", ("model", "depth"), ("test_acc", "val_acc", "seconds"), plots.plot_graphs)
        if r["graphs_inference"]:
            table("graphs_inference", ("trained_iterations", "eval_iterations"), ("test_acc", "val_acc"),
                  plots.plot_graphs_inference)
        if r["graphs_iterations"]:
            table("graphs_iterations", ("trained_iterations", "family"), ("iterations", "converged", "correct"))
            todo.append(lambda: plots.plot_graphs_iterations(r["graphs_iterations"], self.out))
        if r["long_range"]:
            table("long_range", ("model", "depth"), ("test_acc", "val_acc", "iterations", "converged"),
                  plots.plot_long_range)

    def save(self) -> dict[str, Path]:
        """Write every CSV file, the targets and ``summary.md``, then the plots: without matplotlib the
        plots are left out (one line in the log says so) and every table is still there."""
        files: dict[str, Path] = {}
        todo: list[Callable[[], dict]] = []  # the plots, drawn once every table is written
        r = self.rows
        if r["depth"]:
            files["depth.csv"] = write_csv(self.out / "depth.csv", r["depth"])
            depth = summarize(r["depth"], ("dataset", "noise", "model", "depth"),
                              ("test_acc", "val_acc", "iterations", "final_residual", "seconds"))
            files["depth_summary.csv"] = write_csv(self.out / "depth_summary.csv", depth)
            todo.append(lambda: plots.plot_depth(depth, self.out))
        if r["inference"]:
            files["inference.csv"] = write_csv(self.out / "inference.csv", r["inference"])
            inference = summarize(r["inference"], ("dataset", "model", "trained_iterations", "eval_iterations"),
                                  ("test_acc", "val_acc", "final_residual"))
            files["inference_summary.csv"] = write_csv(self.out / "inference_summary.csv", inference)
            todo.append(lambda: plots.plot_inference(inference, self.out))
        if r["residuals"]:
            files["residuals.csv"] = write_csv(self.out / "residuals.csv", r["residuals"])
            todo.append(lambda: plots.plot_residuals(r["residuals"], self.out))
        if r["chains"]:
            files["chains.csv"] = write_csv(self.out / "chains.csv", r["chains"])
            chains = summarize(r["chains"], ("length", "model"),
                               ("test_acc", "val_acc", "iterations", "final_residual"))
            files["chains_summary.csv"] = write_csv(self.out / "chains_summary.csv", chains)
            todo.append(lambda: plots.plot_chains(chains, self.out))
        self._save_generated(files, todo)
        checks = check_targets(self.rows, self.s)
        if checks:
            files["targets.csv"] = write_csv(self.out / "targets.csv", checks)
        files["summary.md"] = write_summary(self.out / "summary.md", self.rows, checks, self.backend,
                                           self.command, ran=getattr(self, "ran", None), threads=self.s.threads)
        if todo:
            missing = plots.missing_library()
            if missing:
                self.log(f"# plots skipped: {missing}")
            else:
                for draw in todo:
                    files.update(draw())
        return files


# ------------------------------------------------------------------------------------------------
_WORKER: Optional[Runner] = None


def _init_worker(backend: str, settings: Settings, threads: int) -> None:
    global _WORKER
    filter_torch_notices()  # a worker process starts with the default warning filters
    torch.set_num_threads(threads)
    _WORKER = Runner(backend, settings, Path("."), log=lambda line: None)


def _work(task: Task) -> TaskResult:
    return _WORKER.execute(task)


def read_run_log(directory: Path) -> dict:
    """What a run's ``run.log`` says of it: ``backend``, ``date`` and ``machine`` (its first two lines,
    ``# reproduce; backend pyg; 2026-11-26 23:43:38 UTC`` and ``# machine: ...``), ``command``, and ``settings`` (the
    options of its ``# settings: Settings(...)`` line whose values are literals). Empty without the
    file; a key is missing where its line is."""
    path = Path(directory) / "run.log"
    if not path.is_file():
        return {}
    lines = path.read_text(encoding="utf-8").splitlines()
    out: dict = {}
    found = re.match(r"# [^;]*; backend (\w+);", lines[0]) if lines else None
    if found:
        out["backend"] = found.group(1)
    if len(lines) >= 2 and lines[1].startswith("# machine: "):
        date = lines[0].rpartition("; ")[2]
        out["date"] = date[:16] + date[19:] if len(date) > 19 and date[16] == ":" else date
        out["machine"] = lines[1][len("# machine: "):]
    for line in lines:
        if line.startswith("# command: ") and "command" not in out:
            out["command"] = line[len("# command: "):].strip()
        elif line.startswith("# settings: ") and "settings" not in out:
            out["settings"] = _literal_options(line[len("# settings: "):])
    return out


def _literal_options(call: str) -> dict:
    """The keyword arguments of ``call`` (``Settings(a=1, ...)``) whose values are literals."""
    try:
        node = ast.parse(call, mode="eval").body
    except SyntaxError:
        return {}
    out = {}
    for kw in getattr(node, "keywords", []):
        try:
            out[kw.arg] = ast.literal_eval(kw.value)
        except ValueError:
            pass
    return out


def settings_from_rows(rows: dict[str, list[dict]], logged: Optional[dict] = None) -> Settings:
    """The settings a run's rows (read back from its CSV files) were made with, as far as the targets
    and tables need them. The depth sweep's models and the extra runs are those of ``logged`` (the
    run's logged settings, ``read_run_log(...)["settings"]``) where it has them, else guessed: a model
    run at more than two depths is in the sweep."""
    dep = rows.get("depth", [])
    clean = [r for r in dep if float(r["noise"]) == 0.0]
    noisy = [r for r in dep if float(r["noise"]) != 0.0]
    by_model: dict[str, set] = {}
    for r in clean:
        by_model.setdefault(r["model"], set()).add(int(r["depth"]))
    depths = sorted({int(r["depth"]) for r in clean})
    models = tuple(m for m, ds in by_model.items() if len(ds) > 2)  # the depth sweep, not single extra runs
    s = Settings(
        datasets=tuple(dict.fromkeys(r["dataset"] for r in clean)), depths=tuple(depths), models=models,
        extra=tuple((m, d) for m, ds in by_model.items() if m not in models for d in sorted(ds)),
        noise=tuple(sorted({float(r["noise"]) for r in noisy})),
        noise_datasets=tuple(dict.fromkeys(r["dataset"] for r in noisy)),
        noise_depths=tuple(sorted({int(r["depth"]) for r in noisy})),
        noise_models=tuple(dict.fromkeys(r["model"] for r in noisy)),
        chains_lengths=tuple(sorted({int(r["length"]) for r in rows.get("chains", [])})),
        heterophily_h=tuple(sorted({float(r["h"]) for r in rows.get("heterophily", [])})),
        graphs_depths=tuple(sorted({int(r["depth"]) for r in rows.get("graphs", [])})),
        long_range_depths=tuple(sorted({int(r["depth"]) for r in rows.get("long_range", [])
                                        if not r["model"].startswith("pign")})),
    )
    s.seeds = len({r["seed"] for r in dep}) or s.seeds
    logged = logged or {}
    if isinstance(logged.get("threads"), int):
        s.threads = logged["threads"]
    if isinstance(logged.get("models"), tuple) and isinstance(logged.get("extra"), tuple):
        s.models = tuple(m for m in logged["models"] if m in by_model)
        s.extra = tuple((m, d) for m, d in logged["extra"] if d in by_model.get(m, ()))
    return s


class RunFileError(ValueError):
    """A CSV file that :func:`report` reads is not one a reproduce run wrote (a column missing, a value
    that is not a number)."""


#: what :func:`report` reads of each CSV file of runs: the columns every row has (with their type; a
#: name of ``str`` must not be empty) and the numbers it reads where a row has them
RUN_COLUMNS: dict[str, tuple[dict[str, type], tuple[str, ...]]] = {
    "depth": ({"dataset": str, "noise": float, "model": str, "depth": int, "seed": str, "test_acc": float,
               "val_acc": float}, ("iterations", "final_residual", "seconds")),
    "inference": ({"dataset": str, "model": str, "trained_iterations": int, "eval_iterations": int, "seed": str,
                   "test_acc": float, "val_acc": float}, ("final_residual",)),
    "residuals": ({"dataset": str, "model": str, "state": str, "seed": str, "iteration": int, "residual": float}, ()),
    "chains": ({"length": int, "model": str, "seed": str, "test_acc": float, "val_acc": float},
               ("iterations", "final_residual")),
    "heterophily": ({"h": float, "model": str, "seed": str, "test_acc": float}, ("val_acc", "final_residual")),
    "graphs": ({"model": str, "depth": int, "seed": str, "test_acc": float, "val_acc": float}, ("seconds",)),
    "graphs_inference": ({"trained_iterations": int, "eval_iterations": int, "seed": str, "test_acc": float,
                          "val_acc": float}, ()),
    "graphs_iterations": ({"trained_iterations": int, "seed": str, "family": str, "iterations": int, "converged": int,
                           "tol": float, "cap": int}, ("correct",)),
    "long_range": ({"model": str, "depth": int, "seed": str, "test_acc": float, "val_acc": float},
                   ("iterations", "converged")),
}


def read_run_rows(path: Path, kind: str) -> list[dict]:
    """The rows of ``path``, a ``<kind>.csv`` file of a run; :class:`RunFileError` naming the file, the
    line and the column when it is not one a reproduce run wrote."""
    required, numbers = RUN_COLUMNS[kind]
    foreign = "; --report reads the CSV files a reproduce run wrote"
    try:
        rows = read_csv(path)
    except (UnicodeDecodeError, csv.Error) as exc:
        raise RunFileError(f"{path}: not a CSV file of a run ({exc}){foreign}") from None
    columns = list(rows[0]) if rows else []
    missing = [c for c in required if c not in columns]
    if rows and missing:
        raise RunFileError(f"{path}: no column{'s' if len(missing) > 1 else ''} {', '.join(map(repr, missing))} "
                           f"(its columns: {', '.join(map(str, columns))}){foreign}")
    types = {**{c: float for c in numbers}, **required}
    for line, row in enumerate(rows, 2):
        for col, type_ in types.items():
            value = row.get(col) or ""
            if not value and col not in required:
                continue
            try:
                ok = bool(value) and (type_ is str or type_(value) is not None)
            except ValueError:
                ok = False
            if not ok:
                what = {int: "a whole number", float: "a number", str: "a value"}[type_]
                raise RunFileError(f"{path}: line {line}: column {col!r} is {value!r}, not {what}{foreign}")
    return rows


def report(directory: Path, backend: str, command: str = "", log: Callable[[str], None] = print) -> dict[str, Path]:
    """Tables, plots and targets from the CSV files a run wrote into ``directory`` (also those of a
    run stopped early: each cell then averages the seeds it completed). :class:`RunFileError` for a
    file that is not one a run wrote."""
    directory = Path(directory)
    rows = {k: (read_run_rows(directory / f"{k}.csv", k) if (directory / f"{k}.csv").exists() else [])
            for k in ROW_KINDS}
    if not any(rows.values()):
        raise FileNotFoundError(f"no {'/'.join(ROW_KINDS)} CSV files in {directory}")
    logged = read_run_log(directory)
    backend = logged.get("backend") or backend  # the run's own (its CSV files do not say it)
    if logged.get("command"):
        command = logged["command"] + (f" (tables from its CSV files: {command})" if command else "")
    runner = Runner(backend, settings_from_rows(rows, logged.get("settings")), directory, log=log, command=command)
    runner.rows, runner.ran = rows, (logged if "date" in logged else None)
    return runner.save()


def _mean(xs):
    xs = [x for x in xs if x is not None and not math.isnan(x)]
    return statistics.mean(xs) if xs else float("nan")


def _same(a, b) -> bool:
    """Equal as numbers when both read as numbers (a CSV gives "0" for 0.0), else as strings."""
    try:
        return float(a) == float(b)
    except (TypeError, ValueError):
        return str(a) == str(b)


def _acc_at(rows, **where) -> list[float]:
    return [float(r["test_acc"]) for r in rows if all(_same(r[k], v) for k, v in where.items())]


def select_on_validation(rows: list[dict], family: str, **where) -> Optional[tuple[str, float]]:
    """Among the models of ``family`` run where ``where`` holds, the one with the best mean validation
    accuracy, and its mean test accuracy."""
    keys = dict.fromkeys(r["model"] for r in rows if model_family(r["model"]) == family
                         and all(_same(r[k], v) for k, v in where.items()))
    best = None
    for key in keys:
        sel = [r for r in rows if r["model"] == key and all(_same(r[k], v) for k, v in where.items())]
        val = _mean([float(r["val_acc"]) for r in sel])
        if best is None or val > best[1]:
            best = (key, val, _mean([float(r["test_acc"]) for r in sel]))
    return None if best is None else (best[0], best[2])


# ------------------------------------------------------------------------------------------------
# targets: the table is :data:`iterative_gnn.targets.TARGETS`; one function per kind of check
#: accuracies and their gaps are fractions in floating point: a gap of exactly a margin (0.84 - 0.83 reads
#: 0.010000000000000009) meets it; far below any accuracy's resolution (one test item in a million)
_EPS = 1e-9


def _at_most(a: float, b: float) -> bool:
    return a <= b + _EPS


def _at_least(a: float, b: float) -> bool:
    return a >= b - _EPS


def _target_row(t: Target, measured: str, met: bool, **where) -> dict:
    return {"target": t.statement(**where), "measured": measured, "met": "yes" if met else "NO", "note": t.note}


def _clean_accuracy(dep: list[dict], dataset: str, model: str, depths: Iterable[int]) -> dict[int, float]:
    """Mean test accuracy of ``model`` on ``dataset`` without noise, at each of ``depths`` that was run."""
    got = {d: _mean(_acc_at(dep, dataset=dataset, noise=0.0, model=model, depth=d)) for d in depths}
    return {d: v for d, v in got.items() if not math.isnan(v)}


def _best_and_lowest_at(got: dict[int, float], depths: tuple[int, ...]) -> Optional[tuple[float, float]]:
    """The best accuracy over every depth and the lowest at ``depths``, when any of those was run."""
    if not any(d in got for d in depths):
        return None
    best = max(got.values())
    return best, min(got.get(d, best) for d in depths)


def _spread(t: Target, got: dict[int, float], best: float, lowest: float) -> tuple[str, str]:
    """What a depth target measured, and its depths for the statement: those of ``t.depths`` the run has."""
    run = [d for d in t.depths if d in got]
    measured = f"best {percent(best)}%, lowest at {'/'.join(map(str, run))} {percent(lowest)}%"
    return measured, " and ".join(map(str, run))


def _check_floor(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    depths = dict.fromkeys((*s.depths, *(d for m, d in s.extra if m == t.model)))  # the sweep's and the extra runs'
    got = _clean_accuracy(rows["depth"], t.dataset, t.model, depths)
    got = {d: v for d, v in got.items() if t.depths[0] <= d <= t.depths[-1]}
    if not got:
        return []
    worst = min(got, key=got.get)
    return [_target_row(t, f"lowest {percent(got[worst])}% at {worst}", _at_least(got[worst], t.threshold),
                        dataset=t.dataset, run="/".join(map(str, sorted(got))))]


def _check_flat(t: Target, rows: dict[str, list[dict]], s: Settings, dataset: str) -> list[dict]:
    out = []
    for key in [m for m in s.models if model_family(m) == t.family]:
        got = _clean_accuracy(rows["depth"], dataset, key, s.depths)
        spread = _best_and_lowest_at(got, t.depths)
        if spread:
            measured, deep = _spread(t, got, *spread)
            out.append(_target_row(t, measured, _at_most(spread[0] - spread[1], t.margin), dataset=dataset, model=key,
                                   deep=deep))
    return out


def _check_collapse(t: Target, rows: dict[str, list[dict]], s: Settings, dataset: str) -> list[dict]:
    got = _clean_accuracy(rows["depth"], dataset, t.model, s.depths)
    spread = _best_and_lowest_at(got, t.depths)
    if spread is None or not any(d < min(t.depths) for d in got):  # against its best shallow depth
        return []
    measured, deep = _spread(t, got, *spread)
    return [_target_row(t, measured, not _at_most(spread[0] - spread[1], t.margin), dataset=dataset,
                        deep=deep)]


def _check_near(t: Target, rows: dict[str, list[dict]], s: Settings, dataset: str) -> list[dict]:
    dep = rows["depth"]
    mine = _mean(_acc_at(dep, dataset=dataset, noise=0.0, model=t.model, depth=t.depths[0]))
    ref = _mean(_acc_at(dep, dataset=dataset, noise=0.0, model=t.reference, depth=t.reference_depth))
    if math.isnan(mine) or math.isnan(ref):
        return []
    return [_target_row(t, f"{percent(mine)}% vs {percent(ref)}%", _at_least(mine, ref - t.margin), dataset=dataset)]


def _check_noise(t: Target, rows: dict[str, list[dict]], s: Settings, dataset: str, noise: float,
                 depth: int) -> list[dict]:
    where = dict(dataset=dataset, noise=noise, depth=depth)
    mine = select_on_validation(rows["depth"], t.family, **where)
    ref = select_on_validation(rows["depth"], t.reference, **where)
    if not (mine and ref):
        return []
    (mk, a), (rk, b) = mine, ref
    return [_target_row(t, f"{mk} {percent(a)}% vs {rk} {percent(b)}%", a >= b, **where)]


def _chains_accuracy(t: Target, rows: dict[str, list[dict]]) -> Optional[float]:
    """Mean test accuracy of ``t.model`` on chains of ``t.length`` nodes; None when that length was not run."""
    ch = rows["chains"]
    if not any(_same(r["length"], t.length) for r in ch):
        return None
    return _mean(_acc_at(ch, length=t.length, model=t.model))


def _check_chains_floor(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    acc = _chains_accuracy(t, rows)
    return [] if acc is None else [_target_row(t, f"{percent(acc)}%", _at_least(acc, t.threshold))]


def _check_chains_chance(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    acc = _chains_accuracy(t, rows)
    return [] if acc is None else [_target_row(t, f"{percent(acc)}%", _at_most(abs(acc - t.threshold), t.margin))]


def _mean_test(rows: list[dict], **where) -> float:
    return _mean(_acc_at(rows, **where))


def _pct(x: float) -> str:
    return f"{percent(x)}%"


def _check_heterophily_gap(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    het = rows.get("heterophily", [])
    default = next((r["model"] for r in het if r.get("default") == "yes"), None)
    refs = t.reference.split(",")
    worst = None  # (gap, h, mine, reference model, its accuracy)
    levels = sorted({float(r["h"]) for r in het})
    for h in levels:
        mine = _mean_test(het, h=h, model=default) if default else float("nan")
        ref = [(_mean_test(het, h=h, model=m), m) for m in refs]
        ref = [(a, m) for a, m in ref if not math.isnan(a)]
        if math.isnan(mine) or not ref:
            continue
        best, key = max(ref)
        if worst is None or best - mine > worst[0]:
            worst = (best - mine, h, mine, key, best)
    if worst is None:
        return []
    gap, h, mine, key, best = worst
    form = default.partition("-")[2]
    return [_target_row(t, f"largest gap {'+' if gap >= 0 else ''}{percent(gap)} points at h={h:g}: {default} {_pct(mine)} vs {key} "
                           f"{_pct(best)}", _at_most(gap, t.margin), form=form, run="/".join(f"{h:g}" for h in levels))]


def _best_on_validation(rows: list[dict], models: Iterable[str]) -> Optional[tuple[str, int, float]]:
    """Among the (model, depth) cells of ``models``, the one with the best mean validation accuracy:
    ``(model, depth, its mean test accuracy)``."""
    best = None
    for m, d in dict.fromkeys((r["model"], int(r["depth"])) for r in rows if r["model"] in models):
        sel = [r for r in rows if r["model"] == m and int(r["depth"]) == d]
        val = _mean([float(r["val_acc"]) for r in sel])
        if best is None or val > best[0]:
            best = (val, m, d, _mean([float(r["test_acc"]) for r in sel]))
    return None if best is None else best[1:]


def _check_graphs_near(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    mine = _best_on_validation(rows.get("graphs", []), (t.model,))
    ref = _best_on_validation(rows.get("graphs", []), t.reference.split(","))
    if not (mine and ref):
        return []
    (m, d, a), (rm, rd, b) = mine, ref
    return [_target_row(t, f"{m} depth {d} {_pct(a)} vs {rm} depth {rd} {_pct(b)}", _at_least(a, b - t.margin))]


def _check_graphs_inference(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    inf, out = rows.get("graphs_inference", []), []
    for k in t.depths:
        sel = [r for r in inf if int(r["trained_iterations"]) == k]
        if not sel:
            continue
        evals = sorted({int(r["eval_iterations"]) for r in sel})
        at = {m: _mean([float(r["test_acc"]) for r in sel if int(r["eval_iterations"]) == m]) for m in evals}
        more = [m for m in evals if m > k]
        if k not in at or not more:
            continue
        low = min(more, key=at.get)
        out.append(_target_row(t, f"{_pct(at[k])} at {k}, lowest {_pct(at[low])} at {low}",
                               _at_most(at[k] - at[low], t.margin), depth=k, hi_eval=evals[-1]))
    return out


def _check_graphs_converged(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    its = rows.get("graphs_iterations", [])
    if not its:
        return []
    n, done = len(its), sum(int(r["converged"]) for r in its)
    steps = sorted(int(r["iterations"]) for r in its)
    measured = (f"{done}/{n} graphs; iterations min {steps[0]}, median {statistics.median(steps):g}, "
                f"max {steps[-1]}")
    return [_target_row(t, measured, done >= t.threshold * n, tol=float(its[0]["tol"]), cap=int(its[0]["cap"]))]


def _check_long_range_wins(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    lr = rows.get("long_range", [])
    mine = _best_on_validation(lr, {r["model"] for r in lr if model_family(r["model"]) == t.model})
    ref = _best_on_validation(lr, t.reference.split(","))
    if mine is None or ref is None:
        return []
    (m, _, a), (rm, rd, b) = mine, ref
    depths = sorted({int(r["depth"]) for r in lr if r["model"] in t.reference.split(",")})
    return [_target_row(t, f"{m} {_pct(a)} vs {rm} depth {rd} {_pct(b)}", a >= b, run="/".join(map(str, depths)))]


def _check_long_range_chance(t: Target, rows: dict[str, list[dict]], s: Settings) -> list[dict]:
    out = []
    for m in t.reference.split(","):
        for d in t.depths:
            acc = _mean_test(rows.get("long_range", []), model=m, depth=d)
            if not math.isnan(acc):
                out.append(_target_row(t, _pct(acc), _at_most(abs(acc - t.threshold), t.margin), model=m, depth=d))
    return out


#: each check's function; the groups below give the order of the report: the targets on a named
#: dataset, then those of each dataset of the run, of each noise cell, of the chains and of the other
#: generated graphs
_CHECKS = {"floor": _check_floor, "flat": _check_flat, "collapse": _check_collapse, "near": _check_near,
           "noise": _check_noise, "chains_floor": _check_chains_floor, "chains_chance": _check_chains_chance,
           "heterophily_gap": _check_heterophily_gap, "graphs_near": _check_graphs_near,
           "graphs_inference": _check_graphs_inference, "graphs_converged": _check_graphs_converged,
           "long_range_wins": _check_long_range_wins, "long_range_chance": _check_long_range_chance}
_ON_A_DATASET, _PER_DATASET, _PER_NOISE_CELL = ("floor",), ("flat", "collapse", "near"), ("noise",)
_ON_CHAINS = ("chains_floor", "chains_chance")
_ON_GENERATED = ("heterophily_gap", "graphs_near", "graphs_inference", "graphs_converged", "long_range_wins",
                 "long_range_chance")


def check_targets(rows: dict[str, list[dict]], s: Settings,
                  targets: Iterable[Target] = TARGETS) -> list[dict]:
    """The targets (by default :data:`iterative_gnn.targets.TARGETS`), each with the
    measured number and whether it was met (only those the run has the data for)."""
    targets = tuple(targets)

    def of(checks: tuple[str, ...]) -> list[Target]:
        return [t for t in targets if t.check in checks]

    out = []
    for t in of(_ON_A_DATASET):
        out += _CHECKS[t.check](t, rows, s)
    for name in s.datasets:
        for t in of(_PER_DATASET):
            out += _CHECKS[t.check](t, rows, s, name)
    for name in s.noise_datasets:
        for p in s.noise:
            for d in s.noise_depths:
                for t in of(_PER_NOISE_CELL):
                    out += _CHECKS[t.check](t, rows, s, name, p, d)
    for t in of(_ON_CHAINS):
        out += _CHECKS[t.check](t, rows, s)
    for t in of(_ON_GENERATED):
        out += _CHECKS[t.check](t, rows, s)
    return out


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return f"{platform.system()} {platform.machine()}, {cpu}, {cores} cores, torch {torch.__version__}"


def _table(rows: list[dict], cols: list[str]) -> list[str]:
    lines = ["| " + " | ".join(cols) + " |", "|" + "---|" * len(cols)]
    lines += ["| " + " | ".join(str(r.get(c, "")) for c in cols) + " |" for r in rows]
    return lines


def depth_table(rows: list[dict], noise: float = 0.0) -> list[str]:
    """Markdown: test accuracy (mean ± std over seeds) per dataset, model and depth."""
    rs = [r for r in rows if float(r["noise"]) == noise]
    if not rs:
        return []
    depths = sorted({int(r["depth"]) for r in rs})
    summ = summarize(rs, ("dataset", "model", "depth"))
    cell = {(r["dataset"], r["model"], int(r["depth"])): r for r in summ}
    out = []
    for ds in dict.fromkeys(r["dataset"] for r in rs):
        for m in dict.fromkeys(r["model"] for r in rs if r["dataset"] == ds):
            row = {"dataset": ds, "model": m}
            for d in depths:
                c = cell.get((ds, m, d))
                row[str(d)] = _test_accuracy(c) if c else ""
            out.append(row)
    return _table(out, ["dataset", "model", *map(str, depths)])


def _cells(rows: list[dict], row_key: str, col_key: str, cols: list, label: Callable[[str], str] = str,
           col_value: Callable = int) -> list[dict]:
    """Rows of a markdown table: test accuracy (mean ± std over seeds) per ``row_key`` and ``col_key``."""
    summ = summarize(rows, (row_key, col_key))
    cell = {(r[row_key], col_value(r[col_key])): r for r in summ}
    out = []
    for key in dict.fromkeys(r[row_key] for r in rows):
        row = {row_key: label(key)}
        for c in cols:
            x = cell.get((key, c))
            row[str(c)] = _test_accuracy(x) if x else ""
        out.append(row)
    return out


def _shown_evaluations(rows: list[dict]) -> list[int]:
    """The evaluation depths m of an inference table: 1 and k/2, k, 2k, 3k, 4k of each training depth k."""
    ks = sorted({int(r["trained_iterations"]) for r in rows})
    evals = sorted({int(r["eval_iterations"]) for r in rows})
    return [m for m in evals if m == 1 or any(m in (k // 2, k, 2 * k, 3 * k, 4 * k) for k in ks)]


def node_iteration_tables(rows: dict[str, list[dict]]) -> list[str]:
    """Markdown sections of the inference and residuals experiments (those that were run)."""
    lines: list[str] = []
    inf = rows.get("inference", [])
    if inf:
        shown = _shown_evaluations(inf)
        keyed = [{**r, "run": f"{r['dataset']}, {r['model']}, k = {r['trained_iterations']}"} for r in inf]
        lines += ["## PIGN trained with k iterations, evaluated with m (test accuracy %)", ""]
        lines += _table(_cells(keyed, "run", "eval_iterations", shown), ["run", *map(str, shown)]) + [""]
    res = rows.get("residuals", [])
    if res:
        runs: dict[tuple, list[dict]] = {}
        for r in res:
            runs.setdefault((r["dataset"], r["model"], r["state"]), []).append(r)
        out = []
        for key, mine in runs.items():
            last = max(int(r["iteration"]) for r in mine)
            at = {i: [float(r["residual"]) for r in mine if int(r["iteration"]) == i] for i in (1, last)}
            out.append({"dataset": key[0], "model": key[1], "state": key[2], "iterations": last,
                        "first": f"{statistics.mean(at[1]):.3g}", "last": f"{statistics.mean(at[last]):.3g}"})
        lines += ["## Relative residual of the iteration, at its first and last step (mean over seeds)", ""]
        lines += _table(out, ["dataset", "model", "state", "iterations", "first", "last"]) + [""]
    return lines


def generated_tables(rows: dict[str, list[dict]]) -> list[str]:
    """Markdown sections of the heterophily, graphs and long_range experiments (those that were run)."""
    lines: list[str] = []
    het = rows.get("heterophily", [])
    if het:
        hs = sorted({float(r["h"]) for r in het})
        default = {r["model"] for r in het if r.get("default") == "yes"}
        cells = _cells(het, "model", "h", hs, lambda m: m + (" (default form)" if m in default else ""), float)
        lines += ["## Heterophily (CSBM, 2000 nodes, 2 classes, degree 10): test accuracy (%) against the edge "
                  "homophily h", ""] + _table(cells, ["model", *map(str, hs)]) + [""]
    gr = rows.get("graphs", [])
    if gr:
        depths = sorted({int(r["depth"]) for r in gr})
        lines += ["## Graph families: test accuracy (%) against depth (GraphPIGN: iterations; GIN, GCN: layers)", ""]
        lines += _table(_cells(gr, "model", "depth", depths), ["model", *map(str, depths)]) + [""]
    inf = rows.get("graphs_inference", [])
    if inf:
        shown = _shown_evaluations(inf)
        cells = _cells(inf, "trained_iterations", "eval_iterations", shown)
        lines += ["### GraphPIGN trained with k iterations, evaluated with m (test accuracy %)", ""]
        lines += _table([{"k": r.pop("trained_iterations"), **r} for r in cells], ["k", *map(str, shown)]) + [""]
    its = rows.get("graphs_iterations", [])
    if its:
        ks = sorted({int(r["trained_iterations"]) for r in its})
        out = []
        for fam in dict.fromkeys(r["family"] for r in its):
            row = {"family": fam}
            for k in ks:
                sel = sorted(int(r["iterations"]) for r in its if r["family"] == fam and int(r["trained_iterations"]) == k)
                done = sum(int(r["converged"]) for r in its if r["family"] == fam and int(r["trained_iterations"]) == k)
                row[str(k)] = f"{statistics.median(sel):g} [{sel[0]}-{sel[-1]}], {done}/{len(sel)}" if sel else ""
            out.append(row)
        lines += [f"### Iterations each test graph needed to reach tol {float(its[0]['tol']):g} in one batch (cap "
                  f"{its[0]['cap']}): median [min-max], graphs converged, by family and training iterations k", ""]
        lines += _table(out, ["family", *map(str, ks)]) + [""]
    lr = rows.get("long_range", [])
    if lr:
        stacked = [r for r in lr if not r["model"].startswith("pign")]
        depths = sorted({int(r["depth"]) for r in stacked})
        lines += ["## Long range (are the two marked nodes within distance d?): test accuracy (%)", ""]
        lines += _table(_cells(stacked, "model", "depth", depths), ["model", *map(str, depths)]) + [""]
        for r in summarize([r for r in lr if r["model"].startswith("pign")], ("model", "depth"),
                           ("test_acc", "iterations", "converged")):
            lines += [f"GraphPIGN, form '{r['model'].partition('-')[2]}', iterated to convergence (at most "
                      f"{r['depth']} iterations): "
                      f"{_test_accuracy(r)}; iterations at test "
                      f"{r['iterations_mean']:.0f} (mean over graphs and seeds), "
                      f"{r['converged_mean'] * 100:.0f}% of the test graphs converged", ""]
    return lines


def write_summary(path: Path, rows: dict[str, list[dict]], checks: list[dict], backend: str,
                  command: str = "", ran: Optional[dict] = None, threads: Optional[int] = None) -> Path:
    """``summary.md``: the tables and targets of ``rows``; ``ran`` (the date and machine of the runs,
    from their ``run.log``) when the tables are rebuilt from a run's CSV files; ``threads``: the torch
    threads of each run, where known."""
    now = time.strftime('%Y-%m-%d %H:%M %Z')
    if ran:
        head = [f"- date: the runs from {ran['date']} (run.log); tables rebuilt from their CSV files {now}",
                f"- machine: {ran['machine']}"]
    else:
        head = [f"- date: {now}", f"- machine: {machine()}"]
    if threads:
        head.append(f"- threads: {threads} torch threads per run (the results depend on it; --threads {threads} "
                    "repeats it)")
    words = command.split()  # (the subcommand that ran: reproduce, or chains, whose tables are the same)
    name = "chains" if len(words) > 1 and words[0] == "iterative-gnn" and words[1] == "chains" else "reproduce"
    lines = [f"# iterative-gnn {name} ({backend})", "", *head, f"- command: `{command}`", ""]
    if rows["depth"]:
        lines += ["## Test accuracy (%) against depth (iterations / layers), mean ± std over seeds", ""]
        lines += depth_table(rows["depth"]) + [""]
        for p in sorted({float(r["noise"]) for r in rows["depth"]} - {0.0}):
            lines += [f"### Noise {p}", ""] + depth_table(rows["depth"], p) + [""]
    if rows["chains"]:
        summ = summarize(rows["chains"], ("length", "model"), ("test_acc", "iterations"))
        lines += ["## Chains (test accuracy %)", ""]
        lines += _table([{"L": r["length"], "model": r["model"],
                          "test": _test_accuracy(r),
                          "iterations": "" if math.isnan(r["iterations_mean"]) else f"{r['iterations_mean']:.0f}"}
                         for r in summ], ["L", "model", "test", "iterations"]) + [""]
    lines += node_iteration_tables(rows)
    lines += generated_tables(rows)
    if checks:
        lines += ["## Targets", ""] + _table(checks, ["target", "measured", "met"]) + [""]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines))
    return path
