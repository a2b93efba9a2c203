"""Graph classification with the graph-level PIGN, on one process or several (DistributedDataParallel).

    python examples/graph_classification_ddp.py                       # one process, PyG
    python examples/graph_classification_ddp.py --world-size 2        # two processes (gloo, CPU)
    DGLBACKEND=pytorch python examples/graph_classification_ddp.py --backend dgl --world-size 2

Each graph of a mini-batch converges (and, with ``tol``, stops) on its own: the PyG ``Batch`` gives
its ``batch`` vector, ``dgl.batch`` its ``batch_num_nodes()``. A graph's output therefore does not
depend on the other graphs of its batch, and splitting every batch across processes trains exactly the
model one process trains on the whole batches, provided the loss is averaged over the whole batch:
each process sums its graphs' losses, divides by the whole batch's size and multiplies by the number
of processes (DDP averages the gradients over the processes). A last batch smaller than
``--batch-size`` is dropped, whatever the number of processes (one that small might not give every
process a graph).
"""
from __future__ import annotations

import argparse
import os
import tempfile

import torch
import torch.nn.functional as F


def make_graphs(num: int, seed: int = 0):
    """Random graphs, labelled 1 when they have more edges than 1.5 x their nodes."""
    g = torch.Generator().manual_seed(seed)
    out = []
    for _ in range(num):
        n = int(torch.randint(5, 15, (1,), generator=g))
        e = int(torch.randint(2, 3 * n, (1,), generator=g))
        out.append((torch.randn(n, 8, generator=g), torch.randint(0, n, (2, e), generator=g), int(e > 1.5 * n)))
    return out


def collate(backend: str, part):
    y = torch.tensor([lbl for _, _, lbl in part])
    if backend == "pyg":
        from torch_geometric.data import Batch, Data

        b = Batch.from_data_list([Data(x=x, edge_index=ei) for x, ei, _ in part])
        return (lambda m: m(b.x, b.edge_index, batch=b.batch, num_graphs=b.num_graphs)), y
    import dgl

    g = dgl.batch([dgl.graph((ei[0], ei[1]), num_nodes=x.size(0)) for x, ei, _ in part])
    feat = torch.cat([x for x, _, _ in part])
    return (lambda m: m(g, feat)), y


def run(rank: int, world_size: int, args) -> None:
    torch.set_num_threads(1)
    if world_size > 1:
        import torch.distributed as dist

        # (the processes meet through a file: no port to choose, which another process could take first)
        dist.init_process_group("gloo", init_method=args.rendezvous, rank=rank, world_size=world_size)
    torch.manual_seed(0)  # the same initial weights in every process
    mod = __import__("pyg_iterative" if args.backend == "pyg" else "dgl_iterative")
    # GIN sums over the neighbours, so the iterate sees the degrees the labels depend on; the input enters
    # every step (inject_input), so that the fixed point a tol stops near depends on the graph
    model = mod.GraphPIGN(8, 32, 2, num_iterations=6, tol=1e-3, pool="mean", conv="gin", inject_input=True,
                          on_nonconvergence="ignore")
    if world_size > 1:
        from torch.nn.parallel import DistributedDataParallel

        model = DistributedDataParallel(model)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    data = make_graphs(args.graphs)
    for epoch in range(1, args.epochs + 1):
        perm = torch.randperm(len(data), generator=torch.Generator().manual_seed(epoch))  # same in every process
        correct = total = 0.0
        for start in range(0, len(data), args.batch_size):
            batch = [data[i] for i in perm[start:start + args.batch_size]]
            if len(batch) < args.batch_size:  # a last, smaller batch is dropped (drop_last) in every run, so that
                break                           # runs on any number of processes see the same batches
            # this process's graphs of the batch: near-equal shares (sizes differ by one at most)
            part = [batch[i] for i in torch.arange(len(batch)).tensor_split(world_size)[rank].tolist()]
            call, y = collate(args.backend, part)
            out = call(model)
            loss = F.cross_entropy(out, y, reduction="sum") * world_size / len(batch)
            opt.zero_grad()
            loss.backward()
            opt.step()
            correct += float((out.argmax(-1) == y).sum())
            total += len(part)
        if rank == 0:
            print(f"epoch {epoch:3d}  train accuracy (process 0's graphs) {correct / total:.3f}")
    if world_size > 1:
        torch.distributed.destroy_process_group()


def main(argv=None) -> None:
    from iterative_gnn.backends import backend_problem
    from iterative_gnn.cli import positive_int

    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].replace("\n", " "))
    ap.add_argument("--backend", choices=("pyg", "dgl"), default="pyg")
    ap.add_argument("--world-size", type=positive_int, default=1)
    ap.add_argument("--graphs", type=positive_int, default=256)
    ap.add_argument("--batch-size", type=positive_int, default=32)
    ap.add_argument("--epochs", type=positive_int, default=10)
    args = ap.parse_args(argv)
    if args.world_size < 1 or args.batch_size < args.world_size or args.graphs < args.batch_size:
        ap.error(f"need 1 <= --world-size <= --batch-size <= --graphs (every process takes a share of each batch); got "
                 f"--world-size {args.world_size}, --batch-size {args.batch_size}, --graphs {args.graphs}")
    problem = backend_problem(args.backend)  # (before any process starts: each would fail with a traceback)
    if problem is not None:
        ap.exit(2, f"{ap.prog}: error: argument --backend: {problem}\n")
    if args.world_size == 1:
        run(0, 1, args)
        return
    with tempfile.TemporaryDirectory() as folder:
        args.rendezvous = "file://" + os.path.join(folder, "rendezvous")
        torch.multiprocessing.spawn(run, args=(args.world_size, args), nprocs=args.world_size, join=True)


if __name__ == "__main__":
    main()
