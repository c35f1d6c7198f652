"""Parameter quantization: fewer bits per value, and weight clustering.

Uniform (affine) quantization maps a real number x to an integer q of ``bits`` bits and back:

    q = clamp(round(x / scale) + zero_point, qmin, qmax),      x ~ (q - zero_point) * scale

*Asymmetric* quantization uses the integers [0, 2**bits - 1] and a zero point; *symmetric*
uses [-(2**(bits-1) - 1), 2**(bits-1) - 1] and a zero point of 0. Either can be computed
*per tensor* (one scale) or *per channel* (one scale per output unit, dimension 0).
:func:`fake_quantize` rounds a float tensor to the values a quantized tensor can hold and
returns floats again: the arithmetic stays in float32, only the set of values shrinks.

Weight clustering (Deep Compression, Han et al. 2016) replaces a layer's weights by a few
shared values: a codebook of ``clusters`` centroids from k-means, and one small index per
weight. :class:`SharedWeights` makes the centroids trainable, and ``torch.nn.utils.parametrize``
attaches it to a layer, so a centroid's gradient is the sum of the gradients of its weights.

PyTorch's own quantized kernels (``torch.ao.quantization``) and ONNX Runtime run real int8
arithmetic; the quantization chapter measures them.
"""
from __future__ import annotations

import torch
from torch import nn
from torch.nn.utils import parametrize

from . import checks

__all__ = ["MAX_BITS", "check_bits", "qrange", "scale_zero_point", "quantize", "dequantize",
           "fake_quantize", "binarize", "StraightThrough", "quantize_weights",
           "add_fake_quantization", "remove_parametrizations", "INITS", "init_centroids",
           "nearest", "kmeans", "SharedWeights", "share_weights", "distinct_values"]

MAX_BITS = 32
INITS = ("linear", "density", "random")


def check_bits(bits, symmetric: bool = False) -> int:
    """``bits`` if it is an integer in [1, 32] ([2, 32] for symmetric quantization, whose
    range [-(2**(b-1) - 1), 2**(b-1) - 1] is empty at one bit); else a ValueError."""
    if checks.flag("symmetric", symmetric):
        return checks.integer("bits for symmetric quantization", bits, 2, MAX_BITS)
    return checks.integer("bits", bits, 1, MAX_BITS)


def qrange(bits: int, symmetric: bool = False) -> tuple[int, int]:
    """(qmin, qmax): [0, 2**bits - 1], or [-(2**(bits-1) - 1), 2**(bits-1) - 1] if symmetric."""
    bits = check_bits(bits, symmetric)
    if symmetric:
        return -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1
    return 0, 2 ** bits - 1


def _float(x, what: str) -> torch.Tensor:
    x = checks.tensor(what, x, convert=True)
    return x if x.is_floating_point() else x.to(torch.float32)


def _scale(scale) -> torch.Tensor:
    """``scale`` (a number or a tensor) as a tensor, or an error unless it is finite and > 0."""
    held = checks.tensor("scale", scale, convert=True)
    if not (held > 0).all():
        raise ValueError(f"scale must be a number > 0 (or a tensor of them), got {scale}")
    return held


def _zero_point(zero_point, qmin=None, qmax=None) -> torch.Tensor:
    """``zero_point`` (a number or a tensor) as a tensor, or an error unless it holds whole
    numbers (in [qmin, qmax], the grid, when given)."""
    held = checks.tensor("zero_point", zero_point, convert=True)
    grid = "" if qmin is None else f" in [{qmin}, {qmax}] (the grid of the integers)"
    if held.dtype == torch.bool:
        raise checks.WrongType(f"zero_point must be an integer{grid}, got {checks.describe(held)}")
    if not torch.equal(held, held.round()) or \
            (qmin is not None and not ((held >= qmin) & (held <= qmax)).all()):
        raise ValueError(f"zero_point must be an integer{grid}, got {zero_point}")
    return held


def _broadcast(x: torch.Tensor, scale: torch.Tensor, zero_point: torch.Tensor) -> None:
    try:
        torch.broadcast_shapes(x.shape, scale.shape, zero_point.shape)
    except RuntimeError:
        raise ValueError(f"scale {tuple(scale.shape)} and zero_point {tuple(zero_point.shape)} "
                         f"must broadcast against the tensor's shape {tuple(x.shape)}") from None


def scale_zero_point(x_min, x_max, bits: int, symmetric: bool = False):
    """Scale and zero point that map [x_min, x_max] onto the integers of :func:`qrange`.

    ``x_min`` and ``x_max`` are numbers or tensors of one shape (per-channel ranges). The
    range is first widened to include 0, so that 0 (a pruned weight, a ReLU output) is held
    exactly. Asymmetric: scale = (max - min) / (qmax - qmin), zero_point = qmin - round(min /
    scale). Symmetric: scale = ``max(|min|, |max|) / qmax``, zero_point = 0. A range of zero
    width gets scale 1. Returns (scale, zero_point) as float32 and int64 tensors."""
    qmin, qmax = qrange(bits, symmetric)
    lo = torch.clamp(_float(x_min, "x_min"), max=0).to(torch.float32)
    hi = torch.clamp(_float(x_max, "x_max"), min=0).to(torch.float32)
    if lo.shape != hi.shape or (torch.as_tensor(x_min) > torch.as_tensor(x_max)).any():
        raise ValueError(f"need x_min <= x_max of one shape, got {x_min} and {x_max}")
    if symmetric:
        scale = torch.maximum(-lo, hi) / qmax
        zero_point = torch.zeros_like(scale, dtype=torch.int64)
    else:
        scale = (hi - lo) / (qmax - qmin)
    scale = torch.where(scale > 0, scale, torch.ones_like(scale))
    if not symmetric:
        zero_point = (qmin - torch.round(lo / scale)).clamp(qmin, qmax).to(torch.int64)
    return scale, zero_point


def quantize(x: torch.Tensor, scale, zero_point, bits: int, symmetric: bool = False) -> torch.Tensor:
    """Integers (int64, ``x``'s shape): clamp(round(x / scale) + zero_point, qmin, qmax).
    ``torch.round`` rounds halves to even. ``scale`` (positive) and ``zero_point`` broadcast
    against x and hold finite numbers; ``zero_point`` holds integers in [qmin, qmax]."""
    qmin, qmax = qrange(bits, symmetric)
    x = checks.tensor("x", x)
    _broadcast(x, _scale(scale), _zero_point(zero_point, qmin, qmax))
    return _quantize(x, scale, zero_point, qmin, qmax)


def _quantize(x, scale, zero_point, qmin: int, qmax: int) -> torch.Tensor:
    q = torch.round(x / scale) + zero_point
    return q.clamp(qmin, qmax).to(torch.int64)


def dequantize(q: torch.Tensor, scale, zero_point) -> torch.Tensor:
    """Floats (q - zero_point) * scale, ``q``'s shape. ``q`` is an integer tensor, ``scale``
    (finite, > 0) and ``zero_point`` (whole numbers) broadcast against it."""
    q = checks.tensor("q", q, integer=True)
    _broadcast(q, _scale(scale), _zero_point(zero_point))
    return _dequantize(q, scale, zero_point)


def _dequantize(q, scale, zero_point) -> torch.Tensor:
    return (q - zero_point).to(torch.float32) * scale


def _ranges(x: torch.Tensor, per_channel: bool):
    if per_channel:
        if x.ndim < 2:
            raise ValueError(f"per-channel quantization needs (channels, ...), got shape "
                             f"{tuple(x.shape)}")
        flat = x.detach().flatten(1)
        shape = (-1,) + (1,) * (x.ndim - 1)
        return flat.min(1).values.view(shape), flat.max(1).values.view(shape)
    return x.detach().min(), x.detach().max()


def _nonempty(x) -> torch.Tensor:
    return checks.tensor("x", x, floating=True, nonempty=True)


def fake_quantize(x: torch.Tensor, bits: int, symmetric: bool = False,
                  per_channel: bool = False) -> torch.Tensor:
    """``x`` quantized to ``bits`` and dequantized again: floats of ``x``'s shape that take
    at most 2**bits values (per channel, with ``per_channel``; channels are dimension 0). The
    range is the tensor's own (or each channel's) min and max; each value moves by at most
    half a step (scale / 2)."""
    x = _nonempty(x)
    qmin, qmax = qrange(bits, symmetric)
    scale, zero_point = scale_zero_point(*_ranges(x, checks.flag("per_channel", per_channel)),
                                         bits, symmetric)
    return _dequantize(_quantize(x, scale, zero_point, qmin, qmax), scale, zero_point).to(x.dtype)


def binarize(x: torch.Tensor, per_channel: bool = False) -> torch.Tensor:
    """Binary weights: sign(x) times a scale alpha, the mean ``|x|`` of the whole tensor, or
    with ``per_channel`` of each output channel (row ``x[i]``: XNOR-Net's alpha_i =
    ||W_i||_1 / n, which minimises the squared error for a sign pattern). Zero counts as
    positive."""
    x = _nonempty(x)
    checks.flag("per_channel", per_channel)
    magnitude = x.detach().abs()
    alpha = magnitude.flatten(1).mean(1).view(-1, *[1] * (x.ndim - 1)) if per_channel and \
        x.ndim > 1 else magnitude.mean()
    return torch.where(x >= 0, 1.0, -1.0).to(x.dtype) * alpha


class StraightThrough(nn.Module):
    """A parametrization computing ``fn(w)`` in the forward pass whose gradient is the
    identity: w + (fn(w) - w).detach(). This is the straight-through estimator (Bengio et al.
    2013): rounding has a zero gradient almost everywhere, so the backward pass pretends it
    was not there, and the float weights underneath keep learning."""

    def __init__(self, fn):
        super().__init__()
        self.fn = checks.function("fn", fn)

    def forward(self, w: torch.Tensor) -> torch.Tensor:
        return w + (self.fn(w) - w).detach()


def _weighted(model: nn.Module):
    checks.module("model", model)
    layers = [m for m in model.modules() if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    if not layers:
        raise ValueError("the model has no Linear or ConvNd layer to quantize")
    return layers


def _quantizer(bits, symmetric, per_channel):
    checks.flag("per_channel", per_channel)
    if isinstance(bits, str) and bits == "binary":
        checks.flag("symmetric", symmetric)
        return lambda w: binarize(w, per_channel)
    bits = check_bits(bits, symmetric)
    return lambda w: fake_quantize(w, bits, symmetric, per_channel)


@torch.no_grad()
def quantize_weights(model: nn.Module, bits, symmetric: bool = False,
                     per_channel: bool = False) -> nn.Module:
    """Post-training quantization, in place: every Linear / ConvNd weight is replaced by
    :func:`fake_quantize` of itself (``bits="binary"``: :func:`binarize`, with one scale per
    output channel when ``per_channel``). Biases and
    activations stay float32. Returns the model."""
    quantizer = _quantizer(bits, symmetric, per_channel)
    for layer in _weighted(model):
        layer.weight.copy_(quantizer(layer.weight))
    return model


def add_fake_quantization(model: nn.Module, bits, symmetric: bool = False,
                          per_channel: bool = False) -> nn.Module:
    """Quantization-aware training, in place: every Linear / ConvNd weight is fake-quantized
    in each forward pass through a :class:`StraightThrough` parametrization, so training
    sees the quantized network while the float weights learn. Undo (keeping the quantized
    values) with :func:`remove_parametrizations`. Returns the model."""
    quantizer = _quantizer(bits, symmetric, per_channel)
    for layer in _weighted(model):
        parametrize.register_parametrization(layer, "weight", StraightThrough(quantizer))
    return model


def remove_parametrizations(model: nn.Module) -> nn.Module:
    """Make every weight parametrization permanent (``leave_parametrized=True``), in place.

    ``copy.deepcopy`` of a parametrized layer shares its generated class with the original,
    and PyTorch's removal deletes the ``weight`` property from that class, which would break
    the original too; so each layer first gets a class of its own."""
    for layer in checks.module("model", model).modules():
        if parametrize.is_parametrized(layer, "weight"):
            cls = type(layer)
            layer.__class__ = type(cls.__name__, cls.__bases__, dict(cls.__dict__))
            parametrize.remove_parametrizations(layer, "weight", leave_parametrized=True)
    return model


def _check_values(values) -> torch.Tensor:
    return checks.tensor("values", values, ndim=1, floating=True, nonempty=True).detach()


def _check_clusters(clusters, n: int) -> int:
    return checks.integer(f"clusters (at most one per value of {n})", clusters, 1, n)


def _check_init(init: str, seed: int) -> None:
    checks.one_of("init", init, INITS)
    checks.integer("seed", seed, low=0)


def init_centroids(values: torch.Tensor, clusters: int, init: str = "linear",
                   seed: int = 0) -> torch.Tensor:
    """Initial centroids (clusters,) for :func:`kmeans`, as Han et al. 2016 compare them:

    - ``"linear"``: evenly spaced between the smallest and the largest value, so the rare
      large weights get centroids of their own;
    - ``"density"``: the values' quantiles at (i + 0.5) / clusters, dense where the weights are;
    - ``"random"``: ``clusters`` distinct values picked at random (Forgy), with ``seed``."""
    values = _check_values(values)
    clusters = _check_clusters(clusters, values.numel())
    _check_init(init, seed)
    if init == "linear":
        return torch.linspace(values.min().item(), values.max().item(), clusters)
    if init == "density":
        levels = (torch.arange(clusters, dtype=torch.float64) + 0.5) / clusters
        return torch.quantile(values.double(), levels).float()
    if init == "random":
        generator = torch.Generator().manual_seed(seed)
    return values[torch.randperm(values.numel(), generator=generator)[:clusters]].float()


def nearest(values: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    """Index (int64, ``values``' shape) of the nearest of the ascending ``centroids`` for each
    value; at equal distance, the lower index. A binary search, O(n log k). Raises
    ValueError for centroids that are not in ascending order (or not finite)."""
    values = checks.tensor("values", values)
    centroids = checks.tensor("centroids", centroids, ndim=1, nonempty=True)
    if not (centroids[1:] >= centroids[:-1]).all():
        raise ValueError(f"centroids must be in ascending order, got {centroids.tolist()}")
    return _nearest(values, centroids)


def _nearest(values: torch.Tensor, centroids: torch.Tensor) -> torch.Tensor:
    high = torch.searchsorted(centroids, values).clamp(max=centroids.numel() - 1)
    low = (high - 1).clamp(min=0)
    take_low = (values - centroids[low]).abs() <= (values - centroids[high]).abs()
    return torch.where(take_low, low, high)


def kmeans(values: torch.Tensor, clusters: int, init: str = "linear", iterations: int = 30,
           seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    """1-D k-means (Lloyd's algorithm) of ``values`` (n,): returns (centroids (clusters,) in
    ascending order, indices (n,) int64) with each value assigned to its nearest centroid
    (ties: the lower index). Each round moves every centroid to the mean of its values; a
    cluster that has no value keeps its centroid. Stops after ``iterations`` rounds or when
    no assignment changes."""
    values = _check_values(values).float()
    checks.integer("iterations", iterations, low=0)
    centroids = init_centroids(values, clusters, init, seed).sort().values
    indices = _nearest(values, centroids)
    for _ in range(iterations):
        sums = torch.zeros(clusters).index_add_(0, indices, values)
        counts = torch.bincount(indices, minlength=clusters)
        centroids = torch.where(counts > 0, sums / counts.clamp(min=1), centroids).sort().values
        new = _nearest(values, centroids)
        if torch.equal(new, indices):
            break
        indices = new
    return centroids, indices


class SharedWeights(nn.Module):
    """A parametrization whose weight is ``centroids[indices]`` where ``mask`` is True and 0
    elsewhere. ``centroids`` (clusters,) is a parameter; ``indices`` (int64) and ``mask``
    (bool) have the weight's shape. Indexing backpropagates by summing, so each centroid's
    gradient is the sum of the gradients of the weights that share it (Han et al. 2016)."""

    def __init__(self, centroids: torch.Tensor, indices: torch.Tensor, mask: torch.Tensor):
        super().__init__()
        centroids = checks.tensor("centroids", centroids, ndim=1, floating=True, nonempty=True)
        indices = checks.tensor("indices", indices, integer=True)
        if not isinstance(mask, torch.Tensor) or indices.shape != mask.shape \
                or mask.dtype != torch.bool:
            raise ValueError("indices and a boolean mask of the weight's shape are needed")
        if indices.numel() and (indices.min() < 0 or indices.max() >= centroids.numel()):
            raise ValueError(f"indices must lie in [0, {centroids.numel()})")
        self.centroids = nn.Parameter(centroids.detach().clone().float())
        self.register_buffer("indices", indices.clone())
        self.register_buffer("mask", mask.clone())

    def forward(self, weight: torch.Tensor) -> torch.Tensor:
        return torch.where(self.mask, self.centroids[self.indices], 0.0)


def share_weights(model: nn.Module, clusters: int, init: str = "linear",
                  iterations: int = 30, seed: int = 0) -> nn.Module:
    """Cluster each Linear / ConvNd weight's non-zero values into ``clusters`` shared values
    by :func:`kmeans` and attach a :class:`SharedWeights` parametrization, in place. Zeros
    (pruned weights) stay zero. Fine-tune with :func:`support.train.fit`;
    :func:`remove_parametrizations` makes it permanent.

    ``clusters`` is an upper bound on the distinct values of a layer, not a count: a layer
    with fewer non-zeros gets one cluster per non-zero, and a cluster that k-means leaves
    empty keeps a centroid that no weight uses, so a layer can end with fewer distinct values
    than ``clusters`` even when it has many more non-zeros (:func:`distinct_values` counts
    them)."""
    checks.module("model", model, finite=True)
    checks.integer("clusters", clusters, low=1)
    _check_init(init, seed)
    checks.integer("iterations", iterations, low=0)
    for layer in _weighted(model):
        weight = layer.weight.detach()
        mask = weight != 0
        indices = torch.zeros(weight.shape, dtype=torch.int64)
        if mask.any():
            values = weight[mask]
            centroids, kept = kmeans(values, min(clusters, values.numel()), init, iterations, seed)
            indices[mask] = kept
        else:
            centroids = torch.zeros(1)
        parametrize.register_parametrization(layer, "weight", SharedWeights(centroids, indices, mask))
    return model


def distinct_values(weight: torch.Tensor) -> int:
    """How many different non-zero values ``weight`` holds (the codebook a file needs)."""
    checks.tensor("weight", weight)
    return int(torch.unique(weight.detach()[weight.detach() != 0]).numel())
