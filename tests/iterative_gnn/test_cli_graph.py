"""``train --graph`` and ``predict`` end to end on the shipped example in each installed backend: the
model file loads with ``torch.load(weights_only=True)`` and gives the trained model's outputs, the
predictions file has one row per node; malformed input stops as a usage error before anything is
written."""
import csv
import importlib.util
import math
import os
import stat
import subprocess
import sys
import warnings
from pathlib import Path

import pytest
import torch

pytest.importorskip("networkx")

from iterative_gnn.backends import forward  # noqa: E402
from iterative_gnn.cli import main  # noqa: E402
from tests.iterative_gnn.cli_helpers import usage_error  # noqa: E402
from iterative_gnn.configs import preset, run_one  # noqa: E402
from iterative_gnn.model_io import FORMAT, ModelFileError, load_model, save_model  # noqa: E402
from iterative_gnn.user_graph import load_graph, load_labels, node_dataset, split_masks  # noqa: E402

HAVE = {b: importlib.util.find_spec(m) is not None for b, m in (("pyg", "torch_geometric"), ("dgl", "dgl"))}
BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(not HAVE[b], reason=f"{b} not installed")) for b in HAVE]
ANY = "pyg" if HAVE["pyg"] else "dgl"
GRAPHS = Path(__file__).resolve().parents[2] / "examples" / "graphs"
GML = GRAPHS / "communities.gml"
EDGES = GRAPHS / "communities.edgelist"
FEATS = GRAPHS / "communities_features.csv"
LABELS = GRAPHS / "communities_labels.csv"
CLASSES = ["blue", "green", "red"]
GML_ARGS = ["--graph", str(GML), "--feature-attrs", "x", "--label-attr", "community"]
CSV_ARGS = ["--graph", str(EDGES), "--features", str(FEATS), "--labels", str(LABELS), "--split-attr", "split"]
FAST = ["--epochs", "3", "--threads", "1"]


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        return reader.fieldnames, list(reader)


def check_predictions(path: Path, ids: list[str]) -> list[dict]:
    header, rows = read_rows(path)
    assert header == ["node", "predicted", *(f"prob_{c}" for c in CLASSES)]
    assert [r["node"] for r in rows] == ids  # one row per node, in the graph's order
    for r in rows:
        probs = [float(r[f"prob_{c}"]) for c in CLASSES]
        assert all(0.0 <= p <= 1.0 for p in probs) and math.isclose(sum(probs), 1.0, abs_tol=1e-4)
        assert r["predicted"] == CLASSES[max(range(3), key=probs.__getitem__)]
    return rows


@pytest.fixture
def no_training(monkeypatch):
    """Fail the test if any model is trained."""

    def fail(*a, **k):
        raise AssertionError("a model was trained")

    monkeypatch.setattr("iterative_gnn.cli.run_one", fail)


# ------------------------------------------------------------------------------------------------ end to end
@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("source", ["gml", "csv"])
def test_train_save_and_predict_on_the_example(backend, source, tmp_path, capsys):
    model, out = tmp_path / "m" / "model.pt", tmp_path / "p" / "predictions.csv"
    graph_args = GML_ARGS if source == "gml" else CSV_ARGS
    assert main(["train", "--backend", backend, *graph_args, *FAST, "--save", str(model)]) == 0
    text = capsys.readouterr().out
    origin = "attribute 'community'" if source == "gml" else "column 'community'"
    assert "300 nodes, 736 undirected edges, 8 features; 240 labelled nodes (" + origin + ") in 3 classes " \
           "(blue, green, red), 60 to predict" in text
    assert ("144/48/48 train/val/test (stratified, seed 0)" if source == "gml" else "(given by 'split')") in text
    assert f"wrote {model}" in text

    record = torch.load(model, weights_only=True)
    assert record["format"] == FORMAT and record["backend"] == backend and record["class_names"] == CLASSES
    assert record["config"]["epochs"] == 3 and record["in_channels"] == 8

    predict = ["predict", "--graph", str(GML if source == "gml" else EDGES), "--model", str(model), "--out", str(out),
               "--threads", "1"] + ([] if source == "gml" else ["--features", str(FEATS)])
    assert main(predict) == 0
    assert f"wrote {out}: 300 predictions" in capsys.readouterr().out
    data = load_graph(GML, feature_attrs=["x"]) if source == "gml" else load_graph(EDGES, features_csv=FEATS)
    rows = check_predictions(out, data.ids)
    # the probabilities are the saved model's on this graph
    saved = load_model(model)
    logits = forward(saved.model, data.x, node_dataset(data, backend).graph)
    expected = torch.softmax(logits, 1)
    got = torch.tensor([[float(r[f"prob_{c}"]) for c in CLASSES] for r in rows])
    assert torch.allclose(got, expected, atol=1e-5)


def test_save_load_round_trip_gives_the_trained_models_outputs(tmp_path):
    data = load_graph(GML, feature_attrs=["x"])
    labels = load_labels(data, label_attr="community")
    ds = node_dataset(data, ANY, labels, split_masks(labels))
    cfg = preset("pign").with_(epochs=5)
    res, _, model = run_one(ANY, ds, cfg, seed=0, keep_model=True)
    model.eval()
    with torch.no_grad():
        trained = forward(model, ds.x, ds.graph)
    path = save_model(tmp_path / "m.pt", model, backend=ANY, config=cfg, in_channels=8,
                      class_names=labels.class_names, features={"source": "attrs", "attrs": ["x"],
                                                                "names": data.feature_names},
                      direction="undirected", training={"val_acc": res.val_acc})
    record = torch.load(path, weights_only=True)
    assert set(record["state_dict"]) == set(model.state_dict())
    saved = load_model(path)
    named = {"bias": True}  # the operator's bias is named in the file (its default has changed)
    assert record["config"]["conv"]["bias"] is True and "gamma_max" not in record["config"]["conv"]  # fixed gamma
    assert saved.config == cfg.with_(conv=named) and saved.class_names == CLASSES and saved.backend == ANY
    assert "encoder_weight_decay" not in record["config"]  # unset: files stay as earlier versions wrote them
    with_encoder_wd = cfg.with_(encoder_weight_decay=1e-3)
    path2 = save_model(tmp_path / "m2.pt", model, backend=ANY, config=with_encoder_wd, in_channels=8,
                       class_names=labels.class_names, features={"source": "attrs", "attrs": ["x"],
                                                                 "names": data.feature_names},
                       direction="undirected")
    assert load_model(path2).config == with_encoder_wd.with_(conv=named)
    assert record["config"]["consistency"] == 1.0  # the best preset trains with it: kept
    plain = cfg.with_(consistency=0.0)
    path3 = save_model(tmp_path / "m3.pt", model, backend=ANY, config=plain, in_channels=8,
                       class_names=labels.class_names, features={"source": "attrs", "attrs": ["x"],
                                                                 "names": data.feature_names},
                       direction="undirected")
    omitted = {"consistency", "consistency_samples", "consistency_temperature"}
    assert not omitted & set(torch.load(path3, weights_only=True)["config"])  # readable by earlier versions
    assert load_model(path3).config == plain.with_(conv=named)
    assert not saved.model.training
    with torch.no_grad():
        again = forward(saved.model, ds.x, ds.graph)
    assert torch.equal(again, trained)
    # another model of the same configuration gives other outputs: the parameters did load
    other, _, fresh = run_one(ANY, ds, cfg.with_(epochs=1), seed=1, keep_model=True)
    fresh.eval()
    with torch.no_grad():
        assert not torch.allclose(forward(fresh, ds.x, ds.graph), trained)


def test_a_model_file_that_does_not_name_the_operators_defaults_loads_as_trained(tmp_path):
    """Files written before they named the GCN operator's bias and gamma_max were trained with the
    earlier defaults (a bias in the step; gamma_max 0.99 for learned coefficients): loaded so."""
    data = load_graph(GML, feature_attrs=["x"])
    labels = load_labels(data, label_attr="community")
    ds = node_dataset(data, ANY, labels, split_masks(labels))
    earlier = {"bias": True, "gamma_max": 0.99}
    cfg = preset("pign", "default").with_(epochs=3, conv=earlier)
    _, _, model = run_one(ANY, ds, cfg, seed=0, keep_model=True)
    model.eval()
    with torch.no_grad():
        model.conv.operator.gamma_logit.uniform_(-1.0, 1.0)  # gamma_max matters away from gamma_init
        trained = forward(model, ds.x, ds.graph)
    path = save_model(tmp_path / "m.pt", model, backend=ANY, config=preset("pign", "default").with_(epochs=3),
                      in_channels=8, class_names=labels.class_names,
                      features={"source": "attrs", "attrs": ["x"], "names": data.feature_names},
                      direction="undirected")
    record = torch.load(path, weights_only=True)
    assert {k: record["config"]["conv"][k] for k in earlier} == earlier  # named from the model itself
    # and the other two options that give gamma_logit its meaning, should their defaults change too
    assert {k: record["config"]["conv"][k] for k in ("gamma_init", "gamma_scale")} == {"gamma_init": 0.5,
                                                                                      "gamma_scale": 5.0}
    for key in earlier:  # as a file of the earlier versions
        del record["config"]["conv"][key]
    torch.save(record, path)
    saved = load_model(path)
    assert {k: saved.config.conv[k] for k in earlier} == earlier
    with torch.no_grad():
        assert torch.equal(forward(saved.model, ds.x, ds.graph), trained)


@pytest.mark.parametrize("conv,earlier", [
    ({}, {"bias": True, "gamma_max": 0.99}),  # the signed form
    ({"form": "appnp"}, {"bias": True}), ({"form": "residual"}, {"bias": True}), ({"form": "paper"}, {"bias": True}),
    ({"form": "appnp", "propagation": "signed"}, {"bias": True, "gamma_max": 0.99}),
    ({"bias": False}, {"gamma_max": 0.99}),  # each key not named gets its earlier value
    ({"bias": True, "gamma_max": 0.9}, {}), ({"form": "paper", "bias": False}, {}),  # files that name them
    ({"conv": "sage"}, {}),  # another operator: neither key is its
    ({"form": "signd"}, {}),  # not a form: left for building the model to name
])
def test_a_model_files_unnamed_operator_defaults_are_the_earlier_ones(conv, earlier):
    from iterative_gnn.model_io import _earlier_defaults

    assert _earlier_defaults({"model": "pign", "conv": conv})["conv"] == {**conv, **earlier}
    assert _earlier_defaults({"model": "gcn", "conv": conv})["conv"] == conv


def test_an_appnp_model_is_refused_in_the_other_backend_on_a_directed_graph(tmp_path, capsys):
    """DGL's APPNPConv normalises a directed graph by the sources' out-degrees, PyG's APPNP by
    in-degrees: predicting with the other backend changed 51 of 300 classes, silently."""
    model = tmp_path / "appnp.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--model", "appnp", "--direction", "directed",
                 "--save", str(model)]) == 0
    other = "dgl" if ANY == "pyg" else "pyg"
    with pytest.raises(ModelFileError, match=f"APPNP model trained with --backend {ANY} computes something else in "
                                             f"{other} on a directed graph"):
        load_model(model, backend=other)
    assert load_model(model).backend == ANY  # its own backend
    if HAVE[other]:  # read as undirected, both backends normalise alike
        load_model(model, backend=other, direction="undirected")
        err = usage_error(["predict", "--backend", other, "--graph", str(GML), "--model", str(model),
                           "--out", str(tmp_path / "p.csv")], capsys)
        assert "read the graph as undirected" in err


@pytest.mark.skipif(not (HAVE["pyg"] and HAVE["dgl"]), reason="needs both backends")
def test_a_pign_model_predicts_alike_in_the_other_backend(tmp_path, capsys):
    model = tmp_path / "model.pt"
    assert main(["train", "--backend", "pyg", *GML_ARGS, *FAST, "--save", str(model)]) == 0
    outs = {}
    for backend in ("pyg", "dgl"):
        outs[backend] = tmp_path / f"{backend}.csv"
        assert main(["predict", "--backend", backend, "--graph", str(GML), "--model", str(model),
                     "--out", str(outs[backend])]) == 0
    a, b = read_rows(outs["pyg"])[1], read_rows(outs["dgl"])[1]
    assert [r["predicted"] for r in a] == [r["predicted"] for r in b]
    assert max(abs(float(r[k]) - float(s[k])) for r, s in zip(a, b) for k in r if k.startswith("prob_")) < 1e-4


def test_several_seeds_save_the_best_on_validation(tmp_path, capsys, monkeypatch):
    import iterative_gnn.cli as cli

    real, vals, models = cli.run_one, iter([0.5, 0.9, 0.7]), []

    def scripted(*args, **kwargs):  # the real training, with validation accuracies set for the test
        res, secs, model = real(*args, **kwargs)
        res.val_acc = next(vals)
        models.append({k: v.clone() for k, v in model.state_dict().items()})
        return res, secs, model

    monkeypatch.setattr(cli, "run_one", scripted)
    model = tmp_path / "model.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--seeds", "3", "--save", str(model)]) == 0
    assert "the model of seed 1, validation 90.0% of 3 seeds" in capsys.readouterr().out
    record = torch.load(model, weights_only=True)
    assert record["training"]["seed"] == 1 and record["training"]["val_acc"] == 0.9
    assert all(torch.equal(record["state_dict"][k], models[1][k]) for k in models[1])
    assert not all(torch.equal(record["state_dict"][k], models[2][k]) for k in models[2])


def test_no_test_nodes_and_other_split_options(tmp_path, capsys):
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--train-fraction", "0.5", "--val-fraction", "0.5",
                 "--split-seed", "2"]) == 0
    out = capsys.readouterr().out
    assert "120/120/0 train/val/test (stratified, seed 2)" in out and "no test nodes over 1 seed(s)" in out
    # the largest seed torch takes (a count's bound, 2**63 - 1, refused it)
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--split-seed", str(2 ** 64 - 1)]) == 0
    assert f"(stratified, seed {2 ** 64 - 1})" in capsys.readouterr().out


def test_a_graph_file_trains_the_default_preset_and_says_what_it_leaves_out(tmp_path, capsys):
    """On a user's graph (of unknown kind) the preset is the library's defaults, which hold on
    heterophilous graphs too; edge weights the models do not use are counted, and a class without a
    training node is named."""
    import networkx as nx

    g = nx.read_gml(GML)
    for u, v in g.edges:
        g.edges[u, v]["weight"] = 2.5
    nodes = [n for n, a in g.nodes(data=True) if a.get("community") == "blue"]
    for k, n in enumerate(nodes):
        g.nodes[n]["part"] = "val" if k % 2 else "test"  # no blue node trains
    others = [n for n, a in g.nodes(data=True) if "community" in a and n not in nodes]
    for k, n in enumerate(others):
        g.nodes[n]["part"] = "train" if k % 3 else "val"
    path = tmp_path / "weighted.gml"
    nx.write_gml(g, path)
    assert main(["train", "--backend", ANY, "--graph", str(path), "--feature-attrs", "x", "--label-attr", "community",
                 "--split-attr", "part", *FAST]) == 0
    out, err = capsys.readouterr()
    assert "the weights of 736 edge(s) not used" in out and "PIGN[default]" in out
    assert "note: no training node of class(es) blue" in err


def test_the_command_line_runs_as_a_module(tmp_path):
    model, out = tmp_path / "model.pt", tmp_path / "p.csv"
    run = [sys.executable, "-m", "iterative_gnn"]
    subprocess.run([*run, "train", "--backend", ANY, *GML_ARGS, *FAST, "--save", str(model)], check=True,
                   capture_output=True)
    subprocess.run([*run, "predict", "--graph", str(GML), "--model", str(model), "--out", str(out)], check=True,
                   capture_output=True)
    assert len(read_rows(out)[1]) == 300


def test_predictions_go_to_the_standard_output_with_out_dash(tmp_path, capsys):
    """--out - wrote a file named '-'."""
    model = tmp_path / "model.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--save", str(model)]) == 0
    capsys.readouterr()
    cwd = Path.cwd()
    assert main(["predict", "--graph", str(GML), "--model", str(model), "--out", "-"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(out.splitlines()))
    assert len(rows) == 300 and rows[0]["predicted"] in CLASSES and "wrote the standard output: 300 predictions" in err
    assert not (cwd / "-").exists()


def test_train_writes_its_csv_rows_to_the_standard_output_and_refuses_a_model_there(tmp_path, capsys,
                                                                                     monkeypatch):
    """--csv - and --save - wrote files named '-', the model over the rows; --save - is refused (a
    model file is binary) and --csv - writes the rows alone to the standard output."""
    monkeypatch.chdir(tmp_path)
    err = usage_error(["train", "--backend", ANY, *GML_ARGS, *FAST, "--csv", "-", "--save", "-"], capsys)
    assert "argument --save: invalid value '-': a model file is binary" in err
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--seeds", "2", "--csv", "-"]) == 0
    out, err = capsys.readouterr()
    rows = list(csv.DictReader(out.splitlines()))
    assert [r["seed"] for r in rows] == ["0", "1"] and rows[0]["backend"] == ANY
    assert "test accuracy" in err and "wrote the standard output: 2 row(s)" in err
    assert list(tmp_path.iterdir()) == []


def test_outputs_are_written_through_links_and_named_pipes(saved_model, tmp_path, capsys, monkeypatch):
    """--out and --save replaced a symbolic link or a named pipe with a regular file (the link's file
    kept its old content, the pipe's reader got nothing); a pipe or device in a folder that cannot be
    written (/dev/stdout's /dev) was refused as not writable."""
    predict = ["predict", "--graph", str(GML), "--model", str(saved_model), "--out"]
    target = tmp_path / "target.csv"
    target.write_text("old\n")
    link = tmp_path / "link.csv"
    link.symlink_to(target.name)
    assert main([*predict, str(link)]) == 0
    rows = read_rows(target)[1]
    assert link.is_symlink() and len(rows) == 300 and rows[0]["predicted"] in CLASSES
    pipes = tmp_path / "pipes"
    pipes.mkdir()
    fifo = pipes / "fifo.csv"
    os.mkfifo(fifo)
    real_access = os.access
    monkeypatch.setattr(os, "access", lambda p, mode, **k: Path(p) != pipes and real_access(p, mode, **k))
    reader = os.open(fifo, os.O_RDONLY | os.O_NONBLOCK)  # (a reader, so that the tool's open does not wait)
    try:
        assert main([*predict, str(fifo)]) == 0
        sent = os.read(reader, 1 << 20).decode()
    finally:
        os.close(reader)
    assert stat.S_ISFIFO(fifo.stat().st_mode) and sent == target.read_bytes().decode()
    model_target = tmp_path / "model_target.pt"
    model_target.write_bytes(b"old")
    model_link = tmp_path / "model_link.pt"
    model_link.symlink_to(model_target.name)
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--save", str(model_link)]) == 0
    assert model_link.is_symlink() and load_model(model_target).class_names == CLASSES
    assert sorted(p.name for p in tmp_path.iterdir()) == ["link.csv", "model_link.pt", "model_target.pt", "pipes",
                                                          "target.csv"]


def test_output_into_a_closed_pipe_stops_quietly(tmp_path):
    """train | head -1 ended with a BrokenPipeError traceback."""
    proc = subprocess.Popen([sys.executable, "-m", "iterative_gnn", "train", "--backend", ANY, *GML_ARGS, *FAST,
                             "--no-progress"], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    proc.stdout.close()  # as head does after its lines: the tool's first write finds the pipe closed
    err = proc.stderr.read().decode()
    assert proc.wait() == 141 and "Traceback" not in err and "BrokenPipeError" not in err


# ------------------------------------------------------------------------------------------------ bad input
def twice_x(g) -> None:
    """Each node's features twice over, in the attribute ``xx``."""
    for _, a in g.nodes(data=True):
        a["xx"] = list(a["x"]) * 2


def gml_file(tmp_path: Path, change) -> Path:
    import networkx as nx

    g = nx.read_gml(GML)
    g = change(g) or g
    path = tmp_path / "changed.gml"
    nx.write_gml(g, path)
    return path


def without_x(g):
    del g.nodes["17"]["x"]


def with_text_feature(g):
    g.nodes["5"]["x"] = ["high"] * 8


def unlabelled(g):
    for v in g.nodes:
        g.nodes[v].pop("community", None)


def directed(g):
    import networkx as nx

    return nx.DiGraph(g)


def write(tmp_path: Path, name: str, text: str) -> Path:
    (tmp_path / name).write_text(text)
    return tmp_path / name


def _indexed(path: Path) -> str:
    """The CSV text of ``path`` as ``df.to_csv(path)`` writes it: a row count, unnamed, before every row
    (with the node ids 0..N-1, every row fell on some node, mostly the wrong one)."""
    header, *rows = path.read_text().splitlines()
    return "\n".join([f",{header}", *(f"{k},{r}" for k, r in enumerate(rows))]) + "\n"


def first_feature_as(path: Path, value: str) -> str:
    """The CSV text of ``path`` with the first feature of its first row replaced by ``value``."""
    header, first, *rest = path.read_text().splitlines()
    node, _, others = first.split(",", 2)
    return "\n".join([header, f"{node},{value},{others}", *rest]) + "\n"


def with_label_column(tmp_path: Path) -> Path:
    """The features with a numeric ``label`` column (the community's index) added: one file of both."""
    names = {}
    labels = {row[0]: row[1] for row in (line.split(",") for line in LABELS.read_text().splitlines()[1:])}
    lines = FEATS.read_text().splitlines()
    def label(node: str) -> str:  # empty for a node without one
        return str(names.setdefault(labels[node], len(names))) if node in labels else ""

    out = [lines[0] + ",label"] + [f"{line},{label(line.split(',')[0])}" for line in lines[1:]]
    return write(tmp_path, "both.csv", "\n".join(out) + "\n")


def copy_of(tmp_path: Path, path: Path) -> Path:
    target = tmp_path / f"copy_{path.name}"
    if not target.exists():
        target.write_text(path.read_text())
    return target


BAD_TRAIN = {  # case -> (argv after "train --backend B" given tmp_path, words the message must hold)
    "unknown format": (lambda t: ["--graph", str(write(t, "g.dat", "a b\n")), "--feature-attrs", "x",
                                  "--label-attr", "y"],
                       ["argument --graph:", "g.dat", "cannot tell the graph format", "'.dat'", "--format"]),
    "missing attribute": (lambda t: ["--graph", str(gml_file(t, without_x)), "--feature-attrs", "x",
                                     "--label-attr", "community"],
                          ["argument --feature-attrs:", "changed.gml", "1 of 300 nodes have no attribute 'x'", "'17'"]),
    "non-numeric attribute": (lambda t: ["--graph", str(gml_file(t, with_text_feature)), "--feature-attrs", "x",
                                         "--label-attr", "community"],
                              ["argument --feature-attrs:", "node '5', attribute 'x'", "expected a finite number",
                               "'high'"]),
    "non-numeric csv": (lambda t: ["--graph", str(EDGES), "--labels", str(LABELS),
                                   "--features", str(write(t, "f.csv", first_feature_as(FEATS, "n/a")))],
                        ["argument --features:", "f.csv", "line 2, column 'f0' (node '0')", "'n/a'"]),
    "labels for unknown nodes": (lambda t: ["--graph", str(EDGES), "--features", str(FEATS), "--labels",
                                            str(write(t, "l.csv", LABELS.read_text() + "999,red,train\n"))],
                                 ["argument --labels:", "l.csv", "line 242: node '999' is not in the graph",
                                  "communities.edgelist"]),
    "no labelled node": (lambda t: ["--graph", str(gml_file(t, unlabelled)), "--feature-attrs", "x",
                                    "--label-attr", "community"],
                         ["argument --label-attr:", "changed.gml", "no node has a label in the attribute "
                                                                   "'community'"]),
    "directed graph": (lambda t: ["--graph", str(gml_file(t, directed)), "--feature-attrs", "x",
                                  "--label-attr", "community"],
                       ["argument --direction:", "changed.gml", "declares a directed graph (directed 1)",
                        "--direction undirected (which is the default) takes only undirected graphs",
                        "--direction directed", "--direction both"]),
    "bad edge list line": (lambda t: ["--graph", str(write(t, "g.edges", "0 1\n1 2 3 4\n")), "--features",
                                      str(FEATS), "--labels", str(LABELS)],
                           ["argument --graph:", "g.edges", "line 2:", "'1 2 3 4'"]),
    "bad split value": (lambda t: ["--graph", str(EDGES), "--features", str(FEATS), "--split-attr", "split",
                                   "--labels", str(write(t, "l.csv", LABELS.read_text().replace(
                                       "0,red,train", "0,red,training")))],
                        ["argument --split-attr:", "l.csv", "line 2", "split 'training'", "train, val"]),
    "no features": (lambda t: ["--graph", str(GML), "--label-attr", "community"],
                    ["argument --graph:", "--feature-attrs", "--features"]),
    "no labels": (lambda t: ["--graph", str(GML), "--feature-attrs", "x"],
                  ["argument --graph:", "--label-attr", "--labels"]),
    "graph option without graph": (lambda t: ["--label-attr", "y"],
                                   ["argument --label-attr: applies to --graph only"]),
    "dataset option with graph": (lambda t: [*GML_ARGS, "--dataset", "karate"],
                                  ["argument --dataset: not with --graph: train on a dataset by name or on your own "
                                   "graph"]),
    "label attribute among the features": (lambda t: [*GML_ARGS[:2], "--feature-attrs", "x,community",
                                                      "--label-attr", "community"],
                                           ["argument --feature-attrs: holds 'community', the labels' attribute",
                                            "would read each node's label"]),
    "preset of a baseline": (lambda t: [*GML_ARGS, "--model", "gcn", "--preset", "paper"],
                             ["argument --preset: applies to --model pign only"]),
    "consistency samples without consistency": (lambda t: [*GML_ARGS, "--consistency-samples", "4"],
                                                ["argument --consistency-samples: has no effect without "
                                                 "--consistency"]),
    "consistency samples below two": (lambda t: [*GML_ARGS, "--consistency", "1", "--consistency-samples", "1"],
                                      ["argument --consistency-samples:", "a whole number >= 2"]),
    "feature beyond float32": (lambda t: ["--graph", str(EDGES), "--labels", str(LABELS),
                                          "--features", str(write(t, "f.csv", first_feature_as(FEATS, "1e39")))],
                               ["argument --features:", "line 2, column 'f0'", "within float32's range", "'1e39'"]),
    "a dataframe's index before the labels": (lambda t: [*CSV_ARGS[:4], "--labels", str(write(t, "l.csv", _indexed(LABELS)))],
                                              ["argument --labels:", "l.csv: line 1: column 2 ('node') holds a node of "
                                               "the graph on every row", "column 1, read as the node ids, has no name",
                                               "index_label='node'", "index=False"]),
    "a dataframe's index before the features": (lambda t: [*CSV_ARGS[:2], "--features",
                                                           str(write(t, "f.csv", _indexed(FEATS))), *CSV_ARGS[4:]],
                                                ["argument --features:", "column 1, read as the node ids, has no name"]),
    "an unnamed feature column": (lambda t: [*CSV_ARGS[:2], "--features",
                                             str(write(t, "f.csv", FEATS.read_text().replace(",f3,", ",,", 1))),
                                             *CSV_ARGS[4:]],
                                  ["argument --features:", "line 1: column 5 has no name"]),
    "split fractions above one": (lambda t: [*GML_ARGS, "--train-fraction", "0.7", "--val-fraction", "0.4"],
                                  ["argument --val-fraction:", "add up to more than 1"]),
    "fractions with a given split": (lambda t: [*CSV_ARGS, "--split-seed", "1"],
                                     ["argument --split-seed: not with --split-attr"]),
}


@pytest.mark.parametrize("case", list(BAD_TRAIN))
def test_malformed_input_is_a_usage_error_and_nothing_is_written(case, tmp_path, capsys, no_training):
    argv, words = BAD_TRAIN[case]
    save = tmp_path / "out" / "sub" / "model.pt"
    err = usage_error(["train", "--backend", ANY, *argv(tmp_path), "--save", str(save), "--csv",
                       str(tmp_path / "out2" / "rows.csv")], capsys)
    for w in words:
        assert w in err, (w, err)
    assert "weights_only=False" not in err
    assert not (tmp_path / "out").exists() and not (tmp_path / "out2").exists()


@pytest.fixture(scope="module")
def saved_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "model.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, "--epochs", "1", "--threads", "1", "--save", str(path)]) == 0
    return path


def test_a_model_trained_on_node_attributes_predicts_from_a_features_file_of_their_names(saved_model, tmp_path,
                                                                                         capsys):
    """The graph given as an edge list (which holds no attributes) with the features in a CSV file: refused
    with advice that led nowhere ("leave out --features", then "no node has the attribute")."""
    names = ",".join(f"x[{k}]" for k in range(8))
    table = FEATS.read_text().splitlines()
    features = write(tmp_path, "x.csv", "\n".join([f"node,{names}", *table[1:]]) + "\n")
    assert main(["predict", "--graph", str(GML), "--model", str(saved_model), "--out", str(tmp_path / "a.csv")]) == 0
    assert main(["predict", "--graph", str(EDGES), "--features", str(features), "--model", str(saved_model),
                 "--out", str(tmp_path / "b.csv")]) == 0
    by_node = {r["node"]: r for r in csv.DictReader((tmp_path / "b.csv").open())}
    rows = list(csv.DictReader((tmp_path / "a.csv").open()))
    assert len(by_node) == len(rows) == 300
    for row in rows:  # (the same up to the order of the sums over edges, which the two files list differently)
        other = by_node[row["node"]]
        assert all(abs(float(row[k]) - float(other[k])) < 1e-5 for k in row if k.startswith("prob_")), row


@pytest.fixture(scope="module")
def csv_model(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("model") / "csv_model.pt"
    assert main(["train", "--backend", ANY, *CSV_ARGS, "--epochs", "1", "--threads", "1", "--save", str(path)]) == 0
    return path


BAD_PREDICT = {  # case -> (argv after "predict" given tmp_path and the two models, words)
    "not a model": (lambda t, m, c: ["--graph", str(GML), "--model", str(write(t, "m.pt", "hello"))],
                    ["argument --model:", "m.pt", "not a model saved by 'iterative-gnn train --save'",
                     "(torch.load could not read it: "]),  # (with the error's kind: "(torch.load: 101)" before)
    "a torch file of something else": (lambda t, m, c: ["--graph", str(GML), "--model", str(_torch_file(t))],
                                       ["argument --model:", "other.pt", "no 'iterative-gnn node classifier' record"]),
    "random bytes": (lambda t, m, c: ["--graph", str(GML), "--model", str(_random_bytes(t))],
                     ["argument --model:", "bytes.pt", "not a file torch can read"]),
    "a pickled module": (lambda t, m, c: ["--graph", str(GML), "--model", str(_pickled_module(t))],
                         ["argument --model:", "module.pt", "it holds pickled Python objects"]),
    "csv model without --features": (lambda t, m, c: ["--graph", str(EDGES), "--model", str(c)],
                                     ["argument --features:", "trained on features from a CSV file",
                                      "columns f0, f1"]),
    "other feature columns": (lambda t, m, c: ["--graph", str(EDGES), "--model", str(c), "--features",
                                               str(write(t, "f.csv", FEATS.read_text().replace("f7", "g7", 1)))],
                              ["argument --features:", "f.csv", "missing: f7", "not expected: g7"]),
    # (features by name: a CSV file of the attribute's names would be read, these are others)
    "csv features of other names for an attribute model": (
        lambda t, m, c: ["--graph", str(EDGES), "--model", str(m), "--features", str(FEATS)],
        ["argument --features:", "trained on the features x[0], x[1]", "missing: x[0]", "not expected: f0"]),
    "another number of features": (lambda t, m, c: ["--graph", str(gml_file(t, twice_x)), "--model", str(m),
                                                    "--feature-attrs", "xx"],
                                   ["argument --feature-attrs:", "xx gives 16 values per node where x, the "
                                    "attribute it replaces, gave 8 in training"]),
    "missing attribute": (lambda t, m, c: ["--graph", str(gml_file(t, without_x)), "--model", str(m)],
                          ["argument --feature-attrs:", "changed.gml", "'17'"]),
    # a damaged file loaded changed parameters and predicted without a word
    "a damaged file": (lambda t, m, c: ["--graph", str(GML), "--model", str(_damaged(t, m))],
                       ["argument --model:", "damaged.pt", "fails its checksum"]),
    # torch before 2.6 runs a TorchScript archive's code even with weights_only=True
    "a TorchScript archive": (lambda t, m, c: ["--graph", str(GML), "--model", str(_scripted(t))],
                              ["argument --model:", "scripted.pt", "a TorchScript archive", "it is not loaded"]),
    # a configuration field left out was filled with today's default: another model than the one trained
    "a configuration field missing": (lambda t, m, c: ["--graph", str(GML), "--model", str(_edited(
        t, m, lambda r: r["config"].pop("depth")))], ["argument --model:", "the configuration lacks depth"]),
    "class names repeated": (lambda t, m, c: ["--graph", str(GML), "--model", str(_edited(
        t, m, lambda r: r.update(class_names=["a"] * len(r["class_names"]))))],
        ["argument --model:", "class_names ['a', 'a'", "a list of distinct class names"]),
    "a configuration that builds nothing": (lambda t, m, c: ["--graph", str(GML), "--model", str(_edited(
        t, m, lambda r: r["config"].update(hidden="64")))], ["argument --model:", "its configuration does not build a "
                                                                "model"]),
}


def _damaged(tmp_path: Path, model: Path) -> Path:
    """The model file with bytes of a parameter changed (the zip's checksums then fail)."""
    data = bytearray(model.read_bytes())
    import zipfile

    with zipfile.ZipFile(model) as archive:
        info = next(i for i in archive.infolist() if "/data/" in i.filename and i.file_size >= 64)
    h = info.header_offset  # (the local header's own name and extra lengths: torch pads the extra field)
    start = h + 30 + int.from_bytes(data[h + 26:h + 28], "little") + int.from_bytes(data[h + 28:h + 30], "little")
    data[start + 8:start + 16] = bytes(x ^ 0xFF for x in data[start + 8:start + 16])
    (tmp_path / "damaged.pt").write_bytes(bytes(data))
    return tmp_path / "damaged.pt"


def _scripted(tmp_path: Path) -> Path:
    torch.jit.save(torch.jit.script(torch.nn.Linear(2, 2)), tmp_path / "scripted.pt")
    return tmp_path / "scripted.pt"


def _edited(tmp_path: Path, model: Path, edit) -> Path:
    record = torch.load(model, weights_only=True)
    edit(record)
    torch.save(record, tmp_path / "edited.pt")
    return tmp_path / "edited.pt"


def _random_bytes(tmp_path: Path) -> Path:
    (tmp_path / "bytes.pt").write_bytes(bytes(range(256)))
    return tmp_path / "bytes.pt"


def _pickled_module(tmp_path: Path) -> Path:
    """torch's message for it advises loading without weights_only, which would run the file's code."""
    torch.save(torch.nn.Linear(2, 2), tmp_path / "module.pt")
    return tmp_path / "module.pt"


def _torch_file(tmp_path: Path) -> Path:
    torch.save({"weights": torch.zeros(2)}, tmp_path / "other.pt")
    return tmp_path / "other.pt"


@pytest.mark.parametrize("case", list(BAD_PREDICT))
def test_predict_refuses_malformed_input_and_writes_nothing(case, saved_model, csv_model, tmp_path, capsys):
    argv, words = BAD_PREDICT[case]
    out = tmp_path / "out" / "sub" / "p.csv"
    err = usage_error(["predict", *argv(tmp_path, saved_model, csv_model), "--out", str(out)], capsys)
    for w in words:
        assert w in err, (w, err)
    assert "weights_only=False" not in err
    assert not (tmp_path / "out").exists()


def test_a_labels_file_that_is_also_the_features_file_is_refused(tmp_path, capsys, no_training):
    """Its label column was read as a feature: the model saw each node's label and scored 100%."""
    both = str(with_label_column(tmp_path))
    err = usage_error(["train", "--backend", ANY, "--graph", str(EDGES), "--features", both, "--labels", both], capsys)
    for w in ("argument --features:", "is also the --labels file", "the labels would be one"):
        assert w in err, (w, err)


@pytest.mark.parametrize("option", ["--features", "--labels"])
def test_a_graph_file_that_is_also_a_table_is_refused(option, tmp_path, capsys, no_training):
    """Read as an edge table, the features file's first two columns became edges from each node id to
    its first feature value."""
    table = str(FEATS if option == "--features" else LABELS)
    argv = ["train", "--backend", ANY, "--graph", table, "--features", str(FEATS), "--labels", str(LABELS)]
    err = usage_error(argv, capsys)
    for w in ("argument --graph:", f"is also the {option} file", "source,target"):
        assert w in err, (w, err)


@pytest.mark.parametrize("outputs", [("--csv", "labels"), ("--save", "graph"), ("--csv", "--save")])
def test_an_output_that_is_an_input_or_the_other_output_is_refused(outputs, tmp_path, capsys, no_training):
    """Each was written over what was read (or written) before."""
    graph, labels = copy_of(tmp_path, EDGES), copy_of(tmp_path, LABELS)
    before = labels.read_text(), graph.read_text()
    option, target = outputs
    path = {"labels": labels, "graph": graph, "--save": tmp_path / "same.out"}[target]
    other = ["--save", str(path)] if target == "--save" else []
    err = usage_error(["train", "--backend", ANY, "--graph", str(graph), "--features", str(FEATS), "--labels",
                       str(labels), option, str(path), *other], capsys)
    what = "output" if target == "--save" else "input"
    assert f"is also the {'--csv' if target == '--save' else '--' + target} {what}" in err, err
    assert (labels.read_text(), graph.read_text()) == before


def test_predict_refuses_to_write_over_its_model(saved_model, tmp_path, capsys):
    size = saved_model.stat().st_size
    err = usage_error(["predict", "--graph", str(GML), "--model", str(saved_model), "--out", str(saved_model)], capsys)
    assert "argument --out:" in err and "is also the --model input" in err and saved_model.stat().st_size == size


def test_predict_refuses_a_graph_file_that_is_the_features_file(csv_model, tmp_path, capsys):
    err = usage_error(["predict", "--graph", str(FEATS), "--features", str(FEATS), "--model", str(csv_model),
                       "--out", str(tmp_path / "p.csv")], capsys)
    assert "argument --graph:" in err and "is also the --features file" in err and not (tmp_path / "p.csv").exists()


def test_a_file_that_cannot_be_written_at_the_end_is_one_line_and_code_1(saved_model, tmp_path, capsys, monkeypatch):
    """The check before the run cannot foresee a full disk: the write's failure is still one line."""
    def full(*a, **k):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("iterative_gnn.cli._write_predictions", full)
    out = tmp_path / "p.csv"
    assert main(["predict", "--graph", str(GML), "--model", str(saved_model), "--out", str(out)]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines() == [f"iterative-gnn predict: error: could not write {out}: No space left on device"]
    monkeypatch.setattr("iterative_gnn.cli.save_model", full)
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--save", str(tmp_path / "m.pt")]) == 1
    assert "iterative-gnn train: error: could not write" in capsys.readouterr().err
    monkeypatch.setattr("iterative_gnn.cli.write_csv", full)  # was a traceback
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--csv", str(tmp_path / "rows.csv")]) == 1
    err = capsys.readouterr().err
    assert err.strip().splitlines()[-1] == (f"iterative-gnn train: error: could not write {tmp_path / 'rows.csv'}: "
                                           "No space left on device")


def test_a_label_that_tools_write_for_missing_values_is_a_class_and_named(tmp_path, capsys):
    def blue_as_na(g):
        for _, a in g.nodes(data=True):
            if a.get("community") == "blue":
                a["community"] = "NA"

    path = gml_file(tmp_path, blue_as_na)
    assert main(["train", "--backend", ANY, "--graph", str(path), "--feature-attrs", "x", "--label-attr", "community",
                 *FAST]) == 0
    out, err = capsys.readouterr()
    assert "3 classes (NA, green, red)" in out
    assert "note: the label(s) 'NA' are read as classes; leave the cell or attribute empty" in err


def test_implicit_gradients_away_from_a_fixed_point_are_noted(tmp_path, capsys):
    """--grad implicit without --tol: the library's warning is off in training (the runs report their
    convergence), and nothing said that the gradients were taken away from a fixed point."""
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--grad", "implicit", "--iterations", "2"]) == 0
    err = capsys.readouterr().err
    assert "note: --grad implicit takes the gradient at a fixed point, but without --tol" in err
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--grad", "implicit", "--iterations", "60",
                 "--tol", "1e-5"]) == 0
    assert "note: --grad implicit" not in capsys.readouterr().err


def test_a_training_that_diverges_is_one_line_and_code_1(capsys):
    """With a learning rate far too large the parameters became NaN and the next forward pass failed
    in a layer's input check, with a traceback about NaN node features."""
    assert main(["train", "--backend", ANY, *GML_ARGS, "--epochs", "20", "--threads", "1", "--lr", "1e30"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    assert "iterative-gnn train: error: seed 0: the training diverged in epoch" in err and "lower the learning rate" in err


def test_a_training_that_diverges_in_its_last_epoch_reports_no_accuracy_and_saves_nothing(tmp_path, capsys):
    """The last epoch's step has no next loss to read: its NaN outputs were scored (argmax: the first
    class), the run printed an accuracy, exited 0 and saved the model, which predict then blamed on the
    features. A model saved with huge parameters is named by its largest parameter there."""
    model_file = tmp_path / "m.pt"
    assert main(["train", "--backend", ANY, *CSV_ARGS, "--epochs", "1", "--threads", "1", "--lr", "1e30",
                 "--save", str(model_file)]) == 1
    out, err = capsys.readouterr()
    assert "the training diverged in epoch 1: after an optimizer step the model's outputs at evaluation are NaN/Inf" in err
    assert "test accuracy" not in out and not model_file.exists()
    from iterative_gnn.train import overflow_message

    model = torch.nn.Linear(2, 3)
    with torch.no_grad():
        model.weight.fill_(1e30)
    err = overflow_message(torch.tensor([[2.98, 1.0]]), "the model's outputs hold", model)
    assert ("overflowed on its parameters (largest magnitude 1e+30, beside features of at most 2.98)" in err
            and "train the model again with a lower learning rate" in err)
    assert "overflowed on the features (largest magnitude 3e+38)" in overflow_message(  # features the larger
        torch.tensor([[3e38, 1.0]]), "the model's outputs hold", model)


@pytest.mark.parametrize("model", ["pign", "gcn2"])
def test_features_that_overflow_the_model_are_one_line_on_the_features(model, tmp_path, capsys):
    """Finite features near float32's largest value: a baseline trained to NaN parameters and saved them
    (no layer of its own checks), and predict wrote NaN probabilities, counted as the first class; PIGN
    failed with a traceback about NaN node features the user never gave."""
    rows = FEATS.read_text().splitlines()  # every node, with huge features
    huge = tmp_path / "huge.csv"
    huge.write_text("node,a,b\n" + "".join(f"{r.split(',')[0]},3.3e38,3.3e38\n" for r in rows[1:]))
    args = ["--graph", str(EDGES), "--features", str(huge), "--labels", str(LABELS), "--split-attr", "split"]
    assert main(["train", "--backend", ANY, *args, *FAST, "--model", model, "--save", str(tmp_path / "m.pt")]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "overflowed on the features (largest magnitude 3.3e+38); rescale them" in err
    assert err.strip().endswith("(--features)") and not (tmp_path / "m.pt").exists()
    small = tmp_path / "small.csv"
    small.write_text("node,a,b\n" + "".join(f"{r.split(',')[0]},{k % 3},{k % 5}\n" for k, r in enumerate(rows[1:])))
    model_file = tmp_path / "ok.pt"
    assert main(["train", "--backend", ANY, "--graph", str(EDGES), "--features", str(small), "--labels", str(LABELS),
                 "--split-attr", "split", *FAST, "--model", model, "--save", str(model_file)]) == 0
    capsys.readouterr()
    err = usage_error(["predict", "--backend", ANY, "--graph", str(EDGES), "--features", str(huge), "--model",
                       str(model_file), "--out", str(tmp_path / "p.csv")], capsys)
    assert "argument --features: the model's" in err and "overflowed on the features" in err
    assert not (tmp_path / "p.csv").exists()


def test_predict_refuses_features_on_which_the_iteration_diverges(tmp_path, capsys, monkeypatch):
    """One finite cell of 1e20: the iteration's residuals overflowed, every node was predicted the
    first class with probability 1 and the file written with exit 0, after a raw library warning
    that suggested Python keywords the tool does not take. On the CPU the iteration measures such
    norms rescaled and converges; the predictions then follow that one value, and a note names it."""
    rows = FEATS.read_text().splitlines()
    model = tmp_path / "m.pt"
    assert main(["train", "--backend", ANY, *CSV_ARGS, *FAST, "--save", str(model)]) == 0
    capsys.readouterr()
    first = rows[1].split(",")
    huge = tmp_path / "huge.csv"
    huge.write_text("\n".join([rows[0], ",".join([first[0], "1e20", *first[2:]]), *rows[2:]]) + "\n")
    command = ["predict", "--graph", str(EDGES), "--features", str(huge), "--model", str(model),
               "--out", str(tmp_path / "p.csv")]
    assert main(command) == 0
    err = capsys.readouterr().err
    assert err.startswith(f"note: node {first[0]!r}, feature {rows[0].split(',')[1]!r} is 1e+20, ") and \
        "while the feature's median magnitude is" in err, err
    (tmp_path / "p.csv").unlink()
    assert main(["predict", "--graph", str(EDGES), "--features", str(FEATS), "--model", str(model),
                 "--out", str(tmp_path / "q.csv")]) == 0
    assert "note:" not in capsys.readouterr().err  # (the file's own values: none so far from the others)
    from tests.helpers import as_on_a_device
    as_on_a_device(monkeypatch)  # a device reads nothing back to measure them again: the overflow is named
    err = usage_error(command, capsys)
    assert "argument --features: the model's iteration diverged" in err and "overflowed on the features" in err
    assert f"node {first[0]!r}, column {rows[0].split(',')[1]!r}" in err
    for word in ("Warning", "smoothing", "contraction=", "solver="):
        assert word not in err, err
    assert not (tmp_path / "p.csv").exists()


def test_predict_says_in_its_own_words_that_the_iteration_missed_its_tolerance(tmp_path, capsys):
    """The library's warning, with its source line and Python keywords, was what predict showed."""
    model = tmp_path / "m.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--tol", "1e-7", "--iterations", "2",
                 "--save", str(model)]) == 0
    capsys.readouterr()
    assert main(["predict", "--graph", str(GML), "--model", str(model), "--out", str(tmp_path / "p.csv")]) == 0
    err = capsys.readouterr().err
    assert err.startswith("note: the model's iteration did not reach its tolerance in 2 iterations") and \
        "Warning" not in err and len(err.strip().splitlines()) == 1


def test_the_implicit_note_reads_every_seed(capsys):
    """max() over [1e-6, nan] is 1e-6: a NaN residual of a later seed went unnoted."""
    from iterative_gnn.cli import _note_implicit_away_from_fixed_point
    from iterative_gnn.configs import RunConfig

    cfg = RunConfig("pign", conv={"grad": "implicit"})
    _note_implicit_away_from_fixed_point(cfg, [{"final_residual": 1e-6}, {"final_residual": float("nan")}])
    assert "stopped at a relative residual of nan" in capsys.readouterr().err
    _note_implicit_away_from_fixed_point(cfg, [{"final_residual": 1e-6}, {"final_residual": 2e-5}])
    assert capsys.readouterr().err == ""


@pytest.mark.parametrize("trained_on", ["attrs", "csv"])
def test_predict_reads_the_trained_attributes_in_their_order(trained_on, tmp_path, capsys):
    """--feature-attrs f1,f0 for a model trained on f0,f1 fed f1 where f0 belonged (the count was the
    only check): the names are now read in the trained order, and a trained name moved among other
    names is refused; the same for a model trained on the columns f0,f1 of a features file (their
    names were not compared)."""
    import networkx as nx

    g = nx.gnp_random_graph(40, 0.15, seed=0)
    gen = torch.Generator().manual_seed(0)
    for v in g.nodes:
        g.nodes[v].update(f0=float(torch.randn(1, generator=gen)), f1=float(torch.randn(1, generator=gen)) * 3,
                          community=CLASSES[v % 3])
    path = tmp_path / "g.graphml"
    nx.write_graphml(g, path)
    model = tmp_path / "m.pt"
    features = ["--feature-attrs", "f0,f1"]
    if trained_on == "csv":
        (tmp_path / "f.csv").write_text("node,f0,f1\n" + "".join(f"{v},{d['f0']!r},{d['f1']!r}\n"
                                                                  for v, d in g.nodes(data=True)))
        features = ["--features", str(tmp_path / "f.csv")]
    assert main(["train", "--backend", ANY, "--graph", str(path), *features, "--label-attr",
                 "community", *FAST, "--save", str(model)]) == 0
    outs = []
    for attrs in (features if trained_on == "csv" else [], ["--feature-attrs", "f1,f0"]):
        outs.append(tmp_path / f"p{len(outs)}.csv")
        assert main(["predict", "--graph", str(path), "--model", str(model), *attrs, "--out", str(outs[-1])]) == 0
    assert read_rows(outs[0]) == read_rows(outs[1])
    err = usage_error(["predict", "--graph", str(path), "--model", str(model), "--feature-attrs", "f1,other",
                       "--out", str(tmp_path / "p.csv")], capsys)
    assert "argument --feature-attrs: f1 is at another place than in training (f0,f1)" in err


def test_a_replacement_attribute_of_another_width_is_refused(tmp_path, capsys):
    """Trained on x (2 numbers) and y (1), predicted with p (1) and q (2): the total width matched, and every
    feature after p moved by one place without a word."""
    import networkx as nx

    g = nx.path_graph(12)
    for v in g.nodes:
        g.nodes[v].update(x=[float(v), 1.0], y=float(-v), p=float(v), q=[1.0, float(-v)], c=CLASSES[v % 2])
    path = tmp_path / "g.gml"
    nx.write_gml(g, path)
    model = tmp_path / "m.pt"
    assert main(["train", "--backend", ANY, "--graph", str(path), "--feature-attrs", "x,y", "--label-attr", "c",
                 *FAST, "--save", str(model)]) == 0
    err = usage_error(["predict", "--graph", str(path), "--model", str(model), "--feature-attrs", "p,q",
                       "--out", str(tmp_path / "p.csv")], capsys)
    assert ("argument --feature-attrs: p gives 1 value per node where x, the attribute it replaces, gave 2 in "
            "training") in err
    assert not (tmp_path / "p.csv").exists()
    assert main(["predict", "--graph", str(path), "--model", str(model), "--feature-attrs", "q,p",
                 "--out", str(tmp_path / "p.csv")]) == 0  # the same widths: taken
    # the trained names, in a file where x is a scalar and y a list: the total width matches again
    for v in g.nodes:
        g.nodes[v].update(x=float(v), y=[1.0, float(-v)])
    nx.write_gml(g, tmp_path / "h.gml")
    for attrs in ([], ["--feature-attrs", "x,y"]):
        err = usage_error(["predict", "--graph", str(tmp_path / "h.gml"), "--model", str(model), *attrs,
                           "--out", str(tmp_path / "q.csv")], capsys)
        assert "argument --feature-attrs: x gives 1 value per node in" in err and "where it gave 2 in training" in err


def test_a_model_file_with_nan_parameters_is_refused(tmp_path, capsys):
    """A file whose parameters hold NaN predicted the first class for every node (argmax of NaN), exit 0."""
    model = tmp_path / "m.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--save", str(model)]) == 0
    record = torch.load(model, weights_only=True)
    name = next(k for k, v in record["state_dict"].items() if v.is_floating_point())
    record["state_dict"][name][...] = float("nan")
    torch.save(record, model)
    with pytest.raises(ModelFileError, match=f"{name} hold NaN or infinite values"):
        load_model(model)
    err = usage_error(["predict", "--graph", str(GML), "--model", str(model), "--out", str(tmp_path / "p.csv")], capsys)
    assert "NaN or infinite" in err and not (tmp_path / "p.csv").exists()


def test_the_gcn_baseline_is_two_layers_unless_told(capsys):
    """train --model gcn built an 8-layer GCN (22% on Cora, against 82% for the usual 2 layers)."""
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--model", "gcn"]) == 0
    assert "gcn depth 2," in capsys.readouterr().out
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--model", "gcn", "--depth", "4"]) == 0
    assert "gcn depth 4," in capsys.readouterr().out


def test_a_link_to_an_open_file_of_the_process_is_refused(saved_model, tmp_path, capsys):
    """--out /dev/stdout with the standard output redirected (>>) to a file: the link was followed to that
    file and renamed over, losing what it held."""
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    err = usage_error(["predict", "--graph", str(GML), "--model", str(saved_model), "--out", str(link)], capsys)
    assert "argument --out:" in err and "a link to an open file of this process (/proc/self/fd/1)" in err
    from iterative_gnn.model_io import write_whole

    with pytest.raises(ValueError, match=r"a link to an open file of this process"):  # save_model writes so
        write_whole(link, lambda target: target.write_text("x"))


def test_writes_of_one_output_path_never_share_a_temporary_file(tmp_path):
    """Every write went through ``<out>.part``: two runs writing one path at once mixed their bytes (or one
    was told "no such file"), and a file of the user's named ``<out>.part`` was replaced and deleted."""
    import os

    from iterative_gnn.model_io import write_whole

    out = tmp_path / "pred.csv"
    (tmp_path / "pred.csv.part").write_text("my notes")

    def first(target):  # a second write of the same path runs while the first is half-way through
        target.write_text("first, half")
        write_whole(out, lambda t: t.write_text("second"))
        assert out.read_text() == "second"
        target.write_text("first, whole")

    write_whole(out, first)
    assert out.read_text() == "first, whole"
    assert (tmp_path / "pred.csv.part").read_text() == "my notes"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pred.csv", "pred.csv.part"]  # no temporary file left
    umask = os.umask(0)
    os.umask(umask)
    assert out.stat().st_mode & 0o777 == 0o666 & ~umask  # a new file's permissions, not a temporary file's 0o600
    out.chmod(0o640)
    write_whole(out, lambda t: t.write_text("again"))
    assert out.stat().st_mode & 0o777 == 0o640  # a file replaced keeps its own


def test_predict_on_a_directed_file_names_the_models_direction(saved_model, tmp_path, capsys):
    """The direction came from the model (trained undirected), and the message called it the default."""
    err = usage_error(["predict", "--graph", str(gml_file(tmp_path, directed)), "--model", str(saved_model),
                       "--out", str(tmp_path / "p.csv")], capsys)
    assert ("--direction undirected (the direction the model " in err and "was trained with) takes only undirected "
            "graphs" in err and "which is the default" not in err), err
    err = usage_error(["train", "--graph", str(gml_file(tmp_path, directed)), "--feature-attrs", "x", "--label-attr",
                       "community", "--direction", "undirected"], capsys)  # given: not called the default
    assert "--direction undirected (which is given) takes only undirected graphs" in err, err


def test_a_legacy_format_file_whose_bytes_spell_a_zip_end_loads(saved_model, tmp_path):
    """torch's legacy (non-zip) format loads; a parameter whose float32 bytes are the zip end-of-directory
    signature (2.5e-35) made it read as "a damaged archive" (the check looked for a zip's end anywhere)."""
    import struct

    from iterative_gnn.model_io import load_model

    record = torch.load(saved_model, weights_only=True)
    weight = next(k for k, v in record["state_dict"].items() if v.dim() == 2)
    record["state_dict"][weight] = record["state_dict"][weight].clone()
    record["state_dict"][weight][0, 0] = struct.unpack("<f", b"PK\x05\x06")[0]
    path = tmp_path / "legacy.pt"
    torch.save(record, path, _use_new_zipfile_serialization=False)
    saved = load_model(path)
    assert float(saved.model.state_dict()[weight][0, 0]) == struct.unpack("<f", b"PK\x05\x06")[0]


def test_predict_loads_the_bytes_it_checked(saved_model, tmp_path, capsys, monkeypatch):
    """The model file is read once: a file replaced after the archive checks (here by a TorchScript
    archive, which torch before 2.6 runs even with weights_only=True) is not what torch.load then reads,
    and the model is built from the record the command looked into."""
    model = tmp_path / "model.pt"
    model.write_bytes(saved_model.read_bytes())
    scripted = _scripted(tmp_path).read_bytes()
    real_load = torch.load

    def load_after_swap(f, *args, **kwargs):
        model.write_bytes(scripted)  # replaced between the checks and the load
        return real_load(f, *args, **kwargs)

    monkeypatch.setattr(torch, "load", load_after_swap)
    out = tmp_path / "pred.csv"
    assert main(["predict", "--graph", str(GML), "--model", str(model), "--out", str(out)]) == 0
    monkeypatch.undo()
    reference = tmp_path / "reference.csv"
    assert main(["predict", "--graph", str(GML), "--model", str(saved_model), "--out", str(reference)]) == 0
    assert out.read_text() == reference.read_text()


@pytest.mark.parametrize("argv,option", [
    (["train", "--graph", "", "--feature-attrs", "x", "--label-attr", "community"], "--graph"),
    (["train", "--graph", str(EDGES), "--features", "", "--labels", str(LABELS)], "--features"),
    (["train", "--graph", str(EDGES), "--features", str(FEATS), "--labels", ""], "--labels"),
    (["predict", "--graph", str(GML), "--model", "", "--out", "-"], "--model"),
])
def test_an_empty_input_path_is_named_as_given(argv, option, capsys):
    """``Path("")`` is the current folder: the messages said ".: not a file" or named no value."""
    err = usage_error(argv, capsys)
    assert f"argument {option}: invalid value '': an empty path; give a" in err, err


@pytest.mark.parametrize("keep", ["loaded", "kept", "loaded gcn"])
def test_a_loaded_or_kept_model_propagates_over_each_graph_it_is_given(saved_model, keep, tmp_path):
    """load_model built a cached=True model: called on a second graph of the same size, it returned the
    first graph's outputs (47 of 300 classes wrong in a review's run); run_one(keep_model=True) too."""
    data = load_graph(GML, feature_attrs=["x"])
    labels = load_labels(data, label_attr="community")
    if keep == "loaded gcn":  # (a baseline: the ecosystem's GCNConv, built cached)
        saved_model = tmp_path / "gcn.pt"
        assert main(["train", "--backend", ANY, *GML_ARGS, "--model", "gcn", "--epochs", "1", "--threads", "1",
                     "--save", str(saved_model)]) == 0
    if keep.startswith("loaded"):
        model = load_model(saved_model).model
    else:
        ds = node_dataset(data, ANY, labels, split_masks(labels))
        model = run_one(ANY, ds, preset("pign").with_(epochs=2), seed=0, keep_model=True)[2].eval()
    first_graph = node_dataset(data, ANY).graph
    edges = data.edge_index
    data.edge_index = edges[:, torch.arange(edges.size(1)) % 3 != 0]  # the same nodes, fewer edges
    second_graph = node_dataset(data, ANY).graph
    with torch.no_grad():
        first = forward(model, data.x, first_graph)
        second = forward(model, data.x, second_graph)
        assert not torch.allclose(first, second)
        if keep.startswith("loaded"):  # what a model loaded for that graph alone gives
            assert torch.allclose(second, forward(load_model(saved_model).model, data.x, second_graph), atol=1e-6)


def test_a_version_1_file_with_contraction_and_a_layer_dropout_is_warned_about(saved_model, tmp_path):
    """Eval mode under contraction= now counts the layer's own dropout in the weight's bound, as training
    does: a model saved before predicts otherwise than it was validated, which the user is told."""
    path = tmp_path / "paper.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, "--preset", "paper", "--contraction", "0.5", "--epochs", "1",
                 "--threads", "1", "--save", str(path)]) == 0
    record = torch.load(path, weights_only=True)
    assert record["version"] == 2
    assert torch.load(saved_model, weights_only=True)["version"] == 1  # (unchanged models: read by earlier versions)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        load_model(path)
    record["version"] = 1
    torch.save(record, tmp_path / "old.pt")
    with pytest.warns(UserWarning, match=r"old.pt: saved by an earlier version, whose eval mode rescaled the weight "
                                         r"under contraction= .* predictions may differ .* train it again"):
        load_model(tmp_path / "old.pt")


def test_a_reader_that_closes_the_standard_output_ends_predict_quietly(tmp_path, capsys, monkeypatch):
    """``predict --out - | head -3`` ended with "error: could not write -: Broken pipe"."""
    model = tmp_path / "model.pt"
    assert main(["train", "--backend", ANY, *GML_ARGS, *FAST, "--save", str(model)]) == 0
    capsys.readouterr()

    def closed(*args, **kwargs):
        raise BrokenPipeError(32, "Broken pipe")

    monkeypatch.setattr("iterative_gnn.cli._write_predictions", closed)
    assert main(["predict", "--graph", str(GML), "--model", str(model), "--out", "-"]) == 128 + 13  # SIGPIPE's
    assert capsys.readouterr().err == ""
    # a file (a FIFO whose reader left) is a write that failed, named as such
    assert main(["predict", "--graph", str(GML), "--model", str(model), "--out", str(tmp_path / "p.csv")]) == 1
    assert "error: could not write" in capsys.readouterr().err
