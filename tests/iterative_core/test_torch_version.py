"""The oldest torch the library runs on is checked at import: torch 2.0 has neither
``load_state_dict(assign=...)`` nor ``torch.compiler``, and the library failed there with an
AttributeError or TypeError from inside, at first use."""
import re

import pytest

import iterative_core as ic


@pytest.mark.parametrize("version", ["2.2.0", "2.2.1+cu121", "2.13.0+cpu", "3.0.0", "nightly"])
def test_supported_torch_passes(version):
    ic._check_torch(version)


@pytest.mark.parametrize("version", ["2.0.1+cpu", "2.1.2", "1.13.1"])
def test_older_torch_is_refused_naming_both_versions(version):
    with pytest.raises(ImportError, match=rf"^iterative-gnn needs torch >= 2\.2; installed here: torch {re.escape(version)}\. "
                                          r"Upgrade it: pip install 'torch>=2\.2'$"):
        ic._check_torch(version)
