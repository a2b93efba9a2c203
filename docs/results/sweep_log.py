"""What the validation sweeps under ``docs/results`` share: seed lists, a log of one JSON line per run
after a header that names the command, the commit and the files changed in the working tree, and a
second validation measure on the Planetoid graphs (:func:`rest_accuracy`)."""
from __future__ import annotations

import datetime
import json
import platform
import subprocess
import sys
from pathlib import Path
from typing import Optional

import torch

ROOT = Path(__file__).resolve().parents[2]


def rest_accuracy(model, ds) -> float:
    """Accuracy of a trained node classifier (its parameters of the best validation epoch) on the
    nodes of none of the split's masks (Cora 1068, CiteSeer 1707 on the public split): a validation
    set larger than the split's 500 nodes that shares no node with the test set."""
    from iterative_gnn.train import accuracy, evaluate

    rest = ~(ds.train_mask | ds.val_mask | ds.test_mask)
    return accuracy(evaluate(model, ds), ds.y, rest)


def parse_seeds(text: str) -> list[int]:
    """``"0-2,5"`` -> ``[0, 1, 2, 5]``."""
    seeds: list[int] = []
    for part in text.split(","):
        lo, _, hi = part.partition("-")
        seeds.extend(range(int(lo), int(hi or lo) + 1))
    return seeds


def header(argv: list[str]) -> dict:
    git = ["git", "-C", str(ROOT)]
    commit = subprocess.run([*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    dirty = subprocess.run([*git, "status", "--porcelain", "--untracked-files=no"], capture_output=True,
                           text=True).stdout.split("\n")
    return {"header": True, "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
            "command": "python " + " ".join(argv), "commit": commit, "changed": [x[3:] for x in dirty if x],
            "machine": platform.platform(), "cpu": platform.processor() or platform.machine(),
            "torch": torch.__version__, "threads": torch.get_num_threads()}


class RunLog:
    """Prints each run's row; with a ``path``, appends it there too, after the header."""

    def __init__(self, path: Optional[str], argv: list[str]) -> None:
        self.file = open(path, "a") if path else None
        if self.file:
            self.file.write(json.dumps(header([sys.argv[0], *argv])) + "\n")

    def write(self, row: dict) -> None:
        print(json.dumps(row), flush=True)
        if self.file:
            self.file.write(json.dumps(row) + "\n")
            self.file.flush()
