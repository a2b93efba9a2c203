"""The PIGN models' dropout, over both backends: the input features and the decoder's input are dropped
as APPNP and GCNII drop them (by default with the model's ``dropout``), only in training; bad
probabilities fail at once."""
import pytest
import torch

from tests.helpers import random_edges


def encoder_inputs(backend, model, x, edge_index, layer="encoder"):
    """What the encoder (or another of the model's linear maps) received in one forward call."""
    seen = []
    handle = getattr(model, layer).register_forward_pre_hook(lambda _, args: seen.append(args[0].detach().clone()))
    try:
        backend.run(model, x, backend.graph(edge_index, x.size(0)))
    finally:
        handle.remove()
    return seen[0]


def test_pign_drops_input_features_with_its_dropout_by_default(backend):
    assert backend.PIGN(10, 16, 3).input_dropout == 0.5
    assert backend.PIGN(10, 16, 3, dropout=0.2).input_dropout == 0.2
    assert backend.PIGN(10, 16, 3, dropout=0.2, input_dropout=0.0).input_dropout == 0.0
    # the graph-level model keeps its input (no dropout by default, none on the input unless asked)
    assert backend.GraphPIGN(10, 16, 3, dropout=0.3).input_dropout == 0.0
    assert backend.GraphPIGN(10, 16, 3, input_dropout=0.25).input_dropout == 0.25


def test_pign_drops_the_decoders_input_with_its_dropout_by_default(backend):
    assert backend.PIGN(10, 16, 3).decoder_dropout == 0.5
    assert backend.PIGN(10, 16, 3, dropout=0.2).decoder_dropout == 0.2
    assert backend.PIGN(10, 16, 3, decoder_dropout=0.0).decoder_dropout == 0.0
    assert backend.GraphPIGN(10, 16, 3, dropout=0.3).decoder_dropout == 0.0
    torch.manual_seed(0)
    x = torch.rand(400, 10) + 1.0
    edge_index = torch.stack(random_edges(400, 1200))
    model = backend.PIGN(10, 8, 3, num_iterations=2, dropout=0.0, decoder_dropout=0.5)
    seen = encoder_inputs(backend, model.train(), x, edge_index, "decoder")
    torch.manual_seed(1)
    clean = encoder_inputs(backend, model.eval(), x, edge_index, "decoder")
    dropped = (seen == 0) & (clean != 0)
    assert 0.4 < float(dropped.float().sum() / (clean != 0).sum()) < 0.6
    torch.testing.assert_close(seen[~dropped], 2 * clean[~dropped])


def test_input_dropout_acts_in_training_only(backend):
    torch.manual_seed(0)
    x = torch.rand(400, 10) + 1.0
    edge_index = torch.stack(random_edges(400, 1200))
    model = backend.PIGN(10, 8, 3, num_iterations=2, dropout=0.0, input_dropout=0.5)
    seen = encoder_inputs(backend, model.train(), x, edge_index)
    dropped = seen == 0
    assert 0.4 < float(dropped.float().mean()) < 0.6
    torch.testing.assert_close(seen[~dropped], 2 * x[~dropped])
    torch.testing.assert_close(encoder_inputs(backend, model.eval(), x, edge_index), x)
    no_drop = backend.PIGN(10, 8, 3, num_iterations=2, dropout=0.0).train()
    torch.testing.assert_close(encoder_inputs(backend, no_drop, x, edge_index), x)


@pytest.mark.parametrize("kwargs, name, error", [
    (dict(dropout=1.5), "dropout", ValueError),
    (dict(dropout=1.0), "dropout", ValueError),
    (dict(dropout=-0.1), "dropout", ValueError),
    (dict(dropout=float("nan")), "dropout", ValueError),
    (dict(input_dropout=2.0), "input_dropout", ValueError),
    (dict(decoder_dropout=1.0), "decoder_dropout", ValueError),
    (dict(dropout=True), "dropout", TypeError),
    (dict(input_dropout="0.5"), "input_dropout", TypeError),
    (dict(dropout=torch.tensor(0.5)), "dropout", TypeError),
])
def test_a_dropout_outside_0_1_fails_at_construction(backend, kwargs, name, error):
    # the same check (and the same error types) as PIGNConv(dropout=...)
    with pytest.raises(error, match=rf"PIGN: {name} must be a finite number in \[0, 1\), got "):
        backend.PIGN(10, 16, 3, **kwargs)
    with pytest.raises(error, match=r"must be a finite number in \[0, 1\)"):
        backend.PIGNConv(16, dropout=next(iter(kwargs.values())))


@pytest.mark.parametrize("layout", ["coo", "csr"])
def test_sparse_features_are_dropped_in_their_own_layout(backend, layout):
    torch.manual_seed(0)
    dense = torch.rand(400, 10) * (torch.rand(400, 10) < 0.3)
    x = dense.to_sparse() if layout == "coo" else dense.to_sparse_csr()
    edge_index = torch.stack(random_edges(400, 1200))
    model = backend.PIGN(10, 8, 3, num_iterations=2, dropout=0.0, input_dropout=0.5)
    seen = encoder_inputs(backend, model.train(), x, edge_index)
    assert seen.layout == x.layout
    seen = seen.to_dense()
    stored = dense != 0
    kept = seen[stored] != 0
    assert 0.4 < float(kept.float().mean()) < 0.6 and (seen[~stored] == 0).all()
    torch.testing.assert_close(seen[stored][kept], 2 * dense[stored][kept])
    torch.testing.assert_close(encoder_inputs(backend, model.eval(), x, edge_index).to_dense(), dense)


def test_numpy_numbers_are_probabilities_too(backend):
    np = pytest.importorskip("numpy")
    assert backend.PIGN(10, 16, 3, dropout=np.float64(0.25)).dropout == 0.25
    assert backend.PIGN(10, 16, 3, input_dropout=np.float32(0.5)).input_dropout == 0.5
