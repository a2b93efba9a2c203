"""The library makes no network calls: with sockets blocked, the layers and the local-data loaders work."""
import importlib.util
import socket

import pytest
import torch


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a network call was attempted")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket.socket, "connect_ex", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(socket, "getaddrinfo", refuse)


@pytest.mark.parametrize("backend", ["pyg", "dgl"])
def test_layers_and_local_loading_make_no_network_calls(no_network, data_root, backend, tmp_path, monkeypatch):
    if importlib.util.find_spec("torch_geometric" if backend == "pyg" else "dgl") is None:
        pytest.skip(f"{backend} not installed in this environment")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # a fresh cache: the loader copies and processes anew
    from iterative_gnn.backends import build_pign, forward
    from iterative_gnn.data import load_node_dataset

    ds = load_node_dataset("cora", backend, data_root)
    model = build_pign(backend, ds.x.size(1), 16, ds.num_classes, 2, cached=True)
    out = forward(model, ds.x, ds.graph)
    out.sum().backward()
    assert out.shape == (ds.num_nodes, ds.num_classes) and torch.isfinite(out).all()
