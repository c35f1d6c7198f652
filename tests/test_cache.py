"""support.cache.fit: the same training loads what it gave before, bit for bit; anything that
changes the result changes the key; inputs it cannot key are refused."""
import pytest
import torch

from support import cache, data, models, train


@pytest.fixture
def tmp_cache(tmp_path, monkeypatch):
    monkeypatch.setattr(data, "CACHE", tmp_path)
    return tmp_path / "trained"


@pytest.fixture(scope="module")
def digits():
    return data.digits()


RECIPE = dict(epochs=2, lr=2e-3, seed=0, progress=False)


def _state(model):
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_a_second_fit_loads_what_the_first_trained(tmp_cache, digits, monkeypatch):
    first = models.for_data("mlp", digits, seed=0)
    history = cache.fit(first, digits, **RECIPE)
    assert len(list(tmp_cache.glob("*.pt"))) == 1
    trained_alone = models.for_data("mlp", digits, seed=0)
    assert train.fit(trained_alone, digits, **RECIPE) == history
    monkeypatch.setattr(train, "fit", lambda *a, **k: pytest.fail("trained again"))
    second = models.for_data("mlp", digits, seed=0)
    assert cache.fit(second, digits, **dict(RECIPE, progress=True)) == history
    assert not second.training
    for name, tensor in _state(trained_alone).items():
        assert torch.equal(second.state_dict()[name], tensor), name
        assert torch.equal(first.state_dict()[name], tensor), name


def test_what_changes_the_result_changes_the_key(digits):
    model = models.for_data("mlp", digits, seed=0)
    base = cache.key(model, digits, **RECIPE)
    assert cache.key(models.for_data("mlp", digits, seed=0), digits, **RECIPE) == base
    assert cache.key(models.for_data("mlp", digits, seed=1), digits, **RECIPE) != base
    assert cache.key(model, digits, **dict(RECIPE, lr=1e-3)) != base
    assert cache.key(model, digits, **dict(RECIPE, progress=True)) == base
    relabelled = data.Splits(**{**vars(digits), "y_train": (digits.y_train + 1) % 10})
    assert cache.key(model, relabelled, **RECIPE) != base
    wider = models.for_data("mlp", digits, seed=0, hidden=(300, 101))
    assert cache.key(wider, digits, **RECIPE) != base
    with_batch_norm = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.BatchNorm1d(64),
                                          torch.nn.Linear(64, 10))   # a 0-d buffer in its state
    assert any(t.ndim == 0 for t in with_batch_norm.state_dict().values())
    assert cache.key(with_batch_norm, digits, **RECIPE) != base
    from support import early_exit as ee
    assert (cache.key(model, digits, loss_fn=ee.loss_fn([1, 1]), **RECIPE)
            == cache.key(model, digits, loss_fn=ee.loss_fn((1.0, 1.0)), **RECIPE)
            != cache.key(model, digits, loss_fn=ee.loss_fn([1, 0]), **RECIPE))
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(threads + 1)
        assert cache.key(model, digits, **RECIPE) != base
    finally:
        torch.set_num_threads(threads)


def test_a_damaged_entry_is_trained_again(tmp_cache, digits):
    model = models.for_data("mlp", digits, seed=0)
    path = tmp_cache / f"{cache.key(model, digits, **RECIPE)}.pt"
    path.parent.mkdir(parents=True)
    path.write_bytes(b"not a checkpoint")
    history = cache.fit(model, digits, **RECIPE)
    assert len(history.train_loss) == 2
    assert torch.load(path, weights_only=True)["history"]["train_loss"] == history.train_loss


def test_inputs_it_cannot_key_are_refused(tmp_cache, digits):
    model = models.for_data("mlp", digits, seed=0)
    with pytest.raises(TypeError, match="loss_fn"):
        cache.fit(model, digits, loss_fn=lambda out, x, y: out.sum(), **RECIPE)
    with pytest.raises(TypeError, match="after_step"):
        cache.fit(model, digits, after_step=lambda m: None, **RECIPE)
    with pytest.raises(TypeError, match="Splits"):
        cache.fit(model, digits.loader("train"), **RECIPE)
    with pytest.raises(TypeError, match="Module"):
        cache.fit("mlp", digits, **RECIPE)
    with pytest.raises(ValueError, match="epochs"):
        cache.fit(model, digits, **dict(RECIPE, epochs=-1))
    assert not tmp_cache.exists()
