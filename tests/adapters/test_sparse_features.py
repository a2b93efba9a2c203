"""Sparse node features (bag-of-words, COO or CSR), which ``GCNConv``, DGL's ``GraphConv`` and the
library's models take: every layer and the GCN operator alone give what the dense features give, and
NaN/Inf among the stored values is refused as in dense features."""
from __future__ import annotations

import pytest
import torch

from iterative_core.validation import NonFiniteFeaturesError

EDGES = torch.tensor([[0, 1, 1, 2, 2, 3, 3, 4, 4, 0], [1, 0, 2, 1, 3, 2, 4, 3, 0, 4]])
LAYOUTS = {"coo": torch.Tensor.to_sparse, "csr": torch.Tensor.to_sparse_csr, "csc": torch.Tensor.to_sparse_csc}


def bag_of_words(n: int = 5, c: int = 6) -> torch.Tensor:
    torch.manual_seed(0)
    return (torch.rand(n, c) < 0.4).float()


def layers(backend) -> dict:
    torch.manual_seed(0)
    return {
        "PIGNConv(6, 3)": backend.PIGNConv(6, 3),
        "PIGNConv(-1, 3)": backend.PIGNConv(-1, 3),
        "PIGNConv(6)": backend.PIGNConv(6),
        "PIGNConv(6, form='paper')": backend.PIGNConv(6, form="paper"),
        "IterativeConv(GCN layer)": backend.IterativeConv(backend.layers.layer("GraphConv", 6)),
    }


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
@pytest.mark.parametrize("validate", [True, False])
def test_a_layer_on_sparse_features_gives_what_the_dense_give(backend, layout, validate):
    """The input checks read every entry with a reduction sparse tensors lack, and the square layers
    started their iterate from the sparse tensor: each failed inside torch."""
    dense = bag_of_words()
    graph = backend.graph(EDGES, 5)
    for name, conv in layers(backend).items():
        conv.validate = validate
        conv.eval()
        out = backend.run(conv, LAYOUTS[layout](dense), graph)
        assert out.layout == torch.strided, name
        torch.testing.assert_close(out, backend.run(conv, dense, graph), msg=name)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_sparse_features_with_a_warm_start_and_gradients(backend, layout):
    dense = bag_of_words()
    graph = backend.graph(EDGES, 5)
    conv = backend.PIGNConv(6).double()
    z0 = torch.rand(5, 6, dtype=torch.float64)
    out = backend.run(conv, LAYOUTS[layout](dense.double()), graph, z_init=z0)
    out.sum().backward()
    grads = [p.grad.clone() for p in conv.parameters()]
    conv.zero_grad()
    ref = backend.run(conv, dense.double(), graph, z_init=z0)
    ref.sum().backward()
    torch.testing.assert_close(out, ref)
    for g, p in zip(grads, conv.parameters()):
        torch.testing.assert_close(g, p.grad)


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_the_gcn_operator_alone_takes_sparse_features(backend, layout):
    dense = bag_of_words()
    op = backend.PIGNConv(6).operator
    graph = backend.graph(EDGES, 5)
    torch.testing.assert_close(backend.run(op, LAYOUTS[layout](dense), graph), backend.run(op, dense, graph))


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_nan_among_sparse_features_is_refused_with_its_row(backend, layout):
    dense = bag_of_words()
    dense[3, 2] = float("nan")
    graph = backend.graph(EDGES, 5)
    for name, conv in layers(backend).items():
        with pytest.raises(NonFiniteFeaturesError, match=r"1 NaN/Inf entry \(the first in row 3\)"):
            backend.run(conv, LAYOUTS[layout](dense), graph)
    with pytest.raises(NonFiniteFeaturesError, match=r"first in row 3"):
        backend.run(backend.PIGNConv(6).operator, LAYOUTS[layout](dense), graph)


def test_nan_made_by_repeated_entries_of_uncoalesced_features_is_refused(backend):
    """An uncoalesced COO tensor's repeated entries are summed into one feature: two float16 halves of
    60000 are Inf once summed, and the check read them one by one and passed them."""
    indices = torch.tensor([[0, 0, 2], [1, 1, 3]])
    x = torch.sparse_coo_tensor(indices, torch.tensor([6e4, 6e4, 1.0]), (5, 6), dtype=torch.float16)
    assert not x.is_coalesced()
    conv = backend.PIGNConv(6).half()
    with pytest.raises(NonFiniteFeaturesError, match=r"1 NaN/Inf entry \(the first in row 0\)"):
        backend.run(conv, x, backend.graph(EDGES, 5))
