"""A plain full-batch node-classification loop: Adam, selection on validation accuracy."""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Callable, Optional

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from .backends import forward
from .data import NodeDataset


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


def accuracy(logits: torch.Tensor, y: torch.Tensor, mask: torch.Tensor) -> float:
    return float((logits[mask].argmax(-1) == y[mask]).float().mean())


def train_node_classifier(model: nn.Module, ds: NodeDataset, *, epochs: int = 200, lr: float = 0.01,
                          weight_decay: float = 5e-4, progress: Optional[Callable[[int, float], None]] = None,
                          return_info: bool = True) -> RunResult:
    """Train on ``train_mask``, keep the parameters of the best validation epoch, report test accuracy."""
    opt = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    best_val, best_state, best_epoch, losses = -1.0, None, 0, []
    for epoch in range(epochs):
        model.train()
        opt.zero_grad()
        out = forward(model, ds.x, ds.graph)
        loss = F.cross_entropy(out[ds.train_mask], ds.y[ds.train_mask])
        loss.backward()
        opt.step()
        losses.append(float(loss))
        model.eval()
        with torch.no_grad():
            out = forward(model, ds.x, ds.graph)
        val = accuracy(out, ds.y, ds.val_mask)
        if val > best_val:
            best_val, best_epoch = val, epoch
            best_state = copy.deepcopy(model.state_dict())
        if progress is not None:
            progress(epoch, float(loss))
    model.load_state_dict(best_state)
    model.eval()
    info = None
    with torch.no_grad():
        if return_info:
            out, fp = forward(model, ds.x, ds.graph, return_info=True)
            info = fp.as_dict()
        else:
            out = forward(model, ds.x, ds.graph)
    return RunResult(accuracy(out, ds.y, ds.test_mask), best_val, best_epoch, losses, info)
