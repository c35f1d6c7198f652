# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 4: architecture design
#
# Instead of shrinking a trained network, give its layers a cheaper shape. In this exercise
# you write the pieces of the low-rank and depthwise separable chapters yourself, then design
# a small network of your own:
#
# 1. **`conv_parameters`**: the parameters of a standard convolution, as a formula (2 points);
# 2. **`separable_parameters`**: the same for a depthwise separable convolution (2 points);
# 3. **`DepthwiseSeparableConv2d`**: the depthwise separable convolution as a module
#    (3 points);
# 4. **`svd_factorize`**: a Linear layer factorised into two by its SVD (3 points);
# 5. **`break_even_rank`**: the largest rank at which factorising still saves parameters
#    (2 points);
# 6. **the challenge**: design and train a network for MNIST-1D under a budget of parameters
#    and MACs (4 points).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each part is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Write each function yourself in this notebook: the course's `support` package has its
# own versions, and the graded tests refuse them. Before you hand in, restart the kernel and
# run all cells, or run `nbgrader validate 04-architecture.ipynb` in a terminal.

# %%
from fractions import Fraction

import torch
from torch import nn
from torch.nn import functional as F

torch.set_num_threads(1)

# %% [markdown]
# ## 1. The parameters of a standard convolution
#
# A `Conv2d` with $I$ input channels, $O$ output channels and a $k_h \times k_w$ kernel has
# $O$ filters, and each filter sees every input channel: $k_h \cdot k_w \cdot I$ weights per
# filter. With a bias, each output channel adds one more number:
#
# $$ k_h \cdot k_w \cdot I \cdot O \; (+\, O \text{ biases}) $$
#
# Implement `conv_parameters(in_channels, out_channels, kernel_size, bias=True)`, the number
# of parameters of `nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)`, from the
# formula (do not build the layer). `kernel_size` is one integer $k$ (a $k \times k$ kernel)
# or a tuple of two, `(k_h, k_w)`, as `nn.Conv2d` accepts. The channel counts and each side of
# the kernel must be integers of at least 1, and `True` and `False` do not count as integers
# here (Python would take `True` for 1). Raise a `ValueError`, as every exercise of the course
# does for bad input, with a message that says what was expected:
#
# - for a value of the wrong type: a channel count or kernel side that is not an `int` (2.5,
#   `2.0`, `True`, `"3"`), or a `kernel_size` that is neither an integer nor a tuple of two
#   (`(3, 3, 3)`);
# - for an integer below 1 (0, a negative number, a kernel side of 0).

# %% solution="conv_parameters" withhold="support.factorize.conv_parameters"
def conv_parameters(in_channels: int, out_channels: int, kernel_size, bias: bool = True) -> int:
    """Parameters of nn.Conv2d(in_channels, out_channels, kernel_size, bias=bias)."""
    ### BEGIN SOLUTION
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if not isinstance(kernel, tuple) or len(kernel) != 2:
        raise ValueError(f"kernel_size must be an integer or a tuple of two, got {kernel_size!r}")
    kh, kw = kernel
    for value, what in ((in_channels, "in_channels"), (out_channels, "out_channels"),
                        (kh, "kernel height"), (kw, "kernel width")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{what} must be an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"{what} must be at least 1, got {value}")
    return kh * kw * in_channels * out_channels + (out_channels if bias else 0)
    ### END SOLUTION


# %% test="conv_parameters" points=2
# the lecture's example: 2 input channels, 4 output channels, 3x3 filters
got = conv_parameters(2, 4, 3, bias=False)
assert got == 72, f"expected 72 weights, got {got}"
got = conv_parameters(2, 4, 3)
assert got == 76, f"expected 72 weights + 4 biases = 76, got {got}"
layer = nn.Conv2d(3, 8, 5)
want = sum(p.numel() for p in layer.parameters())
assert conv_parameters(3, 8, 5) == want, f"expected {want} (PyTorch's count), got {conv_parameters(3, 8, 5)}"
try:
    conv_parameters(2, 4, 0)
except ValueError:
    pass
else:
    raise AssertionError("a kernel size of 0 must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(conv_parameters.__module__, "written in this notebook, not imported")
    check(conv_parameters(2, 4, 3, bias=False), "the lecture's example without biases")
    check(conv_parameters(2, 4, 3), "the lecture's example with biases")
    check(conv_parameters(3, 8, 5), "nn.Conv2d(3, 8, 5)")
    for case in [(1, 1, 1, True), (1, 16, 3, True), (16, 32, 3, False), (3, 64, 7, True),
                 (5, 7, (3, 5), True), (4, 6, (1, 7), False), (8, 3, (5, 2), True),
                 (64, 128, 1, False)]:
        check(conv_parameters(*case), f"conv_parameters{case}")
    check(type(conv_parameters(2, 4, (3, 3))).__name__, "a Python int")
    for bad in [(2, 4, 0), (0, 4, 3), (2, 0, 3), (-1, 4, 3), (2, 4, -3), (2, 4, (3, 0))]:
        check(raises(ValueError, conv_parameters, *bad), f"conv_parameters{bad} is refused")
    for bad in [(2, 4, 2.5), (2.0, 4, 3), (True, 4, 3), (2, True, 3), (2, 4, True),
                (2, 4, (3, True)), (2, 4, (3, 2.0)), (2, 4, "3"), (2, 4, (3, 3, 3))]:
        check(raises(ValueError, conv_parameters, *bad), f"conv_parameters{bad} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The parameters of a depthwise separable convolution
#
# A depthwise separable convolution splits the two jobs of a standard one:
#
# - the **depthwise** convolution filters each input channel on its own: one
#   $k_h \times k_w$ filter per input channel, $k_h \cdot k_w \cdot I$ weights, and **no
#   bias** (a bias here would be wasted: the pointwise layer turns any constant into another
#   constant, which its own bias already provides);
# - the **pointwise** convolution ($1 \times 1$) mixes the channels: $I \cdot O$ weights,
#   plus $O$ biases when `bias` is true.
#
# In the lecture's example (I = 2, O = 4, 3x3) that is 18 + 8 = 26 weights instead of 72, and
# the ratio of the two counts (without biases) is $\frac{1}{O} + \frac{1}{k^2}$.
#
# Implement `separable_parameters(in_channels, out_channels, kernel_size, bias=True)` from
# the formula, with the same `kernel_size` forms and the same `ValueError`s as
# `conv_parameters`.

# %% solution="separable_parameters" withhold="support.factorize.separable_parameters"
def separable_parameters(in_channels: int, out_channels: int, kernel_size,
                         bias: bool = True) -> int:
    """Parameters of a depthwise (no bias) then pointwise (bias if ``bias``) convolution."""
    ### BEGIN SOLUTION
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if not isinstance(kernel, tuple) or len(kernel) != 2:
        raise ValueError(f"kernel_size must be an integer or a tuple of two, got {kernel_size!r}")
    kh, kw = kernel
    for value, what in ((in_channels, "in_channels"), (out_channels, "out_channels"),
                        (kh, "kernel height"), (kw, "kernel width")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{what} must be an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"{what} must be at least 1, got {value}")
    return kh * kw * in_channels + in_channels * out_channels + (out_channels if bias else 0)
    ### END SOLUTION


# %% test="separable_parameters" points=2
got = separable_parameters(2, 4, 3, bias=False)
assert got == 26, f"expected 18 + 8 = 26 weights, got {got}"
ratio = Fraction(separable_parameters(16, 32, 3, bias=False), 3 * 3 * 16 * 32)
assert ratio == Fraction(1, 32) + Fraction(1, 9), f"expected 1/O + 1/k^2 = 41/288, got {ratio}"
try:
    separable_parameters(0, 4, 3)
except ValueError:
    pass
else:
    raise AssertionError("0 input channels must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(separable_parameters.__module__, "written in this notebook, not imported")
    check(separable_parameters(2, 4, 3, bias=False), "the lecture's example without biases")
    check(separable_parameters(16, 32, 3, bias=False), "16 to 32 channels, 3x3, no biases")
    check(separable_parameters(2, 4, 3), "the lecture's example with biases")
    for case in [(1, 1, 1, True), (1, 16, 3, True), (16, 32, 3, True), (32, 64, 5, False),
                 (5, 7, (3, 5), True), (4, 6, (1, 7), False), (96, 24, 3, True)]:
        check(separable_parameters(*case), f"separable_parameters{case}")
    check(type(separable_parameters(2, 4, (3, 3))).__name__, "a Python int")
    for bad in [(0, 4, 3), (2, 0, 3), (-1, 4, 3), (2, 4, 0), (2, 4, (3, 0))]:
        check(raises(ValueError, separable_parameters, *bad),
              f"separable_parameters{bad} is refused")
    for bad in [(2, 4, 2.5), (2.0, 4, 3), (True, 4, 3), (2, 4, True), (2, 4, (True, 3)),
                (2, 4, (3, 3, 3))]:
        check(raises(ValueError, separable_parameters, *bad),
              f"separable_parameters{bad} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The depthwise separable convolution as a module
#
# Now build it. `DepthwiseSeparableConv2d(in_channels, out_channels, kernel_size, stride=1,
# padding=0, bias=True)` holds two layers, under these names:
#
# - `self.depthwise`: an `nn.Conv2d` from `in_channels` to `in_channels` channels with the
#   given `kernel_size`, `stride` and `padding`, **`groups=in_channels`** (each channel gets
#   its own filter and sees only itself) and no bias;
# - `self.pointwise`: an `nn.Conv2d` from `in_channels` to `out_channels` with a 1 x 1 kernel,
#   stride 1, no padding, and a bias when `bias` is true.
#
# `forward(x)` applies the depthwise then the pointwise layer, with **nothing in between**
# (no activation, no normalisation): the module then computes a factorised convolution, as in
# the chapter. For an input (B, I, H, W) its output has the shape that
# `nn.Conv2d(in_channels, out_channels, kernel_size, stride, padding)` would give. The
# stride belongs to the depthwise layer, so that the pointwise layer works only on the
# output positions (putting it on the pointwise layer instead gives the same numbers for more
# MACs).
#
# Unlike parts 1 and 2, `kernel_size` here is one integer $k$, a square $k \times k$ kernel
# (as the signature says; the course's own module takes one integer too). The channel counts
# and `kernel_size` must be integers of at least 1, with the errors of part 1: a `ValueError`
# for what is not an `int` (2.5, `True`, a pair such as `(3, 3)`) and for an integer below 1. (`stride` and `padding` go to `nn.Conv2d` as they are.)

# %% solution="DepthwiseSeparableConv2d" withhold="support.models.DepthwiseSeparableConv2d"
class DepthwiseSeparableConv2d(nn.Module):
    """A depthwise k x k convolution (groups = in_channels, no bias), then a pointwise 1 x 1."""

    def __init__(self, in_channels: int, out_channels: int, kernel_size: int, stride: int = 1,
                 padding: int = 0, bias: bool = True):
        super().__init__()
        ### BEGIN SOLUTION
        for value, what in ((in_channels, "in_channels"), (out_channels, "out_channels"),
                            (kernel_size, "kernel_size")):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"{what} must be an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"{what} must be at least 1, got {value}")
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride,
                                   padding=padding, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)
        ### END SOLUTION

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        ### BEGIN SOLUTION
        return self.pointwise(self.depthwise(x))
        ### END SOLUTION


# %% test="DepthwiseSeparableConv2d" points=3
block = DepthwiseSeparableConv2d(2, 4, 3, padding=1, bias=False)
out = block(torch.randn(5, 2, 8, 8))
assert out.shape == (5, 4, 8, 8), f"expected (5, 4, 8, 8), got {tuple(out.shape)}"
count = sum(p.numel() for p in block.parameters())
assert count == 26, f"the lecture's example: expected 18 + 8 = 26 weights, got {count}"
assert tuple(block.depthwise.weight.shape) == (2, 1, 3, 3), \
    f"the depthwise weight should be (2, 1, 3, 3), got {tuple(block.depthwise.weight.shape)}"
with_bias = DepthwiseSeparableConv2d(2, 4, 3, stride=2, padding=1)
out = with_bias(torch.randn(5, 2, 9, 9))
assert out.shape == (5, 4, 5, 5), f"stride 2: expected (5, 4, 5, 5), got {tuple(out.shape)}"
assert sum(p.numel() for p in with_bias.parameters()) == 30, "26 weights and 4 biases"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises
    from torch.utils.flop_counter import FlopCounterMode

    def count_macs(module, x):
        counter = FlopCounterMode(display=False)
        with torch.no_grad(), counter:
            module(x)
        return counter.get_total_flops() // 2

    def parameters(module):
        return sum(p.numel() for p in module.parameters())

    check(DepthwiseSeparableConv2d.__module__, "written in this notebook, not imported")
    # the visible cases
    block = DepthwiseSeparableConv2d(2, 4, 3, padding=1, bias=False)
    with torch.no_grad():
        out = block(torch.randn(5, 2, 8, 8, generator=torch.Generator().manual_seed(0)))
    check(tuple(out.shape), "the lecture's example: the output's shape")
    check(parameters(block), "the lecture's example: its parameters")
    check(tuple(block.depthwise.weight.shape), "the lecture's example: the depthwise weight")
    block = DepthwiseSeparableConv2d(2, 4, 3, stride=2, padding=1)
    with torch.no_grad():
        out = block(torch.randn(5, 2, 9, 9, generator=torch.Generator().manual_seed(1)))
    check(tuple(out.shape), "stride 2: the output's shape")
    check(parameters(block), "stride 2: 26 weights and 4 biases")
    for case in [(1, 8, 3, 1, 1, 7), (3, 16, 3, 2, 1, 11), (8, 8, 5, 1, 2, 9), (16, 4, 1, 1, 0, 5),
                 (4, 12, 3, 2, 0, 10), (6, 3, 7, 3, 3, 13)]:
        i, o, k, stride, padding, size = case
        block = DepthwiseSeparableConv2d(i, o, k, stride=stride, padding=padding)
        check(parameters(block), f"{case}: the parameters")
        check(block.depthwise.groups, f"{case}: the depthwise layer's groups")
        check(block.depthwise.bias is None, f"{case}: the depthwise layer has no bias")
        check(tuple(block.pointwise.kernel_size), f"{case}: the pointwise layer's kernel")
        # weights of the test's own (a module's initialisation may draw them in any order),
        # then the output: the depthwise then the pointwise convolution, nothing in between
        generator = torch.Generator().manual_seed(10 + i)
        with torch.no_grad():
            block.depthwise.weight.copy_(torch.randn(i, 1, k, k, generator=generator) / k)
            block.pointwise.weight.copy_(torch.randn(o, i, 1, 1, generator=generator) / i ** 0.5)
            block.pointwise.bias.copy_(torch.randn(o, generator=generator))
            x = torch.randn(2, i, size, size, generator=generator)
            out = block(x)
        check(tuple(out.shape), f"{case}: the output's shape")
        check(out, f"{case}: depthwise then pointwise, nothing in between", atol=1e-5)
        # the stride is the depthwise layer's: the pointwise layer sees only the output positions
        check(count_macs(block, x[:1]), f"{case}: the MACs for one example")
    check(DepthwiseSeparableConv2d(4, 6, 3, bias=False).pointwise.bias is None,
          "bias=False: the pointwise layer has no bias")
    for bad in [dict(kernel_size=0), dict(in_channels=0), dict(out_channels=0),
                dict(in_channels=-2)]:
        arguments = dict(in_channels=2, out_channels=4, kernel_size=3) | bad
        check(raises(ValueError, DepthwiseSeparableConv2d, **arguments),
              f"DepthwiseSeparableConv2d({arguments}) is refused")
    for bad in [dict(kernel_size=(3, 3)), dict(kernel_size=2.5), dict(kernel_size=True),
                dict(in_channels=2.0), dict(out_channels=True)]:
        arguments = dict(in_channels=2, out_channels=4, kernel_size=3) | bad
        check(raises(ValueError, DepthwiseSeparableConv2d, **arguments),
              f"DepthwiseSeparableConv2d({arguments}) is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Factorising a Linear layer by its SVD
#
# A Linear layer with weight $W$ of shape $M \times N$ (`out_features` x `in_features`) can be
# replaced by two: `Linear(N, K, bias=False)` then `Linear(K, M)`, with no activation in
# between. The pair computes $U V x + b$ with $V$ of shape $K \times N$ and $U$ of shape
# $M \times K$, so $UV$ has rank at most $K$. The best choice comes from the singular value
# decomposition $W = \sum_i \sigma_i u_i v_i^\top$ (`torch.linalg.svd`, which returns the
# singular values largest first): keep the $K$ largest terms,
#
# $$ W_K = \sum_{i=1}^{K} \sigma_i u_i v_i^\top, $$
#
# the best rank-K approximation of $W$ (Eckart-Young): its error
# $\|W - W_K\|_F = \sqrt{\sigma_{K+1}^2 + \sigma_{K+2}^2 + \dots}$ is the smallest of any
# rank-K matrix.
#
# Implement `svd_factorize(layer, rank)`. It returns `nn.Sequential(first, second)` with
# `first = nn.Linear(N, rank, bias=False)` and `second = nn.Linear(rank, M)`, such that
# `second.weight @ first.weight` equals $W_K$ (how you share the singular values between the
# two factors is up to you). The layer's bias goes to `second`; a layer without a bias gives
# a `second` without one (`bias=False`), so that the pair holds exactly $K(M + N)$ weights
# and nothing else. Do not change `layer`. A rank that is not an `int` (2.5, `True`), or an
# integer outside 1 to $\min(M, N)$, raises a `ValueError`, as in part 1.

# %% solution="svd_factorize" withhold="support.factorize.svd_factorize"
def svd_factorize(layer: nn.Linear, rank: int) -> nn.Sequential:
    """Sequential(Linear(N, rank, bias=False), Linear(rank, M)) whose product is the best
    rank-``rank`` approximation of layer.weight (M, N); the bias goes to the second."""
    ### BEGIN SOLUTION
    m, n = layer.weight.shape
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise ValueError(f"rank must be an integer, got {rank!r}")
    if not 1 <= rank <= min(m, n):
        raise ValueError(f"rank must be in [1, {min(m, n)}], got {rank}")
    u, s, vh = torch.linalg.svd(layer.weight.detach(), full_matrices=False)
    root = s[:rank].sqrt()
    first = nn.Linear(n, rank, bias=False)
    second = nn.Linear(rank, m, bias=layer.bias is not None)
    with torch.no_grad():
        first.weight.copy_(root[:, None] * vh[:rank])
        second.weight.copy_(u[:, :rank] * root)
        if layer.bias is not None:
            second.bias.copy_(layer.bias)
    return nn.Sequential(first, second)
    ### END SOLUTION


# %% test="svd_factorize" points=3
torch.manual_seed(0)
layer = nn.Linear(6, 4)
pair = svd_factorize(layer, 2)
first, second = pair
assert tuple(first.weight.shape) == (2, 6), f"first.weight: expected (2, 6), got {tuple(first.weight.shape)}"
assert tuple(second.weight.shape) == (4, 2), f"second.weight: expected (4, 2), got {tuple(second.weight.shape)}"
assert first.bias is None, "the first layer has no bias"
assert torch.equal(second.bias, layer.bias), "the second layer takes the layer's bias"
x = torch.randn(10, 6)
full = svd_factorize(layer, 4)
assert torch.allclose(full(x), layer(x), atol=1e-5), "at full rank the pair computes the layer"
try:
    svd_factorize(layer, 0)
except ValueError:
    pass
else:
    raise AssertionError("rank 0 must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(svd_factorize.__module__, "written in this notebook, not imported")
    # the visible cases
    torch.manual_seed(0)
    layer = nn.Linear(6, 4)
    first, second = svd_factorize(layer, 2)
    check(tuple(first.weight.shape), "6 to 4 at rank 2: first.weight's shape")
    check(tuple(second.weight.shape), "6 to 4 at rank 2: second.weight's shape")
    check(first.bias is None, "the first layer has no bias")
    check(second.bias.detach(), "the second layer takes the layer's bias", rtol=0, atol=0)
    full = svd_factorize(layer, 4)
    with torch.no_grad():
        check(full(torch.randn(10, 6, generator=torch.Generator().manual_seed(0))),
              "at full rank the pair computes the layer", atol=1e-5)
    generator = torch.Generator().manual_seed(1)
    for case in [(30, 20, 1, True), (30, 20, 5, True), (20, 30, 7, False), (12, 12, 6, True),
                 (50, 8, 3, False), (9, 40, 9, True)]:
        m, n, k, bias = case
        layer = nn.Linear(n, m, bias=bias)
        with torch.no_grad():
            layer.weight.copy_(torch.randn(m, n, generator=generator))
            if bias:
                layer.bias.copy_(torch.randn(m, generator=generator))
        before = layer.weight.detach().clone()
        pair = svd_factorize(layer, k)
        check(isinstance(pair, nn.Sequential), f"{case}: an nn.Sequential")
        check(len(pair), f"{case}: of two layers")
        first, second = pair
        check(isinstance(first, nn.Linear) and isinstance(second, nn.Linear),
              f"{case}: two nn.Linear")
        check(first.bias is None, f"{case}: the first layer has no bias")
        check(second.bias is None, f"{case}: a bias exactly when the layer has one")
        check(sum(p.numel() for p in pair.parameters()), f"{case}: the parameters")
        product = (second.weight @ first.weight).detach()
        check(product, f"{case}: the product is the truncated SVD", atol=1e-4)
        # Eckart-Young: the error is the size of the singular values left out
        check(torch.linalg.matrix_norm(before - product).item(), f"{case}: the Frobenius error",
              rtol=0, atol=1e-3)
        check(torch.linalg.matrix_norm(before - product, ord=2).item(),
              f"{case}: the spectral error", rtol=0, atol=1e-3)
        x = torch.randn(5, n, generator=generator)
        with torch.no_grad():
            check(pair(x), f"{case}: the pair computes W_K x + b", atol=1e-4)
        check({name: value.detach().clone() for name, value in layer.state_dict().items()},
              f"{case}: the layer must not change", rtol=0, atol=0)
    for bad in (0, -1, 7):
        check(raises(ValueError, svd_factorize, nn.Linear(6, 4), bad),
              f"rank {bad!r} is refused for a 4x6 layer")
    for bad in (2.5, 2.0, True):
        check(raises(ValueError, svd_factorize, nn.Linear(6, 4), bad),
              f"rank {bad!r} is refused for a 4x6 layer")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 5. When does factorising stop paying?
#
# The pair holds $K(M + N)$ weights and the layer $M N$. Implement
# `break_even_rank(in_features, out_features)`: the **largest** rank $K$ at which the pair
# has **strictly fewer** weights than the layer, $K(M + N) < M N$, or 0 if not even rank 1
# does (biases are the same on both sides and do not count). Careful: when $MN / (M + N)$ is
# a whole number, at that rank the two are equal, which saves nothing. A size that is not an
# `int` (2.5, `True`), or an integer below 1, raises a `ValueError`, as in part 1.

# %% solution="break_even_rank" withhold="support.factorize.break_even_rank"
def break_even_rank(in_features: int, out_features: int) -> int:
    """The largest K with K * (in + out) < in * out, or 0 if there is none."""
    ### BEGIN SOLUTION
    for value, what in ((in_features, "in_features"), (out_features, "out_features")):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{what} must be an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"{what} must be at least 1, got {value}")
    return (in_features * out_features - 1) // (in_features + out_features)
    ### END SOLUTION


# %% test="break_even_rank" points=2
got = break_even_rank(64, 300)
assert got == 52, f"the MLP's first layer (300 x 64): 19200 / 364 = 52.7, expected 52, got {got}"
got = break_even_rank(784, 300)
assert got == 216, f"LeNet-300-100's first layer: expected 216, got {got}"
k = break_even_rank(1000, 500)
assert k * 1500 < 500_000 <= (k + 1) * 1500, f"{k} is not the largest rank that saves"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(break_even_rank.__module__, "written in this notebook, not imported")
    for n, m in [(64, 300), (784, 300), (1000, 500), (300, 100), (100, 300), (4, 4), (2, 2),
                 (1, 10), (10, 1), (6, 3), (3, 6), (12, 4), (1, 1)]:
        check(break_even_rank(n, m), f"break_even_rank({n}, {m})")
    grid = [break_even_rank(n, m) for n in range(1, 40) for m in range(1, 40)]
    check(sorted({type(k).__name__ for k in grid}), "Python ints")
    check(grid, "break_even_rank(n, m) for n and m from 1 to 39")
    for bad in [(0, 5), (5, 0), (-3, 5)]:
        check(raises(ValueError, break_even_rank, *bad), f"break_even_rank{bad} is refused")
    for bad in [(2.5, 5), (5, 3.0), (True, 5)]:
        check(raises(ValueError, break_even_rank, *bad), f"break_even_rank{bad} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The challenge: a network under a budget
#
# Design a network for MNIST-1D (signals of shape (1, 40), 10 classes) and train it, here in
# the notebook, under a budget (the next cell sets the numbers and prints them):
#
# - at most **`MAX_PARAMETERS`** parameters (every parameter of the model, batch
#   normalisation included), and
# - at most **`MAX_MACS`** multiply-accumulates for one example, as
#   `support.measure.macs(model, torch.zeros(1, 1, 40))` counts them (PyTorch's
#   `flop_counter`: matrix products and convolutions; activations, pooling and normalisation
#   are free).
#
# For scale, the next cell also counts the course's 1-D CNN (`support.models.cnn1d`): the
# budget is a fraction of it. It trains that CNN as exercise 3 does (trained once, then
# loaded) and prints its test accuracy.
#
# Put your trained network in a variable named **`model`**: an `nn.Sequential` of PyTorch's
# own layers, one after the other (`nn.Conv1d`, `nn.Linear`, `nn.BatchNorm1d`, `nn.ReLU`,
# `nn.GELU`, `nn.Tanh`, `nn.Sigmoid`, `nn.MaxPool1d`, `nn.AvgPool1d`, `nn.AdaptiveAvgPool1d`,
# `nn.Flatten`, `nn.Dropout`, `nn.Identity`), that maps a batch (B, 1, 40) to logits (B, 10)
# on the CPU. The hidden test sends its layers and weights to the grader, which builds it
# again and measures, in its own process, its parameters and MACs, then its accuracy on
# MNIST-1D examples that this notebook never loads (generated by the same code with a seed
# you do not know). Points:
#
# - over the budget, or not a working model: 0;
# - at least **`SIMPLE`** accuracy on the hidden examples: 2 points (a small MLP under the
#   budget does not reach it: it takes some design);
# - at least **`STRONG`**: 4 points.
#
# Keep the training short: a few seconds on one CPU thread (the grader re-runs this notebook,
# and gives it 2 minutes per cell). Ideas from the chapters: depthwise separable
# convolutions (`nn.Conv1d(c, c, k, groups=c)` then `nn.Conv1d(c, c_out, 1)`), strides
# instead of pooling, batch normalisation, a learning rate tried on the validation split.

# %%
from support import cache, data, models
from support.measure import count_parameters, macs
from support.train import evaluate, fit

MAX_PARAMETERS, MAX_MACS = 4_000, 20_000
SIMPLE, STRONG = 0.60, 0.80
splits = data.mnist1d()
one_example = torch.zeros(1, 1, 40)
REFERENCE_RECIPE = [dict(epochs=10, lr=1e-2, seed=0), dict(epochs=3, lr=1e-3, seed=1)]  # exercise 3's
reference = models.for_data("cnn1d", splits, seed=0)
for step in REFERENCE_RECIPE:
    cache.fit(reference, splits, progress=False, **step)       # trained once, then loaded
print(splits)
print(f"budget: {MAX_PARAMETERS:,} parameters and {MAX_MACS:,} MACs per example; the course's "
      f"1-D CNN has {count_parameters(reference):,} parameters and "
      f"{macs(reference, one_example):,} MACs, and reaches {evaluate(reference, splits):.1%} test "
      f"accuracy after {sum(step['epochs'] for step in REFERENCE_RECIPE)} epochs of Adam")
print(f"points: 2 from {SIMPLE:.0%} accuracy on the hidden examples, 4 from {STRONG:.0%}")

# %% solution="challenge"
# Define your network as `model` and train it (with support.train.fit, or support.cache.fit,
# which keeps what a training gave and loads it the next time, or a loop of your own).
### BEGIN SOLUTION
def separable(c_in, c_out, k=5, stride=2):
    """Depthwise (with a stride) then pointwise, each followed by batch norm and ReLU."""
    return [nn.Conv1d(c_in, c_in, k, stride=stride, padding=k // 2, groups=c_in, bias=False),
            nn.BatchNorm1d(c_in), nn.ReLU(),
            nn.Conv1d(c_in, c_out, 1, bias=False), nn.BatchNorm1d(c_out), nn.ReLU()]


torch.manual_seed(0)
model = nn.Sequential(
    nn.Conv1d(1, 16, 5, stride=2, padding=2), nn.BatchNorm1d(16), nn.ReLU(),   # 40 -> 20
    *separable(16, 24),                                                          # 20 -> 10
    *separable(24, 24),                                                          # 10 -> 5
    nn.Flatten(), nn.Linear(24 * 5, 10),
)
cache.fit(model, splits, epochs=20, lr=1e-2, seed=0, progress=False)
### END SOLUTION

# %% test="challenge" points=4
LAYERS = ("Conv1d", "Linear", "BatchNorm1d", "ReLU", "GELU", "Tanh", "Sigmoid", "MaxPool1d",
          "AvgPool1d", "AdaptiveAvgPool1d", "Flatten", "Dropout", "Identity")
assert type(model) is nn.Sequential, \
    f"put your trained network in a variable named model, an nn.Sequential, got {type(model).__name__}"
assert all(type(layer) is getattr(nn, type(layer).__name__, None) and type(layer).__name__ in LAYERS
           for layer in model), f"the layers may be PyTorch's {', '.join(LAYERS)}, got {model}"
model = model.cpu().eval()
n_parameters, n_macs = count_parameters(model), macs(model, one_example)
print(f"your model: {n_parameters:,} parameters, {n_macs:,} MACs per example")
assert n_parameters <= MAX_PARAMETERS, \
    f"over the budget: {n_parameters:,} parameters, at most {MAX_PARAMETERS:,} allowed"
assert n_macs <= MAX_MACS, f"over the budget: {n_macs:,} MACs, at most {MAX_MACS:,} allowed"
with torch.no_grad():
    assert model(splits.x_test[:3]).shape == (3, 10), "the model must output (B, 10) logits"
print(f"accuracy on this notebook's test split: {evaluate(model, splits):.1%}")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader measures what it sends, on examples this kernel never sees
    from grader.probe import check, sequential

    check(sequential(model), "your network", judge="network_on_hidden_examples")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Your functions on real layers. The MLP of the course, trained briefly on the 8x8 digits,
# has both hidden layers factorised by your `svd_factorize` at several ranks (no
# fine-tuning): the accuracy should climb back to the dense one as the rank grows, and the
# break-even ranks say where the pair stops being smaller. Then your separable module beside
# a standard convolution: the ratio of their MACs should be $1/O + 1/k^2$.

# %%
digits = data.digits()
mlp = models.for_data("mlp", digits, seed=0)
cache.fit(mlp, digits, epochs=10, lr=2e-3, seed=0, progress=False)   # trained once, then loaded
print(f"dense MLP: {count_parameters(mlp):,} parameters, accuracy {evaluate(mlp, digits):.3f}")
print("break-even ranks of the hidden layers:",
      [break_even_rank(mlp[i].in_features, mlp[i].out_features) for i in (1, 3)])
for rank in (2, 8, 32):
    small = nn.Sequential(*[svd_factorize(layer, rank) if i in (1, 3) else layer
                            for i, layer in enumerate(mlp)])
    print(f"rank {rank:2d}: {count_parameters(small):,} parameters, "
          f"accuracy {evaluate(small, digits):.3f}")
x = torch.zeros(1, 32, 14, 14)
ours = DepthwiseSeparableConv2d(32, 64, 3, padding=1)
ratio = Fraction(macs(ours, x), macs(nn.Conv2d(32, 64, 3, padding=1), x))
print(f"MACs, separable / standard: {ratio} (1/O + 1/k^2 = {Fraction(1, 64) + Fraction(1, 9)}); "
      f"parameters: {separable_parameters(32, 64, 3)} against {conv_parameters(32, 64, 3)}")
