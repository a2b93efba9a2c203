"""The subcommands end to end on tiny settings, in each installed backend; CSV and PNG well formed."""
import csv
import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

from iterative_gnn.cli import main

BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(importlib.util.find_spec(m) is None, reason=f"{m} not installed"))
            for b, m in (("pyg", "torch_geometric"), ("dgl", "dgl"))]
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def read(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def check_png(path: Path) -> None:
    import matplotlib.image as mpimg

    assert path.read_bytes()[:8] == PNG_MAGIC
    img = mpimg.imread(path)
    assert img.ndim == 3 and img.shape[0] > 100 and img.shape[1] > 100
    assert img.std() > 0  # not a blank canvas


def acc(v: str) -> float:
    a = float(v)
    assert 0.0 <= a <= 1.0
    return a


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("model", ["pign", "gcn", "appnp", "gcn2"])
def test_train_cora_each_model(backend, model, data_root, tmp_path, capsys):
    out = tmp_path / "train.csv"
    rc = main(["train", "--backend", backend, "--model", model, "--data-root", str(data_root), "--epochs", "3",
               "--iterations", "2", "--seeds", "2", "--csv", str(out)])
    text = capsys.readouterr().out
    assert rc == 0 and "test accuracy" in text and "± " in text
    rows = read(out)
    assert [r["seed"] for r in rows] == ["0", "1"] and all(r["backend"] == backend for r in rows)
    for r in rows:
        acc(r["test_acc"]), acc(r["val_acc"])
    if model == "pign":  # the iteration's convergence is reported
        assert "contraction factor" in text and rows[0]["iterations"] == "2"


@pytest.mark.parametrize("backend", BACKENDS)
def test_train_pign_options_chains_and_karate(backend, capsys):
    assert main(["train", "--backend", backend, "--dataset", "karate", "--epochs", "5", "--iterations", "3",
                 "--preset", "paper", "--solver", "anderson", "--grad", "phantom", "--smoothing", "0.3"]) == 0
    out = capsys.readouterr().out
    assert "karate" in out and "34 nodes" in out and "contraction factor" in out
    assert main(["train", "--backend", backend, "--dataset", "chains", "--length", "6", "--epochs", "3"]) == 0
    out = capsys.readouterr().out
    assert "chains6" in out and "status converged" in out  # iterated to convergence by default on chains
    assert main(["train", "--backend", backend, "--dataset", "karate", "--epochs", "3", "--iterations", "2",
                 "--preset", "default", "--consistency", "0.5", "--consistency-samples", "3"]) == 0
    assert "consistency 0.5 (3 passes, temperature 0.5)" in capsys.readouterr().out


@pytest.mark.parametrize("backend", BACKENDS)
def test_reproduce_writes_csv_png_and_summary(backend, data_root, tmp_path, capsys):
    out = tmp_path / "res"
    rc = main(["reproduce", "--backend", backend, "--data-root", str(data_root), "--out", str(out),
               "--datasets", "cora", "--depths", "1,2", "--seeds", "1", "--epochs", "2", "--noise", "0.5",
               "--noise-depths", "2", "--inference-k", "2", "--chains-lengths", "4", "--extra", "pign-default@1"])
    assert rc == 0
    dep = read(out / "depth.csv")
    plan = {(r["model"], r["depth"], r["noise"]) for r in dep}
    for m in ("gcn", "pign-paper", "pign-best"):
        assert {(m, "1", "0.0"), (m, "2", "0.0")} <= {(a, b, str(float(c))) for a, b, c in plan}
    assert {(r["model"], r["depth"]) for r in dep if float(r["noise"]) == 0.5} == {
        ("gcn", "2"), ("gcn:wd0", "2"), ("pign-best:cr0", "2"), ("pign-best:cr0:wd0", "2")}
    assert {r["model"] for r in dep if r["depth"] == "1"} == {"gcn", "pign-paper", "pign-best", "pign-default"}
    for r in dep:
        acc(r["test_acc"])
        assert (r["iterations"] == r["depth"]) if r["model"].startswith("pign") else r["iterations"] == ""
    summ = read(out / "depth_summary.csv")
    assert {"dataset", "noise", "model", "depth", "runs", "test_acc_mean", "test_acc_std"} <= set(summ[0])
    inf = read(out / "inference.csv")
    assert sorted({int(r["eval_iterations"]) for r in inf}) == list(range(1, 9))  # 1..4k with k = 2
    res = read(out / "residuals.csv")
    assert {r["state"] for r in res} == {"untrained", "trained"}
    assert max(int(r["iteration"]) for r in res) == 8 and all(float(r["residual"]) >= 0 for r in res)
    ch = read(out / "chains.csv")
    assert {(r["length"], r["model"]) for r in ch} == {("4", "gcn"), ("4", "pign")}
    for name in ("depth", "noise", "inference", "residuals", "chains"):
        check_png(out / f"{name}.png")
    targets = read(out / "targets.csv")
    assert targets and all(t["met"] in ("yes", "NO") for t in targets)
    summary = (out / "summary.md").read_text()
    assert "| dataset | model | 1 | 2 |" in summary and "machine:" in summary and "## Targets" in summary
    assert "# done in" in (out / "run.log").read_text()


@pytest.mark.parametrize("backend", BACKENDS)
def test_chains_subcommand(backend, tmp_path):
    import shlex

    out = tmp_path / "chains out"  # the logged command quotes it, so that it runs again as written
    argv = ["chains", "--backend", backend, "--lengths", "3,5", "--seeds", "1", "--epochs", "2", "--out", str(out)]
    assert main(argv) == 0
    logged = [line for line in (out / "run.log").read_text().splitlines() if line.startswith("# command: ")]
    assert logged and shlex.split(logged[0][len("# command: "):]) == ["iterative-gnn", *argv]
    rows = read(out / "chains.csv")
    assert sorted((int(r["length"]), r["model"]) for r in rows) == [(3, "gcn"), (3, "pign"), (5, "gcn"), (5, "pign")]
    check_png(out / "chains.png")


def test_quick_reproduce_falls_back_to_chains_without_data(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ITERATIVE_GNN_DATA", str(tmp_path / "empty"))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    backend = "pyg" if importlib.util.find_spec("torch_geometric") else "dgl"
    out = tmp_path / "q"
    assert main(["reproduce", "--quick", "--backend", backend, "--out", str(out), "--epochs", "2",
                 "--chains-lengths", "3"]) == 0
    assert "running the chains benchmark" in capsys.readouterr().out
    assert (out / "chains.csv").exists() and not (out / "depth.csv").exists()


def test_missing_data_says_where_to_put_the_files(tmp_path, monkeypatch, capsys):
    import socket

    def refuse(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    backend = "pyg" if importlib.util.find_spec("torch_geometric") else "dgl"
    rc = main(["train", "--backend", backend, "--data-root", str(tmp_path / "nothing"), "--epochs", "1"])
    err = capsys.readouterr().err
    assert rc == 2 and "planetoid/Cora/raw" in err and "ind.cora.x" in err


def test_module_entry_point_and_lazy_backends():
    code = ("import sys, iterative_gnn.cli, iterative_gnn.reproduce, iterative_gnn.configs, iterative_gnn.plots;"
            "assert 'torch_geometric' not in sys.modules and 'dgl' not in sys.modules, 'a backend was imported';"
            "import iterative_core; print('ok')")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert r.returncode == 0 and "ok" in r.stdout, r.stderr
    r = subprocess.run([sys.executable, "-m", "iterative_gnn", "train", "--help"], capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0 and "--backend" in r.stdout and "--solver" in r.stdout


def test_parallel_jobs_give_the_same_rows_in_the_same_order(data_root, tmp_path):
    common = ["reproduce", "--data-root", str(data_root), "--datasets", "cora", "--depths", "1,2", "--seeds", "2",
              "--epochs", "3", "--experiments", "depth,chains", "--chains-lengths", "4", "--extra", "",
              "--threads", "1"]
    assert main(common + ["--out", str(tmp_path / "one")]) == 0
    assert main(common + ["--out", str(tmp_path / "two"), "--jobs", "2"]) == 0
    for name in ("depth.csv", "chains.csv"):
        one, two = read(tmp_path / "one" / name), read(tmp_path / "two" / name)
        keys = ("model", "depth", "seed", "test_acc", "val_acc") if name == "depth.csv" else ("model", "seed", "test_acc")
        assert [tuple(r[k] for k in keys) for r in one] == [tuple(r[k] for k in keys) for r in two]


def test_variants_and_selection_on_validation():
    from iterative_gnn.reproduce import model_config, model_family, select_on_validation

    assert model_config("gcn:wd0").weight_decay == 0.0 and model_config("gcn").weight_decay > 0
    assert model_config("pign-best:wd0").conv == model_config("pign-best").conv
    assert model_config("gcn:cr").consistency == 1.0 and model_config("gcn").consistency == 0.0
    assert model_config("pign-best:cr0").consistency == 0.0
    assert model_config("pign-best:cr0") == model_config("pign-best").with_(consistency=0.0)
    both = model_config("pign-best:cr0:wd0")  # variants in a row: each applies
    assert (both.consistency, both.weight_decay) == (0.0, 0.0) and model_family("pign-best:cr0:wd0") == "pign"
    for bad in ("gcn:wd0:wd0", "gcn:cr:cr0"):
        with pytest.raises(ValueError, match="each variant once"):
            model_config(bad)
    with pytest.raises(ValueError, match="unknown variant"):
        model_config("gcn:wd1")
    rows = [{"model": m, "depth": 2, "val_acc": v, "test_acc": t} for m, v, t in
            (("gcn", 0.5, 0.9), ("gcn:wd0", 0.6, 0.1), ("gcn2", 0.9, 0.9), ("pign-best", 0.7, 0.4))]
    assert select_on_validation(rows, "gcn", depth=2) == ("gcn:wd0", 0.1)  # chosen on validation, not test
    assert select_on_validation(rows, "pign", depth=2) == ("pign-best", 0.4)
    assert select_on_validation(rows, "pign", depth=8) is None


def test_report_rebuilds_tables_from_the_csv_files(data_root, tmp_path, capsys):
    out = tmp_path / "res"
    assert main(["reproduce", "--data-root", str(data_root), "--out", str(out), "--datasets", "cora",
                 "--depths", "1,2,4", "--seeds", "1", "--epochs", "2", "--noise", "0.5", "--noise-depths", "2",
                 "--experiments", "depth,noise,chains", "--chains-lengths", "4", "--extra", "pign-default@2"]) == 0
    first = (out / "targets.csv").read_text()
    for name in ("summary.md", "targets.csv", "depth.png", "noise.png", "chains.png"):
        (out / name).unlink()
    capsys.readouterr()
    assert main(["reproduce", "--report", str(out)]) == 0
    assert (out / "targets.csv").read_text() == first
    summary = (out / "summary.md").read_text()
    assert "tables from its CSV files" in summary and "| cora | pign-default |" in summary
    for name in ("depth", "noise", "chains"):
        check_png(out / f"{name}.png")
    with pytest.raises(SystemExit, match="no depth"):
        main(["reproduce", "--report", str(tmp_path)])
