"""The command-line tool's modules called from Python: presets, loaders, training and model files check
their arguments at once, naming them, and neither share nor depend on state they do not say."""
import importlib.util

import numpy as np
import pytest
import torch

from iterative_gnn.chains import make_chains
from iterative_gnn.configs import RunConfig, build_model, preset, run_one
from iterative_gnn.data import NodeDataset, load_karate, load_node_dataset
from iterative_gnn.heterophily import heterophily_models
from iterative_gnn.model_io import load_model, save_model
from iterative_gnn.train import train_node_classifier

ANY = "pyg" if importlib.util.find_spec("torch_geometric") is not None else "dgl"


def _tiny(backend: str = ANY, n: int = 12) -> NodeDataset:
    """A ring of ``n`` nodes, two classes, four nodes in each of the three sets."""
    src = torch.arange(n)
    dst = (src + 1) % n
    edges = torch.stack([torch.cat([src, dst]), torch.cat([dst, src])])
    if backend == "pyg":
        graph = edges
    else:
        import dgl

        graph = dgl.graph((edges[0], edges[1]), num_nodes=n)
    masks = [torch.arange(n) % 3 == i for i in range(3)]
    return NodeDataset("ring", torch.randn(n, 4), torch.arange(n) % 2, *masks, 2, graph, backend)


def test_presets_are_copies_and_a_baseline_has_no_named_ones():
    """preset() handed out the shared object: a change to it reached every later call (heterophily_models'
    baselines took a hidden width set on the default preset)."""
    a = preset("pign", "paper")
    a.epochs, a.conv["smoothing"] = 3, 0.9
    b = preset("pign", "paper")
    assert b.epochs != 3 and b.conv.get("smoothing") != 0.9
    preset("gcn").hidden = 3
    assert preset("gcn").hidden != 3
    with pytest.raises(ValueError, match=r"preset\('gcn', 'nonexistent'\): the baselines have one configuration each"):
        preset("gcn", "nonexistent")


@pytest.mark.parametrize("mask", ["train_mask", "val_mask"])
def test_training_refuses_a_set_without_nodes(mask):
    """An empty training set read as an overflow of the features, an empty validation set returned the
    placeholder -1.0 and the last epoch's model. (An empty test set trains on every labelled node.)"""
    ds = _tiny()
    setattr(ds, mask, torch.zeros_like(ds.train_mask))
    model = build_model(ANY, RunConfig("gcn", depth=2, hidden=8), 4, 2)
    with pytest.raises(ValueError, match=rf"train_node_classifier: the dataset's {mask} selects none of its 12 nodes"):
        train_node_classifier(model, ds, epochs=2)


def test_loaders_check_their_arguments():
    with pytest.raises(ValueError, match=r"load_karate: num_val must lie in 1\.\.\d+ .* got -5"):
        load_karate(ANY, num_val=-5)  # (read from the end: 25 validation nodes)
    with pytest.raises(ValueError, match=r"load_karate: num_val must lie in 1\.\.\d+ .* got 100"):
        load_karate(ANY, num_val=100)  # (no test node: a NaN test accuracy)
    with pytest.raises(TypeError, match=r"'cora' takes no keyword arguments beyond root .* got lenght"):
        load_node_dataset("cora", ANY, lenght=7)  # (a typo, ignored)
    for bad in (-0.5, float("nan"), float("inf")):
        with pytest.raises(ValueError, match="make_chains: noise must be a finite number >= 0"):
            make_chains(4, noise=bad)
    with pytest.raises(TypeError, match=r"forms is a sequence of form names, e\.g\. \('appnp',\)"):
        heterophily_models("appnp")  # (it gave the forms 'a', 'p', 'p', ...)


@pytest.mark.parametrize("options, error, message", [
    (dict(dropout=1.5), ValueError, r"baseline 'gcn': dropout must be a finite number in \[0, 1\), got 1\.5"),
    (dict(hidden=0), ValueError, r"baseline 'gcn': hidden must be an int >= 1, got 0"),
    (dict(hidden=2.5), TypeError, r"baseline 'gcn': hidden must be an int >= 1, got 2\.5"),
    (dict(depth=0), ValueError, r"baseline 'gcn': depth must be an int >= 1, got 0"),
    (dict(model="foo"), ValueError, r"RunConfig\.model: unknown model 'foo'; valid: pign, gcn"),
])
def test_a_baseline_is_checked_when_built(options, error, message):
    """dropout=1.5 failed at the first epoch under another option's name; hidden=0 trained."""
    with pytest.raises(error, match=message):
        build_model(ANY, RunConfig(**{"model": "gcn", **options}), 4, 2)


def test_run_one_builds_in_the_features_dtype_on_the_datasets_backend():
    ds = _tiny()
    other = "dgl" if ANY == "pyg" else "pyg"
    with pytest.raises(ValueError, match=rf"run_one: backend '{other}', but the dataset was loaded for '{ANY}'"):
        run_one(other, ds, RunConfig("gcn", depth=2, hidden=8, epochs=1), 0)
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)  # (the baselines failed on float32 features: "expected scalar type")
    try:
        for model in ("gcn", "pign"):
            result, _, kept = run_one(ANY, ds, RunConfig(model, depth=2, hidden=8, epochs=2), 0, keep_model=True)
            assert next(kept.parameters()).dtype == torch.float32
    finally:
        torch.set_default_dtype(before)


def _save(path, model, **changes):
    args = dict(backend=ANY, config=RunConfig("gcn", depth=2, hidden=8, epochs=1), in_channels=4,
                class_names=["a", "b"], features={"source": "csv", "attrs": None, "names": list("wxyz")},
                direction="undirected", training={})
    args.update(changes)
    return save_model(path, model, **args)


@pytest.mark.parametrize("changes, message", [
    (dict(backend="PyG"), r"backend 'PyG' \(valid: 'pyg', 'dgl'\)"),
    (dict(direction="sideways"), r"direction 'sideways'"),
    (dict(class_names=["a", "a"]), r"class_names \['a', 'a'\] \(a list of distinct class names\)"),
    (dict(class_names=["a", "b", "c"]), r"would not load again: the saved parameters do not fit"),
    (dict(config=RunConfig("appnp", depth=2, hidden=8)), r"would not load again: the saved parameters do not fit"),
    (dict(training={"when": object()}), r"a model file holds tensors and plain Python values only"),
])
def test_save_model_refuses_what_load_model_would_refuse(tmp_path, changes, message):
    """Each of these was written, and refused only when read back."""
    model = build_model(ANY, RunConfig("gcn", depth=2, hidden=8), 4, 2)
    with pytest.raises(ValueError, match=rf"save_model: .*{message}"):
        _save(tmp_path / "m.pt", model, **changes)
    assert not list(tmp_path.iterdir())  # nothing written


def test_a_model_file_keeps_numpy_numbers_and_loads_in_its_own_dtype(tmp_path):
    """A numpy accuracy in training made the file unreadable ("pickled Python objects"); under a float64
    default a float32 model loaded as float64, and then refused float32 features."""
    model = build_model(ANY, RunConfig("gcn", depth=2, hidden=8), 4, 2)
    path = _save(tmp_path / "m.pt", model, training={"test_acc": np.float64(0.75), "epochs": np.int64(3)})
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        saved = load_model(path)
    finally:
        torch.set_default_dtype(before)
    assert saved.training == {"test_acc": 0.75, "epochs": 3} and type(saved.training["epochs"]) is int
    assert next(saved.model.parameters()).dtype == torch.float32
    with pytest.raises(ValueError, match=r"load_model: backend must be 'pyg' or 'dgl' .* got 'foo'"):
        load_model(path, backend="foo")
    with pytest.raises(ValueError, match=r"load_model: direction must be one of .* got 'sideways'"):
        load_model(path, direction="sideways")


def test_a_float64_model_loads_exactly_and_saving_draws_no_random_numbers(tmp_path):
    """The file's parameters were loaded into float32 ones and widened after: 1.5e-8 off. Saving builds
    the model once more to check that it loads, which drew from torch's generator."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    try:
        model = build_model(ANY, RunConfig("gcn", depth=2, hidden=8), 4, 2)
    finally:
        torch.set_default_dtype(before)
    torch.manual_seed(0)
    expected = torch.rand(3)
    torch.manual_seed(0)
    path = _save(tmp_path / "m.pt", model)
    assert torch.equal(torch.rand(3), expected)
    loaded = load_model(path).model.state_dict()
    assert all(torch.equal(loaded[k], v) and loaded[k].dtype == torch.float64 for k, v in model.state_dict().items())
