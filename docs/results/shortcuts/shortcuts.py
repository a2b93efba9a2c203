"""What the generated graph-level tasks can be solved from without message passing over far nodes.

* ``families``: the graph-families task's models pool one-hot degree features, so a model sees at
  least the graph's degree histogram. An MLP on that histogram alone (no edges), trained on the
  experiment's split with the epoch chosen on validation, gives the accuracy such a shortcut reaches.
* ``long_range``: the task asks whether two marks lie within distance 10. A model of k layers sees
  whether a spine end lies within k hops of a mark; the best accuracy from that one bit (the majority
  label of each of its two values) is what k layers can reach without seeing both marks.

    python docs/results/shortcuts/shortcuts.py --seeds 0,1,2 >> docs/results/shortcuts/shortcuts.log
"""
from __future__ import annotations

import argparse
import collections
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

import networkx as nx
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))

from iterative_gnn.graph_experiments import DISTANCE_TASK  # noqa: E402
from iterative_gnn.graph_families import (degree_features, make_distance_graphs, make_family_graphs,  # noqa: E402
                                          stratified_split)


def histogram_mlp(seed: int, per_family: int = 40, epochs: int = 300) -> tuple[float, float]:
    """(validation, test) accuracy of an MLP on each graph's degree histogram, at the best validation epoch."""
    items = make_family_graphs(per_family, seed=seed)
    hist = torch.stack([degree_features(it.graph).sum(0) for it in items])
    feats = torch.cat([hist, torch.log1p(hist)], 1)
    y = torch.tensor([it.label for it in items])
    train, val, test = stratified_split(y.tolist(), 0.6, 0.2, seed=seed)
    torch.manual_seed(seed)
    mean, std = feats[train].mean(0), feats[train].std(0) + 1e-6
    feats = (feats - mean) / std
    model = torch.nn.Sequential(torch.nn.Linear(feats.size(1), 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, int(y.max()) + 1))
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    best = (-1.0, 0.0)
    for _ in range(epochs):
        opt.zero_grad()
        torch.nn.functional.cross_entropy(model(feats[train]), y[train]).backward()
        opt.step()
        with torch.no_grad():
            pred = model(feats).argmax(1)
        acc = [float((pred[m] == y[m]).float().mean()) for m in (val, test)]
        if acc[0] > best[0]:
            best = (acc[0], acc[1])
    return best


def end_near_mark(seeds: list[int], per_seed: int = 400) -> dict[int, float]:
    """For k hops: the best accuracy of the rule 'a spine end lies within k hops of a mark'."""
    rows = []
    for seed in seeds:
        for item in make_distance_graphs(per_seed, seed=seed, **DISTANCE_TASK):
            ends = nx.periphery(item.graph)  # the diameter's endpoints: the spine's ends
            hops = min(nx.shortest_path_length(item.graph, m, e) for m in item.marked for e in ends)
            rows.append((item.label, hops))
    out = {}
    for k in range(2, 9):
        count = collections.Counter((label, hops <= k) for label, hops in rows)
        out[k] = sum(max(count[(0, b)], count[(1, b)]) for b in (False, True)) / len(rows)
    return out


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--seeds", default="0,1,2", help="comma-separated seeds, e.g. 0,1,2")
    args = p.parse_args(argv)
    try:
        seeds = [int(s) for s in args.seeds.split(",")]
    except ValueError:
        p.error(f"argument --seeds: invalid value {args.seeds!r}: expected comma-separated whole numbers, e.g. 0,1,2")
    torch.set_num_threads(1)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    print(f"# {time.strftime('%Y-%m-%d %H:%M %Z')}; {platform.system()} {platform.machine()}; torch {torch.__version__}; "
          f"git {commit}")
    print(f"# command: python {' '.join(sys.argv)}")
    tests = []
    for seed in seeds:
        val, test = histogram_mlp(seed)
        tests.append(test)
        print(f"families, degree-histogram MLP, seed {seed}: validation {100 * val:.1f}, test {100 * test:.1f}")
    sd = statistics.stdev(tests) if len(tests) > 1 else 0.0
    print(f"families, degree-histogram MLP: test {100 * statistics.mean(tests):.1f} +- {100 * sd:.1f} over {len(tests)} seeds")
    for k, acc in end_near_mark(seeds).items():
        print(f"long range, 'a spine end within {k} hops of a mark' alone: {100 * acc:.1f}%")


if __name__ == "__main__":
    main()
