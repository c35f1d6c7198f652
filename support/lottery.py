"""Lottery tickets (Frankle & Carbin 2019): iterative magnitude pruning (IMP) with rewinding.

One IMP round trains the network, removes a fraction of each layer's *surviving* weights
(the smallest ``|w|``), rewinds the survivors to their values at initialisation, and trains
again. The control keeps the same masks but draws the survivors afresh ("random reinit").
Masks, rewinding and keeping pruned weights at zero come from :mod:`support.prune`.

Calling ``torch.nn.utils.prune.l1_unstructured(layer, "weight", amount=s)`` on a layer that
is already pruned also removes ``s`` of the *remaining* weights (its ``PruningContainer``
works on the unpruned entries only): :func:`prune_surviving` gives the same masks, for every
layer of a model at once.
"""
from __future__ import annotations

import copy
from typing import Callable

import torch
from torch import nn

from . import checks
from .prune import Masks, _check_masks, check_sparsity, keep_masked, magnitude_mask, prunable, \
    rewind, sparsity_of
from .train import evaluate, fit

__all__ = ["full_masks", "prune_surviving", "train_masked", "iterative_magnitude_pruning"]


def full_masks(model: nn.Module) -> Masks:
    """All-True masks, one per prunable weight of ``model`` (nothing pruned yet).

    >>> from support import models
    >>> {name: tuple(m.shape) for name, m in full_masks(models.mlp(hidden=(4,))).items()}
    {'1.weight': (4, 64), '3.weight': (10, 4)}
    """
    return {name: torch.ones_like(w, dtype=torch.bool) for name, w in prunable(model).items()}


@torch.no_grad()
def prune_surviving(model: nn.Module, masks: Masks, sparsity: float = 0.2,
                    output_sparsity: float = 0.1) -> Masks:
    """New masks that remove, layer by layer, round(sparsity * survivors) of the surviving
    weights of smallest magnitude; the last layer (the classifier) loses ``output_sparsity``
    of its survivors instead, as in Frankle & Carbin. ``masks`` maps each name of
    :func:`~support.prune.prunable` to a bool tensor of its weight's shape. Pruned weights
    stay pruned (each new mask lies inside the old one), and a layer keeps at least one weight.

    Raises ValueError for a sparsity outside [0, 1), masks that do not cover exactly the
    prunable weights, or a mask of the wrong shape.

    >>> from support import models
    >>> model = models.mlp(hidden=(10,), seed=0)
    >>> masks = prune_surviving(model, full_masks(model))
    >>> [int(m.sum()) for m in masks.values()]          # 0.8 * 640 and 0.9 * 100 kept
    [512, 90]
    """
    sparsity, output_sparsity = check_sparsity(sparsity), check_sparsity(output_sparsity)
    weights = prunable(model)
    if set(weights) != set(_check_masks(masks)):
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
        remove = int(round((output_sparsity if name == last else sparsity) * survivors))
        if remove == survivors:  # never empty a layer
            remove -= 1
        # the pruned weights score 0 and go first, then the `remove` smallest survivors
        layer_sparsity = (mask.numel() - survivors + remove) / mask.numel()
        new[name] = magnitude_mask(torch.where(mask, weight, 0.0), layer_sparsity) & mask
    return new


def train_masked(model: nn.Module, masks: Masks, data, epochs: int, lr: float, seed: int = 0,
                 patience: int | None = None) -> tuple[float, int]:
    """Train ``model`` in place with its pruned weights held at zero; return (test accuracy,
    early-stopping epoch), the epoch (1-based) of its best validation accuracy.

    Without ``patience`` it trains for exactly ``epochs`` and is evaluated at the end: the
    same number of iterations for every network, Frankle & Carbin's rule for *matching*.
    With ``patience`` it trains until the validation accuracy has not risen for ``patience``
    epochs (at most ``epochs``) and is evaluated with its weights of that best epoch:
    trained to convergence. ``data`` is a :class:`~support.data.Splits`; every run with the
    same ``seed`` sees the same batches in the same order.
    """
    checks.module("model", model)
    keep = keep_masked(masks)          # checks the masks
    history = fit(model, data, epochs=epochs, lr=lr, seed=seed, after_step=keep,
                  progress=False, patience=patience, restore_best=patience is not None)
    return evaluate(model, data), history.best_epoch


def iterative_magnitude_pruning(make_model: Callable[[int], nn.Module], data, rounds: int,
                                epochs: int, lr: float, seed: int = 0, sparsity: float = 0.2,
                                output_sparsity: float = 0.1) -> list[dict]:
    """Frankle & Carbin's experiment for one seed: a dense run, then ``rounds`` IMP rounds.

    ``make_model(seed)`` builds the network (the same seed gives the same initialisation);
    ``data`` is a :class:`~support.data.Splits`. Every training is
    ``train_masked(model, masks, data, epochs, lr, seed)``: the same number of iterations
    and the same batches for the dense network and every ticket. Each round removes
    ``sparsity`` of each layer's survivors (``output_sparsity`` in the classifier) by
    :func:`prune_surviving`, then rewinds the survivors to ``make_model(seed)``'s values
    (:func:`~support.prune.rewind`, buffers included).

    Returns one dict per round (round 0 is the dense network): ``round``; ``sparsity``, the
    fraction of the prunable weights removed; ``masks``; ``ticket``, the test accuracy after
    ``epochs``; and ``ticket_stop``, its early-stopping epoch. Raises ValueError for a
    negative ``rounds`` or ``epochs`` below 1.
    """
    if isinstance(make_model, nn.Module):     # callable, but not a maker of models
        raise checks.WrongType("make_model must be a function of the seed that builds the "
                               f"model, got a {type(make_model).__name__} module")
    checks.function("make_model", make_model)
    checks.integer("rounds", rounds, low=0)
    checks.integer("epochs", epochs, low=1)
    check_sparsity(sparsity), check_sparsity(output_sparsity)
    model = make_model(seed)
    initial = copy.deepcopy(model.state_dict())
    masks = full_masks(model)
    rows = []
    for r in range(rounds + 1):
        if r:
            masks = prune_surviving(model, masks, sparsity, output_sparsity)
            rewind(model, initial, masks)
        row = {"round": r, "sparsity": sparsity_of(masks), "masks": masks}
        row["ticket"], row["ticket_stop"] = train_masked(model, masks, data, epochs, lr, seed)
        rows.append(row)
    return rows
