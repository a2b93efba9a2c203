import torch

from iterative_core.sparse import csr_pair, spmm_csr


def _dense(src, dst, w, n):
    D = torch.zeros(n, n, dtype=w.dtype)
    D.index_put_((dst, src), w, accumulate=True)
    return D


def test_csr_pair_matches_dense_with_duplicates_and_isolated_nodes():
    g = torch.Generator().manual_seed(0)
    n = 40
    src = torch.randint(0, 30, (200,), generator=g)  # nodes 30..39 isolated
    dst = torch.randint(0, 30, (200,), generator=g)
    src, dst = torch.cat([src, src[:10]]), torch.cat([dst, dst[:10]])  # duplicate edges
    w = torch.rand(src.numel(), generator=g, dtype=torch.float64)
    pair = csr_pair(src, dst, w, n)
    h = torch.randn(n, 5, generator=g, dtype=torch.float64)
    D = _dense(src, dst, w, n)
    assert torch.allclose(spmm_csr(pair, h), D @ h)
    assert torch.allclose(pair.At.to_dense(), D.t())


def test_spmm_gradient_matches_finite_differences():
    g = torch.Generator().manual_seed(1)
    n = 12
    src, dst = torch.randint(0, n, (40,), generator=g), torch.randint(0, n, (40,), generator=g)
    pair = csr_pair(src, dst, torch.rand(40, generator=g, dtype=torch.float64), n)
    h = torch.randn(n, 3, generator=g, dtype=torch.float64, requires_grad=True)
    assert torch.autograd.gradcheck(lambda t: spmm_csr(pair, t), (h,))


def test_transpose_is_built_once_and_reused():
    n = 20
    src, dst = torch.randint(0, n, (60,)), torch.randint(0, n, (60,))
    pair = csr_pair(src, dst, torch.rand(60), n)
    assert pair._At is None
    h = torch.randn(n, 4, requires_grad=True)
    z = h
    for _ in range(5):
        z = spmm_csr(pair, z)
    z.sum().backward()
    first = pair._At
    assert first is not None
    spmm_csr(pair, h).sum().backward()
    assert pair._At is first


def test_fused_product_with_addend_and_scale_matches_dense_and_finite_differences():
    g = torch.Generator().manual_seed(2)
    n = 12
    src, dst = torch.randint(0, n, (40,), generator=g), torch.randint(0, n, (40,), generator=g)
    w = torch.rand(40, generator=g, dtype=torch.float64)
    pair, D = csr_pair(src, dst, w, n), _dense(src, dst, w, n)
    h = torch.randn(n, 3, generator=g, dtype=torch.float64, requires_grad=True)
    for add in (torch.randn(3, generator=g, dtype=torch.float64, requires_grad=True),  # a bias
                torch.randn(n, 3, generator=g, dtype=torch.float64, requires_grad=True)):  # an addend per node
        assert torch.allclose(spmm_csr(pair, h, add, 0.7), 0.7 * D @ h + add)
        with torch.no_grad():
            assert torch.allclose(spmm_csr(pair, h, add, 0.7), 0.7 * D @ h + add)
        assert torch.autograd.gradcheck(lambda t, a: spmm_csr(pair, t, a, 0.7), (h, add))
    assert torch.allclose(spmm_csr(pair, h, None, 0.5), 0.5 * D @ h)


def test_source_segments_match_dense_and_finite_differences(monkeypatch):
    """With a segment size below the operand's size the product runs in column blocks of A (and of
    A.T in the backward): same values, same gradients, the blocks built once per pair."""
    import iterative_core.sparse as sp

    g = torch.Generator().manual_seed(3)
    n = 30
    src, dst = torch.randint(0, n, (300,), generator=g), torch.randint(0, 25, (300,), generator=g)
    w = torch.rand(300, generator=g, dtype=torch.float64)
    pair, D = csr_pair(src, dst, w, n), _dense(src, dst, w, n)
    h = torch.randn(n, 4, generator=g, dtype=torch.float64, requires_grad=True)
    monkeypatch.setattr(sp, "SEGMENT_BYTES", n * 4 * 8 // 3)  # three segments of h's rows
    assert sp.num_segments(h) == 3
    for add, scale in ((None, 1.0), (None, 0.5), (torch.randn(4, dtype=torch.float64), 0.7),
                       (torch.randn(n, 4, dtype=torch.float64, requires_grad=True), 0.9)):
        ref = scale * D @ h + (0 if add is None else add)
        assert torch.allclose(spmm_csr(pair, h, add, scale), ref)
        with torch.no_grad():
            assert torch.allclose(spmm_csr(pair, h, add, scale), ref)
    assert set(pair._segments) == {(False, 3)}
    assert torch.autograd.gradcheck(lambda t: spmm_csr(pair, t, None, 0.7), (h,))
    assert (True, 3) in pair._segments
    # a non-contiguous operand is made contiguous first
    ht = torch.randn(4, n, dtype=torch.float64).t()
    assert torch.allclose(spmm_csr(pair, ht), D @ ht)


def test_segment_count_rules(monkeypatch):
    import iterative_core.sparse as sp

    h = torch.zeros(100, 10)  # 4000 bytes
    monkeypatch.setattr(sp, "SEGMENT_BYTES", 1000)
    assert sp.num_segments(h) == 4
    assert sp.num_segments(h, nnz=800) == 4 and sp.num_segments(h, nnz=700) == 1  # >= 2 entries per row per segment
    monkeypatch.setattr(sp, "SEGMENT_BYTES", 900)  # 5 segments: more output passes than pay, so one product
    assert sp.num_segments(h) == 1
    monkeypatch.setattr(sp, "SEGMENT_BYTES", 0)
    assert sp.num_segments(h) == 1
    monkeypatch.setattr(sp, "SEGMENT_BYTES", None)
    assert sp._last_level_cache_bytes() >= 1 << 20
    assert sp.num_segments(h) == 1  # far below any last-level cache


def test_a_handed_over_addend_is_accumulated_into_without_a_gradient(monkeypatch):
    """``add_owned=True``: with no gradient recorded the product accumulates into ``add`` (the same
    tensor comes back), unsegmented and in column blocks; with a gradient, or an addend that
    broadcasts, a new tensor as before. The values are the same either way."""
    import iterative_core.sparse as sp

    g = torch.Generator().manual_seed(5)
    n = 30
    src, dst = torch.randint(0, n, (300,), generator=g), torch.randint(0, n, (300,), generator=g)
    w = torch.rand(300, generator=g, dtype=torch.float64)
    pair, D = csr_pair(src, dst, w, n), _dense(src, dst, w, n)
    h = torch.randn(n, 4, generator=g, dtype=torch.float64)
    for segment_bytes in (0, n * 4 * 8 // 3):  # one product; three blocks
        monkeypatch.setattr(sp, "SEGMENT_BYTES", segment_bytes)
        add = torch.randn(n, 4, generator=g, dtype=torch.float64)
        ref = 0.6 * D @ h + add
        out = spmm_csr(pair, h, add.clone(), 0.6)  # not handed over: the addend is left alone
        assert torch.allclose(out, ref)
        mine = add.clone()
        out = spmm_csr(pair, h, mine, 0.6, add_owned=True)
        assert out is mine and torch.allclose(out, ref)
        bias = torch.randn(4, generator=g, dtype=torch.float64)
        out = spmm_csr(pair, h, bias, 0.6, add_owned=True)  # broadcast: cannot hold the output
        assert out.shape == (n, 4) and torch.allclose(out, 0.6 * D @ h + bias)
        hg = h.clone().requires_grad_()
        out = spmm_csr(pair, hg, mine.clone(), 0.6, add_owned=True)
        assert out.grad_fn is not None and torch.allclose(out, 0.6 * D @ h + mine)
