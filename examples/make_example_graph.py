"""Write the example graph of ``examples/graphs/`` (run once; the files are shipped).

A stochastic block model of 300 nodes in three communities (networkx's generator, seeded): edges
join two nodes of one community with probability 0.04 and of two communities with 0.004, and a
node left without an edge is joined to one node of its community. Each node has 8 features, its
community's mean (a random vector, entries of standard deviation 1) plus Gaussian noise of
standard deviation 2, so that the features alone classify a node only partly and its neighbours
help. Its label is its community's
name (``red``, ``green``, ``blue``); 60 nodes, drawn at random, have none: those are the ones to
predict.

Two files of one graph:

* ``communities.gml``: features in the node attribute ``x`` (a list of 8 numbers), the label in
  ``community`` (absent on the 60 unlabelled nodes).
* ``communities.edgelist`` with ``communities_features.csv`` (``node,f0..f7``) and
  ``communities_labels.csv`` (``node,community,split``: one row per labelled node, its split a
  stratified 60/20/20 draw).

Usage: ``python examples/make_example_graph.py [--out examples/graphs]``
"""
from __future__ import annotations

import argparse
import csv
from pathlib import Path

import networkx as nx
import numpy as np

CLASSES = ("red", "green", "blue")
SIZES = (100, 100, 100)
P_IN, P_OUT = 0.04, 0.004
FEATURES = 8
UNLABELLED = 60
SEED = 7
NOISE = 2.0  # feature noise (standard deviation), twice the spread of the community means


def make_graph(seed: int = SEED) -> nx.Graph:
    """The example graph: node attributes ``x`` (list of floats), ``community`` (labelled nodes),
    ``split`` (labelled nodes: train, val or test)."""
    rng = np.random.default_rng(seed)
    probs = [[P_IN if a == b else P_OUT for b in range(len(SIZES))] for a in range(len(SIZES))]
    g = nx.stochastic_block_model(SIZES, probs, seed=seed)
    block = [g.nodes[v]["block"] for v in g.nodes]
    for v in list(g.nodes):
        if g.degree(v) == 0:  # an edge list names only nodes that have an edge
            same = [u for u in g.nodes if block[u] == block[v] and u != v]
            g.add_edge(v, int(rng.choice(same)))
    means = rng.normal(0.0, 1.0, size=(len(SIZES), FEATURES))
    x = means[block] + rng.normal(0.0, NOISE, size=(g.number_of_nodes(), FEATURES))
    unlabelled = set(rng.choice(g.number_of_nodes(), size=UNLABELLED, replace=False).tolist())
    out = nx.Graph()
    for v in g.nodes:
        attrs = {"x": [round(float(a), 4) for a in x[v]]}
        if v not in unlabelled:
            attrs["community"] = CLASSES[block[v]]
        out.add_node(v, **attrs)
    out.add_edges_from(g.edges)
    for c in range(len(CLASSES)):  # a stratified 60/20/20 split of each community's labelled nodes
        nodes = [v for v in out.nodes if out.nodes[v].get("community") == CLASSES[c]]
        nodes = [nodes[i] for i in rng.permutation(len(nodes))]
        n_train, n_val = round(0.6 * len(nodes)), round(0.2 * len(nodes))
        for k, v in enumerate(nodes):
            out.nodes[v]["split"] = "train" if k < n_train else "val" if k < n_train + n_val else "test"
    return out


def write(g: nx.Graph, folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    gml = folder / "communities.gml"
    h = nx.relabel_nodes(g, str)  # a copy; GML names nodes by text labels
    for v in h.nodes:
        h.nodes[v].pop("split", None)  # left out: the GML example draws a stratified split of its own
    nx.write_gml(h, gml)
    edges = folder / "communities.edgelist"
    nx.write_edgelist(g, edges, data=False)
    feats = folder / "communities_features.csv"
    with open(feats, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["node", *(f"f{k}" for k in range(FEATURES))])
        for v in g.nodes:
            w.writerow([v, *g.nodes[v]["x"]])
    labels = folder / "communities_labels.csv"
    with open(labels, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["node", "community", "split"])
        for v in g.nodes:
            if "community" in g.nodes[v]:
                w.writerow([v, g.nodes[v]["community"], g.nodes[v]["split"]])
    return [gml, edges, feats, labels]


def folder(text: str) -> Path:
    """A folder argument: not empty (``Path("")`` is the current folder, which nobody means by it)."""
    if not text.strip():
        raise argparse.ArgumentTypeError(f"invalid value {text!r}: expected a folder")
    return Path(text)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--out", type=folder, default=Path(__file__).resolve().parent / "graphs")
    args = p.parse_args()
    if args.out.exists() and not args.out.is_dir():
        p.error(f"argument --out: {args.out} is a file; give a folder (the four files are written into it)")
    try:
        written = write(make_graph(), args.out)
    except OSError as exc:
        p.error(f"argument --out: could not write into {args.out}: {exc.strerror or exc}")
    for path in written:
        print(f"wrote {path} ({path.stat().st_size} bytes)")


if __name__ == "__main__":
    main()
