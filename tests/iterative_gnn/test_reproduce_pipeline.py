"""The reproduce pipeline's checks and records: the plots show every run, bad settings are refused by
name, the logs count what they say, and ``--report`` reads only well-formed CSV files."""
import math
from pathlib import Path

import numpy as np
import pytest

from iterative_gnn import plots, reproduce
from iterative_gnn.reproduce import Runner, Settings

from .cli_helpers import usage_error


@pytest.fixture
def no_runs(monkeypatch):
    """Fail the test if a run starts (a refusal that broke would start a long one)."""

    def fail(*a, **k):
        raise AssertionError("a run was started")

    monkeypatch.setattr(Runner, "execute", fail)


def test_iterations_histogram_keeps_the_slowest_graphs(tmp_path, monkeypatch):
    """Every graph is in its histogram, those at the cap (the slowest, not converged) too."""
    pytest.importorskip("matplotlib")
    import matplotlib.axes

    drawn = []
    hist = matplotlib.axes.Axes.hist

    def record(self, x, bins=None, **kw):
        drawn.append((list(x), list(bins)))
        return hist(self, x, bins=bins, **kw)

    monkeypatch.setattr(matplotlib.axes.Axes, "hist", record)
    # 3..500 in steps of 16 ended at 499: the graphs at the cap of 500 fell off the end
    its = list(range(3, 480)) + [500] * 20
    rows = [{"trained_iterations": k, "iterations": n, "cap": 500, "tol": 1e-4} for k in (2, 16) for n in its]
    plots.plot_graphs_iterations(rows, tmp_path)
    assert len(drawn) == 2
    for x, bins in drawn:
        counts, _ = np.histogram(x, bins=bins)
        assert counts.sum() == len(x) and bins[0] <= min(x) and bins[-1] >= max(x)


# --- settings refused before any training --------------------------------------------------------------
@pytest.mark.parametrize("noise", ["0", "0.5,0", "-0.1"])
def test_noise_level_zero_is_refused(noise, tmp_path, capsys, no_runs):
    """A noise level 0 repeated the clean runs and mixed them into the depth results."""
    err = usage_error(["reproduce", "--experiments", "noise", "--noise", noise, "--out", str(tmp_path / "o")], capsys)
    assert "argument --noise" in err and repr(noise) in err and "(0, 1]" in err
    assert not (tmp_path / "o").exists()


def test_noise_level_zero_is_refused_in_the_settings():
    s = Settings(experiments=("noise",), noise=(0.5, 0.0))
    with pytest.raises(ValueError, match=r"noise level 0\.0 is not valid; valid: numbers in \(0, 1\]"):
        Runner("pyg", s, Path("unused")).check()


@pytest.mark.parametrize("option,value,named", [("--datasets", "cora,cora", "'cora' is given twice"),
                                                ("--models", "gcn,pign-best,gcn", "'gcn' is given twice"),
                                                ("--depths", "2,02", "'02' repeats '2'"),
                                                ("--noise", "0.5,.5", "'.5' repeats '0.5'"),
                                                ("--extra", "gcn@4,gcn@4", "'gcn@4' is given twice")])
def test_a_repeated_entry_is_refused(option, value, named, tmp_path, capsys, no_runs):
    """A repeated entry ran again, and its runs counted as more seeds (a smaller std)."""
    err = usage_error(["reproduce", option, value, "--out", str(tmp_path / "o")], capsys)
    assert f"argument {option}" in err and repr(value) in err and named in err


def _settings_of(argv: list[str], monkeypatch) -> Settings:
    """The settings ``reproduce`` would run with ``argv`` (nothing is run)."""
    from iterative_gnn import cli

    got = []
    monkeypatch.setattr(cli, "_run_experiments", lambda args, s, title: got.append(s) or 0)
    assert cli.main(["reproduce", *argv]) == 0
    return got[0]


def test_extra_run_already_in_the_sweep_is_refused(tmp_path, capsys, monkeypatch, no_runs):
    err = usage_error(["reproduce", "--models", "gcn", "--depths", "2,4", "--extra", "pign-default@8,gcn@2",
                       "--out", str(tmp_path / "o")], capsys)
    assert "argument --extra: gcn@2 is run already by --models and --depths" in err
    # the default extra runs (pign-default at 8 and 16) are left out where the sweep has them
    s = _settings_of(["--models", "pign-default", "--depths", "8", "--out", str(tmp_path / "p")], monkeypatch)
    assert s.extra == (("pign-default", 16),)
    tasks = Runner("pyg", s, tmp_path).plan()
    depth = [(t.dataset, t.model, t.depth) for t in tasks if isinstance(t, reproduce.DepthTask) and t.seed == 0]
    assert depth.count(("cora", "pign-default", 8)) == 1


@pytest.mark.parametrize("changes,match", [({"depths": (2, 2)}, "depths has 2 twice"),
                                           ({"datasets": ("cora", "cora")}, "datasets has 'cora' twice"),
                                           ({"heterophily_h": (0.1, 0.1)}, "heterophily_h has 0.1 twice"),
                                           ({"models": ("gcn",), "depths": (2,), "extra": (("gcn", 2),)},
                                            r"extra has \('gcn', 2\), which models and depths run already")])
def test_a_repeated_entry_is_refused_in_the_settings(changes, match):
    with pytest.raises(ValueError, match=match):
        Runner("pyg", Settings(**changes), Path("unused")).check()


def test_a_single_run_has_no_spread_to_report():
    rows = [dict(dataset="cora", noise=0.0, model="gcn", depth=2, seed=0, test_acc=0.8125, val_acc=0.8),
            *(dict(dataset="cora", noise=0.0, model="gcn", depth=4, seed=s, test_acc=a, val_acc=0.8)
              for s, a in enumerate((0.8, 0.81)))]
    one, two = reproduce.summarize(rows, ("model", "depth"))
    assert one["runs"] == 1 and math.isnan(one["test_acc_std"]) and two["test_acc_std"] > 0
    table = "\n".join(reproduce.depth_table(rows))
    assert "81.3 ± n/a" in table and "80.5 ± 0.7" in table and "± 0.0" not in table


# --- what the logs count ------------------------------------------------------------------------------
def test_convergence_line_counts_only_runs_iterated_to_a_tolerance(tmp_path):
    """A PIGN of a fixed number of iterations has no tolerance to reach, and an MLP (0 iterations) does
    not iterate: they were counted as PIGN runs that converged."""
    s = Settings(experiments=("heterophily", "chains"), heterophily_h=(0.5,), heterophily_models=("mlp", "pign-signed"),
                 heterophily_seeds=1, heterophily_epochs=2, chains_lengths=(4,), chains_seeds=1, epochs=2)
    log = []
    Runner("pyg", s, tmp_path, log=log.append).run()
    assert [line for line in log if line.startswith("# convergence")] == [
        "# convergence, chains: 0 of 1 PIGN runs iterated to a tolerance did not converge",
        "# convergence, heterophily: 1 PIGN run ran a fixed number of iterations (no tolerance to reach)"]


# --- targets ------------------------------------------------------------------------------------------
def test_floor_target_of_an_extra_run_is_checked():
    """pign-default's floor target at 8 iterations was dropped when 8 came from --extra, not --depths."""
    rows = {k: [] for k in reproduce.ROW_KINDS}
    for seed in range(2):
        rows["depth"] += [dict(dataset="cora", noise=0.0, model="gcn", depth=2, seed=seed, test_acc=0.81, val_acc=0.8),
                          dict(dataset="cora", noise=0.0, model="pign-default", depth=8, seed=seed, test_acc=0.7,
                               val_acc=0.7)]
    s = Settings(datasets=("cora",), depths=(2,), models=("gcn",), extra=(("pign-default", 8),))
    floor = [c for c in reproduce.check_targets(rows, s) if c["target"].startswith("PIGN with library defaults >=")]
    assert [(c["measured"], c["met"]) for c in floor] == [("lowest 70.0% at 8", "NO")]


# --- how a run is repeated ----------------------------------------------------------------------------
def test_the_thread_count_is_recorded(tmp_path, monkeypatch):
    """The results depend on the torch threads: run.log's settings line and summary.md say how many."""
    import torch

    from iterative_gnn import cli

    out = tmp_path / "r"
    assert cli.main(["reproduce", "--out", str(out), "--experiments", "chains", "--chains-lengths", "4",
                     "--epochs", "2",
                     "--seeds", "1", "--no-progress"]) == 0
    n = torch.get_num_threads()
    settings = [line for line in (out / "run.log").read_text().splitlines() if line.startswith("# settings: ")]
    assert len(settings) == 1 and f"threads={n})" in settings[0]
    assert f"- threads: {n} torch threads per run" in (out / "summary.md").read_text()
    assert (out / "summary.md").read_text().startswith("# iterative-gnn reproduce (pyg)")
    assert reproduce.read_run_log(out)["settings"]["threads"] == n
    reproduce.report(out, "pyg", log=lambda line: None)  # the tables rebuilt from the CSV files keep it
    assert f"- threads: {n} torch threads per run" in (out / "summary.md").read_text()
    # worker processes (--jobs) take --threads, or 1
    assert _settings_of(["--jobs", "2", "--out", str(tmp_path / "a")], monkeypatch).threads == 1
    assert _settings_of(["--jobs", "2", "--threads", "3", "--out", str(tmp_path / "b")], monkeypatch).threads == 3
    # the chains command records them too (it wrote threads=None)
    got = []
    monkeypatch.setattr(cli, "_run_experiments", lambda args, s, title: got.append(s) or 0)
    assert cli.main(["chains", "--lengths", "3", "--out", str(tmp_path / "c")]) == 0
    assert got[0].threads == torch.get_num_threads()
    torch.set_num_threads(n)  # (--threads 3 above set them for the process)


def test_the_chains_commands_summary_is_headed_by_its_name(tmp_path):
    from iterative_gnn import cli

    out = tmp_path / "c"
    assert cli.main(["chains", "--lengths", "3", "--seeds", "1", "--epochs", "2", "--out", str(out),
                     "--no-progress"]) == 0
    summary = (out / "summary.md").read_text()
    assert summary.startswith("# iterative-gnn chains (pyg)") and "## Chains" in summary
    reproduce.report(out, "pyg", log=lambda line: None)  # rebuilt from its files: the run's own command
    assert (out / "summary.md").read_text().startswith("# iterative-gnn chains (pyg)")


# --- numbers ------------------------------------------------------------------------------------------
def test_graph_inference_accuracy_is_the_exact_share(monkeypatch):
    """57 of 80 test graphs right is 71.25%, shown 71.3; a float32 mean gave 0.71249998, shown 71.2."""
    from types import SimpleNamespace

    import torch

    from iterative_gnn import graph_experiments as ge

    batch = SimpleNamespace(y=torch.zeros(80, dtype=torch.long))
    logits = torch.zeros(80, 2)
    logits[57:, 1] = 1.0  # 57 right
    monkeypatch.setattr(ge, "collate", lambda ds, index: batch)
    monkeypatch.setattr(ge, "evaluate_graphs", lambda model, b: (logits, None))
    model = SimpleNamespace(conv=SimpleNamespace(eval_iterations=None))
    rows = ge._inference_rows(model, SimpleNamespace(val=None), batch, 1, 0, 2)
    assert [(r["test_acc"], r["val_acc"]) for r in rows] == [(57 / 80, 57 / 80)] * 2
    assert reproduce.percent(rows[0]["test_acc"]) == "71.3" and model.conv.eval_iterations is None


# --- --report reads only the CSV files of a run ---------------------------------------------------------
_DEPTH_HEAD = "dataset,noise,model,depth,seed,test_acc,val_acc\n"


@pytest.mark.parametrize("name,text,message", [
    ("depth.csv", "a,b\n1,2\n", "depth.csv: no columns 'dataset', 'noise', 'model', 'depth', 'seed', 'test_acc', "
                                "'val_acc' (its columns: a, b)"),
    ("depth.csv", _DEPTH_HEAD + "cora,0,gcn,2,0,0.8,0.8\ncora,0,gcn,2,1,,0.8\n",
     "depth.csv: line 3: column 'test_acc' is '', not a number"),
    ("depth.csv", _DEPTH_HEAD + "cora,0,gcn,two,0,0.8,0.8\n",
     "depth.csv: line 2: column 'depth' is 'two', not a whole"),
    ("chains.csv", "length,model,seed,test_acc,val_acc,iterations\n10,pign,0,1.0,1.0,many\n",
     "chains.csv: line 2: column 'iterations' is 'many', not a number"),
])
def test_report_names_a_foreign_or_broken_csv_file(name, text, message, tmp_path, capsys):
    """A CSV file another tool wrote, or one edited by hand, crashed --report with a KeyError or ValueError."""
    from iterative_gnn.cli import main

    (tmp_path / name).write_text(text)
    with pytest.raises(SystemExit) as stop:
        main(["reproduce", "--report", str(tmp_path)])
    assert str(stop.value.code).startswith(f"error: {tmp_path / message.split(':')[0]}") and message in stop.value.code
    with pytest.raises(reproduce.RunFileError, match="--report reads the CSV files a reproduce run wrote"):
        reproduce.report(tmp_path, "pyg", log=lambda line: None)


# --- options no experiment of the run reads --------------------------------------------------------------
@pytest.mark.parametrize("option,value,used_by", [("--depths", "3", "depth"),
                                                  ("--models", "gcn", "depth, inference, residuals"),
                                                  ("--inference-k", "5", "inference, residuals"),
                                                  ("--noise", "0.5", "noise"), ("--chains-lengths", "10", "chains")])
def test_an_option_no_experiment_reads_is_refused(option, value, used_by, tmp_path, capsys, no_runs):
    """--depths, --models and --inference-k were accepted with the heterophily, graphs and long_range
    experiments, which have their own models and depths, and changed nothing."""
    err = usage_error(["reproduce", "--experiments", "graphs,long_range,heterophily", option, value,
                       "--out", str(tmp_path / "o")], capsys)
    assert (f"argument {option}: no experiment of this run reads it (it is for {used_by}; this run: "
            "graphs,long_range,heterophily)") in err


def test_help_says_which_experiments_read_an_option(capsys):
    from iterative_gnn.cli import main

    with pytest.raises(SystemExit):
        main(["reproduce", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "the depth experiment's depths (default: 1,2,4,8,16); the heterophily, graphs and long_range" in text
    assert "iterations in training of the inference and residuals experiments' PIGN models" in text


@pytest.mark.parametrize("experiments", ["inference", "residuals", "depth,inference,residuals"])
def test_inference_without_a_pign_model_is_refused(experiments, tmp_path, capsys, monkeypatch, no_runs):
    """--experiments inference with --models gcn ran nothing, wrote an empty summary.md and exited 0."""
    err = usage_error(["reproduce", "--experiments", experiments, "--models", "gcn", "--extra", "",
                       "--out", str(tmp_path / "o")], capsys)
    assert "argument --models: the " in err and "the PIGN models of --models (pign-<preset>, e.g. pign-best), and " \
                                                "gcn has none" in err
    # a PIGN extra run at --inference-k is trained for them; without --experiments they are left out
    s = _settings_of(["--experiments", experiments, "--models", "gcn", "--extra", "pign-default@8",
                      "--out", str(tmp_path / "a")], monkeypatch) if "depth" in experiments else None
    assert s is None or s.experiments == ("depth", "inference", "residuals")
    s = _settings_of(["--models", "gcn", "--extra", "", "--out", str(tmp_path / "b")], monkeypatch)
    assert "inference" not in s.experiments and "residuals" not in s.experiments and "depth" in s.experiments
    with pytest.raises(ValueError, match=r"experiment trains the PIGN models of models .* and models \(gcn\) has none"):
        Runner("pyg", Settings(experiments=("inference",), models=("gcn",)), Path("unused")).check()


def test_summary_has_the_inference_and_residuals_tables(tmp_path):
    """The two experiments wrote CSV files and plots only: summary.md had no line of them."""
    rows = {k: [] for k in reproduce.ROW_KINDS}
    rows["inference"] = [{"dataset": "cora", "model": "pign-best", "trained_iterations": 8, "eval_iterations": m,
                          "seed": seed, "test_acc": 0.5 + 0.01 * m + 0.02 * seed, "val_acc": 0.5, "final_residual": 0.1}
                         for m in (1, 2, 4, 8, 16) for seed in (0, 1)]
    rows["residuals"] = [{"dataset": "cora", "model": "pign-best", "state": state, "seed": seed, "iteration": i,
                          "residual": 0.5 ** i * (1 + seed), "abs_residual": 1.0}
                         for state in ("untrained", "trained") for seed in (0, 1) for i in (1, 2, 3)]
    text = reproduce.write_summary(tmp_path / "summary.md", rows, [], "pyg").read_text()
    assert "| run | 1 | 4 | 8 | 16 |" in text  # m = 2 is not among 1, k/2, k, 2k, 3k, 4k
    assert "| cora, pign-best, k = 8 | 52.0 ± 1.4 | 55.0 ± 1.4 | 59.0 ± 1.4 | 67.0 ± 1.4 |" in text
    assert "| cora | pign-best | untrained | 3 | 0.75 | 0.188 |" in text
    assert "| cora | pign-best | trained | 3 | 0.75 | 0.188 |" in text
