"""The example scripts run as their docstrings say, in both backends, and without the library's
warnings: those name the line of the caller outside the library, here the example's own."""
import importlib.util
import sys
import warnings
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _example(name: str):
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # (as a script is: its dataclasses look their module up)
    spec.loader.exec_module(module)
    return module


def _run_quietly(call) -> None:
    """Run ``call``; fail on a warning attributed to an example's line (the library's, see
    ``iterative_core._warnings``)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        call()
    ours = [f"{Path(w.filename).name}:{w.lineno}: {w.message}" for w in caught
            if Path(w.filename).resolve().parent == EXAMPLES]
    assert not ours, ours


@pytest.mark.parametrize("name, argv, printed", [
    ("graph_classification_ddp", ["--graphs", "48", "--batch-size", "16", "--epochs", "2"], "epoch   2  train accuracy"),
    ("minibatch_node_classification", ["--dataset", "karate", "--epochs", "2"], "epoch   2  loss"),
])
def test_an_example_runs_without_the_librarys_warnings(backend, name, argv, printed, capsys):
    example = _example(name)
    _run_quietly(lambda: example.main(["--backend", backend.name, *argv]))
    assert printed in capsys.readouterr().out


def test_the_custom_operator_example_runs_without_the_librarys_warnings(backend, capsys, clean_registry):
    example = _example("custom_operator")  # (it registers operators: clean_registry drops them after)
    _run_quietly(example.pyg_part if backend.name == "pyg" else example.dgl_part)
    assert f"{'PyG' if backend.name == 'pyg' else 'DGL'} PIGNConv(conv='scaled_mean')" in capsys.readouterr().out


@pytest.mark.parametrize("name, argv, message", [
    ("drop_in_gcn", ["--seeds", ""], "argument --seeds: invalid value '': expected comma-separated distinct whole numbers"),
    ("drop_in_gcn", ["--seeds", "0,0"], "argument --seeds: invalid value '0,0': expected comma-separated distinct whole numbers"),
    ("graph_classification_ddp", ["--epochs", "0"], "argument --epochs: invalid value '0'"),
    ("minibatch_node_classification", ["--dataset", "foo"], "argument --dataset: invalid choice: 'foo'"),
])
def test_an_examples_bad_argument_is_a_usage_error(name, argv, message, capsys):
    """A traceback (``--seeds ''``), a seed counted twice, or a silent run of no epochs before."""
    with pytest.raises(SystemExit) as exit_:
        _example(name).main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


@pytest.mark.parametrize("name, argv, message", [
    ("drop_in_gcn", ["--seeds", "99999999999999999999"],  # 2**64 is 18446744073709551616
     "argument --seeds: invalid value '99999999999999999999': expected comma-separated distinct whole numbers from 0 "
     "to 2**64 - 1"),
    ("minibatch_node_classification", ["--dataset", "karate", "--data-root", "/nonexistent"],
     "argument --data-root: --dataset karate is made in code and reads no files"),
])
def test_an_examples_argument_out_of_range_is_a_usage_error(name, argv, message, capsys):
    """A seed beyond torch's range failed after the data was read ("Overflow when unpacking long long");
    a data root that karate does not read was taken without a word."""
    with pytest.raises(SystemExit) as exit_:
        _example(name).main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_a_cluster_sampler_of_one_part_or_more_parts_than_nodes_is_a_usage_error(capsys):
    """DGL's METIS partitioner died of a floating-point exception for one part, without a message."""
    pytest.importorskip("dgl")
    example = _example("minibatch_node_classification")
    for parts, message in (("1", "argument --parts: invalid value 1: --sampler cluster needs at least 2 parts"),
                           ("40", "argument --parts: invalid value 40: --dataset karate has 34 nodes, fewer than the parts")):
        with pytest.raises(SystemExit) as exit_:
            example.main(["--backend", "dgl", "--dataset", "karate", "--sampler", "cluster", "--parts", parts])
        assert exit_.value.code == 2 and message in capsys.readouterr().err


def test_the_cluster_samplers_files_are_removed_after_the_run(monkeypatch, tmp_path, capsys):
    """Each run left its METIS partition in a folder of its own under the temporary folder."""
    pytest.importorskip("dgl")
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    _example("minibatch_node_classification").main(["--backend", "dgl", "--dataset", "karate", "--sampler", "cluster",
                                                    "--parts", "4", "--epochs", "1"])
    assert "epoch   1  loss" in capsys.readouterr().out and not list(tmp_path.iterdir())


def test_an_example_for_a_backend_that_does_not_import_is_a_usage_error(capsys):
    """Each process of the DDP example failed with a traceback of its own (ModuleNotFoundError)."""
    from iterative_gnn.backends import backend_problem

    missing = [name for name in ("pyg", "dgl") if backend_problem(name) is not None]
    if not missing:
        pytest.skip("both backends import here")
    with pytest.raises(SystemExit) as exit_:
        _example("graph_classification_ddp").main(["--backend", missing[0], "--world-size", "2"])
    assert exit_.value.code == 2 and f"argument --backend: backend '{missing[0]}' needs" in capsys.readouterr().err


def test_make_example_graph_refuses_an_empty_folder(monkeypatch, tmp_path, capsys):
    """``--out ""`` wrote the four files into the current folder."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(sys, "argv", ["make_example_graph.py", "--out", ""])
    with pytest.raises(SystemExit) as exit_:
        _example("make_example_graph").main()
    assert exit_.value.code == 2 and "argument --out: invalid value '': expected a folder" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


@pytest.mark.parametrize("name", ["drop_in_gcn", "graph_classification_ddp", "minibatch_node_classification",
                                  "make_example_graph"])
def test_an_examples_help_says_its_first_sentence_whole(name, monkeypatch, capsys):
    """The description was the docstring's first line, cut mid-sentence ("... a 2-layer GCN script where only the")."""
    example = _example(name)
    monkeypatch.setattr(sys, "argv", [f"{name}.py", "--help"])
    with pytest.raises(SystemExit) as exit_:
        example.main() if name == "make_example_graph" else example.main(["--help"])
    assert exit_.value.code == 0
    first = " ".join(example.__doc__.split("\n\n")[0].split())
    assert first.endswith(".") and first in " ".join(capsys.readouterr().out.split())


def test_the_dgl_minibatch_example_does_not_repeat_dgls_cpu_affinity_advice(capsys):
    """DGL's loader advised ``enable_cpu_affinity()`` at every epoch, which matters with worker processes
    only (the example uses none)."""
    pytest.importorskip("dgl")
    from iterative_gnn.data import planetoid_available

    if not planetoid_available("cora"):
        pytest.skip("no Planetoid data: set ITERATIVE_GNN_DATA to a root holding planetoid/Cora/raw")
    example = _example("minibatch_node_classification")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        example.main(["--backend", "dgl", "--dataset", "cora", "--sampler", "cluster", "--epochs", "2"])
    assert not [w for w in caught if "CPU affinity" in str(w.message)]
    assert "epoch   2  loss" in capsys.readouterr().out
