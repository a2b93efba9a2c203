"""PIGNConv, PyG only: MessagePassing's hooks and explainers, and the GCN operator against PyG's GCNConv.
What both adapters share is in tests/adapters/test_pign_conv.py."""
import warnings

import pytest
import torch

pytest.importorskip("torch_geometric")

from torch_geometric.nn import GCNConv  # noqa: E402

from pyg_iterative import PIGN, IterativeConv, PIGNConv  # noqa: E402
from tests.helpers import random_graph  # noqa: E402


def test_propagate_hooks_see_every_step_and_change_nothing():
    edge_index, w = random_graph(20, 60)
    x = torch.randn(20, 8)
    conv = PIGNConv(8, num_iterations=5)
    plain = conv(x, edge_index, w)
    calls = []
    handle = conv.operator.register_propagate_forward_hook(lambda mod, inputs, out: calls.append(1))
    hooked = conv(x, edge_index, w)
    handle.remove()
    assert len(calls) == 5
    assert torch.allclose(plain, hooked, atol=1e-6)


def test_hooks_keep_what_they_saw_and_weights_need_the_saved_form():
    edge_index, _ = random_graph(20, 60)
    conv = PIGNConv(8, num_iterations=3, form="paper", bias=False)
    seen = []
    conv.operator.register_propagate_forward_hook(lambda mod, inputs, out: seen.append((out, out.clone())))
    with torch.no_grad():
        conv(torch.randn(20, 8), edge_index)
    assert len(seen) == 3 and all(torch.equal(out, copy) for out, copy in seen)  # nothing rewrote them in place
    with pytest.warns(UserWarning, match="form='paper'"):
        result = PIGNConv(8).load_state_dict(conv.state_dict(), strict=False)  # torch's contract: the keys
    assert result.missing_keys == ["operator.gamma_logit"] and result.unexpected_keys == ["operator.weight"]
    with pytest.raises(RuntimeError, match=r"Unexpected key\(s\) in state_dict: \"operator.weight\"(.|\n)*form='paper'"):
        PIGNConv(8).load_state_dict(conv.state_dict())  # torch's error, then the layer to build


def test_get_embeddings_takes_the_layers_output_without_a_warning_about_its_own_hooks():
    """PyG's get_embeddings (which PGExplainer calls) hooks every MessagePassing module, the operator
    too: the warning that the operator's hooks never run blamed the user for PyG's hook."""
    import warnings

    from torch_geometric.utils import get_embeddings

    ei, _ = random_graph(12, 30)
    x = torch.randn(12, 5)
    model = PIGN(5, 8, 3).eval()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        embeddings = get_embeddings(model, x, ei)
    assert len(embeddings) == 1 and torch.equal(embeddings[0], model.conv(model.encode(x), ei))
    model.conv.operator.register_forward_hook(lambda *args: None)  # the user's own: named as not run
    with pytest.warns(UserWarning, match="registered on PIGNConv.operator"):
        model(x, ei)


def test_jit_trace_is_refused_by_name():
    """It failed deep inside with "unordered_map::at"; the layer and models built on it say what to use."""
    edge_index, _ = random_graph(10, 30)
    x = torch.randn(10, 4)
    for module in (PIGNConv(4, num_iterations=2), PIGNConv(4, form="paper", num_iterations=2),
                   PIGN(4, 8, 2, num_iterations=2)):
        with pytest.raises(RuntimeError, match=r"PIGNConv: torch.jit.trace .* cannot record the iteration; use "
                                               r"torch.compile"):
            torch.jit.trace(module, (x, edge_index))


@pytest.mark.skipif(not hasattr(torch.compiler, "is_exporting"), reason="torch < 2.3 does not tell export apart")
def test_torch_export_is_refused_by_name_unless_nothing_reads_back():
    """It failed inside torch ("Could not guard on data-dependent expression"), naming neither the layer
    nor the options that let it through."""
    from torch_geometric.nn import GCNConv

    from pyg_iterative import IterativeConv

    edge_index, _ = random_graph(10, 30)
    x = torch.randn(10, 4)
    for module in (PIGNConv(4, num_iterations=2), PIGN(4, 8, 2, num_iterations=2),
                   IterativeConv(GCNConv(4, 4), num_iterations=2), PIGNConv(4, validate=False, tol=1e-3,
                                                                            on_divergence="ignore")):
        name = "IterativeConv" if isinstance(module, IterativeConv) else "PIGNConv"
        with pytest.raises(RuntimeError, match=rf"^{name}: torch.export records one graph.*Build it with "
                                               r"validate=False, on_divergence='ignore' and no tol"):
            torch.export.export(module.eval(), (x, edge_index))
    module = PIGN(4, 8, 2, num_iterations=2, validate=False, on_divergence="ignore").eval()
    exported = torch.export.export(module, (x, edge_index))
    torch.testing.assert_close(exported.module()(x, edge_index), module(x, edge_index))


def test_gcn_operator_is_gcnconv_iterated():
    C = 8
    ei, w = random_graph(15, 50, simple=True)
    x = torch.randn(15, C)
    pign = PIGNConv(C, num_iterations=6, form="paper")
    gcn = GCNConv(C, C)
    with torch.no_grad():
        gcn.lin.weight.copy_(pign.operator.weight)
        gcn.bias.copy_(torch.randn(C) * 0.1)
        pign.operator.bias.copy_(gcn.bias)
    assert torch.allclose(pign(x, ei, w), IterativeConv(gcn, num_iterations=6)(x, ei, w), atol=1e-6)


@pytest.mark.parametrize("add_self_loops", [True, False])
def test_an_explainers_edge_mask_meets_the_edges_it_names(add_self_loops):
    """PyG's explainers mask the messages in the order of the given edges (self-loops added at the end,
    as GCNConv adds them). One step of the paper's form is GCNConv: under the same mask both give the
    same output. The mask met the messages in the propagation's CSR order (sorted by destination), so
    masking one edge changed another; node 0's explanation scored an edge out of node 0."""
    from torch_geometric.explain.algorithm.utils import clear_masks, set_masks

    C = 5
    g = torch.Generator().manual_seed(0)
    ei = torch.tensor([[3, 0, 1, 2, 4, 2, 5, 1, 0, 4], [2, 1, 0, 2, 5, 4, 3, 3, 5, 4]])  # with two self-loops
    x = torch.randn(6, C, generator=g)
    pign = PIGNConv(C, num_iterations=1, form="paper", act="identity", smoothing=0.0,
                    add_self_loops=add_self_loops, on_divergence="ignore")
    gcn = GCNConv(C, C, add_self_loops=add_self_loops)
    with torch.no_grad():
        gcn.lin.weight.copy_(pign.operator.weight)
        gcn.bias.copy_(pign.operator.bias)
    assert torch.allclose(pign(x, ei), gcn(x, ei), atol=1e-6)
    for trial in range(3):
        mask = torch.rand(ei.size(1), generator=g)
        if trial == 0:
            mask = torch.ones(ei.size(1))
            mask[0] = 0.0  # edge 3 -> 2 alone
        for module in (pign, gcn):
            set_masks(module, mask, ei, apply_sigmoid=False)
        masked = pign(x, ei)
        assert torch.allclose(masked, gcn(x, ei), atol=1e-6), trial
        for module in (pign, gcn):
            clear_masks(module)
        if trial == 0:  # only node 2 changed
            changed = (masked - pign(x, ei)).abs().sum(1) > 1e-6
            assert changed.nonzero().flatten().tolist() == [2]


@pytest.mark.parametrize("layout", ["csr", "coo"])
@pytest.mark.parametrize("conv", ["gcn", "sage"])
def test_an_edge_mask_with_a_sparse_adjacency_is_refused(layout, conv):
    """An explainer's mask follows the columns of the edge index it was made for; with a sparse adjacency
    it met the matrix's own order of the edges and weighted other edges, without a word."""
    from torch_geometric.explain.algorithm.utils import clear_masks, set_masks
    from torch_geometric.utils import to_torch_coo_tensor, to_torch_csr_tensor

    edge_index, _ = random_graph(12, 40, simple=True)
    num_edges = edge_index.size(1)
    edge_index = edge_index[:, torch.randperm(num_edges, generator=torch.Generator().manual_seed(0))]
    adj_t = (to_torch_csr_tensor if layout == "csr" else to_torch_coo_tensor)(edge_index.flip(0), size=(12, 12))
    x = torch.randn(12, 4)
    pign = PIGNConv(4, num_iterations=3, conv=conv)
    plain = pign(x, adj_t)
    set_masks(pign, torch.rand(num_edges), edge_index, apply_sigmoid=False)
    with pytest.raises(ValueError, match="edge mask is set on this layer.*Pass the graph as that edge_index"):
        pign(x, adj_t)
    pign(x, edge_index)  # the mask's own edge index is taken
    if conv == "gcn":
        with pytest.raises(ValueError, match=r"GCNOperator: an explainer's edge mask is set on this layer"):
            pign.operator(x, adj_t)
    clear_masks(pign)
    assert torch.equal(pign(x, adj_t), plain)


@pytest.mark.parametrize("step", ["message", "aggregate"])
def test_message_and_aggregate_hooks_on_the_operator_run_at_every_step(step):
    """The fused sparse product skipped the operator's message and aggregate hooks: a hook that
    zeroes the messages was never called and changed nothing."""
    edge_index, w = random_graph(20, 60)
    x = torch.randn(20, 8)
    conv = PIGNConv(8, num_iterations=5, form="appnp")
    with torch.no_grad():
        plain = conv(x, edge_index, w)
        calls = []
        register = getattr(conv.operator, f"register_{step}_forward_hook")
        handle = register(lambda mod, inputs, out: calls.append(1) or out * 0.0)
        hooked = conv(x, edge_index, w)
        handle.remove()
        again = conv(x, edge_index, w)
    assert len(calls) == 5
    # every propagation zeroed: Picard steps of z -> 0.1 x + b from z = x
    assert torch.allclose(hooked, 0.1 * x + conv.operator.bias, atol=1e-6)
    assert torch.equal(again, plain)


def test_a_propagate_pre_hook_on_the_operator_sees_the_edge_list_as_gcnconvs_does():
    """Alone, a propagate pre-hook on the operator received the sparse matrix and edge_weight=None (with a
    message hook beside it, the edge list): one written for GCNConv, scaling edge_weight, failed."""
    edge_index, w = random_graph(12, 40)
    x = torch.randn(12, 4)
    conv = PIGNConv(4, num_iterations=3)
    seen = []

    def halve(module, inputs):
        graph, size, kwargs = inputs
        seen.append((graph.layout, tuple(graph.shape), kwargs["edge_weight"].shape))
        return graph, size, dict(kwargs, edge_weight=kwargs["edge_weight"] * 0.5)

    handle = conv.operator.register_propagate_forward_pre_hook(halve)
    halved = conv(x, edge_index, w)
    handle.remove()
    num_messages = seen[0][1][1]
    assert seen == [(torch.strided, (2, num_messages), (num_messages,))] * 3
    handle = conv.operator.register_message_forward_hook(lambda module, inputs, out: out * 0.5)
    torch.testing.assert_close(halved, conv(x, edge_index, w))
    handle.remove()


@pytest.mark.parametrize("layer", ["PIGNConv", "IterativeConv"])
def test_hooks_on_the_layers_own_propagate_are_named_once(layer):
    """Hooks on the layer's own message or propagate steps never run (each step runs the operator's
    propagate), and nothing said so: a hook that zeroes the messages changed nothing, silently."""
    edge_index, _ = random_graph(10, 30)
    x = torch.randn(10, 4)
    conv = PIGNConv(4, num_iterations=2) if layer == "PIGNConv" else IterativeConv(GCNConv(4, 4), num_iterations=2)
    conv.register_message_forward_hook(lambda module, inputs, out: out * 0.0)
    conv.register_propagate_forward_pre_hook(lambda module, inputs: None)
    with pytest.warns(UserWarning, match=f"{layer}: the hooks registered on the layer's own propagate, message are "
                                         f"not run.*register them on layer.operator"):
        conv(x, edge_index)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        conv(x, edge_index)  # once per set of hooks


def test_attention_explainer_reads_the_operators_attention():
    """AttentionExplainer hooks every MessagePassing module, the layer included, whose hook never runs:
    it reads the attention of the operator's steps, and the layer runs as before afterwards."""
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import AttentionExplainer

    edge_index, _ = random_graph(10, 30)
    x = torch.randn(10, 8)
    conv = PIGNConv(8, num_iterations=2, conv="gat")
    explainer = Explainer(conv, AttentionExplainer(), explanation_type="model", edge_mask_type="object",
                          model_config=dict(mode="regression", task_level="node", return_type="raw"))
    mask = explainer(x, edge_index, index=0).edge_mask
    assert mask.shape == (30,) and float(mask.sum()) > 0
    assert conv(x, edge_index).shape == (10, 8)


def test_graphmask_explainer_is_refused_by_name():
    """GraphMaskExplainer gates each layer's messages once per forward; it failed inside PyG with an
    AttributeError (the operator had no in_channels, then no latest_source_embeddings)."""
    from torch_geometric.explain import Explainer
    from torch_geometric.explain.algorithm import GraphMaskExplainer

    edge_index, _ = random_graph(10, 30)
    conv = PIGNConv(8, num_iterations=2)
    explainer = Explainer(conv, GraphMaskExplainer(1, epochs=1), explanation_type="model",
                          node_mask_type="attributes", edge_mask_type="object",
                          model_config=dict(mode="regression", task_level="node", return_type="raw"))
    x = torch.randn(10, 8)
    with pytest.raises(RuntimeError, match="GraphMaskExplainer.*GNNExplainer"):
        explainer(x, edge_index, index=0)
    # its gates are taken off the layer again: it runs, and the explainers that work still do
    assert conv(x, edge_index).shape == (10, 8)
    from torch_geometric.explain.algorithm import GNNExplainer

    Explainer(conv, GNNExplainer(epochs=2), explanation_type="model", edge_mask_type="object",
              model_config=dict(mode="regression", task_level="node", return_type="raw"))(x, edge_index, index=0)


def test_a_relational_layer_needing_edge_types_is_refused_when_built():
    from torch_geometric.nn import FiLMConv

    with pytest.raises(TypeError, match=r"FiLMConv with num_relations=2 needs the type of every edge \(edge_type\)"):
        IterativeConv(FiLMConv(8, 8, num_relations=2))
    IterativeConv(FiLMConv(8, 8, num_relations=1))  # one relation: no types needed (FiLMConv takes edge_type=None)
