"""Comparisons for hidden tests that a submission cannot replace.

A student's cell runs in the same interpreter as the tests after it, so it can rebind
``torch.allclose``, ``torch.equal``, ``torch.isclose`` or ``math.isclose`` to functions
that always agree, and a wrong answer then passes every test that compares through them.
This module takes the same functions from where a cell cannot rebind them: torch's C
function table, whose attributes are read-only, and a fresh instance of the ``math``
module, loaded apart from the one the notebook imported. Hidden tests compare through it::

    from support import trusted
    assert trusted.allclose(got, want)
    assert trusted.math.isclose(x, y)
"""
from __future__ import annotations

import importlib.util

import torch

__all__ = ["allclose", "equal", "isclose", "math"]

_FUNCTIONS = torch._C._VariableFunctions  # read-only: `torch.allclose = ...` leaves it alone
allclose = _FUNCTIONS.allclose
equal = _FUNCTIONS.equal
isclose = _FUNCTIONS.isclose


def _fresh_module(name: str):
    """A new instance of the extension module ``name``, not the one in ``sys.modules``."""
    spec = importlib.util.find_spec(name)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


math = _fresh_module("math")
