"""Save a trained node classifier with what it takes to use it again, and load it.

The file is a plain dictionary of tensors, numbers, strings, lists and dictionaries, so that
``torch.load(path, weights_only=True)`` reads it (no pickled code runs; a TorchScript archive, whose
code torch before 2.6 runs even so, and a damaged zip are refused before torch reads them);
:func:`load_model` then builds the model again from its configuration and loads the parameters::

    saved = load_model("model.pt")            # the backend it was trained with
    logits = forward(saved.model, x, graph)   # iterative_gnn.backends.forward

The dictionary holds ``format`` (:data:`FORMAT`), ``version`` (1, or :data:`VERSION` where the
model's eval mode changed, see there), ``backend``, ``config`` (the
:class:`~iterative_gnn.configs.RunConfig` fields), ``in_channels``, ``class_names``, ``features``
(``source``: ``"attrs"`` or ``"csv"``; ``attrs``: the node attributes read, or None; ``names``: one
per input column), ``direction`` (as the graph was read), ``training`` (a summary: graph, seed,
epoch, accuracies) and ``state_dict``.
"""
from __future__ import annotations

import dataclasses
import io
import os
import pickle
import secrets
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Optional

import torch
from torch import nn

from iterative_core import IterativeLayerBase

from .backends import BACKENDS
from .configs import RunConfig, build_model

FORMAT = "iterative-gnn node classifier"
#: the newest version: written for a model with ``contraction=`` and a dropout inside its layer, whose eval
#: mode rescales the weight as training does since it; version 1 for every other model, so that the versions
#: that read version 1 only still read them (a version 1 file of such a model warns, :func:`model_from_record`)
VERSION = 2
_READ_VERSIONS = (1, 2)


def _eval_rescaled_by_dropout(model: nn.Module) -> bool:
    """Whether ``model`` has a layer with ``contraction=`` and a dropout of its own: its eval mode
    rescales the weight as its training does (version 2), which version 1 files' models did not."""
    return any(getattr(m, "contraction", None) is not None and getattr(m, "dropout", 0) > 0
               for m in model.modules() if isinstance(m, IterativeLayerBase))
_KEYS = ("format", "version", "backend", "config", "in_channels", "class_names", "features", "direction",
         "training", "state_dict")


class ModelFileError(ValueError):
    """The file is not a model saved by :func:`save_model`, or does not fit the backend asked for."""


@dataclass
class SavedModel:
    """A model built again from its file, in eval mode, with what it was trained on."""

    model: nn.Module
    backend: str
    config: RunConfig
    in_channels: int
    class_names: list[str]
    features: dict[str, Any]
    direction: str
    training: dict[str, Any]


#: fields added to :class:`RunConfig` after model files were first written, in groups: a group whose
#: fields all hold their defaults is left out of a file, so that files of models trained without them
#: stay readable by versions of the library that lack the fields (loading fills in the defaults)
_LATER_FIELDS = (("encoder_weight_decay",), ("consistency", "consistency_samples", "consistency_temperature"))
_DEFAULTS = {f.name: f.default for f in dataclasses.fields(RunConfig)}


#: the GCN operator's options whose defaults changed after model files were first written, with the
#: values a file that does not name them was trained with: files name them since (see
#: :func:`_operator_defaults`), so that each version builds the model the file was trained as
_EARLIER_OPERATOR_DEFAULTS = {"bias": True, "gamma_max": 0.99}


def _operator_defaults(model: nn.Module, config: RunConfig) -> RunConfig:
    """``config`` with the GCN operator's ``bias`` and (learned coefficients) ``gamma_max``, ``gamma_init``
    and ``gamma_scale`` named in ``conv`` as ``model`` has them, for a PIGN model of the GCN operator: a
    later change of their defaults cannot change what a saved ``gamma_logit`` means."""
    if config.model != "pign" or config.conv.get("conv", "gcn") != "gcn":
        return config
    operator = getattr(getattr(model, "conv", None), "operator", None)
    if not hasattr(operator, "gamma_logit"):
        raise ValueError(f"save_model: a PIGN model of the GCN operator has model.conv.operator, a GCN operator; "
                         f"got {type(model).__name__} (its conv: {type(getattr(model, 'conv', None)).__name__})")
    named = {"bias": operator.bias is not None}
    if operator.gamma_logit is not None:  # (all three give the saved gamma_logit its meaning)
        named.update(gamma_max=operator.gamma_max, gamma_init=operator.gamma_init, gamma_scale=operator.gamma_scale)
    return config.with_(conv=named)


def _config_record(config: RunConfig) -> dict[str, Any]:
    """The configuration's fields, but a group of :data:`_LATER_FIELDS` all at their defaults
    (``encoder_weight_decay`` unset, no consistency training)."""
    record = dataclasses.asdict(config)
    for group in _LATER_FIELDS:
        if all(record[k] == _DEFAULTS[k] for k in group):
            for k in group:
                del record[k]
    return record


def _earlier_defaults(record: dict[str, Any]) -> dict[str, Any]:
    """The configuration of a file written before :func:`_operator_defaults` named the operator's
    changed defaults, with the values it was trained with (:data:`_EARLIER_OPERATOR_DEFAULTS`) for
    each of them it does not name (``gamma_max`` only with learned coefficients)."""
    conv = record.get("conv")
    if record.get("model") != "pign" or not isinstance(conv, dict) or conv.get("conv", "gcn") != "gcn":
        return record
    from iterative_core.forms import FORMS, OPERATOR_KEYS, resolve_form

    try:  # the form the GCN operator (which takes every form's options) resolves it to
        form = resolve_form(conv.get("form"), frozenset(OPERATOR_KEYS))
    except (TypeError, ValueError):
        return record  # not a form: building the model names the valid ones
    propagation = conv.get("propagation", FORMS[form].get("propagation"))
    earlier = {k: v for k, v in _EARLIER_OPERATOR_DEFAULTS.items()
               if k not in conv and (k == "bias" or propagation == "signed")}
    return {**record, "conv": {**conv, **earlier}} if earlier else record


def save_model(path: str | os.PathLike, model: nn.Module, *, backend: str, config: RunConfig, in_channels: int,
               class_names: list[str], features: dict[str, Any], direction: str,
               training: Optional[dict[str, Any]] = None) -> Path:
    """Write ``model`` (its ``state_dict``) with its configuration to ``path``; the folders above
    it are made, and the file appears whole or not at all (see :func:`write_whole`). A PIGN
    model's ``conv`` options name its operator's ``bias`` and ``gamma_max`` too, whose defaults have
    changed, so that any version builds it as it was trained. What would not load again with
    :func:`load_model` is refused before anything is written (a ``ValueError`` that says what); numpy
    scalars in ``training`` are kept as the Python numbers they hold."""
    # (a numpy scalar, np.float64(0.81) from an accuracy, as the Python number it holds)
    training = {k: v.item() if type(v).__module__ == "numpy" and getattr(v, "ndim", None) == 0 else v
                for k, v in dict(training or {}).items()}
    record = {
        "format": FORMAT, "version": VERSION if _eval_rescaled_by_dropout(model) else 1, "backend": backend,
        "config": _config_record(_operator_defaults(model, config)),
        "in_channels": int(in_channels), "class_names": [str(c) for c in class_names],
        "features": {"source": features["source"], "attrs": features.get("attrs"),
                     "names": [str(n) for n in features["names"]]},
        "direction": direction, "training": training,
        "state_dict": {k: v.detach().cpu() for k, v in model.state_dict().items()},
    }
    buffer = io.BytesIO()
    torch.save(record, buffer)
    content = buffer.getvalue()
    _check_loads_again(content, path)

    def write(target: Path) -> None:
        with open(target, "wb") as f:
            f.write(content)

    return write_whole(path, write)


def _check_loads_again(content: bytes, path: str | os.PathLike) -> None:
    """Refuse a record (``content``, as it would be written to ``path``) that :func:`load_model` would
    refuse: the file would be written, and fail only when it is read."""
    try:
        record = torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ValueError(f"save_model: a model file holds tensors and plain Python values only (numbers, strings, "
                         f"lists, dictionaries), and this record holds another kind ({first})") from None
    problem = _record_problem(record)
    if problem:
        raise ValueError(f"save_model: {problem}")
    try:
        with warnings.catch_warnings(), torch.random.fork_rng():  # (building it draws from torch's generator)
            warnings.simplefilter("ignore")
            model_from_record(record, path)
    except ModelFileError as exc:
        text = str(exc)
        raise ValueError(f"save_model: the file would not load again: {text.split(': ', 1)[-1]}") from None


def open_file_link(path: Path) -> Optional[str]:
    """The link to an open file of a process that ``path`` goes through (``/dev/stdout`` is a link to
    ``/proc/self/fd/1``), or None: such a path names whatever the descriptor holds now, a file
    redirected to with ``>>`` among them, which a rename would replace and a write truncate."""
    p, hops = Path(path), 0
    while p.is_symlink() and hops < 40:
        target = os.readlink(p)
        p = Path(target) if os.path.isabs(target) else p.parent / target
        if str(p).startswith(("/proc/", "/dev/fd/")):
            return str(p)
        hops += 1
    return None


def renamed_over(path: Path) -> Optional[Path]:
    """The file that :func:`write_whole` writes next to and renames over for ``path``: ``path`` with
    its symbolic links followed (a new file's too); None when ``path`` is written in place (it is no
    regular file, or one reached only through a link without a path, such as ``/dev/stdout``'s)."""
    target = Path(os.path.realpath(path))
    if not path.exists():  # (a link to no file: the file it names is made)
        return target
    return target if target.is_file() and os.path.samefile(path, target) else None


def write_whole(path: str | os.PathLike, write: Callable[[Path], None]) -> Path:
    """Write the file ``path`` with ``write(target)``. A regular file (or a new one) appears whole or
    not at all: written next to it, then renamed over it; a symbolic link is followed to the file it
    names, which is written so; a file that is not a regular one (a named pipe, a device such as
    ``/dev/null``) is written in place; a link to a process's open file (``/dev/stdout``) is refused.
    The folders above a new file are made. Returns ``path``."""
    path = Path(path)
    link = open_file_link(path)
    if link is not None:
        raise ValueError(f"{path} is a link to an open file of this process ({link}), which writing would replace "
                         "or truncate; write to a file path")
    target = renamed_over(path)
    if target is None:
        write(path)
        return path
    target.parent.mkdir(parents=True, exist_ok=True)
    # a name of its own (not target + ".part", which two runs writing the same file shared, and which
    # replaced a file of the user's of that name), made as open() makes a new file (0o666 less the umask)
    tmp = _new_temporary(target)
    try:
        write(tmp)
        if target.exists():  # a file replaced keeps its permissions
            os.chmod(tmp, target.stat().st_mode & 0o7777)
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


def _new_temporary(target: Path) -> Path:
    """A new empty file beside ``target``, of a name no other writer holds, with a new file's permissions."""
    while True:
        tmp = target.with_name(f".{target.name}.{secrets.token_hex(4)}.part")
        try:
            os.close(os.open(tmp, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o666))
            return tmp
        except FileExistsError:
            continue


def read_model_file(path: str | os.PathLike) -> dict[str, Any]:
    """The dictionary in ``path``, read with ``torch.load(weights_only=True)`` and checked. The file is
    read once: the archive checks and ``torch.load`` see the same bytes (a file replaced in between
    cannot pass the checks with one content and load with another)."""
    if isinstance(path, str) and not path:
        raise ModelFileError("invalid value '': an empty path; give a model file")
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: no such file" if not path.exists() else f"{path}: not a file")
    content = path.read_bytes()
    _check_archive(path, content)
    try:
        record = torch.load(io.BytesIO(content), map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as exc:
        # torch's own message advises loading without weights_only, which would run the file's code
        text = str(exc).lower()
        what = ("it holds pickled Python objects; a model file holds only tensors and plain values"
                if "unsupported global" in text or "unsupported class" in text else "not a file torch can read")
        raise ModelFileError(f"{path}: not a model saved by 'iterative-gnn train --save' ({what})") from None
    except Exception as exc:  # noqa: BLE001 - torch raises many kinds for a file that is not its own
        # (the first line of its message, with its kind: a KeyError's message is only the key, "101")
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        said = f"{type(exc).__name__}: {first}" if first else type(exc).__name__
        raise ModelFileError(f"{path}: not a model saved by 'iterative-gnn train --save' (torch.load could not read "
                             f"it: {said})") from None
    if not isinstance(record, dict) or record.get("format") != FORMAT:
        raise ModelFileError(f"{path}: not a model saved by 'iterative-gnn train --save' (no {FORMAT!r} record)")
    if type(record.get("version")) is not int or record["version"] not in _READ_VERSIONS:
        raise ModelFileError(f"{path}: a model file of version {record.get('version')!r}; this version of "
                             f"iterative-gnn reads versions {', '.join(map(str, _READ_VERSIONS))}")
    missing = [k for k in _KEYS if k not in record]
    if missing:
        raise ModelFileError(f"{path}: the model record lacks {', '.join(missing)}")
    problem = _record_problem(record)
    if problem:
        raise ModelFileError(f"{path}: not a model record as 'iterative-gnn train --save' writes it: {problem}")
    return record


def _check_archive(path: Path, content: bytes) -> None:
    """Refuse, before torch reads it, a zip archive (``content``, the bytes of ``path``) that is damaged
    (an entry fails its CRC: the parameters would load changed, without a word) or that is a TorchScript
    archive (``torch.jit.save``: torch before 2.6 hands it to ``torch.jit.load`` even with
    ``weights_only=True``, which runs its code)."""
    # (a zip starts with a local header; is_zipfile looks for its end anywhere near the end, which a
    # parameter of torch's legacy format may spell)
    if content[:4] != b"PK\x03\x04":
        return  # (torch's legacy format, or no zip at all: torch.load says what it is)
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = archive.namelist()
            if any(n.split("/")[1:2] == ["code"] or n.endswith("/constants.pkl") for n in names):
                raise ModelFileError(f"{path}: a TorchScript archive (torch.jit.save), not a model saved by "
                                     "'iterative-gnn train --save'; it is not loaded (loading it could run its code)")
            bad = archive.testzip()
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        raise ModelFileError(f"{path}: a damaged archive ({exc}); save the model again") from None
    if bad is not None:
        raise ModelFileError(f"{path}: a damaged file: its entry {bad} fails its checksum, so the model would load "
                             "changed; save the model again (or copy the file again)")


def _record_problem(record: dict[str, Any]) -> Optional[str]:
    """What in ``record`` is not of the kind :func:`save_model` writes, or None."""
    from .user_graph import DIRECTIONS

    def strings(v) -> bool:
        return isinstance(v, list) and all(isinstance(x, str) for x in v)

    if record["backend"] not in BACKENDS:
        return f"backend {record['backend']!r} (valid: 'pyg', 'dgl')"
    if record["direction"] not in DIRECTIONS:
        return f"direction {record['direction']!r} (valid: {', '.join(map(repr, DIRECTIONS))})"
    n = record["in_channels"]
    if type(n) is not int or n < 1:
        return f"in_channels {n!r} (a whole number >= 1)"
    names = record["class_names"]
    if not strings(names) or not names or len(set(names)) != len(names):
        return f"class_names {names!r} (a list of distinct class names)"
    for key in ("config", "training", "features", "state_dict"):
        if not isinstance(record[key], dict):
            return f"{key} is a {type(record[key]).__name__}, not a dictionary"
    features = record["features"]
    if features.get("source") not in ("attrs", "csv") or not strings(features.get("names")) \
            or len(features["names"]) != n or not (features.get("attrs") is None or strings(features.get("attrs"))):
        return (f"features {features!r} (source 'attrs' or 'csv', names: one per input channel, attrs: None or a "
                "list of names)")
    state = record["state_dict"]
    odd = [k for k, v in state.items() if not isinstance(k, str) or not isinstance(v, torch.Tensor)]
    if odd:
        return f"state_dict entries that are not named tensors: {', '.join(map(repr, odd[:3]))}"
    return None


def load_model(path: str | os.PathLike, *, backend: Optional[str] = None,
               device: str | torch.device = "cpu", direction: Optional[str] = None) -> SavedModel:
    """Build the model saved in ``path`` (with :func:`save_model`) in ``backend`` (default: the one
    it was trained with) on ``device`` and load its parameters; eval mode. ``direction`` is how the
    graphs it will see are read (default: as in training); an APPNP model is refused in the other
    backend on a directed graph (:func:`cross_backend_problem`)."""
    return model_from_record(read_model_file(path), path, backend=backend, device=device, direction=direction)


def model_from_record(record: dict[str, Any], path: str | os.PathLike, *, backend: Optional[str] = None,
                      device: str | torch.device = "cpu", direction: Optional[str] = None) -> SavedModel:
    """:func:`load_model` for a ``record`` that :func:`read_model_file` read from ``path`` (named in
    its errors): a caller that looked into the file builds the model from what it saw."""
    from .user_graph import DIRECTIONS

    if backend is not None and backend not in BACKENDS:
        raise ValueError(f"load_model: backend must be 'pyg' or 'dgl' (None: the one it was trained with), got {backend!r}")
    if direction is not None and direction not in DIRECTIONS:
        raise ValueError(f"load_model: direction must be one of {', '.join(map(repr, DIRECTIONS))} (None: as in "
                         f"training), got {direction!r}")
    saved_backend = record["backend"]
    backend = backend or saved_backend
    problem = cross_backend_problem(record["config"].get("model"), direction or record["direction"], saved_backend,
                                    backend)
    if problem:
        raise ModelFileError(f"{path}: {problem}")
    fields = {f.name for f in dataclasses.fields(RunConfig)}
    unknown = sorted(set(record["config"]) - fields)
    if unknown:
        raise ModelFileError(f"{path}: unknown configuration fields {', '.join(unknown)}")
    # every field is in a file but the later ones, left out at their defaults (a missing one would be filled
    # with today's default, a model other than the one trained)
    missing = sorted(fields - set(record["config"]) - {k for group in _LATER_FIELDS for k in group})
    if missing:
        raise ModelFileError(f"{path}: the configuration lacks {', '.join(missing)}")
    try:
        config = RunConfig(**_earlier_defaults(record["config"]))
        # (not cached: a loaded model propagates over each graph it is given, not over the first one)
        model = build_model(backend, config, record["in_channels"], len(record["class_names"]), cached=False,
                            sparse_input=False)
    except (TypeError, ValueError) as exc:
        raise ModelFileError(f"{path}: its configuration does not build a model: {exc}") from None
    problem = _state_problem(model.state_dict(), record["state_dict"])
    if problem:
        where = (f"it was trained with --backend {saved_backend}; use that backend" if backend != saved_backend
                 else "the file does not fit its own configuration")
        raise ModelFileError(f"{path}: the saved parameters do not fit a {config.model} model of the {backend} "
                             f"backend ({where}): {problem}")
    bad = [k for k, v in record["state_dict"].items()
           if isinstance(v, torch.Tensor) and v.is_floating_point() and not bool(torch.isfinite(v).all())]
    if bad:
        raise ModelFileError(f"{path}: the parameter(s) {', '.join(bad[:3])}{' ...' if len(bad) > 3 else ''} hold NaN "
                             "or infinite values: the model would predict nothing meaningful; train it again")
    # in the dtype it was saved in, whatever torch's default dtype is now (before the load: a float64 file
    # loaded into float32 parameters would keep float32's precision)
    saved_dtype = next((v.dtype for v in record["state_dict"].values() if v.is_floating_point()), None)
    model.to(dtype=saved_dtype)
    model.load_state_dict(record["state_dict"])
    model.to(device).eval()
    if record["version"] == 1 and _eval_rescaled_by_dropout(model):
        warnings.warn(f"{path}: saved by an earlier version, whose eval mode rescaled the weight under contraction= "
                      "without counting the layer's own dropout; this version counts it, as training does, so the "
                      "predictions may differ from those the model was validated with (where the weight is above "
                      "its bound on the graph): train it again", UserWarning, stacklevel=2)
    return SavedModel(model, backend, config, record["in_channels"], list(record["class_names"]),
                      dict(record["features"]), record["direction"], dict(record["training"]))


def cross_backend_problem(model: Optional[str], direction: str, saved_backend: str, backend: str) -> Optional[str]:
    """Why a ``model`` trained in ``saved_backend`` would compute something else in ``backend`` on
    graphs read as ``direction``, or None. PIGN models normalise alike in both backends; DGL's
    ``APPNPConv`` scales a directed graph's messages by the sources' out-degrees where PyG's ``APPNP``
    uses in-degrees on both sides (the same on undirected graphs)."""
    if backend != saved_backend and model == "appnp" and direction == "directed":
        return (f"an APPNP model trained with --backend {saved_backend} computes something else in {backend} on a "
                "directed graph (DGL's APPNPConv normalises by out-degrees at the sources, PyG's APPNP by in-degrees); "
                f"use --backend {saved_backend}, or read the graph as undirected")
    return None


def _state_problem(own: dict, saved: dict) -> Optional[str]:
    """What keeps ``saved`` from loading into a model whose ``state_dict`` is ``own``, or None."""

    def some(keys: list[str]) -> str:
        return ", ".join(keys[:3]) + (f" and {len(keys) - 3} more" if len(keys) > 3 else "")

    missing = [k for k in own if k not in saved]
    unexpected = [k for k in saved if k not in own]
    shapes = [f"{k} {tuple(saved[k].shape)} for {tuple(own[k].shape)}" for k in own
              if k in saved and tuple(own[k].shape) != tuple(saved[k].shape)]
    kinds = [f"{k} {saved[k].dtype} for {own[k].dtype}" for k in own
             if k in saved and own[k].is_floating_point() != saved[k].is_floating_point()]
    parts = [f"missing {some(missing)}" if missing else "", f"not expected {some(unexpected)}" if unexpected else "",
             f"shape {some(shapes)}" if shapes else "", f"dtype {some(kinds)}" if kinds else ""]
    return "; ".join(p for p in parts if p) or None
