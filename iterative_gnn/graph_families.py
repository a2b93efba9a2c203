"""Labelled graphs generated in code for graph-level tasks: graph families and a long-range distance task.

Two generators, both seeded and deterministic (the same arguments give the same graphs, on any
machine: every random choice is drawn from one :class:`random.Random` per graph, derived from the
seed and the graph's index, and the graphs are built with networkx's deterministic constructors):

* :func:`make_family_graphs`: graph classification by family. Each graph is drawn from one of
  :data:`FAMILIES` (cycle, ladder, star, wheel, lollipop, hypercube, 2-d grid, complete graph,
  circular ladder, random tree) with a random size, gets a few random extra edges (so that its
  family is not read off its degree histogram alone) and random node numbers. The label is the
  family's index; every family has the same number of graphs.
* :func:`make_distance_graphs`: "are the two marked nodes within distance ``threshold``?" on
  caterpillar trees (a long spine path with short legs) whose diameter is at most ``max_diameter``.
  Half of the marked pairs lie ``threshold - spread .. threshold`` hops apart (label 1), half
  ``threshold + gap + 1 .. threshold + gap + spread + 1`` (label 0), so that a model that sees fewer
  than about ``(threshold - spread) / 2`` hops around each mark cannot tell the two classes apart.
  Distances are measured with ``networkx.shortest_path_length``.

Node features are computed here too (:func:`degree_features`, :func:`mark_features`), so that both
backends train on identical tensors; :mod:`iterative_gnn.graph_tasks` converts the graphs with
``torch_geometric.utils.from_networkx`` or ``dgl.from_networkx``.
"""
from __future__ import annotations

import numbers
import random
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import networkx as nx
import torch
from torch import Tensor

__all__ = ["LabelledGraph", "FAMILIES", "make_family_graphs", "make_distance_graphs", "degree_features",
           "mark_features", "stratified_split", "add_random_edges", "caterpillar"]


@dataclass(frozen=True)
class LabelledGraph:
    """One generated graph: nodes ``0 .. n-1``, an integer label, what it was drawn as (``kind``: its
    family, or ``"caterpillar"``), and the marked nodes and their distance for the distance task."""

    graph: nx.Graph
    label: int
    kind: str
    marked: tuple[int, ...] = ()
    distance: int = -1

    @property
    def num_nodes(self) -> int:
        return self.graph.number_of_nodes()


def _rng(seed: int, index: int, salt: int) -> random.Random:
    # one stream per graph (and per generator), so that a graph does not depend on how many came before
    return random.Random((seed * 1_000_003 + index) * 7919 + salt)


def _tree(n: int, rng: random.Random) -> nx.Graph:
    """A uniformly random labelled tree on ``n >= 2`` nodes (a random Prüfer sequence)."""
    if n == 2:
        return nx.path_graph(2)
    return nx.from_prufer_sequence([rng.randrange(n) for _ in range(n - 2)])


#: each family's generator: a random size from the family's range, then networkx's constructor. The
#: ranges keep the families apart (a 3-cube would be the circular ladder on 4 rungs, a 2 x m grid a ladder)
FAMILIES: dict[str, Callable[[random.Random], nx.Graph]] = {
    "cycle": lambda r: nx.cycle_graph(r.randint(8, 24)),
    "ladder": lambda r: nx.ladder_graph(r.randint(4, 12)),
    "star": lambda r: nx.star_graph(r.randint(6, 20)),
    "wheel": lambda r: nx.wheel_graph(r.randint(7, 20)),
    "lollipop": lambda r: nx.lollipop_graph(r.randint(4, 7), r.randint(3, 12)),
    "hypercube": lambda r: nx.hypercube_graph(r.choice((4, 5))),
    "grid_2d": lambda r: nx.grid_2d_graph(r.randint(3, 6), r.randint(3, 6)),
    "complete": lambda r: nx.complete_graph(r.randint(5, 10)),
    "circular_ladder": lambda r: nx.circular_ladder_graph(r.randint(5, 12)),
    "tree": lambda r: _tree(r.randint(8, 24), r),
}


def add_random_edges(g: nx.Graph, count: int, rng: random.Random) -> nx.Graph:
    """``g`` with ``count`` edges added between random pairs of distinct nodes not yet joined (fewer
    when the graph is complete)."""
    g = g.copy()
    nodes = list(g.nodes)
    missing = len(nodes) * (len(nodes) - 1) // 2 - g.number_of_edges()
    for _ in range(min(count, missing)):
        while True:
            a, b = rng.sample(nodes, 2)
            if not g.has_edge(a, b):
                g.add_edge(a, b)
                break
    return g


def _renumber(g: nx.Graph, rng: random.Random) -> tuple[nx.Graph, dict]:
    """``g`` with its nodes renumbered ``0 .. n-1`` in a random order (a constructor's numbering,
    e.g. along a cycle, carries no information), edges in a canonical order; and the renumbering."""
    nodes = sorted(g.nodes)
    order = list(range(len(nodes)))
    rng.shuffle(order)
    mapping = dict(zip(nodes, order))
    out = nx.Graph()
    out.add_nodes_from(range(len(nodes)))
    out.add_edges_from(sorted(tuple(sorted((mapping[a], mapping[b]))) for a, b in g.edges))
    return out, mapping


def _check_seed(seed: int) -> int:
    """``seed`` as an int (a numpy integer too), or a ValueError naming it."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral):
        raise ValueError(f"seed must be an int, got {seed!r}")
    return int(seed)


def _check_count(name: str, value: int, minimum: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value!r}")


def make_family_graphs(per_family: int = 40, *, families: Optional[Sequence[str]] = None,
                       extra_edges: tuple[int, int] = (2, 5), seed: int = 0) -> list[LabelledGraph]:
    """``per_family`` graphs of each of ``families`` (default: every one of :data:`FAMILIES`, label =
    its index there), each with ``extra_edges[0] .. extra_edges[1]`` random extra edges (uniform) and
    its nodes renumbered at random; in a random order. The same arguments give the same graphs."""
    _check_count("per_family", per_family, 1)
    seed = _check_seed(seed)
    if isinstance(families, str):  # (a name alone was read letter by letter)
        raise ValueError(f"families must be a list of family names, got the string {families!r}; "
                         f"give [{families!r}]")
    names = list(FAMILIES) if families is None else list(families)
    bad = [f for f in names if f not in FAMILIES]
    if bad or not names:
        raise ValueError(f"unknown families {bad or names!r}; valid: {', '.join(FAMILIES)}")
    twice = sorted({f for f in names if names.count(f) > 1})
    if twice:  # (two labels for graphs drawn alike: a task no model can learn)
        raise ValueError(f"families names {', '.join(twice)} more than once; each family is one class: give each once")
    pair = tuple(extra_edges) if isinstance(extra_edges, (tuple, list)) else ()
    if not (len(pair) == 2 and all(isinstance(v, int) and not isinstance(v, bool) for v in pair)
            and 0 <= pair[0] <= pair[1]):
        raise ValueError(f"extra_edges must be (low, high), ints with 0 <= low <= high, got {extra_edges!r}")
    lo, hi = pair
    out = []
    for label, name in enumerate(names):
        for i in range(per_family):
            rng = _rng(seed, label * 100_003 + i, 1)
            g = add_random_edges(FAMILIES[name](rng), rng.randint(lo, hi), rng)
            out.append(LabelledGraph(_renumber(g, rng)[0], label, name))
    random.Random(seed).shuffle(out)
    return out


def caterpillar(spine: int, legs: float, max_leg: int, rng: random.Random) -> nx.Graph:
    """A path of ``spine`` nodes (``0 .. spine-1`` in order) and, at each spine node but the two ends
    with probability ``legs``, a pendant path of 1..``max_leg`` nodes (numbered after the spine)."""
    g = nx.path_graph(spine)
    nxt = spine
    for s in range(1, spine - 1):
        if rng.random() < legs:
            prev = s
            for _ in range(rng.randint(1, max_leg)):
                g.add_edge(prev, nxt)
                prev, nxt = nxt, nxt + 1
    return g


def make_distance_graphs(num_graphs: int = 200, *, threshold: int = 16, spread: int = 4, gap: int = 8,
                         margin: int = 4, max_diameter: int = 50, legs: float = 0.2, max_leg: int = 1,
                         seed: int = 0) -> list[LabelledGraph]:
    """``num_graphs`` caterpillars with two marked nodes each; label 1 when the marks are at most
    ``threshold`` hops apart, else 0, alternating so that the classes are balanced (half each, one more
    of label 1 when ``num_graphs`` is odd), then shuffled.

    The distance is drawn uniformly from ``threshold - spread .. threshold`` (label 1) or
    ``threshold + gap + 1 .. threshold + gap + spread + 1`` (label 0): ``gap = 0`` asks to tell
    ``threshold`` from ``threshold + 1`` hops. The spine's length is drawn independently of the label
    (uniform between the largest distance + ``2 * margin + 1`` and ``max_diameter - 2 * max_leg``, so
    that the diameter stays within ``max_diameter``). The marks are spine nodes at least ``margin``
    hops from the spine's ends (else a model that sees a few hops would learn that marks far apart
    tend to lie near the ends), at a uniform position. Their distance is checked with networkx.
    """
    _check_count("num_graphs", num_graphs, 2)
    _check_count("threshold", threshold, 2)
    _check_count("spread", spread, 0)
    _check_count("gap", gap, 0)
    _check_count("margin", margin, 0)
    _check_count("max_leg", max_leg, 0)
    if spread >= threshold:
        raise ValueError(f"spread must be < threshold (distances >= 1), got spread={spread}, threshold={threshold}")
    seed = _check_seed(seed)
    if isinstance(legs, bool) or not isinstance(legs, numbers.Real) or not (0.0 <= legs <= 1.0):
        raise ValueError(f"legs must be a probability in [0, 1], got {legs!r}")
    shortest_far = threshold + gap + 1
    longest = shortest_far + spread
    top = max_diameter - 2 * max_leg
    shortest_spine = longest + 2 * margin + 1
    if top < shortest_spine:
        raise ValueError(f"max_diameter={max_diameter} is too small for distances up to {longest}, margin {margin} "
                         f"and legs of {max_leg}: need max_diameter >= {shortest_spine + 2 * max_leg}")
    out = []
    for i in range(num_graphs):
        rng = _rng(seed, i, 2)
        label = 1 - i % 2
        d = rng.randint(threshold - spread, threshold) if label else rng.randint(shortest_far, longest)
        spine = rng.randint(shortest_spine, top)
        g = caterpillar(spine, legs, max_leg, rng)
        u = rng.randint(margin, spine - 1 - margin - d)
        v = u + d
        if rng.random() < 0.5:
            u, v = v, u
        g, mapping = _renumber(g, rng)
        u, v = mapping[u], mapping[v]
        measured = nx.shortest_path_length(g, u, v)
        if measured != d:  # a spine's nodes are joined only along it: legs never make a shortcut
            raise AssertionError(f"marks {d} hops apart along the spine are {measured} apart in the graph")
        out.append(LabelledGraph(g, label, "caterpillar", (u, v), d))
    random.Random(seed).shuffle(out)
    return out


# ------------------------------------------------------------------------------------------------
# node features and splits
def degree_features(g: nx.Graph, max_degree: int = 8) -> Tensor:
    """``[n, max_degree + 1]`` one-hot node degree, the last column for degree ``max_degree`` or more
    (the usual input of graphs without node features, as in the GIN paper's social networks)."""
    _check_count("max_degree", max_degree, 1)
    deg = torch.tensor([d for _, d in sorted(g.degree)], dtype=torch.long)
    return torch.nn.functional.one_hot(deg.clamp(max=max_degree), max_degree + 1).float()


def mark_features(item: LabelledGraph) -> Tensor:
    """``[n, 2]``: a constant 1 and the mark (1 at the two marked nodes, else 0)."""
    x = torch.zeros(item.num_nodes, 2)
    x[:, 0] = 1.0
    x[list(item.marked), 1] = 1.0
    return x


def stratified_split(labels: Sequence[int], train_fraction: float = 0.6, val_fraction: float = 0.2,
                     seed: int = 0) -> tuple[Tensor, Tensor, Tensor]:
    """Train, validation and test indices: within each label a random permutation cut at the
    fractions (so each part has every label in about the same proportion), disjoint and covering."""
    if not (0 < train_fraction and 0 < val_fraction and train_fraction + val_fraction < 1):
        raise ValueError(f"need 0 < train_fraction, 0 < val_fraction and train_fraction + val_fraction < 1, got "
                         f"{train_fraction}, {val_fraction}")
    g = torch.Generator().manual_seed(seed)
    y = torch.as_tensor(list(labels), dtype=torch.long)
    parts: list[list[Tensor]] = [[], [], []]
    for c in torch.unique(y).tolist():
        idx = (y == c).nonzero().view(-1)
        idx = idx[torch.randperm(idx.numel(), generator=g)]
        n_train, n_val = round(train_fraction * idx.numel()), round(val_fraction * idx.numel())
        for part, sel in zip(parts, (idx[:n_train], idx[n_train:n_train + n_val], idx[n_train + n_val:])):
            part.append(sel)
    return tuple(torch.sort(torch.cat(p)).values for p in parts)  # type: ignore[return-value]
