"""support.distill: temperature softmax, the distillation loss, ensembles, fit's loss_fn."""
import pytest
import torch
from torch.nn import functional as F

from support import distill, models
from support.train import fit, predict


def test_softmax_with_temperature_reproduces_the_lecture_table():
    logits = torch.tensor([100.0, 10.0, 1.0])
    at_1 = distill.softmax_with_temperature(logits, 1)
    assert at_1[0] == pytest.approx(1.0) and at_1[1:].max() < 1e-30
    assert distill.softmax_with_temperature(logits, 100).tolist() == pytest.approx([0.5623, 0.2287, 0.2090],
                                                                    abs=1e-4)


def test_softmax_with_temperature_is_stable_and_keeps_any_shape():
    big = torch.tensor([[1000.0, 0.0, -1000.0]])
    assert torch.isfinite(distill.softmax_with_temperature(big, 0.5)).all()
    z = torch.randn(2, 3, 5, 7)
    p = distill.softmax_with_temperature(z, 3.0)
    assert p.shape == z.shape
    assert torch.allclose(p.sum(-1), torch.ones(2, 3, 5))
    assert torch.allclose(p, torch.softmax(z / 3.0, dim=-1))
    flat = distill.softmax_with_temperature(torch.zeros(4, 10), 7)
    assert torch.allclose(flat, torch.full((4, 10), 0.1)), "equal logits: uniform at any T"


@pytest.mark.parametrize("bad", [0, -1.0, "2", None, True, float("nan"), float("inf")])
def test_bad_temperature(bad):
    with pytest.raises(ValueError, match="T must be a finite number > 0"):
        distill.softmax_with_temperature(torch.zeros(3), bad)
    with pytest.raises(ValueError):
        distill.distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2).long(), bad)


@pytest.mark.parametrize("bad", [-0.1, 1.5, "0.5", None, False])
def test_bad_alpha(bad):
    with pytest.raises(ValueError, match=r"alpha must be a finite number in \[0, 1\]"):
        distill.distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3), torch.zeros(2).long(),
                                  2.0, bad)
    with pytest.raises(ValueError):
        distill.loss_fn(models.mlp(hidden=(4,)), 2.0, bad)


def test_ensemble_soft_targets_average_probabilities_not_logits():
    a, b = torch.tensor([[4.0, 0.0, 0.0]]), torch.tensor([[0.0, 4.0, 0.0]])
    p = distill.ensemble_soft_targets([a, b], T=2)
    assert torch.allclose(p, (distill.softmax_with_temperature(a, 2) + distill.softmax_with_temperature(b, 2)) / 2)
    assert not torch.allclose(p, distill.softmax_with_temperature((a + b) / 2, 2))
    assert torch.allclose(distill.ensemble_soft_targets(torch.stack([a, b]), 2), p)
    assert torch.allclose(distill.ensemble_soft_targets([a], 3), distill.softmax_with_temperature(a, 3))
    with pytest.raises(ValueError):
        distill.ensemble_soft_targets([])
    with pytest.raises(ValueError, match="same shape"):
        distill.ensemble_soft_targets([a, torch.zeros(2, 3)])


def test_distillation_loss_refuses_logits_of_different_shapes():
    student, labels = torch.zeros(4, 10), torch.zeros(4, dtype=torch.long)
    for teacher in (torch.zeros(4, 9), torch.zeros(10), torch.zeros(5, 10)):
        with pytest.raises(ValueError, match="same shape"):
            distill.distillation_loss(student, teacher, labels)
    with pytest.raises(ValueError, match="one class index per example"):
        distill.distillation_loss(student, student, torch.zeros(3, dtype=torch.long))
    with pytest.raises(ValueError, match=r"\(B, C\)"):
        distill.distillation_loss(torch.zeros(10), torch.zeros(10), labels)


def test_distillation_loss_matches_its_formula():
    g = torch.Generator().manual_seed(0)
    s, t = 3 * torch.randn(6, 10, generator=g), 3 * torch.randn(6, 10, generator=g)
    y = torch.randint(0, 10, (6,), generator=g)
    T, alpha = 5.0, 0.7
    p, log_q = torch.softmax(t / T, -1), torch.log_softmax(s / T, -1)
    kl = (p * (p.log() - log_q)).sum(-1).mean()
    expected = alpha * T ** 2 * kl + (1 - alpha) * F.cross_entropy(s, y)
    assert distill.distillation_loss(s, t, y, T, alpha).item() == pytest.approx(expected.item(),
                                                                                rel=1e-5)
    assert distill.distillation_loss(s, t, y, T, 0).item() == pytest.approx(
        F.cross_entropy(s, y).item(), rel=1e-6)
    assert distill.distillation_loss(t, t, y, T, 1).item() == pytest.approx(0, abs=1e-6)
    # an ensemble of one is the teacher itself
    assert distill.distillation_loss(s, [t], y, T, alpha).item() == pytest.approx(
        distill.distillation_loss(s, t, y, T, alpha).item())


def test_t_squared_keeps_the_soft_gradient_scale():
    g = torch.Generator().manual_seed(1)
    t, y = torch.randn(64, 10, generator=g), torch.zeros(64).long()
    norms = []
    for T in (5.0, 10.0, 20.0):
        s = torch.randn(64, 10, generator=torch.Generator().manual_seed(2)).requires_grad_()
        distill.distillation_loss(s, t, y, T, 1.0).backward()
        norms.append(s.grad.norm().item())
    # without T^2 the gradient would shrink 4x per doubling of T; with it, it barely moves
    assert norms[0] / norms[2] == pytest.approx(1, abs=0.1)


def test_loss_fn_by_call_and_by_lookup_agree_and_freeze_the_teacher(tmp_path):
    from support.data import mnist1d

    splits = mnist1d(num_samples=200)
    teachers = [models.for_data("cnn1d", splits, channels=(4, 4, 4), seed=s) for s in (0, 1)]
    tables = [predict(t, splits, "train") for t in teachers]
    x, y = splits.x_train[:16], splits.y_train[:16]
    logits = torch.randn(16, 10)
    by_call = distill.loss_fn(teachers, 3.0, 0.6)(logits, x, y)
    by_index = distill.loss_fn(tables, 3.0, 0.6, labels=splits.y_train)(logits, x, torch.arange(16))
    assert by_call.item() == pytest.approx(by_index.item(), rel=1e-5)
    assert not any(p.requires_grad for t in teachers for p in t.parameters())
    with pytest.raises(ValueError, match="labels"):
        distill.loss_fn(tables, 3.0, 0.6)
    # fit trains a student against the frozen teachers; the teachers do not move
    before = [p.clone() for p in teachers[0].parameters()]
    student = models.for_data("mlp", splits, hidden=(8,), seed=0)
    history = fit(student, splits, epochs=3, loss_fn=distill.loss_fn(teachers, 3.0, 0.6),
                  progress=False)
    assert history.train_loss[-1] < history.train_loss[0]
    assert all(torch.equal(a, b) for a, b in zip(before, teachers[0].parameters()))


def test_indexed_loader_visits_every_example_once_in_a_seeded_order():
    from support.data import mnist1d

    splits = mnist1d(num_samples=200)
    seen = torch.cat([i for _, i in distill.indexed_loader(splits, batch_size=32, seed=3)])
    assert sorted(seen.tolist()) == list(range(len(splits.y_train)))
    again = torch.cat([i for _, i in distill.indexed_loader(splits, batch_size=32, seed=3)])
    assert torch.equal(seen, again) and not torch.equal(seen, torch.sort(seen).values)
    x, i = next(iter(distill.indexed_loader(splits, batch_size=8)))
    assert torch.equal(x, splits.x_train[i])
