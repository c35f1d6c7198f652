# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 1: pruning
#
# In this exercise you write the pieces of the three pruning chapters yourself:
#
# 1. **`magnitude_mask`**: which weights of one layer to remove for a target sparsity (2 points);
# 2. **`global_magnitude_masks`**: the same over all layers at once, with one threshold (2 points);
# 3. **`neuron_importance`**: how often each neuron fires, from recorded activations (1 point);
# 4. **`shrink_pair`**: remove neurons (or channels) for real, so that a smaller network
#    computes exactly what the masked one did (3 points);
# 5. **`rewind`**: reset the surviving weights to their initial values, as a lottery ticket
#    does (2 points);
# 6. **the challenge, `prune_model`**: prune a trained network as far as you can while it
#    keeps its accuracy (4 points).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each function is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Write each function of parts 1 to 5 yourself, in this notebook: the course's package
# `support` has its own versions (with the same names), and a function imported from it scores
# nothing. Before you hand in, restart the kernel and run all cells, or run
# `nbgrader validate 01-pruning.ipynb` in a terminal.

# %%
import copy

import torch
from torch import nn

# %% [markdown]
# ## 1. A magnitude mask for one layer
#
# Magnitude pruning removes the weights closest to zero. A *mask* is a boolean tensor of the
# weight's shape: `True` where the weight stays, `False` where it is pruned. For a target
# `sparsity` (the fraction of weights to remove), remove exactly
#
# $$k = \texttt{round}(\text{sparsity} \cdot n)$$
#
# of the layer's $n$ weights (Python's `round`, as `torch.nn.utils.prune` counts), those with
# the smallest absolute value $|w|$.
#
# **Ties.** Several weights can have the same magnitude (think of a layer of zeros). The count
# must still be exact, so a rule decides: *among weights of equal magnitude, the one with the
# lower index in the flattened weight (`weight.flatten()`) is pruned first.* A stable sort
# (`torch.argsort(..., stable=True)`) gives exactly this order.
#
# A sparsity outside $[0, 1)$ makes no sense (1 would remove everything): raise a
# `ValueError` that says what was expected. Do not change `weight`.

# %% solution="magnitude_mask" withhold="support.prune.magnitude_mask"
def magnitude_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Boolean mask of ``weight``'s shape, False for the round(sparsity * n) weights of
    smallest |w| (ties: the lower flattened index is pruned first)."""
    ### BEGIN SOLUTION
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
    k = round(sparsity * weight.numel())
    order = torch.argsort(weight.detach().abs().flatten(), stable=True)
    mask = torch.ones(weight.numel(), dtype=torch.bool)
    mask[order[:k]] = False
    return mask.view(weight.shape)
    ### END SOLUTION


# %% test="magnitude_mask" points=2
w = torch.tensor([[0.5, -0.1, 0.3], [-2.0, 0.05, 1.0]])
mask = magnitude_mask(w, 0.5)
assert isinstance(mask, torch.Tensor) and mask.dtype == torch.bool and mask.shape == w.shape, \
    f"expected a bool tensor of shape {tuple(w.shape)}, got {getattr(mask, 'dtype', type(mask))} " \
    f"of shape {tuple(getattr(mask, 'shape', ()))}"
want = [[True, False, False], [True, False, True]]
assert mask.tolist() == want, f"expected {want}, got {mask.tolist()}"
assert magnitude_mask(w, 0.0).all(), f"sparsity 0 keeps every weight, got {magnitude_mask(w, 0.0).tolist()}"
w = torch.randn(30, 20, generator=torch.Generator().manual_seed(0))
got = int((~magnitude_mask(w, 0.9)).sum())
assert got == 540, f"exactly round(0.9 * 600) = 540 weights are pruned, got {got}"
try:
    magnitude_mask(w, 1.0)
except ValueError:
    pass
else:
    raise AssertionError("sparsity 1.0 must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(magnitude_mask.__module__, "written in this notebook, not imported")
    # the visible cases
    w = torch.tensor([[0.5, -0.1, 0.3], [-2.0, 0.05, 1.0]])
    check(magnitude_mask(w, 0.5), "a 2x3 weight at sparsity 0.5")
    check(magnitude_mask(w, 0.0), "sparsity 0 keeps every weight")
    w = torch.randn(30, 20, generator=torch.Generator().manual_seed(0))
    check(magnitude_mask(w, 0.9), "a random 30x20 weight at sparsity 0.9")
    check(int((~magnitude_mask(w, 0.9)).sum()), "exactly round(0.9 * 600) weights are pruned")
    check(raises(ValueError, magnitude_mask, w, 1.0), "sparsity 1.0 is refused")
    # ties: a layer of equal weights prunes the lower indices first, and exactly k of them
    check(magnitude_mask(torch.ones(10), 0.3), "ties: the lower indices go first")
    tied = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
    check(magnitude_mask(tied, 0.5), "ties at sparsity 0.5")
    check(magnitude_mask(tied, 2 / 3), "ties at sparsity 2/3")
    check(magnitude_mask(torch.zeros(7, 3), 0.5), "a layer of zeros")
    check(int((~magnitude_mask(torch.zeros(7, 3), 0.5)).sum()), "a layer of zeros: the count")
    # the sign does not matter, only the magnitude
    check(magnitude_mask(torch.tensor([-3.0, 1.0, -0.5, 2.0]), 0.5), "the magnitude, not the sign")
    # many shapes and sparsities, with and without ties
    for seed, shape in enumerate([(50,), (13, 7), (4, 3, 3, 3)]):
        gen = torch.Generator().manual_seed(100 + seed)
        values = (torch.randn(shape, generator=gen),
                  torch.randint(-2, 3, shape, generator=gen).float())
        for kind, weight in zip(("random", "tied"), values):
            for s in (0.0, 0.1, 0.25, 0.5, 0.77, 0.9, 0.99):
                check(magnitude_mask(weight, s), f"a {kind} weight of shape {shape} at sparsity {s}")
    # the weight itself is left alone, and a parameter with a gradient works
    torch.manual_seed(1)
    layer = nn.Linear(8, 4)
    check(magnitude_mask(layer.weight, 0.5), "a parameter with a gradient")
    check(layer.weight.detach(), "the weight is left alone", rtol=0.0, atol=0.0)
    for bad in (-0.1, 1, 1.5, 2.0):
        check(raises(ValueError, magnitude_mask, torch.ones(4), bad), f"sparsity {bad} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 2. One threshold for the whole network
#
# Pruning every layer to the same sparsity treats a layer of large, important weights like
# a layer of tiny ones. *Global* pruning ranks all the weights of the network together and
# removes the smallest `round(sparsity * total)` of them, wherever they are: each layer loses
# a different fraction.
#
# Implement `global_magnitude_masks(weights, sparsity)`. `weights` is a dict
# `{name: weight tensor}`; return a dict with the same names and, for each, a boolean mask of
# that weight's shape. The tie rule is the one of part 1, applied to all weights laid end to
# end in the dict's order (the flattened first weight, then the second, and so on): the lower
# position is pruned first. The same `ValueError` for a sparsity outside $[0, 1)$.

# %% solution="global_magnitude_masks" withhold="support.prune.global_magnitude_masks"
def global_magnitude_masks(weights: dict, sparsity: float) -> dict:
    """{name: boolean mask} removing round(sparsity * total) weights of smallest |w| across
    all of ``weights`` together."""
    ### BEGIN SOLUTION
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
    flat = torch.cat([w.detach().abs().flatten() for w in weights.values()])
    keep = torch.ones(flat.numel(), dtype=torch.bool)
    keep[torch.argsort(flat, stable=True)[:round(sparsity * flat.numel())]] = False
    masks, start = {}, 0
    for name, w in weights.items():
        masks[name] = keep[start:start + w.numel()].view(w.shape)
        start += w.numel()
    return masks
    ### END SOLUTION


# %% test="global_magnitude_masks" points=2
weights = {"a": torch.tensor([0.1, 0.2, 5.0, 6.0]), "b": torch.tensor([[3.0, 0.3], [4.0, 0.4]])}
masks = global_magnitude_masks(weights, 0.5)
assert set(masks) == {"a", "b"}, f"expected the names ['a', 'b'], got {sorted(masks)}"
for name, want in (("a", [False, False, True, True]), ("b", [[True, False], [True, False]])):
    assert masks[name].tolist() == want, f"mask {name!r}: expected {want}, got {masks[name].tolist()}"
gen = torch.Generator().manual_seed(0)
weights = {"first": torch.randn(20, 10, generator=gen), "second": torch.randn(5, 20, generator=gen)}
masks = global_magnitude_masks(weights, 0.8)
for name in weights:
    assert masks[name].shape == weights[name].shape, \
        f"mask {name!r}: expected shape {tuple(weights[name].shape)}, got {tuple(masks[name].shape)}"
got = sum(int((~m).sum()) for m in masks.values())
assert got == 240, f"exactly round(0.8 * 300) = 240 weights are pruned, got {got}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(global_magnitude_masks.__module__, "written in this notebook, not imported")
    # the visible cases
    weights = {"a": torch.tensor([0.1, 0.2, 5.0, 6.0]), "b": torch.tensor([[3.0, 0.3], [4.0, 0.4]])}
    masks = global_magnitude_masks(weights, 0.5)
    check(list(masks), "the names, in order")
    check(masks, "two small weights at sparsity 0.5")
    gen = torch.Generator().manual_seed(0)
    weights = {"first": torch.randn(20, 10, generator=gen), "second": torch.randn(5, 20, generator=gen)}
    masks = global_magnitude_masks(weights, 0.8)
    check(masks, "two random weights at sparsity 0.8")
    check(sum(int((~m).sum()) for m in masks.values()), "exactly round(0.8 * 300) are pruned")
    # one threshold: a layer of small weights loses more than a layer of large ones
    weights = {"a": torch.tensor([0.1, 0.2, 5.0]), "b": torch.tensor([3.0, 0.3, 4.0, 0.4])}
    check(global_magnitude_masks(weights, 4 / 7), "one threshold across layers")
    small, large = torch.full((10,), 0.01), torch.full((10,), 1.0)
    check(global_magnitude_masks({"small": small, "large": large}, 0.5), "the small layer goes first")
    # ties across layers: the earlier position (in dict order) is pruned first
    check(global_magnitude_masks({"x": torch.ones(3), "y": torch.ones(3)}, 0.5),
          "ties across layers: the earlier position goes first")
    check(global_magnitude_masks({"y": torch.ones(3), "x": torch.ones(3)}, 0.5),
          "ties across layers: the dict's order, not the names'")
    # several layers of different scales, shapes and ties
    gen = torch.Generator().manual_seed(2)
    weights = {"1.weight": 0.1 * torch.randn(30, 16, generator=gen),
               "3.weight": torch.randn(12, 30, generator=gen),
               "5.weight": 3 * torch.randn(10, 12, generator=gen),
               "conv.weight": torch.randint(-1, 2, (4, 2, 3, 3), generator=gen).float()}
    for s in (0.0, 0.3, 0.5, 0.9, 0.97):
        masks = global_magnitude_masks(weights, s)
        check(list(masks), f"four layers at sparsity {s}: the names, in order")
        check(masks, f"four layers at sparsity {s}")
    for bad in (-0.5, 1, 3.0):
        check(raises(ValueError, global_magnitude_masks, weights, bad), f"sparsity {bad} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 3. How important is a neuron?
#
# A neuron whose output is zero on almost every example passes almost nothing on to the next
# layer. Record the outputs of a layer on a data set (a forward hook does it, as
# `support.prune.neuron_activity` shows) and count, for each unit, the fraction of values that
# are **not zero**. One minus it is the "average percentage of zeros" (APoZ) of Hu et al.
#
# Implement `neuron_importance(activations)`. `activations` has shape `(N, units)` for a fully
# connected layer, or `(N, channels, *positions)` for a convolution, where a unit is a channel
# and every position of every example counts as one value. Return a float tensor of shape
# `(units,)` with values in $[0, 1]$. A value is "not zero" if it is positive *or negative*: not
# every activation function is a ReLU.

# %% solution="neuron_importance"
def neuron_importance(activations: torch.Tensor) -> torch.Tensor:
    """Fraction of the values of each unit (dimension 1) that are not zero: shape (units,)."""
    ### BEGIN SOLUTION
    nonzero = (activations != 0).float()
    return nonzero.transpose(0, 1).flatten(1).mean(1)
    ### END SOLUTION


# %% test="neuron_importance" points=1
relu_out = torch.tensor([[1.0, 0.0, 0.0], [2.0, 0.5, 0.0], [0.0, 3.0, 0.0], [4.0, 0.0, 0.0]])
importance = neuron_importance(relu_out)
assert importance.shape == (3,), f"one value per unit: expected shape (3,), got {tuple(importance.shape)}"
assert importance.tolist() == [0.75, 0.5, 0.0], f"expected [0.75, 0.5, 0.0], got {importance.tolist()}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check

    check(neuron_importance.__module__, "written in this notebook, not imported")
    relu_out = torch.tensor([[1.0, 0.0, 0.0], [2.0, 0.5, 0.0], [0.0, 3.0, 0.0], [4.0, 0.0, 0.0]])
    check(neuron_importance(relu_out), "after a ReLU")
    # negative values count as non-zero (tanh, leaky ReLU, ...)
    tanh_out = torch.tensor([[-0.5, 0.0], [0.2, 0.0], [-0.1, -0.3], [0.0, 0.0]])
    check(neuron_importance(tanh_out), "negative values fire too")
    # a convolution: (N, C, H, W), a unit is a channel, every position counts
    conv_out = torch.zeros(2, 3, 2, 2)
    conv_out[0, 0] = 1.0                 # channel 0: 4 of 8 values non-zero
    conv_out[1, 1, 0, 0] = -2.0          # channel 1: 1 of 8
    check(neuron_importance(conv_out), "a convolution: one value per channel")
    check(neuron_importance(torch.ones(5, 2, 7)), "a 1-D convolution")
    # the outputs of real layers
    cases = [(lambda: nn.Sequential(nn.Linear(6, 9), nn.ReLU()), (40, 6)),
             (lambda: nn.Sequential(nn.Conv2d(2, 5, 3), nn.ReLU()), (7, 2, 6, 6)),
             (lambda: nn.Sequential(nn.Conv1d(3, 4, 3), nn.LeakyReLU()), (5, 3, 9))]
    for seed, (make, shape) in enumerate(cases):
        torch.manual_seed(seed)
        model = make()
        x = torch.randn(shape, generator=torch.Generator().manual_seed(seed))
        with torch.no_grad():
            outputs = model(x)
        check(neuron_importance(outputs), f"the outputs of {model[0]}")

_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 4. Removing neurons for real
#
# Setting a neuron's weights to zero leaves the layer as big and as slow as before. To gain
# anything, build *smaller layers*. For a pair `first -> (activation) -> second`, keeping only
# the units listed in `keep` (a 1-D tensor of indices of `first`'s outputs) means:
#
# - `first` keeps only the rows of its weight for those units, **and their biases**;
# - `second` keeps only the **columns** of its weight for those inputs (its own outputs and
#   its bias are unchanged).
#
# The same holds for a `Conv2d -> Conv2d` pair (plain convolutions, `groups=1`): `first` keeps
# only the filters (the weight's first dimension) of the kept channels and their biases, and
# `second` only the matching input channels (the weight's second dimension). Keep each layer's
# other settings (kernel size, stride, padding, with or without a bias).
#
# The smaller pair must compute exactly what the original pair computes once the removed
# units are silenced, that is, once the columns of `second` that read them are zero. Return
# two **new** layers and leave the originals unchanged. `keep` lists unit indices from 0 to
# `units - 1`: if it is empty, holds an index twice, or holds an index outside that range,
# raise a `ValueError`. A negative index is outside it (`-1` is not "the last unit" here: a
# list of kept units that Python would silently wrap around is a bug in the caller).
#
# Hints: `weight[keep]` selects rows, `weight[:, keep]` columns (or input channels);
# `copy.deepcopy(layer)` copies a layer with all its settings, and assigning
# `new.weight = nn.Parameter(...)` replaces its weight. Then set the size attributes
# (`out_features` / `in_features`, or `out_channels` / `in_channels`) to match.

# %% solution="shrink_pair" withhold="support.prune.shrink_pair"
def shrink_pair(first: nn.Module, second: nn.Module, keep: torch.Tensor):
    """New (first, second) layers with only the units ``keep`` of ``first``'s output."""
    ### BEGIN SOLUTION
    keep = torch.as_tensor(keep, dtype=torch.long)
    units = first.weight.shape[0]
    if keep.ndim != 1 or keep.numel() == 0 or keep.unique().numel() != keep.numel() \
            or keep.min() < 0 or keep.max() >= units:
        raise ValueError(f"keep must list distinct unit indices in [0, {units}), at least one")
    new_first, new_second = copy.deepcopy(first), copy.deepcopy(second)
    with torch.no_grad():
        new_first.weight = nn.Parameter(first.weight[keep].clone())
        if first.bias is not None:
            new_first.bias = nn.Parameter(first.bias[keep].clone())
        new_second.weight = nn.Parameter(second.weight[:, keep].clone())
    if isinstance(first, nn.Linear):
        new_first.out_features, new_second.in_features = len(keep), len(keep)
    else:
        new_first.out_channels, new_second.in_channels = len(keep), len(keep)
    return new_first, new_second
    ### END SOLUTION


# %% test="shrink_pair" points=3
torch.manual_seed(0)
first, second = nn.Linear(6, 5), nn.Linear(5, 3)
x = torch.randn(4, 6)
silenced = copy.deepcopy(second)
with torch.no_grad():
    silenced.weight[:, [1, 4]] = 0          # units 1 and 4 no longer reach `second`
    expected = silenced(torch.relu(first(x)))
small_first, small_second = shrink_pair(first, second, torch.tensor([0, 2, 3]))
shapes = (tuple(small_first.weight.shape), tuple(small_second.weight.shape))
assert shapes == ((3, 6), (3, 3)), f"expected weights of shapes ((3, 6), (3, 3)), got {shapes}"
sizes = (small_first.out_features, small_second.in_features)
assert sizes == (3, 3), f"expected out_features 3 and in_features 3, got {sizes}"
with torch.no_grad():
    got = small_second(torch.relu(small_first(x)))
assert torch.allclose(got, expected, atol=1e-6), \
    f"the smaller pair must compute what the silenced pair does: largest difference " \
    f"{(got - expected).abs().max():.2e}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(shrink_pair.__module__, "written in this notebook, not imported")

    def case(make, keep, shape, what):
        """Shrink a pair made (seeded) by ``make`` and send what it computes on a seeded input
        and everything about the new layers; the originals must be left as they were."""
        torch.manual_seed(0)
        first, second = make()
        x = torch.randn(shape, generator=torch.Generator().manual_seed(3))
        new_first, new_second = shrink_pair(first, second, keep)
        with torch.no_grad():
            got = new_second(torch.relu(new_first(x)))
        check(got, f"{what}: what the smaller pair computes", rtol=1e-5, atol=1e-5)
        for role, new, old in (("first", new_first, first), ("second", new_second, second)):
            check(type(new).__name__, f"{what}: the kind of the new {role} layer")
            check(new is old, f"{what}: the new {role} layer is a new layer")
            check(dict(new.state_dict()), f"{what}: the new {role} layer's weights")
            check(sum(p.numel() for p in new.parameters()), f"{what}: the new {role} layer's size")
            if isinstance(new, nn.Linear):
                check((new.in_features, new.out_features), f"{what}: the new {role} layer's sizes")
            else:
                check((new.in_channels, new.out_channels, tuple(new.kernel_size), tuple(new.stride),
                       tuple(new.padding), new.bias is None),
                      f"{what}: the new {role} layer's settings")
            check(dict(old.state_dict()), f"{what}: the original {role} layer is unchanged")

    # the visible case
    torch.manual_seed(0)
    first, second = nn.Linear(6, 5), nn.Linear(5, 3)
    x = torch.randn(4, 6)
    small_first, small_second = shrink_pair(first, second, torch.tensor([0, 2, 3]))
    check((tuple(small_first.weight.shape), tuple(small_second.weight.shape)), "the visible shapes")
    check((small_first.out_features, small_second.in_features), "the visible sizes")
    with torch.no_grad():
        check(small_second(torch.relu(small_first(x))), "the visible pair computes", rtol=1e-5,
              atol=1e-6)
    # fully connected pairs
    case(lambda: (nn.Linear(8, 10), nn.Linear(10, 4)), torch.tensor([9, 0, 4, 5]), (6, 8),
         "Linear, unsorted keep")
    case(lambda: (nn.Linear(8, 10, bias=False), nn.Linear(10, 4, bias=False)), torch.tensor([1, 2]),
         (6, 8), "Linear without biases")
    case(lambda: (nn.Linear(3, 4), nn.Linear(4, 2)), torch.arange(4), (2, 3), "Linear, keep all")
    # convolutions: channels instead of neurons, settings kept
    case(lambda: (nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 6, 3, stride=2)),
         torch.tensor([0, 3, 4, 7]), (2, 3, 9, 9), "Conv2d with padding and stride")
    case(lambda: (nn.Conv2d(1, 5, 3, bias=False), nn.Conv2d(5, 2, 1)), torch.tensor([2]),
         (3, 1, 6, 6), "Conv2d, one channel kept")
    # bad keep lists
    for keep in ([], [0, 0], [10], [-1]):
        torch.manual_seed(0)
        pair = (nn.Linear(4, 10), nn.Linear(10, 2))
        check(raises(ValueError, shrink_pair, *pair, torch.tensor(keep, dtype=torch.long)),
              f"keep={keep} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 5. Rewinding a lottery ticket
#
# The lottery ticket hypothesis (Frankle & Carbin 2019) says that a pruned network can be
# trained again *from its original initial values*: after training and pruning, every
# surviving parameter goes back to the value it had before training, while the pruned weights
# stay at zero.
#
# Implement `rewind(model, initial_state, masks)`, **in place**: `initial_state` is a
# `state_dict` saved before training (`copy.deepcopy(model.state_dict())`), and `masks` is a
# dict `{parameter name: boolean mask}` like the ones of part 2, for some of the model's
# weights. Every entry of the model's `state_dict()` goes back to its initial value: the
# parameters (biases too) *and the buffers*, such as the running mean and variance a
# `BatchNorm` layer updates while it trains (a rewound network must not keep statistics of the
# trained one). Then the masked weights are zeroed where their mask is `False`. Return the
# model. (The tensors of `model.state_dict()` share their memory with the model's own, so
# copying into them in place changes the model.)

# %% solution="rewind" withhold="support.prune.rewind"
def rewind(model: nn.Module, initial_state: dict, masks: dict) -> nn.Module:
    """Reset every parameter to ``initial_state``, keeping pruned weights at zero (in place)."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        for name, tensor in model.state_dict().items():
            tensor.copy_(initial_state[name])
        for name, mask in masks.items():
            model.get_parameter(name).mul_(mask)
    return model
    ### END SOLUTION


# %% test="rewind" points=2
torch.manual_seed(0)
net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
initial = copy.deepcopy(net.state_dict())
with torch.no_grad():                       # pretend to train
    for p in net.parameters():
        p.add_(1.0)
masks = {"0.weight": torch.rand(6, 4) > 0.5, "2.weight": torch.rand(2, 6) > 0.5}
assert rewind(net, initial, masks) is net, "rewind works in place and returns the model"
for name, mask in masks.items():
    got, want = net.get_parameter(name)[mask], initial[name][mask]
    assert torch.equal(got, want), \
        f"{name}: the surviving weights must be back at their initial values, largest difference " \
        f"{(got - want).abs().max():.2e}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check

    from support.models import cnn

    check(rewind.__module__, "written in this notebook, not imported")
    # the visible case
    torch.manual_seed(0)
    net = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Linear(6, 2))
    initial = copy.deepcopy(net.state_dict())
    with torch.no_grad():                       # pretend to train
        for p in net.parameters():
            p.add_(1.0)
    masks = {"0.weight": torch.rand(6, 4) > 0.5, "2.weight": torch.rand(2, 6) > 0.5}
    check(rewind(net, initial, masks) is net, "rewind works in place and returns the model")
    check(dict(net.state_dict()), "an MLP rewound: pruned weights zero, the rest initial")
    # a model with parameters that have no mask
    trained = cnn(channels=(4, 6), seed=0)
    start = copy.deepcopy(trained.state_dict())
    with torch.no_grad():
        for p in trained.parameters():
            p.mul_(-2.0).add_(0.3)
    gen = torch.Generator().manual_seed(1)
    masks = {name: torch.rand(trained.get_parameter(name).shape, generator=gen) > 0.7
             for name in ("0.weight", "5.weight")}
    model = copy.deepcopy(trained)
    check(rewind(model, start, masks) is model, "a CNN: rewound in place")
    check(dict(model.state_dict()), "a CNN with two masked weights rewound")
    check(masks, "the masks are left alone")
    # buffers go back too: a BatchNorm's running statistics and its count of batches
    torch.manual_seed(2)
    bn_net = nn.Sequential(nn.Linear(3, 5), nn.BatchNorm1d(5), nn.ReLU(), nn.Linear(5, 2))
    bn_start = copy.deepcopy(bn_net.state_dict())
    bn_net.train()
    with torch.no_grad():
        bn_net(torch.randn(32, 3))                       # training moves the running statistics
        bn_net[0].weight.add_(0.5)
    bn_masks = {"0.weight": torch.rand(5, 3) > 0.5}
    rewind(bn_net, bn_start, bn_masks)
    check(dict(bn_net.state_dict()), "a BatchNorm's buffers go back too")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 6. A trained network
#
# Now a real network: the course's 1-D CNN for MNIST-1D (`support.models.cnn1d()`: three
# convolutions and a linear classifier), trained for a few seconds with the course's `support`
# package on one thread. The challenge below prunes it; the notebook uses only the training
# and validation parts of `signals`, never its test part.

# %%
from support import cache, data, models
from support.train import evaluate, fit

torch.set_num_threads(1)
signals = data.mnist1d()
given = models.cnn1d(seed=0)
cache.fit(given, signals, epochs=10, lr=5e-3, seed=0, progress=False)   # trained once, then loaded
print(signals)
print(f"validation accuracy of the trained network: {evaluate(given, signals, 'val'):.3f}")

# %% [markdown]
# ## Check your work
#
# Your masks against PyTorch's own pruning module on this trained network:
# `torch.nn.utils.prune.l1_unstructured` prunes one layer by magnitude, `global_unstructured`
# several layers with one threshold. Both keep the mask in a buffer `weight_mask` (and the
# trained values in `weight_orig`). Without ties (trained weights have none) they should agree
# with yours. The last lines show that one threshold for the whole network gives each layer
# its own sparsity: a layer whose weights are small overall, like the large middle
# convolutions here, gives up more of them.

# %%
from torch.nn.utils import prune as torch_prune

model = copy.deepcopy(given)
layers = {f"{i}.weight": model[i] for i, m in enumerate(model) if isinstance(m, (nn.Conv1d, nn.Linear))}
yours = global_magnitude_masks({name: layer.weight for name, layer in layers.items()}, 0.8)
first_name = next(iter(layers))
one_layer = magnitude_mask(layers[first_name].weight, 0.8)
single = copy.deepcopy(layers[first_name])
torch_prune.l1_unstructured(single, "weight", amount=0.8)
torch_prune.global_unstructured([(layer, "weight") for layer in layers.values()],
                                pruning_method=torch_prune.L1Unstructured, amount=0.8)
print("global masks agree with torch:", all(torch.equal(yours[name], layer.weight_mask.bool())
                                             for name, layer in layers.items()))
print("one-layer mask agrees with torch:", torch.equal(one_layer, single.weight_mask.bool()))
for name, mask in yours.items():
    print(f"{name} {tuple(mask.shape)}: keeps {mask.float().mean():.1%} of its weights")

# %% [markdown]
# ## 7. Challenge: prune as far as you can
#
# Prune the trained network above, `given`, so that as many of its weights as possible are
# zero while it keeps its accuracy. Everything in the pruning chapters is allowed: global or
# per-layer magnitude masks (yours: while your notebook is graded, `support.prune`'s own
# `magnitude_mask`, `global_magnitude_masks`, `shrink_pair` and `rewind` are withheld from it,
# as the course's version of every function you write here is), iterative pruning,
# fine-tuning with the pruned weights held at zero
# (`support.train.fit(..., after_step=support.prune.keep_masked(masks))`), any schedule you like.
#
# Implement `prune_model(model, splits)`:
#
# - `model` is a trained `cnn1d` like `given` (do not rely on it being `given` itself: the
#   grader passes a copy); `splits` is the `signals` above. Use only its training and
#   validation parts;
# - return the pruned network: a `cnn1d` like `model`, with the same weights and biases by
#   name and shape (its `state_dict()` loads into `support.models.cnn1d()`: the grader measures
#   that, in its own process); you may change `model` itself and return it;
# - its **sparsity** is the fraction of those weights that are exactly zero (biases are not
#   counted).
#
# **How it is graded.** The hidden test runs `prune_model` on a copy of `given`, on one thread,
# and sends the result's weights to the grader, which measures them on 4,000 new MNIST-1D
# signals, generated with a seed this notebook never sees:
#
# - `prune_model` may take at most 20 seconds of CPU time;
# - on the new signals, the pruned network's accuracy must be at least the given network's
#   accuracy on the same signals minus 2 points (0.02), or the challenge scores 0. Aim for at
#   most 1 point lost on the validation signals: new signals differ a little;
# - **2 points** for a sparsity of at least 50%, what the simple baseline reaches: one-shot
#   global magnitude pruning and a few epochs of fine-tuning;
# - **4 points** for a sparsity of at least 75%, what a stronger schedule reaches: pruning in
#   several steps with fine-tuning between them, and sparing the small layers that every
#   signal passes through (the sensitivity scan of the pruning chapter shows which).
#
# The test cell below runs your function as the grader does and prints the sparsity and the
# validation accuracy; the hidden tests add the new signals.

# %% solution="prune_model"
from support import prune

### BEGIN SOLUTION
SCHEDULE = (0.5, 0.7, 0.8, 0.85)                  # the sparsity of the big layers at each step
SPARE = {"0.weight": 0.3, "7.weight": 0.6}        # the first and last layers lose less


def prune_model(model, splits):
    """Iterative per-layer magnitude pruning, fine-tuning after each step (pruned weights
    held at zero): the large middle convolutions go to 85%, the first convolution (every
    signal passes through its 160 weights) and the classifier lose less."""
    for sparsity in SCHEDULE:
        masks = {name: magnitude_mask(weight, sparsity * SPARE.get(name, 1.0))
                 for name, weight in prune.prunable(model).items()}
        prune.apply_masks(model, masks)
        fit(model, splits, epochs=3, lr=2e-3, seed=1, after_step=prune.keep_masked(masks),
            progress=False)
    return model
### END SOLUTION


# %% test="prune_model" points=4
import time

from support.prune import prunable

torch.set_num_threads(1)
MARGIN, SIMPLE, STRONG, SECONDS = 0.02, 0.50, 0.75, 20.0


def run_challenge(prune_model, given, splits):
    """(pruned model, sparsity, CPU seconds) of prune_model on a copy of given, checked."""
    reference = prunable(given)
    start = time.process_time()
    pruned = prune_model(copy.deepcopy(given), splits)
    seconds = time.process_time() - start
    assert isinstance(pruned, nn.Module), f"prune_model must return a torch.nn.Module, got {type(pruned).__name__}"
    weights = prunable(pruned)
    shapes = {name: tuple(w.shape) for name, w in weights.items()}
    want = {name: tuple(w.shape) for name, w in reference.items()}
    assert shapes == want, f"expected the weights {want}, got {shapes}"
    with torch.no_grad():
        logits = pruned.eval()(splits.x_val[:5])
    assert logits.shape == (5, 10), f"expected logits of shape (5, 10), got {tuple(logits.shape)}"
    zeros = sum(int((w == 0).sum()) for w in weights.values())
    return pruned, zeros / sum(w.numel() for w in weights.values()), seconds


pruned, sparsity, seconds = run_challenge(prune_model, given, signals)
print(f"sparsity {sparsity:.1%}, validation accuracy {evaluate(given, signals, 'val'):.3f} -> "
      f"{evaluate(pruned, signals, 'val'):.3f}, {seconds:.1f} s of CPU time")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader measures what it sends, on signals this kernel never sees
    from grader.probe import check

    check(prune_model.__module__, "written in this notebook, not imported")
    check(float(seconds), "prune_model's CPU time", judge="within_time")
    check(dict(pruned.state_dict()), "the pruned network", judge="pruned_network")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS
