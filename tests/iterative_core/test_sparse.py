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
