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
    ("drop_in_gcn", ["--seeds", ""], "argument --seeds: invalid value '': expected comma-separated whole numbers"),
    ("drop_in_gcn", ["--seeds", "0,0"], "argument --seeds: invalid value '0,0': expected distinct whole numbers"),
    ("graph_classification_ddp", ["--epochs", "0"], "argument --epochs: invalid value '0'"),
    ("minibatch_node_classification", ["--dataset", "foo"], "argument --dataset: invalid choice: 'foo'"),
])
def test_an_examples_bad_argument_is_a_usage_error(name, argv, message, capsys):
    """A traceback (``--seeds ''``), a seed counted twice, or a silent run of no epochs before."""
    with pytest.raises(SystemExit) as exit_:
        _example(name).main(argv)
    assert exit_.value.code == 2 and message in capsys.readouterr().err
