"""Factorised layers: one layer written as a product of two smaller ones.

- **Low rank** (Linear). A Linear whose weight W is M x N (``out_features`` x
  ``in_features``) becomes ``Linear(N, K, bias=False)`` then ``Linear(K, M)``, with no
  activation in between: K * (M + N) weights instead of M * N, fewer as long as
  K < M * N / (M + N). The truncated SVD gives the best such pair: by the Eckart-Young
  theorem, no matrix of rank K is closer to W, and the distance is set by the singular
  values left out (:func:`truncation_error`).
- **Depthwise separable** (Conv2d). A k x k convolution with I inputs and O outputs
  (k * k * I * O weights) becomes a depthwise k x k convolution, one filter per input
  channel (``groups=I``, k * k * I weights), then a pointwise 1 x 1 convolution that mixes
  the channels (I * O weights): a fraction 1/O + 1/k^2 of the weights and of the MACs.
  :func:`merge_separable` shows it is a factorised standard convolution.

Weight counts leave out biases: the factorised pair keeps the layer's bias on its second
half, so both sides hold the same biases. The modules live in :mod:`support.models`.
"""
from __future__ import annotations

import copy
from fractions import Fraction

import torch
from torch import nn

from . import checks

__all__ = ["check_rank", "singular_values", "low_rank", "truncation_error", "svd_factorize",
           "factorize_sequential", "energy_rank", "rank_for_budget", "break_even_rank",
           "conv_parameters", "separable_parameters", "separable_ratio", "merge_separable"]


def _positive_int(value, what: str) -> int:
    return checks.integer(what, value, low=1)


def _matrix(weight) -> torch.Tensor:
    """The (M, N) weight of a Linear, or a 2-D tensor as it is (finite, floating-point)."""
    if isinstance(weight, nn.Linear):
        weight = weight.weight
    elif not isinstance(weight, torch.Tensor):
        raise checks.WrongType("weight must be an nn.Linear or a 2-D weight tensor (out, in), "
                               f"got {checks.describe(weight)}")
    return checks.tensor("weight (out, in)", weight, ndim=2, floating=True).detach()


def _spectrum(singular_values) -> torch.Tensor:
    """Singular values as a flat float64 tensor, or an error unless they are finite and >= 0."""
    s = checks.tensor("singular_values", singular_values, convert=True).flatten()
    if s.dtype == torch.bool or (s.numel() and s.min() < 0):
        raise ValueError(f"singular_values must be numbers >= 0, got {s.tolist()}")
    return s


def check_rank(rank, shape) -> int:
    """``rank`` as an int, or a ValueError unless it is an integer in [1, min(M, N)] for a
    weight of shape ``(M, N)``."""
    shape = checks.sequence("shape", shape)
    if len(shape) != 2:
        raise ValueError(f"shape must be a weight's (M, N), got {shape!r}")
    m, n = (checks.integer("shape[0]", shape[0], low=0), checks.integer("shape[1]", shape[1], low=0))
    return checks.integer(f"rank (for a {m}x{n} weight)", rank, 1, min(m, n))


def singular_values(weight) -> torch.Tensor:
    """The singular values (min(M, N),) of a Linear's weight or a 2-D tensor, largest first."""
    return torch.linalg.svdvals(_matrix(weight))


def low_rank(weight, rank: int) -> torch.Tensor:
    """The best rank-``rank`` approximation of a weight (M, N), the truncated SVD
    U_K diag(S_K) Vh_K, as an (M, N) tensor."""
    w = _matrix(weight)
    rank = check_rank(rank, tuple(w.shape))
    u, s, vh = torch.linalg.svd(w, full_matrices=False)
    return (u[:, :rank] * s[:rank]) @ vh[:rank]


def truncation_error(singular_values: torch.Tensor, rank: int) -> tuple[float, float]:
    """(Frobenius, spectral) norm of W minus its best rank-``rank`` approximation, from W's
    singular values (largest first), as Eckart-Young states them: the root of the sum of the
    squares of the values left out, and the largest value left out (0 at full rank)."""
    s = _spectrum(singular_values)
    if not (s[1:] <= s[:-1]).all():
        raise ValueError(f"singular_values must be in descending order (largest first), got "
                         f"{s.tolist()}")
    rank = check_rank(rank, (s.numel(), s.numel()))
    rest = s[rank:].double()
    return float(rest.square().sum().sqrt()), float(rest.max()) if rest.numel() else 0.0


def svd_factorize(layer: nn.Linear, rank: int) -> nn.Sequential:
    """A pair ``Sequential(Linear(N, K, bias=False), Linear(K, M))`` whose product is the
    best rank-K approximation of ``layer``'s weight (M, N); ``layer``'s bias (if any) goes to
    the second Linear. Each factor takes the square root of the singular values, so the two
    start on the same scale for fine-tuning. ``layer`` is not changed. Raises ValueError for
    a rank outside [1, min(M, N)]."""
    w = _matrix(checks.module("layer", layer, nn.Linear))
    rank = check_rank(rank, tuple(w.shape))
    u, s, vh = torch.linalg.svd(w, full_matrices=False)
    root = s[:rank].sqrt()
    first = nn.Linear(layer.in_features, rank, bias=False)
    second = nn.Linear(rank, layer.out_features, bias=layer.bias is not None)
    with torch.no_grad():
        first.weight.copy_(root[:, None] * vh[:rank])
        second.weight.copy_(u[:, :rank] * root)
        if layer.bias is not None:
            second.bias.copy_(layer.bias)
    return nn.Sequential(first, second).to(device=layer.weight.device, dtype=layer.weight.dtype)


def factorize_sequential(model: nn.Sequential, ranks: dict[int, int]) -> nn.Sequential:
    """A copy of ``model`` in which each Linear at index ``i`` of ``ranks`` is replaced by
    :func:`svd_factorize` at rank ``ranks[i]`` (a nested pair, so indices stay the same)."""
    layers = copy.deepcopy(checks.module("model", model, nn.Sequential))
    for index, rank in checks.mapping("ranks ({layer index: rank})", ranks).items():
        checks.integer("a layer index", index)
        if not 0 <= index < len(layers) or not isinstance(layers[index], nn.Linear):
            raise ValueError(f"layer {index!r} is not a Linear of the model")
        layers[index] = svd_factorize(layers[index], rank)
    return layers


def energy_rank(singular_values: torch.Tensor, energy: float) -> int:
    """The smallest rank K whose K largest singular values hold at least ``energy`` of the
    sum of all their squares (the squared Frobenius norm of the weight). Raises ValueError
    unless energy is a number in (0, 1]."""
    checks.number("energy", energy, above=0, high=1)
    squares = _spectrum(singular_values).double().square()
    if squares.numel() == 0 or not squares.sum() > 0:
        raise ValueError("need at least one singular value above zero")
    share = squares.sort(descending=True).values.cumsum(0) / squares.sum()
    # a float sum of all the squares may fall a hair short of 1
    return min(int((share < energy - 1e-12).sum()) + 1, squares.numel())


def rank_for_budget(in_features: int, out_features: int, parameters: int) -> int:
    """The largest rank K whose pair holds at most ``parameters`` weights, K * (M + N), and
    at most min(M, N). Raises ValueError if not even rank 1 fits."""
    n = _positive_int(in_features, "in_features")
    m = _positive_int(out_features, "out_features")
    parameters = _positive_int(parameters, "parameters")
    if parameters < m + n:
        raise ValueError(f"a budget of {parameters} weights is below a rank-1 pair "
                         f"({m + n} weights for a {m}x{n} layer)")
    return min(parameters // (m + n), m, n)


def break_even_rank(in_features: int, out_features: int) -> int:
    """The largest rank K at which the pair has strictly fewer weights than the layer,
    K * (M + N) < M * N, or 0 if no rank does. At K = M * N / (M + N) (when a whole number)
    the two hold as many weights, and above it the pair is larger."""
    n = _positive_int(in_features, "in_features")
    m = _positive_int(out_features, "out_features")
    return (m * n - 1) // (m + n)


def _kernel(kernel_size) -> tuple[int, int]:
    pair = kernel_size if isinstance(kernel_size, tuple) else (kernel_size, kernel_size)
    if len(pair) != 2:
        raise ValueError(f"kernel_size must be an integer >= 1 or a pair of them, "
                         f"got {kernel_size!r}")
    return checks.integer("kernel_size", pair[0], low=1), checks.integer("kernel_size", pair[1], low=1)


def conv_parameters(in_channels: int, out_channels: int, kernel_size, groups: int = 1,
                    bias: bool = True) -> int:
    """Parameters of ``nn.Conv2d(in_channels, out_channels, kernel_size, groups=groups,
    bias=bias)``: (I / groups) * O * kh * kw weights, plus O biases. Raises ValueError for
    a kernel size below 1 or channel counts that ``groups`` does not divide."""
    i = _positive_int(in_channels, "in_channels")
    o = _positive_int(out_channels, "out_channels")
    g = _positive_int(groups, "groups")
    kh, kw = _kernel(kernel_size)
    checks.flag("bias", bias)
    if i % g or o % g:
        raise ValueError(f"groups={g} must divide in_channels={i} and out_channels={o}")
    return (i // g) * o * kh * kw + (o if bias else 0)


def separable_parameters(in_channels: int, out_channels: int, kernel_size,
                         bias: bool = True) -> int:
    """Parameters of a depthwise separable convolution (:class:`support.models.DepthwiseSeparableConv2d`):
    k * k * I depthwise weights (no bias: the pointwise bias absorbs it), I * O pointwise
    weights, plus O biases."""
    return (conv_parameters(in_channels, in_channels, kernel_size, groups=in_channels, bias=False)
            + conv_parameters(in_channels, out_channels, 1, bias=bias))


def separable_ratio(out_channels: int, kernel_size: int) -> Fraction:
    """1/O + 1/k^2, exactly: the weights (and MACs) of a depthwise separable convolution as
    a fraction of the standard one's."""
    o = _positive_int(out_channels, "out_channels")
    kh, kw = _kernel(kernel_size)
    return Fraction(1, o) + Fraction(1, kh * kw)


@torch.no_grad()
def merge_separable(block: nn.Module) -> nn.Conv2d:
    """The standard Conv2d that computes what a depthwise separable ``block`` (with
    ``.depthwise`` and ``.pointwise`` convolutions and nothing in between) computes: its
    kernel is W[o, i] = P[o, i] * D[i], so for each input channel i the O x k*k matrix
    W[:, i] has rank 1."""
    parts = list(checks.module("block", block).children())
    if len(parts) != 2 or parts[0] is not getattr(block, "depthwise", None) \
            or parts[1] is not getattr(block, "pointwise", None) \
            or not all(isinstance(part, nn.Conv2d) for part in parts):
        raise ValueError("expected a block of a depthwise and a pointwise convolution with "
                         "nothing in between")
    dw, pw = parts
    if dw.groups != dw.in_channels or dw.out_channels != dw.in_channels \
            or pw.kernel_size != (1, 1) or pw.groups != 1:
        raise ValueError("expected a depthwise conv (groups = channels) then a 1x1 conv")
    conv = nn.Conv2d(dw.in_channels, pw.out_channels, dw.kernel_size, stride=dw.stride,
                     padding=dw.padding, dilation=dw.dilation, bias=True)
    conv.weight.copy_(pw.weight[:, :, 0, 0, None, None] * dw.weight[:, 0][None])
    bias = torch.zeros(pw.out_channels) if pw.bias is None else pw.bias.clone()
    if dw.bias is not None:
        bias += pw.weight[:, :, 0, 0] @ dw.bias
    conv.bias.copy_(bias)
    return conv
