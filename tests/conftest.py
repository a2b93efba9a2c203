import os
import warnings
from pathlib import Path

import pytest
import torch

os.environ.setdefault("DGLBACKEND", "pytorch")
warnings.filterwarnings("ignore", message=".*[Ss]parse.*")  # torch's beta notices for sparse CSR

# One intra-op thread for the whole run. The tests use graphs of tens of nodes and tiny models: each
# operation is microseconds of work, and with several threads the OpenMP hand-offs cost milliseconds
# (far more on a machine shared with other jobs, where a second thread spins). One thread runs them
# many times faster and computes the same values. Set here, at collection, so that it holds for every
# test, fixture and module-level computation alike.
torch.set_num_threads(1)


@pytest.fixture(autouse=True)
def _seed():
    torch.manual_seed(0)


@pytest.fixture(scope="session")
def data_root() -> Path:
    """The Planetoid data root from ITERATIVE_GNN_DATA (the test command points it at the shared copy)."""
    root = os.environ.get("ITERATIVE_GNN_DATA")
    if not root or not (Path(root) / "planetoid" / "Cora" / "raw").is_dir():
        pytest.skip("no Planetoid data: set ITERATIVE_GNN_DATA to a root holding planetoid/Cora/raw")
    return Path(root)


@pytest.fixture
def clean_registry():
    """Whatever a test registers is gone afterwards."""
    from iterative_core import operators as registry

    saved = ({k: dict(v) for k, v in registry._OPERATORS.items()}, {k: dict(v) for k, v in registry._KEYS.items()})
    yield
    for table, copy in zip((registry._OPERATORS, registry._KEYS), saved):
        table.clear()
        table.update(copy)
