"""grader.verdicts and grader.probe without a kernel: what a test cell's checks must be to
pass, judged challenges, and networks sent as data."""
import json

import numpy as np
import pytest
import torch
from torch import nn

from grader import probe, verdicts


def sent(*values, **options):
    """The checks a kernel would send, as the grader reads them back from the notebook."""
    return [json.loads(json.dumps({"what": "", "rtol": probe.RTOL, "atol": probe.ATOL,
                                   "judge": options.get("judge"), "value": probe.encode(v)}))
            for v in values]


def test_checks_pass_only_when_every_value_matches():
    want = sent(50, 0.5, "raises ValueError", torch.tensor([1, 2]), (1.0, [2, 3]))
    assert verdicts.compare(sent(50, 0.5 + 1e-9, "raises ValueError", torch.tensor([1, 2]),
                                 (1.0, [2, 3])), want) == (1.0, None)
    for wrong in [sent(51, 0.5, "raises ValueError", torch.tensor([1, 2]), (1.0, [2, 3])),
                  sent(50.0, 0.5, "raises ValueError", torch.tensor([1, 2]), (1.0, [2, 3])),
                  sent(True, 0.5, "raises ValueError", torch.tensor([1, 2]), (1.0, [2, 3])),
                  sent(50, 0.6, "raises ValueError", torch.tensor([1, 2]), (1.0, [2, 3])),
                  sent(50, 0.5, "returns", torch.tensor([1, 2]), (1.0, [2, 3])),
                  sent(50, 0.5, "raises ValueError", torch.tensor([1., 2.]), (1.0, [2, 3])),
                  sent(50, 0.5, "raises ValueError", torch.tensor([[1, 2]]), (1.0, [2, 3])),
                  sent(50, 0.5, "raises ValueError", torch.tensor([1, 2]), [1.0, [2, 3]]),
                  sent(50, 0.5, "raises ValueError"),                        # cut short
                  sent(50, 0.5, "raises ValueError", torch.tensor([1, 2]), (1.0, [2, 3]), 7),
                  []]:
        fraction, why = verdicts.compare(wrong, want)
        assert fraction == 0 and why, wrong


def test_a_scalar_tensor_keeps_its_shape():
    assert probe.decode(probe.encode(torch.tensor(3.0))).shape == ()
    assert probe.decode(probe.encode(float("nan"))) != 0
    with pytest.raises(TypeError):
        probe.encode(nn.Linear(2, 2))
    with pytest.raises(ValueError):
        probe.decode({"array": "|O", "shape": [1], "bytes": ""})


def test_a_judge_sets_the_points():
    judged = {"half": lambda value, reference: (0.5, f"{value} of {reference}"),
              "breaks": lambda value, reference: 1 / 0}
    assert verdicts.compare(sent(3, judge="half"), sent(4, judge="half"), judged) == (0.5, "half: 3 of 4")
    fraction, why = verdicts.compare(sent(3, judge="breaks"), sent(4, judge="breaks"), judged)
    assert fraction == 0 and "ZeroDivisionError" in why
    assert verdicts.at_most(20, "seconds")(25.0, None)[0] == 0
    assert verdicts.at_most(20, "seconds")(19.5, None)[0] == 1


def test_a_network_sent_as_data_is_built_again():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv1d(1, 4, 3, padding=1, groups=1), nn.BatchNorm1d(4), nn.ReLU(),
                          nn.Flatten(), nn.Linear(4 * 8, 3, bias=False)).eval()
    model[1].running_var.fill_(2.0)
    built = verdicts.rebuild(*probe.decode(probe.encode(probe.sequential(model))))
    x = torch.randn(5, 1, 8)
    assert torch.equal(built(x), model(x))
    with pytest.raises(TypeError):
        probe.sequential(nn.Sequential(nn.Conv2d(1, 1, 1)))
    with pytest.raises(ValueError):   # settings that would take 4 TB, and weights that do not fit
        verdicts.rebuild([("Linear", {"in_features": 10**6, "out_features": 10**6, "bias": True})],
                         {"0.weight": np.zeros((2, 2), np.float32), "0.bias": np.zeros(2, np.float32)})
    with pytest.raises(ValueError):
        verdicts.rebuild([("Lambda", {})], {})


def test_the_end_check_comes_before_a_final_score():
    assert verdicts.with_end_check("x = 1").endswith(verdicts.END_CHECK)
    assert verdicts.with_end_check("x = 1\n2 if x else 4").split("\n")[1] == verdicts.END_CHECK


def test_judges_are_loaded_once_per_source(tmp_path):
    """A judges file is loaded once per grading process (what it remembers serves every
    submission), and again when its source changes."""
    (tmp_path / "judges.py").write_text("LOADS = []\ndef judge(value, reference):\n"
                                        "    LOADS.append(value)\n    return 1.0, ''\n")
    first = verdicts.judges(tmp_path)["judge"]
    first(1, None)
    assert verdicts.judges(tmp_path)["judge"].__globals__["LOADS"] == [1]
    (tmp_path / "judges.py").write_text("LOADS = ['new']\ndef judge(value, reference):\n"
                                        "    return 0.0, ''\n")
    assert verdicts.judges(tmp_path)["judge"].__globals__["LOADS"] == ["new"]


def test_hidden_examples_are_made_once_and_never_kept():
    spec = dict(num_samples=200, seed=31337, keep=False)
    x, y = verdicts.hidden_examples(spec)
    assert x.shape == (200, 1, 40) and y.shape == (200,)
    assert verdicts.hidden_examples(dict(spec))[0] is x
    for bad in (dict(spec, keep=True), dict(num_samples=200, seed=31337)):
        with pytest.raises(ValueError, match="keep=False"):
            verdicts.hidden_examples(bad)
