"""Training done once: :func:`fit` is :func:`support.train.fit` with a memory on disk.

The chapters, the exercises and their grading train the same small models again and again
(the exercise's given model in every submission, a chapter's baseline on every build). The
first call of ``cache.fit(model, data, **recipe)`` trains as ``support.train.fit`` does and
saves the trained weights and the history; every later call with the same inputs loads them,
bit for bit what training would give. The file is named by a SHA-256 of everything the result
depends on, so that a stale entry is never found, rather than rarely:

- the model as it is before training: its class, its structure (``repr``) and the value of
  every parameter and buffer (which carry the seed it was built from and any training before);
- the data: every tensor of the :class:`~support.data.Splits`;
- the recipe: ``fit``'s keyword arguments but ``progress``: plain values, or a ``loss_fn``
  that is a ``functools.partial`` of a function of ``support`` with plain arguments (such as
  :func:`support.early_exit.loss_fn`'s), keyed by its name and arguments; any other callable
  cannot be keyed, and such a training goes to ``support.train.fit`` itself;
- the code: the source of every module of ``support/`` and the versions of torch and numpy;
- the arithmetic: torch's number of threads and the device (sums round differently on others).

Entries live in ``support.data.CACHE/trained`` (``$COMPRESSION_CACHE``): delete the folder to
start again. A damaged or unreadable entry is trained again; a read-only cache still trains.
"""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
import json
import os
from pathlib import Path

import numpy as np
import torch
from torch import nn

from . import checks
from . import data as _data
from . import models
from . import train as _train

__all__ = ["fit", "key", "folder", "baseline", "BASELINE_RECIPE"]

#: The dense baselines' recipe, shared by the chapters that start from a trained MLP or CNN on
#: the digits (pruning, quantization, clustering, Deep Compression, low rank, separable,
#: dynamic): Adam with L2 decay, as the pruning chapter chose it for the MLP on validation. For
#: the CNN the separable chapter checks the learning rate on validation, over a grid around it
#: at the same budget, and reports which rate wins there.
BASELINE_RECIPE = dict(epochs=20, lr=2e-3, batch_size=32, weight_decay=1e-4)

_PLAIN = (bool, int, float, str, type(None))
_UNKEYED = ("progress",)      # fit's arguments that do not change what it trains


def folder() -> Path:
    """Where the trained models are kept: ``support.data.CACHE / "trained"``."""
    return _data.CACHE / "trained"


#: In a copy of support/ made for grading (grader.sandbox.withheld_support, which withholds
#: the functions an assignment asks students to write), the digest of the code it was copied
#: from: the copy finds the models that code trained.
COPIED_FROM = "copied-from.sha256"


@functools.lru_cache(maxsize=1)
def _code_digest() -> str:
    """SHA-256 of the source of every module of support/, with torch's and numpy's versions:
    read once per process, as the code it runs was imported once (in a copy made for grading,
    that of the code it was copied from, `COPIED_FROM`)."""
    copied = Path(__file__).parent / COPIED_FROM
    if copied.exists():
        return copied.read_text().strip()
    digest = hashlib.sha256(f"torch {torch.__version__} numpy {np.__version__}".encode())
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _tensor_digest(digest, name: str, tensor: torch.Tensor) -> None:
    tensor = tensor.detach().cpu().contiguous()
    digest.update(f"{name} {tensor.dtype} {tuple(tensor.shape)}".encode())
    digest.update(tensor.reshape(-1).view(torch.uint8).numpy().tobytes())


def _plain(value) -> bool:
    return isinstance(value, _PLAIN) or (isinstance(value, (list, tuple))
                                         and all(_plain(v) for v in value))


def _keyed(name: str, value):
    """A recipe value as it enters the key: itself, or a support partial by name and arguments."""
    if _plain(value):
        return value
    if (isinstance(value, functools.partial) and inspect.isfunction(value.func)
            and value.func.__module__.startswith(f"{__package__}.")
            and _plain(value.args) and _plain(list(value.keywords.values()))):
        return {"partial": f"{value.func.__module__}.{value.func.__qualname__}",
                "args": list(value.args), "keywords": value.keywords}
    raise checks.WrongType(f"cache.fit keys the recipe by value: {name} must be a plain value "
                           "or a partial of a support function with plain arguments, got "
                           f"{value!r}, a {type(value).__name__} (train with support.train.fit "
                           "instead)")


def key(model: nn.Module, data, **recipe) -> str:
    """The cache key of ``fit(model, data, **recipe)``: a hex SHA-256 of the model's class,
    structure and state, the data's tensors, the recipe, support/'s code and the arithmetic.

    Raises TypeError for data that is not a Splits, a model that is not a Module, or a recipe
    value that is neither plain (numbers, strings, bools, None, lists of them) nor a partial
    of a support function with plain arguments."""
    checks.module("model", model)
    if not isinstance(data, _data.Splits):
        raise checks.WrongType(f"cache.fit keys its data by value: expected a support.data.Splits, "
                        f"got {type(data).__name__} (train on a DataLoader with train.fit)")
    recipe = {name: _keyed(name, value) for name, value in recipe.items()
              if name not in _UNKEYED}
    digest = hashlib.sha256(_code_digest().encode())
    digest.update(json.dumps({"class": f"{type(model).__module__}.{type(model).__qualname__}",
                              "repr": repr(model), "recipe": recipe,
                              "threads": torch.get_num_threads(),
                              "device": str(_train.device())}, sort_keys=True).encode())
    for name, tensor in model.state_dict().items():
        _tensor_digest(digest, f"model.{name}", tensor)
    for field in dataclasses.fields(data):
        value = getattr(data, field.name)
        if isinstance(value, torch.Tensor):
            _tensor_digest(digest, f"data.{field.name}", value)
        else:
            digest.update(f"data.{field.name}={value!r}".encode())
    return digest.hexdigest()


def fit(model: nn.Module, data, **recipe) -> _train.History:
    """``support.train.fit(model, data, **recipe)``, remembered: trains ``model`` in place
    (or loads the weights that this same training gave before) and returns its History. The
    model ends in evaluation mode either way. Raises TypeError as :func:`key` does, and
    whatever ``support.train.fit`` raises for a bad recipe (before anything is trained)."""
    path = folder() / f"{key(model, data, **recipe)}.pt"
    try:
        entry = torch.load(path, weights_only=True)
        model.load_state_dict(entry["state"])
        model.to(_train.device()).eval()
        return _train.History(**entry["history"])
    except Exception:  # not trained yet, or a damaged entry: train
        pass
    history = _train.fit(model, data, **recipe)
    state = {name: tensor.detach().cpu() for name, tensor in model.state_dict().items()}
    try:  # a file of our own, then rename: a reader never sees half an entry
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f"{path.stem}.{os.getpid()}.partial")
        torch.save({"state": state, "history": dataclasses.asdict(history)}, partial)
        os.replace(partial, path)
    except (OSError, RuntimeError):  # a read-only cache (torch.save raises RuntimeError): nothing kept
        pass
    return history


def baseline(kind: str, data, seed: int) -> nn.Module:
    """The course's ``kind`` network (``"mlp"`` or ``"cnn"``, `support.models.for_data`) for
    ``data``, built from ``seed`` and trained from ``seed`` with :data:`BASELINE_RECIPE`,
    through :func:`fit`: every chapter that asks for it gets the same trained copy, trained
    once. In evaluation mode."""
    checks.one_of("kind", kind, ("mlp", "cnn"))
    if not isinstance(data, _data.Splits):
        raise checks.WrongType(f"data must be a support.data.Splits, got {checks.describe(data)}")
    model = models.for_data(kind, data, seed=seed)
    fit(model, data, seed=seed, progress=False, **BASELINE_RECIPE)
    return model.eval()
