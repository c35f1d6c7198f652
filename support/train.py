"""Training and evaluation: seeded, deterministic on the CPU, on the GPU when there is one.

A model may return one tensor of logits (B, C), or several (a list or tuple of (B, C) tensors,
such as the exits of :class:`support.early_exit.EarlyExitNet`). For the second kind, ``output``
names the one to evaluate (an index, ``-1`` for the last), and :func:`fit`'s ``loss_fn``
receives all of them, for a loss over every output.
"""
from __future__ import annotations

import copy
import random
from dataclasses import dataclass, field
from typing import Callable

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader
from tqdm.auto import tqdm

from . import checks

__all__ = ["device", "seed_everything", "fit", "evaluate", "predict", "History"]


def device() -> torch.device:
    """The GPU when one is present, else the CPU."""
    return torch.device("cuda" if torch.cuda.is_available() else "cpu")


def seed_everything(seed: int) -> None:
    """Seed Python's, NumPy's and torch's generators."""
    checks.integer("seed", seed, low=0)
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class History:
    """Per-epoch training loss and validation accuracy of one :func:`fit`, and
    ``best_epoch``: the first epoch (1-based) of the highest validation accuracy, the
    *early-stopping epoch* (None without validation data)."""

    train_loss: list[float] = field(default_factory=list)
    val_accuracy: list[float] = field(default_factory=list)
    best_epoch: int | None = None


def _part(part) -> str:
    return checks.one_of("part", part, ("train", "val", "test"))


def _loader(data, part: str, batch_size: int, seed: int) -> DataLoader:
    if isinstance(data, DataLoader):
        return data
    if hasattr(data, "loader"):  # a support.data.Splits
        return data.loader(part, batch_size=batch_size, seed=seed)
    raise checks.WrongType(f"data must be a Splits or a DataLoader, got {checks.describe(data)}")


def _check_output(output) -> int | None:
    if output is not None:
        checks.integer("output", output)
    return output


def _pick(outputs, output: int | None) -> torch.Tensor:
    """The logits to evaluate: the model's one tensor (``output`` None), or ``outputs[output]``
    of a model that returns a list or tuple of them."""
    if isinstance(outputs, torch.Tensor):
        if output is not None:
            raise ValueError(f"output={output} picks one of several outputs, but the model "
                             "returns a single tensor: leave output=None")
        return outputs
    if output is None:
        raise ValueError(f"the model returns {len(outputs)} outputs: pass output=<index> "
                         "(-1 for the last) to choose the one to evaluate")
    if not -len(outputs) <= output < len(outputs):
        raise ValueError(f"output={output} is out of range for a model with {len(outputs)} "
                         "outputs")
    return outputs[output]


def fit(model: nn.Module, data, epochs: int = 10, lr: float = 1e-3, batch_size: int = 128,
        seed: int = 0, weight_decay: float = 0.0,
        loss_fn: Callable[[torch.Tensor, torch.Tensor, torch.Tensor], torch.Tensor] | None = None,
        after_step: Callable[[nn.Module], None] | None = None,
        progress: bool = True, output: int | None = None, patience: int | None = None,
        restore_best: bool = False) -> History:
    """Train ``model`` in place with Adam and return its :class:`History`.

    ``data`` is a :class:`~support.data.Splits` (its train part is used, and its val part is
    evaluated after each epoch) or a DataLoader of (x, y) batches. ``loss_fn(logits, x, y)``
    replaces the cross-entropy (distillation uses it to call a teacher on ``x``);
    ``after_step(model)`` runs after every optimiser step (pruning uses it to keep pruned
    weights at zero). ``progress=False`` silences the tqdm bar.

    For a model with several outputs, ``loss_fn(outputs, x, y)`` receives the whole list (for
    example :func:`support.early_exit.loss_fn`, a weighted loss over every exit) and
    ``output`` is the one whose validation accuracy the history tracks; without a
    ``loss_fn``, the cross-entropy trains that one output alone. Only parameters with
    ``requires_grad`` are updated (freeze a part of the model to train the rest).

    Early stopping (``data`` must be a Splits): ``patience=P`` stops training once the
    validation accuracy has not risen for P epochs, so ``epochs`` becomes a budget, not a
    length; ``restore_best=True`` leaves the model with its weights (and buffers) of
    ``History.best_epoch``. Raises ValueError for a non-positive ``patience``, or for either
    without validation data.
    """
    checks.module("model", model)
    checks.integer("epochs", epochs, low=0)
    checks.number("lr", lr, above=0)
    checks.integer("batch_size", batch_size, low=1)
    checks.number("weight_decay", weight_decay, low=0)
    checks.function("loss_fn", loss_fn, optional=True)
    checks.function("after_step", after_step, optional=True)
    checks.flag("progress", progress)
    checks.flag("restore_best", restore_best)
    output = _check_output(output)
    if patience is not None:
        checks.integer("patience", patience, low=1)
    seed_everything(seed)
    train_loader = _loader(data, "train", batch_size, seed)
    val_loader = data.loader("val", batch_size=1024) if hasattr(data, "loader") else None
    if val_loader is None and (patience is not None or restore_best):
        raise ValueError("patience and restore_best need validation data: pass a Splits, "
                         "not a DataLoader")
    dev = device()
    model.to(dev)
    optimiser = torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)
    loss_fn = loss_fn or (lambda outputs, x, y:
                          nn.functional.cross_entropy(_pick(outputs, output), y))
    history = History()
    best_state = None
    bar = tqdm(range(epochs), desc="epochs", disable=not progress, leave=False)
    for epoch in bar:
        model.train()
        total, count = 0.0, 0
        for x, y in train_loader:
            x, y = x.to(dev), y.to(dev)
            outputs = model(x)
            if val_loader is not None and count == 0:
                _pick(outputs, output)  # a model with several outputs needs output= to validate
            loss = loss_fn(outputs, x, y)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            if after_step is not None:
                after_step(model)
            total += loss.item() * len(y)
            count += len(y)
        history.train_loss.append(total / max(count, 1))
        if val_loader is not None:
            history.val_accuracy.append(evaluate(model, val_loader, output=output))
            bar.set_postfix(loss=f"{history.train_loss[-1]:.3f}",
                            val_acc=f"{history.val_accuracy[-1]:.3f}")
            if history.best_epoch is None or \
                    history.val_accuracy[-1] > history.val_accuracy[history.best_epoch - 1]:
                history.best_epoch = epoch + 1
                if restore_best:
                    best_state = copy.deepcopy(model.state_dict())
            if patience is not None and epoch + 1 - history.best_epoch >= patience:
                break
    if best_state is not None:
        model.load_state_dict(best_state)
    model.eval()
    return history


def _batches(data, part: str, batch_size: int):
    """(x, y) batches of a Splits part (in order), a DataLoader, or (x, None) of a tensor."""
    if isinstance(data, torch.Tensor):
        return ((x, None) for x in data.split(batch_size))
    if hasattr(data, "loader"):
        return data.loader(part, batch_size=batch_size, shuffle=False)
    if isinstance(data, DataLoader):
        return data
    raise checks.WrongType(f"data must be a Splits, a DataLoader or a tensor, got "
                           f"{checks.describe(data)}")


@torch.no_grad()
def _run(model: nn.Module, data, part: str, batch_size: int, output: int | None):
    """(logits, labels) over the data: one (N, C) tensor, or with several outputs and
    ``output`` None, a list of them; labels (N,) or None for a tensor of inputs."""
    output = _check_output(output)
    checks.module("model", model)
    _part(part)
    checks.integer("batch_size", batch_size, low=1)
    if isinstance(data, torch.Tensor):
        checks.tensor("data (N, *input_shape)", data, nonempty=True)
    param = next(model.parameters(), None)      # a wrapped engine may have none
    dev = param.device if param is not None else torch.device("cpu")
    was_training = model.training
    model.eval()
    logits, labels = [], []
    for x, y in _batches(data, part, batch_size):
        outputs = model(x.to(dev))
        if output is None and not isinstance(outputs, torch.Tensor):
            logits.append([o.cpu() for o in outputs])
        else:
            logits.append(_pick(outputs, output).cpu())
        labels.append(y)
    model.train(was_training)
    logits = torch.cat(logits) if isinstance(logits[0], torch.Tensor) else \
        [torch.cat(parts) for parts in zip(*logits)]
    return logits, (None if labels[0] is None else torch.cat(labels))


def predict(model: nn.Module, data, part: str = "test", batch_size: int = 1024,
            output: int | None = None) -> torch.Tensor | list[torch.Tensor]:
    """Logits (N, num_classes) of ``model`` on one part of a Splits (in order), on a
    DataLoader, or on a tensor of inputs ``(N, *input_shape)``.

    For a model with several outputs: the logits of output ``output`` (an index), or with
    ``output=None`` a list of every output's logits (N, num_classes)."""
    return _run(model, data, part, batch_size, output)[0]


def evaluate(model: nn.Module, data, part: str = "test", output: int | None = None) -> float:
    """Accuracy in [0, 1] of ``model`` on one part of a Splits, or on a DataLoader.

    A model with several outputs needs ``output``, the index of the one to evaluate."""
    if isinstance(data, torch.Tensor):
        raise ValueError("evaluate needs labels: pass a Splits or a DataLoader of (x, y)")
    logits, labels = _run(model, data, part, 1024, output)
    logits = _pick(logits, None)  # several outputs and no output= : a clear error
    return (logits.argmax(dim=1) == labels).float().mean().item()
