"""DGL under DistributedDataParallel: two processes (gloo, CPU), each taking half of the dgl.batch
graphs of every batch, end with the parameters of one process trained on the whole batches."""
import sys

import pytest

pytest.importorskip("dgl")

import torch.distributed as dist  # noqa: E402

from tests.pyg_iterative._ddp import check_ddp_matches_single_process  # noqa: E402


@pytest.mark.skipif(not dist.is_available() or sys.platform == "win32", reason="needs torch.distributed with gloo")
def test_ddp_two_processes_match_single_process(tmp_path):
    check_ddp_matches_single_process("dgl", tmp_path)
