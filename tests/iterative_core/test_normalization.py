"""gcn_propagation on its own, against the GCN matrix written entry by entry (tests.helpers.dense_gcn_matrix):
self-loops already present, isolated nodes, duplicate edges, weights, with and without normalisation,
the self-loops folded into the edge list or kept apart."""
from __future__ import annotations

import pytest
import torch

import iterative_core as ic
from tests.helpers import dense_gcn_matrix, random_graph

DT = torch.float64
N = 12


def graph(weighted: bool):
    """Random edges among nodes 0..9 (10 and 11 isolated), plus two self-loops of their own weight
    (nodes 3 and 7) and a duplicate edge."""
    ei, w = random_graph(N, 30, isolated=2, weighted=weighted, seed=4, dtype=DT)
    ei = torch.cat([ei, torch.tensor([[3, 7, 0], [3, 7, 1]]), ei[:, :1]], 1)
    if w is not None:
        w = torch.cat([w, torch.tensor([0.5, 2.0, 1.5], dtype=DT), w[:1]])
    return ei, w


def dense_of(prop: ic.Propagation) -> torch.Tensor:
    """The matrix from the fields a backend propagates with (not from ``dense()``)."""
    A = torch.zeros(prop.num_nodes, prop.num_nodes, dtype=prop.weight.dtype)
    A.index_put_((prop.dst, prop.src), prop.weight, accumulate=True)
    return A if prop.loop_weight is None else A + torch.diag(prop.loop_weight)


@pytest.mark.parametrize("fold_loops", [True, False])
@pytest.mark.parametrize("add_self_loops,normalize", [(True, True), (False, True), (True, False), (False, False)])
@pytest.mark.parametrize("weighted", [True, False])
def test_matches_the_dense_reference(weighted, add_self_loops, normalize, fold_loops):
    ei, w = graph(weighted)
    prop = ic.gcn_propagation(ei[0], ei[1], N, w, add_self_loops=add_self_loops, normalize=normalize,
                              fold_loops=fold_loops, dtype=DT)
    ref = dense_gcn_matrix(ei, w, N, add_self_loops=add_self_loops, normalize=normalize, dtype=DT)
    torch.testing.assert_close(prop.dense(), ref, rtol=1e-12, atol=1e-12)
    torch.testing.assert_close(dense_of(prop), ref, rtol=1e-12, atol=1e-12)
    assert (prop.loop_weight is None) == (fold_loops or not add_self_loops)
    assert prop.normalized is normalize and prop.num_nodes == N
    # the degree: weighted in-degree with the self-loops, before normalisation
    unnormalised = dense_gcn_matrix(ei, w, N, add_self_loops=add_self_loops, normalize=False, dtype=DT)
    torch.testing.assert_close(prop.degree.to(DT), unnormalised.sum(1), rtol=1e-12, atol=1e-12)


def test_self_loops_present_are_kept_and_isolated_nodes_get_one():
    ei, w = graph(weighted=True)
    A = ic.gcn_propagation(ei[0], ei[1], N, w, normalize=False, dtype=DT).dense()
    assert A[3, 3] == 0.5 and A[7, 7] == 2.0  # their own weights, no second loop of weight 1
    assert A[10, 10] == 1.0 and A[10].sum() == 1.0 and A[:, 11].sum() == 1.0  # isolated: the added loop only
    # without self-loops an isolated node has degree 0: a zero row and column, not NaN/Inf
    A = ic.gcn_propagation(ei[0], ei[1], N, w, add_self_loops=False, dtype=DT).dense()
    assert torch.isfinite(A).all() and A[10].abs().sum() == 0 and A[:, 11].abs().sum() == 0


def test_messages_flow_from_source_to_destination():
    A = ic.gcn_propagation(torch.tensor([0]), torch.tensor([1]), 3, torch.tensor([2.0], dtype=DT),
                           normalize=False, dtype=DT).dense()
    assert A.tolist() == [[1.0, 0.0, 0.0], [2.0, 1.0, 0.0], [0.0, 0.0, 1.0]]


@pytest.mark.parametrize("add_self_loops", [True, False])
def test_an_unweighted_graph_factors_into_node_scalings(add_self_loops):
    """Without weights and with the loops kept apart: diag(s) (A + diag(loops)) diag(s), with A the
    0/1 adjacency (what DGL propagates with an unweighted sum)."""
    ei, _ = graph(weighted=False)
    prop = ic.gcn_propagation(ei[0], ei[1], N, add_self_loops=add_self_loops, fold_loops=False, dtype=DT)
    assert prop.unweighted
    ones = torch.zeros(N, N, dtype=DT).index_put_((ei[1], ei[0]), torch.ones(ei.size(1), dtype=DT), accumulate=True)
    loops = torch.zeros(N, dtype=DT) if prop.unit_loops is None else prop.unit_loops
    assert (prop.unit_loops is None) == (not add_self_loops)
    s = torch.diag(prop.node_scale)
    ref = dense_gcn_matrix(ei, None, N, add_self_loops=add_self_loops, dtype=DT)
    torch.testing.assert_close(s @ (ones + torch.diag(loops)) @ s, ref, rtol=1e-12, atol=1e-12)
    weighted = ic.gcn_propagation(ei[0], ei[1], N, torch.ones(ei.size(1), dtype=DT), fold_loops=False, dtype=DT)
    assert not weighted.unweighted


def test_weights_whose_degree_overflows_float32_keep_the_graph():
    """3e38 is finite in float32 but a sum of two is not: degrees are summed in float64."""
    src, dst = torch.tensor([1, 2]), torch.tensor([0, 0])
    prop = ic.gcn_propagation(src, dst, 3, torch.tensor([3e38, 3e38]))
    A = prop.dense()
    assert A.dtype == torch.float32 and torch.isfinite(A).all()
    ref = dense_gcn_matrix(torch.stack([src, dst]), torch.tensor([3e38, 3e38], dtype=DT), 3, dtype=DT)
    torch.testing.assert_close(A.double(), ref, rtol=1e-6, atol=1e-7)
    assert A[0, 1] > 0.5  # the edges were not erased


def test_the_norm_bound_holds_with_the_loops_folded_or_apart():
    ei, w = graph(weighted=True)
    for fold in (True, False):
        prop = ic.gcn_propagation(ei[0], ei[1], N, w, fold_loops=fold, dtype=DT)
        assert float(prop.norm_bound()) >= float(torch.linalg.matrix_norm(prop.dense(), 2)) * (1 - 1e-12)
    und = torch.cat([ei, ei.flip(0)], 1)
    prop = ic.gcn_propagation(und[0], und[1], N, dtype=DT)
    assert float(torch.linalg.matrix_norm(prop.dense(), 2)) == pytest.approx(1.0, rel=1e-12)
