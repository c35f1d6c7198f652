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
#    (3 points);
# 5. **the challenge, `distil_student`**: distil a student under a size limit to a target
#    accuracy (4 points).
#
# Write your code where it says `# YOUR CODE HERE` (delete the `raise NotImplementedError()`
# line). Each function is followed by a cell of tests: run it, and when it passes, move on. The
# tests you see are not all the tests: when your notebook is graded, more tests check the same
# functions on other cases, so make each function right in general, not just for the visible
# cases. Write each function of parts 1 to 4 yourself, in this notebook: the course's package
# `support` has its own versions (with the same names where the function is the same), and a
# function imported from it scores nothing. Before you hand in, restart the kernel and run all
# cells, or run `nbgrader validate 02-distillation.ipynb` in a terminal.

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
# - A temperature must be a finite number above 0, an `int` or a `float` (not a bool): `T = 0`,
#   a negative `T`, `T = float("inf")` (every distribution would be uniform, and the $T^2$ of
#   part 2 infinite) and `T = True` are mistakes of the caller. Raise a `ValueError` that says
#   what was expected.

# %% solution="softmax_with_temperature" withhold="support.distill.softmax_with_temperature"
def softmax_with_temperature(logits: torch.Tensor, T: float) -> torch.Tensor:
    """softmax(logits / T) over the last dimension; same shape as ``logits``."""
    ### BEGIN SOLUTION
    if isinstance(T, bool) or not isinstance(T, (int, float)) or not 0 < T < float("inf"):
        raise ValueError(f"the temperature T must be a finite number > 0, got {T!r}")
    scaled = logits / T
    scaled = scaled - scaled.max(dim=-1, keepdim=True).values
    exp = torch.exp(scaled)
    return exp / exp.sum(dim=-1, keepdim=True)
    ### END SOLUTION


# %% test="softmax_with_temperature" points=2
lecture = torch.tensor([100.0, 10.0, 1.0])
got = [round(v, 2) for v in softmax_with_temperature(lecture, 100).tolist()]
assert got == [0.56, 0.23, 0.21], f"the lecture's logits at T = 100: expected [0.56, 0.23, 0.21], got {got}"
at_1 = softmax_with_temperature(lecture, 1)
assert torch.isfinite(at_1).all(), f"logits of 100 at T = 1 must not overflow, got {at_1.tolist()}"
assert torch.allclose(at_1, torch.tensor([1.0, 0.0, 0.0]), atol=1e-6), \
    f"at T = 1: expected about [1, 0, 0], got {at_1.tolist()}"
batch = torch.randn(4, 10)
got = tuple(softmax_with_temperature(batch, 2.0).shape)
assert got == (4, 10), f"the shape must not change: expected (4, 10), got {got}"
try:
    softmax_with_temperature(lecture, 0)
except ValueError:
    pass
else:
    raise AssertionError("T = 0 must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(softmax_with_temperature.__module__, "written in this notebook, not imported")
    lecture = torch.tensor([100.0, 10.0, 1.0])
    for T in (100, 1):
        p = softmax_with_temperature(lecture, T)
        check(tuple(p.shape), f"the lecture's logits at T = {T}: the shape")
        check(p, f"the lecture's logits at T = {T}", atol=1e-6)
    torch.manual_seed(0)
    batch = torch.randn(4, 10)
    check(tuple(softmax_with_temperature(batch, 2.0).shape), "a batch (4, 10) keeps its shape")
    generator = torch.Generator().manual_seed(0)
    for shape in [(7,), (5, 10), (2, 3, 5, 7)]:
        z = 5 * torch.randn(*shape, generator=generator)
        for T in (0.5, 1, 3.0, 20):
            p = softmax_with_temperature(z, T)
            check(tuple(p.shape), f"logits {shape} at T = {T}: the shape")
            check(p.sum(dim=-1), f"logits {shape} at T = {T}: each row sums to 1")
            check(p, f"logits {shape} at T = {T}", atol=1e-6)
    # each example is stabilised by its own maximum: a batch can mix very different scales
    mixed = torch.tensor([[1000.0, 999.0, 0.0], [-1000.0, -1001.0, -1002.0]])
    p = softmax_with_temperature(mixed, 1)
    check(torch.isfinite(p), "each row needs its own maximum subtracted: finite")
    check(p, "rows of very different scales")
    softmax_with_temperature(mixed, 2)
    check(mixed, "the logits are not changed in place")
    for bad in (0, -1, -0.5, 0.0, float("inf"), True):
        check(raises(ValueError, softmax_with_temperature, lecture, bad), f"T = {bad} is refused")


_hidden_test()
del _hidden_test
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
# for a temperature that part 1 refuses, an `alpha` that is not a number in $[0, 1]$, teacher
# logits of another shape than the student's (a teacher for another number of classes, or for
# another batch, cannot be compared example by example), or labels that are not one per
# example (shape `(B,)`).

# %% solution="distillation_loss" withhold="support.distill.distillation_loss"
def distillation_loss(student_logits: torch.Tensor, teacher_logits: torch.Tensor,
                      labels: torch.Tensor, T: float, alpha: float) -> torch.Tensor:
    """alpha * T^2 * KL(p_T || q_T) + (1 - alpha) * CE(student_logits, labels), batch mean."""
    ### BEGIN SOLUTION
    if isinstance(T, bool) or not isinstance(T, (int, float)) or not 0 < T < float("inf"):
        raise ValueError(f"the temperature T must be a finite number > 0, got {T!r}")
    if isinstance(alpha, bool) or not isinstance(alpha, (int, float)) or not 0 <= alpha <= 1:
        raise ValueError(f"alpha must be a number in [0, 1], got {alpha!r}")
    if student_logits.ndim != 2 or teacher_logits.shape != student_logits.shape:
        raise ValueError(f"student and teacher logits must both be (B, C), got "
                         f"{tuple(student_logits.shape)} and {tuple(teacher_logits.shape)}")
    if labels.shape != student_logits.shape[:1]:
        raise ValueError(f"labels must have shape ({student_logits.shape[0]},), got {tuple(labels.shape)}")
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
assert loss.shape == (), f"the loss is a scalar: expected shape (), got {tuple(loss.shape)}"
assert loss.item() > 0, f"expected a positive loss, got {loss.item()}"
# alpha = 0: the labels only, the plain cross-entropy
got = distillation_loss(student_logits, teacher_logits, labels, 4.0, 0.0).item()
want = F.cross_entropy(student_logits, labels).item()
assert abs(got - want) < 1e-5, f"alpha = 0 is the plain cross-entropy: expected {want:.5f}, got {got:.5f}"
# a student that already matches the teacher has nothing left to learn from it
got = distillation_loss(teacher_logits, teacher_logits, labels, 4.0, 1.0).item()
assert abs(got) < 1e-5, f"a student equal to its teacher, alpha = 1: expected 0, got {got:.2e}"
# the student can learn from it
trainable = student_logits.clone().requires_grad_()
distillation_loss(trainable, teacher_logits, labels, 2.0, 0.5).backward()
assert trainable.grad is not None and trainable.grad.abs().sum() > 0, \
    "no gradient reached the student's logits: is the loss computed from them?"
try:
    distillation_loss(student_logits, teacher_logits, labels, 4.0, 1.5)
except ValueError:
    pass
else:
    raise AssertionError("alpha = 1.5 must raise a ValueError")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(distillation_loss.__module__, "written in this notebook, not imported")
    # the visible test's cases
    generator = torch.Generator().manual_seed(1)
    student_logits = torch.randn(8, 10, generator=generator)
    teacher_logits = 3 * torch.randn(8, 10, generator=generator)
    labels = torch.randint(0, 10, (8,), generator=generator)
    loss = distillation_loss(student_logits, teacher_logits, labels, T=4.0, alpha=0.9)
    check(tuple(loss.shape), "the loss is a scalar")
    check(loss, "T = 4, alpha = 0.9", rtol=1e-4, atol=1e-6)
    check(distillation_loss(student_logits, teacher_logits, labels, 4.0, 0.0),
          "alpha = 0 is the plain cross-entropy", rtol=1e-4, atol=1e-6)
    check(distillation_loss(teacher_logits, teacher_logits, labels, 4.0, 1.0),
          "a student equal to its teacher, alpha = 1", rtol=1e-4, atol=1e-5)
    trainable = student_logits.clone().requires_grad_()
    distillation_loss(trainable, teacher_logits, labels, 2.0, 0.5).backward()
    check(trainable.grad, "the gradient reaches the student's logits", rtol=1e-4, atol=1e-7)
    check(raises(ValueError, distillation_loss, student_logits, teacher_logits, labels, 4.0, 1.5),
          "alpha = 1.5 is refused")
    generator = torch.Generator().manual_seed(2)
    for B, C, T, alpha in [(16, 10, 4.0, 0.9), (5, 3, 1.0, 1.0), (32, 10, 20.0, 0.5),
                           (7, 4, 2.5, 0.3), (64, 10, 8, 1), (3, 6, 0.5, 0.7)]:
        s = 4 * torch.randn(B, C, generator=generator)
        t = 6 * torch.randn(B, C, generator=generator)
        y = torch.randint(0, C, (B,), generator=generator)
        case = f"B = {B}, C = {C}, T = {T}, alpha = {alpha}"
        ours = distillation_loss(s, t, y, T, alpha)
        check(tuple(ours.shape), f"{case}: a scalar")
        check(ours, case, rtol=1e-4, atol=1e-6)
        a = s.clone().requires_grad_()
        distillation_loss(a, t, y, T, alpha).backward()
        check(a.grad, f"{case}: the gradient", rtol=1e-4, atol=1e-7)
    for T, alpha in [(0, 0.5), (-2.0, 0.5), (float("inf"), 0.5), (2.0, -0.1), (2.0, 1.01),
                     (2.0, True)]:
        check(raises(ValueError, distillation_loss, student_logits, teacher_logits, labels, T, alpha),
              f"T = {T}, alpha = {alpha} is refused")
    for s_shape, t_shape, y_shape in [((8, 10), (8, 9), (8,)), ((8, 10), (7, 10), (8,)),
                                      ((8, 10), (8, 10), (7,)), ((8, 10), (8, 10), (8, 1))]:
        check(raises(ValueError, distillation_loss, torch.zeros(s_shape), torch.zeros(t_shape),
                     torch.zeros(y_shape, dtype=torch.long), 2.0, 0.5),
              f"student {s_shape}, teacher {t_shape}, labels {y_shape} is refused")


_hidden_test()
del _hidden_test
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
# Raise a `ValueError` for an empty list or a temperature that part 1 refuses.

# %% solution="ensemble_soft_targets" withhold="support.distill.ensemble_soft_targets"
def ensemble_soft_targets(teacher_logits, T: float) -> torch.Tensor:
    """Mean over teachers of softmax(logits_m / T): (B, C) from M tensors (B, C)."""
    ### BEGIN SOLUTION
    if isinstance(T, bool) or not isinstance(T, (int, float)) or not 0 < T < float("inf"):
        raise ValueError(f"the temperature T must be a finite number > 0, got {T!r}")
    teacher_logits = list(teacher_logits)
    if not teacher_logits:
        raise ValueError("need the logits of at least one teacher")
    return torch.stack([torch.softmax(z / T, dim=-1) for z in teacher_logits]).mean(dim=0)
    ### END SOLUTION


# %% test="ensemble_soft_targets" points=2
z = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
one = ensemble_soft_targets([z], 2.0)
assert one.shape == (2, 3), f"expected shape (2, 3), got {tuple(one.shape)}"
want = torch.softmax(z / 2.0, dim=-1)
assert torch.allclose(one, want), f"one teacher: its own softmax at T, expected {want.tolist()}, got {one.tolist()}"
assert torch.allclose(ensemble_soft_targets([z, z, z], 2.0), one), \
    "three identical teachers must give the soft targets of one"
several = ensemble_soft_targets([z, z.flip(1), 2 * z], 1.0)
assert torch.allclose(several.sum(dim=-1), torch.ones(2)), \
    f"soft targets are probabilities: each row sums to 1, got {several.sum(dim=-1).tolist()}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check, raises

    check(ensemble_soft_targets.__module__, "written in this notebook, not imported")
    # the visible test's cases
    z = torch.tensor([[2.0, 1.0, 0.0], [0.0, 0.0, 3.0]])
    one = ensemble_soft_targets([z], 2.0)
    check(tuple(one.shape), "one teacher: the shape")
    check(one, "one teacher: its own softmax at T")
    check(ensemble_soft_targets([z, z, z], 2.0), "three identical teachers")
    several = ensemble_soft_targets([z, z.flip(1), 2 * z], 1.0)
    check(several.sum(dim=-1), "soft targets are probabilities: each row sums to 1")
    check(several, "three different teachers")
    a = torch.tensor([[6.0, 0.0, 0.0]])
    b = torch.tensor([[0.0, 6.0, 0.0]])
    for T in (1, 2.0, 5):
        check(ensemble_soft_targets([a, b], T), f"average the probabilities, not the logits (T = {T})")
    generator = torch.Generator().manual_seed(3)
    members = [4 * torch.randn(9, 10, generator=generator) for _ in range(5)]
    check(ensemble_soft_targets(members, 3.0), "five teachers in a list", atol=1e-6)
    check(ensemble_soft_targets(tuple(members), 3.0), "five teachers in a tuple", atol=1e-6)
    for bad in [([], 1.0), ([a, b], 0), ([a, b], -1.0), ([a, b], float("inf"))]:
        check(raises(ValueError, ensemble_soft_targets, *bad),
              f"ensemble_soft_targets({len(bad[0])} teachers, T = {bad[1]}) is refused")


_hidden_test()
del _hidden_test
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


def quietly(function, *args):
    """function(*args) with warnings silenced. distillation_step calls your distillation_loss,
    which part 2 grades and where its warnings show; this cell grades the step alone."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return function(*args)


torch.manual_seed(0)
x, y = torch.randn(32, 20), torch.randint(0, 5, (32,))
teacher = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 5))
student = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 5))
teacher_before = copy.deepcopy(teacher.state_dict())
student_before = copy.deepcopy(student.state_dict())
with torch.no_grad():
    expected = quietly(distillation_loss, student(x), teacher(x), y, 3.0, 0.8).item()
optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
loss = quietly(distillation_step, student, teacher, optimizer, x, y, 3.0, 0.8)
assert isinstance(loss, float), f"return the loss as a Python float (loss.item()), got {type(loss).__name__}"
assert abs(loss - expected) < 1e-5, \
    f"the loss of the step, computed before the update: expected {expected:.5f}, got {loss:.5f}"
assert any(not torch.equal(student_before[k], v) for k, v in student.state_dict().items()), \
    "the student must learn: none of its parameters changed"
assert all(torch.equal(teacher_before[k], v) for k, v in teacher.state_dict().items()), \
    "the teacher must not change"
losses = [quietly(distillation_step, student, teacher, optimizer, x, y, 3.0, 0.8) for _ in range(20)]
assert losses[-1] < loss, f"20 steps on one batch lower its loss: expected below {loss:.4f}, got {losses[-1]:.4f}"
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader compares what it sends (grader.probe); its names are its own
    from grader.probe import check

    from torch.nn import functional as F

    check(distillation_step.__module__, "written in this notebook, not imported")

    def exact_loss(s, t, y, T, alpha):
        soft = F.kl_div(F.log_softmax(s / T, dim=-1), F.softmax(t / T, dim=-1),
                        reduction="batchmean") * T * T
        return alpha * soft + (1 - alpha) * F.cross_entropy(s, y)

    # the step is graded on its own: while this test runs, the distillation_loss that the step
    # calls is an exact one (part 2 grades yours)
    namespace, missing = globals(), object()
    theirs = namespace.get("distillation_loss", missing)
    namespace["distillation_loss"] = exact_loss
    try:
        # the visible test's case
        torch.manual_seed(0)
        x, y = torch.randn(32, 20), torch.randint(0, 5, (32,))
        torch.manual_seed(0)
        teacher = nn.Sequential(nn.Linear(20, 64), nn.ReLU(), nn.Linear(64, 5))
        student = nn.Sequential(nn.Linear(20, 8), nn.ReLU(), nn.Linear(8, 5))
        optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
        loss = quietly(distillation_step, student, teacher, optimizer, x, y, 3.0, 0.8)
        check(type(loss).__name__, "the loss as a Python float")
        check(loss, "the loss of the step, computed before the update", rtol=1e-4, atol=1e-6)
        check(dict(student.state_dict()), "the student after one step", atol=1e-6)
        check(dict(teacher.state_dict()), "the teacher does not change")
        losses = [quietly(distillation_step, student, teacher, optimizer, x, y, 3.0, 0.8)
                  for _ in range(20)]
        check(losses, "20 more steps on one batch", rtol=1e-3, atol=1e-5)
        # a teacher with batch normalisation, handed over in training mode
        torch.manual_seed(1)
        x, y = torch.randn(16, 12), torch.randint(0, 4, (16,))
        torch.manual_seed(1)
        teacher = nn.Sequential(nn.Linear(12, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Linear(32, 4))
        with torch.no_grad():
            teacher[1].running_mean.uniform_(-1, 1)
            teacher[1].running_var.uniform_(0.5, 2)
        student = nn.Sequential(nn.Linear(12, 6), nn.ReLU(), nn.Linear(6, 4))
        teacher.train()
        optimizer = torch.optim.SGD(student.parameters(), lr=0.1)
        for T, alpha in [(2.0, 0.5), (4.0, 0.9), (1.0, 1.0)]:
            got = quietly(distillation_step, student, teacher, optimizer, x, y, T, alpha)
            check(got, f"the loss at T = {T}, alpha = {alpha} (teacher in evaluation mode, "
                       f"fresh gradients)", rtol=1e-4, atol=1e-6)
        check(dict(student.state_dict()), "the student after three steps: old gradients cleared",
              atol=1e-6)
        check(dict(teacher.state_dict()), "the teacher and its batch-norm statistics do not move")
        check([p.grad is None for p in teacher.parameters()],
              "no gradient reaches the teacher (its logits under torch.no_grad())")
    finally:
        if theirs is missing:
            namespace.pop("distillation_loss", None)
        else:
            namespace["distillation_loss"] = theirs


_hidden_test()
del _hidden_test
### END HIDDEN TESTS

# %% [markdown]
# ## 5. A teacher
#
# Now a real task, the one of the distillation chapter at a smaller scale: MNIST-1D, where a
# convolutional network does far better than a small fully connected one. The teacher is the
# course's 1-D CNN, trained for a few seconds on one thread with the `support` package. The
# notebook uses the training and validation parts of `signals`; the check below also looks at
# its test part, and the challenge is graded on signals the notebook never loads.

# %%
from support import cache, data, distill, models
from support.measure import count_parameters
from support.train import evaluate, fit, predict

torch.set_num_threads(1)
signals = data.mnist1d()
teacher = models.cnn1d(seed=0)
cache.fit(teacher, signals, epochs=10, lr=5e-3, seed=0, progress=False)   # trained once, then loaded
teacher.eval()
print(signals)
print(f"teacher: 1-D CNN, {count_parameters(teacher):,} parameters, "
      f"test accuracy {evaluate(teacher, signals):.3f}")

# %% [markdown]
# ## Check your work
#
# Your `distillation_step` on this task, as in the chapter: the same small MLP (two hidden
# layers of 128 neurons), from the same initialisation and on the same batches, trained on
# the labels alone (α = 0) and distilled from the teacher (α = 0.9, T = 4), for 40 epochs at a
# learning rate of 0.01. That is long enough for the student alone to memorise its training
# set, which is where the teacher's soft targets help: with a correct loss and step, expect the
# distilled student a few points ahead on the test signals. This is one seed; the chapter
# measures the spread over several. (The cell skips itself while nbgrader autogrades: it
# grades nothing, and a class's grading runs it once per student.)

# %%
def trained_student(alpha, epochs=40, T=4.0):
    student = models.mlp((1, 40), hidden=(128, 128), seed=0)
    optimizer = torch.optim.Adam(student.parameters(), lr=1e-2)
    for epoch in range(epochs):
        for xb, yb in signals.loader("train", batch_size=256, seed=epoch):
            distillation_step(student, teacher, optimizer, xb, yb, T=T, alpha=alpha)
    return student


import os

if os.environ.get("NBGRADER_EXECUTION") == "autograde":   # set by nbgrader while it grades
    print("skipped while autograding: this check grades nothing")
else:
    for alpha in (0.0, 0.9):
        student = trained_student(alpha)
        print(f"student, alpha = {alpha}: train accuracy "
              f"{evaluate(student, signals, 'train'):.3f}, "
              f"test accuracy {evaluate(student, signals):.3f}")
    print("lecture logits 100, 10, 1 at T = 100:",
          softmax_with_temperature(torch.tensor([100.0, 10.0, 1.0]), 100))

# %% [markdown]
# ## 6. Challenge: a small student, distilled
#
# Train a student of **at most 10,000 parameters** that is as accurate as you can make it on
# MNIST-1D, with the teacher above. The student must be a fully connected network: an
# `nn.Sequential` of `nn.Flatten`, `nn.Linear` and `nn.ReLU` layers only
# (`support.models.mlp((1, 40), hidden=(...), num_classes=10)` builds one, with the hidden
# widths you choose), mapping signals `(B, 1, 40)` to logits `(B, 10)`. Anything in the
# distillation chapter is allowed: your functions above, `support.distill` (its `loss_fn`
# with precomputed teacher logits and `indexed_loader` are fast), any T, α, learning rate and
# number of epochs.
#
# Implement `distil_student(teacher, splits)`: `teacher` is a trained 1-D CNN like the one
# above (the grader passes a copy), `splits` is `signals`; use only the training and validation
# parts of `splits`, and the teacher. Return the trained student.
#
# **How it is graded.** The hidden test runs `distil_student` on one thread and sends the
# student's layers and weights to the grader, which builds it again and measures it, in its own
# process, on 4,000 new MNIST-1D signals, generated with a seed this notebook never sees:
#
# - the student must be such an MLP with at most 10,000 parameters, and `distil_student` may
#   take at most 20 seconds of CPU time, or the challenge scores 0;
# - **2 points** for an accuracy of at least 57% on the new signals: the simple baseline, a
#   student of that size trained on the labels alone for long enough, reaches 59% to 61%;
# - **4 points** for at least 62.5%: the strong baseline, the same student distilled from the
#   teacher with the chapter's recipe, reaches 64% to 66%.
#
# The test cell below runs your function as the grader does and prints the student's size and
# its validation accuracy; the hidden tests add the new signals.

# %% solution="distil_student"
### BEGIN SOLUTION
HIDDEN = (100, 50)                       # 9,660 parameters


def distil_student(teacher, splits):
    """The chapter's recipe: the teacher's logits on the training set computed once, then 40
    epochs of Adam at 0.01 on batches of 256 with the distillation loss, T = 4, alpha = 0.9."""
    T, alpha = 4.0, 0.9
    targets = F.softmax(predict(teacher, splits, "train") / T, dim=-1)   # the soft targets
    labels = splits.y_train

    def loss_fn(student_logits, x, index):     # indexed_loader's batches carry indices
        soft = F.kl_div(F.log_softmax(student_logits / T, dim=-1), targets[index],
                        reduction="batchmean") * T ** 2
        return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels[index])

    student = models.mlp((1, 40), hidden=HIDDEN, num_classes=10, seed=0)
    fit(student, distill.indexed_loader(splits, 256, seed=0), epochs=40, lr=1e-2, seed=0,
        progress=False, loss_fn=loss_fn)
    return student
### END SOLUTION


# %% test="distil_student" points=4
import time

torch.set_num_threads(1)
MAX_PARAMETERS, SIMPLE, STRONG, SECONDS = 10_000, 0.57, 0.625, 20.0


def run_challenge(distil_student, teacher, splits):
    """(student, CPU seconds) of distil_student on a copy of the teacher, checked."""
    start = time.process_time()
    student = distil_student(copy.deepcopy(teacher), splits)
    seconds = time.process_time() - start
    assert isinstance(student, nn.Sequential), \
        f"distil_student must return an nn.Sequential, got {type(student).__name__}"
    kinds = {type(m).__name__ for m in student}
    assert kinds <= {"Flatten", "Linear", "ReLU"}, \
        f"the student may hold Flatten, Linear and ReLU layers only, got {sorted(kinds)}"
    size = count_parameters(student)
    assert size <= MAX_PARAMETERS, f"the student has {size:,} parameters, more than {MAX_PARAMETERS:,}"
    with torch.no_grad():
        logits = student.eval()(splits.x_val[:5])
    assert logits.shape == (5, 10), f"expected logits of shape (5, 10), got {tuple(logits.shape)}"
    return student, seconds


student, seconds = run_challenge(distil_student, teacher, signals)
print(f"student: {count_parameters(student):,} parameters, validation accuracy "
      f"{evaluate(student, signals, 'val'):.3f} (teacher {evaluate(teacher, signals, 'val'):.3f}), "
      f"{seconds:.1f} s of CPU time")
### BEGIN HIDDEN TESTS
def _hidden_test():   # the grader measures what it sends, on signals this kernel never sees
    from grader.probe import check, sequential

    check(distil_student.__module__, "written in this notebook, not imported")
    check(float(seconds), "distil_student's CPU time", judge="within_time")
    check(sequential(student), "the student", judge="student_on_new_signals")


_hidden_test()
del _hidden_test
### END HIDDEN TESTS
