"""PIGNConv(in, out) as a drop-in for GCNConv(in, out) / GraphConv(in_feats, out_feats): the widths
are the first two arguments in both ecosystems, a learned projection maps the input to the output
width, and the iteration's options are keywords only."""
from __future__ import annotations

import warnings

import pytest
import torch
import torch.nn.functional as F

from tests.helpers import random_graph


def _names(backend) -> tuple[str, str]:
    return ("in_channels", "out_channels") if backend.name == "pyg" else ("in_feats", "out_feats")


def test_two_widths_project_then_iterate(backend):
    n = 20
    edge_index, w = random_graph(n, 60, seed=1)
    conv = backend.PIGNConv(12, 5, num_iterations=4)
    assert (conv.in_channels, conv.out_channels, conv.channels) == (12, 5, 5)
    assert conv.lin.weight.shape == (5, 12) and conv.lin.bias is None
    x = torch.randn(n, 12)
    out = backend.call(conv, x, edge_index, w)
    assert out.shape == (n, 5)
    # the same as projecting by hand and iterating a square layer with the same operator
    square = backend.PIGNConv(5, num_iterations=4)
    square.operator.load_state_dict(conv.operator.state_dict())
    ref = backend.call(square, x @ conv.lin.weight.t(), edge_index, w)
    assert torch.allclose(out, ref, atol=1e-6)
    assert f"{12}, {5}" in repr(conv)


def test_equal_widths_add_no_projection(backend):
    conv = backend.PIGNConv(8, 8)
    assert conv.lin is None and backend.PIGNConv(8).lin is None
    assert all(not name.startswith("lin.") for name, _ in conv.named_parameters())


def test_the_projection_is_trained_and_reset(backend):
    edge_index, _ = random_graph(15, 40, seed=2)
    conv = backend.PIGNConv(6, 3, num_iterations=3)
    backend.call(conv, torch.randn(15, 6), edge_index).sum().backward()
    assert conv.lin.weight.grad is not None and conv.lin.weight.grad.abs().sum() > 0
    before = conv.lin.weight.detach().clone()
    conv.reset_parameters()
    assert not torch.equal(before, conv.lin.weight)


def test_a_gcn_style_two_layer_model_trains(backend):
    """The two lines a GCN user changes: conv1 = PIGNConv(F, 16); conv2 = PIGNConv(16, classes)."""
    torch.manual_seed(0)
    n, f, classes = 60, 10, 3
    y = torch.arange(n) % classes
    src, dst = torch.randint(0, n, (2, 400))
    keep = (y[src] == y[dst]) & (src != dst)  # a homophilous graph
    edge_index = torch.stack([src[keep], dst[keep]])
    x = F.one_hot(y, classes).float().repeat(1, 4)[:, :f] + 0.5 * torch.randn(n, f)
    conv1, conv2 = backend.PIGNConv(f, 16), backend.PIGNConv(16, classes)
    opt = torch.optim.Adam(list(conv1.parameters()) + list(conv2.parameters()), lr=0.05)
    for _ in range(50):
        opt.zero_grad()
        h = F.relu(backend.call(conv1, x, edge_index))
        loss = F.cross_entropy(backend.call(conv2, h, edge_index), y)
        loss.backward()
        opt.step()
    assert float(loss) < 0.5


def test_num_iterations_is_never_read_from_a_position(backend):
    with pytest.raises(TypeError):
        backend.PIGNConv(8, 8, 16)  # a third positional argument: the options are keywords
    assert backend.PIGNConv(8, num_iterations=3).num_iterations == 3


@pytest.mark.parametrize("bad, error", [(0, ValueError), (-3, ValueError), (2.5, TypeError), (True, TypeError),
                                        ("16", TypeError)])
def test_bad_widths_name_the_ecosystems_argument(backend, bad, error):
    in_name, out_name = _names(backend)
    with pytest.raises(error, match=f"{out_name} must be an int >= 1, got {bad!r}"):
        backend.PIGNConv(8, bad)
    with pytest.raises(error, match=fr"{in_name} must be an int >= 1 or -1 \(read from the first input\), got {bad!r}"):
        backend.PIGNConv(bad, 4)


def test_widths_beyond_torchs_index_range_are_refused_by_name(backend):
    """They failed inside ``torch.empty``, with C++ frames in the message and no argument named."""
    in_name, out_name = _names(backend)
    for args, name in (((2**64,), in_name), ((8, 2**64), out_name), ((2**63, 4), in_name)):
        with pytest.raises(ValueError, match=fr"^PIGNConv: {name} must be an int >= 1 and <= 2\*\*63 - 1 "
                                             fr"\(torch's index range\), got {args[-1] if name == out_name else args[0]}$"):
            backend.PIGNConv(*args)


def test_an_input_width_of_minus_one_is_read_from_the_first_input(backend):
    """PyG's lazy convention (GCNConv(-1, 16)): the projection takes its width from the first input,
    then holds it like a given one."""
    in_name, out_name = _names(backend)
    edge_index, w = random_graph(12, 40, seed=3)
    x = torch.randn(12, 7)
    conv = backend.PIGNConv(-1, 5, num_iterations=3)
    assert "-1, 5," in repr(conv)
    out = backend.call(conv, x, edge_index, w)
    # in_channels stays -1, as PyG keeps it: the repr builds a layer of the same parameters
    assert out.shape == (12, 5) and conv.in_channels == -1 and conv.lin.weight.shape == (5, 7)
    assert "-1, 5," in repr(conv)
    wrong = f"8 channels but the layer was built for {in_name}=-1, read from its first input as {in_name}=7"
    with pytest.raises(ValueError, match=wrong):
        backend.call(conv, torch.randn(12, 8), edge_index)
    fresh = backend.PIGNConv(-1, 5, num_iterations=3)
    fresh.load_state_dict(conv.state_dict())  # a lazy layer loads a trained one's parameters, and their width
    with pytest.raises(ValueError, match=wrong):
        backend.call(fresh, torch.randn(12, 8), edge_index)
    assert torch.equal(backend.call(fresh, x, edge_index, w), out)
    square = backend.PIGNConv(-1, 7, num_iterations=3)  # an input of the iteration's width keeps its map
    backend.call(square, x, edge_index)
    backend.PIGNConv(-1, 7, num_iterations=3).load_state_dict(square.state_dict())
    # a layer without the map: a checkpoint with one names the layer it loads into; its keys are
    # unexpected, torch's error with strict=True (the layer to build follows it), returned with
    # strict=False (torch's contract; the layer to build is a warning)
    square_map = r"input map lin.weight \(shape \(7, 7\)\), which this PIGNConv\(7\) has not: it was saved from " \
                 r"PIGNConv\(-1, 7\) \(.*always adds the map"
    with pytest.raises(RuntimeError, match=r"Unexpected.*lin\.weight(.|\n)*" + square_map):
        backend.PIGNConv(7).load_state_dict(square.state_dict())
    with pytest.warns(UserWarning, match=square_map):
        assert backend.PIGNConv(7).load_state_dict(square.state_dict(), strict=False).unexpected_keys == ["lin.weight"]
    with pytest.raises(RuntimeError, match=r"shape \(5, 7\)\), which this PIGNConv\(5\) has not: it was saved "
                                           r"from PIGNConv\(7, 5\); build that layer"):
        backend.PIGNConv(5).load_state_dict(conv.state_dict())
    # the other way, a checkpoint without the map into a layer with one: named too (with strict=False the map
    # stayed as initialised, without a word); a state dict that holds none of the operator is not this layer's
    no_map = r"has no learned input map lin.weight, which this PIGNConv\({}, 5\) has{}: a state_dict of " \
             r"PIGNConv\(5\), whose input is as wide as its output, has none; build that layer to load one"
    for width, note in ((7, ""), (-1, r" \(in_channels=-1 always adds the map\)")):
        with pytest.raises(RuntimeError, match=r"Missing.*lin\.weight(.|\n)*" + no_map.format(width, note)):
            backend.PIGNConv(width, 5).load_state_dict(backend.PIGNConv(5).state_dict())
        with pytest.warns(UserWarning, match=no_map.format(width, note)):
            loaded = backend.PIGNConv(width, 5).load_state_dict(backend.PIGNConv(5).state_dict(), strict=False)
        assert loaded.missing_keys == ["lin.weight"]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert backend.PIGNConv(7, 5).load_state_dict({}, strict=False).missing_keys
    with pytest.raises(TypeError, match="float64"):  # the dtype is checked at the first call too
        backend.call(backend.PIGNConv(-1, 5).double(), x, edge_index)
    with pytest.raises(ValueError, match=fr"{in_name}=-1 \(the input width read from the first input\) needs {out_name}"):
        backend.PIGNConv(-1)


def test_numpy_widths_are_whole_numbers_too(backend):
    np = pytest.importorskip("numpy")
    conv = backend.PIGNConv(np.int64(8), np.int32(4))
    assert (conv.in_channels, conv.out_channels) == (8, 4) and type(conv.in_channels) is int


def test_features_of_the_wrong_width_name_the_input_width(backend):
    in_name, _ = _names(backend)
    edge_index, _ = random_graph(10, 20, seed=4)
    with pytest.raises(ValueError, match=f"7 channels but the layer was built for {in_name}=6"):
        backend.call(backend.PIGNConv(6, 3), torch.randn(10, 7), edge_index)


def test_a_warm_start_has_the_iterations_width(backend):
    edge_index, _ = random_graph(10, 20, seed=5)
    conv = backend.PIGNConv(6, 3)
    with pytest.raises(ValueError, match=r"z_init has shape \(10, 6\) but the node features mapped to the "
                                         r"iteration's width have shape \(10, 3\)"):
        backend.call(conv, torch.randn(10, 6), edge_index, z_init=torch.randn(10, 6))
    assert backend.call(conv, torch.randn(10, 6), edge_index, z_init=torch.randn(10, 3)).shape == (10, 3)


def _drop_in_example():
    import importlib.util
    from pathlib import Path

    path = Path(__file__).resolve().parents[2] / "examples" / "drop_in_gcn.py"
    spec = importlib.util.spec_from_file_location("drop_in_gcn", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_drop_in_example_swaps_the_two_layers_and_passes_options_on(backend):
    example = _drop_in_example()
    model = example.build(backend.name, "pign", 30, 4, hidden=16, gamma_init=0.8)
    assert isinstance(model.conv1, backend.PIGNConv) and isinstance(model.conv2, backend.PIGNConv)
    assert (model.conv1.in_channels, model.conv1.out_channels, model.conv2.out_channels) == (30, 16, 4)
    assert model.conv1.operator.gamma_init == model.conv2.operator.gamma_init == 0.8
    n = 25
    edge_index, _ = random_graph(n, 80, seed=3)
    graph = backend.graph(edge_index, n)
    assert model(torch.randn(n, 30), graph).shape == (n, 4)
    with pytest.raises(ValueError, match="PIGNConv options"):
        example.build(backend.name, "gcn", 30, 4, gamma_init=0.8)
    last = example.build(backend.name, "pign-last", 30, 4, hidden=16, gamma_init=0.8)
    assert type(last.conv1) is torch.nn.Linear and isinstance(last.conv2, backend.PIGNConv)
    assert (last.conv1.in_features, last.conv1.out_features, last.conv2.out_channels) == (30, 16, 4)
    assert last.conv2.operator.gamma_init == 0.8
    assert last(torch.randn(n, 30), graph).shape == (n, 4)


def test_the_drop_in_example_passes_pignconvs_own_conv_option_on(backend):
    # the example's own conv ("pign") is positional, so PIGNConv's conv= reaches the layers
    example = _drop_in_example()
    model = example.build(backend.name, "pign", 30, 4, conv="sage")
    assert model.conv1.conv_name == model.conv2.conv_name == "sage"
    n = 25
    edge_index, _ = random_graph(n, 80, seed=3)
    assert model(torch.randn(n, 30), backend.graph(edge_index, n)).shape == (n, 4)
