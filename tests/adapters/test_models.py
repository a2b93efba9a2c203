"""The PIGN models, over both backends: the input features and the decoder's input are dropped as APPNP
and GCNII drop them (by default with the model's ``dropout``), only in training; bad probabilities,
widths and iteration counts fail at construction, bad node features at the start of ``forward``."""
import re
import warnings

import pytest
import numpy as np
import torch
from torch import nn

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


def test_the_models_repr_shows_the_form_and_the_dropouts_that_differ(backend):
    """form='paper' and changed dropouts were left out: the repr read as the default model's."""
    assert repr(backend.PIGN(5, 8, 3)) == "PIGN(5, 8, 3, num_iterations=8, smoothing=0.3, act='identity')"
    assert repr(backend.PIGN(5, 8, 3, form="paper")) == ("PIGN(5, 8, 3, form='paper', num_iterations=8, "
                                                         "smoothing=0.5, conv_dropout=0.5)")
    assert repr(backend.PIGN(5, 8, 3, dropout=0.2, input_dropout=0.0)).startswith(
        "PIGN(5, 8, 3, dropout=0.2, input_dropout=0.0, num_iterations=8")
    assert repr(backend.GraphPIGN(5, 8, 3, conv="gin", decoder_dropout=0.1)) == (
        "GraphPIGN(5, 8, 3, pool='mean', decoder_dropout=0.1, conv='gin', num_iterations=8, smoothing=0.5)")


def test_pign_takes_return_info_fifth_in_both_backends(backend):
    """PyG's PIGN gained num_graphs, which must not move return_info (DGL's takes it fifth)."""
    model = backend.PIGN(4, 8, 2).eval()
    g = backend.graph(torch.tensor([[0, 1, 2], [1, 2, 0]]), 3)
    out, info = backend.run(model, torch.randn(3, 4), g, None, None, True)
    assert out.shape == (3, 2) and info.iterations == 8


MODELS = ["PIGN", "GraphPIGN"]
EDGES = torch.tensor([[0, 1, 1, 2, 2, 3], [1, 0, 2, 1, 3, 2]])


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("args, name, shown, error", [
    ((0, 16, 3), "in_channels", "0", ValueError),
    ((5, "16", 3), "hidden_channels", "'16' (a str)", TypeError),
    ((5, 0, 3), "hidden_channels", "0", ValueError),
    ((5, 16, 0), "out_channels", "0", ValueError),
    ((5, 16, -3), "out_channels", "-3", ValueError),
    ((5.0, 16, 3), "in_channels", "5.0", TypeError),
    ((True, 16, 3), "in_channels", "True", TypeError),
    ((5, 16, 3, "2"), "num_iterations", "'2' (a str)", TypeError),
    ((5, 16, 3, -1), "num_iterations", "-1", ValueError),
    ((5, 16, 3, 2.0), "num_iterations", "2.0", TypeError),
])
def test_a_width_or_iteration_count_that_is_not_an_int_in_range_fails_at_construction(backend, model, args, name,
                                                                                     shown, error):
    # named by the model (not by the encoder's torch.empty or by PIGNConv, which it would otherwise reach)
    lazy = r" or -1 \(read from the first input\)" if name == "in_channels" else ""
    with pytest.raises(error, match=rf"^{model}: {name} must be an int >= \d{lazy}, got {re.escape(shown)}$"):
        getattr(backend, model)(*args)


@pytest.mark.parametrize("model", MODELS)
def test_an_in_channels_of_minus_1_reads_the_width_from_the_first_input(backend, model):
    """PyG's convention (its BasicGNN models, ``Linear(-1, ...)``): the encoder's width is read at the
    first call, then enforced; a state dict loads into a model that has not run yet."""
    torch.manual_seed(0)
    m = getattr(backend, model)(-1, 16, 3, num_iterations=2)
    assert m.in_channels == -1 and repr(m).startswith(f"{model}(-1, 16, 3")
    m.reset_parameters()  # (before the width is known: nothing to reset yet)
    x = torch.randn(4, 5)
    out = backend.run(m.eval(), x, backend.graph(EDGES, 4))
    assert out.shape == ((4, 3) if model == "PIGN" else (1, 3))
    assert m.encoder.weight.shape == (16, 5)
    with pytest.raises(ValueError, match=r"node features have 4 channels but the model was built for "
                                         r"in_channels=-1, read from its first input as in_channels=5$"):
        backend.run(m, torch.randn(4, 4), backend.graph(EDGES, 4))
    fresh = getattr(backend, model)(-1, 16, 3, num_iterations=2)
    fresh.load_state_dict(m.state_dict())
    torch.testing.assert_close(backend.run(fresh.eval(), x, backend.graph(EDGES, 4)), out, rtol=0, atol=0)
    m.reset_parameters()
    assert not torch.equal(backend.run(m, x, backend.graph(EDGES, 4)), out)


@pytest.mark.parametrize("model", MODELS)
def test_valid_widths_build_and_run(backend, model):
    np = pytest.importorskip("numpy")
    m = getattr(backend, model)(np.int64(4), 16, 3, num_iterations=0)
    assert (m.in_channels, m.hidden_channels, m.out_channels) == (4, 16, 3)
    assert type(m.in_channels) is int
    out = backend.run(m, torch.randn(4, 4), backend.graph(EDGES, 4))
    assert out.shape == ((4, 3) if model == "PIGN" else (1, 3))


def bad_features():
    x = torch.randn(4, 4)
    return [
        (torch.randn(4, 5), ValueError, "node features have 5 channels but the model was built for in_channels=4"),
        (torch.randn(4, 3).to_sparse(), ValueError, "node features have 3 channels but the model was built for "
                                                    "in_channels=4"),
        (x.long(), TypeError, "node features have dtype torch.int64; supported: float16, bfloat16, float32, float64"),
        (x.bool(), TypeError, "node features have dtype torch.bool; supported"),
        (x.double(), TypeError, "node features have dtype torch.float64 but the model's parameters have dtype "
                                "torch.float32; convert one to the other: model.to(torch.float64) or "
                                "features.to(torch.float32)"),
        (x.half(), TypeError, "node features have dtype torch.float16 but the model's parameters have dtype "
                              "torch.float32"),
        (x[:, 0], ValueError, "node features must be 2-D [num_nodes, channels], got shape (4,)"),
        (x.tolist(), TypeError, "node features must be a torch.Tensor, got list"),
    ]


@pytest.mark.parametrize("validate", [True, False])
@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("case", range(len(bad_features())))
def test_bad_node_features_fail_at_the_start_of_forward(backend, model, case, validate):
    """Before the encoder sees them (which would fail with torch's matmul error, or quietly run): the
    layer's checks, named by the model and its in_channels. They read no values back, so
    ``validate=False`` keeps them."""
    x, error, message = bad_features()[case]
    m = getattr(backend, model)(4, 16, 3, num_iterations=2, validate=validate)
    graph = backend.graph(EDGES, 4)
    encoded = []
    m.encoder.register_forward_pre_hook(lambda *_: encoded.append(True))
    with pytest.raises(error, match=f"^{model}: {re.escape(message)}"):
        backend.run(m, x, graph)
    assert not encoded


@pytest.mark.parametrize("model", MODELS)
def test_features_in_the_models_dtype_run(backend, model):
    """PIGNConv iterates a float64 input on float32 parameters only where it can cast the weight (the
    GCN operator without projection), and fails inside torch where it cannot: the models refuse the
    mismatch whatever the operator (above) and run once model and features agree."""
    graph = backend.graph(EDGES, 4)
    x = torch.randn(4, 4, dtype=torch.float64)
    m = getattr(backend, model)(4, 16, 3, num_iterations=2).double()
    assert backend.run(m, x, graph).dtype == torch.float64
    assert backend.run(m.float(), x.float(), graph).dtype == torch.float32
    sage = getattr(backend, model)(4, 16, 3, num_iterations=2, conv="sage")
    with pytest.raises(TypeError, match=rf"^{model}: node features have dtype torch.float64 but"):
        backend.run(sage, x, graph)
    assert backend.run(sage.double(), x, graph).dtype == torch.float64


def test_autocast_casts_the_features_itself(backend):
    """Under autocast the encoder casts its input: features of another dtype are not refused then."""
    m = backend.PIGN(4, 16, 3)
    x = torch.randn(4, 4, dtype=torch.bfloat16)
    with pytest.raises(TypeError, match="torch.bfloat16 but the model's parameters have dtype torch.float32"):
        m.check_input(x)
    with torch.autocast("cpu", dtype=torch.bfloat16):
        m.check_input(x)
        assert m.encoder(x).dtype == torch.bfloat16


@pytest.mark.parametrize("layout", ["coo", "csr"])
@pytest.mark.parametrize("validate", [True, False])
def test_sparse_features_pass_the_checks(backend, layout, validate):
    dense = torch.rand(4, 4) * (torch.rand(4, 4) < 0.5)
    x = dense.to_sparse() if layout == "coo" else dense.to_sparse_csr()
    m = backend.PIGN(4, 16, 3, num_iterations=2, validate=validate).eval()
    graph = backend.graph(EDGES, 4)
    torch.testing.assert_close(backend.run(m, x, graph), backend.run(m, dense, graph))


def test_the_repr_shows_a_conv_dropout_of_0_where_the_models_default_is_not(backend):
    """form='paper' drops out inside the iteration by default; a 0 there was left out of the repr,
    which then rebuilt a model with dropout inside."""
    model = backend.PIGN(5, 8, 3, form="paper", conv_dropout=0.0)
    assert model.conv.dropout == 0.0 and repr(model).endswith("conv_dropout=0.0)")
    assert "conv_dropout" not in repr(backend.PIGN(5, 8, 3, conv_dropout=0.0))  # the signed form's default


@pytest.mark.parametrize("dtype", [torch.bfloat16, torch.float16])
@pytest.mark.parametrize("pool", ["mean", "sum"])
def test_a_large_half_precision_graph_pools_the_same_alone_and_in_a_batch(backend, dtype, pool):
    """A half-precision node count stopped at 256 (bfloat16) or 2048 (float16): the mean of a
    larger graph was its sum over that count, and differed alone and in a batch."""
    n = 3000
    ei = torch.stack(random_edges(n, 4 * n, seed=0))
    model = backend.GraphPIGN(4, 8, 2, num_iterations=2).to(dtype).eval()
    x = torch.randn(n, 4).to(dtype)
    alone = backend.call(model, x, ei)
    small = torch.tensor([[0, 1], [1, 0]])
    both = backend.call(model, torch.cat([x, torch.randn(2, 4).to(dtype)]), torch.cat([ei, small + n], 1),
                        batch_sizes=[n, 2])
    assert torch.allclose(both[0].float(), alone[0].float(), atol=2e-2, rtol=2e-2), (both[0], alone[0])
    ref = model.float()
    assert torch.allclose(alone[0].float(), backend.call(ref, x.float(), ei)[0], atol=5e-2, rtol=5e-2)


def test_a_return_info_that_is_not_a_bool_is_named(backend):
    """DGL's GraphPIGN takes return_info fourth, where the other models take a batch vector."""
    model = backend.GraphPIGN(4, 8, 2).eval()
    g, x, ids = backend.graph(EDGES, 4), torch.randn(4, 4), torch.zeros(4, dtype=torch.long)
    args = (None, ids) if backend.name == "dgl" else (None, None, None, ids)
    with pytest.raises(TypeError, match=r"GraphPIGN: return_info must be True or False, got an int64 Tensor of "
                                        r"shape \(4,\)"):
        backend.run(model, x, g, *args)


@pytest.mark.parametrize("value", ["False", 1, None, torch.tensor([0, 1, 1])])
def test_the_layers_refuse_a_return_info_that_is_not_a_bool_before_the_solve(backend, value, monkeypatch):
    """In the layers ``'False'`` returned a pair, and a tensor in its place failed only after the whole
    solve, inside torch ("Boolean value of Tensor ... is ambiguous"); the models refused it only after
    the solve."""
    import iterative_core.wrapping as wrapping

    solves = []
    monkeypatch.setattr(wrapping.OperatorLayerBase, "_set_up_and_iterate",
                        lambda *args, **kwargs: solves.append(1))
    g, x = backend.graph(EDGES, 4), torch.randn(4, 4)
    for conv in (backend.PIGNConv(4), backend.IterativeConv(backend.layers.layer("GraphConv", 4))):
        with pytest.raises(TypeError, match=rf"^{type(conv).__name__}: return_info must be True or False, got "):
            backend.run(conv, x, g, return_info=value)
    # the models too (they checked it after the solve), and a NumPy bool is a bool in both
    for model in (backend.PIGN(4, 8, 2), backend.GraphPIGN(4, 8, 2)):
        with pytest.raises(TypeError, match=rf"^{type(model).__name__}: return_info must be True or False, got "):
            backend.run(model, x, g, return_info=value)
    assert not solves
    monkeypatch.undo()
    for module in (backend.PIGNConv(4), backend.PIGN(4, 8, 2)):
        assert isinstance(backend.run(module, x, g, return_info=np.True_), tuple)


def test_the_layers_width_keywords_are_refused_among_a_models_convolution_options(backend):
    """DGL's ``out_feats`` (PyG's names are the models' own) went to the iterated layer: ``PIGN(3, 4, 2,
    out_feats=7)`` built a 4 -> 7 layer before a decoder of 4, and failed at the first call in torch's
    matmul, with a repr that was not Python."""
    own = {"in_channels", "hidden_channels", "out_channels"}
    names = [n for n in backend.PIGNConv.width_args if n not in own]
    assert names == ([] if backend.name == "pyg" else ["in_feats", "out_feats"])
    for model in (backend.PIGN, backend.GraphPIGN):
        for name in names:
            with pytest.raises(TypeError, match=rf"^{model.__name__}: {name}=7 is a width of the iterated PIGNConv, "
                                                r"which the model sets: it iterates at hidden_channels \(4\)"):
                model(3, 4, 2, **{name: 7})


def test_return_info_given_in_another_models_place_is_named(backend):
    """``model(x, edge_index, None, True)``, DGL's GraphPIGN's order on PyG's models (or a PIGN's fourth
    argument taken for return_info), was refused as a bad batch vector, without the keyword to use."""
    g, x = backend.graph(EDGES, 4), torch.randn(4, 4)
    models = [backend.PIGN(4, 8, 2)] + ([backend.GraphPIGN(4, 8, 2)] if backend.name == "pyg" else [])
    for model in models:
        name = type(model).__name__
        with pytest.raises(TypeError, match=rf"^{name}: batch must be a tensor of graph ids or None, got True, a bool; "
                                            rf"{name}.forward takes \(.*\): if it is return_info, pass "
                                            r"return_info=True by keyword$"):
            backend.run(model, x, g, None, True)
    if backend.name == "pyg":
        with pytest.raises(TypeError, match=r"^GraphPIGN: num_graphs must be an int or None, got False, a bool; "
                                            r".*: if it is return_info, pass return_info=False by keyword$"):
            backend.run(backend.GraphPIGN(4, 8, 2), x, g, None, None, False)


def test_pign_takes_num_graphs_in_both_backends(backend):
    """DGL's PIGN took no num_graphs, which its documentation (as PyG's) names."""
    model = backend.PIGN(4, 8, 2).eval()
    g, x = backend.graph(torch.tensor([[0, 1, 2, 3], [1, 0, 3, 2]]), 4, [2, 2]), torch.randn(4, 4)
    batch = torch.tensor([0, 0, 1, 1])
    assert torch.equal(backend.run(model, x, g, batch=batch, num_graphs=2), backend.run(model, x, g, batch=batch))
    with pytest.raises(ValueError, match=r"batch holds the graph id 1 but num_graphs=1"):
        backend.run(model, x, g, batch=batch, num_graphs=1)


@pytest.mark.parametrize("kwargs,error,message", [
    (dict(pool="add"), ValueError, r"^GraphPIGN: pool='add' is spelt pool='sum' here \(PyG's global_add_pool\)"),
    (dict(pool="avg"), ValueError, r"^GraphPIGN: unknown pool 'avg'; valid: 'max', 'mean', 'sum'\.$"),
    (dict(pool=None), TypeError, r"^GraphPIGN: pool must be a string"),
    (dict(pooling="sum"), TypeError, r"^GraphPIGN: PIGNConv\(conv='gcn'\) got unknown keyword\(s\) 'pooling' "
                                     r"\('pooling' -> 'pool'\?\)"),
    (dict(conv="gcnconv"), ValueError, r"^GraphPIGN: unknown conv='gcnconv'; the operators registered for '(pyg|dgl)': "
                                       r"'gat', 'gcn', 'gin', 'sage'\. Did you mean 'gcn'\?$"),
])
def test_a_models_options_are_named_with_the_model(backend, kwargs, error, message):
    """'unknown pooling' and 'unknown operator for backend ...' named neither the model nor its argument."""
    with pytest.raises(error, match=message):
        backend.GraphPIGN(5, 8, 2, **kwargs)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("kwargs,error,message", [
    (dict(tol=-1), ValueError, r"PIGNConv: tol must be a finite number >= 0 or None, got -1\.0$"),
    (dict(gamma_max=2.0), ValueError, r"GCNOperator: gamma_max must be a finite number in \(0, 1\), got 2\.0$"),
    (dict(tool=1e-3), TypeError, r"PIGNConv\(conv='gcn'\) got unknown keyword\(s\) 'tool'"),
    # the model's own keywords count among the valid ones: 'decoder_dropouts' -> 'dropout' was suggested, and
    # 'conv_drop' got no hint
    (dict(decoder_dropouts=0.1), TypeError, r"PIGNConv\(conv='gcn'\) got unknown keyword\(s\) 'decoder_dropouts' "
                                            r"\('decoder_dropouts' -> 'decoder_dropout'\?\); valid keywords: "
                                            r".*conv_dropout, .*decoder_dropout"),
    (dict(conv_drop=0.1), TypeError, r"PIGNConv\(conv='gcn'\) got unknown keyword\(s\) 'conv_drop' \('conv_drop' -> "
                                     r"'conv_dropout'\?\)"),
    (dict(conv_dropout="x"), TypeError, r"conv_dropout must be a finite number in \[0, 1\), got 'x'"),
])
def test_a_layer_option_given_to_a_model_is_named_with_the_model(backend, model, kwargs, error, message):
    """A bad option for the iterated layer named only the layer (or its operator), which the user never built."""
    with pytest.raises(error, match=rf"^{model}: {message}"):
        getattr(backend, model)(5, 8, 2, **kwargs)


@pytest.mark.parametrize("model", ["PIGN", "GraphPIGN"])
def test_a_convolution_option_set_on_the_model_is_refused_and_its_dropouts_are_checked(backend, model):
    """model.num_iterations = 1 (or tol, smoothing) made a new attribute that nothing read: the model kept its 8
    iterations; its dropouts were taken unchecked, and a bad one failed in torch's words at the next call."""
    m = getattr(backend, model)(4, 8, 2)
    for name, value, own in (("num_iterations", 1, "num_iterations"), ("tol", 1e-2, "tol"),
                             ("smoothing", 0.9, "smoothing"), ("conv_dropout", 0.2, "dropout")):
        with pytest.raises(AttributeError, match=rf"^{model}: {name} is an option of the iterated convolution, not of "
                                                 rf"the model: set model.conv.{own}"):
            setattr(m, name, value)
    with pytest.raises(TypeError, match=rf"^{model}: input_dropout must be a finite number in \[0, 1\), got 'x'"):
        m.input_dropout = "x"
    with pytest.raises(ValueError, match=rf"^{model}: dropout must be a finite number in \[0, 1\), got 2\.0"):
        m.dropout = 2.0
    m.decoder_dropout, m.conv.num_iterations = 0.25, 3  # the model's own, and the convolution's where it is
    assert m.decoder_dropout == 0.25 and m.conv.num_iterations == 3

    class Yours(getattr(backend, model)):  # a subclass of your own may use the names as it likes
        @property
        def tol(self):
            return self.conv.tol

        @tol.setter
        def tol(self, value):
            self.conv.tol = value

    yours = Yours(4, 8, 2)
    yours.tol, yours.trace = 1e-3, []
    assert yours.conv.tol == 1e-3 and yours.trace == []


def test_nan_in_the_models_input_is_counted_in_the_input(backend):
    """One NaN feature fills a row of the encoded features: the convolution counted 8 entries, in its name."""
    x, ei = torch.randn(6, 5), torch.tensor([[0, 1, 1, 2, 3, 4], [1, 0, 2, 1, 4, 3]])
    x[2, 1] = float("nan")
    with pytest.raises(ValueError, match=r"^PIGN: the node features hold 1 NaN/Inf entry \(the first in row 2\)"):
        backend.call(backend.PIGN(5, 8, 3), x, ei)
    model = backend.PIGN(5, 8, 3)
    with torch.no_grad():
        model.encoder.weight[0, 0] = float("nan")  # finite input: the encoder made them, the layer says so
    with pytest.raises(ValueError, match=r"^PIGNConv: the node features hold 6 NaN/Inf entries"):
        backend.call(model, torch.randn(6, 5), ei)


@pytest.mark.parametrize("model", MODELS)
@pytest.mark.parametrize("name", ["in_channels", "hidden_channels", "out_channels"])
def test_a_models_widths_are_fixed_once_built(backend, model, name):
    """Assigned, a width changed the repr (and, for in_channels, the check of the input) while the
    encoder, convolution and decoder kept computing with the one built; the layer refuses the same."""
    m = getattr(backend, model)(5, 8, 3)
    m.__setattr__(name, getattr(m, name))  # the same value: nothing changes
    with pytest.raises(AttributeError, match=rf"^{model}: {name} is fixed when the model is built \(it is "
                                             rf"{getattr(m, name)}; its layers have that width\): build a new model "
                                             rf"with {name}=2$"):
        setattr(m, name, 2)
    assert (m.in_channels, m.hidden_channels, m.out_channels) == (5, 8, 3)


def test_a_graph_models_pool_is_checked_when_assigned(backend):
    """An unknown pool was accepted, shown in the repr and refused only at the next call."""
    m = backend.GraphPIGN(5, 8, 3)
    m.pool = "max"
    assert m.pool == "max"
    with pytest.raises(ValueError, match=r"^GraphPIGN: unknown pool 'median'; valid: 'max', 'mean', 'sum'"):
        m.pool = "median"
    with pytest.raises(ValueError, match=r"^GraphPIGN: pool='add' is spelt pool='sum' here"):
        m.pool = "add"
    assert m.pool == "max"


def test_a_lazy_models_in_channels_is_fixed_with_the_reason_it_has(backend):
    m = backend.PIGN(-1, 8, 3)
    with pytest.raises(AttributeError, match=r"^PIGN: in_channels is fixed when the model is built \(it is -1; its "
                                             r"encoder reads the width from the first input\): build a new model with "
                                             r"in_channels=5$"):
        m.in_channels = 5


@pytest.mark.parametrize("grad", ["unrolled", "phantom", "implicit"])
def test_a_loss_scalers_overflowed_steps_are_skipped_in_every_gradient_mode(backend, grad):
    """torch.amp.GradScaler's first steps overflow float16 and are skipped, as it is built to do; with
    grad='implicit' the incoming Inf was reported as a diverged adjoint: a warning at each such step,
    and with on_divergence='raise' an error inside backward() that ended the training."""
    try:
        scaler = torch.amp.GradScaler("cpu", init_scale=2.0 ** 24)
    except (AttributeError, TypeError, RuntimeError):
        pytest.skip("this torch has no GradScaler for the CPU")
    import torch.nn.functional as F

    torch.manual_seed(0)
    edge_index = torch.stack(random_edges(30, 160, seed=0))
    graph = backend.graph(edge_index, 30)
    x, y = torch.randn(30, 8), torch.randint(0, 3, (30,))
    model = backend.PIGN(8, 16, 3, num_iterations=30, grad=grad, on_divergence="raise")
    opt = torch.optim.SGD(model.parameters(), lr=0.1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for _ in range(3):
            opt.zero_grad()
            with torch.autocast("cpu", dtype=torch.float16):
                loss = F.cross_entropy(backend.run(model, x, graph), y)
            scaler.scale(loss).backward()
            scaler.step(opt)
            scaler.update()
    assert scaler.get_scale() < 2.0 ** 24  # the overflowed steps were found, and skipped


def test_dynamic_quantization_of_the_linear_maps_runs(backend):
    """``torch.ao.quantization.quantize_dynamic`` turns each ``nn.Linear`` into a quantized map whose
    ``weight`` is a method: the models' and the drop-in layer's dtype checks read ``.weight.dtype`` and
    failed with "'function' object has no attribute 'dtype'"."""
    import copy

    quantize = torch.ao.quantization.quantize_dynamic
    g, x = backend.graph(EDGES, 4), torch.randn(4, 4)
    for module in (backend.PIGN(4, 8, 3), backend.GraphPIGN(4, 8, 3), backend.PIGNConv(4, 8)):
        module.eval()
        quantized = quantize(copy.deepcopy(module), {nn.Linear}, dtype=torch.qint8)
        assert not any(type(m) is nn.Linear for m in quantized.modules())
        with torch.no_grad():
            ref, out = backend.run(module, x, g), backend.run(quantized, x, g)
        assert out.shape == ref.shape and torch.allclose(out, ref, atol=0.05), (out - ref).abs().max()
        # the quantized maps take float32 features: another dtype is named as the module's, not torch's
        with pytest.raises(TypeError, match=rf"^{type(module).__name__}: node features have dtype torch.float64 "):
            backend.run(quantized, x.double(), g)
