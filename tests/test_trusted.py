"""support.trusted keeps working comparisons after a submission replaced torch's and math's."""
import importlib
import math

import pytest
import torch


@pytest.fixture
def lying_comparisons(monkeypatch):
    """What a cheating submission does: every comparison helper says "equal"."""
    for module, name in [(torch, "allclose"), (torch, "equal"), (torch, "isclose"),
                         (math, "isclose")]:
        monkeypatch.setattr(module, name, lambda *args, **kwargs: True)


def test_trusted_comparisons_survive_replaced_helpers(lying_comparisons):
    import support.trusted

    trusted = importlib.reload(support.trusted)   # imported after the helpers were replaced
    assert torch.allclose(torch.zeros(2), torch.ones(2)), "the fixture replaced the helpers"
    assert not trusted.allclose(torch.zeros(2), torch.ones(2))
    assert trusted.allclose(torch.ones(2), torch.ones(2) + 1e-9)
    assert not trusted.equal(torch.tensor([1, 2]), torch.tensor([1, 3]))
    assert trusted.isclose(torch.tensor([1.0, 2.0]), torch.tensor([1.0, 3.0])).tolist() == [True, False]
    assert not trusted.math.isclose(1.0, 2.0) and trusted.math.isclose(1.0, 1.0 + 1e-12)
    assert trusted.math is not math
