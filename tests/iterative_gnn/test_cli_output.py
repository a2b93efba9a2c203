"""What a user of the command sees: no torch notices, one convergence line per experiment, the data root
in run.log, progress bars on a terminal's stderr only, and results that survive a missing matplotlib."""
import csv
import importlib.util
import io
import os
import pickle
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
from iterative_core import ConvergenceWarning

import iterative_gnn.cli as cli
import iterative_gnn.reproduce as reproduce
from iterative_gnn.cli import main
from iterative_gnn.data import ENV_VAR, cache_dir
from iterative_gnn.reproduce import ChainsTask, Runner, Settings, TaskResult
from iterative_gnn.train import ConvergenceTally, convergence_watch, filter_torch_notices

BACKEND = "pyg" if importlib.util.find_spec("torch_geometric") else "dgl"
BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(importlib.util.find_spec(m) is None, reason=f"{m} not installed"))
            for b, m in (("pyg", "torch_geometric"), ("dgl", "dgl"))]
ROOT = Path(__file__).resolve().parents[2]
CHAINS = ["--experiments", "chains", "--chains-lengths", "4", "--epochs", "2"]


def read(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


class FakeTerminal(io.StringIO):
    """A stderr that says it is a terminal."""

    def isatty(self) -> bool:
        return True


# ------------------------------------------------------------------------------------------------ torch notices
@pytest.mark.parametrize("backend", BACKENDS)
def test_the_command_prints_no_torch_notices(backend):
    """A fresh process (torch says each notice once per process), every warning shown (-W default)."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(ROOT), str(ROOT / "common")]))
    proc = subprocess.run([sys.executable, "-W", "default", "-m", "iterative_gnn", "train", "--backend", backend,
                           "--dataset", "karate", "--epochs", "3"], capture_output=True, text=True, env=env,
                          cwd=ROOT, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert "test accuracy" in proc.stdout
    for notice in ("Sparse CSR tensor support is in beta state", "Sparse invariant checks", "torch.jit.script",
                   "Warning"):
        assert notice not in proc.stderr, proc.stderr


def test_the_filter_hides_only_torch_notices():
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        filter_torch_notices()
        warnings.warn("Sparse CSR tensor support is in beta state. If you miss ...", UserWarning)
        warnings.warn("`torch.jit.script` is deprecated. Please switch to `torch.compile`", DeprecationWarning)
        warnings.warn("did not reach tol=1e-05 in 8 iterations (final residual 0.1)", ConvergenceWarning)
        warnings.warn("something else", UserWarning)
    assert [(w.category, str(w.message)) for w in caught] == [
        (ConvergenceWarning, "did not reach tol=1e-05 in 8 iterations (final residual 0.1)"),
        (UserWarning, "something else")]


# ------------------------------------------------------------------------------------------------ convergence
def test_tally_counts_failed_runs_and_the_worst_residual():
    t = ConvergenceTally()
    t.add([], {"status": "fixed", "final_residual": 0.9})  # a fixed number of steps is not a failure
    t.add([], None, iterative=False)  # a GCN: not a run of an iterative model
    t.add(["fixed-point iteration diverged after 8 iterations (final residual 3.5, contraction factor 2)"] * 2,
          {"status": "fixed", "final_residual": 0.1})
    t.add([], {"status": "max_iter", "final_residual": 0.25})
    assert (t.runs, t.failed, t.worst) == (3, 2, 3.5)
    assert t.describe() == "2 of 3 runs did not converge (worst final residual 3.50e+00)"
    other = ConvergenceTally()
    other.add(["... diverged after 2 iterations (final residual nan, contraction factor nan)"])
    t.merge(other)
    assert (t.runs, t.failed) == (4, 3) and "worst final residual nan" in t.describe()
    assert ConvergenceTally(runs=5).describe("PIGN runs") == "0 of 5 PIGN runs did not converge"


def test_convergence_watch_collects_convergence_warnings_and_passes_on_the_others():
    with warnings.catch_warnings(record=True) as outer:
        warnings.simplefilter("always")
        with convergence_watch() as messages:
            for r in (0.5, 0.7):
                warnings.warn(f"did not reach tol=1e-05 (final residual {r})", ConvergenceWarning)
            warnings.warn("a user warning", UserWarning)
    assert messages == ["did not reach tol=1e-05 (final residual 0.5)", "did not reach tol=1e-05 (final residual 0.7)"]
    assert [str(w.message) for w in outer] == ["a user warning"]


def _warning_run_one(real, residual_of_seed):
    """``run_one`` that also warns as the library does, three times per PIGN run."""

    def run_one(backend, ds, cfg, seed, **kw):
        out = real(backend, ds, cfg, seed, **kw)
        if cfg.model == "pign":
            for _ in range(3):
                warnings.warn(f"fixed-point iteration diverged after 8 iterations (final residual "
                              f"{residual_of_seed(seed)}, contraction factor 1.7)", ConvergenceWarning)
        return out

    return run_one


def test_train_summarises_convergence_warnings_in_one_line(monkeypatch, capsys):
    monkeypatch.setattr(cli, "run_one", _warning_run_one(cli.run_one, lambda seed: 2.0 + seed))
    assert main(["train", "--backend", BACKEND, "--dataset", "karate", "--epochs", "2", "--seeds", "2"]) == 0
    captured = capsys.readouterr()
    assert "ConvergenceWarning" not in captured.err and "diverged" not in captured.err
    lines = [line for line in captured.out.splitlines() if "convergence" in line]
    assert lines == [f"[{BACKEND}] convergence: 2 of 2 seeds did not converge (worst final residual 3.00e+00)"]


def test_train_reports_runs_that_end_short_of_the_tolerance(tmp_path, capsys):
    out = tmp_path / "runs.csv"
    assert main(["train", "--backend", BACKEND, "--dataset", "karate", "--epochs", "2", "--iterations", "2",
                 "--tol", "1e-12", "--seeds", "2", "--csv", str(out)]) == 0
    text = capsys.readouterr().out
    worst = max(float(r["final_residual"]) for r in read(out))
    assert f"convergence: 2 of 2 seeds did not converge (worst final residual {worst:.2e})" in text
    # converged (or fixed-step) runs add no line
    assert main(["train", "--backend", BACKEND, "--dataset", "karate", "--epochs", "2"]) == 0
    assert "did not converge" not in capsys.readouterr().out


def test_train_rows_name_the_preset_and_the_noise(tmp_path):
    """Runs of two presets, or with and without noise, wrote the same row but for the accuracies."""
    out = tmp_path / "runs.csv"
    assert main(["train", "--backend", BACKEND, "--dataset", "karate", "--epochs", "1", "--iterations", "2",
                 "--preset", "paper", "--noise", "0.5", "--csv", str(out)]) == 0
    assert [(r["model"], r["preset"], float(r["noise"])) for r in read(out)] == [("pign", "paper", 0.5)]
    assert main(["train", "--backend", BACKEND, "--dataset", "karate", "--epochs", "1", "--model", "gcn",
                 "--csv", str(tmp_path / "gcn.csv")]) == 0
    assert [(r["model"], r["preset"], float(r["noise"])) for r in read(tmp_path / "gcn.csv")] == [("gcn", "", 0.0)]


def test_reproduce_logs_one_convergence_line_per_experiment(monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(reproduce, "run_one", _warning_run_one(reproduce.run_one, lambda seed: 0.5 * (seed + 1)))
    out = tmp_path / "r"
    assert main(["reproduce", "--backend", BACKEND, "--out", str(out), "--seeds", "2", "--no-progress", *CHAINS]) == 0
    captured = capsys.readouterr()
    assert "ConvergenceWarning" not in captured.err and "diverged" not in captured.err
    log = (out / "run.log").read_text().splitlines()
    assert [line for line in log if "convergence" in line] == [
        "# convergence, chains: 2 of 2 PIGN runs iterated to a tolerance did not converge "
        "(worst final residual 1.00e+00)"]


def test_a_worker_returns_its_convergence_with_its_rows(monkeypatch, tmp_path):
    """What a worker process gives back (``--jobs``) pickles with its count, which the runner adds up."""
    monkeypatch.setattr(reproduce, "run_one", _warning_run_one(reproduce.run_one, lambda seed: 4.0))
    runner = Runner(BACKEND, Settings(experiments=("chains",), epochs=2), tmp_path, log=lambda line: None)
    results = [pickle.loads(pickle.dumps(runner.execute(ChainsTask(4, m, 0)))) for m in ("pign", "gcn")]
    assert [(r.experiment, r.convergence.runs, r.convergence.failed) for r in results] == [("chains", 1, 1),
                                                                                          ("chains", 0, 0)]
    runner._collect(results + [TaskResult({}, "a run of another experiment", experiment="depth",
                                          convergence=ConvergenceTally(runs=1))])
    assert runner.convergence_lines() == [  # in the order of the experiments, not of the runs
        "# convergence, depth: 0 of 1 PIGN runs iterated to a tolerance did not converge",
        "# convergence, chains: 1 of 1 PIGN runs iterated to a tolerance did not converge "
        "(worst final residual 4.00e+00)"]


# ------------------------------------------------------------------------------------------------ data root
def _tiny_cora(out: Path) -> list[str]:
    return ["reproduce", "--backend", BACKEND, "--out", str(out), "--experiments", "depth", "--datasets", "cora",
            "--depths", "1", "--models", "gcn", "--extra", "", "--seeds", "1", "--epochs", "1", "--no-progress"]


def test_run_log_names_the_data_root_given(data_root, tmp_path, monkeypatch):
    monkeypatch.delenv(ENV_VAR, raising=False)
    out = tmp_path / "a"
    assert main(_tiny_cora(out) + ["--data-root", str(data_root)]) == 0
    line = next(x for x in (out / "run.log").read_text().splitlines() if x.startswith("# data root:"))
    assert line.startswith(f"# data root: {data_root.resolve()} (from --data-root") and line.endswith("for cora")
    monkeypatch.setenv(ENV_VAR, str(data_root))
    out = tmp_path / "b"
    assert main(_tiny_cora(out)) == 0
    line = next(x for x in (out / "run.log").read_text().splitlines() if x.startswith("# data root:"))
    assert line.startswith(f"# data root: {data_root.resolve()} (from ${ENV_VAR}")


def test_run_log_says_when_the_loaders_default_is_used_or_no_file_is_read(monkeypatch, tmp_path):
    monkeypatch.delenv(ENV_VAR, raising=False)
    s = Settings(experiments=("depth",), datasets=("cora",))
    assert cli._data_root_used(None, s, "pyg") == (
        f"the loaders' default location, PyG's folder {cache_dir() / 'pyg'} (neither --data-root nor "
        f"${ENV_VAR} given) for cora")
    out = tmp_path / "c"
    assert main(["reproduce", "--backend", BACKEND, "--out", str(out), "--seeds", "1", "--no-progress", *CHAINS]) == 0
    assert "# data root: none used (every dataset of this run is built in or generated in code)" in (
        (out / "run.log").read_text().splitlines())


# ------------------------------------------------------------------------------------------------ progress bars
def test_train_draws_a_bar_per_epoch_on_a_terminal_only(monkeypatch, capsys):
    args = ["train", "--backend", BACKEND, "--dataset", "karate", "--epochs", "4"]
    assert main(args) == 0  # pytest's stderr is not a terminal: no bar
    captured = capsys.readouterr()
    assert "epoch" not in captured.err and "\r" not in captured.err
    quiet = captured.out
    for flags, drawn in (([], True), (["--no-progress"], False)):
        term = FakeTerminal()
        monkeypatch.setattr(sys, "stderr", term)
        assert main(args + flags) == 0
        assert ("0/4" in term.getvalue() and "epoch" in term.getvalue()) is drawn, term.getvalue()
        assert capsys.readouterr().out.splitlines()[1:] == quiet.splitlines()[1:]  # the bar never in stdout


def test_reproduce_draws_a_bar_of_runs_beside_whole_log_lines(monkeypatch, tmp_path, capsys):
    term = FakeTerminal()
    monkeypatch.setattr(sys, "stderr", term)
    out = tmp_path / "r"
    assert main(["reproduce", "--backend", BACKEND, "--out", str(out), "--seeds", "2", *CHAINS]) == 0
    assert "/4" in term.getvalue() and "run" in term.getvalue()
    stdout = capsys.readouterr().out
    log = (out / "run.log").read_text().splitlines()
    assert "\r" not in stdout and stdout.splitlines()[:len(log)] == log  # each log line whole, in order


# ------------------------------------------------------------------------------------------------ no matplotlib
def test_without_matplotlib_reproduce_writes_every_table_and_skips_the_plots(monkeypatch, tmp_path, capsys):
    monkeypatch.setitem(sys.modules, "matplotlib", None)  # import matplotlib now fails
    with pytest.raises(ImportError):
        import matplotlib  # noqa: F401
    out = tmp_path / "r"
    assert main(["reproduce", "--backend", BACKEND, "--out", str(out), "--seeds", "1", "--no-progress", *CHAINS]) == 0
    text = capsys.readouterr().out
    note = [line for line in text.splitlines() if "plots skipped" in line]
    assert len(note) == 1 and "pip install matplotlib" in note[0] and "iterative-gnn[pyg]" in note[0]
    assert note[0] in (out / "run.log").read_text()
    assert {p.name for p in out.iterdir()} == {"chains.csv", "chains_summary.csv", "summary.md", "run.log"}
    assert len(read(out / "chains.csv")) == 2
    assert main(["reproduce", "--backend", BACKEND, "--report", str(out)]) == 0  # the tables again, no plots
    assert "plots skipped" in capsys.readouterr().out


def test_every_table_is_written_before_the_plots(monkeypatch, tmp_path):
    def broken(*a, **k):
        raise RuntimeError("the plot failed")

    monkeypatch.setattr(reproduce.plots, "plot_chains", broken)
    out = tmp_path / "r"
    with pytest.raises(RuntimeError, match="the plot failed"):
        main(["reproduce", "--backend", BACKEND, "--out", str(out), "--seeds", "1", "--no-progress", *CHAINS])
    assert {"chains.csv", "chains_summary.csv", "summary.md"} <= {p.name for p in out.iterdir()}
    assert "## Chains" in (out / "summary.md").read_text()


def test_a_library_warning_is_a_line_of_the_command(capsys):
    """It printed Python's form, the file and line of the tool's source that called the model."""
    with warnings.catch_warnings():
        warnings.simplefilter("always")  # (the test configuration hides this warning)
        assert main(["train", "--backend", BACKEND, "--dataset", "karate", "--epochs", "1", "--iterations", "2",
                     "--solver", "anderson"]) == 0
    err = capsys.readouterr().err
    assert "iterative-gnn: warning: PIGNConv: solver='anderson' with grad='unrolled'" in err
    assert "UserWarning" not in err and ".py:" not in err
