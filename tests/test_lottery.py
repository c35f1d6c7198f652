"""support.lottery: pruning the survivors, and the IMP loop (rewind vs reinit)."""
import copy

import pytest
import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from support import data, lottery, models, prune
from support.train import History


def test_prune_surviving_counts_nesting_and_smallest():
    model = models.mlp(hidden=(30, 20), seed=0)
    masks = lottery.full_masks(model)
    assert set(masks) == {"1.weight", "3.weight", "5.weight"} and all(m.all() for m in masks.values())
    for _ in range(3):
        new = lottery.prune_surviving(model, masks, sparsity=0.2, output_sparsity=0.1)
        for name, weight in prune.prunable(model).items():
            before, after = int(masks[name].sum()), int(new[name].sum())
            sparsity = 0.1 if name == "5.weight" else 0.2
            assert before - after == round(sparsity * before), name
            assert not (new[name] & ~masks[name]).any(), "a pruned weight came back"
            removed = weight[masks[name] & ~new[name]].abs()
            kept = weight[new[name]].abs()
            assert removed.max() <= kept.min(), "removed a survivor larger than one kept"
        masks = new
    assert 1 - prune.sparsity_of(masks) < 0.6


def test_prune_surviving_agrees_with_torch_prune_applied_repeatedly():
    model = models.mlp(hidden=(40,), seed=1)
    theirs = copy.deepcopy(model)
    masks = lottery.full_masks(model)
    for _ in range(4):
        masks = lottery.prune_surviving(model, masks, sparsity=0.2, output_sparsity=0.1)
        torch_prune.l1_unstructured(theirs[1], "weight", amount=0.2)
        torch_prune.l1_unstructured(theirs[3], "weight", amount=0.1)
    assert torch.equal(masks["1.weight"], theirs[1].weight_mask.bool())
    assert torch.equal(masks["3.weight"], theirs[3].weight_mask.bool())


def test_prune_surviving_never_empties_a_layer():
    layer = nn.Sequential(nn.Linear(2, 1))
    masks = {"0.weight": torch.tensor([[True, False]])}
    assert lottery.prune_surviving(layer, masks, output_sparsity=0.9)["0.weight"].sum() == 1


@pytest.mark.parametrize("sparsity", [-0.1, 1.0, "0.2"])
def test_prune_surviving_bad_sparsity(sparsity):
    model = models.mlp(hidden=(8,), seed=0)
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        lottery.prune_surviving(model, lottery.full_masks(model), sparsity=sparsity)


def test_prune_surviving_bad_masks():
    model = models.mlp(hidden=(8,), seed=0)
    masks = lottery.full_masks(model)
    with pytest.raises(ValueError, match="cover exactly"):
        lottery.prune_surviving(model, {"1.weight": masks["1.weight"]})
    masks["1.weight"] = masks["1.weight"].T
    with pytest.raises(ValueError, match="shape"):
        lottery.prune_surviving(model, masks)


def test_imp_rewinds_every_ticket_to_the_original_initialisation(monkeypatch):
    """Record each training's starting weights: every ticket starts from the original
    initialisation with its pruned weights at zero, and trains for the same epochs."""
    starts = []

    def fake_fit(model, splits, epochs, lr, seed, after_step, progress, patience, restore_best):
        assert (epochs, patience, restore_best) == (4, None, False), "equal iterations"
        starts.append({k: v.detach().clone() for k, v in model.named_parameters()})
        with torch.no_grad():  # "training": move every weight, then re-apply the masks
            for p in model.parameters():
                p.add_(torch.randn_like(p))
        after_step(model)
        return History(val_accuracy=[0.1, 0.3, 0.3, 0.2], best_epoch=2)

    monkeypatch.setattr(lottery, "fit", fake_fit)
    monkeypatch.setattr(lottery, "evaluate", lambda model, splits: 0.5)
    make = lambda seed: models.mlp(hidden=(20, 10), seed=seed)
    initial = dict(make(3).named_parameters())
    rows = lottery.iterative_magnitude_pruning(make, None, rounds=3, epochs=4, lr=1e-3, seed=3)
    assert [r["round"] for r in rows] == [0, 1, 2, 3]
    assert all(r["ticket"] == 0.5 and r["ticket_stop"] == 2 for r in rows)
    assert len(starts) == 4
    for row, start in zip(rows, starts):
        for name, value in start.items():
            expected = initial[name].detach()
            if name in row["masks"]:
                expected = expected * row["masks"][name]
            assert torch.equal(value, expected), f"round {row['round']}: {name} not rewound"
    sparsities = [r["sparsity"] for r in rows]
    assert sparsities[0] == 0 and all(a < b for a, b in zip(sparsities, sparsities[1:]))
    assert 1 - sparsities[1] == pytest.approx((0.8 * 64 * 20 + 0.8 * 20 * 10 + 0.9 * 100) / 1580,
                                              abs=1e-3)


def test_imp_really_trains_and_is_reproducible():
    splits = data.digits()
    make = lambda seed: models.mlp(hidden=(16,), seed=seed)
    runs = [lottery.iterative_magnitude_pruning(make, splits, rounds=1, epochs=2, lr=5e-3, seed=0)
            for _ in range(2)]
    strip = lambda rows: [{k: v for k, v in r.items() if k != "masks"} for r in rows]
    assert strip(runs[0]) == strip(runs[1])
    assert runs[0][0]["ticket"] > 0.3 and runs[0][1]["ticket"] > 0.3, "well above chance (0.1)"


def test_train_masked_to_convergence_keeps_pruned_weights_at_zero():
    splits = data.digits()
    model = models.mlp(hidden=(16,), seed=1)
    masks = prune.global_magnitude_masks(model, 0.8)
    prune.apply_masks(model, masks)
    accuracy, stop = lottery.train_masked(model, masks, splits, epochs=30, lr=1e-2, patience=3)
    assert 1 <= stop <= 30 and accuracy > 0.5
    assert all((model.get_parameter(n)[~m] == 0).all() for n, m in masks.items())


def test_imp_bad_arguments():
    make = lambda seed: models.mlp(hidden=(8,), seed=seed)
    for kwargs in (dict(rounds=-1, epochs=1), dict(rounds=1, epochs=0), dict(rounds=True, epochs=1)):
        with pytest.raises(ValueError):
            lottery.iterative_magnitude_pruning(make, data.digits(), lr=1e-3, **kwargs)
