"""Two processes (gloo, CPU) under DistributedDataParallel, each taking half of the graphs of every
batch (PyG's batch vector, DGL's dgl.batch), end with the parameters of one process trained on the
whole batches."""
import sys
import time

import pytest
import torch.distributed as dist
import torch.multiprocessing as mp

from tests.adapters._ddp import check_ddp_matches_single_process, run_with_deadline, sleeper


@pytest.mark.skipif(not dist.is_available() or sys.platform == "win32", reason="needs torch.distributed with gloo")
def test_ddp_two_processes_match_single_process(backend, tmp_path):
    check_ddp_matches_single_process(backend.name, tmp_path)


def test_hung_workers_fail_at_the_deadline_instead_of_stalling():
    t0 = time.monotonic()
    context = mp.spawn(sleeper, args=(60.0,), nprocs=2, join=False)
    with pytest.raises(AssertionError, match="did not finish within 2 s"):
        run_with_deadline(context, deadline=2.0)
    assert time.monotonic() - t0 < 30
    assert not any(p.is_alive() for p in context.processes)
