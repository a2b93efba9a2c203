"""Graph-level datasets, batches, models and training (iterative_gnn.graph_tasks), in each backend."""
import networkx as nx
import pytest
import torch

from iterative_gnn.backends import backend_problem
from iterative_gnn.graph_families import degree_features, make_distance_graphs, make_family_graphs, mark_features
from iterative_gnn.graph_tasks import (build_graph_model, collate, evaluate_graphs, graph_dataset, graph_forward,
                                       per_graph_iterations, train_graph_classifier)

BACKENDS = [pytest.param(b, marks=pytest.mark.skipif(backend_problem(b) is not None, reason=f"{b} not installed"))
            for b in ("pyg", "dgl")]


def _edge_set(b, backend):
    if backend == "pyg":
        src, dst = b.graph
    else:
        src, dst = b.graph.edges()
    return set(zip(src.tolist(), dst.tolist()))


@pytest.mark.parametrize("backend", BACKENDS)
def test_batch_is_the_disjoint_union(backend):
    items = make_family_graphs(2, seed=0)
    ds = graph_dataset(items, lambda it: degree_features(it.graph), backend)
    idx = torch.tensor([3, 0, 7])
    b = collate(ds, idx)
    sizes = [items[i].num_nodes for i in idx.tolist()]
    assert b.num_graphs == 3 and b.x.size(0) == sum(sizes)
    assert torch.equal(b.batch, torch.repeat_interleave(torch.arange(3), torch.tensor(sizes)))
    assert torch.equal(b.y, torch.tensor([items[i].label for i in idx.tolist()]))
    expected, offset = set(), 0
    for i, n in zip(idx.tolist(), sizes):
        for u, v in items[i].graph.edges:
            expected |= {(u + offset, v + offset), (v + offset, u + offset)}
        offset += n
    assert _edge_set(b, backend) == expected


@pytest.mark.parametrize("backend", BACKENDS)
@pytest.mark.parametrize("name", ["pign", "gin", "gcn"])
def test_models_give_one_row_per_graph(backend, name):
    ds = graph_dataset(make_family_graphs(2, seed=0), lambda it: degree_features(it.graph), backend)
    model = build_graph_model(backend, name, ds.num_features, 8, ds.num_classes, 3)
    out = graph_forward(model, collate(ds, torch.arange(5)))
    assert out.shape == (5, ds.num_classes)


def test_model_arguments_refused():
    with pytest.raises(ValueError, match="unknown graph model 'gat'"):
        build_graph_model("pyg", "gat", 4, 8, 2, 2)
    with pytest.raises(ValueError, match="depth"):
        build_graph_model("pyg", "gin", 4, 8, 2, 0)
    with pytest.raises(ValueError, match="conv options"):
        build_graph_model("pyg", "gin", 4, 8, 2, 2, conv={"tol": 1e-3})


@pytest.mark.parametrize("backend", BACKENDS)
def test_training_learns_an_easy_pair_of_families(backend):
    # stars and complete graphs differ in every node's degree: one GIN layer separates them
    items = make_family_graphs(10, families=["star", "complete"], extra_edges=(0, 0), seed=0)
    ds = graph_dataset(items, lambda it: degree_features(it.graph), backend)
    torch.manual_seed(0)
    model = build_graph_model(backend, "gin", ds.num_features, 16, 2, 1)
    res = train_graph_classifier(model, ds, epochs=15, batch_size=4, seed=0)
    assert res.test_acc == 1.0 and res.val_acc == 1.0
    assert res.losses[-1] < res.losses[0]


@pytest.mark.parametrize("backend", BACKENDS)
def test_each_graph_converges_on_its_own_in_a_batch(backend):
    items = make_family_graphs(1, seed=0)  # one graph of each family: different spectra
    ds = graph_dataset(items, lambda it: degree_features(it.graph), backend)
    torch.manual_seed(0)
    # the appnp form propagates from the start (the signed form's coefficients start at 0: no propagation)
    model = build_graph_model(backend, "pign", ds.num_features, 8, ds.num_classes, 4, conv={"form": "appnp"})
    b = collate(ds, torch.arange(len(items)))
    its, converged, correct = per_graph_iterations(model, b, tol=1e-4, max_iter=300)
    assert converged.all() and len(set(its.tolist())) > 1
    assert model.conv.tol is None and model.conv.eval_iterations is None  # restored
    # the same count as when the graph is alone, and the same output
    out_batch, _ = evaluate_graphs(model, b)
    for i in (0, 4):
        alone = collate(ds, torch.tensor([i, i]))  # two copies: a batch, so counts come per graph
        its_alone, _, _ = per_graph_iterations(model, alone, tol=1e-4, max_iter=300)
        assert its_alone.tolist() == [its[i].item()] * 2
    assert correct.dtype == torch.bool and correct.shape == (len(items),)
    assert out_batch.shape == (len(items), ds.num_classes)


def test_dataset_checks_features():
    items = make_distance_graphs(4, seed=0)
    with pytest.raises(ValueError, match="features must give"):
        graph_dataset(items, lambda it: torch.zeros(3, 2), "pyg")
    ds = graph_dataset(items, mark_features, "pyg", num_classes=2)
    assert ds.num_features == 2 and len(ds) == 4
    assert sorted(torch.cat([ds.train, ds.val, ds.test]).tolist()) == [0, 1, 2, 3]


def test_distance_graphs_convert_with_networkx_edges():
    it = make_distance_graphs(2, seed=0)[0]
    ds = graph_dataset([it, it], mark_features, "pyg", num_classes=2)
    assert ds.graphs[0].size(1) == 2 * it.graph.number_of_edges()
    assert nx.is_tree(it.graph)


@pytest.mark.parametrize("backend", BACKENDS)
def test_features_meet_their_nodes_whatever_the_insertion_order(backend):
    """Features are rows in node order (0..n-1); PyG's from_networkx numbers nodes in insertion order,
    so a star built edge by edge from a leaf (nodes 1, 0, 2, ...) gave the hub's degree to a leaf."""
    from iterative_gnn.graph_families import LabelledGraph

    star = nx.Graph([(1, 0), (0, 2), (0, 3), (0, 4)])
    ds = graph_dataset([LabelledGraph(star, 0, "star"), LabelledGraph(nx.path_graph(5), 1, "path")] * 3,
                       lambda it: degree_features(it.graph), backend)
    b = collate(ds, torch.tensor([0]))
    dst = b.graph[1] if backend == "pyg" else b.graph.edges()[1]
    assert torch.bincount(dst, minlength=5).tolist() == b.x.argmax(1).tolist() == [4, 1, 1, 1, 1]
    with pytest.raises(ValueError, match="nodes are 0..n-1"):
        graph_dataset([LabelledGraph(nx.relabel_nodes(star, {0: "hub"}), 0, "star")] * 3,
                      lambda it: torch.ones(5, 1), backend)


def test_a_split_without_validation_graphs_is_refused_when_made():
    """Two graphs per class left no validation graph, and training failed inside collate (torch.cat
    of an empty list)."""
    from iterative_gnn.graph_families import make_family_graphs

    backend = "pyg" if backend_problem("pyg") is None else "dgl"
    ds = graph_dataset(make_family_graphs(2, families=["cycle", "star"]), lambda it: degree_features(it.graph), backend)
    model = build_graph_model(backend, "gin", ds.num_features, 8, 2, 2)
    with pytest.raises(ValueError, match=r"train_graph_classifier: the split of the 4 graphs \(2 to 2 per class.*has no "
                                         r"validation graph; give more graphs per class"):
        train_graph_classifier(model, ds, epochs=1)


@pytest.mark.parametrize("backend", BACKENDS)
def test_attributes_of_some_nodes_or_edges_are_not_read(backend):
    """PyG's converter refused a graph (relabelled as advised, nodes 0..n-1 in order) whose nodes or
    edges carry an attribute that others lack; the features come from features(item)."""
    from iterative_gnn.graph_families import LabelledGraph

    g = nx.convert_node_labels_to_integers(nx.Graph([("a", "b"), ("b", "c")]))
    g.nodes[0]["colour"] = "red"
    g.edges[1, 2]["weight"] = 2.0
    ds = graph_dataset([LabelledGraph(g, k % 2, "path") for k in range(6)], lambda it: torch.ones(3, 1), backend)
    assert _edge_set(collate(ds, torch.tensor([0])), backend) == {(0, 1), (1, 0), (1, 2), (2, 1)}


@pytest.mark.parametrize("num_classes", [3, 0, -2, 2.5, True])
def test_num_classes_below_the_labels_is_refused(num_classes):
    """3 for labels up to 9 failed inside the loss ("Target 8 is out of bounds"), 0 was replaced by the
    largest label + 1, -2 failed in nn.Linear."""
    from iterative_gnn.graph_families import LabelledGraph

    items = [LabelledGraph(nx.path_graph(3), k, "path") for k in range(10)]
    with pytest.raises(ValueError, match=rf"num_classes must be an int above the largest label, 9 \(or None: 10\); "
                                         rf"got {num_classes!r}"):
        graph_dataset(items, lambda it: torch.ones(3, 1), "pyg", num_classes=num_classes)
    assert graph_dataset(items, lambda it: torch.ones(3, 1), "pyg", num_classes=12).num_classes == 12
    with pytest.raises(ValueError, match=r"each graph's label to be a class index, an int >= 0; got -1"):
        graph_dataset([LabelledGraph(nx.path_graph(3), -1, "path")] * 3, lambda it: torch.ones(3, 1), "pyg")
