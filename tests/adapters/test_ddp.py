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


def test_workers_that_finished_their_work_but_hang_at_exit_are_killed_after_the_grace(tmp_path):
    marker = str(tmp_path / "done")
    t0 = time.monotonic()
    # a deadline well above the workers' start-up (9 s seen with the test runs sharing two cores), and a
    # sleep well above the deadline: only the grace ends the wait before the deadline fails the test
    context = mp.spawn(sleeper, args=(600.0, marker), nprocs=2, join=False)
    run_with_deadline(context, deadline=120.0, done=[f"{marker}0", f"{marker}1"], grace=1.0)
    assert time.monotonic() - t0 < 120
    assert not any(p.is_alive() for p in context.processes)


def test_workers_that_did_not_finish_their_work_still_fail_at_the_deadline(tmp_path):
    context = mp.spawn(sleeper, args=(60.0, str(tmp_path / "done")), nprocs=2, join=False)
    with pytest.raises(AssertionError, match="did not finish within 3 s"):
        run_with_deadline(context, deadline=3.0, done=[str(tmp_path / "done0"), str(tmp_path / "missing")],
                          grace=1.0)
    assert not any(p.is_alive() for p in context.processes)
