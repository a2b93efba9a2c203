"""Two-process DistributedDataParallel training of a graph-level PIGN (gloo, CPU), for the DDP test of
both backends: each process takes half of the graphs of every batch, and the parameters must end as
those of one process trained on the whole batches. A module of its own (not the test's): the spawned
processes import it to find ``worker``."""
from __future__ import annotations

import datetime
import os
import time
from typing import Sequence

import torch
import torch.nn.functional as F

from tests.helpers import toy_graphs

STEPS, BATCH = 3, 8
#: seconds the two processes get to start, rendezvous, train and exit; a collective waits at most
#: COLLECTIVE_TIMEOUT: a hung rendezvous fails the test instead of stalling the suite
DEADLINE, COLLECTIVE_TIMEOUT = 300.0, 120.0
#: seconds the processes get to exit once every one has written its "done" file
EXIT_GRACE = 30.0


def rendezvous(out_path: str) -> str:
    """The processes meet through a file beside the output (torch's FileStore): no port to choose, which
    another process could take between its choice and the rendezvous."""
    return "file://" + os.path.abspath(f"{out_path}.rendezvous")


def graphs():
    return [(x.double(), ei, y) for x, ei, y in toy_graphs(STEPS * BATCH, channels=4, seed=3)]


def build_model(backend: str):
    torch.manual_seed(0)
    mod = __import__("pyg_iterative" if backend == "pyg" else "dgl_iterative")
    # tol: every graph stops on its own, so a graph's output does not depend on the others in its batch
    return mod.GraphPIGN(4, 8, 2, num_iterations=12, tol=1e-3, on_nonconvergence="ignore").double()


def forward(backend: str, model, part):
    """The model on a list of graphs, batched the backend's way; returns (logits, labels)."""
    y = torch.tensor([g[2] for g in part])
    if backend == "pyg":
        from torch_geometric.data import Batch, Data

        b = Batch.from_data_list([Data(x=x, edge_index=ei) for x, ei, _ in part])
        return model(b.x, b.edge_index, batch=b.batch, num_graphs=b.num_graphs), y
    import dgl

    g = dgl.batch([dgl.graph((ei[0], ei[1]), num_nodes=x.size(0)) for x, ei, _ in part])
    return model(g, torch.cat([x for x, _, _ in part])), y


def train(backend: str, model, rank: int = 0, world_size: int = 1):
    """STEPS steps of Adam; with world_size > 1 this process takes its share of every batch. The loss is
    the batch's summed loss over the whole batch's size, times world_size: DDP averages the gradients
    over the processes, so the update is that of the mean loss over the whole batch."""
    opt = torch.optim.Adam(model.parameters(), lr=0.05)
    data = graphs()
    for step in range(STEPS):
        batch = data[step * BATCH:(step + 1) * BATCH]
        share = (len(batch) + world_size - 1) // world_size
        part = batch[rank * share:(rank + 1) * share]
        out, y = forward(backend, model, part)
        loss = F.cross_entropy(out, y, reduction="sum") * world_size / len(batch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    return model


def worker(rank: int, world_size: int, backend: str, init_method: str, out_path: str) -> None:
    import torch.distributed as dist
    from torch.nn.parallel import DistributedDataParallel

    torch.set_num_threads(1)
    dist.init_process_group("gloo", init_method=init_method, rank=rank, world_size=world_size,
                            timeout=datetime.timedelta(seconds=COLLECTIVE_TIMEOUT))
    try:
        model = DistributedDataParallel(build_model(backend))
        train(backend, model, rank, world_size)
        if rank == 0:
            torch.save(model.module.state_dict(), out_path)
        dist.barrier()  # neither process tears the group down while the other still uses it
        open(done_marker(out_path, rank), "w").close()
    finally:
        dist.destroy_process_group()


def done_marker(out_path: str, rank: int) -> str:
    """The file a worker writes once its share of the work is done (before the group's teardown)."""
    return f"{out_path}.rank{rank}.done"


def check_ddp_matches_single_process(backend: str, tmp_path) -> None:
    import torch.multiprocessing as mp

    out_path = str(tmp_path / "ddp.pt")
    run_with_deadline(mp.spawn(worker, args=(2, backend, rendezvous(out_path), out_path), nprocs=2, join=False),
                      done=[done_marker(out_path, r) for r in range(2)])
    ddp = torch.load(out_path)
    single = train(backend, build_model(backend)).state_dict()
    initial = build_model(backend).state_dict()
    assert ddp.keys() == single.keys()
    for k in single:
        assert not torch.equal(single[k], initial[k]) or k.endswith("eps"), f"{k} did not train"
        assert torch.allclose(ddp[k], single[k], rtol=1e-7, atol=1e-9), k


def sleeper(rank: int, seconds: float, marker: str = "") -> None:
    """A worker that hangs (for the deadline's own test); with a ``marker``, after writing it."""
    if marker:
        open(f"{marker}{rank}", "w").close()
    time.sleep(seconds)


def run_with_deadline(context, deadline: float = DEADLINE, done: Sequence[str] = (),
                      grace: float = EXIT_GRACE) -> None:
    """Join the spawned processes (a worker's exception is raised here); kill them all and fail when
    they have not finished within ``deadline`` seconds. Workers that wrote all the ``done`` files but
    have not exited ``grace`` seconds later are killed without failing: the work the test checks is
    done, and only the gloo group's teardown at exit is left (seen to hang now and then on CPU, even
    after a barrier; reported upstream as pytorch/pytorch#75097, open)."""
    end = time.monotonic() + deadline
    all_done_at = None
    while not context.join(timeout=1.0):
        if done and all_done_at is None and all(os.path.exists(f) for f in done):
            all_done_at = time.monotonic()
        if all_done_at is not None and time.monotonic() > all_done_at + grace:
            _kill_all(context)
            return
        if time.monotonic() > end:
            alive = [p.pid for p in context.processes if p.is_alive()]
            codes = [p.exitcode for p in context.processes]
            _kill_all(context)
            raise AssertionError(f"DDP workers did not finish within {deadline:g} s: still running {alive}, "
                                 f"exit codes {codes}")


def _kill_all(context) -> None:
    for p in context.processes:
        if p.is_alive():
            p.kill()
    for p in context.processes:
        p.join(5)
