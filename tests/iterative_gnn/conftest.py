import pytest
import torch


@pytest.fixture(autouse=True)
def _one_thread():
    """These tests train tiny models: one thread is as fast, and on a busy machine a second
    OpenMP thread spins and slows them several times over. Restored afterwards."""
    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)
