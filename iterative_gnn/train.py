"""A plain full-batch node-classification loop: Adam, selection on validation accuracy."""
from __future__ import annotations

import copy
import math
import random
import re
import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Callable, Iterator, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from iterative_core import ConvergenceWarning
from iterative_core.checks import check_int, check_real
from iterative_core.validation import NonFiniteFeaturesError

from .backends import forward
from .data import NodeDataset
from .sparse_input import accept_sparse_input, sparse_aware  # noqa: F401 - their former home, kept importable


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class RunResult:
    test_acc: float
    val_acc: float
    best_epoch: int
    losses: list = field(default_factory=list)
    info: Optional[dict] = None  # the iteration's convergence at evaluation, for PIGN models
    residuals: Optional[list] = None  # relative residual after each iteration at evaluation


#: torch's own notices that a run triggers and that say nothing about the user's model or data:
#: ``(message pattern, category)``. The sparse-CSR input of the models (see :class:`FeatureDropout`)
#: raises the first two; importing PyG raises the third (PyG's own use of ``torch.jit.script``).
TORCH_NOTICES = (
    (r"Sparse CSR tensor support is in beta state", UserWarning),
    (r"Sparse invariant checks are implicitly disabled", UserWarning),
    (r"`torch\.jit\.script` is deprecated", DeprecationWarning),
)


def filter_torch_notices() -> None:
    """Hide :data:`TORCH_NOTICES` (each by its message and category; every other warning, the
    library's :class:`~iterative_core.ConvergenceWarning` among them, is left as it is)."""
    for message, category in TORCH_NOTICES:
        warnings.filterwarnings("ignore", message=message, category=category)


_REEMITTED: dict = {}  # the "once per place" registry of the warnings passed on by convergence_watch
_RESIDUAL = re.compile(r"final residual ([-+0-9.eE]+|nan|inf)")


@contextmanager
def convergence_watch() -> Iterator[list[str]]:
    """Collect the library's :class:`~iterative_core.ConvergenceWarning` messages raised inside (every
    one of them, into the list given, filled when the block ends) instead of showing them; any other
    warning is passed on as usual."""
    messages: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        yield messages
    for w in caught:
        if issubclass(w.category, ConvergenceWarning):
            messages.append(str(w.message))
        else:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno, registry=_REEMITTED)


@dataclass
class ConvergenceTally:
    """How many runs of an iterative model did not converge, and the worst final residual among them.

    A run did not converge when the library warned (:class:`~iterative_core.ConvergenceWarning`, in
    training or at evaluation) or when its iteration at evaluation ended ``max_iter`` or ``diverged``;
    a run of a fixed number of iterations (status ``fixed``) is not counted as failing."""

    runs: int = 0
    failed: int = 0
    worst: Optional[float] = None  # the largest final relative residual of a failed run (NaN: not finite)

    def add(self, messages: list[str], info: Optional[dict] = None, iterative: bool = True) -> None:
        """Count one run from the warning ``messages`` it raised and its evaluation ``info``
        (:meth:`FixedPointInfo.as_dict`); a run of a model that does not iterate (``iterative`` False,
        no warning) is not counted."""
        if not (iterative or messages):
            return
        self.runs += 1
        residuals = [float(m.group(1)) for m in map(_RESIDUAL.search, messages) if m]
        failed = bool(messages)
        if info and info.get("status") in ("max_iter", "diverged"):
            failed = True
            if info.get("final_residual") is not None:
                residuals.append(float(info["final_residual"]))
        if failed:
            self.failed += 1
            for r in residuals:
                self._worse(r)

    def _worse(self, r: Optional[float]) -> None:
        if r is None:
            return
        if self.worst is None or math.isnan(r) or (not math.isnan(self.worst) and r > self.worst):
            self.worst = r

    def merge(self, other: "ConvergenceTally") -> None:
        self.runs += other.runs
        self.failed += other.failed
        self._worse(other.worst)

    def describe(self, what: str = "runs") -> str:
        """``"2 of 12 runs did not converge (worst final residual 3.1e-01)"``."""
        worst = "" if not self.failed or self.worst is None else f" (worst final residual {self.worst:.2e})"
        return f"{self.failed} of {self.runs} {what} did not converge{worst}"


def accuracy(logits: Tensor, y: Tensor, mask: Optional[Tensor] = None) -> float:
    """The share of the rows (``mask``'s, or all) predicted right, ``k / n`` in float64 (a float32 mean
    carries noise that decides how a mean over seeds rounds at a tie such as 71.35)."""
    hit = (logits.argmax(-1) == y) if mask is None else (logits[mask].argmax(-1) == y[mask])
    return int(hit.sum()) / hit.numel() if hit.numel() else float("nan")


class FeatureDropout:
    """Dropout on the input features, drawn only for their nonzero entries.

    Zeroing an entry that is already zero changes nothing, so for sparse bag-of-words features
    (Cora: 1.3% nonzero) this gives exactly the distribution of ``F.dropout(x, p)`` while drawing
    a hundred times fewer random numbers, which dominate a CPU epoch otherwise. With
    ``sparse_output`` (for models that take sparse input, see
    :func:`iterative_gnn.sparse_input.accept_sparse_input`) the features are handed over as a CSR
    sparse tensor (:attr:`x_input`, and the dropped copies).
    """

    def __init__(self, x: Tensor, p: float, sparse_output: bool = False) -> None:
        if not (0.0 <= p < 1.0):
            raise ValueError(f"input dropout must lie in [0, 1), got {p}")
        self.x, self.p = x, float(p)
        self.sparse = x.dim() == 2 and x.numel() > 0 and not x.is_sparse and float((x != 0).float().mean()) < 0.25
        self.x_input = x
        if self.sparse:
            self.index = (x != 0).nonzero(as_tuple=True)
            self.values = x[self.index]
            if sparse_output:
                self.x_input = x.to_sparse_csr()

    def __call__(self) -> Tensor:
        if self.p == 0.0:
            return self.x_input
        if not self.sparse:
            return F.dropout(self.x, self.p, training=True)
        if self.x_input.layout == torch.sparse_csr:  # same row-major order of the nonzero entries
            x = self.x_input
            keep = torch.empty_like(x.values()).bernoulli_(1.0 - self.p)
            return torch.sparse_csr_tensor(x.crow_indices(), x.col_indices(), x.values() * keep / (1.0 - self.p),
                                           x.shape)
        keep = torch.empty_like(self.values).bernoulli_(1.0 - self.p)
        out = torch.zeros_like(self.x)
        out[self.index] = self.values * keep / (1.0 - self.p)
        return out


def evaluate(model: nn.Module, ds: NodeDataset, return_info: bool = False, x: Optional[Tensor] = None):
    """Logits in eval mode (and the iteration's info for PIGN models)."""
    model.eval()
    with torch.no_grad():
        return forward(model, ds.x if x is None else x, ds.graph, return_info=return_info)


#: the largest learning rate: Adam's first step is ``lr / (1 - 0.9)``, ten times it, which it converts to the
#: parameters' dtype (a larger one failed inside Adam, "value cannot be converted to type float without overflow")
MAX_LR = float(torch.finfo(torch.float32).max) / 10


def check_training(where: str, *, epochs: int, lr: float, weight_decay: float) -> tuple[int, float, float]:
    """The training loop's numbers, checked at once: ``epochs`` a whole number >= 1 (with none, the
    "best epoch" would be the untrained model's), ``lr`` > 0 (and at most :data:`MAX_LR`) and
    ``weight_decay`` >= 0, finite.
    Adam's own checks miss a string, and the values inside parameter groups."""
    return (check_int("epochs", epochs, minimum=1, where=where),
            check_real("lr", lr, low=0.0, low_open=True, high=MAX_LR, where=where),
            check_real("weight_decay", weight_decay, low=0.0, where=where))


def _param_groups(model: nn.Module, weight_decay: float, encoder_weight_decay: Optional[float]) -> list[dict]:
    """Adam's parameter groups: one with ``weight_decay``, or the ``encoder``'s apart."""
    encoder_weight_decay = check_real("encoder_weight_decay", encoder_weight_decay, low=0.0, optional=True,
                                      where="train_node_classifier")
    if encoder_weight_decay is None:
        return [dict(params=list(model.parameters()), weight_decay=weight_decay)]
    encoder = getattr(model, "encoder", None)
    if not isinstance(encoder, nn.Module):
        raise ValueError(f"encoder_weight_decay={encoder_weight_decay!r} needs a model with an encoder (PIGN); "
                         f"{type(model).__name__} has none: leave it unset")
    own = {id(p) for p in encoder.parameters()}
    return [dict(params=list(encoder.parameters()), weight_decay=encoder_weight_decay),
            dict(params=[p for p in model.parameters() if id(p) not in own], weight_decay=weight_decay)]


class TrainingDiverged(RuntimeError):
    """The parameters became NaN/Inf in training (a learning rate too large for the model), or the
    model's outputs did with finite parameters (its arithmetic overflowed on the features);
    ``option`` is the command-line option to change (``"--lr"`` or ``"--features"``)."""

    def __init__(self, message: str, option: str = "--lr") -> None:
        super().__init__(message)
        self.option = option


def _magnitudes(x: Tensor, model: Optional[nn.Module]) -> tuple[float, float]:
    """The largest magnitude of the features ``x`` (NaN for sparse ones) and of ``model``'s parameters
    (0 without a model)."""
    largest = float(x.detach().abs().max()) if x.numel() and x.layout == torch.strided else float("nan")
    peak = 0.0 if model is None else max((float(p.detach().abs().max()) for p in model.parameters() if p.numel()),
                                         default=0.0)
    return largest, peak


def overflow_option(x: Tensor, model: nn.Module, feature_option: str) -> str:
    """The command-line option :func:`overflow_message` points at: ``--model`` where the parameters are
    the larger, else ``feature_option``."""
    largest, peak = _magnitudes(x, model)
    return "--model" if peak > largest else feature_option


def overflow_message(x: Tensor, what: str, model: Optional[nn.Module] = None) -> str:
    """Why a model with finite parameters gave NaN/Inf on the finite features ``x`` (``what``: the
    subject and its verb, "the model's outputs hold"); with the ``model``, its parameters are named
    instead where their largest magnitude exceeds the features' (a model saved from a training that
    diverged holds huge finite ones)."""
    largest, peak = _magnitudes(x, model)
    if peak > largest:  # (NaN features: False) the parameters are the larger: a model from a training that diverged
        return (f"{what} NaN/Inf although the parameters and the node features are finite: the model's float32 "
                f"arithmetic overflowed on its parameters (largest magnitude {peak:.3g}, beside features of at most "
                f"{largest:.3g}), as a training that diverged leaves them; train the model again with a lower "
                "learning rate")
    return (f"{what} NaN/Inf although the parameters and the node features are finite: the model's float32 "
            f"arithmetic overflowed on the features (largest magnitude {largest:.3g}); rescale them, for example "
            "standardise each column")


def _raise_if_diverged(model: nn.Module, epoch: int, lr: float, exc: Optional[Exception], x: Tensor,
                       stepped: bool, subject: str = "loss is") -> None:
    """Raise :class:`TrainingDiverged` (from ``exc``) for NaN/Inf in training: ``exc`` None for a NaN/Inf
    loss, else a layer's refusal of the NaN/Inf features it was given (:class:`NonFiniteFeaturesError`;
    other errors are left to the caller unless the parameters hold NaN/Inf, as before).
    After an optimizer step (``stepped``) it is the training's (parameters grown to NaN/Inf, or so large
    that the outputs overflow: the learning rate); before any, with the initial parameters, the finite
    features ``x`` overflowed the model's arithmetic."""
    bad = [name for name, p in model.named_parameters() if not bool(torch.isfinite(p.detach()).all())]
    if not bad and exc is not None and not isinstance(exc, NonFiniteFeaturesError):
        return
    if bad or stepped:
        what = (f"the parameters {', '.join(bad[:3])}{' and more' if len(bad) > 3 else ''} hold NaN/Inf" if bad else
                f"the model's {subject if exc is None else 'intermediate values are'} NaN/Inf (largest parameter "
                f"magnitude {max(float(p.detach().abs().max()) for p in model.parameters() if p.numel()):.3g})")
        raise TrainingDiverged(f"the training diverged in epoch {epoch + 1}: after an optimizer step {what} "
                               f"(learning rate {lr:g}); lower the learning rate") from exc
    if x.layout != torch.strided or bool(torch.isfinite(x).all()):
        what = f"in epoch {epoch + 1} the model's {subject if exc is None else 'intermediate values hold'}"
        raise TrainingDiverged(overflow_message(x, what), option="--features") from exc


def _raise_if_weight_overflows(loss: Tensor, term: Tensor, weight: float, option: str, epoch: int) -> None:
    """For a total ``loss + weight * term`` found not finite: raise :class:`TrainingDiverged` naming
    ``option`` when ``loss`` and ``term`` are finite, so that the weight, not the features or the
    learning rate, overflowed."""
    if bool(torch.isfinite(loss.detach())) and bool(torch.isfinite(term.detach())):
        raise TrainingDiverged(f"in epoch {epoch + 1} the loss is NaN/Inf: the {option} term "
                               f"({float(term.detach()):.3g}) times its weight {option}={weight:g} overflows "
                               "float32; give a smaller weight", option=f"--{option}")


def consistency_loss(logits: list[Tensor], temperature: float = 0.5) -> Tensor:
    """The consistency regularisation of GRAND (Feng et al., NeurIPS 2020, "Graph Random Neural
    Networks for Semi-Supervised Learning on Graphs"): the predicted class distributions of several
    forward passes under dropout (``logits``, each ``[nodes, classes]``) are pulled towards their
    mean sharpened by ``temperature`` (``p ** (1 / T)``, renormalised; held constant): the mean over
    passes and nodes of the squared distance. Every node counts, labelled or not."""
    probs = [z.softmax(-1) for z in logits]
    mean = torch.stack(probs).mean(0).detach()
    sharp = mean.pow(1.0 / temperature)
    total = sharp.sum(-1, keepdim=True)
    # at a low temperature the powers of a near-uniform row underflow to 0 (0 / 0: NaN): such rows are
    # sharpened after scaling their largest probability to 1, the same distribution
    rescued = (mean / mean.amax(-1, keepdim=True)).pow(1.0 / temperature)
    sharp = torch.where(total >= torch.finfo(total.dtype).tiny, sharp / total,
                        rescued / rescued.sum(-1, keepdim=True))
    return torch.stack([(p - sharp).pow(2).sum(-1).mean() for p in probs]).mean()


def check_consistency(where: str, consistency: float, samples: int, temperature: float) -> tuple[float, int, float]:
    """The consistency options, checked at once: a weight >= 0 (0: off), at least two passes (the
    consistency is between passes), a temperature in (0, 1] (1: no sharpening)."""
    return (check_real("consistency", consistency, low=0.0, where=where),
            check_int("consistency_samples", samples, minimum=2, where=where),
            check_real("consistency_temperature", temperature, low=0.0, low_open=True, high=1.0, where=where))


def _check_split(where: str, ds: NodeDataset) -> None:
    """The training and validation masks each select a node: an empty training set read as an overflow
    of the features, an empty validation set kept the last epoch while reporting the first. (The test
    set may be empty, to train on every labelled node: its accuracy is then NaN.)"""
    for name, why in (("train_mask", "nothing to train on"),
                      ("val_mask", "the best epoch is chosen on the validation nodes")):
        mask = getattr(ds, name)
        if not bool(mask.any()):
            raise ValueError(f"{where}: the dataset's {name} selects none of its {mask.numel()} nodes ({why}); "
                             "give the training and validation sets at least one node each")


def train_node_classifier(model: nn.Module, ds: NodeDataset, *, epochs: int = 200, lr: float = 0.01,
                          weight_decay: float = 5e-4, input_dropout: float = 0.0,
                          encoder_weight_decay: Optional[float] = None, consistency: float = 0.0,
                          consistency_samples: int = 2, consistency_temperature: float = 0.5,
                          progress: Optional[Callable[[int, float], None]] = None,
                          return_info: bool = True) -> RunResult:
    """Train on ``train_mask``, keep the parameters of the best validation epoch, report test accuracy.

    ``input_dropout`` drops input features in training (see :class:`FeatureDropout`); models may
    also do their own. ``encoder_weight_decay`` (PIGN only) is the weight decay of the model's
    ``encoder``, ``weight_decay`` then that of the other parameters (None: ``weight_decay`` for all).
    ``consistency`` > 0 runs ``consistency_samples`` forward passes per epoch, each under its own
    dropout, and adds ``consistency`` times their :func:`consistency_loss` (at
    ``consistency_temperature``) to their mean cross-entropy: a semi-supervised regulariser that
    reads the unlabelled nodes' predictions (never their labels) and multiplies an epoch's cost by
    the number of passes. The recorded losses are the objective (with that term).
    """
    epochs, lr, weight_decay = check_training("train_node_classifier", epochs=epochs, lr=lr,
                                              weight_decay=weight_decay)
    consistency, consistency_samples, consistency_temperature = check_consistency(
        "train_node_classifier", consistency, consistency_samples, consistency_temperature)
    passes = consistency_samples if consistency > 0 else 1
    opt = torch.optim.Adam(_param_groups(model, weight_decay, encoder_weight_decay), lr=lr)
    _check_split("train_node_classifier", ds)  # (after the options: each is named before the data is read)
    drop = FeatureDropout(ds.x, input_dropout, sparse_output=getattr(model, "sparse_input", False))
    own = getattr(model, "sparse_input_dropout", 0.0)
    if own and drop.x_input.layout != torch.strided:
        # the model skips its own input dropout on sparse input: both dropouts in one draw
        drop = FeatureDropout(ds.x, 1.0 - (1.0 - input_dropout) * (1.0 - own), sparse_output=True)
    best_val, best_state, best_epoch, losses = -1.0, None, 0, []
    stepped = False  # whether the parameters are the initial ones no more
    for epoch in range(epochs):
        try:
            model.train()
            opt.zero_grad()
            outs = [forward(model, drop(), ds.graph) for _ in range(passes)]
            loss = torch.stack([F.cross_entropy(out[ds.train_mask], ds.y[ds.train_mask]) for out in outs]).mean()
            fit, term = loss, None
            if consistency > 0:
                term = consistency_loss(outs, consistency_temperature)
                loss = loss + consistency * term
            if not bool(torch.isfinite(loss.detach())):  # (a baseline has no layer to refuse NaN/Inf)
                if term is not None:
                    _raise_if_weight_overflows(fit, term, consistency, "consistency", epoch)
                _raise_if_diverged(model, epoch, lr, None, ds.x, stepped)
            loss.backward()
            opt.step()
            stepped = True
            losses.append(float(loss.detach()))
            logits = evaluate(model, ds, x=drop.x_input)
            if not bool(torch.isfinite(logits).all()):  # (the last epoch's step has no next loss to show it)
                _raise_if_diverged(model, epoch, lr, None, ds.x, stepped, "outputs at evaluation are")
            val = accuracy(logits, ds.y, ds.val_mask)
        except ValueError as exc:  # a layer refused NaN/Inf features: read whether the training diverged
            _raise_if_diverged(model, epoch, lr, exc, ds.x, stepped)
            raise
        if val > best_val:
            best_val, best_epoch = val, epoch
            best_state = copy.deepcopy(model.state_dict())
        if progress is not None:
            progress(epoch, losses[-1])
    if best_state is not None:
        model.load_state_dict(best_state)
    info = residuals = None
    out = evaluate(model, ds, return_info=return_info, x=drop.x_input)
    if return_info:
        out, fp = out
        if fp is not None:
            info = fp.as_dict()
            residuals = [float(r) for r in fp.residuals]
    return RunResult(accuracy(out, ds.y, ds.test_mask), best_val, best_epoch, losses, info, residuals)
