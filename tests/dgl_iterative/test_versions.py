"""``import dgl_iterative`` checks the installed torch and DGL before DGL itself loads: an unsupported
pair raises one ImportError that names the installed and the supported versions. The versions are
monkeypatched: no other install is needed."""
import importlib
import importlib.metadata
import sys

import pytest
import torch

pytest.importorskip("dgl")

import dgl_iterative  # noqa: E402


@pytest.mark.parametrize("torch_version, dgl_version", [
    ("2.2.0", "2.1.0"), ("2.2.0+cpu", "2.1.0"), ("2.2.1", "2.1.0+cu121"), ("2.2.1+cu121", "2.1.0"),
    ("2.2.1", "2.1.1"),
])
def test_supported_pairs_pass(torch_version, dgl_version):
    dgl_iterative._check_versions(torch_version, dgl_version)


def test_no_dgl_metadata_passes():
    # nothing to compare: importing DGL then says what is missing
    dgl_iterative._check_versions("2.13.0", None)


@pytest.mark.parametrize("torch_version, dgl_version", [
    ("2.13.0+cpu", "2.1.0"),   # torch too new for dgl 2.1's libraries
    ("2.2.2", "2.1.0"),        # the first torch after 2.2.1
    ("2.3.0a0+git1234", "2.1.0"),
    ("1.13.1", "2.1.0"),       # too old
    ("2.0.1+cpu", "2.1.0"),    # DGL 2.1 loads with it, the library does not run on it (torch 2.1's APIs)
    ("2.1.2", "2.1.0+cu121"),
    ("2.2.1", "2.4.0"),        # another DGL release
    ("2.2.1", "1.1.3"),
    ("nightly", "2.1.0"),      # not a version at all
])
def test_unsupported_pairs_name_installed_and_supported_versions(torch_version, dgl_version):
    with pytest.raises(ImportError) as err:
        dgl_iterative._check_versions(torch_version, dgl_version)
    msg = str(err.value)
    assert f"torch {torch_version}" in msg and f"dgl {dgl_version}" in msg  # installed
    assert "dgl 2.1.x with torch 2.2.0 to 2.2.1" in msg                      # supported
    assert "pip install 'iterative-gnn[dgl]'" in msg


def test_import_refuses_an_unsupported_pair_before_loading_dgl(monkeypatch):
    """The check runs at import, on torch.__version__ and DGL's installed metadata."""
    real_version = importlib.metadata.version
    monkeypatch.setattr(torch, "__version__", "2.13.0+cpu")
    monkeypatch.setattr(importlib.metadata, "version",
                        lambda name: "2.1.0" if name == "dgl" else real_version(name))
    monkeypatch.delitem(sys.modules, "dgl_iterative")  # restored afterwards
    with pytest.raises(ImportError, match=r"installed here: torch 2\.13\.0\+cpu, dgl 2\.1\.0"):
        importlib.import_module("dgl_iterative")


def test_import_passes_on_this_environment_s_pair():
    dgl_iterative._check_versions(torch.__version__, importlib.metadata.version("dgl"))
