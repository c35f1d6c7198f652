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
#    does (2 points).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each function is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Before you hand in, restart the kernel and run all cells, or run
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

# %% solution="magnitude_mask"
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
assert mask.dtype == torch.bool and mask.shape == w.shape
assert mask.tolist() == [[True, False, False], [True, False, True]], mask
assert magnitude_mask(w, 0.0).all(), "sparsity 0 keeps every weight"
w = torch.randn(30, 20, generator=torch.Generator().manual_seed(0))
assert (~magnitude_mask(w, 0.9)).sum() == 540, "exactly round(0.9 * 600) weights are pruned"
try:
    magnitude_mask(w, 1.0)
except ValueError:
    pass
else:
    raise AssertionError("sparsity 1.0 must raise a ValueError")
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
from support.prune import magnitude_mask as reference_mask

# ties: a layer of equal weights prunes the lower indices first, and exactly k of them
assert magnitude_mask(torch.ones(10), 0.3).tolist() == [False] * 3 + [True] * 7
tied = torch.tensor([[0.0, 1.0, 0.0], [1.0, 0.0, 1.0]])
assert magnitude_mask(tied, 0.5).tolist() == [[False, True, False], [True, False, True]]
assert magnitude_mask(tied, 2 / 3).tolist() == [[False, False, False], [True, False, True]]
assert (~magnitude_mask(torch.zeros(7, 3), 0.5)).sum() == round(0.5 * 21)
# the sign does not matter, only the magnitude
assert magnitude_mask(torch.tensor([-3.0, 1.0, -0.5, 2.0]), 0.5).tolist() == [True, False, False, True]
# against the course's reference, on many shapes and sparsities, with and without ties
gen = torch.Generator().manual_seed(1)
for shape in [(50,), (13, 7), (4, 3, 3, 3)]:
    for values in (torch.randn(shape, generator=gen), torch.randint(-2, 3, shape, generator=gen).float()):
        for s in (0.0, 0.1, 0.25, 0.5, 0.77, 0.9, 0.99):
            assert trusted.equal(magnitude_mask(values, s), reference_mask(values, s)), (shape, s)
# the weight itself is left alone, and a parameter with a gradient works
layer = nn.Linear(8, 4)
before = layer.weight.detach().clone()
assert magnitude_mask(layer.weight, 0.5).shape == (4, 8)
assert trusted.equal(layer.weight.detach(), before)
for bad in (-0.1, 1, 1.5, 2.0):
    try:
        magnitude_mask(torch.ones(4), bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"sparsity {bad} must raise a ValueError")
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

# %% solution="global_magnitude_masks"
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
assert set(masks) == {"a", "b"}
assert masks["a"].tolist() == [False, False, True, True]
assert masks["b"].tolist() == [[True, False], [True, False]]
gen = torch.Generator().manual_seed(0)
weights = {"first": torch.randn(20, 10, generator=gen), "second": torch.randn(5, 20, generator=gen)}
masks = global_magnitude_masks(weights, 0.8)
assert masks["first"].shape == (20, 10) and masks["second"].shape == (5, 20)
assert sum(int((~m).sum()) for m in masks.values()) == 240, "exactly round(0.8 * 300) pruned"
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
from support.prune import global_magnitude_masks as reference_global

# one threshold: a layer of small weights loses more than a layer of large ones
weights = {"a": torch.tensor([0.1, 0.2, 5.0]), "b": torch.tensor([3.0, 0.3, 4.0, 0.4])}
masks = global_magnitude_masks(weights, 4 / 7)
assert masks["a"].tolist() == [False, False, True]
assert masks["b"].tolist() == [True, False, True, False]
small, large = torch.full((10,), 0.01), torch.full((10,), 1.0)
masks = global_magnitude_masks({"small": small, "large": large}, 0.5)
assert not masks["small"].any() and masks["large"].all(), "the small layer goes first"
# ties across layers: the earlier position (in dict order) is pruned first
masks = global_magnitude_masks({"x": torch.ones(3), "y": torch.ones(3)}, 0.5)
assert masks["x"].tolist() == [False] * 3 and masks["y"].tolist() == [True] * 3
# against the course's reference
gen = torch.Generator().manual_seed(2)
weights = {"1.weight": 0.1 * torch.randn(30, 16, generator=gen),
           "3.weight": torch.randn(12, 30, generator=gen),
           "5.weight": 3 * torch.randn(10, 12, generator=gen),
           "conv.weight": torch.randint(-1, 2, (4, 2, 3, 3), generator=gen).float()}
for s in (0.0, 0.3, 0.5, 0.9, 0.97):
    ours, theirs = global_magnitude_masks(weights, s), reference_global(weights, s)
    assert list(ours) == list(theirs)
    for name in weights:
        assert trusted.equal(ours[name], theirs[name]), (name, s)
for bad in (-0.5, 1, 3.0):
    try:
        global_magnitude_masks(weights, bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"sparsity {bad} must raise a ValueError")
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
assert importance.shape == (3,)
assert importance.tolist() == [0.75, 0.5, 0.0]
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
# negative values count as non-zero (tanh, leaky ReLU, ...)
tanh_out = torch.tensor([[-0.5, 0.0], [0.2, 0.0], [-0.1, -0.3], [0.0, 0.0]])
assert neuron_importance(tanh_out).tolist() == [0.75, 0.25]
# a convolution: (N, C, H, W), a unit is a channel, every position counts
conv_out = torch.zeros(2, 3, 2, 2)
conv_out[0, 0] = 1.0                 # channel 0: 4 of 8 values non-zero
conv_out[1, 1, 0, 0] = -2.0          # channel 1: 1 of 8
importance = neuron_importance(conv_out)
assert importance.shape == (3,), "one value per channel"
assert trusted.allclose(importance, torch.tensor([0.5, 0.125, 0.0]))
assert neuron_importance(torch.ones(5, 2, 7)).tolist() == [1.0, 1.0]
# against the course's reference, which hooks a real layer
from support.prune import neuron_activity

gen = torch.Generator().manual_seed(0)
for model, shape in [(nn.Sequential(nn.Linear(6, 9), nn.ReLU()), (40, 6)),
                     (nn.Sequential(nn.Conv2d(2, 5, 3), nn.ReLU()), (7, 2, 6, 6))]:
    x = torch.randn(shape, generator=gen)
    with torch.no_grad():
        outputs = model(x)
    assert trusted.allclose(neuron_importance(outputs), neuron_activity(model, model[1], x))
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
# two **new** layers and leave the originals unchanged. If `keep` is empty, holds an index
# twice, or holds an index that is not a unit of `first`, raise a `ValueError`.
#
# Hints: `weight[keep]` selects rows, `weight[:, keep]` columns (or input channels);
# `copy.deepcopy(layer)` copies a layer with all its settings, and assigning
# `new.weight = nn.Parameter(...)` replaces its weight. Then set the size attributes
# (`out_features` / `in_features`, or `out_channels` / `in_channels`) to match.

# %% solution="shrink_pair"
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
assert small_first.weight.shape == (3, 6) and small_second.weight.shape == (3, 3)
assert small_first.out_features == 3 and small_second.in_features == 3
with torch.no_grad():
    assert torch.allclose(small_second(torch.relu(small_first(x))), expected, atol=1e-6)
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
from support.prune import shrink_pair as reference_shrink


def check(first, second, keep, x):
    before = [p.detach().clone() for p in (*first.parameters(), *second.parameters())]
    drop = [i for i in range(first.weight.shape[0]) if i not in set(torch.as_tensor(keep).tolist())]
    silenced = copy.deepcopy(second)
    with torch.no_grad():
        silenced.weight[:, drop] = 0
        expected = silenced(torch.relu(first(x)))
    new_first, new_second = shrink_pair(first, second, keep)
    with torch.no_grad():
        got = new_second(torch.relu(new_first(x)))
    assert trusted.allclose(got, expected, atol=1e-5), "the smaller pair must compute the same"
    ref_first, ref_second = reference_shrink(first, second, torch.as_tensor(keep))
    for ours, theirs in ((new_first, ref_first), (new_second, ref_second)):
        assert type(ours) is type(theirs)
        assert ours.weight.shape == theirs.weight.shape
        assert (ours.bias is None) == (theirs.bias is None)
        assert sum(p.numel() for p in ours.parameters()) == sum(p.numel() for p in theirs.parameters())
    after = [p.detach() for p in (*first.parameters(), *second.parameters())]
    assert all(trusted.equal(a, b) for a, b in zip(before, after)), "the originals must not change"
    assert new_first is not first and new_second is not second
    return new_first, new_second


gen = torch.Generator().manual_seed(3)
torch.manual_seed(3)
check(nn.Linear(8, 10), nn.Linear(10, 4), torch.tensor([9, 0, 4, 5]), torch.randn(6, 8, generator=gen))
check(nn.Linear(8, 10, bias=False), nn.Linear(10, 4, bias=False), torch.tensor([1, 2]),
      torch.randn(6, 8, generator=gen))
check(nn.Linear(3, 4), nn.Linear(4, 2), torch.arange(4), torch.randn(2, 3, generator=gen))
# convolutions: channels instead of neurons, settings kept
conv1, conv2 = nn.Conv2d(3, 8, 3, padding=1), nn.Conv2d(8, 6, 3, stride=2)
new1, new2 = check(conv1, conv2, torch.tensor([0, 3, 4, 7]), torch.randn(2, 3, 9, 9, generator=gen))
assert new1.out_channels == 4 and new2.in_channels == 4
assert new1.padding == (1, 1) and new2.stride == (2, 2) and new2.out_channels == 6
check(nn.Conv2d(1, 5, 3, bias=False), nn.Conv2d(5, 2, 1), torch.tensor([2]),
      torch.randn(3, 1, 6, 6, generator=gen))
# bad keep lists
for keep in ([], [0, 0], [10], [-1]):
    try:
        shrink_pair(nn.Linear(4, 10), nn.Linear(10, 2), torch.tensor(keep, dtype=torch.long))
    except ValueError:
        pass
    else:
        raise AssertionError(f"keep={keep} must raise a ValueError")
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
# weights. Every parameter of the model (biases too) goes back to its initial value; then the
# masked weights are zeroed where their mask is `False`. Return the model.

# %% solution="rewind"
def rewind(model: nn.Module, initial_state: dict, masks: dict) -> nn.Module:
    """Reset every parameter to ``initial_state``, keeping pruned weights at zero (in place)."""
    ### BEGIN SOLUTION
    with torch.no_grad():
        for name, param in model.named_parameters():
            param.copy_(initial_state[name])
            if name in masks:
                param.mul_(masks[name])
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
    assert torch.equal(net.get_parameter(name)[mask], initial[name][mask]), "survivors rewound"
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
for name, mask in masks.items():
    assert (net.get_parameter(name)[~mask] == 0).all(), "pruned weights must stay at zero"
for name in ("0.bias", "2.bias"):
    assert trusted.equal(net.get_parameter(name), initial[name]), "biases go back to their initial values"
# against the course's reference, on a model with a parameter that has no mask
from support.models import cnn
from support.prune import global_magnitude_masks as reference_global
from support.prune import rewind as reference_rewind

torch.manual_seed(1)
trained = cnn(channels=(4, 6), seed=0)
start = copy.deepcopy(trained.state_dict())
with torch.no_grad():
    for p in trained.parameters():
        p.mul_(-2.0).add_(0.3)
masks = reference_global({n: p for n, p in trained.named_parameters() if n in ("0.weight", "5.weight")}, 0.7)
saved_masks = {n: m.clone() for n, m in masks.items()}
ours, theirs = rewind(copy.deepcopy(trained), start, masks), reference_rewind(copy.deepcopy(trained), start, masks)
for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
    assert trusted.equal(a, b), name
assert all(trusted.equal(masks[n], saved_masks[n]) for n in masks), "the masks must not change"
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Your masks against PyTorch's own pruning module: `torch.nn.utils.prune.l1_unstructured`
# prunes one layer by magnitude, `global_unstructured` several layers with one threshold. Both
# keep the mask in a buffer `weight_mask` (and the trained values in `weight_orig`). Without
# ties, they should agree with yours.

# %%
from torch.nn.utils import prune as torch_prune

from support.models import mlp

model = mlp(seed=0)
layers = {f"{i}.weight": model[i] for i in (1, 3, 5)}
yours = global_magnitude_masks({name: layer.weight for name, layer in layers.items()}, 0.9)
one_layer = magnitude_mask(model[1].weight, 0.9)
torch_prune.global_unstructured([(layer, "weight") for layer in layers.values()],
                                pruning_method=torch_prune.L1Unstructured, amount=0.9)
print("global masks agree with torch:", all(torch.equal(yours[name], layer.weight_mask.bool())
                                             for name, layer in layers.items()))
single = copy.deepcopy(mlp(seed=0)[1])
torch_prune.l1_unstructured(single, "weight", amount=0.9)
print("one-layer mask agrees with torch:", torch.equal(one_layer, single.weight_mask.bool()))
for name, mask in yours.items():
    print(f"{name}: keeps {mask.float().mean():.1%} of its weights")
