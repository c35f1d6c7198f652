"""The examples in support's docstrings (shown in the API reference) run and print what they
say."""
import doctest
import importlib

import pytest

MODULES = ["checks", "prune", "lottery", "distill", "measure", "sparse", "stats", "integer"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(f"support.{name}")
    result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.attempted > 0, f"support.{name} has no examples"
    assert result.failed == 0
