"""support.models and support.train."""
import pytest
import torch

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


@pytest.mark.parametrize("kwargs", [dict(epochs=-1), dict(epochs=1.5), dict(lr=0), dict(seed=-3)])
def test_bad_fit_arguments(kwargs):
    with pytest.raises(ValueError):
        fit(models.mlp(hidden=(4,)), data.digits(), progress=False, **kwargs)


def test_evaluate_needs_labels():
    with pytest.raises(ValueError, match="labels"):
        evaluate(models.mlp(), torch.zeros(3, 1, 8, 8))
    with pytest.raises(ValueError):
        fit(models.mlp(), [1, 2, 3], progress=False)
