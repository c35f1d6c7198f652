"""Integer-only inference (support.integer): the fixed-point multiplier, the requantization,
and a quantized MLP run on integers that agrees with PyTorch's int8 engine."""
import math

import pytest
import torch

from support import integer, models


@pytest.mark.parametrize("m", [0.75, 0.1, 1e-3, 0.5, 0.999999, 2 ** -20, 0.3183098861837907,
                               1.0, 3.5])
def test_fixed_point_holds_the_multiplier(m):
    m0, shift = integer.fixed_point(m)
    assert 2 ** 30 <= m0 < 2 ** 31 and (shift >= 0) == (m < 1)
    assert math.isclose(m0 / 2 ** 31 / 2 ** shift, m, rel_tol=2 ** -30)


@pytest.mark.parametrize("bad", [0, -0.1, float("nan"), float("inf")])
def test_fixed_point_refuses_what_is_not_a_positive_number(bad):
    with pytest.raises(ValueError, match="finite number"):
        integer.fixed_point(bad)


def _gemmlowp(acc: int, m0: int, shift: int) -> int:
    """The two roundings of gemmlowp, on Python's exact integers."""
    if shift < 0:
        acc, shift = acc * 2 ** -shift, 0
    high = (acc * m0 + 2 ** 30) // 2 ** 31                      # half up
    down = (abs(high) + 2 ** (shift - 1)) // 2 ** shift if shift else abs(high)
    return down if high >= 0 else -down                         # half away from zero


def test_requantize_is_gemmlowps_integer_rounding():
    g = torch.Generator().manual_seed(0)
    acc = torch.randint(-2 ** 24, 2 ** 24, (1000, 3), generator=g)
    fixed = [integer.fixed_point(m) for m in (0.3, 1e-4, 2.5)]
    m0, shift = torch.tensor([f[0] for f in fixed]), torch.tensor([f[1] for f in fixed])
    got = integer.requantize(acc, m0, shift, zero_point=5, low=-10 ** 9, high=10 ** 9)
    want = torch.tensor([[_gemmlowp(a, *f) + 5 for a, f in zip(row, fixed)]
                         for row in acc.tolist()])
    assert torch.equal(got, want)
    once = [[round(a * f[0] / 2 ** 31 / 2 ** f[1]) + 5 for a, f in zip(row, fixed)]
            for row in acc.tolist()]
    assert (got - torch.tensor(once)).abs().max() <= 1            # one rounding, or two
    assert integer.requantize(acc, m0, shift, 5).min() >= 0        # clamped to uint8
    assert integer.requantize(acc, m0, shift, 5).max() <= 255


def test_an_integer_mlp_agrees_with_the_int8_engine():
    torch.manual_seed(0)
    model = models.mlp(hidden=(16, 8), seed=0).eval()
    x = torch.rand(64, 1, 8, 8)
    net = integer.integer_mlp(model, x)
    q_x = net.quantize_input(x)
    for layer, engine, codes in zip(range(3), integer.engine_mlp(net), net.codes(q_x)):
        given = torch._make_per_tensor_quantized_tensor(q_x.to(torch.uint8), net.scales[layer],
                                                        net.zeros[layer])
        theirs = engine(given).int_repr().long()
        assert (theirs - codes).abs().max() <= 1            # the roundings may differ by one
        assert (theirs == codes).float().mean() > 0.95
        q_x = codes
    assert (net(x).argmax(1) == model(x).argmax(1)).float().mean() > 0.9
    with pytest.raises(ValueError, match="Linear"):
        integer.integer_mlp(torch.nn.Sequential(torch.nn.ReLU()), x)
