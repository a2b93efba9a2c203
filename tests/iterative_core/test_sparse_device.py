"""The CPU cache blocking of ``iterative_core.sparse`` (source segments) never applies on a GPU: the
decision is checked here without one, on stand-ins for CUDA tensors."""
from __future__ import annotations

from types import SimpleNamespace

import pytest
import torch

import iterative_core.sparse as sp


def _cuda_like(rows: int, cols: int, element_size: int = 4):
    """What num_segments reads of a tensor (device, dim, shape, element size), on 'cuda'."""
    return SimpleNamespace(device=torch.device("cuda", 0), shape=torch.Size([rows, cols]), dim=lambda: 2,
                           element_size=lambda: element_size)


@pytest.fixture
def small_segments(monkeypatch):
    """A segment size that splits a [100, 10] float32 operand (4000 bytes) in 4 on the CPU."""
    monkeypatch.setattr(sp, "SEGMENT_BYTES", 1000)


def test_the_same_operand_is_blocked_on_cpu_but_not_on_cuda(small_segments):
    assert sp.num_segments(torch.zeros(100, 10), nnz=10_000) == 4
    assert sp.num_segments(_cuda_like(100, 10), nnz=10_000) == 1
    assert sp.num_segments(torch.empty(100, 10, device="meta"), nnz=10_000) == 1  # nor on any other device


@pytest.mark.parametrize("rows,cols,element_size", [(100, 10, 4), (100_000, 64, 4), (2_000_000, 64, 4),
                                                    (100_000, 64, 8), (100_000, 64, 2)])
def test_cuda_operands_of_any_size_take_one_product(monkeypatch, rows, cols, element_size):
    """Whatever the segment size and the operand's size (in, around and beyond the window where the
    CPU blocks), a CUDA operand is one product; the CPU cache size is not even read."""
    def no_sysfs():
        raise AssertionError("the CPU's cache size was read for a CUDA operand")

    monkeypatch.setattr(sp, "_last_level_cache_bytes", no_sysfs)
    for size in (None, 1, rows * cols * element_size // 3, 10**12):
        monkeypatch.setattr(sp, "SEGMENT_BYTES", size)
        assert sp.num_segments(_cuda_like(rows, cols, element_size), nnz=rows * 50) == 1
        assert sp.num_segments(_cuda_like(rows, cols, element_size)) == 1


def test_a_pair_with_a_cuda_operand_never_builds_segments(small_segments, monkeypatch):
    """CSRPair.product asks num_segments with the dense operand: for a CUDA operand it takes the one
    fused product and builds no blocks (checked with the product itself replaced, no GPU needed)."""
    n = 100
    src, dst = torch.randint(0, n, (2000,)), torch.randint(0, n, (2000,))
    pair = sp.csr_pair(src, dst, torch.rand(2000), n)
    called = []
    monkeypatch.setattr(sp, "_product", lambda A, h, add, scale: called.append(A) or "product")
    monkeypatch.setattr(sp, "_segments", lambda A, parts: pytest.fail("blocks built for a CUDA operand"))
    assert pair.product(_cuda_like(n, 10)) == "product"
    assert called == [pair.A] and pair._segments == {}
    # the same operand on the CPU is blocked
    monkeypatch.undo()
    monkeypatch.setattr(sp, "SEGMENT_BYTES", 1000)
    h = torch.randn(n, 10)
    assert torch.allclose(pair.product(h), pair.A.to_dense() @ h, atol=1e-5)
    assert set(pair._segments) == {(False, 4)}


@pytest.mark.skipif(not torch.cuda.is_available(), reason="no GPU")
def test_on_a_real_gpu_the_product_is_one_kernel(small_segments):
    n = 100
    src, dst = torch.randint(0, n, (2000,), device="cuda"), torch.randint(0, n, (2000,), device="cuda")
    pair = sp.csr_pair(src, dst, torch.rand(2000, device="cuda"), n)
    h = torch.randn(n, 10, device="cuda")
    assert sp.num_segments(h, pair.A._nnz()) == 1
    assert torch.allclose(sp.spmm_csr(pair, h), pair.A.to_dense() @ h, atol=1e-5)
    assert pair._segments == {}
