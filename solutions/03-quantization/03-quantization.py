# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 3: parameter quantization
#
# A weight needs far fewer than 32 bits. In this exercise you write the three ideas of the
# quantization chapters yourself: fewer bits per value, weight clustering, and Huffman coding
# of what is left. Then you use them, and anything else from the course, to compress a
# trained network as far as you can.
#
# 1. **`scale_zero_point`**: the scale and zero point of uniform quantization (2 points);
# 2. **`quantize`** and **`dequantize`**: real numbers to integers of a few bits and back
#    (2 points);
# 3. **`kmeans`**: weight clustering, as Deep Compression initialises it (3 points);
# 4. **`huffman_code`**: an optimal prefix-free code from symbol counts (3 points);
# 5. **`encode`** and **`decode`**: a list of symbols to packed bits and back, bit-exactly
#    (2 points);
# 6. **`layer_bits`**: the size of a pruned and clustered layer in a stated format (2 points);
# 7. **the challenge**: `compress` and `decompress` a trained model into as few bytes as you
#    can (2 points for a simple level, 2 more for a strong one).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each function is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Before you hand in, restart the kernel and run all cells, or run
# `nbgrader validate 03-quantization.ipynb` in a terminal.
#
# **Write parts 1 to 6 yourself.** The course's package `support` holds its own versions of
# several of these functions (`support.quantize`, `support.huffman`); while your notebook is
# graded they are withheld from it, so an answer that calls them scores zero. In the
# challenge (part 7) you may use anything else, `support` included: your own functions of
# parts 1 to 6 in place of the withheld ones, and `support`'s others (`share_weights`,
# `quantize_weights`, `support.codec`...), which may use them.

# %%
import heapq
import math
from collections import Counter

import torch

torch.set_num_threads(1)   # the networks here are tiny: one thread runs them fastest

# %% [markdown]
# ## 1. Scale and zero point
#
# Uniform (affine) quantization stores a real number $x$ as an integer $q$ of $b$ bits, and
# reads it back as $\hat{x}$:
#
# $$q = \mathrm{clamp}\left(\mathrm{round}(x / s) + z,\ q_\min,\ q_\max\right), \qquad
#   \hat{x} = (q - z) \cdot s$$
#
# The *scale* $s > 0$ is the step between two neighbouring values, and the *zero point* $z$ is
# the integer that stands for the real number 0. Both come from the range $[x_\min, x_\max]$
# the values are expected in (for a weight tensor: its own minimum and maximum), in one of two
# ways:
#
# - **asymmetric**: the integers $[0,\ 2^b - 1]$ (8 bits: 0 to 255), and
#   $s = (x_\max - x_\min) / (q_\max - q_\min)$, $z = q_\min - \mathrm{round}(x_\min / s)$;
# - **symmetric**: the integers $[-(2^{b-1} - 1),\ 2^{b-1} - 1]$ (8 bits: -127 to 127, the
#   same number of values on each side), and $s = \max(|x_\min|, |x_\max|) / q_\max$, $z = 0$.
#   At one bit this range holds only 0, so symmetric quantization needs at least 2 bits.
#
# Two rules make it safe to use:
#
# - **the range is first widened to include 0**: use $x_\min \leftarrow \min(x_\min, 0)$ and
#   $x_\max \leftarrow \max(x_\max, 0)$ in the formulas. Then 0 (a pruned weight, a ReLU
#   output) is stored exactly. For example $[0.5, 2]$ at 8 bits becomes $[0, 2]$: $s = 2/255$,
#   $z = 0$.
# - **a range of zero width** (after widening, only $[0, 0]$: a tensor of zeros) would give
#   $s = 0$: use $s = 1$ instead (the zero point then follows from the formula: 0).
#
# `round` is Python's `round` (or `torch.round`): halves go to the even neighbour.
#
# **Compute with Python's own numbers** (its `float` is 64-bit), not with float32 tensors:
# float32 holds every integer only up to $2^{24}$, so at 32 bits it cannot even hold
# $q_\max = 2^{32} - 1$, and the zero point would come out different.
#
# Implement `scale_zero_point(x_min, x_max, bits, symmetric=False)`: `x_min` and `x_max` are
# Python numbers; return `(scale, zero_point)` as a Python `float` and `int`. Raise a
# `ValueError` that says what was expected when
#
# - `bits` is not an integer from 1 to 32 (from 2 to 32 when `symmetric`): `0`, `33`, `8.0`
#   (a float, even a whole one), `True`, `"8"` and `None` are all refused;
# - `x_min > x_max`, or either of them is not finite (NaN or infinite).

# %% solution="scale_zero_point" withhold="support.quantize.scale_zero_point"
def scale_zero_point(x_min, x_max, bits, symmetric=False):
    """(scale, zero_point) mapping [x_min, x_max], widened to include 0, onto the integers
    of ``bits`` bits."""
    ### BEGIN SOLUTION
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not (math.isfinite(x_min) and math.isfinite(x_max)):
        raise ValueError(f"x_min and x_max must be finite, got {x_min} and {x_max}")
    if x_min > x_max:
        raise ValueError(f"need x_min <= x_max, got {x_min} > {x_max}")
    lo, hi = min(x_min, 0.0), max(x_max, 0.0)
    if symmetric:
        qmax = 2 ** (bits - 1) - 1
        scale = max(-lo, hi) / qmax
        return (scale if scale > 0 else 1.0), 0
    qmin, qmax = 0, 2 ** bits - 1
    scale = (hi - lo) / (qmax - qmin)
    scale = scale if scale > 0 else 1.0
    return scale, int(qmin - round(lo / scale))
    ### END SOLUTION


# %% test="scale_zero_point" points=2
scale, zero_point = scale_zero_point(-1.0, 3.0, 2)        # 2 bits: the integers 0, 1, 2, 3
scale, zero_point = float(scale), int(zero_point)
assert math.isclose(scale, 4 / 3, rel_tol=1e-6) and zero_point == 1, \
    f"expected (4/3, 1), got ({scale}, {zero_point})"
scale, zero_point = scale_zero_point(-3.0, 1.0, 4, symmetric=True)   # -7 ... 7
scale, zero_point = float(scale), int(zero_point)
assert math.isclose(scale, 3 / 7, rel_tol=1e-6) and zero_point == 0, \
    f"expected (3/7, 0), got ({scale}, {zero_point})"
try:
    scale_zero_point(-1.0, 1.0, 0)
except ValueError:
    pass
else:
    raise AssertionError("0 bits must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    def pair(got):
        return float(got[0]), int(got[1])

    check(getattr(scale_zero_point, "__module__", None), "written in this notebook, not imported")
    # the visible cases, then by hand: the range widened to include 0, a range of zero width
    for args in [(-1.0, 3.0, 2), (-3.0, 1.0, 4, True), (0.5, 2.0, 8), (-2.0, -0.5, 8), (-1, 3, 2),
                 (0.0, 0.0, 8), (0, 0, 4, True), (3.0, 3.0, 1), (-6.0, 2.0, 3, True),
                 (-0.1, 0.2, 2, True)]:
        check(pair(scale_zero_point(*args)), f"scale_zero_point{args}", rtol=1e-6, atol=0.0)
    for symmetric in (False, True):   # 32 bits: Python's floats, as the text says
        check(pair(scale_zero_point(-5.0, 7.0, 32, symmetric)),
              f"32 bits, symmetric={symmetric}", rtol=1e-6, atol=0.0)
    check(pair(scale_zero_point(-0.3, 1e-3, 32)), "32 bits, a zero point near 2^32", rtol=1e-6, atol=0.0)
    # ranges of every kind
    generator = torch.Generator().manual_seed(3)
    for _ in range(40):
        x_min, x_max = sorted((torch.randn(2, generator=generator) * 2).tolist())
        for bits in (2, 3, 4, 6, 8):
            for symmetric in (False, True):
                check(pair(scale_zero_point(x_min, x_max, bits, symmetric)),
                      f"scale_zero_point({x_min}, {x_max}, {bits}, {symmetric})", rtol=1e-5, atol=0.0)
    for args in [(-1.0, 1.0, 0), (-1.0, 1.0, 33), (-1.0, 1.0, 8.0), (-1.0, 1.0, True),
                 (-1.0, 1.0, "8"), (-1.0, 1.0, None), (-1.0, 1.0, -3), (-1.0, 1.0, 1, True),
                 (2.0, 1.0, 8), (float("nan"), 1.0, 8), (-1.0, float("inf"), 8),
                 (-float("inf"), 1.0, 8, True)]:
        check(raises(ValueError, scale_zero_point, *args), f"scale_zero_point{args} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 2. Quantize and dequantize
#
# With a scale and a zero point, a tensor goes to integers and back:
#
# - `quantize(x, scale, zero_point, bits, symmetric=False)`: `x` is a float tensor of any
#   shape; return the int64 tensor of its shape
#   $q = \mathrm{clamp}(\mathrm{round}(x / s) + z,\ q_\min,\ q_\max)$, with the integer range
#   of part 1 for `bits` and `symmetric`. Work in float64, as part 1 does: divide
#   `x.double()` by the scale (do not multiply by its inverse, which rounds differently), round
#   with `torch.round` (halves to even: 0.5 → 0, 1.5 → 2, 2.5 → 2, -0.5 → 0), add the zero
#   point, then **clamp**: a value beyond the range saturates at $q_\min$ or $q_\max$ instead
#   of wrapping around or overflowing. Only then convert to int64. (In float32 the integers
#   above $2^{24}$ are not all there: at 32 bits $q_\max = 2^{32} - 1$ would round to $2^{32}$,
#   outside the range, and the values near it would move.) Leave `x` unchanged.
# - `dequantize(q, scale, zero_point)`: the float32 tensor $(q - z) \cdot s$, `q`'s shape:
#   subtract the zero point from the int64 `q` first, while both are exact, then convert to
#   float32 and multiply by the scale. (The tests allow for float32's rounding of the result,
#   so the order of the last two steps does not matter.)
#
# `scale` and `zero_point` are Python numbers, as `scale_zero_point` returns them. For a value
# inside the range the scale was made for, $\hat{x}$ is the nearest representable value, off by
# at most half a step, $s / 2$.
#
# Raise a `ValueError` for a `bits` the rules of part 1 refuse, and for a `scale` that is not
# above 0.

# %% solution="quantize_dequantize" withhold="support.quantize.quantize support.quantize.dequantize"
def quantize(x, scale, zero_point, bits, symmetric=False):
    """int64 tensor of x's shape: clamp(round(x / scale) + zero_point, qmin, qmax)."""
    ### BEGIN SOLUTION
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not scale > 0:
        raise ValueError(f"scale must be above 0, got {scale!r}")
    if symmetric:
        qmin, qmax = -(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1
    else:
        qmin, qmax = 0, 2 ** bits - 1
    q = torch.round(x.double() / scale) + zero_point     # float64: every integer of 32 bits
    return q.clamp(qmin, qmax).to(torch.int64)
    ### END SOLUTION


def dequantize(q, scale, zero_point):
    """float32 tensor of q's shape: (q - zero_point) * scale."""
    ### BEGIN SOLUTION
    return (q - zero_point).to(torch.float32) * scale
    ### END SOLUTION


# %% test="quantize_dequantize" points=2
x = torch.tensor([-1.0, -0.5, 0.0, 0.25, 1.0])
q = quantize(x, 0.25, 4, 4)               # 4 bits asymmetric: the integers 0 ... 15
assert q.dtype == torch.int64, f"expected int64, got {q.dtype}"
assert q.tolist() == [0, 2, 4, 5, 8], f"expected [0, 2, 4, 5, 8], got {q.tolist()}"
back = dequantize(q, 0.25, 4)
assert back.dtype == torch.float32, f"expected float32, got {back.dtype}"
assert back.tolist() == x.tolist(), f"expected {x.tolist()}, got {back.tolist()}"
q = quantize(torch.tensor([[0.5, -0.5], [0.0, 1.0]]), 0.5, 0, 8, symmetric=True)
assert q.tolist() == [[1, -1], [0, 2]], f"expected [[1, -1], [0, 2]], got {q.tolist()}"
try:
    quantize(x, 0.25, 4, 0)
except ValueError:
    pass
else:
    raise AssertionError("0 bits must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    for fn in (quantize, dequantize):
        check(getattr(fn, "__module__", None), "written in this notebook, not imported")

    def both(x, scale, zero_point, bits, symmetric=False, what=""):
        q = quantize(x, scale, zero_point, bits, symmetric)
        check(str(q.dtype), f"{what}: int64")
        check(q, f"{what}: quantize")
        back = dequantize(q, scale, zero_point)
        check(str(back.dtype), f"{what}: float32")
        check(back, f"{what}: dequantize", rtol=1e-5, atol=1e-8)
        return back

    # the visible cases
    x = torch.tensor([-1.0, -0.5, 0.0, 0.25, 1.0])
    both(x, 0.25, 4, 4, what="4 bits asymmetric")
    both(torch.tensor([[0.5, -0.5], [0.0, 1.0]]), 0.5, 0, 8, True, what="8 bits symmetric")
    # halves go to the even neighbour
    halves = torch.tensor([0.5, 1.5, 2.5, 3.5, -0.5, -1.5, -2.5])
    check(quantize(halves, 1.0, 0, 4, symmetric=True).tolist(), "torch.round sends halves to even")
    check(quantize(torch.tensor([0.125, 0.375, -0.125]), 0.25, 3, 3).tolist(), "halves, asymmetric")
    # values beyond the range saturate
    far = torch.tensor([1000.0, -1000.0, 1e9, -1e9])
    for bits, symmetric in [(8, False), (8, True), (2, False), (3, True)]:
        check(quantize(far, 0.5, 0 if symmetric else 1, bits, symmetric).tolist(),
              f"values beyond the range are clamped: {bits} bits, symmetric={symmetric}")
    # real ranges; the error stays within half a step
    generator = torch.Generator().manual_seed(4)
    for shape in [(7,), (16, 9), (4, 3, 5)]:
        for bits in (2, 3, 4, 8):
            for symmetric in (False, True):
                x = torch.randn(*shape, generator=generator) * 3 + 0.5
                lo, hi = min(x.min().item(), 0.0), max(x.max().item(), 0.0)
                if symmetric:
                    scale, zero_point = max(-lo, hi) / (2 ** (bits - 1) - 1), 0
                else:
                    scale = (hi - lo) / (2 ** bits - 1)
                    zero_point = int(-round(lo / scale))
                what = f"shape {shape}, {bits} bits, symmetric={symmetric}"
                back = both(x, scale, zero_point, bits, symmetric, what=what)
                check(bool((back - x).abs().max().item() <= scale / 2 + 1e-5),
                      f"{what}: the error is within half a step")
    check(x, "quantize does not change its input")
    # 32 bits: the integers reach 2^32 - 1, which float32 cannot hold (float64, as the text says)
    x = torch.tensor([-5.0, -1.0, 0.0, 1e-3, 3.3, 6.999, 7.0, 8.0])
    for symmetric in (False, True):
        if symmetric:
            scale, zero_point = 7.0 / (2 ** 31 - 1), 0
        else:
            scale = 12.0 / (2 ** 32 - 1)
            zero_point = int(-round(-5.0 / scale))
        both(x, scale, zero_point, 32, symmetric, what=f"32 bits, symmetric={symmetric}")
    for args in [(x, 0.25, 4, 0), (halves, 1.0, 0, 33), (halves, 1.0, 0, 4.0),
                 (halves, 1.0, 0, True), (halves, 1.0, 0, 1, True), (halves, 0.0, 0, 8),
                 (halves, -0.5, 0, 8)]:
        check(raises(ValueError, quantize, *args),
              f"quantize(..., scale={args[1]}, bits={args[3]!r}"
              f"{', symmetric=True' if len(args) > 4 else ''}) is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 3. Weight clustering with k-means
#
# Uniform quantization spaces its values evenly. *Weight clustering* (Han et al., Deep
# Compression, 2016) lets the data choose them: the weights of a layer are grouped into $k$
# clusters, each weight is replaced by its cluster's centroid, and the layer is stored as a
# *codebook* of $k$ floats plus one small *index* per weight. The clusters come from k-means
# on the weights' values (a one-dimensional problem), by Lloyd's algorithm:
#
# 1. **Linear initialisation**: the $k$ initial centroids are spread evenly from the smallest
#    to the largest value, `torch.linspace(values.min(), values.max(), k)` (for $k = 1$, the
#    smallest value). Deep Compression found this better than random or density-based
#    starts: the rare large weights, which matter most, get centroids of their own.
# 2. **Assign** every value to its nearest centroid (smallest $|v - c|$). **Ties:** a value
#    exactly halfway between two centroids goes to the one with the **lower index**
#    (`torch.argmin` returns the first minimum).
# 3. **Update** every centroid to the mean of the values assigned to it. **An empty cluster**
#    (no value assigned) **keeps its centroid** unchanged.
# 4. **Assign** again. If no assignment changed, stop. Otherwise repeat from step 3; stop in
#    any case after `iterations` updates.
#
# In code: initialise, assign, then up to `iterations` times: update, assign, stop if nothing
# changed. With `iterations=0` the result is the linear centroids and the nearest of them for
# every value. Every value always ends assigned to its nearest returned centroid, and the
# centroids come out in ascending order.
#
# **Precision.** Convert `values` to float32 first (a float64 or float16 tensor too), and work
# in float32, except for the means: add up each cluster's values in float64, divide by the
# count there, and round the mean to float32 only then. (Summed in float32, a mean depends on
# the order of the additions: $2^{24} + 1$ is $2^{24}$ in float32, so a large value added first
# swallows the small ones after it. And which of two centroids a value almost halfway between
# them is nearest depends on the centroids' last bits.) Leave `values` unchanged.
#
# Implement `kmeans(values, clusters, iterations=30)`: `values` is a 1-D float tensor of $n$
# values; return `(centroids, indices)`: a float32 tensor of shape `(clusters,)` and an int64
# tensor of shape `(n,)` (`indices[i]` is the cluster of `values[i]`). Raise a `ValueError`
# when `values` is not a 1-D floating-point tensor or is empty, when `clusters` is not an
# integer from 1 to $n$ (`0`, `n + 1`, `2.0` and `True` are refused), or when `iterations` is
# not an integer of at least 0.

# %% solution="kmeans" withhold="support.quantize.kmeans"
def kmeans(values, clusters, iterations=30):
    """1-D k-means with linear initialisation: (centroids (clusters,), indices (n,))."""
    ### BEGIN SOLUTION
    if not isinstance(values, torch.Tensor) or not values.is_floating_point() or values.ndim != 1:
        raise ValueError(f"values must be a 1-D float tensor, got "
                         f"{getattr(values, 'shape', type(values).__name__)}")
    n = values.numel()
    if n == 0:
        raise ValueError("cannot cluster an empty tensor")
    if isinstance(clusters, bool) or not isinstance(clusters, int) or not 1 <= clusters <= n:
        raise ValueError(f"clusters must be an integer in [1, {n}], got {clusters!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations must be an integer >= 0, got {iterations!r}")
    values = values.detach().float()
    centroids = torch.linspace(values.min().item(), values.max().item(), clusters)

    def nearest(centroids):                 # ties: argmin takes the first, the lower index
        return (values[:, None] - centroids[None, :]).abs().argmin(dim=1)

    indices = nearest(centroids)
    for _ in range(iterations):
        counts = torch.bincount(indices, minlength=clusters)
        sums = torch.zeros(clusters, dtype=torch.float64).index_add_(0, indices, values.double())
        means = (sums / counts.clamp(min=1)).float()               # summed in float64
        centroids = torch.where(counts > 0, means, centroids)      # an empty cluster stays put
        changed = nearest(centroids)
        if torch.equal(changed, indices):
            break
        indices = changed
    return centroids, indices
    ### END SOLUTION


# %% test="kmeans" points=3
values = torch.tensor([-1.0, -1.1, -0.9, 2.0, 2.1, 1.9, 5.0, 5.1, 4.9])
centroids, indices = kmeans(values, 3)
assert centroids.shape == (3,) and centroids.dtype == torch.float32, \
    f"expected float32 centroids of shape (3,), got {centroids.dtype} {tuple(centroids.shape)}"
assert indices.shape == (9,) and indices.dtype == torch.int64, \
    f"expected int64 indices of shape (9,), got {indices.dtype} {tuple(indices.shape)}"
assert torch.allclose(centroids, torch.tensor([-1.0, 2.0, 5.0]), atol=1e-5), \
    f"expected the three group means [-1, 2, 5], got {centroids.tolist()}"
assert indices.tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2], f"got {indices.tolist()}"
centroids, indices = kmeans(values, 1)
assert torch.allclose(centroids, values.mean().reshape(1)), \
    f"one cluster: expected the mean {values.mean().item()}, got {centroids.tolist()}"
try:
    kmeans(values, 10)
except ValueError:
    pass
else:
    raise AssertionError("10 clusters for 9 values must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(getattr(kmeans, "__module__", None), "written in this notebook, not imported")

    def same(values, clusters, iterations, what):
        centroids, indices = kmeans(values, clusters, iterations=iterations)
        check((str(centroids.dtype), str(indices.dtype)), f"{what}: float32 and int64")
        check(centroids, f"{what}: the centroids", rtol=1e-5, atol=1e-5)
        check(indices, f"{what}: the indices")

    # the visible cases
    values = torch.tensor([-1.0, -1.1, -0.9, 2.0, 2.1, 1.9, 5.0, 5.1, 4.9])
    same(values, 3, 30, "three groups")
    same(values, 1, 30, "one cluster")
    # linear initialisation: iterations=0 stops right after the first assignment
    same(torch.tensor([0.0, 1.0, 2.0, 3.0, 10.0]), 3, 0, "torch.linspace(min, max, k), no iterations")
    same(torch.tensor([0.0, 1.0, 2.0]), 2, 30, "a value halfway goes to the lower index")
    same(torch.tensor([0.0, 0.0, 0.0, 9.0]), 3, 30, "an empty cluster keeps its centroid")
    same(torch.full((5,), 2.0), 3, 30, "equal values")
    # weights with a few large outliers: linear initialisation gives them centroids of their own
    generator = torch.Generator().manual_seed(5)
    weights = torch.cat([0.05 * torch.randn(400, generator=generator), torch.tensor([0.9, -0.8, 1.1, 0.7])])
    weights = weights[torch.randperm(len(weights), generator=generator)]
    for clusters in (4, 8, 16):
        same(weights, clusters, 30, f"outliers, {clusters} clusters")
    for clusters, iterations in [(2, 30), (5, 1), (5, 2), (16, 0), (32, 30)]:
        same(torch.randn(300, generator=generator), clusters, iterations,
             f"300 normal values, {clusters} clusters, {iterations} iterations")
    same(torch.tensor([0.1, 0.1, 0.1, 0.4, 0.4, 0.9]), 5, 30, "repeated values")
    same(torch.tensor([3.0, -1.0, 2.0]), 3, 30, "as many clusters as values")
    same(torch.tensor([1.5]), 1, 30, "one value")
    # precision: float64 values are converted to float32 first; the means are summed in float64
    # (in float32, 2^24 + 1 is 2^24: a large value first loses every 1 added after it)
    same(weights.double(), 8, 30, "float64 values: converted to float32 first")
    same(torch.tensor([2.0 ** 24] + [1.0] * 999), 1, 30, "a mean summed in float64")
    kmeans(weights, 8)
    check(weights, "kmeans does not change its input")
    doubled = weights.double()
    kmeans(doubled, 8)
    check(doubled, "kmeans does not change a float64 input")
    six = torch.randn(6, generator=torch.Generator().manual_seed(6))
    for args, kwargs in [((values, 10), {}), ((weights, 0), {}), ((six, 7), {}), ((six, 2.0), {}),
                         ((six, True), {}), ((torch.zeros(0), 1), {}),
                         ((torch.ones(3, 3), 2), {}), ((torch.arange(6), 2), {}),
                         ((six, 2), {"iterations": -1}), ((six, 2), {"iterations": 2.5})]:
        check(raises(ValueError, kmeans, *args, **kwargs),
              f"kmeans(values of shape {tuple(args[0].shape)}, {args[1]!r}, {kwargs}) is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 4. A Huffman code
#
# After clustering, some indices are far more frequent than others (most weights are small).
# A fixed-length index spends the same bits on each; a *Huffman code* (Huffman, 1952) gives
# frequent symbols short codewords and rare ones long codewords. It is *prefix-free* (no
# codeword is the start of another, so a bit stream splits into codewords without separators)
# and *optimal*: no prefix-free code has a smaller total length
# $\sum_s \mathrm{count}(s) \cdot \mathrm{len}(\mathrm{code}(s))$.
#
# Several optimal codes exist for the same counts. So that everyone's code is the same, build
# it in two exactly specified steps, as DEFLATE (zip, PNG) does:
#
# **Step 1: code lengths, by Huffman's algorithm.** Start with one tree per symbol whose count
# is above 0. Repeatedly take out the two trees of smallest count and put back one tree that
# joins them, with the sum of their counts, until one tree is left. A symbol's code length is
# its depth: the number of joins above it. **Ties** between trees of equal count are broken by
# *rank*: the single-symbol trees have ranks 0, 1, 2, ... in the order of their symbols
# (`sorted(symbols)`), each joined tree gets the next unused rank (after all the symbol trees
# and all the joined trees made before it), and among equal counts the tree of lower rank is
# taken first. (A heap of `(count, rank, tree)` tuples, `heapq`, does exactly this.) A single
# symbol gets length 1.
#
# **Step 2: canonical codewords from the lengths.** Sort the symbols by (length, symbol). The
# first gets the codeword of its length made of zeros; each next one gets the previous
# codeword plus 1 (as a binary number), then shifted left by the difference (zeros appended)
# when its length is larger than the previous one. For
# example, counts `{"a": 5, "b": 2, "c": 1, "d": 1}` give the lengths a: 1, b: 2, c: 3, d: 3
# and the codewords `"0"`, `"10"`, `"110"`, `"111"`. A file then needs to store only the
# lengths.
#
# Implement `huffman_code(counts)`: `counts` is a dict from symbols (all of one sortable kind,
# such as ints or strings) to counts; return a dict from each symbol with a count above 0 to
# its codeword, a string of `"0"` and `"1"` (symbols of count 0 get no codeword). Raise a
# `ValueError` when `counts` is not a dict (a `collections.Counter` is one), when a count is
# not an integer of at least 0 (`-1`, `1.5` and `True` are refused), or when no count is
# above 0.

# %% solution="huffman_code" withhold="support.huffman.huffman_code"
def huffman_code(counts):
    """{symbol: codeword}: the canonical Huffman code of ``counts`` ({symbol: count})."""
    ### BEGIN SOLUTION
    if not isinstance(counts, dict):
        raise ValueError(f"counts must be a dict of symbol counts, got {type(counts).__name__}")
    for symbol, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"the count of {symbol!r} must be an integer >= 0, got {count!r}")
    used = sorted((symbol, count) for symbol, count in counts.items() if count > 0)
    if not used:
        raise ValueError("a Huffman code needs at least one symbol with a count above 0")
    lengths = {symbol: 0 for symbol, _ in used}
    if len(used) == 1:
        lengths[used[0][0]] = 1
    trees = [(count, rank, [symbol]) for rank, (symbol, count) in enumerate(used)]
    heapq.heapify(trees)
    for rank in range(len(trees), 2 * len(trees) - 1):      # n - 1 joins, ranked after the leaves
        (count1, _, left), (count2, _, right) = heapq.heappop(trees), heapq.heappop(trees)
        for symbol in left + right:                          # one level deeper
            lengths[symbol] += 1
        heapq.heappush(trees, (count1 + count2, rank, left + right))
    order = sorted(lengths, key=lambda symbol: (lengths[symbol], symbol))
    code, word = {}, 0
    for previous, symbol in zip([None] + order, order):
        if previous is not None:                             # + 1, then zeros for extra length
            word = (word + 1) << (lengths[symbol] - lengths[previous])
        code[symbol] = format(word, f"0{lengths[symbol]}b")
    return code
    ### END SOLUTION


# %% test="huffman_code" points=3
code = huffman_code({"a": 5, "b": 2, "c": 1, "d": 1})
want = {"a": "0", "b": "10", "c": "110", "d": "111"}
assert code == want, f"expected {want}, got {code}"
assert huffman_code({7: 3}) == {7: "0"}, f"one symbol: expected {{7: '0'}}, got {huffman_code({7: 3})}"
code = huffman_code({"x": 0, "y": 4, "z": 4})
assert code == {"y": "0", "z": "1"}, f"a count of 0 gets no codeword: expected {{'y': '0', 'z': '1'}}, got {code}"
try:
    huffman_code({"a": -1})
except ValueError:
    pass
else:
    raise AssertionError("a negative count must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    import itertools
    import random

    from grader.probe import check, raises

    check(getattr(huffman_code, "__module__", None), "written in this notebook, not imported")

    def total(counts, code):
        return sum(counts[s] * len(word) for s, word in code.items())

    def prefix_free(code):
        words = list(code.values())
        return not any(i != j and b.startswith(a) for i, a in enumerate(words) for j, b in enumerate(words))

    # the visible cases; ties: the symbols' order decides, not the dict's; a joined tree ranks
    # after the symbol trees
    for counts in ({"a": 5, "b": 2, "c": 1, "d": 1}, {7: 3}, {"x": 0, "y": 4, "z": 4},
                   {"a": 1, "b": 1, "c": 1}, {"c": 1, "b": 1, "a": 1},
                   {"d": 2, "c": 2, "b": 1, "a": 1}, Counter("abracadabra")):
        check(huffman_code(counts), f"huffman_code({dict(counts)})")
    # optimal, on small alphabets
    rng = random.Random(6)
    for _ in range(12):
        symbols = rng.sample(range(20), rng.randint(2, 5))
        counts = {s: rng.choice([1, 1, 2, 3, 5, 8, 13]) for s in symbols}
        code = huffman_code(counts)
        check(sorted(code), f"a codeword for each symbol of {counts}")
        check(prefix_free(code), f"a prefix-free code for {counts}")
        check(total(counts, code), f"the fewest bits for {counts}")
    # the exact codewords, for counts given in any order
    for _ in range(25):
        counts = {s: rng.choice([0, 1, 1, 2, 3, 5, 8, 40, 100]) for s in range(rng.randint(1, 40))}
        counts[rng.randrange(len(counts))] += 1
        shuffled = dict(rng.sample(list(counts.items()), len(counts)))
        check(huffman_code(shuffled), f"huffman_code({shuffled})")
    for bad in [{"a": -1}, {}, {"a": 0}, {"a": 1, "b": 1.5}, {"a": True}, {"a": 2, "b": -1},
                [3, 4], "aab", None]:
        check(raises(ValueError, huffman_code, bad), f"huffman_code({bad!r}) is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Encode and decode
#
# A code is only useful if the bits can be written and read back exactly.
#
# - `encode(symbols, code)`: `symbols` is any iterable of symbols (a list, a string, ...),
#   `code` a dict from symbol to codeword. Join the codewords of the symbols in order into one
#   bit string and pack it into bytes, **most significant bit first** (the first bit is the
#   top bit, value 128, of the first byte), padding the last byte with 0 bits. Return the
#   tuple `(data, nbits)`: the `bytes`, `(nbits + 7) // 8` of them (none for no symbols), and the
#   number of bits before padding. A symbol without a
#   codeword raises a `ValueError`. For example, with the code of part 4, `"abacad"` is
#   `0 10 0 110 0 111`, 11 bits, the bytes `01001100 11100000`: `(b"\x4c\xe0", 11)`.
# - `decode(data, nbits, code, count=None)`: the list of symbols written in the first `nbits`
#   bits of `data`. Read bit by bit; a codeword is complete as soon as the bits read since
#   the last one equal it. That rule reads a stream right only when the code is prefix-free
#   and has no empty codeword (which would be complete before any bit is read, again and
#   again), so check the code first. Raise a `ValueError` when `nbits` is not an integer from
#   0 to `8 * len(data)`; when `code` is not prefix-free: two symbols share a codeword, a
#   codeword is empty, or one codeword is the start of another (`{"a": "0", "b": "01"}`);
#   when the bits do not split into codewords (a stream that ends inside a codeword, or bits
#   that begin no codeword); or when `count` is given and a different number of symbols comes
#   out. (`encode` does not check the code: it writes whatever codewords it is given.)
#
# `decode(*encode(symbols, code), code)` must give back `list(symbols)`.

# %% solution="encode_decode" withhold="support.huffman.encode support.huffman.decode"
def encode(symbols, code):
    """(bytes, number of bits) of ``symbols`` written with ``code``, most significant bit first."""
    ### BEGIN SOLUTION
    try:
        bits = "".join(code[symbol] for symbol in symbols)
    except KeyError as error:
        raise ValueError(f"symbol {error.args[0]!r} has no codeword") from None
    padded = bits + "0" * (-len(bits) % 8)
    data = int(padded, 2).to_bytes(len(padded) // 8, "big") if padded else b""
    return data, len(bits)
    ### END SOLUTION


def decode(data, nbits, code, count=None):
    """The symbols in the first ``nbits`` bits of ``data`` under the prefix-free ``code``."""
    ### BEGIN SOLUTION
    if isinstance(nbits, bool) or not isinstance(nbits, int) or not 0 <= nbits <= 8 * len(data):
        raise ValueError(f"nbits must be an integer in [0, {8 * len(data)}], got {nbits!r}")
    words = {word: symbol for symbol, word in code.items()}
    if len(words) != len(code):
        raise ValueError("two symbols share a codeword")
    if "" in words:
        raise ValueError("a codeword is empty")
    ordered = sorted(words)            # a codeword sorts right before those that start with it
    for shorter, longer in zip(ordered, ordered[1:]):
        if longer.startswith(shorter):
            raise ValueError(f"the code is not prefix-free: {shorter!r} starts {longer!r}")
    prefixes = {word[:i] for word in words for i in range(1, len(word))}
    symbols, word = [], ""
    for i in range(nbits):
        word += "1" if data[i // 8] >> (7 - i % 8) & 1 else "0"
        if word in words:
            symbols.append(words[word])
            word = ""
        elif word not in prefixes:
            raise ValueError(f"the bits {word!r} begin no codeword")
    if word:
        raise ValueError(f"the bits end inside a codeword: {word!r} is left")
    if count is not None and len(symbols) != count:
        raise ValueError(f"expected {count} symbols, decoded {len(symbols)}")
    return symbols
    ### END SOLUTION


# %% test="encode_decode" points=2
code = {"a": "0", "b": "10", "c": "110", "d": "111"}
data, nbits = encode("abacad", code)
assert (data, nbits) == (b"\x4c\xe0", 11), f"expected (b'\\x4c\\xe0', 11), got {(data, nbits)}"
assert decode(data, nbits, code) == list("abacad"), f"got {decode(data, nbits, code)}"
symbols = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5] * 7
counts = Counter(symbols)
digit_code = huffman_code(counts)
data, nbits = encode(symbols, digit_code)
want_bits = sum(len(digit_code[s]) for s in symbols)
assert nbits == want_bits, f"nbits is the sum of the symbols' code lengths: expected {want_bits}, got {nbits}"
assert len(data) == (nbits + 7) // 8, \
    f"{nbits} bits fill {(nbits + 7) // 8} bytes (the last one padded with zeros), got {len(data)}"
assert decode(data, nbits, digit_code) == symbols, "decode(*encode(symbols, code), code) must give the symbols back"
try:
    encode("abe", code)
except ValueError:
    pass
else:
    raise AssertionError("a symbol without a codeword must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    import random

    from grader.probe import check, raises

    for fn in (encode, decode):
        check(getattr(fn, "__module__", None), "written in this notebook, not imported")

    def encoded(symbols, code, what):
        """encode's (bytes, nbits), sent as data, and returned."""
        got = encode(symbols, code)
        data, nbits = got
        check((type(got).__name__, isinstance(data, (bytes, bytearray)),
               bytes(data).hex() if isinstance(data, (bytes, bytearray)) else None, nbits),
              f"encode: {what}")
        return got

    def gamma(symbols):
        """A prefix-free code of variable length for numbers: Elias's gamma code of s + 1."""
        return {s: "0" * ((s + 1).bit_length() - 1) + format(s + 1, "b") for s in symbols}

    code = {"a": "0", "b": "10", "c": "110", "d": "111"}
    # the visible cases
    data, nbits = encoded("abacad", code, "abacad")
    check(decode(data, nbits, code), "decode: abacad")
    symbols = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5] * 7
    digits = gamma(range(10))
    check(decode(*encoded(symbols, digits, "digits"), digits), "decode: digits")
    check(raises(ValueError, encode, "abe", code), "a symbol without a codeword is refused")
    # by hand
    encoded([], code, "no symbols")
    check(decode(b"", 0, code), "decode: no symbols")
    encoded("aaaaaaaa", code, "eight bits fill one byte")
    encoded("dd", code, "most significant bit first")
    check(decode(b"\xfc\xff", 6, code), "read only the first nbits bits")
    letters = {"a": "0", "b": "10", "c": "1100", "d": "1101", "e": "11100", "f": "1111", "g": "11101"}
    rng = random.Random(7)
    for length in (1, 2, 9, 100, 1001):
        symbols = [rng.choice("aaaaaaabbbcdeffg") for _ in range(length)]
        got = encoded(symbols, letters, f"{length} letters")
        check(decode(*got, letters), f"decode: {length} letters")
        check(decode(*got, letters, count=length), f"decode: {length} letters, counted")
        numbers = [rng.randrange(300) for _ in range(length)]
        numbers_code = gamma(range(300))
        got = encoded(numbers, numbers_code, f"{length} numbers")
        check(decode(*got, numbers_code), f"decode: {length} numbers")
    data, nbits = encode("abacad", code)
    cases = [("a stream cut inside a codeword", (data, nbits - 1, code)),
             ("a stream cut inside a codeword", (data, nbits - 2, code)),
             ("too many bits", (data, 17, code)),
             ("a negative bit count", (data, -1, code)),
             ("a bit count that is not an integer", (data, 11.0, code)),
             ("two symbols sharing a codeword", (data, nbits, {"a": "0", "b": "0"})),
             ("an empty codeword", (b"", 0, {"a": "", "b": "1"})),
             ("a code that is not prefix-free", (b"\x00", 8, {"a": "0", "b": "01", "c": "11"})),
             ("a code that is not prefix-free", (b"\x50", 8, {"a": "10", "b": "1011", "c": "0"})),
             ("bits that begin no codeword", (b"\x80", 2, {"a": "00", "b": "01"})),
             ("the wrong number of symbols", (data, nbits, code, 5)),
             ("the wrong number of symbols", (data, nbits, code, 7))]
    for what, args in cases:
        check(raises(ValueError, decode, *args), f"decode refuses {what}")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 6. The size of a pruned and clustered layer
#
# Deep Compression stores a pruned, clustered layer as its non-zero weights only. Here is a
# simple, complete format (the course's file format, `support.codec`, is this one with both
# streams Huffman-coded and the offset width chosen per tensor). For a weight tensor of any
# shape and an offset width of $b$ bits:
#
# - **the codebook**: the $k$ distinct non-zero values of the tensor, 32 bits each;
# - **one entry per stored weight**, walking the tensor in row-major order (`weight.flatten()`):
#   the *relative offset*, the number of zeros between this weight and the previous stored
#   one (or the start of the tensor), in $b$ bits; then the weight's *cluster index* into
#   the codebook, in $\max(1, \lceil \log_2(k + 1) \rceil)$ bits (which is
#   `max(1, k.bit_length())`): $k + 1$ possible values, the $k$ clusters and the filler's own
#   index below.
# - **filler zeros**: an offset holds at most $2^b - 1$. When $g \geq 2^b$ zeros come before a
#   weight, a *filler* entry is written first, with the largest offset, $2^b - 1$, and the
#   filler index: it stands for $2^b - 1$ zeros and one stored zero, $2^b$ positions. Repeat
#   while the zeros left are $2^b$ or more: a gap of $g$ zeros takes $\lfloor g / 2^b \rfloor$
#   fillers, then the weight's own entry with offset $g \bmod 2^b$.
# - zeros after the last non-zero weight cost nothing (the shape is stored elsewhere and not
#   counted here).
#
# The size in bits is $32k + (\text{entries}) \cdot (b + \text{index bits})$, with the fillers
# counted among the entries.
#
# **Worked example.** The row `[0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, -0.5, 0.5]` at $b = 3$: the
# codebook holds $k = 2$ values ($-0.5$ and $0.5$), 64 bits, and an index takes 2 bits. The
# entries: $0.5$ after 1 zero; then 8 zeros come before $-0.5$, more than 7, so a filler
# (offset 7) and then $-0.5$ at offset $8 - 8 = 0$; then $0.5$ at offset 0. Four entries of
# $3 + 2$ bits: $64 + 4 \cdot 5 = 84$ bits, against $12 \cdot 32 = 384$ bits dense.
#
# Implement `layer_bits(weight, offset_bits)` and return the size in bits as an `int`. Raise a
# `ValueError` when `offset_bits` is not an integer of at least 1 (`0`, `-1`, `2.5` and
# `True` are refused).

# %% solution="layer_bits"
def layer_bits(weight, offset_bits):
    """Bits of ``weight`` stored as a codebook plus (offset, index) entries with fillers."""
    ### BEGIN SOLUTION
    if isinstance(offset_bits, bool) or not isinstance(offset_bits, int) or offset_bits < 1:
        raise ValueError(f"offset_bits must be an integer >= 1, got {offset_bits!r}")
    flat = weight.detach().flatten()
    positions = torch.nonzero(flat).flatten().tolist()
    k = torch.unique(flat[flat != 0]).numel()
    entries, previous = 0, -1
    for position in positions:
        gap = position - previous - 1
        entries += 1 + gap // 2 ** offset_bits
        previous = position
    return 32 * k + entries * (offset_bits + max(1, k.bit_length()))
    ### END SOLUTION


# %% test="layer_bits" points=2
row = torch.tensor([[0.0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, -0.5, 0.5]])
got = layer_bits(row, 3)
assert got == 84, f"the worked example: expected 84 bits, got {got}"
assert isinstance(got, int), f"return an int, got {type(got).__name__}"
got = layer_bits(torch.zeros(4, 4), 3)
assert got == 0, f"a layer of zeros stores nothing: expected 0, got {got}"
dense = torch.tensor([[1.0, 2.0], [3.0, 1.0]])            # k = 3, 2-bit indices, 4 entries
got = layer_bits(dense, 2)
assert got == 3 * 32 + 4 * (2 + 2), f"expected {3 * 32 + 4 * (2 + 2)}, got {got}"
try:
    layer_bits(row, 0)
except ValueError:
    pass
else:
    raise AssertionError("an offset width of 0 bits must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(getattr(layer_bits, "__module__", None), "written in this notebook, not imported")
    # the visible cases
    row = torch.tensor([[0.0, 0.5, 0, 0, 0, 0, 0, 0, 0, 0, -0.5, 0.5]])
    check(layer_bits(row, 3), "the worked example")
    check(type(layer_bits(row, 3)).__name__, "a Python int")
    check(layer_bits(torch.zeros(4, 4), 3), "a layer of zeros")
    check(layer_bits(torch.tensor([[1.0, 2.0], [3.0, 1.0]]), 2), "a dense layer")
    # gaps of exactly 2^b - 1, 2^b and 2^(b+1) zeros
    for gap in (7, 8, 15, 16, 23, 24):
        w = torch.zeros(gap + 1)
        w[gap] = 1.0
        check(layer_bits(w, 3), f"{gap} zeros before the only weight, b = 3")
    # row-major order: the offsets run on across rows
    grid = torch.zeros(3, 5)
    grid[0, 4], grid[1, 0], grid[2, 4] = 0.25, 0.25, -0.75
    check(layer_bits(grid, 2), "offsets run across rows (weight.flatten())")
    generator = torch.Generator().manual_seed(8)
    for shape, sparsity, clusters in [((30, 40), 0.9, 4), ((16, 8, 5), 0.5, 7), ((1000,), 0.99, 3),
                                      ((64, 64), 0.97, 16), ((12, 12), 0.0, 1), ((20, 20), 0.3, 255)]:
        values = torch.linspace(-1, 1, clusters + 1)
        values = values[values != 0][:clusters]
        w = values[torch.randint(len(values), shape, generator=generator)]
        w = w * (torch.rand(shape, generator=generator) >= sparsity)
        for offset_bits in (1, 2, 3, 5, 8):
            check(layer_bits(w, offset_bits), f"shape {shape}, {sparsity:.0%} zeros, b = {offset_bits}")
    for bad in (0, -1, 2.5, True, "3"):
        check(raises(ValueError, layer_bits, grid, bad), f"offset_bits={bad!r} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Your functions on a real network: the course's 1-D CNN for MNIST-1D (signals of 40 samples,
# ten classes), trained here with a fixed seed: in a few seconds the first time, then loaded
# (`support.cache.fit` keeps what a training gave). The same model is the subject of the
# challenge below.
#
# - Quantizing every weight tensor with your part 1 and 2 (asymmetric, one scale per tensor):
#   8 bits keep the accuracy; a few bits per tensor lose it, which is why the chapter adds
#   per-channel scales and quantization-aware training. A collapse at 2 bits is expected.
# - Clustering every weight tensor with your `kmeans` (Deep Compression's weight sharing),
#   against uniform quantization with as many values per tensor: 16 clusters against 4 bits,
#   4 clusters against 2 bits. k-means places its values where the weights are, to make the
#   squared error of the weights small: it starts from values evenly spaced from the smallest
#   weight to the largest (nearly the uniform grid), and no step of Lloyd's algorithm raises
#   that error. Compare the errors printed. The accuracy follows the weight error only
#   loosely: the difference between the two methods is printed in test signals, and a
#   difference of a handful of them is noise that another seed could reverse (the chapter
#   measures over several seeds). So a correct `kmeans` can come out a little behind uniform
#   quantization.
# - Your Huffman code of one layer's cluster indices against the entropy of their counts
#   (no code can average fewer bits per symbol) and against fixed 4-bit indices, and
#   `layer_bits` of that layer pruned by half.

# %%
import copy

from torch import nn

from support import cache, data, models
from support.huffman import entropy
from support.measure import file_bytes
from support.train import evaluate, fit

GIVEN_SEED = 0


def trained_cnn1d(seed, splits):
    """The course's cnn1d, trained on ``splits`` from ``seed``: 10 epochs of Adam at 1e-2,
    then 3 at 1e-3."""
    model = models.for_data("cnn1d", splits, seed=seed)
    cache.fit(model, splits, epochs=10, lr=1e-2, seed=seed, progress=False)   # trained once,
    cache.fit(model, splits, epochs=3, lr=1e-3, seed=seed + 1, progress=False)  # then loaded
    return model.eval()


def with_weights(model, transform):
    """A copy of ``model`` whose Linear and Conv1d weights are replaced by transform(weight)."""
    model = copy.deepcopy(model)
    with torch.no_grad():
        for layer in model.modules():
            if isinstance(layer, (nn.Linear, nn.Conv1d)):
                layer.weight.copy_(transform(layer.weight))
    return model


def uniform(bits):
    def transform(weight):
        scale, zero_point = scale_zero_point(weight.min().item(), weight.max().item(), bits)
        return dequantize(quantize(weight, scale, zero_point, bits), scale, zero_point)
    return transform


def clustered(clusters):
    def transform(weight):
        centroids, indices = kmeans(weight.flatten(), clusters)
        return centroids[indices].view_as(weight)
    return transform


def weight_error(model, changed):
    """The sum of squared differences between the Linear and Conv1d weights of two models."""
    return sum((b.weight - a.weight).pow(2).sum().item()
               for a, b in zip(model.modules(), changed.modules())
               if isinstance(a, (nn.Linear, nn.Conv1d)))


splits = data.mnist1d()
model = trained_cnn1d(GIVEN_SEED, splits)
print(f"the given model: test accuracy {evaluate(model, splits):.3f}, "
      f"{file_bytes(model):,} bytes as a float32 state_dict")
for bits in (8, 6, 4, 3, 2):
    print(f"uniform, {bits} bits per weight: {evaluate(with_weights(model, uniform(bits)), splits):.3f}")
n_test = len(splits.y_test)
for clusters, bits in ((16, 4), (4, 2)):
    shared, grid = with_weights(model, clustered(clusters)), with_weights(model, uniform(bits))
    shared_accuracy, grid_accuracy = evaluate(shared, splits), evaluate(grid, splits)
    print(f"{clusters} values per tensor: k-means {shared_accuracy:.3f} (squared weight error "
          f"{weight_error(model, shared):.2f}), uniform {bits} bits {grid_accuracy:.3f} (error "
          f"{weight_error(model, grid):.2f}); test signals classified right, k-means - uniform: "
          f"{round((shared_accuracy - grid_accuracy) * n_test):+d} of {n_test:,}")
weight = model[2].weight.detach()
centroids, indices = kmeans(weight.flatten(), 16)
symbols = indices.tolist()
code = huffman_code(Counter(symbols))
packed, nbits = encode(symbols, code)
assert decode(packed, nbits, code, count=len(symbols)) == symbols
print(f"layer 2, 16 clusters: Huffman {nbits / len(symbols):.2f} bits per index "
      f"(entropy {entropy(Counter(symbols)):.2f}, fixed length 4)")
pruned = centroids[indices].view_as(weight) * (weight.abs() > weight.abs().median())
for offset_bits in (1, 2, 3, 4):
    print(f"layer 2 pruned by half and clustered, {offset_bits}-bit offsets: "
          f"{layer_bits(pruned, offset_bits):,} bits (dense float32: {32 * weight.numel():,})")

# %% [markdown]
# ## 7. The challenge: compress a trained model
#
# Now put it all together, as Deep Compression does: compress the model above, `model`, into
# as few bytes as you can while it keeps its accuracy. It is the course's 1-D CNN
# (`support.models.cnn1d()`: three convolutions and a linear classifier), trained by
# `trained_cnn1d(GIVEN_SEED, splits)` above. Its float32 `state_dict`, written by
# `torch.save`, takes `support.measure.file_bytes(model)` bytes (printed above): that is the
# size to beat.
#
# Write two functions:
#
# - `compress(model) -> bytes`: gets a trained `cnn1d` (in evaluation mode) and returns a
#   `bytes` object. Anything goes: pruning, clustering, quantization, fine-tuning, Huffman or
#   any other coding. You may use all of `support` (`support.prune`, `support.quantize`,
#   `support.huffman`, `support.codec` writes a whole model in the course's compact format,
#   `support.train`, `support.distill`), your functions above, and the training data
#   `support.data.mnist1d()`. You may also generate more MNIST-1D signals to fine-tune on,
#   `support.data.mnist1d(num_samples=..., seed=...)` with a seed of your own, and use their
#   signals without their labels (see point 3): the default set, `mnist1d()`, is ready on
#   disk where the grader runs `compress`, but any other is generated there, inside your
#   time limit.
# - `decompress(data) -> torch.nn.Module`: gets the bytes and nothing else, and returns a
#   `support.models.cnn1d()` whose weights it filled in from `data` (a network that maps a
#   batch of signals `(B, 1, 40)` to logits `(B, 10)`; the grader reads its `state_dict`).
#
# **How it is graded.** The grader, on one CPU thread:
#
# 1. **Size**: your size is `len(compress(model))` bytes, and your *ratio* is
#    `file_bytes(model) / len(compress(model))`.
# 2. **Accuracy**: the decoded model's accuracy is measured on 4,000 MNIST-1D signals the
#    notebook never loads (generated with a seed only the grader knows), and must be **at
#    least the original model's accuracy on the same signals minus 1 point** (0.01). The test
#    cell below measures it on the notebook's own test signals instead, fewer of them (it
#    prints how many): a loss close to 1 point there can come out on either side of it on the
#    grader's signals, so leave a margin.
# 3. **Two models**: the given model, `model` as trained above (leave it as it is), and a
#    second model you never see: the same architecture, trained the same way from another
#    seed, **with the ten classes relabelled** (digit 3 may be class 7 to it). So
#    `decompress` cannot carry weights of its own, and `compress` must not fine-tune against
#    the data set's labels: to fine-tune, match the original model's outputs instead
#    (distillation with α = 1, or its predicted classes as labels).
# 4. **Isolation**: the grader runs your two functions in fresh processes of its own,
#    `compress` in one and `decompress` in another, apart from your notebook: each takes with
#    it the functions and constants of the notebook it uses (copied by `cloudpickle`), and
#    nothing else, no file you wrote and no model or data your notebook holds in memory. Only
#    the bytes pass from `compress` to `decompress`. The trained models of the course's cache
#    are not there either (its data sets are). Their printed output is not shown.
# 5. **Time**: at most 5 seconds of CPU time for `compress` and 5 for `decompress`, for one
#    model on one thread, counting every process they start (and not the start of Python and
#    PyTorch). The seconds are counted on the machine that grades, whichever the course runs
#    it on, not on yours: the test cell below counts them on yours, so leave a margin if the
#    grading machine may be slower.
#
# **Points**: 2 when both models reach a ratio of at least **5** within the accuracy margin,
# and 2 more when both reach at least **8**. The test cell below runs your functions as the
# grader does (in a forked process: close to the grader's fresh one) and prints your size,
# ratio and accuracy on the notebook's own test signals; the grader adds the unseen signals
# and the second model.
#
# Some numbers to start from: float16 halves the size; uniform 8-bit weights are 4 times
# smaller, not enough; a ratio of 8 on this compact network takes pruning, clustering and a
# little fine-tuning together. `support.codec` stores a tensor compactly only when it holds at
# most 256 distinct non-zero values (per-channel quantization gives more, and is then stored
# as raw floats). Its format pays for more than the weights: each tensor's name and shape,
# and each weight tensor's codebook, offset width and code tables. The next cell measures
# that cost on the given model, every weight tensor clustered into 16 values (nothing pruned,
# then half of each tensor pruned): compare it with the bytes a ratio of 8 allows, printed
# last. Every byte of it is one the weights cannot have, and a format of your own can leave
# out what `decompress` knows already (the names and shapes of a `cnn1d`).
#
# One trap if you write tensors yourself: after `support.quantize.remove_parametrizations`,
# each layer's `weight` comes *after* its `bias` in `model.state_dict()` (the parametrization
# put it back last). `load_state_dict` matches tensors by name and does not mind; a format that
# stores the tensors without their names, in `state_dict()`'s order, must read them back in
# that same order.

# %%
from support import codec


def half_pruned(weight):
    """16 shared values, and the half of the weights of smallest |w| set to 0."""
    return clustered(16)(weight) * (weight.abs() > weight.abs().median())


for what, transform in (("nothing pruned", clustered(16)), ("half pruned", half_pruned)):
    measured = codec.encode(with_weights(model, transform))
    tensors = codec.describe(measured)
    sparse = [tensor for tensor in tensors if "stream_bits" in tensor]
    streams = sum((tensor["stream_bits"] + 7) // 8 for tensor in sparse)
    around = sum(tensor["bytes"] for tensor in sparse) - streams
    print(f"support.codec, 16 values per weight tensor, {what}: {len(measured):,} bytes, ratio "
          f"{file_bytes(model) / len(measured):.1f}; the coded weights {streams:,} bytes, around "
          f"them (names, shapes, codebooks, code tables) {around / len(sparse):.0f} per weight "
          f"tensor, the biases {sum(t['bytes'] for t in tensors if t not in sparse):,} bytes")
print(f"bytes allowed: {file_bytes(model) / 5:,.0f} at a ratio of 5, "
      f"{file_bytes(model) / 8:,.0f} at a ratio of 8")


# %% solution="challenge"
from support import codec, distill, prune
from support import quantize as course_quantize   # `quantize` is your own function of part 2
from support.data import mnist1d

### BEGIN SOLUTION
SPARSITY = {"0.weight": 0.0, "2.weight": 0.25, "4.weight": 0.35, "7.weight": 0.35}
CLUSTERS = {"0.weight": 32, "2.weight": 16, "4.weight": 16, "7.weight": 32}
FINE_TUNE = dict(epochs=3, lr=5e-4, progress=False)


def compress(model):
    """Prune each weight tensor by magnitude, fine-tune, cluster it into shared values,
    fine-tune the centroids (both against the original's outputs, T = 2, alpha = 1), store
    the biases as float16 and write everything with support.codec."""
    original = copy.deepcopy(model).eval()
    model = copy.deepcopy(model)
    splits = mnist1d()
    loss = distill.loss_fn(original, T=2.0, alpha=1.0)
    weights = prune.prunable(model)
    masks = {name: prune.magnitude_mask(w, SPARSITY[name]) for name, w in weights.items()}
    prune.apply_masks(model, masks)
    fit(model, splits, seed=1, loss_fn=loss, after_step=prune.keep_masked(masks), **FINE_TUNE)
    for name in weights:
        course_quantize.share_weights(model.get_submodule(name.rsplit(".", 1)[0]), CLUSTERS[name])
    fit(model, splits, seed=2, loss_fn=loss, **FINE_TUNE)
    course_quantize.remove_parametrizations(model)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.ndim == 1:
                parameter.copy_(parameter.half().float())
    return codec.encode(model)


def decompress(data):
    """The cnn1d stored in ``data`` by compress."""
    model = models.cnn1d()
    model.load_state_dict(codec.decode(data))
    return model.eval()
### END SOLUTION


# %% test="challenge" points=2
# How the grader runs your functions. compress runs in a forked child process: what it keeps in
# memory stays there, and only its bytes come back through a pipe.
import io
import os
import pickle
import select
import signal
import sys
import time
import traceback

import torch
from torch import nn

from support.data import mnist1d
from support.measure import file_bytes

BASELINE_RATIO, STRONG_RATIO, MARGIN, SECONDS = 5, 8, 0.01, 5.0
torch.set_num_threads(1)


def compress_apart(compress, model):
    """(data, CPU seconds) of compress(model), run in a child process on one thread."""
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:                                            # the child
        os.close(read)
        try:
            sys.stdout = sys.stderr = io.StringIO()
            torch.set_num_threads(1)
            message = ("ok", compress(model))
        except BaseException:
            message = ("error", traceback.format_exc())
        try:
            payload = pickle.dumps(message)
        except Exception:
            payload = pickle.dumps(("error", f"compress returned a {type(message[1]).__name__}"))
        with os.fdopen(write, "wb") as pipe:
            pipe.write(payload)
        os._exit(0)
    os.close(write)
    chunks, deadline = [], time.monotonic() + 4 * SECONDS
    with os.fdopen(read, "rb") as pipe:
        while True:
            ready, _, _ = select.select([pipe], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:                                   # far over time: stop it
                os.kill(pid, signal.SIGKILL)
                break
            chunk = os.read(pipe.fileno(), 1 << 16)
            if not chunk:
                break
            chunks.append(chunk)
    _, _, usage = os.wait4(pid, 0)
    seconds = usage.ru_utime + usage.ru_stime
    assert chunks, f"compress did not finish in {4 * SECONDS:.0f} seconds"
    status, result = pickle.loads(b"".join(chunks))
    assert status == "ok", f"compress raised an exception:\n{result}"
    assert isinstance(result, bytes), f"compress must return bytes, got {type(result).__name__}"
    assert seconds <= SECONDS, f"compress took {seconds:.1f} s of CPU time, more than {SECONDS:.0f}"
    return result, seconds


def decompress_timed(data):
    """(model, CPU seconds) of decompress(data), checked to be a model."""
    start = time.process_time()
    decoded = decompress(bytes(data))
    seconds = time.process_time() - start
    assert isinstance(decoded, nn.Module), f"decompress must return a torch.nn.Module, got {type(decoded).__name__}"
    assert seconds <= SECONDS, f"decompress took {seconds:.1f} s of CPU time, more than {SECONDS:.0f}"
    return decoded.eval(), seconds


@torch.no_grad()
def accuracy(model, x, y):
    logits = model(x)
    assert logits.shape == (len(x), 10), f"expected logits of shape {(len(x), 10)}, got {tuple(logits.shape)}"
    return (logits.argmax(1) == y).float().mean().item()


def measure(original, x, y):
    """Size, ratio, CPU seconds, the decoded model, and both accuracies on (x, y)."""
    packed, compress_seconds = compress_apart(compress, original)
    decoded, decompress_seconds = decompress_timed(packed)
    return dict(bytes=len(packed), ratio=file_bytes(original) / max(len(packed), 1), decoded_model=decoded,
                seconds=(compress_seconds, decompress_seconds),
                original=accuracy(original, x, y), decoded=accuracy(decoded, x, y))


def report(name, result):
    print(f"{name}: {result['bytes']:,} bytes, ratio {result['ratio']:.1f}, accuracy "
          f"{result['original']:.3f} -> {result['decoded']:.3f}, CPU {result['seconds'][0]:.1f} s "
          f"+ {result['seconds'][1]:.1f} s")


_splits = mnist1d()
given = measure(model, _splits.x_test, _splits.y_test)      # `model`: the given model, trained above
report(f"the given model, on the notebook's {len(_splits.y_test):,} test signals", given)
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader calls them apart, on models this kernel never sees
    from grader.probe import check, pickled
    check(pickled(compress, decompress), "compress and decompress, run apart", judge="baseline")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% test="challenge_strong" points=2
# The strong level: a ratio of at least STRONG_RATIO for both models, within the accuracy
# margin (hidden tests; the rules are above).
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader calls them apart, on models this kernel never sees
    from grader.probe import check, pickled
    check(pickled(compress, decompress), "compress and decompress, run apart", judge="strong")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS
