# ---
# jupyter:
#   kernelspec:
#     display_name: Python 3 (ipykernel)
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exercise 2: knowledge distillation
#
# A small *student* network learns from a large *teacher*'s outputs, softened by a
# temperature, as well as from the labels. In this exercise you write the pieces of the
# distillation chapter yourself:
#
# 1. **`softmax_with_temperature`**: probabilities at temperature T, for logits of any batch
#    shape, without overflowing (2 points);
# 2. **`distillation_loss`**: the loss that mixes the teacher's soft targets and the labels,
#    with its weight α and its factor T² (3 points);
# 3. **`ensemble_soft_targets`**: the soft targets of several teachers at once (2 points);
# 4. **`distillation_step`**: one training step of a student against a frozen teacher
#    (3 points).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each function is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Before you hand in, restart the kernel and run all cells, or run
# `nbgrader validate 02-distillation.ipynb` in a terminal.

# %%
import copy

import torch
from torch import nn
from torch.nn import functional as F

# %% [markdown]
# ## 1. Softmax with a temperature
#
# A classifier's last layer gives one *logit* $z_i$ per class; the softmax turns them into
# probabilities. Dividing the logits by a temperature $T > 0$ first softens the distribution:
#
# $$p_i(T) = \frac{\exp(z_i / T)}{\sum_j \exp(z_j / T)}$$
#
# $T = 1$ is the ordinary softmax; a large $T$ flattens the probabilities towards uniform.
# The lecture's example: logits 100, 10 and 1 give about 1, 0, 0 at $T = 1$ and 0.56, 0.23,
# 0.21 at $T = 100$.
#
# Implement `softmax_with_temperature(logits, T)`:
#
# - `logits` has any shape `(..., C)`: one example `(C,)`, a batch `(B, C)`, or more batch
#   dimensions. The softmax runs over the **last** dimension, and the result has the same
#   shape as `logits`.
# - It must be numerically stable: $e^{100}$ is already too large for a 32-bit float, yet
#   logits of 100 at $T = 1$ must give clean probabilities. The softmax does not change when
#   the same number is subtracted from every logit *of one example*; subtracting each
#   example's largest logit keeps every exponent at most 0. (`torch.softmax` does this for
#   you, and you may use it.)
# - A temperature that is not a number above 0 is a mistake of the caller: raise a
#   `ValueError` that says what was expected.

# %% solution="softmax_with_temperature"
def softmax_with_temperature(logits: torch.Tensor, T: float) -> torch.Tensor:
    """softmax(logits / T) over the last dimension; same shape as ``logits``."""
    ### BEGIN SOLUTION
    if isinstance(T, bool) or not isinstance(T, (int, float)) or not T > 0:
        raise ValueError(f"the temperature T must be a number > 0, got {T!r}")
    scaled = logits / T
    scaled = scaled - scaled.max(dim=-1, keepdim=True).values
    exp = torch.exp(scaled)
    return exp / exp.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %% test="softmax_with_temperature" points=2
lecture = torch.tensor([100.0, 10.0, 1.0])
at_100 = softmax_with_temperature(lecture, 100)
assert [round(v, 2) for v in at_100.tolist()] == [0.56, 0.23, 0.21], at_100
at_1 = softmax_with_temperature(lecture, 1)
assert torch.isfinite(at_1).all(), "logits of 100 at T = 1 must not overflow"
assert torch.allclose(at_1, torch.tensor([1.0, 0.0, 0.0]), atol=1e-6)
batch = torch.randn(4, 10)
assert softmax_with_temperature(batch, 2.0).shape == (4, 10), "the shape must not change"
try:
    softmax_with_temperature(lecture, 0)
except ValueError:
    pass
else:
    raise AssertionError("T = 0 must raise a ValueError")
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
generator = torch.Generator().manual_seed(0)
for shape in [(7,), (5, 10), (2, 3, 5, 7)]:
    z = 5 * torch.randn(*shape, generator=generator)
    for T in (0.5, 1, 3.0, 20):
        p = softmax_with_temperature(z, T)
        assert p.shape == z.shape
        assert trusted.allclose(p.sum(dim=-1), torch.ones(shape[:-1])), "rows must sum to 1"
        assert trusted.allclose(p, torch.softmax(z / T, dim=-1), atol=1e-6), (shape, T)
# each example is stabilised by its own maximum: a batch can mix very different scales
mixed = torch.tensor([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1002.0]])
p = softmax_with_temperature(mixed, 1)
assert torch.isfinite(p).all(), "each row needs its own maximum subtracted"
assert trusted.allclose(p, torch.softmax(mixed, dim=-1))
original = mixed.clone()
softmax_with_temperature(mixed, 2)
assert trusted.equal(mixed, original), "the logits must not be changed in place"
for bad in (-1, -0.5, 0.0):
    try:
        softmax_with_temperature(lecture, bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"T = {bad} must raise a ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## 2. The distillation loss
#
# The student learns from two targets: the teacher's probabilities at temperature $T$ (the
# *soft targets*) and the true labels (the *hard targets*). With $p^T$ the teacher's
# probabilities at $T$ and $q^T$ the student's, for one example,
#
# $$L = \alpha \, T^2 \, \mathrm{KL}\left(p^T \,\|\, q^T\right) + (1 - \alpha)\,
#       \mathrm{CE}\left(q^1, y\right), \qquad
#   \mathrm{KL}(p \,\|\, q) = \sum_i p_i \log\frac{p_i}{q_i}$$
#
# averaged over the batch. CE is the ordinary cross-entropy of the student's logits (at
# $T = 1$) with the label $y$ (`F.cross_entropy`). The factor $T^2$ is there because the
# gradient of the soft term shrinks like $1/T^2$ as $T$ grows: with it, changing $T$ does not
# change the balance α sets between the two terms.
#
# Use PyTorch's `F.kl_div` for the KL term, and read
# [its documentation](https://pytorch.org/docs/stable/generated/torch.nn.functional.kl_div.html)
# carefully: its first argument is the student's **log**-probabilities, its second the
# teacher's probabilities, and its `reduction` decides what it averages over. We want the sum
# over classes, averaged over the examples of the batch.
#
# Implement `distillation_loss(student_logits, teacher_logits, labels, T, alpha)`:
# `student_logits` and `teacher_logits` have shape `(B, C)`, `labels` has shape `(B,)`, and
# the result is a scalar tensor the student can backpropagate through. Raise a `ValueError`
# for a temperature that is not above 0 or an `alpha` outside $[0, 1]$.

# %% solution="distillation_loss"
def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      labels: torch.Tensor, T: float, alpha: float) -> torch.Tensor:
    """alpha * T^2 * KL(p_T || q_T) + (1 - alpha) * CE(student_logits, labels), batch mean."""
    ### BEGIN SOLUTION
    if isinstance(T, bool) or not isinstance(T, (int, float)) or not T > 0:
        raise ValueError(f"the temperature T must be a number > 0, got {T!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    log_q = F.log_softmax(student_logits / T, dim=-1)
    p = F.softmax(teacher_logits / T, dim=-1)
    soft = F.kl_div(log_q, p, reduction="batchmean") * T ** 2
    hard = F.cross_entropy(student_logits, labels)
    return alpha * soft + (1 - alpha) * hard
    ### END SOLUTION


# %% test="distillation_loss" points=3
generator = torch.Generator().manual_seed(1)
student_logits = torch.randn(8, 10, generator=generator)
teacher_logits = 3 * torch.randn(8, 10, generator=generator)
labels = torch.randint(0, 10, (8,), generator=generator)
loss = distillation_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.9)
assert loss.shape == (), "the loss is a scalar"
assert loss.item() > 0
# alpha = 0: the labels only, the plain cross-entropy
assert torch.isclose(distillation_loss(student_logits, teacher_logits, labels, 4.0, 0.0),
                     F.cross_entropy(student_logits, labels))
# a student that already matches the teacher has nothing left to learn from it
assert distillation_loss(teacher_logits, teacher_logits, labels, 4.0, 1.0).abs() < 1e-5
# the student can learn from it
trainable = student_logits.clone().requires_grad_()
distillation_loss(trainable, teacher_logits, labels, 2.0, 0.5).backward()
assert trainable.grad is not None and trainable.grad.abs().sum() > 0
try:
    distillation_loss(student_logits, teacher_logits, labels, 4.0, 1.5)
except ValueError:
    pass
else:
    raise AssertionError("alpha = 1.5 must raise a ValueError")
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
def reference(s, t, y, T, alpha):
    soft = F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1),
                    reduction="batchmean") * T * T
    return alpha * soft + (1 - alpha) * F.cross_entropy(s, y)


generator = torch.Generator().manual_seed(2)
for B, C, T, alpha in [(16, 10, 4.0, 0.9), (5, 3, 1.0, 1.0), (32, 10, 20.0, 0.5),
                       (7, 4, 2.5, 0.3), (64, 10, 8, 1), (3, 6, 0.5, 0.7)]:
    s = 4 * torch.randn(B, C, generator=generator)
    t = 6 * torch.randn(B, C, generator=generator)
    y = torch.randint(0, C, (B,), generator=generator)
    ours = distillation_loss(s, t, y, T, alpha)
    assert trusted.isclose(ours, reference(s, t, y, T, alpha), rtol=1e-4, atol=1e-6), (B, C, T, alpha)
    a, b = s.clone().requires_grad_(), s.clone().requires_grad_()
    distillation_loss(a, t, y, T, alpha).backward()
    reference(b, t, y, T, alpha).backward()
    assert trusted.allclose(a.grad, b.grad, rtol=1e-4, atol=1e-7), "the gradients must agree"
for T, alpha in [(0, 0.5), (-2.0, 0.5), (2.0, -0.1), (2.0, 1.01)]:
    try:
        distillation_loss(student_logits, teacher_logits, labels, T, alpha)
    except ValueError:
        pass
    else:
        raise AssertionError(f"T = {T}, alpha = {alpha} must raise a ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## 3. The soft targets of an ensemble
#
# An ensemble of several teachers is more accurate than each of them, and far too heavy to
# deploy. To distil it into one student, we need its soft targets: the **average of the
# members' probabilities** at temperature $T$,
#
# $$p^T = \frac{1}{M} \sum_{m=1}^{M} \mathrm{softmax}\left(z^{(m)} / T\right)$$
#
# Note that this is not the softmax of the averaged logits: the two differ whenever the
# members disagree.
#
# Implement `ensemble_soft_targets(teacher_logits, T)`: `teacher_logits` is a list (or tuple)
# of $M \geq 1$ tensors of shape `(B, C)`, one per teacher; return the `(B, C)` soft targets.
# Raise a `ValueError` for an empty list or a temperature that is not above 0.

# %% solution="ensemble_soft_targets"
def ensemble_soft_targets(teacher_logits, T: float) -> torch.Tensor:
    """Mean over teachers of softmax(logits_m / T): (B, C) from M tensors (B, C)."""
    ### BEGIN SOLUTION
    if isinstance(T, bool) or not isinstance(T, (int, float)) or not T > 0:
        raise ValueError(f"the temperature T must be a number > 0, got {T!r}")
    teacher_logits = list(teacher_logits)
    if not teacher_logits:
        raise ValueError("need the logits of at least one teacher")
    return torch.stack([torch.softmax(z / T, dim=-1) for z in teacher_logits]).mean(dim=0)
    ### END SOLUTION


# %% test="ensemble_soft_targets" points=2
z = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
one = ensemble_soft_targets([z], 2.0)
assert one.shape == (2, 3)
assert torch.allclose(one, torch.softmax(z / 2.0, dim=-1)), "one teacher: its own softmax at T"
assert torch.allclose(ensemble_soft_targets([z, z, z], 2.0), one), "identical teachers agree"
several = ensemble_soft_targets([z, z.flip(1), 2 * z], 1.0)
assert torch.allclose(several.sum(dim=-1), torch.ones(2)), "soft targets are probabilities"
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
a = torch.tensor([[6.0, 0.0, 0.0]])
b = torch.tensor([[0.0, 6.0, 0.0]])
for T in (1, 2.0, 5):
    expected = (torch.softmax(a / T, -1) + torch.softmax(b / T, -1)) / 2
    assert trusted.allclose(ensemble_soft_targets([a, b], T), expected), \
        "average the probabilities, not the logits"
generator = torch.Generator().manual_seed(3)
members = [4 * torch.randn(9, 10, generator=generator) for _ in range(5)]
expected = sum(torch.softmax(m / 3.0, -1) for m in members) / 5
assert trusted.allclose(ensemble_soft_targets(members, 3.0), expected, atol=1e-6)
assert trusted.allclose(ensemble_soft_targets(tuple(members), 3.0), expected, atol=1e-6)
for bad in [([], 1.0), ([a, b], 0), ([a, b], -1.0)]:
    try:
        ensemble_soft_targets(*bad)
    except ValueError:
        pass
    else:
        raise AssertionError(f"ensemble_soft_targets{bad} must raise a ValueError")
### END HIDDEN TESTS

# %% [markdown]
# ## 4. One distillation step
#
# Now train a student with it. The teacher is already trained and must not change:
#
# - put it in evaluation mode (`teacher.eval()`), so that layers such as dropout and batch
#   normalisation behave as they do at test time and batch normalisation does not update its
#   running statistics;
# - compute its logits without tracking gradients (`with torch.no_grad():`), since nothing
#   is learned in the teacher and tracking would waste memory and time.
#
# Then one ordinary training step of the student: its logits on `x`, your `distillation_loss`
# against the teacher's logits and the labels `y`, clear the old gradients, backpropagate,
# and let the `optimizer` (which holds the student's parameters) take its step.
#
# Implement `distillation_step(student, teacher, optimizer, x, y, T, alpha)` and return the
# loss of this step as a Python float.

# %% solution="distillation_step"
def distillation_step(student: nn.Module, teacher: nn.Module, optimizer, x: torch.Tensor,
                      y: torch.Tensor, T: float, alpha: float) -> float:
    """One optimiser step of ``student`` on the batch (x, y), distilled from ``teacher``."""
    ### BEGIN SOLUTION
    teacher.eval()
    with torch.no_grad():
        teacher_logits = teacher(x)
    student.train()
    loss = distillation_loss(student(x), teacher_logits, y, T, alpha)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
    ### END SOLUTION


# %% test="distillation_step" points=3
import warnings

# kl_div warns about reduction="mean"; your loss is graded in its own cell, not here
warnings.filterwarnings("ignore", message="reduction: 'mean'")
torch.manual_seed(0)
x, y = torch.randn(32, 20), torch.randint(0, 5, (32,))
teacher = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 5))
student = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 5))
teacher_before = copy.deepcopy(teacher.state_dict())
student_before = copy.deepcopy(student.state_dict())
with torch.no_grad():
    expected = distillation_loss(student(x), teacher(x), y, 3.0, 0.8).item()
optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
loss = distillation_step(student, teacher, optimizer, x, y, 3.0, 0.8)
assert isinstance(loss, float), "return the loss as a Python float (loss.item())"
assert abs(loss - expected) < 1e-5, "the loss of the step, before the update"
assert any(not torch.equal(student_before[k], v) for k, v in student.state_dict().items()), \
    "the student must learn"
assert all(torch.equal(teacher_before[k], v) for k, v in teacher.state_dict().items()), \
    "the teacher must not change"
losses = [distillation_step(student, teacher, optimizer, x, y, 3.0, 0.8) for _ in range(20)]
assert losses[-1] < loss, "a few steps on one batch lower its loss"
### BEGIN HIDDEN TESTS
from support import trusted  # comparisons a submission cannot replace
def reference_step(student, teacher, optimizer, x, y, T, alpha):
    teacher.eval()
    with torch.no_grad():
        target = teacher(x)
    loss = distillation_loss(student(x), target, y, T, alpha)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()


torch.manual_seed(1)
x, y = torch.randn(16, 12), torch.randint(0, 4, (16,))
# a teacher with batch normalisation, handed over in training mode
teacher = nn.Sequential(nn.Linear(12, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 4))
with torch.no_grad():
    teacher[1].running_mean.uniform_(-1, 1)
    teacher[1].running_var.uniform_(0.5, 2)
student = nn.Sequential(nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 4))
twin = copy.deepcopy(student)
ref_teacher = copy.deepcopy(teacher)
teacher.train()
stats = teacher[1].running_mean.clone(), teacher[1].running_var.clone()
ours = torch.optim.SGD(student.parameters(), lr=0.1)
theirs = torch.optim.SGD(twin.parameters(), lr=0.1)
for T, alpha in [(2.0, 0.5), (4.0, 0.9), (1.0, 1.0)]:
    got = distillation_step(student, teacher, ours, x, y, T, alpha)
    want = reference_step(twin, ref_teacher, theirs, x, y, T, alpha)
    assert abs(got - want) < 1e-5, \
        "the loss differs from a reference step (teacher in evaluation mode, fresh gradients)"
for mine, ref in zip(student.parameters(), twin.parameters()):
    assert trusted.allclose(mine, ref, atol=1e-6), \
        "after three steps the student differs from the reference: are old gradients cleared?"
assert trusted.equal(teacher[1].running_mean, stats[0]) and trusted.equal(teacher[1].running_var, stats[1]), \
    "the teacher's batch-norm statistics must not move"
assert all(p.grad is None for p in teacher.parameters()), \
    "no gradient may reach the teacher: compute its logits under torch.no_grad()"
### END HIDDEN TESTS

# %% [markdown]
# ## Check your work
#
# Your functions on a real task: a teacher MLP trained on the 8x8 digits, and a student with
# a tenth of its hidden neurons, trained with your `distillation_step` on the labels alone
# (α = 0) and distilled from the teacher (α = 0.9, T = 4). On a task this small, trained this
# briefly, expect the two students to be close: the chapter shows where distillation pays
# off (a student trained long enough to memorise its training set).

# %%
from support import data, models
from support.train import evaluate, fit

digits = data.digits()
teacher = models.for_data("mlp", digits, seed=0)
fit(teacher, digits, epochs=8, lr=2e-3, seed=0, progress=False)
print(f"teacher: {evaluate(teacher, digits):.3f}")
for alpha in (0.0, 0.9):
    student = models.for_data("mlp", digits, hidden=(32,), seed=0)
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
    for epoch in range(6):
        for xb, yb in digits.loader("train", seed=epoch):
            distillation_step(student, teacher, optimizer, xb, yb, T=4.0, alpha=alpha)
    print(f"student, alpha = {alpha}: {evaluate(student, digits):.3f}")
print("lecture logits 100, 10, 1 at T = 100:",
      softmax_with_temperature(torch.tensor([100.0, 10.0, 1.0]), 100))
