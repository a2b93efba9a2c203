"""Bad inputs and what each must give, shared by the PyG and DGL reliability tests.

Each backend's test module supplies ``call(conv, x, edge_index, edge_weight, num_nodes)`` and the
layer class; the cases here say what must happen, so both backends are held to one table.
"""
from __future__ import annotations

import warnings

import pytest
import torch

from iterative_core import ConvergenceError, ConvergenceWarning

EI = torch.tensor([[0, 1, 2, 3], [1, 2, 3, 0]])


def run_table(Conv, call, backend: str) -> None:
    x = torch.randn(5, 4)
    conv = Conv(4, num_iterations=3)

    # feature width different from channels: both widths named
    with pytest.raises(ValueError, match=r"3 channels.*channels=4"):
        call(conv, torch.randn(5, 3), EI, None, 5)
    # edge weights: wrong length, NaN, negative with normalize=True
    with pytest.raises(ValueError, match=r"shape \(3,\).*4 edges"):
        call(conv, x, EI, torch.rand(3), 5)
    with pytest.raises(ValueError, match="NaN"):
        call(conv, x, EI, torch.tensor([1.0, float("nan"), 1.0, 1.0]), 5)
    with pytest.raises(ValueError, match="negative"):
        call(conv, x, EI, torch.tensor([1.0, -1.0, 1.0, 1.0]), 5)
    # negative weights are fine without normalisation
    out = call(Conv(4, num_iterations=3, normalize=False), x, EI, torch.tensor([1.0, -1.0, 1.0, 1.0]), 5)
    assert torch.isfinite(out).all()
    # unsupported dtype: named
    with pytest.raises(TypeError, match="int64"):
        call(conv, x.long(), EI, None, 5)
    # unknown keyword and unknown solver: the valid ones listed
    with pytest.raises(TypeError, match="valid keywords:.*num_iterations"):
        Conv(4, num_iteration=3)
    with pytest.raises(ValueError, match="'anderson'.*'picard'"):
        Conv(4, solver="broyden")


def run_nan_features(Conv, call) -> None:
    x = torch.randn(5, 4)
    x[2, 1] = float("nan")
    with pytest.warns(ConvergenceWarning, match="diverged"):
        out, info = call(Conv(4, num_iterations=3), x, EI, None, 5, return_info=True)
    assert info.status == "diverged" and info.diverged
    with pytest.raises(ConvergenceError):
        call(Conv(4, num_iterations=3, on_divergence="raise"), x, EI, None, 5)
    x[2, 1] = float("inf")
    with pytest.warns(ConvergenceWarning):
        call(Conv(4, num_iterations=3), x, EI, None, 5)


def run_odd_graphs(Conv, call) -> None:
    conv = Conv(4, num_iterations=4, form="paper")
    x = torch.randn(6, 4)
    empty = torch.zeros(2, 0, dtype=torch.long)
    # no edges: every node only has its self-loop
    out = call(conv, x, empty, None, 6)
    assert out.shape == (6, 4) and torch.isfinite(out).all()
    # zero nodes
    out = call(conv, torch.randn(0, 4), empty, None, 0)
    assert out.shape == (0, 4)
    # isolated nodes, self-loops and duplicate edges already present: self-loops not counted twice
    ei = torch.tensor([[0, 0, 1, 1, 2], [1, 1, 1, 1, 2]])
    with_loops = call(conv, x, ei, None, 6)
    assert torch.isfinite(with_loops).all()
    from tests.helpers import dense_gcn_matrix, dense_pign

    A = dense_gcn_matrix(ei, None, 6)
    assert A[2, 2] == pytest.approx(1.0)  # node 2: its own loop only, weight 1, degree 1
    ref = dense_pign(x, A, conv.operator.weight, conv.operator.bias, iterations=4, smoothing=0.5)
    assert torch.allclose(with_loops, ref, atol=1e-5)


def run_dtypes(Conv, call) -> None:
    x = torch.randn(5, 4)
    for form in ("residual", "paper"):
        ref_conv = Conv(4, num_iterations=3, form=form)
        with torch.no_grad():
            ref_conv.operator.bias.uniform_(-0.5, 0.5)
        ref = call(ref_conv, x, EI, None, 5)
        for dtype, tol in ((torch.float64, 1e-5), (torch.float16, 5e-3), (torch.bfloat16, 3e-2)):
            conv = Conv(4, num_iterations=3, form=form)
            conv.load_state_dict(ref_conv.state_dict())
            conv = conv.to(dtype)
            out = call(conv, x.to(dtype), EI, None, 5)
            assert out.dtype == dtype
            assert torch.allclose(out.double(), ref.double(), atol=tol * 10, rtol=tol * 10), (form, dtype)


def run_expansive(Conv, call) -> None:
    x = torch.randn(5, 4)
    conv = Conv(4, num_iterations=40, act="identity", smoothing=0.0, form="paper")
    with torch.no_grad():
        conv.operator.weight.copy_(torch.eye(4) * 50)
    with warnings.catch_warnings(record=True) as rec:
        warnings.simplefilter("always")
        out, info = call(conv, x, EI, None, 5, return_info=True)
    assert info.status == "diverged"
    assert any(issubclass(w.category, ConvergenceWarning) for w in rec)
    conv.on_divergence = "raise"
    with pytest.raises(ConvergenceError, match="diverged"):
        call(conv, x, EI, None, 5)
    # a stall at max_iter with a tolerance is reported the same way
    stall = Conv(4, num_iterations=2, tol=1e-12, smoothing=0.9)
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        _, info = call(stall, x, EI, None, 5, return_info=True)
    assert info.status == "max_iter" and info.converged is False
    stall.on_nonconvergence = "raise"
    with pytest.raises(ConvergenceError, match="did not reach"):
        call(stall, x, EI, None, 5)


def run_determinism(Conv, call) -> None:
    x = torch.randn(30, 8)
    ei = torch.randint(0, 30, (2, 90))
    outs = []
    for _ in range(2):
        torch.manual_seed(123)
        conv = Conv(8, num_iterations=5, dropout=0.3)
        conv.train()
        outs.append(call(conv, x, ei, None, 30))
    assert torch.equal(outs[0], outs[1])
