"""Lottery tickets (Frankle & Carbin 2019): iterative magnitude pruning (IMP) with rewinding.

One IMP round trains the network, removes a fraction of each layer's *surviving* weights
(the smallest |w|), rewinds the survivors to their values at initialisation, and trains
again. The control keeps the same masks but draws the survivors afresh ("random reinit").
Masks, rewinding and keeping pruned weights at zero come from :mod:`support.prune`.

Calling ``torch.nn.utils.prune.l1_unstructured(layer, "weight", amount=rate)`` on a layer
that is already pruned also removes ``rate`` of the *remaining* weights (its
``PruningContainer`` works on the unpruned entries only): :func:`prune_surviving` gives the
same masks, for every layer of a model at once.
"""
from __future__ import annotations

import copy
from typing import Callable, Iterable

import torch
from torch import nn

from .prune import Masks, apply_masks, check_sparsity, keep_masked, magnitude_mask, prunable, \
    rewind, sparsity_of
from .train import evaluate, fit

__all__ = ["full_masks", "prune_surviving", "iterative_magnitude_pruning"]


def full_masks(model: nn.Module) -> Masks:
    """All-True masks, one per prunable weight of ``model`` (nothing pruned yet)."""
    return {name: torch.ones_like(w, dtype=torch.bool) for name, w in prunable(model).items()}


@torch.no_grad()
def prune_surviving(model: nn.Module, masks: Masks, rate: float = 0.2,
                    output_rate: float = 0.1) -> Masks:
    """New masks that remove, layer by layer, round(rate * survivors) of the surviving
    weights of smallest magnitude; the last layer (the classifier) loses ``output_rate`` of
    its survivors instead, as in Frankle & Carbin. ``masks`` maps each name of
    :func:`~support.prune.prunable` to a bool tensor of its weight's shape. Pruned weights
    stay pruned: each new mask lies inside the old one."""
    rate, output_rate = check_sparsity(rate), check_sparsity(output_rate)
    weights = prunable(model)
    if set(weights) != set(masks):
        raise ValueError(f"masks must cover exactly the prunable weights {sorted(weights)}, "
                         f"got {sorted(masks)}")
    last = list(weights)[-1]
    new = {}
    for name, weight in weights.items():
        mask = masks[name].to(weight.device)
        if mask.shape != weight.shape:
            raise ValueError(f"mask for {name} has shape {tuple(mask.shape)}, "
                             f"the weight {tuple(weight.shape)}")
        survivors = int(mask.sum())
        remove = int(round((output_rate if name == last else rate) * survivors))
        if remove == survivors:  # never empty a layer
            remove -= 1
        # the pruned weights score 0 and go first, then the `remove` smallest survivors
        sparsity = (mask.numel() - survivors + remove) / mask.numel()
        new[name] = magnitude_mask(torch.where(mask, weight, 0.0), sparsity) & mask
    return new


def iterative_magnitude_pruning(make_model: Callable[[int], nn.Module], data, rounds: int,
                                epochs: int, lr: float, seed: int = 0, rate: float = 0.2,
                                output_rate: float = 0.1,
                                reinit_rounds: Iterable[int] | None = None) -> list[dict]:
    """Frankle & Carbin's experiment for one seed: a dense run, then ``rounds`` IMP rounds.

    ``make_model(seed)`` builds the network (the same seed gives the same initialisation);
    ``data`` is a :class:`~support.data.Splits`. Every training is ``fit(model, data,
    epochs, lr, seed=seed)``, so all runs see the same batches in the same order.
    ``reinit_rounds`` (default: every round from 1) lists the rounds whose masks are also
    trained from a fresh random initialisation, ``make_model(seed + 1000 * round)``.

    Returns one dict per round (round 0 is the dense network): ``round``; ``fraction_left``
    of the prunable weights; ``masks``; ``ticket``, the test accuracy of the rewound and
    retrained network after ``epochs``; ``ticket_stop``, the (1-based) epoch of its best
    validation accuracy (an early-stopping epoch); and, in ``reinit_rounds``, ``reinit``
    and ``reinit_stop`` for the randomly reinitialised network with the same masks.
    """
    if not isinstance(rounds, int) or rounds < 0:
        raise ValueError(f"rounds must be a non-negative integer, got {rounds!r}")
    if not isinstance(epochs, int) or epochs < 1:
        raise ValueError(f"epochs must be a positive integer, got {epochs!r}")
    reinit_rounds = set(range(1, rounds + 1) if reinit_rounds is None else reinit_rounds)
    if not reinit_rounds <= set(range(1, rounds + 1)):
        raise ValueError(f"reinit_rounds must lie in 1..{rounds}, got {sorted(reinit_rounds)}")

    def train(model, masks):
        history = fit(model, data, epochs=epochs, lr=lr, seed=seed,
                      after_step=keep_masked(masks), progress=False)
        val = history.val_accuracy
        return evaluate(model, data), 1 + max(range(len(val)), key=lambda e: (val[e], -e))

    model = make_model(seed)
    initial = copy.deepcopy(model.state_dict())
    masks = full_masks(model)
    rows = []
    for r in range(rounds + 1):
        if r:
            masks = prune_surviving(model, masks, rate, output_rate)
            rewind(model, initial, masks)
        row = {"round": r, "fraction_left": 1 - sparsity_of(masks), "masks": masks}
        row["ticket"], row["ticket_stop"] = train(model, masks)
        if r in reinit_rounds:
            fresh = apply_masks(make_model(seed + 1000 * r), masks)
            row["reinit"], row["reinit_stop"] = train(fresh, masks)
        rows.append(row)
    return rows
