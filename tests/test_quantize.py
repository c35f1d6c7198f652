"""support.quantize: affine quantization, fake quantization with a straight-through gradient,
k-means weight sharing."""
import copy

import pytest
import torch
from torch import nn

from support import models, quantize


def test_qrange_and_bad_bits():
    assert quantize.qrange(8) == (0, 255)
    assert quantize.qrange(8, symmetric=True) == (-127, 127)
    assert quantize.qrange(1) == (0, 1)
    for bad in (0, 33, 8.0, True, "8", None):
        with pytest.raises(ValueError, match="bits"):
            quantize.qrange(bad)
    with pytest.raises(ValueError, match="symmetric"):
        quantize.qrange(1, symmetric=True)


def test_scale_and_zero_point_by_hand():
    scale, zero_point = quantize.scale_zero_point(-1.0, 3.0, 2)     # 4 levels over [-1, 3]
    assert scale.item() == pytest.approx(4 / 3) and zero_point.item() == 1
    scale, zero_point = quantize.scale_zero_point(0.5, 2.0, 8)      # widened to [0, 2]
    assert scale.item() == pytest.approx(2 / 255) and zero_point.item() == 0
    scale, zero_point = quantize.scale_zero_point(-3.0, 1.0, 4, symmetric=True)
    assert scale.item() == pytest.approx(3 / 7) and zero_point.item() == 0
    scale, _ = quantize.scale_zero_point(0.0, 0.0, 8)                # an all-zero tensor
    assert scale.item() == 1
    with pytest.raises(ValueError):
        quantize.scale_zero_point(2.0, 1.0, 8)
    with pytest.raises(ValueError):
        quantize.scale_zero_point(float("nan"), 1.0, 8)


@pytest.mark.parametrize("bits", [2, 3, 4, 8])
@pytest.mark.parametrize("symmetric", [False, True])
def test_fake_quantize_moves_each_value_by_at_most_half_a_step(bits, symmetric):
    x = torch.randn(64, 32)
    y = quantize.fake_quantize(x, bits, symmetric)
    scale, _ = quantize.scale_zero_point(x.min(), x.max(), bits, symmetric)
    assert (y - x).abs().max() <= scale / 2 + 1e-6
    assert torch.unique(y).numel() <= 2 ** bits
    assert (y == 0).sum() >= (x == 0).sum()            # zero stays representable


def test_per_channel_beats_per_tensor_when_channel_ranges_differ():
    x = torch.randn(8, 100) * torch.logspace(-2, 0, 8)[:, None]
    tensor_error = (quantize.fake_quantize(x, 4) - x).pow(2).sum(1)
    channel_error = (quantize.fake_quantize(x, 4, per_channel=True) - x).pow(2).sum(1)
    assert (channel_error <= tensor_error + 1e-9).all()
    assert channel_error[:4].sum() < tensor_error[:4].sum() / 10     # the narrow channels gain most
    with pytest.raises(ValueError, match="per-channel"):
        quantize.fake_quantize(torch.randn(5), 4, per_channel=True)


def test_quantize_and_dequantize_round_half_to_even_and_clamp():
    q = quantize.quantize(torch.tensor([0.5, 1.5, 2.5, 100.0, -100.0]), 1.0, 0, 3, symmetric=True)
    assert q.tolist() == [0, 2, 2, 3, -3]
    assert quantize.dequantize(q, 0.5, 0).tolist() == [0.0, 1.0, 1.0, 1.5, -1.5]
    for bad in (0.0, -1.0, torch.tensor([1.0, 0.0])):
        with pytest.raises(ValueError, match="scale"):
            quantize.quantize(torch.ones(2), bad, 0, 8)


def test_empty_or_integer_tensors_are_refused():
    with pytest.raises(ValueError, match="empty"):
        quantize.fake_quantize(torch.zeros(0), 8)
    with pytest.raises(ValueError, match="float"):
        quantize.fake_quantize(torch.arange(5), 8)


def test_binarize_is_sign_times_mean_magnitude():
    x = torch.tensor([[-2.0, 1.0], [0.0, 3.0]])
    assert quantize.binarize(x).tolist() == [[-1.5, 1.5], [1.5, 1.5]]
    # XNOR-Net's alpha_i = ||W_i||_1 / n, one per output channel (row)
    assert quantize.binarize(x, per_channel=True).tolist() == [[-1.5, 1.5], [1.5, 1.5]]
    w = torch.tensor([[-2.0, 4.0], [1.0, -1.0]])
    assert quantize.binarize(w, per_channel=True).tolist() == [[-3.0, 3.0], [1.0, -1.0]]
    conv = torch.tensor([[[[1.0, -3.0]]], [[[0.5, 0.5]]]])          # (2, 1, 1, 2)
    assert quantize.binarize(conv, per_channel=True).flatten().tolist() == [2.0, -2.0, 0.5, 0.5]


def test_post_training_quantization_leaves_few_values_and_biases_alone():
    model = models.mlp(seed=0)
    bias = model[1].bias.clone()
    quantize.quantize_weights(model, 3, symmetric=True)
    assert quantize.distinct_values(model[1].weight) <= 6
    assert torch.equal(model[1].bias, bias)
    with pytest.raises(ValueError):
        quantize.quantize_weights(nn.Sequential(nn.ReLU()), 8)


def test_straight_through_gradient_is_the_identity():
    layer = nn.Linear(4, 3)
    quantize.add_fake_quantization(layer, 2)
    x = torch.randn(5, 4)
    layer(x).sum().backward()
    grad = layer.parametrizations.weight.original.grad
    assert torch.allclose(grad, x.sum(0).expand(3, 4))           # d(sum(W x))/dW, unrounded
    assert torch.unique(layer.weight.detach()).numel() <= 4
    quantize.remove_parametrizations(layer)
    assert isinstance(layer.weight, nn.Parameter) and torch.unique(layer.weight.detach()).numel() <= 4


def test_kmeans_initialisations():
    values = torch.tensor([0.0, 1.0, 2.0, 3.0, 10.0])
    assert quantize.init_centroids(values, 3, "linear").tolist() == [0.0, 5.0, 10.0]
    density = quantize.init_centroids(values, 2, "density")
    assert density.tolist() == pytest.approx([torch.quantile(values, 0.25).item(),
                                             torch.quantile(values, 0.75).item()])
    random = quantize.init_centroids(values, 3, "random", seed=1)
    assert set(random.tolist()) <= set(values.tolist()) and random.unique().numel() == 3
    assert torch.equal(random, quantize.init_centroids(values, 3, "random", seed=1))


def test_kmeans_finds_separated_clusters_and_keeps_an_empty_centroid():
    values = torch.tensor([-1.0, -1.1, -0.9, 5.0, 5.1, 4.9])
    centroids, indices = quantize.kmeans(values, 2)
    assert centroids.tolist() == pytest.approx([-1.0, 5.0])
    assert indices.tolist() == [0, 0, 0, 1, 1, 1]
    centroids, indices = quantize.kmeans(torch.tensor([0.0, 0.0, 0.0, 9.0]), 3)
    assert centroids[1].item() == pytest.approx(4.5)              # no value: stays put
    assert indices.tolist() == [0, 0, 0, 2]


@pytest.mark.parametrize("bad", [0, 7, 2.0, True])
def test_kmeans_bad_cluster_counts(bad):
    with pytest.raises(ValueError, match="clusters"):
        quantize.kmeans(torch.randn(6), bad)


def test_kmeans_bad_values_and_init():
    with pytest.raises(ValueError, match="empty"):
        quantize.kmeans(torch.zeros(0), 1)
    with pytest.raises(ValueError, match="1-D"):
        quantize.kmeans(torch.randn(3, 3), 2)
    with pytest.raises(ValueError, match="init"):
        quantize.kmeans(torch.randn(6), 2, init="kmeans++")


def test_shared_weights_keep_zeros_and_sum_their_gradients():
    torch.manual_seed(0)
    layer = nn.Linear(6, 4)
    with torch.no_grad():
        layer.weight[0] = 0                                   # a pruned neuron
    reference = copy.deepcopy(layer)
    quantize.share_weights(layer, 3)
    assert (layer.weight[0] == 0).all() and quantize.distinct_values(layer.weight) <= 3
    shared = layer.parametrizations.weight[0]
    x = torch.randn(8, 6)
    layer(x).pow(2).sum().backward()
    with torch.no_grad():
        reference.weight.copy_(layer.weight)
    reference(x).pow(2).sum().backward()
    expected = torch.zeros(3).index_add_(0, shared.indices[shared.mask],
                                         reference.weight.grad[shared.mask])
    assert torch.allclose(shared.centroids.grad, expected, atol=1e-5)


def test_share_weights_on_an_empty_layer():
    layer = nn.Linear(3, 2)
    with torch.no_grad():
        layer.weight.zero_()
    quantize.share_weights(layer, 4)
    assert (layer.weight == 0).all()


def test_nearest_is_the_exact_argmin_with_ties_to_the_lower_index():
    centroids = torch.tensor([-1.0, 0.0, 1.0, 3.0])
    values = torch.tensor([-5.0, -0.5, 0.5, 2.0, 0.2, 9.0, 1.0])
    assert quantize.nearest(values, centroids).tolist() == [0, 0, 1, 2, 1, 3, 2]
    values = torch.randn(2000)
    centroids = torch.randn(37).sort().values
    assert torch.equal(quantize.nearest(values, centroids),
                       (values[:, None] - centroids[None]).abs().argmin(1))


def test_removing_the_parametrization_of_a_copy_leaves_the_original_working():
    model = quantize.share_weights(models.mlp(seed=0), 4)
    twin = quantize.remove_parametrizations(copy.deepcopy(model))
    x = torch.rand(3, 1, 8, 8)
    assert torch.equal(model(x), twin(x))
    assert isinstance(twin[1].weight, nn.Parameter) and type(twin[1]) is not type(model[1])
