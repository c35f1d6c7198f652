"""Shared validators: every public function of ``support`` checks its input with these.

Each validator returns the value it accepts (converted where it says so) or raises an error
that names the argument, says what was expected and what came instead:

- a wrong *type* (not a tensor, not a module, a bool where a number is meant) raises
  :class:`WrongType`, a ``TypeError`` (and, for code written against the course's earlier
  rule "a ValueError for bad input", also a ``ValueError``);
- a wrong *value* (NaN or inf, out of range, a wrong shape) raises ``ValueError``.

>>> integer("bits", 9, low=1, high=8)
Traceback (most recent call last):
ValueError: bits must be an integer in [1, 8], got 9
>>> number("alpha", True, low=0, high=1)
Traceback (most recent call last):
support.checks.WrongType: alpha must be a finite number in [0, 1], got True (a bool)
"""
from __future__ import annotations

import math
import numbers
import os
from collections.abc import Mapping

import numpy as np
import torch
from torch import nn

__all__ = ["WrongType", "describe", "integer", "number", "flag", "one_of", "text", "path",
           "function", "mapping", "module", "tensor", "sequence"]


class WrongType(TypeError, ValueError):
    """An argument of the wrong type: a ``TypeError``, and also a ``ValueError`` so that the
    course's earlier ``except ValueError`` still catches every refused input."""


def describe(value) -> str:
    """A short account of ``value`` for an error message: a tensor by dtype and shape, a
    bool or a number as itself, anything else by its repr (cut short) or its type."""
    if isinstance(value, torch.Tensor):
        dtype = str(value.dtype).replace("torch.", "")
        return f"{'an' if dtype[0] in 'aeiou' else 'a'} {dtype} tensor of shape {tuple(value.shape)}"
    if isinstance(value, (bool, np.bool_)):
        return f"{value!r} (a bool)"
    if isinstance(value, (numbers.Number, str, bytes, type(None))):
        text_ = repr(value)
        return text_ if len(text_) <= 60 else f"{text_[:57]}..."
    return f"a {type(value).__name__}"


def _interval(low, high, above, below) -> str:
    if (low is None and above is None) or (high is None and below is None):
        bounds = [f">= {low}" if low is not None else f"> {above}" if above is not None else "",
                  f"<= {high}" if high is not None else f"< {below}" if below is not None else ""]
        return " ".join(b for b in bounds if b)
    return (f"in {'[' if low is not None else '('}{low if low is not None else above}, "
            f"{high if high is not None else below}{']' if high is not None else ')'}")


def _outside(value, low, high, above, below) -> bool:
    return ((low is not None and value < low) or (high is not None and value > high)
            or (above is not None and value <= above) or (below is not None and value >= below))


def _expected(kind: str, low=None, high=None, above=None, below=None) -> str:
    interval = _interval(low, high, above, below)
    return f"{kind} {interval}" if interval else kind


def integer(name: str, value, low=None, high=None) -> int:
    """``value`` as an int: an integer (not a bool, not a float such as 8.0) in [low, high]."""
    expected = _expected("an integer", low, high)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise WrongType(f"{name} must be {expected}, got {describe(value)}")
    if _outside(value, low, high, None, None):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return int(value)


def number(name: str, value, low=None, high=None, *, above=None, below=None) -> float:
    """``value`` as a float: a finite real number (not a bool), ``low <= value <= high`` and
    ``above < value < below`` for the bounds given."""
    expected = _expected("a finite number", low, high, above, below)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise WrongType(f"{name} must be {expected}, got {describe(value)}")
    if not math.isfinite(value) or _outside(value, low, high, above, below):
        raise ValueError(f"{name} must be {expected}, got {value!r}")
    return float(value)


def flag(name: str, value) -> bool:
    """``value`` if it is a bool (True or False, not 0 or "yes")."""
    if not isinstance(value, (bool, np.bool_)):
        raise WrongType(f"{name} must be True or False, got {describe(value)}")
    return bool(value)


def one_of(name: str, value, choices):
    """``value`` if it is one of ``choices`` (compared with ==, bools kept apart from 1 and 0)."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (str, numbers.Number)) \
            or value not in tuple(choices):
        raise ValueError(f"{name} must be one of {tuple(choices)}, got {describe(value)}")
    return value


def text(name: str, value) -> str:
    """``value`` if it is a str."""
    if not isinstance(value, str):
        raise WrongType(f"{name} must be a str, got {describe(value)}")
    return value


def path(name: str, value) -> str | os.PathLike:
    """``value`` if it is a path (a non-empty str or an ``os.PathLike``)."""
    if not isinstance(value, (str, os.PathLike)):
        raise WrongType(f"{name} must be a path (a str or a pathlib.Path), got {describe(value)}")
    if not str(value):
        raise ValueError(f"{name} must be a path, got an empty string")
    return value


def function(name: str, value, optional: bool = False):
    """``value`` if it is callable (or None, when ``optional``)."""
    if not (callable(value) or (optional and value is None)):
        raise WrongType(f"{name} must be a function{' or None' if optional else ''}, got "
                        f"{describe(value)}")
    return value


def mapping(name: str, value) -> Mapping:
    """``value`` if it is a mapping (a dict)."""
    if not isinstance(value, Mapping):
        raise WrongType(f"{name} must be a mapping (a dict), got {describe(value)}")
    return value


def sequence(name: str, value, nonempty: bool = False) -> list:
    """``value`` as a list: a list, a tuple, a range or a 1-D tensor (not a str, a set or a
    generator, whose order or length is not fixed)."""
    if isinstance(value, torch.Tensor) and value.ndim == 1:
        value = value.tolist()
    if not isinstance(value, (list, tuple, range)):
        raise WrongType(f"{name} must be a list or tuple, got {describe(value)}")
    if nonempty and not value:
        raise ValueError(f"{name} must be a non-empty list or tuple, got an empty one")
    return list(value)


def module(name: str, value, kind: type | tuple = nn.Module, finite: bool = False) -> nn.Module:
    """``value`` if it is a module of class ``kind``; with ``finite``, every floating-point
    parameter and buffer must be free of NaN and inf."""
    if not isinstance(value, kind):
        kinds = kind if isinstance(kind, tuple) else (kind,)
        names = " or ".join(f"a torch.nn.{k.__name__}" if k.__module__.startswith("torch.nn")
                            else f"a {k.__name__}" for k in kinds)
        raise WrongType(f"{name} must be {names}, got {describe(value)}")
    if finite:
        for what, held in (*value.named_parameters(), *value.named_buffers()):
            if held.is_floating_point() and not torch.isfinite(held).all():
                raise ValueError(f"{name} must hold finite values, but its {what} holds NaN or inf")
    return value


def _finite(value: torch.Tensor) -> bool:
    """Whether ``value`` holds no NaN or inf. A NaN or inf anywhere makes the sum NaN or inf,
    and one sum costs a tenth of ``isfinite(value).all()``; only a sum that is not finite
    (or overflowed) is looked at element by element."""
    total = value.detach().sum()
    if total.is_complex() or not math.isfinite(total.item()):
        return bool(torch.isfinite(value.detach()).all())
    return True


def tensor(name: str, value, *, ndim=None, floating: bool = False, integer: bool = False,
           finite: bool = True, nonempty: bool = False, convert: bool = False) -> torch.Tensor:
    """``value`` if it is a tensor as asked: ``ndim`` (an int, or a tuple of those allowed),
    a floating-point or an ``integer`` dtype (bool is neither), ``nonempty``, and ``finite``
    (no NaN or inf; the default). With ``convert``, a number, a list or a NumPy array is
    first made a tensor (``torch.as_tensor``)."""
    if convert and isinstance(value, (numbers.Real, list, tuple, np.ndarray)) \
            and not isinstance(value, (bool, np.bool_)):
        try:
            value = torch.as_tensor(value)
        except (TypeError, ValueError, RuntimeError):
            raise WrongType(f"{name} must be a tensor of numbers, got {describe(value)}") from None
    if not isinstance(value, torch.Tensor):
        raise WrongType(f"{name} must be a tensor, got {describe(value)}")
    if floating and not value.is_floating_point():
        raise WrongType(f"{name} must be a floating-point tensor, got {describe(value)}")
    if integer and (value.is_floating_point() or value.is_complex() or value.dtype == torch.bool):
        raise WrongType(f"{name} must be an integer tensor, got {describe(value)}")
    allowed = (ndim,) if isinstance(ndim, int) else ndim
    if allowed is not None and value.ndim not in allowed:
        dims = " or ".join(f"{d}-D" for d in allowed)
        raise ValueError(f"{name} must be a {dims} tensor, got {describe(value)}")
    if nonempty and value.numel() == 0:
        raise ValueError(f"{name} must be a non-empty tensor, got {describe(value)}")
    if finite and (value.is_floating_point() or value.is_complex()) and not _finite(value):
        bad = ~torch.isfinite(value.detach())
        raise ValueError(f"{name} must be finite (no NaN or inf), got {describe(value)} holding "
                         f"{int(bad.sum())} NaN or inf")
    return value
