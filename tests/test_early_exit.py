"""support.early_exit: the network, the weighted loss, threshold inference, costs, budgets."""
import math

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from support import data, early_exit as ee, models
from support.train import evaluate, fit, predict


def _logits(*rows):
    """Exit logits from per-exit lists of rows: _logits([[..], [..]], [[..], [..]])."""
    return [torch.tensor(r, dtype=torch.float32) for r in rows]


def test_network_returns_one_logits_per_exit_and_keeps_the_cnn():
    net = ee.cnn_with_exits(seed=3)
    out = net(torch.zeros(5, 1, 8, 8))
    assert net.num_exits == 3 and [z.shape for z in out] == [(5, 10)] * 3
    cnn = models.cnn(seed=3)
    backbone = nn.Sequential(*net.stages, net.heads[-1])
    assert all(torch.equal(a, b) for a, b in zip(cnn.parameters(), backbone.parameters())), \
        "the stages and the last head are the course CNN, with its initial weights"
    x = torch.rand(4, 1, 8, 8)
    assert torch.allclose(net(x)[-1], cnn(x))


def test_bad_network():
    with pytest.raises(ValueError, match="one head per stage"):
        ee.EarlyExitNet([nn.Identity(), nn.Identity()], [nn.Identity()])
    with pytest.raises(ValueError):
        ee.EarlyExitNet([], [])
    with pytest.raises(ValueError, match="head_pool"):
        ee.cnn_with_exits(head_pool=0)


def test_early_exit_takes_the_first_confident_exit():
    # example 0: confident at exit 0; example 1: at exits 1 and 2; example 2: nowhere
    logits = _logits([[9.0, 0.0], [0.0, 0.0], [0.0, 0.1]],
                     [[0.0, 0.0], [0.0, 9.0], [0.1, 0.0]],
                     [[0.0, 5.0], [9.0, 0.0], [0.0, 0.2]])
    predictions, exits = ee.early_exit(logits, 0.9)
    assert exits.tolist() == [0, 1, 2]
    assert predictions.tolist() == [0, 1, 1]
    assert ee.early_exit(logits, 0.0)[1].tolist() == [0, 0, 0], "threshold 0: the first exit"
    assert ee.early_exit(logits, 1.0)[1].tolist() == [2, 2, 2], "threshold 1: the last exit"
    assert ee.early_exit(logits, [1.0, 0.9])[1].tolist() == [2, 1, 2], "one threshold per exit"


def test_a_confidence_equal_to_the_threshold_does_not_leave():
    logits = _logits([[0.0, 0.0]], [[0.0, 0.0]])  # max softmax exactly 0.5
    assert ee.early_exit(logits, 0.5)[1].tolist() == [1]
    assert ee.early_exit(logits, 0.4999)[1].tolist() == [0]


def test_confidence_kinds():
    z = torch.tensor([[0.0, 0.0, 0.0, 0.0], [50.0, 0.0, 0.0, 0.0], [2.0, 1.0, 0.0, 0.0]])
    assert ee.confidence(z).tolist() == pytest.approx(
        [0.25, 1.0, torch.softmax(z[2], 0).max().item()])
    entropy = ee.confidence(z, "entropy")
    assert entropy[0].item() == pytest.approx(0, abs=1e-6) and entropy[1].item() == pytest.approx(1)
    p = torch.softmax(z[2], 0)
    assert entropy[2].item() == pytest.approx(1 + (p * p.log()).sum().item() / math.log(4))
    with pytest.raises(ValueError, match="kind"):
        ee.confidence(z, "margin")


@pytest.mark.parametrize("bad", [-0.1, 1.01, 2, float("nan"), "0.5", None, True])
def test_bad_threshold(bad):
    logits = _logits([[1.0, 0.0]], [[1.0, 0.0]])
    with pytest.raises(ValueError, match=r"threshold"):
        ee.early_exit(logits, bad)
    with pytest.raises(ValueError, match=r"threshold"):
        ee.cnn_with_exits().infer(torch.zeros(1, 1, 8, 8), bad)


def test_bad_threshold_sequences():
    logits = _logits([[1.0, 0.0]], [[1.0, 0.0]], [[1.0, 0.0]])
    for bad in ([0.5], [0.5, 0.5, 0.5], [0.5, 1.5], "ab"):
        with pytest.raises(ValueError, match="threshold"):
            ee.early_exit(logits, bad)


@pytest.mark.parametrize("bad", [
    [],
    torch.zeros(3, 2),
    [torch.zeros(3, 2), torch.zeros(4, 2)],
    [torch.zeros(3, 2), torch.zeros(3, 5)],
    [torch.zeros(3)],
    [torch.zeros(3, 2), "logits"],
])
def test_inconsistent_logits(bad):
    with pytest.raises(ValueError, match="logits"):
        ee.early_exit(bad, 0.5)
    with pytest.raises(ValueError, match="logits"):
        ee.exit_loss(bad, torch.zeros(3, dtype=torch.long), [1] * max(len(bad), 1))


def test_infer_saves_the_later_stages_and_agrees_with_early_exit():
    torch.manual_seed(0)
    net = ee.cnn_with_exits(channels=(8, 16), seed=0).eval()
    x = torch.rand(64, 1, 8, 8)
    logits = net(x)
    for threshold in (0.0, 0.11, 0.12, 0.2, 1.0, [0.12, 0.11], [1.0, 0.0]):
        expected = ee.early_exit(logits, threshold)
        got = net.infer(x, threshold)
        assert torch.equal(got[0], expected[0]) and torch.equal(got[1], expected[1]), threshold
        for i in range(0, 64, 7):  # one example at a time takes its own, shorter path
            alone = net.infer(x[i:i + 1], threshold)
            assert alone[0].item() == expected[0][i] and alone[1].item() == expected[1][i]
    calls = []
    net.stages[2].register_forward_hook(lambda m, i, o: calls.append(len(o)))
    _, exits = net.infer(x, 0.0)
    assert calls == [] and (exits == 0).all(), "no example reaches the last stage"
    _, exits = net.infer(x, [1.0, 0.0])
    assert calls == [] and (exits == 1).all()
    _, exits = net.infer(x, 1.0)
    assert calls == [64]
    one = ee.Thresholded(net, 0.12)
    assert torch.equal(one(x[:1]), net.infer(x[:1], 0.12)[0])


def test_exit_loss_is_the_weighted_sum():
    g = torch.Generator().manual_seed(0)
    logits = [torch.randn(6, 4, generator=g) for _ in range(3)]
    y = torch.randint(0, 4, (6,), generator=g)
    ce = [F.cross_entropy(z, y) for z in logits]
    assert ee.exit_loss(logits, y, [1, 1, 1]).item() == pytest.approx(sum(ce).item())
    assert ee.exit_loss(logits, y, [0.5, 0, 2]).item() == pytest.approx(
        (0.5 * ce[0] + 2 * ce[2]).item())
    assert ee.loss_fn([0.5, 0, 2])(logits, None, y).item() == pytest.approx(
        ee.exit_loss(logits, y, [0.5, 0, 2]).item())


@pytest.mark.parametrize("bad", [[1, 1], [1, 1, 1, 1], [1, -0.5, 1], [0, 0, 0],
                                 [1, float("nan"), 1], [1, "1", 1]])
def test_bad_weights(bad):
    logits = [torch.zeros(2, 3)] * 3
    with pytest.raises(ValueError, match="weights"):
        ee.exit_loss(logits, torch.zeros(2, dtype=torch.long), bad)
    if len(bad) == 3:
        with pytest.raises(ValueError, match="weights"):
            ee.loss_fn(bad)


def test_bad_labels():
    with pytest.raises(ValueError, match="labels"):
        ee.exit_loss([torch.zeros(2, 3)], torch.zeros(3, dtype=torch.long), [1])


def test_costs_fractions_and_expected_macs():
    assert ee.exit_costs([10, 100, 50], [1, 2, 3]) == [11, 113, 166]
    exits = torch.tensor([0, 0, 1, 2])
    fractions = ee.exit_fractions(exits, 3)
    assert fractions.tolist() == [0.5, 0.25, 0.25]
    assert ee.expected_macs(exits, [10, 100, 50], [1, 2, 3]) == pytest.approx(
        0.5 * 11 + 0.25 * 113 + 0.25 * 166)
    assert ee.expected_macs(torch.tensor([0]), [10, 100, 50], [1, 2, 3]) == 11
    net = ee.cnn_with_exits(channels=(8, 16))
    stages, heads = ee.part_macs(net, torch.zeros(4, 1, 8, 8))
    assert stages == [8 * 9 * 64, 8 * 8 * 9 * 64, 16 * 8 * 9 * 16]
    assert heads == [8 * 16 * 10, 8 * 16 * 10, 16 * 10]


@pytest.mark.parametrize("call", [
    lambda: ee.exit_costs([10, 100], [1]),
    lambda: ee.exit_costs([10, -1], [1, 1]),
    lambda: ee.exit_costs([], []),
    lambda: ee.expected_macs(torch.tensor([0, 2]), [1, 2], [0, 0]),
    lambda: ee.expected_macs(torch.tensor([0, 1]), [1, 2, 3], [0, 0]),
    lambda: ee.expected_macs(torch.tensor([], dtype=torch.long), [1, 2], [0, 0]),
    lambda: ee.expected_macs(torch.tensor([0, -1]), [1, 2], [0, 0]),
    lambda: ee.exit_fractions(torch.tensor([0, 3]), 3),
    lambda: ee.exit_fractions(torch.tensor([], dtype=torch.long), 3),
])
def test_bad_costs(call):
    with pytest.raises(ValueError):
        call()


def test_sweep_costs_fall_with_the_threshold():
    g = torch.Generator().manual_seed(1)
    logits = [2 * torch.randn(50, 10, generator=g) for _ in range(3)]
    y = torch.randint(0, 10, (50,), generator=g)
    rows = ee.sweep(logits, y, [0.0, 0.3, 0.6, 0.9, 1.0], [1, 10, 100], [0, 0, 0])
    macs = [r["macs"] for r in rows]
    assert macs == sorted(macs) and macs[0] == 1 and macs[-1] == 111
    assert rows[-1]["accuracy"] == pytest.approx((logits[-1].argmax(1) == y).float().mean().item())
    assert all(sum(r["fractions"]) == pytest.approx(1) for r in rows)


def test_best_under_budget():
    costs, accuracies = [10, 20, 40, 80], [0.80, 0.90, 0.90, 0.95]
    assert ee.best_under_budget(costs, accuracies, 100) == 3
    assert ee.best_under_budget(costs, accuracies, 79.9) == 1, "equal accuracy: the cheaper"
    assert ee.best_under_budget(costs, accuracies, 20) == 1, "a cost equal to the budget fits"
    assert ee.best_under_budget([5, 5], [0.5, 0.5], 5) == 0, "a full tie: the first"
    with pytest.raises(ValueError, match="no classifier fits"):
        ee.best_under_budget(costs, accuracies, 9)
    for bad in [([10, 20], [0.5], 30), ([10, -1], [0.5, 0.6], 30), ([10], [0.5], -1),
                ([], [], 10), ([10], [0.5], "30")]:
        with pytest.raises(ValueError):
            ee.best_under_budget(*bad)


def test_fit_trains_every_exit_and_alone_means_alone():
    d = data.digits()
    net = ee.cnn_with_exits(channels=(8, 16), seed=0)
    history = fit(net, d, epochs=2, lr=5e-3, loss_fn=ee.loss_fn([1, 1, 1]), output=-1,
                  progress=False)
    assert len(history.val_accuracy) == 2
    assert history.val_accuracy[-1] == pytest.approx(evaluate(net, d, "val", output=-1))
    assert history.train_loss[-1] < history.train_loss[0]
    assert evaluate(net, d, output=0) > 0.5, "two epochs teach the first exit something"
    # weights (0, 0, 1) train the backbone exactly as the CNN alone
    alone = models.cnn(channels=(8, 16), seed=0)
    fit(alone, d, epochs=2, lr=5e-3, progress=False)
    only_last = ee.cnn_with_exits(channels=(8, 16), seed=0)
    fit(only_last, d, epochs=2, lr=5e-3, loss_fn=ee.loss_fn([0, 0, 1]), output=-1,
        progress=False)
    assert torch.equal(predict(only_last, d, output=-1), predict(alone, d))
