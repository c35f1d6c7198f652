"""Dynamic computation: a network that spends less on easy inputs.

One network carries a classifier (an *exit*) after each of its stages (BranchyNet,
Teerapittayanon et al. 2016; Shallow-Deep Networks, Kaya et al. 2019; MSDNet, Huang et al.
2018). It is trained on a weighted sum of the exits' losses; at inference an example leaves at
the first exit whose confidence is above a threshold, and the stages after it are never run.

- :class:`EarlyExitNet` (stages and heads; ``forward`` gives every exit's logits, ``infer``
  stops each example at its first confident exit) and :func:`cnn_with_exits`.
- :func:`exit_loss` and :func:`loss_fn`: the weighted loss, also as a ``loss_fn`` for
  :func:`support.train.fit`.
- :func:`confidence` and :func:`early_exit`: which exit each example takes, from the logits of
  every exit.
- :func:`part_macs`, :func:`exit_costs`, :func:`exit_fractions`, :func:`expected_macs` and
  :func:`sweep`: what leaving at each exit costs, and the mean cost per example.
- :func:`best_under_budget`: of a family of classifiers, the best one that fits a budget.
"""
from __future__ import annotations

import functools
import math
import numbers
from typing import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from . import checks

__all__ = ["check_threshold", "check_thresholds", "check_weights", "check_exit_logits",
           "EarlyExitNet", "cnn_with_exits", "exit_loss", "loss_fn", "confidence", "early_exit",
           "Thresholded", "part_macs", "exit_costs", "exit_fractions", "expected_macs", "sweep",
           "best_under_budget"]

KINDS = ("max_softmax", "entropy")


def check_threshold(threshold) -> float:
    """``threshold`` as a float, or a ValueError unless it is a number in [0, 1]."""
    return checks.number("a threshold (a confidence)", threshold, 0, 1)


def check_thresholds(threshold, num_exits: int) -> list[float]:
    """One threshold per early exit (the last exit has none: it always answers): a number
    in [0, 1] for all of them, or a sequence of ``num_exits - 1`` such numbers."""
    checks.integer("num_exits", num_exits, low=1)
    if isinstance(threshold, numbers.Number):
        return [check_threshold(threshold)] * (num_exits - 1)
    if isinstance(threshold, torch.Tensor):
        threshold = threshold.tolist()
    if not isinstance(threshold, (list, tuple)) or len(threshold) != num_exits - 1:
        raise ValueError(f"expected one threshold, or a sequence of {num_exits - 1} (one per "
                         f"exit but the last), got {threshold!r}")
    return [check_threshold(t) for t in threshold]


def check_weights(weights, num_exits: int) -> list[float]:
    """The loss weights as floats, or a ValueError unless they are ``num_exits`` numbers
    >= 0, at least one of them > 0."""
    weights = checks.sequence("weights (one per exit)", weights)
    checks.integer("num_exits", num_exits, low=1)
    weights = [checks.number("each of the loss weights", w, low=0) for w in weights]
    if len(weights) != num_exits or not any(w > 0 for w in weights):
        raise ValueError(f"expected {num_exits} loss weights (one per exit), numbers >= 0 and "
                         f"not all zero, got {weights!r}")
    return weights


def check_exit_logits(logits) -> list[torch.Tensor]:
    """The exits' logits as a list, or a ValueError unless they are a non-empty list or
    tuple of tensors of one shape (B, C)."""
    if isinstance(logits, torch.Tensor) or not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError("expected a non-empty list of logits, one (B, C) tensor per exit, got "
                         f"{type(logits).__name__}")
    shapes = [tuple(z.shape) if isinstance(z, torch.Tensor) else type(z).__name__
              for z in logits]
    if not all(isinstance(s, tuple) and len(s) == 2 and s == shapes[0] for s in shapes):
        raise ValueError(f"every exit's logits must be one (B, C) shape, got {shapes}")
    for k, z in enumerate(logits):
        checks.tensor(f"the logits of exit {k}", z, floating=True)
    return list(logits)


class EarlyExitNet(nn.Module):
    """A network of ``stages``, with a classifier ``heads[k]`` after stage k.

    ``forward(x)`` runs every stage and returns a list of K logits (B, C), one per exit,
    which is what training needs (:func:`loss_fn`). :meth:`infer` is the dynamic inference.
    """

    def __init__(self, stages: Sequence[nn.Module], heads: Sequence[nn.Module]):
        super().__init__()
        for what, parts in (("stages", stages), ("heads", heads)):
            if not isinstance(parts, (list, tuple, nn.ModuleList)):
                raise checks.WrongType(f"{what} must be a list of modules, got "
                                       f"{checks.describe(parts)}")
            for part in parts:
                checks.module(f"each of {what}", part)
        if not stages or len(stages) != len(heads):
            raise ValueError(f"expected one head per stage, at least one of each, got "
                             f"{len(stages)} stages and {len(heads)} heads")
        self.stages = nn.ModuleList(stages)
        self.heads = nn.ModuleList(heads)

    @property
    def num_exits(self) -> int:
        return len(self.stages)

    def forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        logits = []
        for stage, head in zip(self.stages, self.heads):
            x = stage(x)
            logits.append(head(x))
        return logits

    @torch.no_grad()
    def infer(self, x: torch.Tensor, threshold=0.9, kind: str = "max_softmax"
              ) -> tuple[torch.Tensor, torch.Tensor]:
        """(predictions (B,), exits (B,)) of a batch x ``(B, *input_shape)``, each example leaving
        at its first exit whose :func:`confidence` is above its threshold (the last exit
        answers for the rest). The stages after an example's exit are not run for it: this is
        where the computation is saved. Gives the same answers as
        ``early_exit(self(x), threshold, kind)``."""
        thresholds = check_thresholds(threshold, self.num_exits)
        checks.one_of("kind", kind, KINDS)
        checks.tensor("x", x, finite=False)  # the stages see it; a check per call costs time
        last = self.num_exits - 1
        if len(x) == 1:  # one example, as a device answering one request: the fewest operations
            for k, (stage, head) in enumerate(zip(self.stages, self.heads)):
                x = stage(x)
                logits = head(x)
                if k == last or _confidence(logits, kind).item() > thresholds[k]:
                    return logits.argmax(1), torch.tensor([k], device=x.device)
        predictions = torch.empty(len(x), dtype=torch.long, device=x.device)
        exits = torch.full((len(x),), last, dtype=torch.long, device=x.device)
        index = torch.arange(len(x), device=x.device)  # the examples still running
        for k, (stage, head) in enumerate(zip(self.stages, self.heads)):
            x = stage(x)
            logits = head(x)
            leave = None if k == last else _confidence(logits, kind) > thresholds[k]
            if leave is None or leave.all():
                predictions[index] = logits.argmax(1)
                exits[index] = k
                break
            if leave.any():
                predictions[index[leave]] = logits[leave].argmax(1)
                exits[index[leave]] = k
                x, index = x[~leave], index[~leave]
        return predictions, exits


def cnn_with_exits(in_channels: int = 1, channels=(32, 64), num_classes: int = 10,
                   head_pool: int = 4, seed: int | None = None) -> EarlyExitNet:
    """The course CNN (:func:`support.models.cnn`: the same layers, and for the same ``seed``
    the same initial weights) cut into three stages, conv | conv + pool | conv, with an exit
    after each: the first two are AdaptiveAvgPool2d(head_pool) + Flatten + Linear, the last is
    the CNN's own classifier (global average pooling + Linear)."""
    from . import models

    checks.integer("head_pool", head_pool, low=1)
    cnn = models.cnn(in_channels, channels, num_classes, seed=seed)  # seeds torch when given
    c1 = channels[0]
    heads = [nn.Sequential(nn.AdaptiveAvgPool2d(head_pool), nn.Flatten(),
                           nn.Linear(c1 * head_pool ** 2, num_classes)) for _ in range(2)]
    return EarlyExitNet([cnn[0:2], cnn[2:5], cnn[5:7]], [*heads, cnn[7:]])


def exit_loss(logits, labels: torch.Tensor, weights) -> torch.Tensor:
    """sum_k weights[k] * CE(logits[k], labels): the weighted sum (not the mean) of the exits'
    cross-entropies, each averaged over the batch. ``logits`` is a list of K (B, C),
    ``labels`` (B,), ``weights`` K numbers >= 0."""
    logits = check_exit_logits(logits)
    weights = check_weights(weights, len(logits))
    checks.tensor("labels", labels, integer=True)
    if labels.shape != logits[0].shape[:1]:
        raise ValueError(f"expected labels of shape ({logits[0].shape[0]},), got "
                         f"{tuple(labels.shape)}")
    return sum(w * F.cross_entropy(z, labels) for w, z in zip(weights, logits))


def loss_fn(weights) -> Callable[[list, torch.Tensor, torch.Tensor], torch.Tensor]:
    """:func:`exit_loss` with these ``weights`` as ``loss_fn(outputs, x, y)`` for
    :func:`support.train.fit`."""
    weights = checks.sequence("weights (one per exit)", weights)
    # a partial of a support function with plain arguments: support.cache.fit can key it
    return functools.partial(_exit_loss_of_batch, weights=check_weights(weights, len(weights)))


def _exit_loss_of_batch(outputs, x, y, weights) -> torch.Tensor:
    return exit_loss(outputs, y, weights)


def confidence(logits: torch.Tensor, kind: str = "max_softmax") -> torch.Tensor:
    """Confidence in [0, 1] of each row of ``logits`` (B, C), shape (B,): the largest softmax
    probability (``"max_softmax"``), or one minus the entropy of the softmax divided by its
    largest value log C (``"entropy"``: 1 for a certain answer, 0 for a uniform one; BranchyNet
    leaves when the entropy is low)."""
    checks.one_of("kind", kind, KINDS)
    checks.tensor("logits (B, C)", logits, ndim=2, floating=True)
    if kind == "entropy" and logits.shape[1] < 2:
        raise ValueError(f"the entropy confidence needs at least 2 classes, got logits of shape "
                         f"{tuple(logits.shape)}")
    return _confidence(logits, kind)


def _confidence(logits: torch.Tensor, kind: str) -> torch.Tensor:
    if kind == "max_softmax":
        return torch.softmax(logits, dim=-1).amax(dim=-1)
    if kind == "entropy":
        log_p = torch.log_softmax(logits, dim=-1)
        entropy = -(log_p.exp() * log_p).sum(dim=-1)
    return (1 - entropy / math.log(logits.shape[-1])).clamp(0, 1)  # rounding only


def early_exit(logits, threshold, kind: str = "max_softmax"
               ) -> tuple[torch.Tensor, torch.Tensor]:
    """(predictions (B,), exits (B,)) from every exit's logits (a list of K (B, C)): each
    example takes the first exit k < K - 1 whose :func:`confidence` is strictly above its
    threshold, else the last exit, and is predicted by that exit's argmax. ``threshold`` is a
    number in [0, 1] or one per early exit (K - 1): 0 sends every example out at the first
    exit, 1 keeps every example to the last."""
    logits = check_exit_logits(logits)
    thresholds = check_thresholds(threshold, len(logits))
    checks.one_of("kind", kind, KINDS)
    if kind == "entropy" and len(logits) > 1:
        confidence(logits[0], kind)         # at least 2 classes
    last = len(logits) - 1
    exits = torch.full(logits[0].shape[:1], last, dtype=torch.long)
    for k in reversed(range(last)):  # the earliest confident exit is written last
        exits[_confidence(logits[k], kind).cpu() > thresholds[k]] = k
    stacked = torch.stack([z.detach().cpu() for z in logits])      # (K, B, C)
    predictions = stacked[exits, torch.arange(len(exits))].argmax(-1)
    return predictions, exits


class Thresholded(nn.Module):
    """``net.infer(x, threshold, kind)`` as a module whose forward returns the predictions,
    so that :func:`support.measure.latency` and :func:`support.measure.speedup` can time it."""

    def __init__(self, net: EarlyExitNet, threshold, kind: str = "max_softmax"):
        super().__init__()
        checks.module("net", net, EarlyExitNet)
        self.net, self.kind = net, checks.one_of("kind", kind, KINDS)
        self.threshold = check_thresholds(threshold, net.num_exits)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net.infer(x, self.threshold, self.kind)[0]


def part_macs(net: EarlyExitNet, example_input: torch.Tensor) -> tuple[list[int], list[int]]:
    """(stage MACs, head MACs): the multiply-accumulates of each stage and each head for one
    example, counted by :func:`support.measure.macs` on ``example_input`` ``(B, *input_shape)``."""
    from .measure import macs

    checks.module("net", net, EarlyExitNet)
    checks.tensor("example_input (B, *input_shape)", example_input, nonempty=True)
    batch = example_input.shape[0]
    stages, heads = [], []
    x = example_input
    with torch.no_grad():
        for stage, head in zip(net.stages, net.heads):
            stages.append(macs(stage, x) // batch)
            x = stage(x)
            heads.append(macs(head, x) // batch)
    return stages, heads


def _costs(values, what: str) -> list[float]:
    """``values`` as a list, or an error unless it is a non-empty sequence of numbers >= 0."""
    values = checks.sequence(what, values, nonempty=True)
    for v in values:
        checks.number(f"each of {what}", v, low=0)
    return values


def exit_costs(stage_macs, head_macs) -> list[float]:
    """What leaving at exit k costs one example: stages 0..k and heads 0..k (every head on
    the way was computed to decide whether to leave). Two sequences of K numbers in, K out."""
    stage_macs, head_macs = _costs(stage_macs, "stage_macs"), _costs(head_macs, "head_macs")
    if len(stage_macs) != len(head_macs):
        raise ValueError(f"expected one head per stage, got {len(stage_macs)} stage costs and "
                         f"{len(head_macs)} head costs")
    costs, total = [], 0
    for stage, head in zip(stage_macs, head_macs):
        total += stage + head
        costs.append(total)
    return costs


def exit_fractions(exits: torch.Tensor, num_exits: int) -> torch.Tensor:
    """Fraction of the examples that took each exit: (K,) from exits (N,) in [0, K)."""
    exits = checks.tensor("exits", exits, integer=True, convert=True)
    checks.integer("num_exits", num_exits, low=1)
    if exits.ndim != 1 or len(exits) == 0 or exits.min() < 0 or exits.max() >= num_exits:
        raise ValueError(f"exits must be a non-empty 1-D tensor of exit indices in "
                         f"[0, {num_exits}), got {exits!r}")
    return torch.bincount(exits, minlength=num_exits).double() / len(exits)


def expected_macs(exits, stage_macs, head_macs) -> float:
    """Mean MACs per example, (1/N) sum_i exit_costs(...)[exits[i]], for the exit each of N
    examples took: ``exits`` (N,) holds indices in [0, K), as :func:`early_exit` returns them
    (exercise 5 asks for this same function)."""
    costs = exit_costs(stage_macs, head_macs)
    exit_fractions(exits, len(costs))          # checks the exits
    return torch.tensor(costs, dtype=torch.float64)[torch.as_tensor(exits)].mean().item()


def sweep(logits, labels: torch.Tensor, thresholds, stage_macs, head_macs,
          kind: str = "max_softmax") -> list[dict]:
    """For each threshold: a dict of ``threshold``, ``accuracy`` in [0, 1], mean ``macs`` per
    example and the ``fractions`` of the examples leaving at each exit. ``labels`` holds one
    class index per example (B,); ``stage_macs`` and ``head_macs`` one number per exit."""
    logits = check_exit_logits(logits)
    labels = checks.tensor("labels", labels, integer=True)
    if labels.shape != logits[0].shape[:1]:
        raise ValueError(f"labels must hold one class index per example, shape "
                         f"({logits[0].shape[0]},), got {tuple(labels.shape)}")
    thresholds = checks.sequence("thresholds", thresholds)
    checks.one_of("kind", kind, KINDS)
    if len(exit_costs(stage_macs, head_macs)) != len(logits):
        raise ValueError(f"expected the MACs of {len(logits)} stages and heads (one per exit), "
                         f"got {len(stage_macs)}")
    rows = []
    for t in thresholds:
        predictions, exits = early_exit(logits, t, kind)
        rows.append({"threshold": t,
                     "accuracy": (predictions == labels.cpu()).double().mean().item(),
                     "macs": expected_macs(exits, stage_macs, head_macs),
                     "fractions": exit_fractions(exits, len(logits)).tolist()})
    return rows


def best_under_budget(costs, accuracies, budget) -> int:
    """Index of the classifier to run under ``budget``: the most accurate of those whose
    cost is at most the budget; among equally accurate ones the cheapest, then the first.
    ``costs`` and ``accuracies`` hold one number per classifier. Raises ValueError if none
    fits (or on malformed input)."""
    costs = _costs(costs, "costs")
    accuracies = checks.sequence("accuracies", accuracies)
    for a in accuracies:
        checks.number("each accuracy", a)
    if len(accuracies) != len(costs):
        raise ValueError(f"expected one accuracy per cost ({len(costs)} numbers), got "
                         f"{accuracies!r}")
    checks.number("budget", budget, low=0)
    fits = [i for i, c in enumerate(costs) if c <= budget]
    if not fits:
        raise ValueError(f"no classifier fits a budget of {budget}: the cheapest costs "
                         f"{min(costs)}")
    return min(fits, key=lambda i: (-accuracies[i], costs[i], i))
