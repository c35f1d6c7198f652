"""support.models and support.train."""
import pytest
import torch
from torch import nn

from support import data, models
from support.train import evaluate, fit, predict


@pytest.mark.parametrize("model, shape", [
    (models.mlp(), (5, 1, 8, 8)),
    (models.mlp((1, 40), hidden=(16,)), (5, 1, 40)),
    (models.cnn(), (5, 1, 8, 8)),
    (models.cnn(3, channels=(4, 8)), (5, 3, 8, 8)),
    (models.cnn1d(), (5, 1, 40)),
])
def test_models_map_a_batch_to_logits(model, shape):
    assert model(torch.zeros(shape)).shape == (5, 10)


def test_mlp_is_lenet_300_100_shaped():
    model = models.mlp((1, 28, 28))
    assert [m.out_features for m in model if isinstance(m, torch.nn.Linear)] == [300, 100, 10]


@pytest.mark.parametrize("call", [
    lambda: models.mlp(hidden=()),
    lambda: models.mlp(hidden=(10, -1)),
    lambda: models.cnn(channels=(8,)),
    lambda: models.cnn1d(channels=(8, 0)),
    lambda: models.for_data("resnet", data.digits()),
    lambda: models.for_data("cnn1d", data.digits()),
    lambda: models.for_data("cnn", data.mnist1d()),
])
def test_bad_model_arguments(call):
    with pytest.raises(ValueError):
        call()


def test_fit_learns_and_is_deterministic():
    d = data.digits()
    runs = []
    for _ in range(2):
        model = models.mlp(hidden=(32,), seed=0)
        history = fit(model, d, epochs=3, lr=1e-2, seed=1, progress=False)
        runs.append((model, history))
    (a, ha), (b, hb) = runs
    assert ha.train_loss == hb.train_loss
    assert all(torch.equal(p, q) for p, q in zip(a.parameters(), b.parameters()))
    assert ha.train_loss[-1] < ha.train_loss[0]
    assert evaluate(a, d) > 0.8, "three epochs of an MLP on digits are well above chance"
    assert len(ha.val_accuracy) == 3


def test_seeded_models_start_equal():
    assert torch.equal(models.cnn(seed=4)[0].weight, models.cnn(seed=4)[0].weight)
    assert not torch.equal(models.cnn(seed=4)[0].weight, models.cnn(seed=5)[0].weight)
    with pytest.raises(ValueError, match="seed"):
        models.mlp(seed=-1)


def test_fit_seed_matters():
    d = data.digits()
    a, b = models.mlp(hidden=(8,), seed=0), models.mlp(hidden=(8,), seed=0)
    fit(a, d, epochs=1, seed=1, progress=False)
    fit(b, d, epochs=1, seed=2, progress=False)
    assert not torch.equal(a[1].weight, b[1].weight)


def test_fit_custom_loss_and_after_step_are_called():
    d = data.digits()
    calls = {"loss": 0, "step": 0}

    def loss_fn(logits, x, y):
        calls["loss"] += 1
        assert x.shape[0] == logits.shape[0] == y.shape[0]
        return torch.nn.functional.cross_entropy(logits, y)

    def after_step(model):
        calls["step"] += 1
        with torch.no_grad():
            model[1].weight[0].zero_()

    model = models.mlp(hidden=(8,))
    fit(model, d, epochs=1, batch_size=256, loss_fn=loss_fn, after_step=after_step, progress=False)
    assert calls["loss"] == calls["step"] == 5  # ceil(1077 / 256)
    assert torch.count_nonzero(model[1].weight[0]) == 0


def test_predict_and_evaluate_agree():
    d = data.digits()
    model = models.mlp(hidden=(8,))
    logits = predict(model, d, part="val")
    assert logits.shape == (len(d.y_val), 10)
    assert torch.equal(predict(model, d.x_val), logits)
    accuracy = (logits.argmax(1) == d.y_val).float().mean().item()
    assert evaluate(model, d, part="val") == pytest.approx(accuracy)
    assert evaluate(model, d.loader("val", shuffle=True)) == pytest.approx(accuracy)


def test_fit_early_stopping_and_restoring_the_best_epoch():
    d = data.digits()
    full = fit(models.mlp(hidden=(16,), seed=0), d, epochs=12, lr=5e-2, seed=0, progress=False)
    assert full.best_epoch == 1 + full.val_accuracy.index(max(full.val_accuracy))
    model = models.mlp(hidden=(16,), seed=0)
    stopped = fit(model, d, epochs=12, lr=5e-2, seed=0, progress=False, patience=2,
                  restore_best=True)
    assert stopped.val_accuracy == full.val_accuracy[:len(stopped.val_accuracy)], "same run"
    best, expected = 0, len(full.val_accuracy)      # where patience 2 must stop
    for epoch, accuracy in enumerate(full.val_accuracy, start=1):
        best = epoch if accuracy > full.val_accuracy[best - 1] or best == 0 else best
        if epoch - best >= 2:
            expected = epoch
            break
    assert len(stopped.val_accuracy) == expected and stopped.best_epoch == best
    assert evaluate(model, d, "val") == pytest.approx(max(stopped.val_accuracy))
    with pytest.raises(ValueError, match="validation data"):
        fit(model, d.loader("train"), epochs=1, progress=False, patience=3)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="patience"):
            fit(model, d, epochs=1, progress=False, patience=bad)


@pytest.mark.parametrize("kwargs", [dict(epochs=-1), dict(epochs=1.5), dict(lr=0), dict(seed=-3)])
def test_bad_fit_arguments(kwargs):
    with pytest.raises(ValueError):
        fit(models.mlp(hidden=(4,)), data.digits(), progress=False, **kwargs)


def test_evaluate_needs_labels():
    with pytest.raises(ValueError, match="labels"):
        evaluate(models.mlp(), torch.zeros(3, 1, 8, 8))
    with pytest.raises(ValueError):
        fit(models.mlp(), [1, 2, 3], progress=False)


class _TwoOutputs(nn.Module):
    """Two MLPs side by side: a model that returns a list of two logits (B, 10)."""

    def __init__(self):
        super().__init__()
        self.small, self.large = models.mlp(hidden=(8,), seed=0), models.mlp(hidden=(32,), seed=1)

    def forward(self, x):
        return [self.small(x), self.large(x)]


def test_a_model_with_several_outputs():
    d = data.digits()
    model = _TwoOutputs()
    every = predict(model, d, "val")
    assert isinstance(every, list) and [z.shape for z in every] == [(len(d.y_val), 10)] * 2
    assert torch.equal(predict(model, d, "val", output=1), every[1])
    assert torch.equal(predict(model, d.x_val, output=-1), every[1])
    accuracy = (every[0].argmax(1) == d.y_val).float().mean().item()
    assert evaluate(model, d, "val", output=0) == pytest.approx(accuracy)
    # a loss over every output trains both; output= is the one validated
    loss = lambda outputs, x, y: sum(nn.functional.cross_entropy(z, y) for z in outputs)
    history = fit(model, d, epochs=3, lr=1e-2, batch_size=32, loss_fn=loss, output=0,
                  progress=False)
    assert history.val_accuracy[-1] == pytest.approx(evaluate(model, d, "val", output=0))
    assert evaluate(model, d, output=0) > 0.5 and evaluate(model, d, output=1) > 0.5
    # without a loss_fn the cross-entropy trains the chosen output alone
    before = [p.clone() for p in model.small.parameters()]
    fit(model, d, epochs=1, output=1, progress=False)
    assert all(torch.equal(a, b) for a, b in zip(before, model.small.parameters()))


def test_several_outputs_need_output():
    d, model = data.digits(), _TwoOutputs()
    with pytest.raises(ValueError, match="output=<index>"):
        evaluate(model, d)
    with pytest.raises(ValueError, match="out of range"):
        evaluate(model, d, output=2)
    with pytest.raises(ValueError, match="output must be"):
        predict(model, d, output="last")
    with pytest.raises(ValueError, match="single tensor"):
        evaluate(models.mlp(hidden=(4,)), d, output=0)
    loss = lambda outputs, x, y: sum(nn.functional.cross_entropy(z, y) for z in outputs)
    with pytest.raises(ValueError, match="output=<index>"):
        fit(model, d, epochs=1, loss_fn=loss, progress=False)
    with pytest.raises(ValueError, match="output=<index>"):
        fit(model, d.loader("train"), epochs=1, progress=False)
