import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    """The core tests use tiny tensors: one BLAS thread is faster and is not slowed by other jobs
    competing for the cores (with several threads a 4x18 product can take milliseconds)."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
