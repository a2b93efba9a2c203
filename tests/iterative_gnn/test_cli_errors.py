"""The command-line tool's failures: bad options are usage errors before any work (exit 2, no
traceback), output folders are never mixed, a run stopped early leaves its tables, and a dataset
that cannot load leaves nothing behind and says why."""
import csv
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
import torch

import iterative_gnn.reproduce as reproduce
from iterative_gnn.cli import main
from tests.iterative_gnn.cli_helpers import usage_error
from iterative_gnn.data import DatasetUnavailable, load_node_dataset, writable_root

HAVE_PYG = importlib.util.find_spec("torch_geometric") is not None
HAVE_DGL = importlib.util.find_spec("dgl") is not None
BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(not ok, reason=f"{m} not installed"))
            for b, m, ok in (("pyg", "torch_geometric", HAVE_PYG), ("dgl", "dgl", HAVE_DGL))]
ANY_BACKEND = "pyg" if HAVE_PYG else "dgl"
TINY_CHAINS = ["chains", "--backend", ANY_BACKEND, "--lengths", "3", "--seeds", "1", "--epochs", "2"]


@pytest.fixture
def no_network(monkeypatch):
    import socket

    def refuse(*a, **k):
        raise OSError("network disabled in this test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any model is trained."""

    def fail(*a, **k):
        raise AssertionError("a model was trained")

    monkeypatch.setattr(reproduce, "run_one", fail)
    monkeypatch.setattr("iterative_gnn.cli.run_one", fail)


BAD = [  # (argv, option, value, a word of what is valid)
    (["train", "--iterations", "-1"], "--iterations", "'-1'", ">= 1"),
    (["train", "--depth", "0"], "--iterations", "'0'", ">= 1"),
    (["train", "--tol", "-1"], "--tol", "'-1'", "a number > 0"),
    (["train", "--tol", "nan"], "--tol", "'nan'", "a number > 0"),
    (["train", "--tol", "0"], "--tol", "'0'", "a number > 0"),  # was taken, and no iteration could meet it
    (["train", "--threads", "-1"], "--threads", "'-1'", "from 1 to 1024"),
    (["train", "--threads", "40000"], "--threads", "'40000'", "from 1 to 1024"),
    (["train", "--device", "foo"], "--device", "'foo'", "cpu"),
    (["train", "--device", "cuda:99"], "--device", "'cuda:99'", "cpu"),
    (["train", "--device", "cpu:1"], "--device", "'cpu:1'", "cpu:0"),  # (torch took it as the CPU)
    (["train", "--epochs", "0"], "--epochs", "'0'", ">= 1"),
    (["train", "--seeds", "0"], "--seeds", "'0'", ">= 1"),
    (["train", "--hidden", "x"], "--hidden", "'x'", ">= 1"),
    (["train", "--lr", "0"], "--lr", "'0'", "> 0"),
    (["train", "--noise", "1.5"], "--noise", "'1.5'", "[0, 1]"),
    (["train", "--dropout", "1"], "--dropout", "'1'", "[0, 1)"),
    (["train", "--smoothing", "-0.1"], "--smoothing", "'-0.1'", "[0, 1)"),
    (["train", "--contraction", "1"], "--contraction", "'1'", "(0, 1)"),
    (["train", "--length", "0", "--dataset", "chains"], "--length", "'0'", ">= 1"),
    (["train", "--eval-iterations", "0"], "--eval-iterations", "'0'", ">= 1"),
    (["train", "--act", "foo"], "--act", "'foo'", "relu"),
    (["train", "--solver", "foo"], "--solver", "'foo'", "anderson"),
    (["train", "--model", "gcn", "--tol", "0.1"], "--tol", "", "--model pign only"),
    (["train", "--model", "appnp", "--preset", "paper"], "--preset", "", "--model pign only"),
    (["train", "--length", "7"], "--length", "", "--dataset chains only, not to cora"),
    (["train", "--dataset", "karate", "--data-root", "."], "--data-root", "karate is made in code and reads no files",
     "the data root applies to cora, citeseer and pubmed"),  # was ignored
    (["train", "--dataset", "chains", "--data-root", "."], "--data-root", "chains is made in code", "cora"),
    (["train", "--lr", "1e39"], "--lr", "'1e39'", "at most 3.4e37"),  # was an overflow inside Adam
    (["train", "--lr", "3.5e37"], "--lr", "'3.5e37'", "at most 3.4e37"),  # float32's, but ten times it is not
    (["reproduce", "--report", ".", "--seeds", "4"], "--seeds", "", "not with --report, which runs nothing"),
    (["reproduce", "--seeds", "0"], "--seeds", "'0'", ">= 1"),
    (["reproduce", "--epochs", "0"], "--epochs", "'0'", ">= 1"),
    (["reproduce", "--noise-seeds", "-2"], "--noise-seeds", "'-2'", ">= 1"),
    (["reproduce", "--chains-seeds", "0"], "--chains-seeds", "'0'", ">= 1"),
    (["reproduce", "--inference-k", "0"], "--inference-k", "'0'", ">= 1"),
    (["reproduce", "--jobs", "0"], "--jobs", "'0'", ">= 1"),
    (["reproduce", "--threads", "0"], "--threads", "'0'", "from 1 to 1024"),
    (["reproduce", "--device", "foo"], "--device", "'foo'", "cpu"),
    (["reproduce", "--depths", "1,x"], "--depths", "'1,x'", ">= 1"),
    (["reproduce", "--noise-depths", "0"], "--noise-depths", "'0'", ">= 1"),
    (["reproduce", "--chains-lengths", ""], "--chains-lengths", "''", ">= 1"),
    (["reproduce", "--noise", "0.5,2"], "--noise", "'0.5,2'", "(0, 1]"),
    (["reproduce", "--experiments", "depth,foo"], "--experiments", "'foo'", "chains"),
    (["reproduce", "--models", "gcn,foo"], "--models", "'foo'", "pign-<preset>"),
    (["reproduce", "--models", "pign-nope"], "--models", "'pign-nope'", "paper"),
    (["reproduce", "--noise-models", "gcn:wd9"], "--noise-models", "'gcn:wd9'", ":wd0"),
    (["reproduce", "--datasets", "cora,foo"], "--datasets", "'foo'", "citeseer"),
    (["reproduce", "--extra", "gcn"], "--extra", "'gcn'", "model@depth"),
    (["reproduce", "--extra", "gcn@0"], "--extra", "'gcn@0'", "model@depth (depths >= 1)"),
    (["chains", "--lengths", "abc"], "--lengths", "'abc'", ">= 1"),
    (["chains", "--seeds", "0"], "--seeds", "'0'", ">= 1"),
    (["chains", "--epochs", "0"], "--epochs", "'0'", ">= 1"),
    (["chains", "--jobs", "0"], "--jobs", "'0'", ">= 1"),
    (["chains", "--threads", "-1"], "--threads", "'-1'", "from 1 to 1024"),
    (["chains", "--device", "foo"], "--device", "'foo'", "cpu"),
    # beyond torch's index range: a traceback from inside torch (and a partial run.log for chains)
    (["train", "--iterations", "9" * 23], "--iterations", "'" + "9" * 23 + "'", "at most 2**63 - 1"),
    (["train", "--eval-iterations", "9" * 23], "--eval-iterations", "'" + "9" * 23 + "'", "at most 2**63 - 1"),
    (["train", "--hidden", "9" * 23], "--hidden", "'" + "9" * 23 + "'", "at most 2**63 - 1"),
    (["chains", "--lengths", "9" * 23], "--lengths", "'" + "9" * 23 + "'", ">= 1"),
    # a seed: torch's range, 2**64 - 1 (a count's bound, 2**63 - 1, refused seeds torch takes)
    (["train", "--split-seed", str(2 ** 64)], "--split-seed", f"'{2 ** 64}'", "from 0 to 2**64 - 1"),
]


@pytest.mark.parametrize("argv,option,value,valid", BAD, ids=[" ".join(b[0]) for b in BAD])
def test_an_invalid_value_is_a_usage_error_before_any_work(argv, option, value, valid, tmp_path, capsys,
                                                           no_training):
    out = tmp_path / "out"
    if argv[0] != "train":
        argv = [*argv, "--out", str(out)]
    err = usage_error(argv, capsys)
    assert f"argument {option}" in err and value in err and valid in err
    assert not out.exists()


def test_a_usage_error_has_no_traceback_from_the_command_line():
    r = subprocess.run([sys.executable, "-m", "iterative_gnn", "train", "--iterations", "-1"], capture_output=True,
                       text=True, timeout=120)
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert "argument --iterations/--depth: invalid value '-1'" in r.stderr


def test_a_misspelled_option_names_the_one_meant(capsys, no_training):
    err = usage_error(["train", "--dataset", "karate", "--epohcs", "3", "--tolerance=1e-3"], capsys)
    assert "iterative-gnn train: error: unrecognized arguments: --epohcs 3 --tolerance=1e-3 " \
           "(did you mean --epochs for --epohcs; --tol for --tolerance?)" in err
    assert "did you mean" not in usage_error(["train", "--dataset", "karate", "5"], capsys)


def test_an_option_is_not_abbreviated(capsys, no_training):
    """--seed 42 was read as --seeds 42: 42 runs of seeds 0..41, seed 42 never among them."""
    err = usage_error(["train", "--dataset", "karate", "--seed", "42"], capsys)
    assert "unrecognized arguments: --seed 42 (did you mean --seeds for --seed?)" in err
    assert "unrecognized arguments: --epo 3" in usage_error(["train", "--dataset", "karate", "--epo", "3"], capsys)
    # a required option misspelt: argparse stops at the missing one, which now names what was given
    err = usage_error(["predict", "--grap", "g.gml", "--mod", "m.pt", "--out", "-"], capsys)
    assert "the following arguments are required: --model, --graph (did you mean --graph for --grap; --model " \
           "for --mod?)" in err


def test_an_unusable_backend_is_a_usage_error(monkeypatch, capsys, no_training):
    for name in [m for m in sys.modules if m.split(".")[0] in ("dgl", "dgl_iterative")] + ["dgl", "dgl_iterative"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if DGL were not installed
    for argv in (["train", "--dataset", "karate"], TINY_CHAINS[:1]):
        err = usage_error([*argv, "--backend", "dgl"], capsys)
        assert "argument --backend: invalid value 'dgl'" in err and "pip install 'iterative-gnn[dgl]'" in err
        if HAVE_PYG:
            assert "usable here: pyg" in err


def test_a_report_of_a_folder_that_does_not_exist_says_so(tmp_path, capsys):
    err = usage_error(["reproduce", "--report", str(tmp_path / "nowhere")], capsys)
    assert "argument --report: invalid value" in err and "no such folder" in err
    (tmp_path / "summary.md").write_text("")
    err = usage_error(["reproduce", "--report", str(tmp_path / "summary.md")], capsys)  # was "no such folder"
    assert "argument --report: invalid value" in err and "a file, not a folder; give the folder of a reproduce" in err


@pytest.mark.parametrize("argv, option, message", [
    (["train", "--dataset", "karate", "--csv", "{tmp}/new/"], "--csv", "names a folder, not a file; give a file "
                                                                       "path, for example {tmp}/new/results.csv"),
    (["train", "--dataset", "karate", "--save", "{tmp}/.."], "--save", "names a folder, not a file; give a file "
                                                                      "path, for example {tmp}/../model.pt"),
    (["train", "--dataset", "karate", "--csv", ""], "--csv", "an empty path; give a file path"),
    (["reproduce", "--out", ""], "--out", "an empty path; give a folder, for example results")])
def test_a_path_that_names_no_file_or_folder_is_a_usage_error(argv, option, message, tmp_path, capsys, no_training):
    """``Path`` drops a final ``/`` and reads ``""`` as ``.``: ``--csv new/`` wrote a file ``new``, and
    ``--out ''`` was refused as the current folder, "not empty"."""
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    err = usage_error(argv, capsys)
    assert f"argument {option}: invalid value" in err and message.replace("{tmp}", str(tmp_path)) in err
    assert list(tmp_path.iterdir()) == []


def test_csv_that_cannot_be_written_fails_before_training(tmp_path, capsys, no_training):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    err = usage_error(["train", "--dataset", "karate", "--csv", str(blocker / "out.csv")], capsys)
    assert "argument --csv" in err and "is a file, not a folder" in err
    err = usage_error(["train", "--dataset", "karate", "--csv", str(tmp_path)], capsys)
    assert "argument --csv" in err and "is a folder" in err
    err = usage_error([*TINY_CHAINS, "--out", str(blocker / "res")], capsys)
    assert "argument --out" in err and "is a file, not a folder" in err


# ------------------------------------------------------------------------------------------------ reproduce
def test_bad_models_are_found_before_the_first_training(monkeypatch):
    trained = []
    monkeypatch.setattr(reproduce, "run_one", lambda *a, **k: trained.append(a) or pytest.fail("trained"))
    s = reproduce.Settings(experiments=("chains", "depth"), datasets=("karate",), models=("gcn", "pign-nope"),
                           chains_lengths=(3,), seeds=1, epochs=1)
    with pytest.raises(ValueError, match="pign-nope|nope"):
        reproduce.Runner(ANY_BACKEND, s, Path("unused"), log=lambda m: None).run()
    assert not trained


@pytest.mark.skipif(not HAVE_PYG, reason="torch_geometric not installed")
def test_a_missing_dataset_is_found_before_the_first_training(tmp_path, monkeypatch, capsys, no_network,
                                                              no_training):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    out = tmp_path / "res"
    rc = main(["reproduce", "--data-root", str(tmp_path / "nothing"), "--out", str(out), "--datasets", "cora",
               "--depths", "1", "--seeds", "1", "--epochs", "1", "--experiments", "depth,chains",
               "--chains-lengths", "3"])
    err = capsys.readouterr().err
    assert rc == 2 and "could not load Cora" in err
    assert not out.exists()  # nothing ran, nothing written: the next run needs no --overwrite


def read(path: Path) -> list[dict]:
    with open(path, newline="") as f:
        return list(csv.DictReader(f))


def test_a_non_empty_out_folder_is_refused_unless_overwrite(tmp_path, capsys):
    out = tmp_path / "res"
    out.mkdir()
    (out / "depth.csv").write_text("dataset,model\ncora,stale\n")  # an earlier run's result
    (out / "notes.txt").write_text("mine")
    err = usage_error([*TINY_CHAINS, "--out", str(out)], capsys)
    assert "argument --out" in err and "not empty" in err and "--overwrite" in err
    assert sorted(p.name for p in out.iterdir()) == ["depth.csv", "notes.txt"]  # untouched
    assert main([*TINY_CHAINS, "--out", str(out), "--overwrite"]) == 0
    assert not (out / "depth.csv").exists() and (out / "notes.txt").read_text() == "mine"
    assert {r["length"] for r in read(out / "chains.csv")} == {"3"}
    assert "against depth" not in (out / "summary.md").read_text()
    assert not (out / ".iterative-gnn.lock").exists()  # the run's lock, gone after it
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".iterative-gnn.lock").write_text("")  # a lock file left by a killed run: holds nothing
    assert main([*TINY_CHAINS, "--out", str(empty)]) == 0  # an existing empty folder is fine


@pytest.mark.skipif(importlib.util.find_spec("fcntl") is None, reason="folders are locked where fcntl is")
def test_a_folder_another_run_is_writing_into_is_refused(tmp_path, capsys, no_training):
    """Two --overwrite runs into one folder at once mixed their files (one's run.log, the other's CSV and
    summary), both exiting 0. The lock is the run's while it lives, and is gone after it."""
    import fcntl

    out = tmp_path / "res"
    out.mkdir()
    with open(out / ".iterative-gnn.lock", "a+") as held:  # another run's lock
        fcntl.flock(held.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        assert main([*TINY_CHAINS, "--out", str(out), "--overwrite"]) == 2
        err = capsys.readouterr().err
        assert f"error: another run is writing into {out}" in err and "choose another --out" in err
        assert sorted(p.name for p in out.iterdir()) == [".iterative-gnn.lock"]  # nothing written


def test_an_out_folder_that_cannot_be_made_is_one_line_and_code_1(tmp_path, monkeypatch, capsys):
    """A folder the check before the run lets pass (``/proc/x`` as root: /proc is writable by its
    permission bits) used to fail with a traceback when it was made."""
    def refused(self, *args, **kwargs):
        raise FileNotFoundError(2, "No such file or directory")

    monkeypatch.setattr(Path, "mkdir", refused)
    out = tmp_path / "res"
    assert main([*TINY_CHAINS, "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"iterative-gnn chains: error: could not write {out}: No such file or directory"]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, RuntimeError])
def test_a_run_stopped_early_leaves_the_tables_of_the_runs_that_finished(stop, tmp_path, monkeypatch, capsys):
    execute = reproduce.Runner.execute
    calls = []

    def stopping(self, task):
        calls.append(task)
        if len(calls) == 3:
            raise stop("stopped in the test")
        return execute(self, task)

    monkeypatch.setattr(reproduce.Runner, "execute", stopping)
    out = tmp_path / "res"
    argv = [*TINY_CHAINS[:3], "--lengths", "3,4", "--seeds", "1", "--epochs", "2", "--out", str(out)]
    if stop is KeyboardInterrupt:
        assert main(argv) == 130
        assert "interrupted" in capsys.readouterr().err
    else:
        with pytest.raises(RuntimeError, match="stopped in the test"):
            main(argv)
    rows = read(out / "chains.csv")
    assert sorted((r["length"], r["model"]) for r in rows) == [("3", "gcn"), ("3", "pign")]
    summary = (out / "summary.md").read_text()
    assert "stopped after 2 of 4 runs" in summary and "## Chains" in summary
    assert {r["length"] for r in read(out / "chains_summary.csv")} == {"3"}
    assert (out / "chains.png").read_bytes()[:4] == b"\x89PNG"
    assert "# stopped after 2 of 4 runs" in (out / "run.log").read_text()


# ------------------------------------------------------------------------------------------------ data
@pytest.mark.parametrize("backend", BACKENDS)
def test_a_failed_load_leaves_no_folder_behind(backend, tmp_path, monkeypatch, capsys, no_network):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DGL_DOWNLOAD_DIR", str(tmp_path / "dgl-home"))
    empty = tmp_path / "empty"
    empty.mkdir()
    for root in (tmp_path / "nothing", empty):
        assert main(["train", "--backend", backend, "--data-root", str(root), "--epochs", "1"]) == 2
        assert "could not load Cora" in capsys.readouterr().err
    assert not (tmp_path / "nothing").exists() and list(empty.iterdir()) == []
    assert not list(tmp_path.rglob("raw")) and not list(tmp_path.rglob("processed"))


@pytest.mark.skipif(not HAVE_PYG, reason="torch_geometric not installed")
def test_after_a_failed_download_quick_still_falls_back_to_chains(tmp_path, monkeypatch, capsys, no_network):
    monkeypatch.delenv("ITERATIVE_GNN_DATA", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    assert main(["train", "--epochs", "1"]) == 2  # the loader's own location, no network: fails
    assert not list((tmp_path / "cache").rglob("raw"))
    out = tmp_path / "q"
    assert main(["reproduce", "--quick", "--out", str(out), "--epochs", "2", "--chains-lengths", "3"]) == 0
    assert "running the chains benchmark" in capsys.readouterr().out and (out / "chains.csv").exists()


@pytest.fixture
def read_only_root(tmp_path, monkeypatch):
    """A function that writes ``{part: bytes}`` as Cora's raw files under a root whose folders are
    then read-only, and returns the root; the user's cache is in ``tmp_path``, and the folders are
    writable again at teardown."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    raw = tmp_path / "ro" / "planetoid" / "Cora" / "raw"
    folders = (raw, raw.parent, raw.parent.parent, raw.parent.parent.parent)

    def make(parts: dict) -> Path:
        raw.mkdir(parents=True)
        for part, data in parts.items():
            (raw / f"ind.cora.{part}").write_bytes(data)
        for d in folders:
            os.chmod(d, 0o555)
        return tmp_path / "ro"

    yield make
    for d in folders:
        if d.exists():
            os.chmod(d, 0o755)


def at_once(n: int, work) -> list:
    """Run ``work()`` in ``n`` threads started together; return the exceptions they raised."""
    start, errors = threading.Barrier(n), []

    def run() -> None:
        start.wait()
        try:
            work()
        except Exception as exc:  # noqa: BLE001 - returned for the test's assertion
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


def test_the_copy_of_a_read_only_root_is_repaired_when_incomplete(read_only_root):
    root = read_only_root({part: part.encode() * 100 for part in ("x", "y", "graph")})
    copy = writable_root(root) / "planetoid" / "Cora" / "raw"
    assert copy != root / "planetoid" / "Cora" / "raw" and (copy / "ind.cora.x").read_bytes() == b"x" * 100
    (copy / "ind.cora.y").unlink()  # as an interrupted copy leaves it
    (copy / "ind.cora.graph").write_bytes(b"g")
    writable_root(root)
    assert sorted(p.name for p in copy.iterdir()) == ["ind.cora.graph", "ind.cora.x", "ind.cora.y"]
    assert (copy / "ind.cora.graph").read_bytes() == b"graph" * 100


def test_processes_copying_a_read_only_root_at_once_each_get_whole_files(read_only_root, tmp_path):
    """Copies went through one fixed temporary name: when two copies ran at once (several training
    processes started on one read-only root), the first to finish renamed it away from under the
    other, whose rename then failed (FileNotFoundError)."""
    payload = os.urandom(1 << 20)
    root = read_only_root({part: payload for part in ("x", "y", "graph")})
    for _ in range(5):
        shutil.rmtree(tmp_path / "cache", ignore_errors=True)
        assert at_once(8, lambda: writable_root(root)) == []
        copy = writable_root(root) / "planetoid" / "Cora" / "raw"
        assert sorted(p.name for p in copy.iterdir()) == ["ind.cora.graph", "ind.cora.x", "ind.cora.y"]
        assert all((copy / f"ind.cora.{part}").read_bytes() == payload for part in ("x", "y", "graph"))


def test_an_interrupted_copy_leaves_no_file_behind(read_only_root, tmp_path, monkeypatch):
    root = read_only_root({"x": b"x" * 100})

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(shutil, "copyfileobj", fail)
    with pytest.raises(OSError, match="disk full"):
        writable_root(root)
    assert [p for p in (tmp_path / "cache").rglob("*") if p.is_file()] == []


@pytest.mark.skipif(sys.platform == "win32", reason="the lock needs fcntl")
@pytest.mark.parametrize("backend", BACKENDS)
def test_loads_of_one_writable_root_at_once_prepare_the_dataset_once(backend, data_root, tmp_path, monkeypatch):
    """Several processes loading one writable root at once (a sweep's jobs) each processed the dataset
    into the same files, a reader could take a half-written file for the data, and a failing one
    removed the folder the others were writing. They now prepare it one after the other; the later
    ones read what the first wrote. Threads stand for the processes (the lock is a file lock)."""
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DGL_DOWNLOAD_DIR", str(tmp_path / "dgl-home"))
    root = tmp_path / "root"
    shutil.copytree(data_root / "planetoid" / "Cora" / "raw", root / "planetoid" / "Cora" / "raw")
    if backend == "pyg":
        from torch_geometric.datasets import Planetoid as cls
    else:
        from dgl.data.citation_graph import CitationGraphDataset as cls
    process, state, guard = cls.process, {"active": 0, "most": 0, "calls": 0}, threading.Lock()

    def slow_process(self):
        with guard:
            state["active"] += 1
            state["calls"] += 1
            state["most"] = max(state["most"], state["active"])
        time.sleep(0.5)  # the others start meanwhile
        try:
            process(self)
        finally:
            with guard:
                state["active"] -= 1

    monkeypatch.setattr(cls, "process", slow_process)
    results = []
    assert at_once(3, lambda: results.append(load_node_dataset("cora", backend, root))) == []
    assert len(results) == 3
    assert state["most"] == 1 and state["calls"] == 1
    assert all(torch.equal(r.x, results[0].x) and torch.equal(r.y, results[0].y) for r in results)


@pytest.mark.parametrize("backend", BACKENDS)
def test_missing_data_message_names_the_variable(backend, tmp_path, monkeypatch, no_network):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.setenv("DGL_DOWNLOAD_DIR", str(tmp_path / "dgl-home"))
    with pytest.raises(DatasetUnavailable) as exc:
        load_node_dataset("cora", backend, tmp_path / "nothing")
    msg = str(exc.value)
    assert "set ITERATIVE_GNN_DATA to <root>" in msg and "--data-root <root>" in msg
    assert "point " not in msg and str(tmp_path / "nothing") in msg


@pytest.mark.skipif(not HAVE_PYG, reason="torch_geometric not installed")
def test_a_missing_module_is_reported_with_what_to_install(data_root, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))  # no processed copy: the raw files are read
    monkeypatch.setitem(sys.modules, "scipy", None)  # as if SciPy were not installed
    with pytest.raises(DatasetUnavailable) as exc:
        load_node_dataset("cora", "pyg", data_root)
    msg = str(exc.value)
    assert "module 'scipy' is missing" in msg and "pip install scipy" in msg and "raw files (" not in msg
    assert not list((tmp_path / "cache").rglob("processed"))
    for name in [m for m in sys.modules if m.split(".")[0] == "torch_geometric"]:
        monkeypatch.setitem(sys.modules, name, None)  # as if PyG were not installed
    with pytest.raises(DatasetUnavailable, match=r"module 'torch_geometric' is missing.*iterative-gnn\[pyg\]"):
        load_node_dataset("cora", "pyg", data_root)


def test_a_missing_dgl_is_reported_with_what_to_install(tmp_path, monkeypatch):
    for name in [m for m in sys.modules if m.split(".")[0] == "dgl"] + ["dgl"]:
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(DatasetUnavailable, match=r"module 'dgl' is missing.*iterative-gnn\[dgl\]"):
        load_node_dataset("cora", "dgl", tmp_path)


def test_datasets_choose_the_noise_experiments_datasets_too(monkeypatch, tmp_path):
    """--datasets citeseer ran the noise experiment on Cora, its default, without a word."""
    seen = []
    monkeypatch.setattr("iterative_gnn.cli._run_experiments", lambda args, s, title: seen.append(s) or 0)
    assert main(["reproduce", "--experiments", "noise", "--datasets", "citeseer", "--out", str(tmp_path / "o")]) == 0
    assert seen[0].noise_datasets == ("citeseer",)
    assert main(["reproduce", "--experiments", "noise", "--out", str(tmp_path / "p")]) == 0
    assert seen[1].noise_datasets == ("cora",)


@pytest.mark.parametrize("error", [
    RuntimeError("[enforce fail at alloc_cpu.cpp:127] err == 0. DefaultCPUAllocator: can't allocate memory: you "
                 "tried to allocate 32000000000 bytes. Error code 12 (Cannot allocate memory)"),
    MemoryError(),
])
def test_a_run_out_of_memory_is_one_line_and_code_1(tmp_path, monkeypatch, capsys, error):
    """``chains --lengths 100000000`` ended in a traceback of torch's allocator."""
    def fail(*a, **k):
        raise error

    monkeypatch.setattr(reproduce, "run_one", fail)
    assert main([*TINY_CHAINS, "--out", str(tmp_path / "res")]) == 1
    err = capsys.readouterr().err
    assert "iterative-gnn: error: out of memory" in err and "ask for smaller ones" in err and "Traceback" not in err


def test_a_runtime_error_that_is_not_memory_is_not_called_so(tmp_path, monkeypatch):
    def fail(*a, **k):
        raise RuntimeError("mat1 and mat2 shapes cannot be multiplied")

    monkeypatch.setattr(reproduce, "run_one", fail)
    with pytest.raises(RuntimeError, match="shapes cannot be multiplied"):
        main([*TINY_CHAINS, "--out", str(tmp_path / "res")])


@pytest.mark.parametrize("extra,option,value", [(["--iterations", "3"], "--iterations", "3"),
                                                (["--eval-iterations", "2"], "--eval-iterations", "2")])
def test_chains_with_fewer_iterations_than_their_length_is_a_usage_error(extra, option, value, capsys, monkeypatch,
                                                                         no_training):
    """The chains' preset never stops before a chain's length (min_iter): fewer iterations failed with a
    traceback after the data was read."""
    def no_data(*a, **k):
        raise AssertionError("the data was read")

    monkeypatch.setattr("iterative_gnn.cli.load_node_dataset", no_data)
    err = usage_error(["train", "--dataset", "chains", "--length", "5", *extra], capsys)
    assert f"argument {option}: {value} is fewer than the 5 steps the chains of length 5 need" in err, err


def test_options_that_build_no_model_together_are_a_usage_error(capsys, monkeypatch, no_training):
    """Any pair the model's own checks refuse is said before the data is read, not as a traceback."""
    from iterative_gnn.configs import PIGN_PRESETS

    monkeypatch.setitem(PIGN_PRESETS, "best", PIGN_PRESETS["best"].with_(conv={"min_iter": 4}))
    monkeypatch.setattr("iterative_gnn.cli.load_node_dataset", lambda *a, **k: pytest.fail("the data was read"))
    err = usage_error(["train", "--dataset", "cora", "--iterations", "3"], capsys)
    assert "the options given do not build a model: PIGN: PIGNConv: min_iter must be" in err, err


def test_a_dataset_that_cannot_be_loaded_is_named_with_the_program(tmp_path, capsys, monkeypatch):
    """``train``'s error had no program name, as the other errors have (``iterative-gnn train: error:``)."""
    def unavailable(*args, **kwargs):
        raise DatasetUnavailable("could not load Cora from here")

    monkeypatch.setattr("iterative_gnn.cli.load_node_dataset", unavailable)
    assert main(["train", "--dataset", "cora", "--epochs", "1"]) == 2
    assert capsys.readouterr().err.startswith("iterative-gnn train: error: could not load Cora from here")
