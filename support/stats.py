"""Spread over seeds, one convention for the whole course: the mean ± the *sample* standard
deviation (ddof=1, the n - 1 denominator) of the per-seed values.

A difference between two methods run on the same seeds is called real only when the mean of
the paired per-seed differences exceeds their own sample standard deviation *and* more than
``min_examples`` test examples (a difference of a few examples is noise on any test set).
"""
from __future__ import annotations

import numbers

import numpy as np

from . import checks

__all__ = ["mean_std", "pm", "paired_difference", "is_real_difference", "real_label"]


def _values(values, what="values") -> np.ndarray:
    if isinstance(values, (str, bytes, numbers.Number)):
        raise checks.WrongType(f"{what} must be a sequence of numbers (one per seed), got "
                               f"{checks.describe(values)}")
    flags = (isinstance(values, (list, tuple))
             and any(isinstance(v, (bool, np.bool_)) for v in values))
    if flags or str(getattr(values, "dtype", "")) in ("bool", "torch.bool"):
        raise checks.WrongType(f"{what} must be numbers (one per seed), not True or False: got "
                               f"{checks.describe(values)}")
    try:
        array = np.asarray(values, dtype=float).ravel()
    except (TypeError, ValueError):
        raise checks.WrongType(f"{what} must be a sequence of numbers (one per seed), got "
                               f"{checks.describe(values)}") from None
    if array.size < 2:
        raise ValueError(f"{what} needs at least two values (one per seed) for a sample "
                         f"standard deviation, got {array.size}")
    if not np.isfinite(array).all():
        raise ValueError(f"{what} must be finite numbers, got {values!r}")
    return array


def mean_std(values) -> tuple[float, float]:
    """(mean, sample standard deviation with ddof=1) of at least two per-seed values.
    Raises ValueError for fewer than two values or a value that is not finite.

    >>> [round(v, 3) for v in mean_std([0.90, 0.92, 0.94])]
    [0.92, 0.02]
    """
    array = _values(values)
    return float(array.mean()), float(array.std(ddof=1))


def pm(values, scale: float = 100, digits: int = 1, unit: str = "%") -> str:
    """``"mean ± std"`` of per-seed values; accuracies in [0, 1] print as percent points.

    >>> pm([0.90, 0.92, 0.94])
    '92.0% ± 2.0'
    """
    checks.number("scale", scale)
    checks.integer("digits", digits, low=0)
    checks.text("unit", unit)
    mean, std = mean_std(values)
    return f"{scale * mean:.{digits}f}{unit} ± {scale * std:.{digits}f}"


def paired_difference(a, b) -> tuple[float, float]:
    """(mean, sample std) of the per-seed differences a[i] - b[i] (same seeds, same order).
    Raises ValueError unless a and b hold the same number (at least two) of finite values.

    >>> [round(v, 3) for v in paired_difference([0.95, 0.96, 0.97], [0.90, 0.92, 0.92])]
    [0.047, 0.006]
    """
    a, b = _values(a, "a"), _values(b, "b")
    if a.shape != b.shape:
        raise ValueError(f"a and b must hold one value per seed each, got {a.size} and {b.size}")
    return mean_std(a - b)


def is_real_difference(a, b, num_test: int, min_examples: int = 5) -> bool:
    """True when accuracies ``a`` and ``b`` (per seed, in [0, 1], on ``num_test`` test
    examples) differ by more than the spread of their paired differences and by more than
    ``min_examples`` test examples. Raises ValueError for a ``num_test`` that is not a
    positive integer (not a bool), a ``min_examples`` that is not an integer >= 0, or for
    values :func:`paired_difference` refuses.

    >>> is_real_difference([0.95, 0.96, 0.97], [0.90, 0.92, 0.92], num_test=360)   # 17 examples
    True
    >>> is_real_difference([0.95, 0.96, 0.97], [0.90, 0.92, 0.92], num_test=100)   # 4.7 examples
    False
    """
    checks.integer("num_test (test examples)", num_test, low=1)
    checks.integer("min_examples", min_examples, low=0)
    mean, std = paired_difference(a, b)
    return abs(mean) > std and abs(mean) * num_test > min_examples


def real_label(a, b, num_test: int, min_examples: int = 5) -> str:
    """``"yes"`` or ``"no"``: :func:`is_real_difference` as a table column.

    >>> real_label([0.95, 0.96, 0.97], [0.90, 0.92, 0.92], num_test=360)
    'yes'
    """
    return "yes" if is_real_difference(a, b, num_test, min_examples) else "no"
