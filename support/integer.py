"""Integer-only inference (Jacob et al. 2018): a network run on 8-bit integers with integer
arithmetic alone, written out so that every step an int8 engine takes can be read.

A real value is ``r = s * (q - z)``: an 8-bit code ``q``, a float scale ``s`` and an integer
zero point ``z``. For a Linear layer ``y = W x + b`` with int8 weights (symmetric, one scale
per output row, zero point 0) and uint8 activations (one scale and zero point per tensor),

    q_y = z_y + M * (sum_j q_w[i, j] * (q_x[j] - z_x) + q_b[i]),   M = s_w[i] * s_x / s_y,

where the sum is accumulated in int32, the bias is stored as int32 at scale ``s_w * s_x``,
and the zero-point correction ``z_x * sum_j q_w[i, j]`` is a constant per row, computed once.
The only real number left, the multiplier ``M`` in (0, 1), is stored as a 31-bit integer
``M0`` and a right shift (:func:`fixed_point`), so that :func:`requantize` is an integer
multiply, a rounding shift, an add and a clamp, as in gemmlowp and TensorFlow Lite.

- :func:`fixed_point`, :func:`requantize`: the multiplier and the requantization.
- :class:`IntegerMLP` (from a trained :func:`support.models.mlp` and calibration data by
  :func:`integer_mlp`): the whole network on integers; ``codes(q_x)`` gives each layer's uint8
  codes, ``forward(x)`` quantizes a float batch once and returns float logits.
- :func:`engine_mlp`: the same quantized network (same codes, scales and zero points) as
  PyTorch's int8 engine runs it (``torch.ao.nn.quantized`` modules, fbgemm/x86 kernels), to
  check ours against.
"""
from __future__ import annotations

import math

import torch
from torch import nn

from . import checks
from .quantize import scale_zero_point

__all__ = ["fixed_point", "requantize", "IntegerMLP", "integer_mlp", "engine_mlp"]

_Q31 = 1 << 31


def fixed_point(multiplier: float) -> tuple[int, int]:
    """``(m0, shift)`` with ``multiplier == m0 / 2**31 / 2**shift`` up to rounding and ``m0``
    in [2**30, 2**31): a real multiplier > 0 as a Q31 integer and a right shift (in practice
    M = s_w * s_x / s_y lies in (0, 1); a multiplier of 1 or more gets a negative shift, a
    left shift). Raises ValueError for a multiplier that is not a finite number > 0.

    >>> fixed_point(0.75)
    (1610612736, 0)
    >>> fixed_point(0.1)
    (1717986918, 3)
    """
    multiplier = checks.number("multiplier", multiplier, above=0, below=2.0 ** 31)
    mantissa, exponent = math.frexp(multiplier)        # multiplier = mantissa * 2**exponent
    m0 = round(mantissa * _Q31)
    if m0 == _Q31:                                     # the mantissa rounded up to 1
        m0, exponent = m0 // 2, exponent + 1
    return m0, -exponent


def requantize(acc: torch.Tensor, m0: torch.Tensor, shift: torch.Tensor, zero_point: int,
               low: int = 0, high: int = 255) -> torch.Tensor:
    """``clamp(zero_point + acc * m0 / 2**31 / 2**shift, low, high)``, rounded, in integer
    arithmetic alone, as gemmlowp and TensorFlow Lite do it: the product ``acc * m0 / 2**31``
    rounded to an integer (half up: the rounding doubling high multiply), then divided by
    ``2**shift`` with rounding half away from zero (a negative shift shifts ``acc`` left
    first). Two roundings: the result can differ by one from rounding the exact product once.
    ``acc`` (B, C) int64 accumulators, ``m0`` and ``shift`` (C,) int64, one per output channel;
    returns (B, C) int64 codes."""
    acc = checks.tensor("acc", acc, ndim=2, integer=True)
    m0 = checks.tensor("m0", m0, ndim=1, integer=True)
    shift = checks.tensor("shift", shift, ndim=1, integer=True)
    for name, value in (("zero_point", zero_point), ("low", low), ("high", high)):
        checks.integer(name, value)
    if not len(m0) == len(shift) == acc.shape[1]:
        raise ValueError(f"m0 and shift must hold one value per column of acc "
                         f"({acc.shape[1]}), got {len(m0)} and {len(shift)}")
    if (m0 < 0).any() or (m0 >= _Q31).any() or (shift < -31).any() or (shift > 62).any():
        raise ValueError("m0 must lie in [0, 2**31) and shift in [-31, 62]")
    acc = acc << (-shift).clamp(min=0)        # a multiplier of 1 or more: shift left first
    shift = shift.clamp(min=0)
    product = acc * m0                        # both below 2**31: fits in int64
    nudge = torch.where(product >= 0, 1 << 30, 1 - (1 << 30))
    high_mul = torch.div(product + nudge, _Q31, rounding_mode="trunc")
    mask = (1 << shift) - 1
    remainder = high_mul & mask
    threshold = (mask >> 1) + (high_mul < 0).long()
    scaled = (high_mul >> shift) + (remainder > threshold).long()
    return (scaled + zero_point).clamp(low, high)


def _affine(low: float, high: float) -> tuple[float, int]:
    """(scale, zero point) of the uint8 grid over [min(low, 0), max(high, 0)]: 0 is exact
    (:func:`support.quantize.scale_zero_point`, 8 bits, asymmetric)."""
    scale, zero_point = scale_zero_point(low, high, 8)
    return scale.item(), int(zero_point)


class IntegerMLP(nn.Module):
    """A quantized MLP run on integers: each layer holds int8 weights ``q_w`` (C, K), their
    per-row scales, an int32 bias, its row sums for the zero-point correction, and the
    fixed-point multiplier of each row; ``scales``/``zeros`` are those of the input and of
    every layer's output (uint8, per tensor). Hidden layers end in ReLU, which the clamp at
    the output's zero point does for free."""

    def __init__(self, layers: list[dict], scales: list[float], zeros: list[int]):
        super().__init__()
        self.layers, self.scales, self.zeros = layers, scales, zeros

    def quantize_input(self, x: torch.Tensor) -> torch.Tensor:
        """The uint8 codes (B, K) of a float batch (B, ...): the one float step, at the edge."""
        x = checks.tensor("x", x, floating=True, nonempty=True)
        codes = torch.round(x.flatten(1) / self.scales[0]) + self.zeros[0]
        return codes.clamp(0, 255).long()

    def codes(self, q_x: torch.Tensor) -> list[torch.Tensor]:
        """Each layer's output codes (B, C) for input codes ``q_x`` (B, K), integers only."""
        q_x = checks.tensor("q_x", q_x, ndim=2, integer=True)
        outputs = []
        for layer, z_x, z_y in zip(self.layers, self.zeros, self.zeros[1:]):
            acc = q_x @ layer["q_w"].T - z_x * layer["row_sums"] + layer["q_b"]   # int32 range
            low = z_y if layer["relu"] else 0                 # ReLU: nothing below real 0
            q_x = requantize(acc, layer["m0"], layer["shift"], z_y, low, 255)
            outputs.append(q_x)
        return outputs

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Float logits (B, classes) of a float batch, computed on integers in between."""
        last = self.codes(self.quantize_input(x))[-1]
        return (last - self.zeros[-1]).float() * self.scales[-1]


def integer_mlp(model: nn.Module, calibration: torch.Tensor) -> IntegerMLP:
    """Static quantization of a trained MLP (Flatten, then Linear layers with ReLU between):
    weights int8, symmetric, one scale per output row; activations uint8 with one scale and
    zero point per tensor, from the minimum and maximum each takes on ``calibration`` (a float
    batch, B >= 1). Returns the :class:`IntegerMLP`."""
    checks.module("model", model, finite=True)
    calibration = checks.tensor("calibration", calibration, floating=True, nonempty=True)
    linears = [m for m in model.modules() if isinstance(m, nn.Linear)]
    if not linears:
        raise ValueError("expected an MLP: the model has no Linear layer")
    x = calibration.flatten(1).float()
    scales, zeros = zip(*[_affine(x.min().item(), x.max().item())])
    scales, zeros, layers = list(scales), list(zeros), []
    with torch.no_grad():
        for i, linear in enumerate(linears):
            relu = i < len(linears) - 1
            x = linear(x).relu() if relu else linear(x)
            s_y, z_y = _affine(x.min().item(), x.max().item())
            w = linear.weight.detach().double()
            s_w = scale_zero_point(w.amin(1), w.amax(1), 8, symmetric=True)[0].double()
            q_w = torch.round(w / s_w[:, None]).clamp(-127, 127).long()
            s_b = s_w * scales[-1]                            # the accumulator's scale
            q_b = torch.round(linear.bias.detach().double() / s_b).long()
            fixed = [fixed_point((s * scales[-1] / s_y)) for s in s_w.tolist()]
            layers.append({"q_w": q_w, "s_w": s_w, "q_b": q_b, "row_sums": q_w.sum(1),
                           "m0": torch.tensor([m for m, _ in fixed]),
                           "shift": torch.tensor([s for _, s in fixed]), "relu": relu})
            scales.append(s_y)
            zeros.append(z_y)
    return IntegerMLP(layers, scales, zeros)


def engine_mlp(net: IntegerMLP) -> list[nn.Module]:
    """The layers of ``net`` as PyTorch's int8 engine runs them: ``torch.ao.nn.quantized``
    Linear (LinearReLU for hidden layers) modules with the same int8 weights, per-row scales,
    bias and output scale and zero point. Each takes and returns a quantized tensor
    (``torch.quantize_per_tensor(x, scale, zero_point, torch.quint8)``)."""
    import warnings

    checks.module("net", net, IntegerMLP)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from torch.ao.nn.intrinsic.quantized import LinearReLU
        from torch.ao.nn.quantized import Linear

        modules = []
        for layer, s_x, s_y, z_y in zip(net.layers, net.scales, net.scales[1:], net.zeros[1:]):
            out_features, in_features = layer["q_w"].shape
            module = (LinearReLU if layer["relu"] else Linear)(in_features, out_features)
            q_w = torch._make_per_channel_quantized_tensor(
                layer["q_w"].to(torch.int8), layer["s_w"], torch.zeros(out_features,
                                                                      dtype=torch.long), 0)
            module.set_weight_bias(q_w, (layer["q_b"].double() * layer["s_w"] * s_x).float())
            module.scale, module.zero_point = s_y, z_y
            modules.append(module)
    return modules
