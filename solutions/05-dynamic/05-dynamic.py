# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 5: dynamic computation
#
# An *early-exit* network has a classifier (an *exit*) after each of its stages. An easy input
# leaves at the first exit that is confident enough, and the stages after it are never run; a
# hard input goes on to the last exit. In this exercise you write the pieces of the dynamic
# computation chapter yourself:
#
# 1. **`early_exit`**: which exit each example takes for a threshold, and its prediction
#    (3 points);
# 2. **`expected_macs`**: what that costs per example, on average (2 points);
# 3. **`exit_loss`**: the weighted loss that trains every exit at once (2 points);
# 4. **`best_under_budget`**: the other answer to a varying budget, a family of classifiers
#    and the rule that picks one (2 points);
# 5. **the challenge, `choose_thresholds`**: one threshold per exit, chosen on validation
#    data, as cheap as possible within an accuracy budget (4 points).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each function is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Write each function yourself, in this notebook: the course's package `support` has
# its own versions, and a function imported from it scores nothing. Before you hand in,
# restart the kernel and run all cells, or run `nbgrader validate 05-dynamic.ipynb` in a
# terminal.

# %%
import itertools

import numpy as np
import torch
from torch.nn import functional as F

# %% [markdown]
# ## 1. Early-exit inference
#
# A network with $K$ exits gives, for a batch of $B$ examples, $K$ tensors of logits of shape
# `(B, C)`, one per exit. The **confidence** of exit $k$ on an example is its largest softmax
# probability, $\max_c \mathrm{softmax}(z^{(k)})_c$, a number between $1/C$ and 1.
#
# An example **leaves at the first exit $k \le K - 2$ whose confidence is strictly greater
# than that exit's threshold**; if no early exit is confident enough, the last exit ($K - 1$)
# answers, whatever its confidence. The prediction is the argmax of the logits of the exit
# taken (`torch.argmax`: among equal logits, the lowest class index).
#
# Implement `early_exit(logits, threshold)`:
#
# - `logits` is a list (or tuple) of $K \ge 1$ tensors, all of the same shape `(B, C)`;
# - `threshold` is either one number in $[0, 1]$, used at every early exit, or a list (or
#   tuple) of $K - 1$ numbers in $[0, 1]$, one per early exit (the last exit has none);
# - return `(predictions, exits)`: two `int64` tensors of shape `(B,)`, the predicted class
#   and the index of the exit taken (0 to $K - 1$) of each example.
#
# So a threshold of 0 sends every example out at the first exit, and a threshold of 1 keeps
# every example to the last (a confidence is never above 1). Raise a `ValueError` for a
# threshold outside $[0, 1]$, a list of thresholds of the wrong length, an empty list of
# logits or a tensor instead of a list, and logits whose shapes differ or are not `(B, C)`.

# %% solution="early_exit" withhold="support.early_exit.early_exit"
def early_exit(logits, threshold):
    """(predictions (B,), exits (B,)) from K exits' logits (B, C) and a threshold."""
    ### BEGIN SOLUTION
    if isinstance(logits, torch.Tensor) or not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError("logits must be a non-empty list of (B, C) tensors, one per exit")
    shape = logits[0].shape
    if len(shape) != 2 or any(z.shape != shape for z in logits):
        raise ValueError(f"every exit's logits must have one (B, C) shape, got "
                         f"{[tuple(z.shape) for z in logits]}")
    K = len(logits)

    def check(t):
        if isinstance(t, bool) or not isinstance(t, (int, float)) or not 0 <= t <= 1:
            raise ValueError(f"a threshold must be a number in [0, 1], got {t!r}")
        return float(t)

    if isinstance(threshold, (list, tuple)):
        if len(threshold) != K - 1:
            raise ValueError(f"expected {K - 1} thresholds, one per early exit, got {threshold!r}")
        thresholds = [check(t) for t in threshold]
    else:
        thresholds = [check(threshold)] * (K - 1)
    exits = torch.full((shape[0],), K - 1, dtype=torch.long)
    for k in reversed(range(K - 1)):  # the earliest confident exit is written last, and wins
        confidence = torch.softmax(logits[k], dim=1).max(dim=1).values
        exits[confidence > thresholds[k]] = k
    predictions = torch.stack(logits)[exits, torch.arange(shape[0])].argmax(dim=1)
    return predictions, exits
    ### END SOLUTION


# %% test="early_exit" points=3
logits = [torch.tensor([[4.0, 0.0], [0.0, 0.5], [0.0, 0.0]]),   # exit 0: sure of example 0
          torch.tensor([[0.0, 0.0], [0.0, 4.0], [1.0, 0.0]]),   # exit 1: sure of example 1
          torch.tensor([[0.0, 1.0], [2.0, 0.0], [0.0, 3.0]])]   # the last exit
predictions, exits = early_exit(logits, 0.9)
assert exits.dtype == torch.long and predictions.dtype == torch.long, "return int64 tensors"
assert exits.tolist() == [0, 1, 2], f"expected exits [0, 1, 2], got {exits.tolist()}"
assert predictions.tolist() == [0, 1, 1], f"expected predictions [0, 1, 1], got {predictions.tolist()}"
got = early_exit(logits, 1.0)[1].tolist()
assert got == [2, 2, 2], f"threshold 1: every example goes to the last exit, got {got}"
got = early_exit(logits, [1.0, 0.9])[1].tolist()
assert got == [2, 1, 2], f"one threshold per early exit: expected [2, 1, 2], got {got}"
try:
    early_exit(logits, 1.5)
except ValueError:
    pass
else:
    raise AssertionError("a threshold of 1.5 must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(early_exit.__module__, "written in this notebook, not imported")
    logits = [torch.tensor([[4.0, 0.0], [0.0, 0.5], [0.0, 0.0]]),
              torch.tensor([[0.0, 0.0], [0.0, 4.0], [1.0, 0.0]]),
              torch.tensor([[0.0, 1.0], [2.0, 0.0], [0.0, 3.0]])]
    predictions, exits = early_exit(logits, 0.9)
    check([str(predictions.dtype), str(exits.dtype)], "int64 tensors")
    check((predictions, exits), "the visible case at threshold 0.9")
    check(early_exit(logits, 1.0), "threshold 1: every example to the last exit")
    check(early_exit(logits, [1.0, 0.9]), "one threshold per early exit")
    check(raises(ValueError, early_exit, logits, 1.5), "a threshold of 1.5 is refused")

    generator = torch.Generator().manual_seed(5)
    random_logits = [3 * torch.randn(40, 6, generator=generator) for _ in range(3)]
    for threshold in (0.3, 0.6, 0.9, [0.2, 0.8], [0.9, 0.1], (0.5, 0.5)):
        check(early_exit(random_logits, threshold),
              f"(predictions, exits) at threshold {threshold}")
    # threshold 0: everything leaves at the first exit; one no exit reaches: everything at the last
    check(early_exit(random_logits, 0.0), "threshold 0: everything leaves at the first exit")
    check(early_exit(random_logits, 0), "threshold 0 as an int")
    check(early_exit(random_logits, 1.0), "threshold 1: everything goes to the last exit")
    # a softmax that rounds to exactly 1.0 is not above a threshold of 1
    sure = [torch.tensor([[100.0, 0.0]]), torch.tensor([[0.0, 100.0]])]
    check(early_exit(sure, 1.0), "threshold 1 keeps even a certain example")
    # ties: a confidence equal to the threshold does not leave
    even = [torch.tensor([[0.0, 0.0], [3.0, 0.0]]), torch.tensor([[0.0, 2.0], [0.0, 2.0]])]
    check(early_exit(even, 0.5), "a confidence of exactly 0.5 does not pass 0.5")
    check(early_exit(even, 0.4999), "a confidence of 0.5 passes 0.4999")
    check(early_exit([torch.tensor([[1.0, 1.0, 0.0]])], 0.5),
          "equal logits: the lowest class index")
    # one exit only: it always answers
    generator = torch.Generator().manual_seed(55)
    single = [torch.randn(5, 4, generator=generator)]
    check(early_exit(single, 0.7), "one exit only: it always answers")
    check(early_exit(single, []), "one exit only, no thresholds")
    # the exit taken never moves earlier when the threshold rises
    for threshold in torch.linspace(0, 1, 21).tolist():
        check(early_exit(random_logits, threshold)[1], f"exits at threshold {threshold:.2f}")
    for bad_logits, bad_threshold in [(random_logits, -0.1), (random_logits, 1.01),
                                      (random_logits, [0.5]), (random_logits, [0.5, 0.5, 0.5]),
                                      (random_logits, [0.5, 2.0]),
                                      ([torch.zeros(3, 2), torch.zeros(4, 2)], 0.5),
                                      ([torch.zeros(3, 2), torch.zeros(3, 5)], 0.5),
                                      ([torch.zeros(3)], 0.5), ([], 0.5),
                                      (torch.zeros(2, 3, 4), 0.5)]:
        check(raises(ValueError, early_exit, bad_logits, bad_threshold),
              f"threshold {bad_threshold!r} with logits of shapes "
              f"{[tuple(z.shape) for z in bad_logits]} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The expected cost
#
# Each stage and each exit's classifier (its *head*) costs a known number of MACs
# (multiply-accumulates) per example. An example that leaves at exit $k$ has run stages
# $0, \dots, k$, and the heads $0, \dots, k$: every head on the way was computed to decide
# whether to leave there. So leaving at exit $k$ costs
#
# $$\mathrm{cost}_k = \sum_{j=0}^{k} \left(\mathrm{stage}_j + \mathrm{head}_j\right),$$
#
# and the stages after exit $k$ cost nothing.
#
# Implement `expected_macs(exits, stage_macs, head_macs)`:
#
# - `exits` is a 1-D `int64` tensor of the exit each of $N \ge 1$ examples took (as
#   `early_exit` returns it), each in $0, \dots, K - 1$;
# - `stage_macs` and `head_macs` are lists (or tuples) of $K$ numbers $\ge 0$;
# - return the mean cost per example, $\frac{1}{N} \sum_i \mathrm{cost}_{\mathrm{exits}_i}$, as
#   a Python `float`.
#
# Raise a `ValueError` if `stage_macs` and `head_macs` differ in length, if a cost is negative,
# if `exits` is empty, or if an exit is outside $0, \dots, K - 1$.

# %% solution="expected_macs" withhold="support.early_exit.expected_macs"
def expected_macs(exits, stage_macs, head_macs) -> float:
    """Mean MACs per example: leaving at exit k costs stages 0..k and heads 0..k."""
    ### BEGIN SOLUTION
    if len(stage_macs) != len(head_macs):
        raise ValueError(f"expected one head per stage, got {len(stage_macs)} stages and "
                         f"{len(head_macs)} heads")
    if any(c < 0 for c in [*stage_macs, *head_macs]):
        raise ValueError("costs must be >= 0")
    K = len(stage_macs)
    if exits.numel() == 0 or exits.min() < 0 or exits.max() >= K:
        raise ValueError(f"exits must be a non-empty tensor of indices in [0, {K})")
    costs = torch.tensor(stage_macs, dtype=torch.float64).cumsum(0) + \
        torch.tensor(head_macs, dtype=torch.float64).cumsum(0)
    return costs[exits].mean().item()
    ### END SOLUTION


# %% test="expected_macs" points=2
stages, heads = [10, 100, 1000], [1, 2, 3]
got = expected_macs(torch.tensor([0, 0, 0]), stages, heads)
assert isinstance(got, float), "return a Python float"
assert abs(got - 11) < 1e-9, f"everything at exit 0 costs stage 0 + head 0 = 11, got {got}"
got = expected_macs(torch.tensor([0, 1, 2, 2]), stages, [0, 0, 0])
assert abs(got - (10 + 110 + 1110 + 1110) / 4) < 1e-9, f"expected 585.0, got {got}"
try:
    expected_macs(torch.tensor([0, 1]), [10, 100], [1])
except ValueError:
    pass
else:
    raise AssertionError("two stages and one head must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(expected_macs.__module__, "written in this notebook, not imported")
    stages, heads = [10, 100, 1000], [1, 2, 3]
    got = expected_macs(torch.tensor([0, 0, 0]), stages, heads)
    check(type(got).__name__, "a Python float")
    check(got, "everything at exit 0", rtol=0, atol=1e-9)
    check(expected_macs(torch.tensor([0, 1, 2, 2]), stages, [0, 0, 0]), "heads that cost nothing",
          rtol=0, atol=1e-9)
    check(raises(ValueError, expected_macs, torch.tensor([0, 1]), [10, 100], [1]),
          "two stages and one head are refused")
    exits = torch.tensor([2, 0, 1, 1, 2, 0, 0])
    check(expected_macs(exits, stages, heads), "every head on the way is paid for",
          rtol=0, atol=1e-6)
    check(expected_macs(exits, tuple(stages), tuple(heads)), "costs as tuples", rtol=0, atol=1e-6)
    check(expected_macs(torch.tensor([1]), [0.5, 2.5], [0.25, 0.25]), "fractional costs",
          rtol=0, atol=1e-9)
    # the cost never falls when the threshold rises (exits computed here, by the rule of part 1)
    generator = torch.Generator().manual_seed(6)
    random_logits = [2 * torch.randn(50, 10, generator=generator) for _ in range(3)]
    confidences = [torch.softmax(z, 1).max(1).values for z in random_logits[:2]]
    costs = []
    for t in torch.linspace(0, 1, 11).tolist():
        exits = torch.full((50,), 2, dtype=torch.long)
        for k in (1, 0):
            exits[confidences[k] > t] = k
        costs.append(expected_macs(exits, stages, heads))
    check(costs, "the cost as the threshold rises")
    for bad in [(torch.tensor([0, 3]), stages, heads), (torch.tensor([-1]), stages, heads),
                (torch.tensor([], dtype=torch.long), stages, heads),
                (torch.tensor([0]), [10, -1, 5], heads), (torch.tensor([0]), stages, [1, 2, -3])]:
        check(raises(ValueError, expected_macs, *bad), f"expected_macs{bad} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The weighted loss of every exit
#
# All exits are trained at once, on a weighted sum of their cross-entropies (BranchyNet's
# joint loss):
#
# $$L = \sum_{k=0}^{K-1} w_k \, \mathrm{CE}\left(z^{(k)}, y\right)$$
#
# where each cross-entropy is `F.cross_entropy(logits[k], labels)`, the mean over the batch.
# It is the weighted *sum*, not divided by the sum of the weights. A weight of 0 leaves an
# exit untrained: that exit's logits get no gradient from the loss, either a gradient of
# zeros (`0 * CE` is in the sum) or none at all (their `.grad` stays `None`, when the sum
# leaves that exit out). Both are right, and the tests take `None` for zeros. Raising the
# early exits' weights makes the shared stages serve them more, which can cost the last exit
# some accuracy.
#
# Implement `exit_loss(logits, labels, weights)`: `logits` is a list of $K$ tensors `(B, C)`
# (the same checks as in `early_exit`), `labels` has shape `(B,)`, `weights` is a list (or
# tuple) of $K$ numbers $\ge 0$, at least one of them $> 0$. Return the loss as a scalar
# tensor that can be backpropagated. Raise a `ValueError` for weights of the wrong length, a
# negative weight, weights that are all zero, and logits whose shapes differ.

# %% solution="exit_loss" withhold="support.early_exit.exit_loss"
def exit_loss(logits, labels, weights):
    """sum_k weights[k] * cross_entropy(logits[k], labels): a scalar tensor."""
    ### BEGIN SOLUTION
    if isinstance(logits, torch.Tensor) or not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError("logits must be a non-empty list of (B, C) tensors, one per exit")
    if logits[0].ndim != 2 or any(z.shape != logits[0].shape for z in logits):
        raise ValueError("every exit's logits must have one (B, C) shape")
    weights = list(weights)
    if len(weights) != len(logits) or any(w < 0 for w in weights) or not any(w > 0 for w in weights):
        raise ValueError(f"expected {len(logits)} weights >= 0, not all zero, got {weights!r}")
    return sum(w * F.cross_entropy(z, labels) for w, z in zip(weights, logits))
    ### END SOLUTION


# %% test="exit_loss" points=2
generator = torch.Generator().manual_seed(7)
logits = [torch.randn(8, 5, generator=generator, requires_grad=True) for _ in range(3)]
labels = torch.randint(0, 5, (8,), generator=generator)
loss = exit_loss(logits, labels, [1, 1, 1])
assert loss.shape == (), "the loss is a scalar"
want = sum(F.cross_entropy(z, labels) for z in logits)
assert torch.isclose(loss, want), f"with weights (1, 1, 1): expected {want.item():.4f}, got {loss.item():.4f}"
loss.backward()
assert all(z.grad is not None and z.grad.abs().sum() > 0 for z in logits), "every exit learns"
try:
    exit_loss(logits, labels, [1, -1, 1])
except ValueError:
    pass
else:
    raise AssertionError("a negative weight must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(exit_loss.__module__, "written in this notebook, not imported")
    generator = torch.Generator().manual_seed(7)
    logits = [torch.randn(8, 5, generator=generator, requires_grad=True) for _ in range(3)]
    labels = torch.randint(0, 5, (8,), generator=generator)
    loss = exit_loss(logits, labels, [1, 1, 1])
    check(tuple(loss.shape), "the loss is a scalar")
    check(loss.detach(), "weights (1, 1, 1)")
    loss.backward()
    check([z.grad for z in logits], "every exit learns")
    check(raises(ValueError, exit_loss, logits, labels, [1, -1, 1]), "a negative weight is refused")
    for weights in ([0.5, 0, 2], (0, 0, 1), [3, 1, 0.25], [1, 1, 1]):
        check(exit_loss(logits, labels, weights).detach(), f"weights {weights}")
    fresh = [z.detach().clone().requires_grad_() for z in logits]
    exit_loss(fresh, labels, [0, 2, 1]).backward()
    check([torch.zeros_like(z) if z.grad is None else z.grad for z in fresh],
          "the gradients with weights (0, 2, 1): a weight of 0 trains nothing")
    for bad_logits, bad_weights in [(logits, [1, 1]), (logits, [1, 1, 1, 1]), (logits, [0, 0, 0]),
                                    ([torch.zeros(8, 5), torch.zeros(8, 4)], [1, 1])]:
        check(raises(ValueError, exit_loss, bad_logits, labels, bad_weights),
              f"weights {bad_weights} with logits of shapes "
              f"{[tuple(z.shape) for z in bad_logits]} are refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 4. A family of classifiers and a budget
#
# The other answer to a varying budget: train several classifiers of different cost, and let
# the device run the best one its budget allows (battery low: a cheaper one). "Best" means the
# highest accuracy measured on validation data.
#
# Implement `best_under_budget(costs, accuracies, budget)`: `costs` and `accuracies` are lists
# (or tuples) with one number per classifier, and `budget` is a number. Return the **index**
# of the most accurate classifier whose cost is **at most** the budget. Ties: among equally
# accurate classifiers, the cheapest; among equally accurate and equally cheap ones, the lowest
# index. Raise a `ValueError` when no classifier fits the budget, when the two lists are empty
# or differ in length, and when a cost or the budget is negative.

# %% solution="best_under_budget" withhold="support.early_exit.best_under_budget"
def best_under_budget(costs, accuracies, budget) -> int:
    """Index of the most accurate classifier with cost <= budget (ties: cheaper, then first)."""
    ### BEGIN SOLUTION
    if not costs or len(costs) != len(accuracies):
        raise ValueError("need one accuracy per cost, at least one classifier")
    if budget < 0 or any(c < 0 for c in costs):
        raise ValueError("costs and the budget must be >= 0")
    fits = [i for i, c in enumerate(costs) if c <= budget]
    if not fits:
        raise ValueError(f"no classifier fits a budget of {budget}")
    return min(fits, key=lambda i: (-accuracies[i], costs[i], i))
    ### END SOLUTION


# %% test="best_under_budget" points=2
costs, accuracies = [20_000, 60_000, 250_000, 900_000], [0.90, 0.93, 0.95, 0.97]
for budget, want in [(1_000_000, 3), (300_000, 2), (100_000, 1), (25_000, 0)]:
    got = best_under_budget(costs, accuracies, budget)
    assert got == want, f"budget {budget}: expected classifier {want}, got {got}"
try:
    best_under_budget(costs, accuracies, 10_000)
except ValueError:
    pass
else:
    raise AssertionError("no classifier fits a budget of 10,000: raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(best_under_budget.__module__, "written in this notebook, not imported")
    costs, accuracies = [20_000, 60_000, 250_000, 900_000], [0.90, 0.93, 0.95, 0.97]
    for budget in (1_000_000, 300_000, 100_000, 25_000):
        check(best_under_budget(costs, accuracies, budget), f"budget {budget}")
    check(raises(ValueError, best_under_budget, costs, accuracies, 10_000),
          "no classifier fits a budget of 10,000")
    check(best_under_budget(costs, accuracies, 250_000), "a cost equal to the budget fits")
    check(best_under_budget([5, 1, 3], [0.9, 0.9, 0.9], 10), "equal accuracy: the cheapest")
    check(best_under_budget((4, 1, 1), (0.8, 0.8, 0.8), 4), "equal accuracy and cost: the first")
    check(best_under_budget([9, 3, 6], [0.7, 0.95, 0.99], 7), "budget 7")
    check(best_under_budget([9, 3, 6], [0.7, 0.95, 0.99], 5.5), "budget 5.5")
    for bad in [([], [], 10), ([1, 2], [0.5], 10), ([1, -2], [0.5, 0.6], 10),
                ([1, 2], [0.5, 0.6], -1), ([3, 4], [0.5, 0.6], 2.5)]:
        check(raises(ValueError, best_under_budget, *bad), f"best_under_budget{bad} is refused")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 5. A trained early-exit network
#
# Now a real network: the course's 1-D CNN for MNIST-1D, with 16, 32 and 64 channels, cut
# into its three convolutions as stages. After the first two stages sits a small head
# (average pooling to 5 positions and a Linear layer); the third exit is the CNN's own
# classifier. It is trained in a few seconds with the weighted loss, every exit weighing 1,
# using the course's `support` package. We keep its logits on the **validation** set, which is
# all the challenge may use.

# %%
from torch import nn

from support import cache, data, early_exit as ee, models
from support.train import evaluate, fit, predict

torch.set_num_threads(1)
signals = data.mnist1d(num_samples=6000, val_fraction=0.3)   # we never touch signals' test part
cnn = models.cnn1d(channels=(16, 32, 64), seed=0)
heads = [nn.Sequential(nn.AdaptiveAvgPool1d(5), nn.Flatten(), nn.Linear(c * 5, 10))
         for c in (16, 32)]
network = ee.EarlyExitNet([cnn[0:2], cnn[2:4], cnn[4:6]], [*heads, cnn[6:]])
cache.fit(network, signals, epochs=10, lr=5e-3, batch_size=64, seed=0,   # trained once,
          loss_fn=ee.loss_fn([1, 1, 1]), output=-1, progress=False)        # then loaded
stage_macs, head_macs = ee.part_macs(network, signals.x_val[:1])
exit_macs = ee.exit_costs(stage_macs, head_macs)   # what leaving at each exit costs
val_logits, y_val = predict(network, signals, "val"), signals.y_val
for k in range(network.num_exits):
    print(f"exit {k}: validation accuracy {evaluate(network, signals, 'val', output=k):.3f}, "
          f"{exit_macs[k]:,} MACs to leave here ({exit_macs[k] / exit_macs[-1]:.0%} of the whole "
          f"network's)")

# %% [markdown]
# ## Check your work
#
# Your `early_exit` and `expected_macs` on this network: as the threshold rises, more
# examples go on to the later exits, the mean cost rises, and the accuracy moves towards the
# last exit's. Each exit's own accuracy and cost are printed above: a later exit costs more
# (it pays for every stage and head before it), and what it adds in accuracy for that cost
# differs from exit to exit, so which exit is worth its cost depends on the threshold.

# %%
for threshold in (0.0, 0.5, 0.7, 0.9, 0.99, 1.0):
    predictions, exits = early_exit(val_logits, threshold)
    accuracy = (predictions == y_val).float().mean().item()
    shares = torch.bincount(exits, minlength=3).float() / len(exits)
    print(f"threshold {threshold:4}: accuracy {accuracy:.3f}, "
          f"{expected_macs(exits, stage_macs, head_macs):8,.0f} MACs per example, "
          f"exits {' / '.join(f'{s:.0%}' for s in shares.tolist())}")

# %% [markdown]
# ## 6. Challenge: thresholds within an accuracy budget
#
# One threshold for all exits is rarely the best choice: the early exits differ in accuracy
# and in cost (printed above), and each may deserve a threshold of its own. Choose **one
# threshold per early exit**
# (a list of 2 numbers in $[0, 1]$ for this network) so that the mean cost is as low as
# possible while the accuracy stays within `max_drop` of the last exit's accuracy.
#
# Implement `choose_thresholds(val_logits, val_labels, exit_macs, max_drop)`:
#
# - `val_logits` is a list of $K$ tensors `(N, C)`, every exit's logits on the $N$ validation
#   examples, `val_labels` their labels `(N,)`;
# - `exit_macs` is a list of $K$ numbers, the cost of leaving at each exit (the $\mathrm{cost}_k$
#   of part 2, already summed for you);
# - `max_drop` is the accuracy you may lose, as a fraction (0.01 is one point of accuracy);
# - return a list of $K - 1$ numbers in $[0, 1]$, applied with the rule of part 1 (first exit
#   whose confidence is strictly above its threshold), such that on the validation examples the
#   accuracy is at least the last exit's accuracy on them minus `max_drop`, with the mean cost
#   as low as you can make it.
#
# Use only what the function receives: choosing on validation data is the point.
#
# **How it is graded.** The hidden test sends your thresholds to the grader, which applies them
# (with the rule of part 1), in its own process, to 4,000 new MNIST-1D signals, generated with
# a seed this notebook never sees, with `max_drop = 0.01`:
#
# - on the new signals, the accuracy must be at least the last exit's accuracy on them minus
#   `max_drop` minus 0.01 (one extra point for the difference between validation and new
#   data), or the challenge scores 0;
# - **2 points** if the mean cost on the new signals is at most 2% above the cost of the
#   simple baseline: the lowest single threshold of the grid 0, 0.01, ..., 1, used at both
#   exits, that keeps the validation accuracy within `max_drop`;
# - **4 points** if it is at most 2% above the cost of the strong baseline: the cheapest pair
#   of thresholds from that grid that keeps the validation accuracy within `max_drop`.
#
# The baselines are chosen on the same validation examples as yours, and their costs are
# measured on the same new signals. The levels reward reaching a baseline's cost, not beating
# it: 4 points is the most, and a cost below the strong baseline's earns no more than one
# just within 2% of it. The accuracy condition comes first: thresholds too cheap to keep the
# accuracy on the new signals score 0.

# %% solution="choose_thresholds"
def choose_thresholds(val_logits, val_labels, exit_macs, max_drop):
    """One threshold per early exit: the cheapest on validation data within max_drop."""
    ### BEGIN SOLUTION
    # every pair (or tuple) of thresholds of a 0.01 grid, evaluated on precomputed arrays
    K = len(val_logits)
    confidence = [torch.softmax(z, dim=1).max(dim=1).values.numpy() for z in val_logits]
    right = [(z.argmax(dim=1) == val_labels).numpy() for z in val_logits]
    costs = np.asarray(exit_macs, dtype=float)
    floor = right[-1].mean() - max_drop
    grid = np.round(np.linspace(0, 1, 101), 2)
    best = (np.inf, 0.0, [1.0] * (K - 1))          # (cost, -accuracy, thresholds)
    for thresholds in itertools.product(grid, repeat=K - 1):
        exits = np.full(len(right[0]), K - 1)
        for k in reversed(range(K - 1)):
            exits[confidence[k] > thresholds[k]] = k
        accuracy = np.choose(exits, right).mean()
        candidate = (costs[exits].mean(), -accuracy, [float(t) for t in thresholds])
        if accuracy >= floor - 1e-12 and candidate[:2] < best[:2]:
            best = candidate
    return best[2]
    ### END SOLUTION


# %% test="choose_thresholds" points=4
MAX_DROP = 0.01
thresholds = choose_thresholds(val_logits, y_val, exit_macs, MAX_DROP)
assert isinstance(thresholds, (list, tuple)) and len(thresholds) == 2, \
    f"return a list of 2 thresholds (one per early exit), got {thresholds!r}"
assert all(isinstance(t, (int, float)) and not isinstance(t, bool) and 0 <= t <= 1
           for t in thresholds), f"thresholds are numbers in [0, 1], got {thresholds!r}"
confidences = [torch.softmax(z, 1).max(1).values for z in val_logits[:2]]
exits = torch.full(y_val.shape, 2, dtype=torch.long)
for k in (1, 0):                                   # the rule of part 1: the first confident exit
    exits[confidences[k] > float(thresholds[k])] = k
predictions = torch.stack(val_logits)[exits, torch.arange(len(exits))].argmax(1)
val_accuracy = (predictions == y_val).double().mean().item()
val_floor = (val_logits[-1].argmax(1) == y_val).double().mean().item() - MAX_DROP
val_cost = torch.tensor(exit_macs, dtype=torch.float64)[exits].mean().item()
print(f"on validation data: accuracy {val_accuracy:.4f} (at least {val_floor:.4f} required), "
      f"{val_cost:,.0f} MACs per example, against {exit_macs[-1]:,} for the whole network")
assert val_accuracy >= val_floor - 1e-9, \
    f"on validation data the accuracy {val_accuracy:.4f} is below {val_floor:.4f}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader measures what it sends, on signals this kernel never sees
    from grader.probe import check

    check(choose_thresholds.__module__, "written in this notebook, not imported")
    check([float(t) for t in thresholds], "the thresholds", judge="thresholds_on_new_signals")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS
