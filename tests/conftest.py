import os
import warnings
from pathlib import Path

import pytest
import torch

os.environ.setdefault("DGLBACKEND", "pytorch")
warnings.filterwarnings("ignore", message=".*[Ss]parse.*")  # torch's beta notices for sparse CSR


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
