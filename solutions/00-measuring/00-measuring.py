# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 0: measuring a model
#
# Before we make a network smaller, we need to say what "smaller" means. In this exercise you
# implement three of the measurements the course uses on every model:
#
# 1. **`count_parameters`**: how many numbers a model learns (2 points);
# 2. **`bytes_at_bits`**: how many bytes those numbers take at a given bit width (2 points);
# 3. **`conv2d_macs`**: how many multiply-accumulates one `Conv2d` does, from its shape alone
#    (3 points).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each function is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Write each function yourself, in this notebook: the course's package `support` has
# its own versions (with the same names), and a function imported from it scores nothing.
# Before you hand in, restart the kernel and run all cells, or run
# `nbgrader validate 00-measuring.ipynb` in a terminal.

# %%
import math

import torch
from torch import nn

# %% [markdown]
# ## 1. Counting parameters
#
# A model's *parameters* are the tensors its optimiser updates: every layer's weights and
# biases. `model.parameters()` yields each of them once (even a tensor two layers share), and
# `tensor.numel()` is the number of scalars in a tensor. Buffers, such as the running mean a
# `BatchNorm` layer keeps, are saved with the model but are not parameters.
#
# Implement `count_parameters(model)`: the total number of scalars in the model's parameters.
# A *frozen* parameter (`requires_grad=False`, as when only part of a model is fine-tuned) is
# still a parameter the model stores, so it counts; a tensor shared by two layers counts once;
# buffers do not count.

# %% solution="count_parameters" withhold="support.measure.count_parameters"
def count_parameters(model: nn.Module) -> int:
    """Number of scalars in all parameters of ``model`` (weights and biases)."""
    ### BEGIN SOLUTION
    return sum(p.numel() for p in model.parameters())
    ### END SOLUTION


# %% test="count_parameters" points=2
layer = nn.Linear(784, 300)
got = count_parameters(layer)
assert got == 784 * 300 + 300, f"a Linear has a weight and a bias: expected {784 * 300 + 300}, got {got}"
got = count_parameters(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2)))
assert got == 15 + 8, f"expected {15 + 8}, got {got}"
assert isinstance(count_parameters(layer), int), \
    f"return a Python int, got {type(count_parameters(layer)).__name__}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check

    from support.models import cnn, mlp

    check(count_parameters.__module__, "written in this notebook, not imported")
    check(count_parameters(nn.Linear(784, 300)), "a Linear")
    check(count_parameters(nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))))
    check(type(count_parameters(nn.Linear(3, 2))).__name__, "a Python int")
    check(count_parameters(nn.Linear(10, 5, bias=False)), "a Linear without a bias")
    # BatchNorm keeps buffers (running mean and variance) that are not parameters
    check(count_parameters(nn.Sequential(nn.Conv2d(3, 8, 3), nn.BatchNorm2d(8))),
          "buffers are not parameters")
    shared = nn.Linear(6, 6)
    check(count_parameters(nn.Sequential(shared, nn.ReLU(), shared)), "a shared weight counts once")
    check(count_parameters(nn.ReLU()), "no parameters at all")
    frozen = nn.Sequential(nn.Linear(5, 4), nn.ReLU(), nn.Linear(4, 2))
    frozen[0].requires_grad_(False)
    check(count_parameters(frozen), "a frozen parameter still counts")
    for model in (mlp(), cnn(), mlp((1, 40), hidden=(7, 5, 3))):
        check(count_parameters(model), "the course's models")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Bytes at a bit width
#
# Stored as 32-bit floats, every parameter takes 4 bytes. Quantisation (a later chapter) stores
# them in fewer bits: 8, 4, even 1. Packed tightly, `n` values of `b` bits each take `n * b`
# bits, and a file holds whole bytes of 8 bits.
#
# Implement `bytes_at_bits(num_values, bits)`: the number of whole bytes needed to store
# `num_values` values of `bits` bits each, packed tightly. Both must be Python integers
# (`int`): a count below zero, a bit width below 1, a float such as `8.0`, and a bool such as
# `True` (which Python would otherwise treat as the number 1) are mistakes of the caller: raise
# a `ValueError` that says what was expected.

# %% solution="bytes_at_bits" withhold="support.measure.bytes_at_bits"
def bytes_at_bits(num_values: int, bits: int) -> int:
    """Whole bytes to store ``num_values`` values of ``bits`` bits each, packed tightly."""
    ### BEGIN SOLUTION
    if not isinstance(num_values, int) or isinstance(num_values, bool) or num_values < 0:
        raise ValueError(f"num_values must be a non-negative integer, got {num_values!r}")
    if not isinstance(bits, int) or isinstance(bits, bool) or bits < 1:
        raise ValueError(f"bits must be a positive integer, got {bits!r}")
    return (num_values * bits + 7) // 8
    ### END SOLUTION


# %% test="bytes_at_bits" points=2
for args, want in [((1000, 32), 4000), ((1000, 8), 1000), ((0, 8), 0)]:
    got = bytes_at_bits(*args)
    assert got == want, f"bytes_at_bits{args}: expected {want}, got {got}"
try:
    bytes_at_bits(1000, 0)
except ValueError:
    pass
else:
    raise AssertionError("bytes_at_bits(1000, 0): 0 bits must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(bytes_at_bits.__module__, "written in this notebook, not imported")
    for args in [(1000, 32), (1000, 8), (0, 8), (3, 3), (1, 1), (8, 1), (9, 1), (266_610, 4),
                 (5, 12)]:
        check(bytes_at_bits(*args), f"bytes_at_bits{args}")
    check(type(bytes_at_bits(3, 3)).__name__, "a Python int")
    for bad in [(1000, 0), (-1, 8), (10, -4), (10, 2.5), (10, "8"), (10, 8.0), (10, True),
                (True, 8), (10.0, 8)]:
        check(raises(ValueError, bytes_at_bits, *bad), f"bytes_at_bits{bad} is refused")
    check([bytes_at_bits(n, b) for n in range(0, 50, 7) for b in range(1, 33)], "a grid")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The MACs of a convolution
#
# A *multiply-accumulate* (MAC) is one `a += w * x`. Counting MACs tells how much arithmetic a
# layer does, before any hardware is involved. A `Conv2d` with `C_in` input channels, `C_out`
# output channels, a `k_h x k_w` kernel and `g` groups computes each of its
# `C_out x H_out x W_out` outputs from `(C_in / g) x k_h x k_w` inputs, so it does
#
# $$\text{MACs} = C_\text{out} \cdot H_\text{out} \cdot W_\text{out} \cdot \frac{C_\text{in}}{g} \cdot k_h \cdot k_w$$
#
# for one example (we do not count the bias). The output size along each side is
# `H_out = floor((H + 2 * padding - k_h) / stride) + 1`, as in
# [the `Conv2d` documentation](https://pytorch.org/docs/stable/generated/torch.nn.Conv2d.html).
#
# Implement `conv2d_macs`. `kernel_size`, `input_size` (height, width), `stride` and `padding`
# may each be one integer (the same for both sides) or a pair `(height, width)`. If `groups`
# does not divide both channel counts, or the kernel does not fit in the padded input, raise a
# `ValueError`.

# %% solution="conv2d_macs"
def conv2d_macs(in_channels: int, out_channels: int, kernel_size, input_size,
                stride=1, padding=0, groups: int = 1) -> int:
    """Multiply-accumulates of one Conv2d (no bias) on one example of size ``input_size``."""
    ### BEGIN SOLUTION
    def pair(value):
        return (value, value) if isinstance(value, int) else tuple(value)

    (kh, kw), (h, w) = pair(kernel_size), pair(input_size)
    (sh, sw), (ph, pw) = pair(stride), pair(padding)
    if groups < 1 or in_channels % groups or out_channels % groups:
        raise ValueError(f"groups={groups} must divide in_channels={in_channels} "
                         f"and out_channels={out_channels}")
    if h + 2 * ph < kh or w + 2 * pw < kw:
        raise ValueError(f"kernel {kh}x{kw} does not fit in the padded input "
                         f"{h + 2 * ph}x{w + 2 * pw}")
    h_out = (h + 2 * ph - kh) // sh + 1
    w_out = (w + 2 * pw - kw) // sw + 1
    return out_channels * h_out * w_out * (in_channels // groups) * kh * kw
    ### END SOLUTION


# %% test="conv2d_macs" points=3
# a 3x3 convolution, 1 -> 16 channels, on an 8x8 image with padding 1: the output is 8x8
got = conv2d_macs(1, 16, 3, 8, padding=1)
assert got == 16 * 8 * 8 * 1 * 3 * 3, f"expected {16 * 8 * 8 * 1 * 3 * 3}, got {got}"
# without padding the output shrinks to 6x6
got = conv2d_macs(1, 16, 3, 8)
assert got == 16 * 6 * 6 * 9, f"no padding, a 6x6 output: expected {16 * 6 * 6 * 9}, got {got}"
got = conv2d_macs(3, 8, (3, 5), (10, 12))
assert got == 8 * 8 * 8 * 3 * 15, f"a 3x5 kernel on 10x12: expected {8 * 8 * 8 * 3 * 15}, got {got}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(conv2d_macs.__module__, "written in this notebook, not imported")
    cases = [
        (1, 16, 3, 8, 1, 1, 1),
        (1, 16, 3, 8, 1, 0, 1),
        (3, 8, (3, 5), (10, 12), 1, 0, 1),
        (3, 8, 3, 32, 2, 1, 1),        # stride 2
        (3, 8, 3, 33, 2, 0, 1),        # stride 2 on an odd size: the output size is floored
        (16, 16, 3, 14, 1, 1, 16),     # depthwise: each channel on its own
        (16, 32, 1, 7, 1, 0, 1),       # pointwise
        (8, 12, 3, 9, 1, 1, 4),        # grouped
        (4, 6, (1, 3), (5, 9), (1, 2), (0, 1), 2),
        (2, 4, 5, 5, 3, 2, 1),
    ]
    for case in cases:
        check(conv2d_macs(*case), f"conv2d_macs{case}")
    check(type(conv2d_macs(3, 8, 3, 32)).__name__, "a Python int")
    for bad in [dict(groups=3), dict(kernel_size=9)]:
        arguments = dict(in_channels=4, out_channels=8, kernel_size=3, input_size=6) | bad
        check(raises(ValueError, conv2d_macs, **arguments), f"conv2d_macs({arguments}) is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Your three functions against a real model: the small CNN the course uses for 8x8 digits.
# PyTorch's own counter, `torch.utils.flop_counter` (through `support.measure.macs`, which
# halves its FLOPs: two per MAC), counts the whole forward pass. It counts the convolutions,
# which your `conv2d_macs` counts, and the final `Linear` layer, which it does not: a Linear of
# `in_features` inputs and `out_features` outputs does `in_features * out_features` MACs. So
# PyTorch's total should equal your convolutions' sum plus the Linear's, and the cell checks
# exactly that. (Neither counts the ReLUs, the pooling or the biases.)

# %%
from support.measure import macs
from support.models import cnn

model = cnn()
layers = [(m, 8 if i < 4 else 4) for i, m in enumerate(model) if isinstance(m, nn.Conv2d)]
print("parameters:", count_parameters(model))
print("bytes at 32 bits:", bytes_at_bits(count_parameters(model), 32))
print("bytes at 4 bits:", bytes_at_bits(count_parameters(model), 4))
yours = sum(conv2d_macs(m.in_channels, m.out_channels, m.kernel_size, size, m.stride, m.padding,
                        m.groups) for m, size in layers)
linear = model[-1].in_features * model[-1].out_features
counted = macs(model, torch.zeros(1, 1, 8, 8))
print(f"your convolution MACs: {yours:,}; the Linear's: {linear:,}; together {yours + linear:,}")
print(f"torch.utils.flop_counter for the whole model: {counted:,} MACs "
      f"({'they agree' if counted == yours + linear else 'they differ: check conv2d_macs'})")
