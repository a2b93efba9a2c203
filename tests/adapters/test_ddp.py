"""Two processes (gloo, CPU) under DistributedDataParallel, each taking half of the graphs of every
batch (PyG's batch vector, DGL's dgl.batch), end with the parameters of one process trained on the
whole batches."""
import sys

import pytest
import torch.distributed as dist

from tests.adapters._ddp import check_ddp_matches_single_process


@pytest.mark.skipif(not dist.is_available() or sys.platform == "win32", reason="needs torch.distributed with gloo")
def test_ddp_two_processes_match_single_process(backend, tmp_path):
    check_ddp_matches_single_process(backend.name, tmp_path)
