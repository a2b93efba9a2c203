"""The models' shared parts: the pooling readout."""
import math

import pytest
import torch

from iterative_core.models import global_pool


@pytest.mark.parametrize("batch,num_graphs,error,message", [
    (torch.tensor([0, 0, 1, 2, 2]), 2, ValueError, r"batch holds the graph index 2 but num_graphs=2"),
    (torch.tensor([0, 0, 1, 1]), None, ValueError,
     r"batch must be a 1-D tensor with one entry per row of z \(5\), got shape \(4,\)"),
    (torch.tensor([0, -1, 1, 1, 1]), None, ValueError, r"batch holds the negative graph index -1"),
    (torch.tensor([0.0, 0, 1, 1, 1]), None, TypeError, r"batch must be an integer tensor \(the graph id of each row "
                                                       r"of z\), got torch.float32"),
    (torch.tensor([0, 0, 1, 1, 1]).bool(), None, TypeError, r"batch must be an integer tensor .* got torch.bool"),
    ([0, 0, 1, 1, 1], None, TypeError, r"batch must be a 1-D integer tensor \(the graph id of each row of z\), got "),
])
@pytest.mark.parametrize("how", ["mean", "sum", "max"])
def test_a_batch_vector_that_does_not_fit_is_named(batch, num_graphs, error, message, how):
    """They failed inside torch's index_add_ / scatter_reduce (a device-side assert on a GPU)."""
    with pytest.raises(error, match=rf"^global_pool: {message}"):
        global_pool(torch.randn(5, 3), batch, num_graphs, how)


def test_graphs_without_rows_read_as_zeros():
    z = torch.randn(3, 2)
    out = global_pool(z, torch.tensor([0, 0, 2]), 4, "mean")
    assert torch.equal(out[1], torch.zeros(2)) and torch.equal(out[3], torch.zeros(2))
    assert torch.allclose(out[0], z[:2].mean(0)) and torch.equal(out[2], z[2])
    assert global_pool(torch.zeros(0, 2), torch.zeros(0, dtype=torch.long), None).shape == (0, 2)


@pytest.mark.parametrize("dtype", [torch.int32, torch.int16, torch.int8, torch.uint8] + [
    getattr(torch, name) for name in ("uint16", "uint32", "uint64") if hasattr(torch, name)])
def test_a_batch_vector_of_another_integer_dtype_pools_as_int64(dtype):
    """A DGL graph of idtype int32 gives int32 graph ids; index_add_ takes them."""
    z, batch = torch.randn(5, 2), torch.tensor([0, 0, 1, 1, 1])
    for how in ("mean", "sum", "max"):
        assert torch.equal(global_pool(z, batch.to(dtype), 2, how), global_pool(z, batch, 2, how))


def test_a_float16_sum_that_overflows_is_named():
    """GraphPIGN(pool="sum") in float16 gave NaN logits without a word: the sum, finite in float32,
    became Inf when cast back to float16 (largest value 65504), and the decoder turned it into NaN."""
    import warnings

    z = torch.full((3000, 2), 30.0, dtype=torch.float16)  # a sum of 90000 per channel
    batch = torch.cat([torch.zeros(3000, dtype=torch.long), torch.ones(4, dtype=torch.long)])
    rows = torch.cat([z, torch.ones(4, 2, dtype=torch.float16)])
    with pytest.warns(UserWarning, match=r"^global_pool: the 'sum' readout of 1 of 2 graph\(s\) overflows torch.float16 "
                                         r"\(largest value 65504\) and reads as Inf; use pool='mean'"):
        out = global_pool(rows, batch, 2, "sum")
    assert torch.isinf(out[0]).all() and torch.equal(out[1], torch.full((2,), 4.0, dtype=torch.float16))
    with pytest.warns(UserWarning, match=r"the 'sum' readout of 1 of 1 graph\(s\) overflows"):
        global_pool(z, None, None, "sum")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for how in ("mean", "max"):
            assert torch.isfinite(global_pool(rows, batch, 2, how)).all()
        assert torch.isfinite(global_pool(z.bfloat16(), None, None, "sum")).all()
        global_pool(z.float(), None, None, "sum")
        global_pool(torch.full((2, 2), float("inf"), dtype=torch.float16), None, None, "sum")  # Inf in its rows already
        assert torch.isinf(global_pool(rows, batch, 2, "sum", validate=False)[0]).all()  # not checked: no read-back
        meta = global_pool(rows.to("meta"), batch.to("meta"), 2, "sum")  # shapes only: nothing to read back
        assert meta.shape == (2, 2) and meta.dtype == torch.float16


def test_a_max_readouts_gradient_splits_among_tied_rows_alone_as_in_a_batch():
    """A graph alone took its maximum with ``max``, which sends the gradient to one of the tied rows
    (ReLU zeros, symmetric nodes); in a batch ``scatter_reduce("amax")`` splits it among them. The
    outputs agreed and the parameters' gradients did not (by 25% in a GraphPIGN). A batch's maximum of 0
    (ReLU zeros) counted its start of zeros as one more tied row: 1/3 each for two tied rows."""
    z = torch.tensor([[1.0, 0.0, -1.0], [1.0, 2.0, 0.0], [0.5, 2.0, 0.0]], requires_grad=True)
    alone, = torch.autograd.grad(global_pool(z, None, how="max").sum(), z)
    other = torch.tensor([[3.0, -1.0, 0.0]], requires_grad=True)
    both = torch.cat([z, other])
    batched, = torch.autograd.grad(global_pool(both, torch.tensor([0, 0, 0, 2]), 3, "max")[0].sum(), z)
    torch.testing.assert_close(alone, torch.tensor([[0.5, 0.0, 0.0], [0.5, 0.5, 0.5], [0.0, 0.5, 0.5]]),
                               rtol=0, atol=0)
    torch.testing.assert_close(batched, alone, rtol=0, atol=0)
    # a graph without nodes (graph 1) reads as zeros, the others their maxima
    torch.testing.assert_close(global_pool(both, torch.tensor([0, 0, 0, 2]), 3, "max"),
                               torch.tensor([[1.0, 2.0, 0.0], [0.0, 0.0, 0.0], [3.0, -1.0, 0.0]]), rtol=0, atol=0)


def test_a_max_readout_of_minus_inf_splits_its_gradient_alone_as_in_a_batch():
    """A column whose rows all read -inf (features let through with validate=False) tied with the batched
    readout's start of -inf: 1/3 each for two rows, 1/2 alone."""
    z = torch.tensor([[-math.inf, 1.0], [-math.inf, 2.0]], requires_grad=True)
    alone, = torch.autograd.grad(global_pool(z, None, how="max").sum(), z)
    batched, = torch.autograd.grad(global_pool(z, torch.tensor([0, 0]), 2, "max")[0].sum(), z)
    torch.testing.assert_close(alone, torch.tensor([[0.5, 0.0], [0.5, 1.0]]), rtol=0, atol=0)
    torch.testing.assert_close(batched, alone, rtol=0, atol=0)
    assert torch.autograd.gradcheck(lambda t: global_pool(t, torch.tensor([0, 0, 1, 1]), 3, "max"),
                                    torch.randn(4, 3, dtype=torch.float64, requires_grad=True))
