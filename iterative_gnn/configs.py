"""Named model configurations (presets) and the code that builds and trains one.

The PIGN presets:

* ``paper``: the authors' iterative GCN for Planetoid, z <- s z + (1 - s) dropout(relu(Â z W + b)),
  started at the encoded input, smoothing 0.525, hidden 32, Adam lr 0.011, weight decay 4e-4,
  dropout 0.5 (after the encoder and inside the iteration), 200 epochs.
* ``inject``: the same with the encoded input added back at every step,
  z <- s z + (1 - s) relu(Â z W + b + z_0).
* ``default``: ``PIGN(in, hidden, out, k)`` with the library's defaults (``form="signed"``, dropout 0.5
  on the input features, after the encoder and before the decoder), as a user who swaps ``PIGNConv(hidden,
  num_iterations=k)`` into a Cora script without tuning gets it.
* ``best``: the configuration chosen on the validation split (never on test) by the sweeps in
  ``docs/results/sweep`` and ``docs/results/best``: the ``"appnp"`` form (an initial residual ``alpha``
  = APPNP's teleport, the identity mapping ``beta=0``, no activation, Picard steps), hidden 32, dropout
  on the input features and after the encoder but not inside the iteration, trained with GRAND's
  consistency regularisation (weight 1.0, two passes, temperature 0.5; round 6 of
  ``docs/results/best``).

The baselines (``gcn``, ``appnp``, ``gcn2``) take the authors' Planetoid training setup; the chains
benchmark has its own pair (:func:`chains_models`).
"""
from __future__ import annotations

import copy
import dataclasses
import time
from dataclasses import dataclass, field
from typing import Any, Optional

import torch
from torch import nn

from .backends import build_baseline, build_pign
from .sparse_input import accept_sparse_input
from .train import seed_everything, train_node_classifier

@dataclass
class RunConfig:
    """What to build and how to train it. ``conv`` holds ``PIGN`` / ``PIGNConv`` options (PIGN only)."""

    model: str = "pign"
    depth: int = 8  # PIGN: iterations; gcn/gcn2: layers; appnp: propagation steps
    hidden: int = 64
    dropout: float = 0.5
    input_dropout: float = 0.0
    lr: float = 0.01
    weight_decay: float = 5e-4
    # PIGN: the encoder's own weight decay (None: weight_decay); set in code only, no command-line flag
    encoder_weight_decay: Optional[float] = None
    epochs: int = 200
    # GRAND's consistency regularisation (see train.consistency_loss): weight (0: off), passes, temperature
    consistency: float = 0.0
    consistency_samples: int = 2
    consistency_temperature: float = 0.5
    conv: dict = field(default_factory=dict)
    label: str = ""

    def with_(self, **changes: Any) -> "RunConfig":
        conv = dict(self.conv)
        conv.update(changes.pop("conv", {}))
        return dataclasses.replace(self, conv=conv, **changes)

    def describe(self) -> str:
        opts = ", ".join(f"{k}={v}" for k, v in sorted(self.conv.items()))
        wd = f"{self.weight_decay}" + ("" if self.encoder_weight_decay is None
                                      else f" (encoder {self.encoder_weight_decay})")
        cons = (f", consistency {self.consistency} ({self.consistency_samples} passes, temperature "
                f"{self.consistency_temperature})" if self.consistency else "")
        return (f"{self.model} depth {self.depth}, hidden {self.hidden}, lr {self.lr}, wd {wd}, "
                f"dropout {self.dropout}, input dropout {self.input_dropout}{cons}" + (f"; {opts}" if opts else ""))


_AUTHORS = dict(hidden=32, lr=0.011, weight_decay=4e-4, dropout=0.5, input_dropout=0.0, epochs=200)

PIGN_PRESETS: dict[str, RunConfig] = {
    # the authors' model and ``best`` have no dropout before the decoder (PIGN's default drops there)
    "paper": RunConfig("pign", conv={"form": "paper", "smoothing": 0.525, "decoder_dropout": 0.0},
                       label="PIGN (paper)", **_AUTHORS),
    "inject": RunConfig("pign", conv={"form": "paper", "smoothing": 0.525, "inject_input": True,
                                      "decoder_dropout": 0.0},
                        label="PIGN (paper + input injection)", **_AUTHORS),
    # input dropout: PIGN's default (its ``dropout``), applied by the training loop (see build_model)
    "default": RunConfig("pign", hidden=64, lr=0.01, weight_decay=5e-4, dropout=0.5, input_dropout=0.5,
                         label="PIGN (library defaults)"),
    "best": RunConfig("pign", hidden=32, lr=0.01, weight_decay=5e-4, dropout=0.5, input_dropout=0.5,
                      consistency=1.0, consistency_samples=2, consistency_temperature=0.5,
                      conv={"form": "appnp", "alpha": 0.1, "beta": 0.0, "act": "identity", "smoothing": 0.0,
                            "conv_dropout": 0.0, "decoder_dropout": 0.0},
                      label="PIGN (best: initial residual, identity mapping)"),
}

BASELINES: dict[str, RunConfig] = {
    "gcn": RunConfig("gcn", label="stacked GCN", **{**_AUTHORS, "depth": 2}),  # Kipf & Welling's 2 layers
    "appnp": RunConfig("appnp", label="APPNP", **_AUTHORS),
    "gcn2": RunConfig("gcn2", label="GCNII", **_AUTHORS),
}


def chains_models(length: int) -> dict[str, RunConfig]:
    """The chains benchmark's models for chains of ``length`` nodes: PIGN iterated to convergence
    against a 2-layer GCN, both with the same width and training.

    The PIGN iterates z <- relu(A z W + b + z_0) on the chains' raw directed adjacency (no
    self-loops, no normalisation: each node hears its predecessor only) with ``W`` rescaled to a
    0.95-contraction, from which the fixed point exists and is unique; on a directed chain the
    iteration reaches it exactly after ``length`` steps, so ``2 * length + 10`` steps with a
    tolerance is "to convergence"; it never stops before ``length`` steps (``min_iter``), when the
    label at one end has not reached the other and the residual may already look small. Gradients
    are implicit (memory independent of the steps).
    """
    common = dict(hidden=16, lr=0.01, weight_decay=0.0, dropout=0.0, input_dropout=0.0, epochs=200)
    return {
        "gcn": RunConfig("gcn", depth=2, label="2-layer GCN", **common),
        "pign": RunConfig("pign", depth=2 * length + 10, label="PIGN to convergence",
                          conv={"form": "appnp", "inject_input": True, "contraction": 0.95, "smoothing": 0.0,
                                "tol": 1e-5,
                                "min_iter": length,
                                "grad": "implicit", "act": "relu", "add_self_loops": False, "normalize": False},
                          **common),
    }


def preset(model: str, name: Optional[str] = None) -> RunConfig:
    """A copy of the named PIGN preset (``model='pign'``) or of a baseline's configuration (which has
    no named presets: ``name`` must then be None); changing it changes no later call's."""
    if model == "pign":
        name = name or "best"
        if name not in PIGN_PRESETS:
            raise ValueError(f"unknown PIGN preset {name!r}; valid: {', '.join(PIGN_PRESETS)}")
        return copy.deepcopy(PIGN_PRESETS[name])
    if model not in BASELINES:
        raise ValueError(f"unknown model {model!r}; valid: pign, {', '.join(BASELINES)}")
    if name is not None:
        raise ValueError(f"preset({model!r}, {name!r}): the baselines have one configuration each, no named "
                         "presets; leave the name out")
    return copy.deepcopy(BASELINES[model])


#: the PIGN keywords the run sets itself, and where a configuration gives them
_RUN_SETS = {"num_iterations": "RunConfig.depth", "dropout": "RunConfig.dropout",
             "input_dropout": "RunConfig.input_dropout (the training loop drops the input features)",
             "cached": "nothing (the run caches the propagation of its one graph)",
             "in_channels": "nothing (the data sets the widths)", "hidden_channels": "RunConfig.hidden",
             "out_channels": "nothing (the data sets the widths)"}


def build_model(backend: str, cfg: RunConfig, in_channels: int, out_channels: int, *,
                cached: bool = True, sparse_input: bool = True) -> nn.Module:
    if cfg.model == "pign":
        conv = dict(cfg.conv)
        taken = sorted(set(conv) & set(_RUN_SETS))
        if taken:  # (they reached the model twice: "got multiple values for keyword argument")
            raise ValueError(f"RunConfig.conv: {', '.join(map(repr, taken))} "
                             f"{'is' if len(taken) == 1 else 'are'} set by the run, not in conv: give "
                             + ", ".join(_RUN_SETS[k] for k in taken))
        conv.setdefault("on_nonconvergence", "ignore")  # convergence is reported, not warned each epoch
        if backend == "dgl" and conv.get("add_self_loops") is False:
            # without self-loops some nodes may have no in-edges (the chains' labelled ends): intended here
            conv.setdefault("allow_zero_in_degree", True)
        # the training loop drops the input features (cfg.input_dropout, drawn for the nonzero entries only)
        model = build_pign(backend, in_channels, cfg.hidden, out_channels, cfg.depth, dropout=cfg.dropout,
                           input_dropout=0.0, cached=cached, **conv)
        return accept_sparse_input(model) if sparse_input else model
    if cfg.model not in BASELINES:
        raise ValueError(f"RunConfig.model: unknown model {cfg.model!r}; valid: pign, {', '.join(BASELINES)}")
    model = build_baseline(backend, cfg.model, in_channels, cfg.hidden, out_channels, cfg.depth, dropout=cfg.dropout)
    if not cached:  # (the ecosystems' GCNConv, APPNP and GCN2Conv are built cached, for one graph)
        uncached(model)
    if sparse_input and hasattr(model, "enable_sparse_input"):
        model.enable_sparse_input()
    return model


def run_one(backend: str, ds, cfg: RunConfig, seed: int, *, progress=None, keep_model: bool = False):
    """Seed, build, train (selection on validation) and return ``(RunResult, seconds, model or None)``;
    the model (``keep_model``) is not cached: it propagates over each graph it is given."""
    if getattr(ds, "backend", backend) != backend:
        raise ValueError(f"run_one: backend {backend!r}, but the dataset was loaded for {ds.backend!r} (its graph "
                         f"is that backend's); load it with backend={backend!r}")
    seed_everything(seed)
    # (in the features' dtype, whatever torch's default dtype is)
    dtype = ds.x.dtype if ds.x.is_floating_point() else None
    model = build_model(backend, cfg, ds.x.size(1), ds.num_classes).to(device=ds.x.device, dtype=dtype)
    t0 = time.perf_counter()
    res = train_node_classifier(model, ds, epochs=cfg.epochs, lr=cfg.lr, weight_decay=cfg.weight_decay,
                                encoder_weight_decay=cfg.encoder_weight_decay, input_dropout=cfg.input_dropout,
                                consistency=cfg.consistency, consistency_samples=cfg.consistency_samples,
                                consistency_temperature=cfg.consistency_temperature, progress=progress)
    if ds.x.is_cuda:
        torch.cuda.synchronize()
    return res, time.perf_counter() - t0, (uncached(model) if keep_model else None)


def uncached(model: nn.Module) -> nn.Module:
    """``model`` with every ``cached=True`` layer turned to ``cached=False`` and its cache dropped: a
    model trained on one graph (whose propagation the training kept) then propagates over each graph
    it is given."""
    for m in model.modules():
        if getattr(m, "cached", None) is True:
            m.cached = False
            for name in ("_cached_edge_index", "_cached_adj_t"):  # (PyG's GCNConv keeps these)
                if hasattr(m, name):
                    setattr(m, name, None)
    return model
