"""Knowledge distillation (Hinton, Vinyals & Dean 2015): a small *student* learns from a
large *teacher*'s (or an ensemble's) probabilities softened by a temperature T.

- :func:`softmax_with_temperature`: softmax(logits / T), stable for any logits, over the last dimension.
- :func:`ensemble_soft_targets`: the mean of several teachers' probabilities at T.
- :func:`distillation_loss`: alpha * T^2 * KL(teacher_T || student_T) + (1 - alpha) * CE.
- :func:`loss_fn` and :func:`indexed_loader`: the loss as ``loss_fn(logits, x, y)`` for
  :func:`support.train.fit`, with teachers called on each batch or their logits looked up.
"""
from __future__ import annotations

from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import BatchSampler, DataLoader, RandomSampler, TensorDataset

from . import checks
from .data import Splits

__all__ = ["check_temperature", "check_alpha", "softmax_with_temperature", "ensemble_soft_targets",
           "distillation_loss", "loss_fn", "indexed_loader"]


def check_temperature(T) -> float:
    """``T`` as a float, or a ValueError unless it is a finite number > 0 (a bool is not a
    temperature; T = inf would make every distribution uniform and the T^2 factor infinite).

    >>> check_temperature(4)
    4.0
    >>> check_temperature(float("inf"))
    Traceback (most recent call last):
    ValueError: temperature T must be a finite number > 0, got inf
    """
    return checks.number("temperature T", T, above=0)


def check_alpha(alpha) -> float:
    """``alpha`` as a float, or a ValueError unless it is a number in [0, 1] (not a bool).

    >>> check_alpha(0.9)
    0.9
    """
    return checks.number("alpha", alpha, 0, 1)


def softmax_with_temperature(logits: torch.Tensor, T: float = 1.0) -> torch.Tensor:
    """Probabilities softmax(logits / T) over the last dimension; any shape (..., C) in, the
    same shape out. ``torch.softmax`` subtracts the maximum first, so logits of 100 at T = 1
    do not overflow. Raises ValueError unless T is a finite number > 0.

    >>> softmax_with_temperature(torch.tensor([100.0, 10.0, 1.0]), 100).round(decimals=2)
    tensor([0.5600, 0.2300, 0.2100])
    """
    T = check_temperature(T)
    return torch.softmax(checks.tensor("logits", logits, floating=True) / T, dim=-1)


def _teacher_list(teacher_logits) -> list:
    """One teacher's tensor as a list of one; a list or tuple of several as a list."""
    if isinstance(teacher_logits, torch.Tensor):
        return [teacher_logits]
    # finite=False: softmax_with_temperature checks each teacher's values, once
    return [checks.tensor("each teacher's logits", z, floating=True, finite=False)
            for z in checks.sequence("teacher_logits", teacher_logits)]


def ensemble_soft_targets(teacher_logits: Sequence[torch.Tensor], T: float = 1.0) -> torch.Tensor:
    """Soft targets of an ensemble: the mean over teachers of softmax(logits_m / T).
    ``teacher_logits`` is a list of M tensors (..., C) or one tensor (M, ..., C); returns (..., C).
    (Averaging the logits instead would be a different, sharper distribution.) Raises
    ValueError for no teachers, teachers of different shapes, or a bad T.

    >>> ensemble_soft_targets([torch.tensor([6.0, 0.0]), torch.tensor([0.0, 6.0])], 1.0)
    tensor([0.5000, 0.5000])
    """
    # a tensor (M, ..., C) unbinds into M teachers
    teacher_logits = list(teacher_logits) if isinstance(teacher_logits, torch.Tensor) \
        else _teacher_list(teacher_logits)
    if not teacher_logits:
        raise ValueError("need the logits of at least one teacher")
    shapes = {tuple(z.shape) for z in teacher_logits}
    if len(shapes) != 1:
        raise ValueError(f"every teacher's logits must have the same shape, got {sorted(shapes)}")
    return torch.stack([softmax_with_temperature(z, T) for z in teacher_logits]).mean(dim=0)


def distillation_loss(student_logits: torch.Tensor, teacher_logits, labels: torch.Tensor,
                      T: float = 4.0, alpha: float = 0.9) -> torch.Tensor:
    """alpha * T^2 * KL(p_T || q_T) + (1 - alpha) * CE(student_logits, labels), averaged over
    the batch.

    ``student_logits`` is (B, C) and ``labels`` (B,); ``teacher_logits`` is one teacher's
    (B, C), or a list of several teachers' (B, C) (an ensemble: p_T is then the mean of their
    probabilities at T). q_T = softmax(student / T). The soft term's gradient shrinks as
    1 / T^2; the factor T^2 keeps it on the scale of the hard term whatever T is. Raises
    ValueError for teacher logits of another shape than the student's, labels that are not
    one per example, a bad T or a bad alpha.

    >>> z = torch.tensor([[2.0, 0.0, -1.0]])
    >>> distillation_loss(z, z, torch.tensor([0]), T=4.0, alpha=1.0)     # nothing left to learn
    tensor(0.)
    """
    T, alpha = check_temperature(T), check_alpha(alpha)
    teachers = _teacher_list(teacher_logits)
    checks.tensor("student_logits", student_logits, floating=True)
    if student_logits.ndim != 2:
        raise ValueError(f"student_logits must be (B, C), got shape {tuple(student_logits.shape)}")
    for z in teachers:
        if z.shape != student_logits.shape:
            raise ValueError(f"teacher logits {tuple(z.shape)} and student logits "
                             f"{tuple(student_logits.shape)} must have the same shape (B, C)")
    if labels.shape != student_logits.shape[:1]:
        raise ValueError(f"labels must be one class index per example, shape "
                         f"({student_logits.shape[0]},), got {tuple(labels.shape)}")
    _check_labels(labels, student_logits.shape[1])
    targets = ensemble_soft_targets(teachers, T).detach()
    log_q = F.log_softmax(student_logits / T, dim=-1)
    soft = F.kl_div(log_q, targets, reduction="batchmean") * T ** 2
    hard = F.cross_entropy(student_logits, labels)
    return alpha * soft + (1 - alpha) * hard


def _check_labels(labels, num_classes: int) -> torch.Tensor:
    labels = checks.tensor("labels", labels, integer=True)
    low, high = torch.stack(torch.aminmax(labels)).tolist() if labels.numel() else (0, 0)
    if low < 0 or high >= num_classes:
        raise ValueError(f"labels must be class indices in [0, {num_classes}), got labels from "
                         f"{low} to {high}")
    return labels


def loss_fn(teachers, T: float = 4.0, alpha: float = 0.9, labels: torch.Tensor | None = None
            ) -> Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor]:
    """:func:`distillation_loss` as ``loss_fn(logits, x, y)`` for :func:`support.train.fit`.

    Two ways to give the teachers:

    - modules (one ``nn.Module`` or a list): frozen, called in eval mode on every batch ``x``;
      ``y`` holds the labels. Simple, and costs a teacher forward pass per step.
    - precomputed logits of the whole training set (one (N, C) tensor or a list, from
      :func:`support.train.predict`) and their ``labels`` (N,): train on
      :func:`indexed_loader`, whose batches carry each example's index in place of its label.
    """
    T, alpha = check_temperature(T), check_alpha(alpha)
    is_module = isinstance(teachers, nn.Module) or (
        not isinstance(teachers, torch.Tensor) and all(isinstance(t, nn.Module) for t in teachers))
    if is_module:
        modules = [teachers] if isinstance(teachers, nn.Module) else list(teachers)
        if not modules:
            raise ValueError("need at least one teacher")
        for module in modules:
            module.eval().requires_grad_(False)

        def by_call(logits, x, y):
            with torch.no_grad():
                teacher_logits = [m(x) for m in modules]
            return distillation_loss(logits, teacher_logits, y, T, alpha)
        return by_call

    tables = _teacher_list(teachers)
    if labels is not None:
        checks.tensor("labels", labels, ndim=1, integer=True)
    if not tables or labels is None or any(t.shape[0] != len(labels) for t in tables):
        raise ValueError("precomputed teacher logits need the training labels, one per row")

    def by_index(logits, x, index):
        index = index.cpu()
        return distillation_loss(logits, [t[index].to(logits.device) for t in tables],
                                 labels[index].to(logits.device), T, alpha)
    return by_index


def indexed_loader(splits, batch_size: int = 128, seed: int = 0) -> DataLoader:
    """Shuffled (x, index) batches of a Splits' training part, in the same order as
    ``splits.loader("train", batch_size, seed=seed)``: for :func:`loss_fn` with precomputed
    teacher logits. Each batch is sliced out of the tensors at once (a BatchSampler), which is
    several times faster than the default collation of single examples for these tiny models."""
    if not isinstance(splits, Splits):
        raise checks.WrongType(f"splits must be a support.data.Splits, got {checks.describe(splits)}")
    checks.integer("batch_size", batch_size, low=1)
    checks.integer("seed", seed, low=0)
    n = len(splits.y_train)
    generator = torch.Generator().manual_seed(seed)
    order = RandomSampler(range(n), generator=generator)
    return DataLoader(TensorDataset(splits.x_train, torch.arange(n)), batch_size=None,
                      sampler=BatchSampler(order, batch_size, drop_last=False),
                      generator=generator)
