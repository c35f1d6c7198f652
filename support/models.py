"""The small models the chapters share. Each is a plain ``nn.Sequential``, so that a
chapter can reach any layer by index (``model[1]`` is the first Linear of the MLP).

All map a batch of inputs ``(B, *input_shape)`` to logits (B, num_classes). Each takes
``seed``: when given, the initial weights are drawn from ``torch.manual_seed(seed)``, so the
same seed gives the same initialisation (lottery tickets rewind to it).
"""
from __future__ import annotations

import math
from collections import OrderedDict

import torch
from torch import nn

from . import checks

__all__ = ["mlp", "cnn", "cnn1d", "for_data", "DepthwiseSeparableConv2d", "separable_cnn"]


def _seed(seed):
    if seed is not None:
        torch.manual_seed(checks.integer("seed (or None)", seed, low=0))


def _check_widths(widths, what):
    widths = tuple(checks.sequence(what, widths, nonempty=True))
    for w in widths:
        checks.integer(f"each of {what}", w, low=1)
    return widths


def _count(what: str, value) -> int:
    return checks.integer(what, value, low=1)


def _two_widths(in_channels, channels, num_classes) -> tuple[int, int]:
    """The CNNs' two widths, after checking them and the channel and class counts."""
    channels = _check_widths(channels, "channels")
    if len(channels) != 2:
        raise ValueError(f"channels must hold two widths, got {channels!r}")
    _count("in_channels", in_channels)
    _count("num_classes", num_classes)
    return channels


def mlp(input_shape=(1, 8, 8), hidden=(300, 100), num_classes: int = 10,
        seed: int | None = None) -> nn.Sequential:
    """A fully connected network in the spirit of LeNet-300-100 (LeCun et al. 1998):
    Flatten, then Linear + ReLU for each hidden width, then a Linear to the logits."""
    hidden = _check_widths(hidden, "hidden")
    _check_widths(input_shape, "input_shape")
    _count("num_classes", num_classes)
    _seed(seed)
    layers: list[nn.Module] = [nn.Flatten()]
    width = math.prod(input_shape)
    for h in hidden:
        layers += [nn.Linear(width, h), nn.ReLU()]
        width = h
    layers.append(nn.Linear(width, num_classes))
    return nn.Sequential(*layers)


def cnn(in_channels: int = 1, channels=(32, 64), num_classes: int = 10,
        seed: int | None = None) -> nn.Sequential:
    """A small CNN for 8x8 images: two 3x3 convolutions (padding 1) with ReLU, a 2x2 max
    pool, a 3x3 convolution and ReLU, global average pooling and a Linear classifier."""
    c1, c2 = _two_widths(in_channels, channels, num_classes)
    _seed(seed)
    return nn.Sequential(
        nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(),
        nn.Conv2d(c1, c1, 3, padding=1), nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(c2, num_classes),
    )


def cnn1d(in_channels: int = 1, channels=(32, 32, 32), num_classes: int = 10,
          length: int = 40, seed: int | None = None) -> nn.Sequential:
    """A 1-D CNN for MNIST-1D: stride-2 convolutions of width 5 with ReLU, then a Linear
    classifier over the flattened feature map."""
    channels = _check_widths(channels, "channels")
    _count("in_channels", in_channels)
    _count("num_classes", num_classes)
    _count("length", length)
    _seed(seed)
    layers: list[nn.Module] = []
    width = in_channels
    for c in channels:
        layers += [nn.Conv1d(width, c, 5, stride=2, padding=2), nn.ReLU()]
        width = c
        length = (length + 1) // 2
    layers += [nn.Flatten(), nn.Linear(width * length, num_classes)]
    return nn.Sequential(*layers)


def for_data(kind: str, splits, **kwargs) -> nn.Sequential:
    """Build model ``kind`` ("mlp", "cnn" or "cnn1d") sized for a :class:`~support.data.Splits`."""
    checks.one_of("kind", kind, ("mlp", "cnn", "cnn1d"))
    shape = getattr(splits, "input_shape", None)
    if shape is None:
        raise checks.WrongType(f"splits must be a support.data.Splits, got {checks.describe(splits)}")
    if kind == "mlp":
        return mlp(shape, num_classes=splits.num_classes, **kwargs)
    if kind == "cnn":
        if len(shape) != 3:
            raise ValueError(f"cnn expects images (C, H, W), the data has shape {shape}")
        return cnn(shape[0], num_classes=splits.num_classes, **kwargs)
    if kind == "cnn1d":
        if len(shape) != 2:
            raise ValueError(f"cnn1d expects signals (C, L), the data has shape {shape}")
        return cnn1d(shape[0], num_classes=splits.num_classes, length=shape[1], **kwargs)
    raise ValueError(f"kind must be 'mlp', 'cnn' or 'cnn1d', got {kind!r}")


class DepthwiseSeparableConv2d(nn.Sequential):
    """A k x k convolution factorised in two (Sifre 2014; Howard et al. 2017): ``depthwise``,
    one k x k filter per input channel (``groups=in_channels``, no bias), then
    ``pointwise``, a 1 x 1 convolution mixing the channels (with the bias when ``bias``).
    (B, I, H, W) in, (B, O, H', W') out, H' and W' as for
    ``nn.Conv2d(I, O, kernel_size, stride, padding)``; the stride acts in the depthwise
    convolution, so the pointwise one only sees the output positions.

    ``activation`` (a module, say ``nn.ReLU()``) goes between the two, as in MobileNet;
    without it (the default) the block is a factorised convolution
    (:func:`support.factorize.merge_separable`). Raises ValueError for channel counts
    below 1, a kernel size below 1 or a negative padding."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True, activation: nn.Module | None = None):
        for value, what, least in ((in_channels, "in_channels", 1),
                                   (out_channels, "out_channels", 1),
                                   (kernel_size, "kernel_size", 1), (stride, "stride", 1),
                                   (padding, "padding", 0)):
            checks.integer(what, value, low=least)
        checks.flag("bias", bias)
        if activation is not None:
            checks.module("activation", activation)
        parts = [("depthwise", nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride,
                                         padding=padding, groups=in_channels, bias=False))]
        if activation is not None:
            parts.append(("activation", activation))
        parts.append(("pointwise", nn.Conv2d(in_channels, out_channels, 1, bias=bias)))
        super().__init__(OrderedDict(parts))


def separable_cnn(in_channels: int = 1, channels=(32, 64), num_classes: int = 10,
                  seed: int | None = None, inner_relu: bool = True) -> nn.Sequential:
    """The small CNN of :func:`cnn` with its second and third 3x3 convolutions made
    depthwise separable (the first, on the raw input, stays standard, as in MobileNet).
    ``inner_relu`` puts a ReLU between depthwise and pointwise, as MobileNet does."""
    c1, c2 = _two_widths(in_channels, channels, num_classes)
    checks.flag("inner_relu", inner_relu)
    _seed(seed)

    def block(i, o):
        return DepthwiseSeparableConv2d(i, o, 3, padding=1,
                                        activation=nn.ReLU() if inner_relu else None)

    return nn.Sequential(
        nn.Conv2d(in_channels, c1, 3, padding=1), nn.ReLU(),
        block(c1, c1), nn.ReLU(),
        nn.MaxPool2d(2),
        block(c1, c2), nn.ReLU(),
        nn.AdaptiveAvgPool2d(1), nn.Flatten(),
        nn.Linear(c2, num_classes),
    )
