"""support.prune: masks, importance, smaller layers, rewinding."""
import copy

import pytest
import torch
from torch import nn
from torch.nn.utils import prune as torch_prune

from support import models, prune


def test_magnitude_mask_prunes_exactly_the_smallest():
    w = torch.tensor([[0.5, -0.1, 0.3], [-2.0, 0.05, 1.0]])
    mask = prune.magnitude_mask(w, 0.5)
    assert mask.tolist() == [[True, False, False], [True, False, True]]
    assert prune.magnitude_mask(w, 0).all()


def test_magnitude_mask_exact_count_and_deterministic_ties():
    w = torch.ones(10)
    mask = prune.magnitude_mask(w, 0.3)
    assert mask.tolist() == [False] * 3 + [True] * 7, "ties: the lower index goes first"
    w = torch.randn(37, 11, generator=torch.Generator().manual_seed(0))
    for s in (0.1, 0.25, 0.5, 0.9, 0.99):
        assert (~prune.magnitude_mask(w, s)).sum() == round(s * w.numel())


def test_magnitude_mask_agrees_with_torch_prune():
    layer = nn.Linear(50, 40)
    ours = prune.magnitude_mask(layer.weight, 0.7)
    torch_prune.l1_unstructured(layer, "weight", amount=0.7)
    assert torch.equal(ours, layer.weight_mask.bool())


def test_global_masks_use_one_threshold():
    weights = {"a": torch.tensor([0.1, 0.2, 5.0]), "b": torch.tensor([3.0, 0.3, 4.0, 0.4])}
    masks = prune.global_magnitude_masks(weights, 4 / 7)
    assert masks["a"].tolist() == [False, False, True]
    assert masks["b"].tolist() == [True, False, True, False]
    assert prune.sparsity_of(masks) == pytest.approx(4 / 7)


@pytest.mark.parametrize("bad", [-0.1, 1, 1.5, "0.5", None, True])
def test_bad_sparsity(bad):
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        prune.magnitude_mask(torch.ones(4), bad)
    with pytest.raises(ValueError):
        prune.keep_top(torch.ones(4), bad)


def test_apply_keep_masked_and_torch_prune():
    model = models.mlp(hidden=(16,), seed=0)
    masks = prune.global_magnitude_masks(prune.prunable(model), 0.8)
    assert set(masks) == {"1.weight", "3.weight"}
    x = torch.randn(5, 1, 8, 8)
    theirs = prune.to_torch_prune(copy.deepcopy(model), masks)
    prune.apply_masks(model, masks)
    assert torch.allclose(model(x), theirs(x))
    with torch.no_grad():
        model[1].weight.add_(1.0)
    prune.keep_masked(masks)(model)
    assert (model[1].weight[~masks["1.weight"]] == 0).all()
    with pytest.raises(ValueError, match="no parameter"):
        prune.apply_masks(model, {"9.weight": masks["1.weight"]})
    with pytest.raises(ValueError, match="shape"):
        prune.apply_masks(model, {"1.weight": masks["3.weight"]})
    with pytest.raises(ValueError, match="bool tensor"):
        prune.apply_masks(model, {"1.weight": masks["1.weight"].float()})


def test_global_masks_of_a_model_are_those_of_its_prunable_weights():
    model = models.mlp(hidden=(16, 8), seed=0)
    ours = prune.global_magnitude_masks(model, 0.7)
    theirs = prune.global_magnitude_masks(prune.prunable(model), 0.7)
    assert list(ours) == list(theirs) and all(torch.equal(ours[k], theirs[k]) for k in ours)


def test_sparsity_of_refuses_nothing_and_float_masks():
    assert prune.sparsity_of({"a": torch.tensor([True, False, False, True])}) == 0.5
    for bad in ({}, {"a": torch.zeros(0, dtype=torch.bool)}):
        with pytest.raises(ValueError, match="at least one"):
            prune.sparsity_of(bad)
    with pytest.raises(ValueError, match="bool tensor"):
        prune.sparsity_of({"a": torch.tensor([1.0, 0.0])})


def test_neuron_activity_counts_nonzero_outputs():
    model = nn.Sequential(nn.Linear(2, 3), nn.ReLU())
    with torch.no_grad():
        model[0].weight.copy_(torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]))
        model[0].bias.zero_()
    x = torch.tensor([[1.0, -1.0], [1.0, 1.0], [-1.0, 1.0], [2.0, 2.0]])
    activity = prune.neuron_activity(model, model[1], x, batch_size=3)
    assert activity.tolist() == [0.75, 0.75, 0.0]
    conv = nn.Sequential(nn.Conv1d(1, 2, 1), nn.ReLU())
    assert prune.neuron_activity(conv, conv[1], torch.randn(4, 1, 5)).shape == (2,)
    with pytest.raises(ValueError, match="model's own"):
        prune.neuron_activity(model, nn.ReLU(), x)


def test_keep_top_and_channel_norms():
    assert prune.keep_top(torch.tensor([0.1, 3.0, 2.0, 3.0]), 0.5).tolist() == [1, 3]
    assert prune.keep_top(torch.tensor([1.0, 2.0]), 0.9).tolist() == [1]
    # ties: the lower index is removed first, as in magnitude_mask
    assert prune.keep_top(torch.ones(4), 0.5).tolist() == [2, 3]
    assert prune.keep_top(torch.ones(3), 0.9).tolist() == [2]
    w = torch.tensor([[1.0, -2.0], [3.0, 4.0]])
    assert prune.channel_norms(w, 1).tolist() == [3.0, 7.0]
    assert prune.channel_norms(w, 2).tolist() == pytest.approx([5 ** 0.5, 5.0])
    with pytest.raises(ValueError):
        prune.channel_norms(w, 3)


@pytest.mark.parametrize("model, shape", [
    (models.mlp(hidden=(32, 16), seed=0), (7, 1, 8, 8)),
    (models.cnn(channels=(8, 12), seed=0), (7, 1, 8, 8)),
    (models.cnn1d(channels=(6, 6, 6), seed=0), (7, 1, 40)),
])
def test_shrunk_network_computes_what_the_masked_one_did(model, shape):
    x = torch.randn(shape, generator=torch.Generator().manual_seed(1))
    weighted = [i for i, m in enumerate(model) if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    keep = {i: prune.keep_top(prune.channel_norms(model[i].weight), 0.5) for i in weighted[:-1]}
    small = prune.shrink_sequential(model, keep)
    # the masked reference: zero the removed units' outgoing weights in the next layer
    masked = copy.deepcopy(model)
    with torch.no_grad():
        for i, units in keep.items():
            following = weighted[weighted.index(i) + 1]
            drop = torch.ones(model[i].weight.shape[0], dtype=torch.bool)
            drop[units] = False
            w = masked[following].weight
            if w.shape[1] == drop.numel():
                w[:, drop] = 0
            else:
                w.view(w.shape[0], drop.numel(), -1)[:, drop] = 0
    assert torch.allclose(small(x), masked(x), atol=1e-5)
    assert sum(p.numel() for p in small.parameters()) < sum(p.numel() for p in model.parameters())


def test_shrink_pair_rejects_bad_input():
    a, b = nn.Linear(4, 6), nn.Linear(6, 2)
    for keep in ([], [0, 0], [6], [-1]):
        with pytest.raises(ValueError, match="keep"):
            prune.shrink_pair(a, b, torch.tensor(keep, dtype=torch.long))
    with pytest.raises(ValueError, match="pair"):
        prune.shrink_pair(a, nn.Linear(5, 2), torch.tensor([0]))
    with pytest.raises(ValueError):
        prune.shrink_sequential(models.mlp(), {4: torch.tensor([0])})
    for keep in (torch.tensor([True, False, True, False, True, True]), torch.tensor([0.0, 1.0])):
        with pytest.raises(ValueError, match="integer unit indices"):
            prune.shrink_pair(a, b, keep)


def test_a_batchnorm_between_the_pair_is_refused():
    model = nn.Sequential(nn.Linear(4, 6), nn.BatchNorm1d(6), nn.ReLU(), nn.Linear(6, 2))
    with pytest.raises(ValueError, match="BatchNorm1d between the two layers"):
        prune.shrink_sequential(model, {0: torch.tensor([0, 1])})
    with pytest.raises(ValueError, match="running_mean"):
        prune.shrink_pair(model[0], model[3], torch.tensor([0, 1]), between=model[1:3])
    # modules that hold nothing per unit are fine between the two
    plain = nn.Sequential(nn.Linear(4, 6), nn.ReLU(), nn.Dropout(0.1), nn.Linear(6, 2))
    assert prune.shrink_sequential(plain, {0: torch.tensor([0, 1])})[3].in_features == 2


def test_prune_units_removes_the_lowest_norm_units_of_every_layer_but_the_last():
    model = models.cnn(channels=(8, 12), seed=0)
    small = prune.prune_units(model, 0.5)
    keep = {i: prune.keep_top(prune.channel_norms(model[i].weight), 0.5) for i in (0, 2, 5)}
    expected = prune.shrink_sequential(model, keep)
    assert all(torch.equal(a, b) for a, b in zip(small.parameters(), expected.parameters()))
    assert [m.out_channels for m in small if isinstance(m, nn.Conv2d)] == [4, 4, 6]
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        prune.prune_units(model, 1.0)


def test_rewind_restores_initial_values_under_the_mask():
    model = models.mlp(hidden=(8,), seed=0)
    initial = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        for p in model.parameters():
            p.add_(1.0)
    masks = prune.global_magnitude_masks(prune.prunable(model), 0.5)
    prune.rewind(model, initial, masks)
    for name, p in model.named_parameters():
        expected = initial[name] * masks[name] if name in masks else initial[name]
        assert torch.equal(p, expected)
    with pytest.raises(ValueError, match="initial_state"):
        prune.rewind(model, {}, masks)


def test_rewind_restores_buffers_too():
    model = nn.Sequential(nn.Linear(3, 4), nn.BatchNorm1d(4), nn.ReLU(), nn.Linear(4, 2))
    initial = copy.deepcopy(model.state_dict())
    model.train()
    model(torch.randn(16, 3))                       # moves the running statistics
    assert not torch.equal(model[1].running_mean, initial["1.running_mean"])
    masks = {"0.weight": torch.rand(4, 3) > 0.5}
    prune.rewind(model, initial, masks)
    for name in ("1.running_mean", "1.running_var", "1.num_batches_tracked"):
        assert torch.equal(model.state_dict()[name], initial[name]), name
    assert (model[0].weight[~masks["0.weight"]] == 0).all()
    wrong = dict(initial, **{"1.running_mean": torch.zeros(5)})
    with pytest.raises(ValueError, match="shape"):
        prune.rewind(model, wrong, masks)
    without = {k: v for k, v in initial.items() if k != "1.running_var"}
    with pytest.raises(ValueError, match="running_var"):
        prune.rewind(model, without, masks)
