"""Node classification on mini-batches of subgraphs with PIGN, in PyG or DGL.

    python examples/minibatch_node_classification.py --backend pyg
    DGLBACKEND=pytorch python examples/minibatch_node_classification.py --backend dgl --sampler cluster

Iteration needs a square operator, so every mini-batch is a node-induced subgraph (the same nodes in
and out), never a DGL block / message-flow graph:

* PyG: ``NeighborLoader`` (its node-induced subgraphs need torch-sparse: pyg-lib alone samples only
  the edges towards the seeds; the loss is taken on the seed nodes, the first ``batch_size`` rows),
  ``ClusterLoader`` (needs METIS from pyg-lib or torch-sparse), the k-hop neighbourhoods of the seed
  nodes through ``NodeLoader`` with the torch-only sampler below, or ``RandomNodeLoader``;
  ``--sampler auto`` takes ``NeighborLoader`` when it can run, else ``khop``.
* DGL: ``ClusterGCNSampler`` (METIS is built into DGL) or random ``dgl.node_subgraph`` parts.

``--batch-size`` (seed nodes per batch, default 64) applies to ``neighbor`` and ``khop``, ``--parts``
(default 16; ``random`` takes ``max(2, parts // 8)`` parts) to ``cluster`` and ``random``; an option given to a
sampler that does not read it is an error.

Evaluation runs on the whole graph. Data: Cora from ``--data-root``, else ``$ITERATIVE_GNN_DATA`` (or the loaders' default
location); ``--dataset karate`` needs no files.
"""
from __future__ import annotations

import argparse
import os
import tempfile
import warnings

import torch
import torch.nn.functional as F


def khop_sampler(data, hops: int):
    """NeighborLoader's output without its compiled sampler: the seed nodes first, then every node within
    ``hops`` in-hops, with all edges among them (a square, node-induced subgraph)."""
    from torch_geometric.sampler import BaseSampler, SamplerOutput
    from torch_geometric.utils import k_hop_subgraph, subgraph

    class KHopSampler(BaseSampler):
        def sample_from_nodes(self, inputs):
            seed = inputs.node
            subset = k_hop_subgraph(seed, hops, data.edge_index, num_nodes=data.num_nodes)[0]
            rest = torch.ones(data.num_nodes, dtype=torch.bool)
            rest[seed] = False
            node = torch.cat([seed, subset[rest[subset]]])
            ei, _, mask = subgraph(node, data.edge_index, relabel_nodes=True, num_nodes=data.num_nodes,
                                   return_edge_mask=True)
            return SamplerOutput(node=node, row=ei[0], col=ei[1], edge=mask.nonzero().view(-1),
                                 metadata=(inputs.input_id, inputs.time))

        def sample_from_edges(self, index, neg_sampling=None):
            raise NotImplementedError

    return KHopSampler()


def resolve_sampler(backend: str, sampler: str) -> str:
    """The sampler ``--sampler`` names on ``backend`` (``auto`` resolved); ValueError for one that cannot
    run there."""
    if backend == "dgl":
        if sampler in ("neighbor", "khop"):
            raise ValueError(f"--sampler {sampler} is a PyG sampler; with --backend dgl take cluster or random")
        return "cluster" if sampler == "auto" else sampler
    import torch_geometric.typing as t

    if sampler == "auto":
        return "neighbor" if t.WITH_TORCH_SPARSE else "khop"
    if sampler == "neighbor" and not t.WITH_TORCH_SPARSE:
        raise ValueError("--sampler neighbor: PyG's NeighborLoader samples node-induced subgraphs (every edge among "
                         "the sampled nodes, the square operator iteration needs) only with torch-sparse installed; "
                         "take --sampler khop")
    if sampler == "cluster" and not t.WITH_METIS:
        raise ValueError("--sampler cluster: PyG's ClusterLoader needs METIS, from pyg-lib or torch-sparse; take "
                         "--sampler khop or random")
    return sampler


def pyg_batches(ds, sampler: str, batch_size: int, parts: int, cache: str):
    from torch_geometric.data import Data

    data = Data(x=ds.x, edge_index=ds.graph, y=ds.y, train_mask=ds.train_mask, num_nodes=ds.num_nodes)
    print(f"PyG sampler: {sampler}")
    if sampler == "khop":
        from torch_geometric.loader import NodeLoader

        return NodeLoader(data, node_sampler=khop_sampler(data, 2), input_nodes=data.train_mask,
                          batch_size=batch_size, shuffle=True), True
    if sampler == "neighbor":
        from torch_geometric.loader import NeighborLoader

        # subgraph_type="induced": every edge among the sampled nodes (the default, "directional", keeps
        # only the sampled edges towards the seeds: not the graph's operator, and not symmetric)
        return NeighborLoader(data, num_neighbors=[10, 10], batch_size=batch_size, input_nodes=data.train_mask,
                              shuffle=True, subgraph_type="induced"), True
    if sampler == "cluster":
        from torch_geometric.loader import ClusterData, ClusterLoader

        return ClusterLoader(ClusterData(data, num_parts=parts, save_dir=cache), batch_size=2, shuffle=True), False
    from torch_geometric.loader import RandomNodeLoader

    return RandomNodeLoader(data, num_parts=max(2, parts // 8), shuffle=True), False


def dgl_batches(ds, sampler: str, parts: int, cache: str):
    import dgl

    g = ds.graph
    g.ndata["feat"], g.ndata["label"], g.ndata["train_mask"] = ds.x, ds.y, ds.train_mask
    if sampler == "cluster":
        s = dgl.dataloading.ClusterGCNSampler(g, parts, cache_path=os.path.join(cache, "c.pkl"),
                                              prefetch_ndata=["feat", "label", "train_mask"])
        print("DGL sampler: ClusterGCNSampler")
        # (DGL's loader advises enable_cpu_affinity() at every epoch; it matters with worker processes, which
        # this example does not use)
        warnings.filterwarnings("ignore", message="Dataloader CPU affinity opt is not enabled")
        return lambda: dgl.dataloading.DataLoader(g, torch.arange(parts), s, batch_size=4, shuffle=True)
    print("DGL sampler: dgl.node_subgraph")
    return lambda: (dgl.node_subgraph(g, p) for p in torch.randperm(g.num_nodes()).chunk(max(2, parts // 8)))


def main(argv=None) -> None:
    from iterative_gnn.cli import positive_int
    from iterative_gnn.data import DATASETS, DatasetUnavailable, load_node_dataset

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--backend", choices=("pyg", "dgl"), default="pyg")
    ap.add_argument("--dataset", choices=[d for d in DATASETS if d != "chains"], default="cora")
    ap.add_argument("--data-root", help="the data root (default: $ITERATIVE_GNN_DATA, else the loaders' location)")
    ap.add_argument("--sampler", choices=("auto", "neighbor", "khop", "cluster", "random"), default="auto")
    ap.add_argument("--epochs", type=positive_int, default=100)
    ap.add_argument("--batch-size", type=positive_int, help="seed nodes per batch (neighbor, khop; default 64)")
    ap.add_argument("--parts", type=positive_int, help="graph parts (cluster, random; default 16)")
    ap.add_argument("--iterations", type=positive_int, default=8)
    ap.add_argument("--eval-every", type=positive_int, default=10)
    args = ap.parse_args(argv)
    try:
        sampler = resolve_sampler(args.backend, args.sampler)
    except ValueError as exc:
        ap.error(str(exc))
    for option, reads in (("batch_size", ("neighbor", "khop")), ("parts", ("cluster", "random"))):
        if getattr(args, option) is not None and sampler not in reads:
            ap.error(f"--{option.replace('_', '-')} applies to --sampler {' and '.join(reads)}, not to {sampler}")
    if args.data_root is not None and args.dataset == "karate":
        ap.error("argument --data-root: --dataset karate is made in code and reads no files; the data root applies "
                 "to cora, citeseer and pubmed")
    batch_size = 64 if args.batch_size is None else args.batch_size
    parts = 16 if args.parts is None else args.parts
    if sampler == "cluster" and parts < 2:
        ap.error(f"argument --parts: invalid value {parts}: --sampler cluster needs at least 2 parts (one part is the "
                 "whole graph: train on it directly)")
    torch.manual_seed(0)
    try:
        ds = load_node_dataset(args.dataset, args.backend, args.data_root)
    except (DatasetUnavailable, ImportError) as exc:
        ap.exit(2, f"{ap.prog}: error: {exc}\n")
    if sampler == "cluster" and parts > ds.num_nodes:
        ap.error(f"argument --parts: invalid value {parts}: --dataset {args.dataset} has {ds.num_nodes} nodes, fewer "
                 "than the parts")
    with tempfile.TemporaryDirectory(prefix="minibatch-") as cache:  # the cluster samplers' partition, removed after
        train(args, ds, sampler, batch_size, parts, cache)


def train(args: argparse.Namespace, ds, sampler: str, batch_size: int, parts: int, cache: str) -> None:
    """Train and evaluate PIGN on the batches of ``sampler`` (its files in the folder ``cache``)."""
    if args.backend == "pyg":
        from pyg_iterative import PIGN

        loader, seeds_only = pyg_batches(ds, sampler, batch_size, parts, cache)

        def step(model, b):
            out = model(b.x, b.edge_index)
            mask = b.train_mask.clone()
            if seeds_only:
                mask[b.batch_size:] = False  # the loss on the seed nodes only
            return F.cross_entropy(out[mask], b.y[mask]) if mask.any() else None

        batches = lambda: loader  # noqa: E731
        full = lambda model: model(ds.x, ds.graph)  # noqa: E731
    else:
        from dgl_iterative import PIGN

        batches = dgl_batches(ds, sampler, parts, cache)

        def step(model, sg):
            mask = sg.ndata["train_mask"]
            out = model(sg, sg.ndata["feat"])
            return F.cross_entropy(out[mask], sg.ndata["label"][mask]) if mask.any() else None

        full = lambda model: model(ds.graph, ds.x)  # noqa: E731

    # the library's defaults: the signed form; dropout 0.5 on the input, after the encoder, before the decoder
    model = PIGN(ds.x.size(1), 64, ds.num_classes, num_iterations=args.iterations)
    opt = torch.optim.Adam(model.parameters(), lr=0.01, weight_decay=5e-4)
    for epoch in range(1, args.epochs + 1):
        model.train()
        losses = []
        for b in batches():
            loss = step(model, b)
            if loss is None:
                continue
            opt.zero_grad()
            loss.backward()
            opt.step()
            losses.append(loss.item())
        if epoch % args.eval_every and epoch != args.epochs:
            continue
        model.eval()
        with torch.no_grad():
            pred = full(model).argmax(-1)
        acc = lambda m: float((pred[m] == ds.y[m]).float().mean())  # noqa: E731
        print(f"epoch {epoch:3d}  loss {sum(losses) / max(len(losses), 1):.4f}  "
              f"train {acc(ds.train_mask):.3f}  val {acc(ds.val_mask):.3f}  test {acc(ds.test_mask):.3f}")


if __name__ == "__main__":
    main()
