"""The README's PyG quickstart, as written there, for seeds 0-4 (``torch.manual_seed(seed)`` first):
the test accuracy of the last epoch and the iteration's FixedPointInfo. Cora is read from
``$ITERATIVE_GNN_DATA/planetoid`` (a writable copy when that folder is read-only) instead of being
downloaded into ``planetoid/``.

    ITERATIVE_GNN_DATA=../shared/data python docs/results/quickstart/quickstart.py
"""
import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import torch
import torch.nn.functional as F
import torch_geometric
from torch_geometric.datasets import Planetoid

from iterative_gnn.data import writable_root
from iterative_gnn.reproduce import machine
from pyg_iterative import PIGN

argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " ")).parse_args()  # (--help; no options)
if not os.environ.get("ITERATIVE_GNN_DATA"):
    sys.exit("quickstart.py: error: set ITERATIVE_GNN_DATA to a data root holding planetoid/Cora/raw")
root = writable_root(Path(os.environ["ITERATIVE_GNN_DATA"])) / "planetoid"
commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
# (the CPU's model named: float sums differ between CPUs, and a seed's accuracy can differ in its last digit)
print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}; {machine()}, torch_geometric {torch_geometric.__version__}; git {commit}")
print(f"# command: ITERATIVE_GNN_DATA={os.environ['ITERATIVE_GNN_DATA']} python {' '.join(sys.argv)}")
torch.set_num_threads(1)
data = Planetoid(str(root), "Cora")[0]
for seed in range(5):
    torch.manual_seed(seed)
    # --- the README's lines from here
    model = PIGN(data.num_features, 64, 7, num_iterations=8)   # encoder -> PIGNConv(64) -> decoder
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for epoch in range(200):
        model.train()
        opt.zero_grad()
        loss = F.cross_entropy(model(data.x, data.edge_index)[data.train_mask], data.y[data.train_mask])
        loss.backward()
        opt.step()
    model.eval()
    pred, info = model(data.x, data.edge_index, return_info=True)
    acc = (pred.argmax(-1) == data.y)[data.test_mask].float().mean()
    print(f"seed {seed}: test accuracy {acc:.3f}; {info}")
