"""The ``iterative-gnn`` command-line tool (also ``python -m iterative_gnn``).

Subcommands: ``train`` (one model, several seeds; on a dataset or on the user's own graph file, whose
model ``--save`` keeps), ``predict`` (a saved model's classes for every node of a graph file),
``reproduce`` (the paper's experiments, CSV and PNG files) and ``chains`` (the long-range chains
benchmark). Every one takes ``--backend pyg|dgl``.
"""
from __future__ import annotations

import argparse
import contextlib
import csv
import io
import math
import os
import shlex
import statistics
import sys
import time
import warnings
from pathlib import Path
from typing import Any, Callable, NoReturn, Optional, Sequence

import torch
from iterative_core import resolve_activation
from iterative_core._keys import closest
from iterative_core.checks import INDEX_MAX
from iterative_core.validation import NonFiniteFeaturesError

from . import backends
from .backends import BACKENDS, MODELS
from .configs import PIGN_PRESETS, RunConfig, build_model, chains_models, preset, run_one
from .data import DATASETS, DatasetUnavailable, add_feature_noise, cache_dir, load_node_dataset, planetoid_available
from .data import ENV_VAR, PLANETOID, planetoid_raw_complete, resolve_root, to_device, writable_root
from .model_io import (ModelFileError, model_from_record, open_file_link, read_model_file, renamed_over, save_model,
                       write_whole)
from .reproduce import EXPERIMENTS, OUTPUT_FILES, QUICK_EXPERIMENTS, Runner, Settings
from .reproduce import VARIANT_HELP, covered_extras, machine, model_config, percent, quick_settings, report
from .reproduce import write_csv, write_rows
from .train import (MAX_LR, ConvergenceTally, TrainingDiverged, convergence_watch, evaluate, filter_torch_notices,
                    overflow_message, overflow_option)
from .user_graph import DIRECTIONS, FORMATS, GraphData, GraphInputError, load_graph, load_labels, node_dataset
from .user_graph import missing_looking, split_masks


# ------------------------------------------------------------------------------------------------ option types
# argparse ``type=`` functions: a bad value is a usage error (exit 2) naming the option, the value
# and what is valid, before any work.
def _number(text: str, convert: Callable[[str], Any], ok: Callable[[Any], bool], valid: str):
    try:
        v = convert(text)
    except ValueError:
        v = None
    if v is None or (isinstance(v, float) and math.isnan(v)) or not ok(v):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {valid}")
    return v




def positive_int(text: str) -> int:
    """A whole number >= 1 (and at most torch's index range, ``INDEX_MAX``: beyond
    it a count failed inside torch with a traceback)."""
    return _number(text, int, lambda v: 1 <= v <= INDEX_MAX, "a whole number >= 1 (at most 2**63 - 1)")


#: the most CPU threads --threads takes: far more than any machine's cores (OpenMP failed to create
#: 40000 and the process died of a segmentation fault)
MAX_THREADS = 1024


def thread_count(text: str) -> int:
    """A whole number of CPU threads, 1 to :data:`MAX_THREADS`."""
    return _number(text, int, lambda v: 1 <= v <= MAX_THREADS, f"a whole number from 1 to {MAX_THREADS}")


def positive_float(text: str) -> float:
    """A finite number > 0."""
    return _number(text, float, lambda v: 0 < v < math.inf, "a number > 0")


def learning_rate(text: str) -> float:
    """A number > 0 whose steps float32 holds (the optimizer computes them in the parameters' dtype)."""
    return _number(text, float, lambda v: 0 < v <= MAX_LR, "a number > 0 and at most 3.4e37 (Adam's first step, ten "
                                                         "times it, must stay within float32's range)")


def nonneg_float(text: str) -> float:
    """A finite number >= 0."""
    return _number(text, float, lambda v: 0 <= v < math.inf, "a number >= 0")


def fraction(text: str) -> float:
    """A number in [0, 1]."""
    return _number(text, float, lambda v: 0 <= v <= 1, "a number in [0, 1]")


def fraction_below_one(text: str) -> float:
    """A number in [0, 1)."""
    return _number(text, float, lambda v: 0 <= v < 1, "a number in [0, 1)")


def nonneg_int(text: str) -> int:
    """A whole number >= 0 (and at most torch's index range, ``INDEX_MAX``)."""
    return _number(text, int, lambda v: 0 <= v <= INDEX_MAX, "a whole number >= 0 (at most 2**63 - 1)")


def seed_value(text: str) -> int:
    """A seed: a whole number from 0 to 2**64 - 1 (``torch.Generator.manual_seed``'s range)."""
    return _number(text, int, lambda v: 0 <= v < 2 ** 64, "a whole number from 0 to 2**64 - 1")


def open_fraction(text: str) -> float:
    """A number in (0, 1)."""
    return _number(text, float, lambda v: 0 < v < 1, "a number in (0, 1)")


def int_at_least_two(text: str) -> int:
    """A whole number >= 2."""
    return _number(text, int, lambda v: v >= 2, "a whole number >= 2")


def fraction_above_zero(text: str) -> float:
    """A number in (0, 1]."""
    return _number(text, float, lambda v: 0 < v <= 1, "a number in (0, 1]")


def device(text: str) -> str:
    """A torch device that exists here: ``cpu``, ``cuda``, ``cuda:<index>`` or ``mps``."""
    try:
        dev = torch.device(text)
    except (RuntimeError, ValueError):
        dev = None
    if dev is None or dev.type not in ("cpu", "cuda", "mps"):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected cpu, cuda, cuda:<index> or mps")
    if dev.type == "cpu" and dev.index not in (None, 0):  # (torch takes any index as the one CPU)
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: the CPU is one device here, cpu (or cpu:0)")
    if dev.type == "cuda":
        n = torch.cuda.device_count() if torch.cuda.is_available() else 0
        if n == 0:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: no CUDA device is available here; use cpu")
        if dev.index is not None and dev.index >= n:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: valid CUDA devices here: cuda:0 to cuda:{n - 1}")
    if dev.type == "mps" and not torch.backends.mps.is_available():
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: no MPS device is available here; use cpu")
    return text


def activation(text: str) -> str:
    """An activation of ``iterative_core`` by name."""
    try:
        resolve_activation(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: {exc}")
    return text


def model_key(text: str) -> str:
    """A model of ``reproduce``: gcn, appnp, gcn2 or pign-<preset>, optionally with a variant (``:wd0``,
    ``:cr``, ``:cr0``)."""
    try:
        model_config(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected {_MODEL_KEYS}")
    return text


def model_at_depth(text: str) -> tuple[str, int]:
    """``model@depth``, e.g. ``pign-default@8``."""
    model, at, depth = text.partition("@")
    if not at:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected model@depth, e.g. pign-default@8")
    return model_key(model), positive_int(depth)


def comma_list(item: Callable[[str], Any], expected: str, allow_empty: bool = False) -> Callable[[str], tuple]:
    """A type for a comma list of ``item`` values, each given once (a repeated run would count as
    another seed)."""

    def parse(text: str) -> tuple:
        values = [v.strip() for v in text.split(",") if v.strip()]
        if not values and not allow_empty:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a comma list of {expected}")
        out = []
        for v in values:
            try:
                out.append(item(v))
            except argparse.ArgumentTypeError:
                which = f"{v!r} is not valid; " if len(values) > 1 else ""
                raise argparse.ArgumentTypeError(f"invalid value {text!r}: {which}expected a comma list of {expected}"
                                                 + (" (depths >= 1)" if expected == "model@depth" else ""))
        for i, value in enumerate(out):
            if value in out[:i]:
                first = values[out.index(value)]
                twice = f"{first!r} is given twice" if first == values[i] else f"{values[i]!r} repeats {first!r}"
                raise argparse.ArgumentTypeError(f"invalid value {text!r}: {twice}; expected a comma list of "
                                                 f"{expected}, each once")
        return tuple(out)

    return parse


def choice(valid: Sequence[str]) -> Callable[[str], str]:
    """A type for one of ``valid`` (as argparse's ``choices``, usable inside :func:`comma_list`)."""

    def parse(text: str) -> str:
        if text not in valid:
            raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected one of {', '.join(valid)}")
        return text

    return parse


def output_file(text: str, example: str = "results.csv") -> str:
    """A file path that can be written (checked now, not after the training), or ``-``: the standard
    output."""
    problem = None if text == "-" else (_path_problem(text, folder=False, example=example)
                                        or _write_problem(Path(text), folder=False))
    if problem:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: {problem}")
    return text


def model_output(text: str) -> str:
    """A model file to write (:func:`output_file`, but not the standard output)."""
    if text == "-":
        raise argparse.ArgumentTypeError("invalid value '-': a model file is binary, not for the standard output; "
                                         "give a file path (predict reads it with --model FILE)")
    return output_file(text, example="model.pt")


def output_folder(text: str) -> str:
    """A folder that exists and can be written into, or can be created."""
    problem = _path_problem(text, folder=True) or _write_problem(Path(text), folder=True)
    if problem:
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: {problem}")
    return text


def _path_problem(text: str, folder: bool, example: str = "results.csv") -> Optional[str]:
    """Why ``text`` is no path of a file (a folder when ``folder``), or None: ``Path`` reads ``""`` as
    the current folder and drops a final ``/``, so that ``--csv out/`` would write a file ``out``.
    ``example``: a file name for the message's suggestion."""
    if not text:
        return f"an empty path; give a {'folder, for example results' if folder else 'file path'}"
    seps = tuple(c for c in (os.sep, os.altsep) if c)
    if not folder and (text.endswith(seps) or Path(text).name in ("", ".", "..")):
        return f"names a folder, not a file; give a file path, for example {os.path.join(text, example)}"
    return None


def _write_problem(path: Path, folder: bool) -> Optional[str]:
    """Why ``path`` (a file, or a folder when ``folder``) cannot be written, or None. A file is
    written as :func:`~iterative_gnn.model_io.write_whole` writes it: a symbolic link's file, in its
    folder; a named pipe or a device, in place."""
    if path.exists() and path.is_dir() != folder:
        return f"{path} is {'a file' if folder else 'a folder'}, not {'a folder' if folder else 'a file'}"
    link = None if folder else open_file_link(path)
    if link is not None:
        return (f"{path} is a link to an open file of this process ({link}), which the output would replace or "
                "truncate; give - for the standard output (where the option takes it), or a file path")
    target = path if folder else renamed_over(path)
    if target is None:  # a named pipe or a device, written in place: its folder is not written
        return None if os.access(path, os.W_OK) else f"{path} is not writable"
    if target.exists():
        where = target if folder else target.parent
        if not os.access(target, os.W_OK) or not os.access(where, os.W_OK):
            return f"{path} is not writable"
        return None
    above = target.parent
    while not above.exists() and above != above.parent:
        above = above.parent
    if not above.is_dir():
        return f"cannot create {path}: {above} is a file, not a folder"
    if not os.access(above, os.W_OK):
        return f"cannot create {path}: {above} is not writable"
    return None


_MODEL_KEYS = (f"gcn, appnp, gcn2, pign or pign-<preset> ({', '.join(PIGN_PRESETS)}), "
               f"each optionally with a variant {VARIANT_HELP}")
_POSITIVE_INTS = "whole numbers >= 1"


def _usage_error(args: argparse.Namespace, message: str) -> NoReturn:
    """Exit as argparse does on a bad option: the subcommand's usage and the message on stderr, code 2."""
    args.parser.error(message)


def _write_failed(args: argparse.Namespace, path, exc: Exception) -> int:
    """A file or folder that passed the check before the run could not be written (the disk full,
    the permissions changed, a special file system): one line on stderr, code 1."""
    reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
    print(f"{args.parser.prog}: error: could not write {path}: {reason}", file=sys.stderr)
    return 1


def _progress_bar(total: int, desc: str, enabled: bool = True, unit: str = "epoch"):
    """A progress bar on stderr, or None: without tqdm, with ``--no-progress`` (``enabled`` False) or
    when stderr is not a terminal. It is cleared when closed; write lines with :func:`_write_line`
    while it shows."""
    if not enabled or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:  # the bar is a convenience: without tqdm, none
        return None
    return tqdm(total=total, desc=desc, unit=unit, leave=False, file=sys.stderr)


def _epoch_update(bar) -> Optional[Callable[[int, float], None]]:
    """The ``progress(epoch, loss)`` callback of training that moves ``bar`` (None without a bar)."""
    if bar is None:
        return None

    def update(epoch: int, loss: float) -> None:
        bar.update(1)
        bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

    return update


def _write_line(msg: str, bar=None, file=None) -> None:
    """Print ``msg`` (to stdout by default) without garbling ``bar``: the bar is cleared, the line
    written, the bar drawn again."""
    file = file or sys.stdout
    if bar is None:
        print(msg, file=file, flush=True)
    else:
        bar.write(msg, file=file)
        file.flush()


def _set_threads(n: Optional[int]) -> None:
    if n:
        torch.set_num_threads(n)


# ------------------------------------------------------------------------------------------------ train
_CONV_FLAGS = {  # CLI dest -> PIGNConv keyword
    "smoothing": "smoothing", "solver": "solver", "grad": "grad", "tol": "tol", "contraction": "contraction",
    "act": "act", "alpha": "alpha", "beta": "beta", "inject_input": "inject_input", "conv_dropout": "conv_dropout",
    "eval_iterations": "eval_iterations",
}
_TRAIN_FLAGS = ("hidden", "dropout", "input_dropout", "lr", "weight_decay", "epochs", "consistency",
                "consistency_samples", "consistency_temperature")


def _preset_name(args: argparse.Namespace) -> str:
    """The PIGN preset given, else the default one: ``best`` (chosen on Cora and CiteSeer) for those
    datasets, ``default`` (the library's defaults, which hold on heterophilous graphs too) for a
    user's graph, whose kind is unknown, and the chains benchmark's own on chains."""
    if args.preset is not None:
        return args.preset
    if args.dataset == "chains":
        return "chains"
    return "default" if getattr(args, "graph", None) is not None else "best"


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The preset (PIGN) or baseline configuration, with every option given on the command line applied."""
    if args.dataset == "chains" and args.preset is None:
        cfgs = chains_models(args.length)
        cfg = cfgs["pign"] if args.model == "pign" else cfgs["gcn"].with_(model=args.model)
    else:
        cfg = preset(args.model, _preset_name(args) if args.model == "pign" else None)
    changes = {k: getattr(args, k) for k in _TRAIN_FLAGS if getattr(args, k) is not None}
    if args.iterations is not None:
        changes["depth"] = args.iterations
    conv = {}
    if args.model == "pign":
        conv = {kw: getattr(args, dest) for dest, kw in _CONV_FLAGS.items() if getattr(args, dest) is not None}
    else:
        given = [dest for dest in (*_CONV_FLAGS, "preset") if getattr(args, dest) is not None]
        if given:
            _usage_error(args, f"argument --{given[0].replace('_', '-')}: applies to --model pign only")
    cfg = cfg.with_(conv=conv, **changes)
    if not cfg.consistency:
        given = [d for d in ("consistency_samples", "consistency_temperature") if getattr(args, d) is not None]
        if given:
            _usage_error(args, f"argument --{given[0].replace('_', '-')}: has no effect without --consistency "
                               "(a weight > 0; consistency is off)")
    return cfg


def _check_builds(args: argparse.Namespace, cfg: RunConfig) -> None:
    """Refuse, before any data is read, options that build no model together: with the chains' preset
    (which never stops before a chain's length, ``min_iter``) fewer iterations than that, or any
    other pair that the model's own checks refuse (a traceback after the data was loaded)."""
    floor = cfg.conv.get("min_iter") if cfg.model == "pign" and args.dataset == "chains" else None
    if floor is not None:
        for option, value in (("--iterations", cfg.depth), ("--eval-iterations", cfg.conv.get("eval_iterations"))):
            if value is not None and value < floor:
                _usage_error(args, f"argument {option}: {value} is fewer than the {floor} steps the chains of length "
                                   f"{args.length} need (the label crosses one node per step: the model never stops "
                                   f"before them); give {option} {floor} or more, or a shorter --length")
    if args.model != "pign" or backends.backend_problem(args.backend) is not None:
        return  # (a baseline's options are checked by argparse; a missing backend is said where it is loaded)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            build_model(args.backend, cfg, 1, 2, sparse_input=False)
    except (TypeError, ValueError) as exc:
        _usage_error(args, f"the options given do not build a model: {exc}")


def _load(args: argparse.Namespace, noise_seed: int = 0):
    kwargs = {"length": args.length} if args.dataset == "chains" else {}
    ds = load_node_dataset(args.dataset, args.backend, args.data_root, **kwargs)
    if args.noise:
        ds = add_feature_noise(ds, args.noise, seed=1000 + noise_seed)
    return to_device(ds, torch.device(args.device))


_GRAPH_ONLY = ("format", "direction", "feature_attrs", "features", "label_attr", "labels", "split_attr",
               "train_fraction", "val_fraction", "split_seed", "save")
_DATASET_ONLY = ("dataset", "data_root", "length", "noise")


def _check_graph_options(args: argparse.Namespace) -> None:
    """The options of ``--graph`` and of ``--dataset`` are not mixed; the split is given once."""
    if args.graph is None:
        given = [d for d in _GRAPH_ONLY if getattr(args, d) is not None]
        if given:
            _usage_error(args, f"argument --{given[0].replace('_', '-')}: applies to --graph only")
        args.dataset = args.dataset or "cora"
        if args.length is not None and args.dataset != "chains":
            _usage_error(args, f"argument --length: applies to --dataset chains only, not to {args.dataset}")
        args.length = 50 if args.length is None else args.length
        if args.data_root is not None and args.dataset in ("karate", "chains"):
            _usage_error(args, f"argument --data-root: --dataset {args.dataset} is made in code and reads no "
                               "files; the data root applies to cora, citeseer and pubmed")
        return
    given = [d for d in _DATASET_ONLY if getattr(args, d)]
    if given[:1] == ["dataset"]:
        _usage_error(args, "argument --dataset: not with --graph: train on a dataset by name or on your own graph")
    if given:
        _usage_error(args, f"argument --{given[0].replace('_', '-')}: applies to --dataset only, not to --graph")
    if args.split_attr is not None:
        given = [d for d in ("train_fraction", "val_fraction", "split_seed") if getattr(args, d) is not None]
        if given:
            _usage_error(args, f"argument --{given[0].replace('_', '-')}: not with --split-attr, which gives the split")
    train_f = 0.6 if args.train_fraction is None else args.train_fraction
    val_f = 0.2 if args.val_fraction is None else args.val_fraction
    if train_f + val_f > 1:
        _usage_error(args, f"argument --val-fraction: invalid value {val_f!r}: --train-fraction {train_f} and "
                           f"--val-fraction {val_f} add up to more than 1")


def _read_user_graph(args: argparse.Namespace, direction: str, feature_attrs=None,
                     feature_columns=None, direction_origin: str = "which is the default") -> GraphData:
    """``--graph`` with its features; bad input is a usage error naming the option, file and place.
    ``direction_origin``: where ``direction`` came from, as the messages say it."""
    try:
        data = load_graph(args.graph, fmt=args.format, direction=direction,
                          feature_attrs=feature_attrs if args.features is None else None,
                          features_csv=args.features, feature_columns=feature_columns,
                          direction_origin=direction_origin)
    except GraphInputError as exc:
        _usage_error(args, f"argument {exc.option}: {exc}")
    _note_outlying_feature(data)
    return data


#: a feature value is noted as an outlier when its magnitude is at least this large ...
OUTLIER_FLOOR = 1e15
#: ... and at least this many times its column's median magnitude
OUTLIER_RATIO = 1e12


def _note_outlying_feature(data: GraphData) -> None:
    """Say (on the standard error) where a feature value is beyond :data:`OUTLIER_FLOOR` and at least
    :data:`OUTLIER_RATIO` times its column's median magnitude: such a value (a mistyped 1e20 among ones)
    spreads through the graph, and the predictions of every node it reaches then follow it alone. One
    pass over the features; a column is read again only where it holds such a value."""
    x = data.x.detach()
    if not x.numel() or not x.is_floating_point():
        return
    peak = torch.maximum(x.amax(0), -x.amin(0))  # (no copy of the features)
    for column in torch.nonzero(peak >= OUTLIER_FLOOR).flatten().tolist():
        values = x[:, column].double().abs()
        median = float(values.median())
        node = int(values.argmax())
        if float(values[node]) >= OUTLIER_RATIO * median:
            print(f"note: node {data.ids[node]!r}, feature {data.feature_names[column]!r} is {float(x[node, column]):.3g}, "
                  f"while the feature's median magnitude is {median:.3g}: the nodes it reaches through the graph will "
                  "follow it alone; check the value, or standardise each column", file=sys.stderr)
            return


def _load_user_dataset(args: argparse.Namespace):
    """``--graph`` with features, labels and split: ``(NodeDataset, GraphData, Labels, how the split was made)``."""
    if args.feature_attrs is None and args.features is None:
        _usage_error(args, "argument --graph: expected the node features from node attributes "
                           "(--feature-attrs a,b,c) or from a CSV file keyed by node id (--features FILE)")
    if args.feature_attrs is not None and args.features is not None:
        _usage_error(args, "argument --features: not with --feature-attrs; the features come from one of the two")
    if args.label_attr is None and args.labels is None:
        _usage_error(args, "argument --graph: expected the labels from a node attribute (--label-attr NAME) or "
                           "from a CSV file keyed by node id (--labels FILE)")
    _check_graph_not_a_table(args)
    _check_labels_not_features(args)
    data = _read_user_graph(args, args.direction or "undirected", args.feature_attrs,
                            direction_origin="which is given" if args.direction else "which is the default")
    try:
        labels = load_labels(data, label_attr=args.label_attr, labels_csv=args.labels, split_attr=args.split_attr)
        seed = args.split_seed or 0
        masks = split_masks(labels, train_fraction=0.6 if args.train_fraction is None else args.train_fraction,
                            val_fraction=0.2 if args.val_fraction is None else args.val_fraction, seed=seed)
    except GraphInputError as exc:
        _usage_error(args, f"argument {exc.option}: {exc}")
    how = f"given by {args.split_attr!r}" if labels.split is not None else f"stratified, seed {seed}"
    ds = to_device(node_dataset(data, args.backend, labels, masks), torch.device(args.device))
    return ds, data, labels, how


def _note_implicit_away_from_fixed_point(cfg: RunConfig, infos: list) -> None:
    """Implicit gradients without a ``tol``: the training does not warn at every step (the runs report
    their convergence), so say here when the last iterate was not a fixed point, at which the implicit
    gradient is taken."""
    conv = cfg.conv if cfg.model == "pign" else {}
    if conv.get("grad") != "implicit" or conv.get("tol") is not None or not infos or not infos[-1]:
        return
    residuals = [float(i["final_residual"]) for i in infos]
    bound = float(conv.get("backward_tol") or 1e-4)
    if any(not r <= bound for r in residuals):  # NaN included, wherever it is
        worst = max((r for r in residuals if not r <= bound), key=lambda r: (math.isnan(r), r))
        print(f"note: --grad implicit takes the gradient at a fixed point, but without --tol the iteration "
              f"stopped at a relative residual of {worst:.2e} (above {bound:g}): the gradients were not those "
              "of a fixed point; pass --tol with enough --iterations, or use --grad unrolled", file=sys.stderr)


def _data_error(args: argparse.Namespace, exc: Exception, log: Optional[Callable[..., None]] = None) -> int:
    """Say that a dataset cannot be loaded (on the standard error, or through ``log``'s error stream)
    as argparse says a usage error, and give the exit status: 2."""
    message = f"{args.parser.prog}: error: {exc}"
    if log is None:
        print(message, file=sys.stderr)
    else:
        log(message, err=True)
    return 2


def _check_outputs(args: argparse.Namespace, outputs: Sequence[str], inputs: Sequence[str]) -> None:
    """No output file is one of the inputs or another output: writing it would destroy what was read,
    or what was written first."""
    seen: dict[Path, str] = {}
    for opt in (*inputs, *outputs):
        value = getattr(args, opt.lstrip("-").replace("-", "_"), None)
        if value is None or (value == "-" and opt in outputs):  # (-: the standard output)
            continue
        path = Path(value).resolve()
        if path in seen and opt in outputs:
            _usage_error(args, f"argument {opt}: {value} is also the {seen[path]} "
                               f"{'input' if seen[path] in inputs else 'output'}; writing it would replace "
                               "that file: choose another path")
        seen.setdefault(path, opt)


def _check_graph_not_a_table(args: argparse.Namespace) -> None:
    """The graph file is not the features or labels file: read as an edge table, its first two columns
    would become the graph's edges (node ids joined to feature values)."""
    graph = Path(args.graph).resolve()
    for option in ("--features", "--labels"):
        value = getattr(args, option.lstrip("-"), None)
        if value is not None and Path(value).resolve() == graph:
            _usage_error(args, f"argument --graph: {args.graph} is also the {option} file, a table keyed by node id; "
                               "the graph file gives the edges: give them in a file of their own (e.g. an edge "
                               "table, a .csv whose first line is source,target)")


def _check_labels_not_features(args: argparse.Namespace) -> None:
    """A model that reads its labels among its features scores 100% and has learnt nothing (checked
    before the graph is read)."""
    if args.feature_attrs is not None and args.labels is None and args.label_attr in args.feature_attrs:
        _usage_error(args, f"argument --feature-attrs: holds {args.label_attr!r}, the labels' attribute (--label-attr): "
                           "the model would read each node's label among its features; leave it out")
    if (args.features is not None and args.labels is not None
            and Path(args.features).resolve() == Path(args.labels).resolve()):
        _usage_error(args, f"argument --features: {args.features} is also the --labels file: every column of a "
                           "features file is a feature, so the labels would be one and the model would read each "
                           "node's label; give the features in a file without the labels")


def _describe_graph(data: GraphData) -> str:
    edges = data.edge_index.size(1) // (1 if data.directed else 2)
    loops = f", {data.self_loops} self-loop(s) dropped" if data.self_loops else ""
    if data.weighted_edges:
        loops += (f", the weights of {data.weighted_edges} edge(s) not used (the models see the graph "
                  f"unweighted)")
    naming = f" ({data.naming})" if data.naming else ""
    kind = "directed" if data.directed else "undirected"
    return (f"{_count(data.num_nodes, 'node')}{naming}, {_count(edges, kind + ' edge')}{loops}, "
            f"{_count(len(data.feature_names), 'feature')}")


def _count(n: int, noun: str) -> str:
    """``1 node``, ``3 nodes``."""
    return f"{n} {noun}{'' if n == 1 else 's'}"


def _percent(acc: float) -> str:
    return "n/a" if math.isnan(acc) else f"{percent(acc)}%"


def cmd_train(args: argparse.Namespace) -> int:
    if args.csv == "-":  # the rows on the standard output, what the run says on the standard error
        rows_out = sys.stdout
        with contextlib.redirect_stdout(sys.stderr):
            return _train(args, rows_out)
    return _train(args)


def _train(args: argparse.Namespace, rows_out=None) -> int:
    """``train``; the rows of ``--csv -`` go to ``rows_out``."""
    _check_graph_options(args)
    _check_outputs(args, ("--csv", "--save"), ("--graph", "--features", "--labels"))
    _set_threads(args.threads)
    cfg = config_from_args(args)
    _check_builds(args, cfg)
    data = labels = None
    if args.graph is not None:
        base, data, labels, how = _load_user_dataset(args)
        n_lab = int(labels.labelled.sum())
        print(f"[{args.backend}] {base.name}: {_describe_graph(data)}; {n_lab} labelled nodes ({labels.source}) in "
              f"{base.num_classes} classes ({', '.join(labels.class_names)}), {base.num_nodes - n_lab} to predict; "
              f"{int(base.train_mask.sum())}/{int(base.val_mask.sum())}/{int(base.test_mask.sum())} "
              f"train/val/test ({how}); {cfg.describe()}")
        untrained = [labels.class_names[c] for c in range(base.num_classes)
                     if not bool((base.y[base.train_mask] == c).any())]
        looking = missing_looking(labels.class_names)
        if looking:
            print(f"note: the label(s) {', '.join(map(repr, looking))} are read as classes; leave the cell or "
                  f"attribute empty for a node without a label", file=sys.stderr)
        if untrained:
            print(f"note: no training node of class(es) {', '.join(untrained)}: the model cannot learn to predict "
                  f"them (give each class a training node)", file=sys.stderr)
    else:
        try:
            base = _load(args)
        except DatasetUnavailable as exc:
            return _data_error(args, exc)
        print(f"[{args.backend}] {base.name}: {base.num_nodes} nodes, {base.num_classes} classes, "
              f"{int(base.train_mask.sum())}/{int(base.val_mask.sum())}/{int(base.test_mask.sum())} train/val/test; "
              f"{cfg.describe()}")
    accs, vals, infos, rows = [], [], [], []
    tally = ConvergenceTally()
    best = None  # (validation accuracy, seed, model, result) of the model --save keeps
    for seed in range(args.seeds):
        ds = _load(args, seed) if args.noise else base
        bar = _progress_bar(cfg.epochs, f"seed {seed}", enabled=not args.no_progress)
        try:
            with convergence_watch() as warned:
                res, secs, model = run_one(args.backend, ds, cfg, seed, progress=_epoch_update(bar),
                                           keep_model=args.save is not None)
        except TrainingDiverged as exc:
            if bar is not None:
                bar.close()
                bar = None
            print(f"{args.parser.prog}: error: seed {seed}: {exc} ({exc.option})", file=sys.stderr)
            return 1
        finally:
            if bar is not None:
                bar.close()
        tally.add(warned, res.info, iterative=args.model == "pign")
        if model is not None and (best is None or res.val_acc > best[0]):
            best = (res.val_acc, seed, model, res)
        accs.append(res.test_acc)
        vals.append(res.val_acc)
        infos.append(res.info)
        rows.append({"backend": args.backend, "dataset": base.name, "model": args.model,
                     "preset": _preset_name(args) if args.model == "pign" else "", "noise": args.noise, "seed": seed,
                     "depth": cfg.depth, "test_acc": res.test_acc, "val_acc": res.val_acc,
                     "best_epoch": res.best_epoch, "seconds": secs,
                     **({k: res.info[k] for k in ("iterations", "final_residual", "contraction_factor")}
                        if res.info else {})})
        if args.seeds > 1:
            print(f"  seed {seed}: test {_percent(res.test_acc)}, val {_percent(res.val_acc)} "
                  f"(best epoch {res.best_epoch}, {secs:.1f}s)")
    name = f"PIGN[{_preset_name(args)}]" if args.model == "pign" \
        else args.model.upper()
    if bool(base.test_mask.any()):
        std = statistics.stdev(accs) if len(accs) > 1 else 0.0
        result = f"test accuracy {percent(statistics.mean(accs))} ± {percent(std)}%"
    else:
        result = "no test nodes"
    print(f"[{args.backend}] {base.name} {name} (depth {cfg.depth}): {result} "
          f"over {args.seeds} seed(s) (validation {percent(statistics.mean(vals))}%)")
    if infos[-1]:
        its = [i["iterations"] for i in infos]
        res_ = [i["final_residual"] for i in infos]
        qs = [i["contraction_factor"] for i in infos]
        last = infos[-1]
        print(f"[{args.backend}] iteration at evaluation: {statistics.mean(its):.0f} iterations, status "
              f"{last['status']}, final relative residual {statistics.mean(res_):.2e}, "
              f"contraction factor {statistics.mean(qs):.3f} (mean over seeds)")
    if tally.failed:
        print(f"[{args.backend}] convergence: {tally.describe('seeds' if tally.runs > 1 else 'seed')}")
    _note_implicit_away_from_fixed_point(cfg, infos)
    if rows_out is not None:
        write_rows(rows_out, rows)
        print(f"wrote the standard output: {len(rows)} row(s), one per seed")
    elif args.csv:
        try:
            print(f"wrote {write_csv(Path(args.csv), rows)}")
        except OSError as exc:
            return _write_failed(args, args.csv, exc)
    if args.save:
        val, seed, model, res = best
        features = ({"source": "attrs", "attrs": list(args.feature_attrs), "names": data.feature_names}
                    if args.features is None else {"source": "csv", "attrs": None, "names": data.feature_names})
        try:
            path = save_model(args.save, model, backend=args.backend, config=cfg, in_channels=base.x.size(1),
                              class_names=labels.class_names, features=features,
                              direction=args.direction or "undirected",
                              training={"graph": str(data.path), "seed": seed, "best_epoch": res.best_epoch,
                                        "val_acc": res.val_acc, "test_acc": res.test_acc})
        except (OSError, RuntimeError) as exc:
            if isinstance(exc, RuntimeError) and "file" not in str(exc):
                raise  # torch.save reports a failed open or write as a RuntimeError naming the file; not others
            return _write_failed(args, args.save, exc)
        print(f"wrote {path} (the model of seed {seed}, validation {_percent(val)}"
              + (f" of {args.seeds} seeds" if args.seeds > 1 else "") + ")")
    return 0


# ------------------------------------------------------------------------------------------------ predict
def _features_for_model(args: argparse.Namespace, record: dict) -> tuple:
    """``(feature_attrs, feature_columns)`` to read ``--graph`` with, as the model was trained."""
    feats = record["features"]
    if args.features is not None:  # the trained features by name, the columns of a CSV file or the attributes
        return None, feats["names"]
    if args.feature_attrs is not None:
        # the trained names: the attributes, or the columns of the features file
        given, saved = list(args.feature_attrs), list(feats["attrs"] if feats["source"] == "attrs" else feats["names"])
        if sorted(given) == sorted(saved):
            return saved, None  # the trained names: read in the trained order
        moved = [a for i, a in enumerate(given) if a in saved and (i >= len(saved) or saved[i] != a)]
        if moved:
            _usage_error(args, f"argument --feature-attrs: {', '.join(moved)} {'is' if len(moved) == 1 else 'are'} "
                               f"at another place than in training ({','.join(saved)}); features are taken by "
                               "position, so give the trained attributes in their order (other names take the "
                               "place of the one they replace)")
        return given, None
    if feats["source"] == "csv":
        _usage_error(args, f"argument --features: the model {args.model} was trained on features from a CSV file "
                           f"(columns {', '.join(feats['names'])}); give the graph's features with --features FILE")
    return feats["attrs"], None


def _attribute_width(names: list[str], attr: str) -> int:
    """How many of the feature ``names`` the attribute ``attr`` gave (``x[0]``, ``x[1]`` for a list)."""
    return sum(1 for n in names if n == attr or (n.startswith(f"{attr}[") and n.endswith("]")))


def _check_replaced_widths(args: argparse.Namespace, attrs: list[str], feats: dict, names: list[str]) -> None:
    """Each attribute read must give as many values per node as the trained one it stands for (itself, or
    the one a ``--feature-attrs`` name replaces): features are taken by position, so one of another width
    shifts every feature after it (a scalar for a 2-number list, then the list for a scalar, passed the
    total width's check)."""
    trained = list(feats["attrs"]) if feats["source"] == "attrs" else list(feats["names"])
    for given, old in zip(attrs, trained):
        now, before = _attribute_width(names, given), _attribute_width(feats["names"], old)
        if now == before:
            continue
        values = f"{now} value{'s' if now != 1 else ''} per node"
        if given == old:
            _usage_error(args, f"argument --feature-attrs: {given} gives {values} in {args.graph}, where it gave {before} "
                               f"in training; features are taken by position, so every feature after it would move")
        _usage_error(args, f"argument --feature-attrs: {given} gives {values} where {old}, the "
                           f"{'attribute' if feats['source'] == 'attrs' else 'column'} it replaces, gave {before} in "
                           "training; features are taken by position, so a replacement must have the width of the one "
                           "it replaces")


def _write_predictions(path: Optional[Path], ids: list[str], class_names: list[str], probs: torch.Tensor) -> Path:
    """One row per node: ``node``, ``predicted`` and ``prob_<class>`` per class; written whole or not
    at all (:func:`~iterative_gnn.model_io.write_whole`); to the standard output when ``path`` is None."""
    pred = probs.argmax(1).tolist()

    def rows(f) -> None:
        w = csv.writer(f)
        w.writerow(["node", "predicted", *(f"prob_{c}" for c in class_names)])
        for i, k, p in zip(ids, pred, probs.tolist()):
            w.writerow([i, class_names[k], *(f"{v:.6g}" for v in p)])

    if path is None:
        rows(sys.stdout)
        return Path("-")

    def write(target: Path) -> None:
        with open(target, "w", newline="", encoding="utf-8") as f:
            rows(f)

    return write_whole(path, write)


def _largest_feature(data: GraphData) -> str:
    """Where the features' largest magnitude is: ``node '6', column 'f0'``."""
    flat = int(data.x.abs().argmax())
    node, column = divmod(flat, data.x.size(1))
    return f"node {data.ids[node]!r}, column {data.feature_names[column]!r}"


def _iteration_problem(info, data: GraphData) -> Optional[str]:
    """Why a PIGN model's outputs on ``data`` are no answer (its iteration at evaluation diverged,
    ``info`` its :class:`~iterative_core.FixedPointInfo`), or None (None for a baseline too)."""
    if info is None or not info.diverged:
        return None
    if info.divergence_reason not in ("residual", "expansive"):  # NaN/Inf with finite parameters and features
        return (overflow_message(data.x, "the model's iteration diverged: its intermediate values hold")
                + f" (the largest is at {_largest_feature(data)})")
    return (f"the model's iteration diverged on these features (relative residual {info.final_residual:.2e} after "
            f"{info.iterations} iterations), so its outputs are no prediction; give the features on the scale of "
            f"those it was trained on (the largest magnitude here is {float(data.x.abs().max()):.3g}, at "
            f"{_largest_feature(data)})")


def cmd_predict(args: argparse.Namespace) -> int:
    _check_outputs(args, ("--out",), ("--model", "--graph", "--features"))
    _set_threads(args.threads)
    if args.feature_attrs is not None and args.features is not None:
        _usage_error(args, "argument --features: not with --feature-attrs; the features come from one of the two")
    _check_graph_not_a_table(args)
    try:
        record = read_model_file(args.model)
    except ModelFileError as exc:
        _usage_error(args, f"argument --model: {exc}")
    given = args.backend is not None
    args.backend = args.backend or record["backend"]
    problem = backends.backend_problem(args.backend)
    if problem:
        if not given and record["config"].get("model") in ("pign", "appnp"):  # these load in either backend
            problem += (f" (the model was saved with {args.backend}; PIGN and APPNP models load in the other backend "
                        f"too: pass --backend {'pyg' if args.backend == 'dgl' else 'dgl'})")
        _usage_error(args, f"argument --backend: invalid value {args.backend!r}: {problem}")
    attrs, columns = _features_for_model(args, record)
    direction = args.direction or record["direction"]
    data = _read_user_graph(args, direction, attrs, columns,
                            "which is given" if args.direction else f"the direction the model {args.model} was trained with")
    if attrs is not None:
        _check_replaced_widths(args, attrs, record["features"], data.feature_names)
    if data.x.size(1) != record["in_channels"]:
        _usage_error(args, f"argument {'--features' if args.features else '--feature-attrs'}: {data.path} gives "
                           f"{data.x.size(1)} features per node ({', '.join(data.feature_names)}); the model "
                           f"{args.model} takes {record['in_channels']} ({', '.join(record['features']['names'])})")
    try:
        saved = model_from_record(record, args.model, backend=args.backend, device=args.device, direction=direction)
    except ModelFileError as exc:
        _usage_error(args, f"argument --model: {exc}")
    ds = to_device(node_dataset(data, args.backend), torch.device(args.device))
    feature_option = "--features" if args.features else "--feature-attrs"
    try:
        with convergence_watch():  # (the iteration's status is read below, in the tool's words)
            logits, info = evaluate(saved.model, ds, return_info=True)
    except NonFiniteFeaturesError:  # a layer refused the NaN/Inf its input became (the features are finite)
        _usage_error(args, f"argument {overflow_option(ds.x, saved.model, feature_option)}: "
                     + overflow_message(ds.x, "the model's intermediate values hold", saved.model))
    if not bool(torch.isfinite(logits).all()):  # a baseline, which has no layer that checks
        _usage_error(args, f"argument {overflow_option(ds.x, saved.model, feature_option)}: "
                     + overflow_message(ds.x, "the model's outputs hold", saved.model))
    problem = _iteration_problem(info, data)
    if problem:
        _usage_error(args, f"argument {feature_option}: {problem}")
    if info is not None and info.status == "max_iter":
        print(f"note: the model's iteration did not reach its tolerance in {info.iterations} iterations (final "
              f"relative residual {float(info.final_residual):.2e}): the predictions are those of its last iterate",
              file=sys.stderr)
    probs = torch.softmax(logits.float(), dim=1).cpu()
    to_stdout = args.out == "-"  # the predictions on the standard output, what it says on the standard error
    try:
        out = _write_predictions(None if to_stdout else Path(args.out), data.ids, saved.class_names, probs)
    except OSError as exc:
        if to_stdout and isinstance(exc, BrokenPipeError):
            raise  # the reader closed the standard output (| head): main() stops quietly (it was "could not write -")
        return _write_failed(args, args.out, exc)
    counts = torch.bincount(probs.argmax(1), minlength=len(saved.class_names)).tolist()
    said = sys.stderr if to_stdout else sys.stdout
    print(f"[{args.backend}] {data.name}: {_describe_graph(data)}; {saved.config.model} model {args.model} "
          f"({len(saved.class_names)} classes)", file=said)
    print(f"wrote {'the standard output' if to_stdout else out}: {data.num_nodes} predictions ("
          + ", ".join(f"{c}: {n}" for c, n in zip(saved.class_names, counts)) + ")", file=said)
    return 0


# ------------------------------------------------------------------------------------------------ reproduce
def _cora_available(root) -> bool:
    if planetoid_available("cora", root):
        return True
    return planetoid_raw_complete(cache_dir() / "pyg" / "planetoid" / "Cora" / "raw", "cora")


def _output_folder(args: argparse.Namespace) -> Path:
    """``--out``, refused when it holds anything and ``--overwrite`` is not given: the results of two
    runs are never mixed."""
    out = Path(args.out)
    if out.is_dir() and any(p.name != _LOCK_NAME for p in out.iterdir()) and not args.overwrite:
        _usage_error(args, f"argument --out: the folder {out} is not empty (the results of an earlier run?); "
                           f"choose another folder, or pass --overwrite to replace the results in it")
    return out


def _data_root_used(root: Optional[str], settings: Settings, backend: str) -> str:
    """Where the run's dataset files were read from: the root and what gave it (``--data-root`` or
    the environment variable), the copy a read-only root was loaded from, or the loaders' default
    location; or that the run reads no files."""
    used = list(settings.datasets) if {"depth", "inference", "residuals"} & set(settings.experiments) else []
    used += list(settings.noise_datasets) if "noise" in settings.experiments else []
    files = [d for d in dict.fromkeys(used) if d in PLANETOID]
    if not files:
        return "none used (every dataset of this run is built in or generated in code)"
    which = ", ".join(files)
    path = resolve_root(root)
    if path is not None:
        given = "--data-root" if root else f"${ENV_VAR}"
        try:
            copy = writable_root(path)  # after the datasets loaded: the copy exists, nothing is copied again
        except OSError:
            copy = path
        read_only = f"; read-only, loaded from its copy {copy}" if copy != path else ""
        return f"{path} (from {given}{read_only}) for {which}"
    if backend == "dgl":
        try:
            from dgl.data.utils import get_download_dir

            where = f"DGL's download folder {get_download_dir()}"
        except ImportError:
            where = "DGL's download folder"
    else:
        where = f"PyG's folder {cache_dir() / 'pyg'}"
    return f"the loaders' default location, {where} (neither --data-root nor ${ENV_VAR} given) for {which}"


def _run_experiments(args: argparse.Namespace, settings: Settings, title: str) -> int:
    out = _output_folder(args)
    runner = Runner(args.backend, settings, out, command=args.command_line)
    try:
        runner.check()  # models and datasets, before any training and before the folder is touched
    except ValueError as exc:
        _usage_error(args, str(exc))
    except DatasetUnavailable as exc:
        return _data_error(args, exc)
    try:  # the check before the run cannot see every refusal (a special file system such as /proc)
        out.mkdir(parents=True, exist_ok=True)
        lock = _lock_folder(out)
    except OSError as exc:
        return _write_failed(args, out, exc)
    if lock is None:
        print(f"{args.parser.prog}: error: another run is writing into {out} (it holds {out / _LOCK_NAME}); wait for it to end, or "
              "choose another --out: two runs in one folder would mix their files", file=sys.stderr)
        return 2
    try:
        return _run_in_folder(args, settings, title, runner, out)
    finally:
        _unlock_folder(out, lock)


#: the file a run holds locked in its folder while it writes there (removed when it ends)
_LOCK_NAME = ".iterative-gnn.lock"


def _lock_folder(out: Path):
    """The open lock file of ``out``, locked for this process (released when the process ends, however
    it ends), or None when another process holds it. Where the platform has no ``fcntl`` (Windows) the
    folder is not locked: an open file that locks nothing."""
    f = open(out / _LOCK_NAME, "a+")
    try:
        import fcntl
    except ImportError:
        return f
    try:
        fcntl.flock(f.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        f.close()
        return None
    return f


def _unlock_folder(out: Path, lock) -> None:
    try:
        (out / _LOCK_NAME).unlink(missing_ok=True)
    except OSError:
        pass
    lock.close()  # (closing releases the lock)


def _run_in_folder(args: argparse.Namespace, settings: Settings, title: str, runner, out: Path) -> int:
    """The runs of ``runner`` into ``out``, which this process holds locked."""
    if args.overwrite:
        for name in OUTPUT_FILES:
            (out / name).unlink(missing_ok=True)
    try:
        logf = open(out / "run.log", "w", encoding="utf-8")
    except OSError as exc:
        return _write_failed(args, out, exc)
    bar = None  # the bar of the runs, once the plan is known
    with logf:

        def log(msg: str, err: bool = False) -> None:
            _write_line(msg, bar, sys.stderr if err else sys.stdout)
            logf.write(msg + "\n")
            logf.flush()

        def progress(done: int, total: int) -> None:
            nonlocal bar
            if bar is None and done == 0:
                bar = _progress_bar(total, "runs", enabled=not args.no_progress, unit="run")
            elif bar is not None:
                bar.update(done - bar.n)

        runner.log, runner.progress = log, progress
        log(f"# {title}; backend {args.backend}; {time.strftime('%Y-%m-%d %H:%M:%S %Z')}")
        log(f"# machine: {machine()}")
        log(f"# command: {args.command_line}")
        log(f"# settings: {settings}")
        log(f"# data root: {_data_root_used(getattr(args, 'data_root', None), settings, args.backend)}")
        t0 = time.perf_counter()
        try:
            # stopped early (an error, Ctrl-C), the run still leaves the tables of the runs that finished
            files = runner.run(jobs=args.jobs, threads=args.threads)
        except DatasetUnavailable as exc:
            return _data_error(args, exc, log)
        finally:
            if bar is not None:
                bar.close()
                bar = None
        log(f"# done in {time.perf_counter() - t0:.0f}s; wrote:")
        for f in files.values():
            log(f"#   {f}")
    summary = files.get("summary.md")
    if summary is not None:
        print()
        print(Path(summary).read_text())
    return 0


#: what a reproduce run takes and --report, which runs nothing, does not
_RUN_OPTIONS = ("experiments", "datasets", "depths", "models", "extra", "seeds", "noise_seeds", "chains_seeds",
                "noise_models", "epochs", "noise", "noise_depths", "inference_k", "chains_lengths", "data_root")

#: the run options that only some experiments read, and those experiments (the heterophily, graphs and
#: long_range experiments have their own models and depths)
_USED_BY = {"datasets": ("depth", "noise", "inference", "residuals"), "depths": ("depth",),
            "models": ("depth", "inference", "residuals"), "extra": ("depth",), "noise": ("noise",),
            "noise_depths": ("noise",), "noise_models": ("noise",), "noise_seeds": ("noise",),
            "inference_k": ("inference", "residuals"), "chains_lengths": ("chains",), "chains_seeds": ("chains",)}


def cmd_reproduce(args: argparse.Namespace) -> int:
    _set_threads(args.threads)
    if args.report:
        out = Path(args.report)
        run_options = [d for d in _RUN_OPTIONS if getattr(args, d) is not None]
        run_options += [d for d, default in (("quick", False), ("overwrite", False), ("out", "results"), ("jobs", 1))
                        if getattr(args, d) != default]
        if run_options:
            _usage_error(args, f"argument --{run_options[0].replace('_', '-')}: not with --report, which runs "
                               "nothing and rebuilds the tables from the CSV files in its folder")
        if not out.is_dir():
            what = ("a file, not a folder" if out.exists() else "no such folder")
            _usage_error(args, f"argument --report: invalid value {args.report!r}: {what}; give the folder of a "
                               "reproduce run (its --out)")
        from .reproduce import RunFileError

        try:  # (the summary names the run's own command, from its run.log, before this one)
            files = report(out, args.backend, args.command_line)
        except (FileNotFoundError, RunFileError) as exc:
            raise SystemExit(f"error: {exc}")
        print(Path(files["summary.md"]).read_text())
        return 0
    _output_folder(args)
    from .reproduce import experiments_without_models, trains

    s = quick_settings() if args.quick else Settings()
    if args.quick and not args.datasets and not _cora_available(args.data_root):
        print("Cora is not under the data root (--data-root or $ITERATIVE_GNN_DATA): running the chains "
              "benchmark, which needs no files.", flush=True)
        s.experiments = ("chains",)
    elif args.quick:
        s.experiments = QUICK_EXPERIMENTS
    for dest in ("experiments", "datasets", "depths", "models", "noise", "noise_depths", "noise_models",
                 "chains_lengths", "extra", "seeds", "epochs", "inference_k"):
        if getattr(args, dest) is not None:
            setattr(s, dest, getattr(args, dest))
    if args.datasets is not None:  # the noise experiment's datasets too (Cora alone by default)
        s.noise_datasets = args.datasets
    if args.seeds is not None:
        s.chains_seeds = s.noise_seeds = s.heterophily_seeds = s.graphs_seeds = s.long_range_seeds = args.seeds
    if args.epochs is not None:
        s.heterophily_epochs = s.graphs_epochs = s.long_range_epochs = args.epochs
    for dest in ("noise_seeds", "chains_seeds"):
        if getattr(args, dest) is not None:
            setattr(s, dest, getattr(args, dest))
    wanted = experiments_without_models(s)
    if wanted:
        if args.experiments is not None:
            _usage_error(args, f"argument --models: the {trains(wanted)} the PIGN models of --models (pign-<preset>, "
                               f"e.g. pign-best), and {','.join(s.models)} has none; add one, or leave "
                               f"{' and '.join(wanted)} out of --experiments")
        s.experiments = tuple(e for e in s.experiments if e not in wanted)  # (the default ones: nothing to run)
    for dest, users in _USED_BY.items():
        if getattr(args, dest) and not set(users) & set(s.experiments):
            _usage_error(args, f"argument --{dest.replace('_', '-')}: no experiment of this run reads it (it is for "
                               f"{', '.join(users)}; this run: {','.join(s.experiments)})")
    covered = [f"{m}@{d}" for m, d in covered_extras(s)]
    if covered and args.extra is not None:
        _usage_error(args, f"argument --extra: {covered[0]} is run already by --models and --depths (its runs would "
                           "count as more seeds); leave it out of --extra")
    s.extra = tuple((m, d) for m, d in s.extra if f"{m}@{d}" not in covered)  # (a default one run already)
    s.data_root, s.device = args.data_root, args.device
    # recorded in run.log and summary.md: the results depend on it (worker processes take --threads or 1)
    s.threads = args.threads or (1 if args.jobs > 1 else torch.get_num_threads())
    return _run_experiments(args, s, "reproduce" + (" --quick" if args.quick else ""))


def cmd_chains(args: argparse.Namespace) -> int:
    _set_threads(args.threads)
    s = Settings(experiments=("chains",), chains_lengths=args.lengths, seeds=args.seeds, chains_seeds=args.seeds,
                 epochs=args.epochs, device=args.device)
    s.threads = args.threads or (1 if getattr(args, "jobs", 1) > 1 else torch.get_num_threads())  # as reproduce's
    return _run_experiments(args, s, "chains")


# ------------------------------------------------------------------------------------------------ parser
def _common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--backend", choices=BACKENDS, default="pyg", help="graph library (default: pyg)")
    p.add_argument("--device", type=device, default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    p.add_argument("--threads", type=thread_count, default=None, help="torch CPU threads (default: torch's choice)")
    p.add_argument("--no-progress", action="store_true",
                   help="no progress bar (one is drawn on stderr when it is a terminal)")
    p.set_defaults(parser=p)


def _outputs(p: argparse.ArgumentParser, default: str) -> None:
    p.add_argument("--out", type=output_folder, default=default,
                   help=f"output folder, which must be empty or new (default: {default})")
    p.add_argument("--overwrite", action="store_true",
                   help="replace the results of an earlier run in --out (the files this tool writes; "
                        "other files are left alone)")


def _training_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("training (default: from the preset)")
    g.add_argument("--hidden", type=positive_int, help="hidden width")
    g.add_argument("--dropout", type=fraction_below_one, help="dropout rate")
    g.add_argument("--input-dropout", type=fraction_below_one, help="dropout rate of the input features")
    g.add_argument("--lr", type=learning_rate, help="learning rate (Adam)")
    g.add_argument("--weight-decay", type=nonneg_float, help="weight decay (Adam)")
    g.add_argument("--epochs", type=positive_int, help="training epochs")
    g.add_argument("--consistency", type=nonneg_float,
                   help="weight of GRAND's consistency regularisation (0: off)")
    g.add_argument("--consistency-samples", type=int_at_least_two,
                   help="forward passes per epoch under dropout that --consistency compares")
    g.add_argument("--consistency-temperature", type=fraction_above_zero,
                   help="sharpening temperature of --consistency's target (1: none)")


def _iteration_options(p: argparse.ArgumentParser) -> None:
    """The ``PIGNConv`` options of ``train`` (``--model pign`` only; see :data:`_CONV_FLAGS`)."""
    c = p.add_argument_group("PIGN iteration (default: from the preset)")
    c.add_argument("--smoothing", type=fraction_below_one, help="smoothing factor s in z <- s z + (1 - s) T(z)")
    c.add_argument("--solver", choices=("picard", "anderson"), help="picard or anderson")
    c.add_argument("--grad", choices=("unrolled", "implicit", "phantom"), help="unrolled, implicit or phantom")
    c.add_argument("--tol", type=positive_float, help="stop once the relative residual is below it (> 0)")
    c.add_argument("--contraction", type=open_fraction, help="rescale W so that the operator is a kappa-contraction")
    c.add_argument("--act", type=activation, help="activation inside the iteration (relu, identity, tanh, ...)")
    c.add_argument("--alpha", type=fraction_below_one,
                   help="PIGN's initial residual: the weight of the input term at every step (as APPNP's teleport)")
    c.add_argument("--beta", type=fraction, help="identity mapping W -> (1 - beta) I + beta W")
    c.add_argument("--inject-input", action=argparse.BooleanOptionalAction, default=None,
                   help="add the encoded input back at every iteration")
    c.add_argument("--conv-dropout", type=fraction_below_one, help="dropout inside the iteration")
    c.add_argument("--eval-iterations", type=positive_int, help="iterations at evaluation (default: as in training)")


def _add_train_parser(sub) -> None:
    t = sub.add_parser("train", help="train one model on a node-classification dataset or on your own graph "
                                     "file, over several seeds",
                       description="Train PIGN or a baseline on a dataset (--dataset) or on a graph file with node "
                                   "features and labels (--graph); report test accuracy (mean ± std over seeds, "
                                   "model chosen on validation) and the iteration's convergence; --save keeps the "
                                   "model for 'iterative-gnn predict'.")
    _common(t)
    t.add_argument("--dataset", choices=DATASETS, default=None,
                   help="a dataset by name (default: cora); karate is each backend's own: 4 classes in PyG, 2 in DGL")
    t.add_argument("--data-root", default=None,
                   help="data root holding planetoid/<Name>/raw (default: $ITERATIVE_GNN_DATA or the loader's own)")
    t.add_argument("--model", choices=MODELS, default="pign", help="PIGN, or a baseline (default: pign)")
    t.add_argument("--preset", choices=list(PIGN_PRESETS), default=None,
                   help="PIGN configuration: paper (the authors' form), inject (paper + input injection), "
                        "default (the library's defaults, which hold on heterophilous graphs too; the default with "
                        "--graph) or best (chosen on Cora and CiteSeer validation; the default with --dataset, except "
                        "on chains, whose default is the chains benchmark's configuration); options below override it")
    t.add_argument("--iterations", "--depth", type=positive_int, default=None,
                   help="PIGN iterations (the most, with --tol); layers for gcn/gcn2; steps for appnp (default 8, 2 for gcn; with --dataset chains and no --preset: 2 * length + 10 for PIGN, 2 for the others)")
    t.add_argument("--seeds", type=positive_int, default=1,
                   help="how many runs, with the seeds 0 to N-1 (default 1)")
    t.add_argument("--noise", type=fraction, default=0.0, help="fraction of feature entries set to 1")
    t.add_argument("--length", type=positive_int, default=None, help="chain length (--dataset chains; default 50)")
    t.add_argument("--csv", type=output_file, default=None,
                   help="also write one row per seed to this CSV file; - for the standard output (what the run "
                        "says then goes to the standard error)")
    _user_graph_options(t, train=True)
    _training_options(t)
    _iteration_options(t)
    t.set_defaults(func=cmd_train)


def _names(text: str) -> tuple[str, ...]:
    """A comma list of attribute names."""
    names = tuple(v.strip() for v in text.split(","))
    if not names or any(not n for n in names):
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a comma list of node attribute names")
    return names


def _user_graph_options(p: argparse.ArgumentParser, train: bool) -> None:
    """The options that read the user's graph (``train --graph``, ``predict``)."""
    g = p.add_argument_group("your own graph" + (" (instead of --dataset)" if train else ""))
    g.add_argument("--graph", metavar="FILE", required=not train,
                   help="a graph file networkx reads; the format from its suffix or --format")
    g.add_argument("--format", choices=tuple(FORMATS),
                   help="; ".join(f"{k}: {' '.join(v)}" for k, v in FORMATS.items()) + " (each may end in .gz or .bz2)")
    g.add_argument("--direction", choices=DIRECTIONS, default=None,
                   help="undirected: the graph must be undirected (edge lists and adjacency lists are read as one); "
                        "directed: each edge from source to target only (a GML or GraphML file that declares "
                        "itself undirected keeps its edges both ways); both: each edge both ways "
                        + ("(default: undirected)" if train else "(default: as the model was trained)"))
    g.add_argument("--feature-attrs", type=_names, metavar="A,B,...",
                   help="node attributes holding the features (numbers, or lists of numbers)"
                        + ("" if train else " (default: those the model was trained on)"))
    g.add_argument("--features", metavar="CSV",
                   help="CSV file of node features: a first line naming the columns, then one row per node, "
                        "the node id first (.tsv or .tab: tab-separated; not compressed)")
    if not train:
        return
    g.add_argument("--label-attr", metavar="NAME",
                   help="the node attribute holding the label, or the --labels column (default: the column named "
                        "'label', else the first one other than the split's); nodes without one (an empty cell) are "
                        "left out of training and evaluation ('predict' with the saved model classifies them)")
    g.add_argument("--labels", metavar="CSV", help="CSV file of labels: a first line naming the columns, then one "
                                                  "row per labelled node, the node id first (see --label-attr for "
                                                  "the column read; .tsv or .tab: tab-separated; not compressed)")
    g.add_argument("--split-attr", metavar="NAME",
                   help="the node attribute (or the --labels column) giving each labelled node's split: "
                        "train, val or test (default: a stratified split)")
    g.add_argument("--train-fraction", type=open_fraction, default=None,
                   help="labelled nodes of each class that train (default 0.6)")
    g.add_argument("--val-fraction", type=open_fraction, default=None,
                   help="labelled nodes of each class that validate (default 0.2; the others test)")
    g.add_argument("--split-seed", type=seed_value, default=None, help="seed of the stratified split (default 0)")
    g.add_argument("--save", type=model_output, metavar="FILE",
                   help="write the trained model with its configuration (with several --seeds: the best on "
                        "validation) for 'iterative-gnn predict'")


def _add_predict_parser(sub) -> None:
    p = sub.add_parser("predict", help="a saved model's classes for every node of a graph file",
                       description="Read a graph file (and its features as the model was trained), run a model "
                                   "saved by 'train --save' and write one row per node: its id, the predicted "
                                   "class and the probability of each class.")
    p.add_argument("--backend", choices=BACKENDS, default=None, help="graph library (default: the model's)")
    p.add_argument("--device", type=device, default="cpu", help="torch device, e.g. cpu or cuda (default: cpu)")
    p.add_argument("--threads", type=thread_count, default=None, help="torch CPU threads (default: torch's choice)")
    p.set_defaults(parser=p)
    p.add_argument("--model", metavar="FILE", required=True, help="a model file written by 'train --save'")
    p.add_argument("--out", type=output_file, metavar="CSV", required=True,
                   help="the predictions file to write; - for the standard output")
    _user_graph_options(p, train=False)
    p.set_defaults(func=cmd_predict)


def _experiment_options(r: argparse.ArgumentParser) -> None:
    """What ``reproduce`` runs (each overrides a field of its :class:`~iterative_gnn.reproduce.Settings`)."""
    r.add_argument("--experiments", type=comma_list(choice(EXPERIMENTS), ", ".join(EXPERIMENTS)),
                   help=f"comma list of {','.join(EXPERIMENTS)}")
    r.add_argument("--datasets", type=comma_list(choice(DATASETS), ", ".join(DATASETS)),
                   help="comma list: the datasets of the depth, noise, inference and residuals experiments "
                        "(default: cora,citeseer; cora for noise)")
    r.add_argument("--depths", type=comma_list(positive_int, _POSITIVE_INTS),
                   help="comma list: the depth experiment's depths (default: 1,2,4,8,16); the heterophily, graphs "
                        "and long_range experiments have their own")
    r.add_argument("--models", type=comma_list(model_key, _MODEL_KEYS),
                   help="comma list of gcn, appnp, gcn2, pign-<preset>: the depth experiment's models, whose PIGN "
                        "models the inference and residuals experiments train (default: gcn,pign-paper,pign-best); "
                        "the heterophily, graphs and long_range experiments have their own")
    r.add_argument("--extra", type=comma_list(model_at_depth, "model@depth", allow_empty=True),
                   help="comma list of model@depth the depth experiment runs once per dataset "
                        "(default: pign-default@8,pign-default@16; '' for none)")
    r.add_argument("--seeds", type=positive_int,
                   help="seeds of every experiment's runs (default: 10 for depth and inference, 5 for "
                        "heterophily, 3 for the others; with --quick 2 for depth and inference, 1 for the others); "
                        "--noise-seeds and --chains-seeds override it for theirs")
    r.add_argument("--noise-seeds", type=positive_int, help="seeds of the noise runs (default 3; with --quick 1)")
    r.add_argument("--chains-seeds", type=positive_int, help="seeds of the chains runs (default 3; with --quick 1)")
    r.add_argument("--noise-models", type=comma_list(model_key, _MODEL_KEYS),
                   help="comma list of the models run under noise, each optionally with a variant "
                        f"{VARIANT_HELP} (default: gcn and pign-best:cr0, each with and without "
                        "weight decay, neither with consistency training; the targets compare each "
                        "family's choice on validation)")
    r.add_argument("--epochs", type=positive_int, help="training epochs of every experiment's runs "
                                                       "(default: each experiment's own)")
    r.add_argument("--noise", type=comma_list(fraction_above_zero,
                                              "numbers in (0, 1] (the runs without noise are the depth experiment)"),
                   help="comma list of noise levels, fractions in (0, 1] (default: 0.5,0.7)")
    r.add_argument("--noise-depths", type=comma_list(positive_int, _POSITIVE_INTS), help="comma list (default: 2,8,16)")
    r.add_argument("--inference-k", type=positive_int,
                   help="iterations in training of the inference and residuals experiments' PIGN models (default 8); "
                        "the graphs experiment evaluates the GraphPIGN of each of its depths instead")
    r.add_argument("--chains-lengths", type=comma_list(positive_int, _POSITIVE_INTS),
                   help="comma list (default: 10,25,50,100)")


def _add_reproduce_parser(sub) -> None:
    r = sub.add_parser("reproduce", help="the paper's experiments: CSV files and PNG plots",
                       description="Accuracy against depth (PIGN iterations vs stacked GCN layers) on Cora and "
                                   "CiteSeer, with feature noise, iterations at inference, residuals per iteration, "
                                   "and the chains benchmark. Writes CSV, PNG, summary.md and run.log into --out.")
    _common(r)
    r.add_argument("--data-root", default=None,
                   help="data root holding planetoid/<Name>/raw (default: $ITERATIVE_GNN_DATA or the loader's own)")
    _outputs(r, "results")
    r.add_argument("--quick", action="store_true",
                   help="a short run (minutes on 2 CPU cores): Cora when the data root has it, else chains")
    _experiment_options(r)
    r.add_argument("--report", metavar="DIR", help="only write the tables, plots and targets from the CSV files "
                                                  "of an earlier run in DIR (also of a run stopped early)")
    r.add_argument("--jobs", type=positive_int, default=1,
                   help="training runs in parallel, one worker process each (of --threads threads, default 1)")
    r.set_defaults(func=cmd_reproduce)


def _add_chains_parser(sub) -> None:
    ch = sub.add_parser("chains", help="the chains long-range benchmark (generated, no download)",
                        description="PIGN iterated to convergence against a 2-layer GCN on chains whose class is "
                                    "visible only at one end (IGNN paper).")
    _common(ch)
    ch.add_argument("--lengths", type=comma_list(positive_int, _POSITIVE_INTS), default="10,25,50,100",
                    help="comma list of chain lengths")
    ch.add_argument("--seeds", type=positive_int, default=3,
                    help="how many runs of each model and length, with the seeds 0 to N-1 (default 3)")
    ch.add_argument("--epochs", type=positive_int, default=200, help="training epochs (default 200)")
    _outputs(ch, "results/chains")
    ch.add_argument("--jobs", type=positive_int, default=1, help="training runs in parallel (worker processes)")
    ch.set_defaults(func=cmd_chains)


def build_parser() -> argparse.ArgumentParser:
    """The ``iterative-gnn`` parser: one subparser per subcommand (``train``, ``predict``, ``reproduce``,
    ``chains``)."""
    p = _Parser(prog="iterative-gnn", description="Iterative (fixed-point) GNNs for PyG and DGL.")
    sub = p.add_subparsers(dest="command", required=True)
    _add_train_parser(sub)
    _add_predict_parser(sub)
    _add_reproduce_parser(sub)
    _add_chains_parser(sub)
    return p


#: modules of :data:`iterative_gnn._deps.CLI_MODULES` the command runs without (``reproduce`` then
#: skips its plots and says so)
_OPTIONAL_MODULES = ("matplotlib",)


def _parse(parser: argparse.ArgumentParser, argv: list[str]) -> argparse.Namespace:
    """``parser.parse_args``, with the option a misspelled one most likely meant (``--epohcs`` ->
    ``--epochs``), named by the subcommand's own usage error."""
    _Parser.argv = list(argv)
    try:
        args, extras = parser.parse_known_args(argv)
    finally:
        _Parser.argv = []
    if extras:
        sub = getattr(args, "parser", parser)
        sub.error(f"unrecognized arguments: {' '.join(extras)}" + _meant(sub, extras))
    return args


def _meant(parser: argparse.ArgumentParser, given: list[str]) -> str:
    """`` (did you mean --epochs for --epohcs?)``: the options of ``parser`` that the unknown ones among
    ``given`` most likely meant, or empty."""
    options = [o for action in parser._actions for o in action.option_strings if o.startswith("--")]
    hints = [f"{match} for {name}" for name in (e.split("=", 1)[0] for e in given if e.startswith("--"))
             if name not in options and (match := closest(name, options))]
    return f" (did you mean {'; '.join(hints)}?)" if hints else ""


class _Parser(argparse.ArgumentParser):
    """An ``ArgumentParser`` (the subcommands' too) that takes no abbreviation of an option (``--seed 42``
    was read as ``--seeds 42``, 42 runs; a misspelt option gets "did you mean"), and whose error for a
    missing required option names an option given that it does not know, with the one it most likely
    meant (``predict --mod m.pt``: "required: --model")."""

    #: the command line being parsed (set by :func:`_parse`)
    argv: list = []

    def __init__(self, *args, **kwargs) -> None:
        kwargs.setdefault("allow_abbrev", False)
        super().__init__(*args, **kwargs)

    def error(self, message: str):
        if message.startswith("the following arguments are required"):
            message += _meant(self, _Parser.argv)
        super().error(message)


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """A warning as a line of the command's own (``iterative-gnn: warning: ...``): the library's warnings
    speak to a user of the command, to whom the source line that raised them says nothing."""
    try:
        print(f"iterative-gnn: warning: {message}", file=file if file is not None else sys.stderr)
    except (OSError, ValueError):  # (a closed or broken stream: nothing to show it on)
        pass


def _out_of_memory(exc: BaseException) -> bool:
    """Whether ``exc`` is an allocation that failed: Python's, torch's on the CPU (a ``RuntimeError`` of its
    allocator) or on a device (``OutOfMemoryError``, a ``RuntimeError`` too)."""
    if isinstance(exc, MemoryError):
        return True
    oom = getattr(torch, "OutOfMemoryError", None) or getattr(torch.cuda, "OutOfMemoryError", ())
    return isinstance(exc, oom) or ("DefaultCPUAllocator" in str(exc) and "allocate" in str(exc))


def main(argv: Optional[Sequence[str]] = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parse(build_parser(), argv)
    args.command_line = "iterative-gnn " + shlex.join(argv)  # (quoted: the logs' command runs again as written)
    from ._deps import missing_message, missing_modules

    # exit naming the missing modules and the extra to install; without matplotlib only the plots are left out
    missing = [m for m in missing_modules() if m not in _OPTIONAL_MODULES]
    if missing:
        raise SystemExit(missing_message(missing, getattr(args, "backend", "pyg")))
    with warnings.catch_warnings():  # torch's own notices hidden for this call only
        filter_torch_notices()
        warnings.showwarning = _show_warning  # (restored with the filters when the block ends)
        # every command but --report trains with the backend; predict without --backend checks the model's
        if args.backend is not None and not getattr(args, "report", None):
            problem = backends.backend_problem(args.backend)
            if problem:
                usable = [b for b in BACKENDS if b != args.backend and not backends.backend_problem(b)]
                _usage_error(args, f"argument --backend: invalid value {args.backend!r}: {problem}"
                                   + (f"; usable here: {', '.join(usable)}" if usable else ""))
        try:
            code = args.func(args)
            if sys.stdout is not None:  # (what a pipe's buffer still holds is written here, where a closed pipe is caught)
                sys.stdout.flush()
            return code
        except KeyboardInterrupt:
            print("iterative-gnn: interrupted", file=sys.stderr)
            return 130
        except (MemoryError, RuntimeError) as exc:  # (a size the options allowed but the machine lacks)
            if not _out_of_memory(exc):
                raise
            detail = (str(exc).strip().splitlines() or [""])[0]
            print(f"iterative-gnn: error: out of memory{f' ({detail})' if detail else ''}: the sizes this run asked "
                  "for (--lengths, --hidden, ...) need more memory than the machine has; ask for smaller ones",
                  file=sys.stderr)
            return 1
        except BrokenPipeError:  # the output's reader closed it (| head): stop quietly, as the shell's tools do
            try:
                devnull = os.open(os.devnull, os.O_WRONLY)
                os.dup2(devnull, sys.stdout.fileno())  # (Python's own flush at exit would raise again)
            except (OSError, ValueError, io.UnsupportedOperation):  # (a standard output without a file descriptor)
                pass
            return 128 + 13  # SIGPIPE's status


if __name__ == "__main__":
    sys.exit(main())
