"""support.factorize and the separable modules of support.models."""
from fractions import Fraction

import pytest
import torch
from torch import nn

from support import factorize, models
from support.measure import count_parameters, macs


def _layer(out_features=30, in_features=20, bias=True, seed=0):
    torch.manual_seed(seed)
    return nn.Linear(in_features, out_features, bias=bias)


@pytest.mark.parametrize("rank", [1, 3, 10, 20])
def test_eckart_young_errors_are_the_discarded_singular_values(rank):
    layer = _layer()
    s = factorize.singular_values(layer)
    error = layer.weight.detach() - factorize.low_rank(layer, rank)
    frobenius, spectral = factorize.truncation_error(s, rank)
    assert torch.linalg.matrix_norm(error).item() == pytest.approx(frobenius, abs=1e-5)
    assert torch.linalg.matrix_norm(error, ord=2).item() == pytest.approx(spectral, abs=1e-5)
    assert frobenius == pytest.approx(s[rank:].square().sum().sqrt().item(), rel=1e-6)
    assert torch.linalg.matrix_rank(factorize.low_rank(layer, rank)) == rank


def test_truncated_svd_beats_other_rank_k_approximations():
    layer = _layer()
    w = layer.weight.detach()
    best = torch.linalg.matrix_norm(w - factorize.low_rank(layer, 5))
    generator = torch.Generator().manual_seed(1)
    for _ in range(20):
        q, _ = torch.linalg.qr(torch.randn(20, 5, generator=generator))
        assert torch.linalg.matrix_norm(w - w @ q @ q.T) > best  # best in a random subspace
    keep = w.norm(dim=0).argsort(descending=True)[:5]           # keep the 5 largest inputs
    pruned = torch.zeros_like(w)
    pruned[:, keep] = w[:, keep]
    assert torch.linalg.matrix_norm(w - pruned) > best


@pytest.mark.parametrize("bias", [True, False])
def test_svd_factorize_pair(bias):
    layer = _layer(bias=bias)
    before = layer.weight.detach().clone()
    pair = factorize.svd_factorize(layer, 4)
    first, second = pair
    assert (first.in_features, first.out_features, first.bias) == (20, 4, None)
    assert (second.in_features, second.out_features) == (4, 30)
    assert (second.bias is None) == (not bias)
    assert count_parameters(pair) == 4 * (20 + 30) + (30 if bias else 0)
    assert torch.allclose(second.weight @ first.weight, factorize.low_rank(layer, 4), atol=1e-5)
    assert torch.equal(layer.weight, before), "the layer is not changed"
    x = torch.randn(7, 20)
    expected = x @ factorize.low_rank(layer, 4).T + (layer.bias if bias else 0)
    assert torch.allclose(pair(x), expected, atol=1e-5)
    full = factorize.svd_factorize(layer, 20)
    assert torch.allclose(full(x), layer(x), atol=1e-5), "full rank is exact"
    # the singular values are split evenly between the two factors
    assert torch.allclose(first.weight.norm(dim=1), second.weight.norm(dim=0), atol=1e-5)


@pytest.mark.parametrize("rank", [0, -1, 21, 2.0, True, None])
def test_bad_rank(rank):
    with pytest.raises(ValueError, match=r"\[1, 20\]"):
        factorize.svd_factorize(_layer(), rank)
    with pytest.raises(ValueError):
        factorize.low_rank(_layer(), rank)


def test_svd_factorize_wants_a_linear():
    with pytest.raises(TypeError):
        factorize.svd_factorize(nn.Conv2d(2, 2, 3), 1)


def test_factorize_sequential_keeps_indices_and_the_rest():
    model = models.mlp(hidden=(32, 16), seed=0)
    small = factorize.factorize_sequential(model, {1: 4, 3: 16})
    assert isinstance(small[1], nn.Sequential) and small[1][0].out_features == 4
    x = torch.randn(5, 1, 8, 8)
    assert torch.allclose(factorize.factorize_sequential(model, {3: 16})(x), model(x), atol=1e-5)
    assert isinstance(model[1], nn.Linear), "the model is not changed"
    for bad in ({2: 4}, {9: 4}, {1: 65}):
        with pytest.raises(ValueError):
            factorize.factorize_sequential(model, bad)


def test_energy_rank():
    s = torch.tensor([3.0, 2.0, 1.0, 1.0, 1.0])          # squares 9, 4, 1, 1, 1 of 16
    assert factorize.energy_rank(s, 9 / 16) == 1
    assert factorize.energy_rank(s, 0.57) == 2
    assert factorize.energy_rank(s, 0.9) == 4
    assert factorize.energy_rank(s, 1.0) == 5
    for bad in (0, 1.5, -0.2, "0.9", True):
        with pytest.raises(ValueError, match=r"\(0, 1\]"):
            factorize.energy_rank(s, bad)


def test_rank_budget_and_break_even():
    assert factorize.rank_for_budget(64, 300, 19200 // 3) == 17     # 17 * 364 <= 6400
    assert factorize.rank_for_budget(4, 4, 1000) == 4, "at most min(M, N)"
    with pytest.raises(ValueError, match="rank-1"):
        factorize.rank_for_budget(64, 300, 363)
    # K (M + N) < M N: 300 x 100 breaks even exactly at 75, so 74 is the last that saves
    assert factorize.break_even_rank(300, 100) == 74
    assert factorize.break_even_rank(64, 300) == 52
    assert factorize.break_even_rank(4, 4) == 1
    assert factorize.break_even_rank(1, 10) == 0, "a rank-1 pair is never smaller than 1 x N"
    for m in range(1, 30):
        for n in range(1, 30):
            k = factorize.break_even_rank(n, m)
            assert k * (m + n) < m * n or k == 0
            assert (k + 1) * (m + n) >= m * n
    with pytest.raises(ValueError):
        factorize.break_even_rank(0, 10)


def test_lecture_example_26_against_72():
    standard = nn.Conv2d(2, 4, 3, bias=False)
    block = models.DepthwiseSeparableConv2d(2, 4, 3, bias=False)
    assert count_parameters(standard) == factorize.conv_parameters(2, 4, 3, bias=False) == 72
    assert count_parameters(block.depthwise) == 18 and count_parameters(block.pointwise) == 8
    assert count_parameters(block) == factorize.separable_parameters(2, 4, 3, bias=False) == 26
    assert factorize.separable_parameters(2, 4, 3) == 30 and factorize.conv_parameters(2, 4, 3) == 76


@pytest.mark.parametrize("i, o, k, stride", [(2, 4, 3, 1), (8, 16, 3, 2), (16, 5, 5, 1),
                                             (3, 32, 1, 1), (32, 64, 7, 2)])
def test_separable_ratio_is_exact_in_parameters_and_macs(i, o, k, stride):
    standard = nn.Conv2d(i, o, k, stride=stride, padding=k // 2, bias=False)
    block = models.DepthwiseSeparableConv2d(i, o, k, stride=stride, padding=k // 2, bias=False)
    x = torch.randn(2, i, 11, 11)
    assert block(x).shape == standard(x).shape
    ratio = factorize.separable_ratio(o, k)
    assert ratio == Fraction(1, o) + Fraction(1, k * k)
    assert Fraction(count_parameters(block), count_parameters(standard)) == ratio
    assert Fraction(macs(block, x), macs(standard, x)) == ratio


def test_conv_parameters_match_pytorch_and_refuse_bad_groups():
    for i, o, k, g, bias in [(4, 8, 3, 1, True), (4, 8, (3, 5), 2, False), (6, 6, 3, 6, True)]:
        conv = nn.Conv2d(i, o, k, groups=g, bias=bias)
        assert factorize.conv_parameters(i, o, k, groups=g, bias=bias) == count_parameters(conv)
    with pytest.raises(ValueError, match="groups"):
        factorize.conv_parameters(6, 8, 3, groups=4)
    for bad in (0, -1, (3, 0), 2.5, "3"):
        with pytest.raises(ValueError, match="kernel_size"):
            factorize.conv_parameters(2, 4, bad)


def test_separable_block_is_a_factorised_convolution():
    torch.manual_seed(0)
    block = models.DepthwiseSeparableConv2d(5, 7, 3, stride=2, padding=1)
    merged = factorize.merge_separable(block)
    x = torch.randn(3, 5, 9, 9)
    assert torch.allclose(merged(x), block(x), atol=1e-5)
    for i in range(5):    # each input channel's O x k*k slice is an outer product: rank 1
        assert torch.linalg.matrix_rank(merged.weight[:, i].flatten(1)) == 1
    with pytest.raises(ValueError, match="nothing in between"):
        factorize.merge_separable(models.DepthwiseSeparableConv2d(5, 7, 3, activation=nn.ReLU()))
    block.depthwise = nn.Conv2d(5, 5, 3)
    with pytest.raises(ValueError, match="depthwise"):
        factorize.merge_separable(block)


@pytest.mark.parametrize("kwargs", [dict(kernel_size=0), dict(in_channels=0), dict(stride=0),
                                    dict(padding=-1), dict(out_channels=2.0)])
def test_bad_separable_block(kwargs):
    with pytest.raises(ValueError):
        models.DepthwiseSeparableConv2d(**(dict(in_channels=2, out_channels=4, kernel_size=3) | kwargs))


def test_separable_cnn_is_far_smaller_than_the_cnn():
    x = torch.zeros(1, 1, 8, 8)
    standard, separable = models.cnn(seed=0), models.separable_cnn(seed=0)
    assert separable(torch.zeros(4, 1, 8, 8)).shape == (4, 10)
    assert count_parameters(standard) > 5 * count_parameters(separable)
    assert macs(standard, x) > 5 * macs(separable, x)
    plain = models.separable_cnn(seed=0, inner_relu=False)
    assert count_parameters(plain) == count_parameters(separable)
    with pytest.raises(ValueError):
        models.separable_cnn(channels=(8,))
