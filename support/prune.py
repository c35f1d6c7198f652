"""Pruning: importance scores, masks, and physically smaller layers.

Unstructured (weight) pruning keeps a dense tensor and a boolean mask of the same shape:
the file and the arithmetic stay the same size. Structured (neuron / channel) pruning builds
new, smaller layers: fewer parameters, fewer MACs, and a real speedup.

``torch.nn.utils.prune`` does the masking part with forward pre-hooks (it keeps
``weight_orig`` and ``weight_mask`` and recomputes ``weight`` before every forward);
:func:`to_torch_prune` hands our masks to it, and the chapters show that the two agree.
"""
from __future__ import annotations

import copy
from typing import Callable, Iterable

import torch
from torch import nn

from . import checks

__all__ = ["check_sparsity", "magnitude_mask", "global_magnitude_masks", "prunable",
           "apply_masks", "keep_masked", "sparsity_of", "to_torch_prune", "neuron_activity",
           "channel_norms", "keep_top", "shrink_pair", "shrink_sequential", "prune_units",
           "rewind"]

Masks = dict[str, torch.Tensor]


def check_sparsity(sparsity) -> float:
    """``sparsity`` as a float, or a ValueError unless it is a number in [0, 1) (a bool is
    not a number here).

    >>> check_sparsity(0.9)
    0.9
    >>> check_sparsity(1.5)
    Traceback (most recent call last):
    ValueError: sparsity (the fraction of weights to remove) must be a finite number in
    [0, 1), got 1.5
    """
    return checks.number("sparsity (the fraction of weights to remove)", sparsity, low=0, below=1)


def _count(sparsity: float, n: int) -> int:
    """How many of n to prune: round(sparsity * n), as torch.nn.utils.prune counts."""
    return int(round(sparsity * n))


def _lowest(scores: torch.Tensor, k: int) -> torch.Tensor:
    """Flat indices of the k lowest scores; ties go to the lower index (a stable sort)."""
    return torch.argsort(scores.flatten(), stable=True)[:k]


def magnitude_mask(weight: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Boolean mask of ``weight``'s shape that is False for exactly round(sparsity * numel)
    weights of the smallest magnitude ``|w|`` (for one weight the L1 and L2 norms agree). Ties:
    among equal magnitudes the lower flattened index is pruned first. Raises ValueError
    unless ``sparsity`` is in [0, 1).

    >>> magnitude_mask(torch.tensor([[0.5, -0.1, 0.3], [-2.0, 0.05, 1.0]]), 0.5)
    tensor([[ True, False, False],
            [ True, False,  True]])
    """
    sparsity = check_sparsity(sparsity)
    checks.tensor("weight", weight)
    mask = torch.ones(weight.numel(), dtype=torch.bool, device=weight.device)
    mask[_lowest(weight.detach().abs(), _count(sparsity, weight.numel()))] = False
    return mask.view_as(weight)


def prunable(model: nn.Module) -> dict[str, torch.Tensor]:
    """The weights pruning acts on: ``{"<module>.weight": tensor}`` of every Linear and
    ConvNd (biases are few and are kept).

    >>> from support import models
    >>> {name: tuple(w.shape) for name, w in prunable(models.mlp()).items()}
    {'1.weight': (300, 64), '3.weight': (100, 300), '5.weight': (10, 100)}
    """
    return {f"{name}.weight": module.weight for name, module in
            checks.module("model", model).named_modules()
            if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d))}


def global_magnitude_masks(weights: dict[str, torch.Tensor] | nn.Module, sparsity: float
                           ) -> Masks:
    """Masks removing round(sparsity * total) weights of the smallest magnitude across all
    ``weights`` together (one threshold for the whole network). ``weights`` is a dict
    ``{name: tensor}`` or a model (then its :func:`prunable` weights). Ties: the lower
    position, with the tensors laid end to end in the dict's order, is pruned first.
    Raises ValueError for no weights or a sparsity outside [0, 1).

    >>> masks = global_magnitude_masks({"a": torch.tensor([0.1, 0.2, 5.0]),
    ...                                 "b": torch.tensor([3.0, 0.3, 4.0, 0.4])}, 4 / 7)
    >>> masks["a"].tolist(), masks["b"].tolist()
    ([False, False, True], [True, False, True, False])
    """
    sparsity = check_sparsity(sparsity)
    if isinstance(weights, nn.Module):
        weights = prunable(weights)
    for name, weight in checks.mapping("weights ({name: tensor}, or a model)", weights).items():
        checks.tensor(f"weights[{name!r}]", weight)
    if not weights:
        raise ValueError("global_magnitude_masks needs at least one weight tensor")
    flat = torch.cat([w.detach().abs().flatten() for w in weights.values()])
    keep = torch.ones(flat.numel(), dtype=torch.bool, device=flat.device)
    keep[_lowest(flat, _count(sparsity, flat.numel()))] = False
    masks, start = {}, 0
    for name, w in weights.items():
        masks[name] = keep[start:start + w.numel()].view_as(w)
        start += w.numel()
    return masks


def _parameter(model: nn.Module, name: str) -> torch.Tensor:
    try:
        return model.get_parameter(name)
    except AttributeError as error:
        raise ValueError(f"the model has no parameter {name!r}") from error


def _check_masks(masks) -> Masks:
    for name, mask in checks.mapping("masks ({parameter name: bool tensor})", masks).items():
        _check_mask(name, mask)
    return masks


def _check_mask(name: str, mask) -> torch.Tensor:
    if not isinstance(mask, torch.Tensor) or mask.dtype != torch.bool:
        raise ValueError(f"the mask for {name} must be a bool tensor (True keeps a weight), "
                         f"got {getattr(mask, 'dtype', type(mask).__name__)}: a float mask "
                         "would scale the weights rather than prune them")
    return mask


@torch.no_grad()
def apply_masks(model: nn.Module, masks: Masks) -> nn.Module:
    """Zero, in place, every weight whose mask is False; return the model. ``masks`` maps a
    parameter name (``"1.weight"``) to a bool tensor of its shape. Raises ValueError for an
    unknown name, a mask of another shape, or a mask that is not bool.

    >>> layer = apply_masks(nn.Linear(2, 1, bias=False), {"weight": torch.tensor([[True, False]])})
    >>> int((layer.weight == 0).sum())
    1
    """
    checks.module("model", model)
    for name, mask in _check_masks(masks).items():
        weight = _parameter(model, name)
        mask = _check_mask(name, mask)
        if mask.shape != weight.shape:
            raise ValueError(f"mask for {name} has shape {tuple(mask.shape)}, "
                             f"the weight {tuple(weight.shape)}")
        weight.mul_(mask.to(weight.device))
    return model


def keep_masked(masks: Masks) -> Callable[[nn.Module], None]:
    """An ``after_step`` for :func:`support.train.fit` that keeps pruned weights at zero
    while the rest are fine-tuned."""
    _check_masks(masks)
    return lambda model: apply_masks(model, masks)


def sparsity_of(masks: Masks) -> float:
    """Fraction of all masked weights that are pruned (False). Raises ValueError for no
    masks, masks of no weights, or a mask that is not bool.

    >>> sparsity_of({"a": torch.tensor([True, False]), "b": torch.tensor([False, False])})
    0.75
    """
    _check_masks(masks)
    total = sum(m.numel() for m in masks.values())
    if total == 0:
        raise ValueError("sparsity_of needs at least one masked weight, got no masks "
                         "(or only empty ones)")
    return 1 - sum(int(m.sum()) for m in masks.values()) / total


def to_torch_prune(model: nn.Module, masks: Masks) -> nn.Module:
    """Attach ``masks`` with ``torch.nn.utils.prune.custom_from_mask`` (in place): each
    module then holds ``weight_orig`` and ``weight_mask``. ``prune.remove`` makes it permanent."""
    from torch.nn.utils import prune as torch_prune

    checks.module("model", model)
    for name, mask in _check_masks(masks).items():
        if mask.shape != _parameter(model, name).shape:
            raise ValueError(f"mask for {name} has shape {tuple(mask.shape)}, "
                             f"the weight {tuple(_parameter(model, name).shape)}")
        module_name, _, tensor_name = name.rpartition(".")
        torch_prune.custom_from_mask(model.get_submodule(module_name), tensor_name, mask)
    return model


@torch.no_grad()
def neuron_activity(model: nn.Module, layer: nn.Module, inputs: torch.Tensor | Iterable,
                    batch_size: int = 1024) -> torch.Tensor:
    """How often each unit of ``layer``'s output is non-zero over a data set.

    ``layer`` is a module of ``model`` (for a neuron, the ReLU after its Linear); ``inputs``
    is a tensor ``(N, *input_shape)`` or an iterable of (x, y) batches. Returns a float tensor
    (units,) in [0, 1]; for a conv output (N, C, ...) a unit is a channel and every position
    counts. One minus it is the "average percentage of zeros" (APoZ) of Hu et al. 2016.
    """
    counts, seen = None, 0

    def hook(_module, _inputs, output):
        nonlocal counts, seen
        nonzero = (output != 0).float()
        nonzero = nonzero.transpose(0, 1).flatten(1)  # (units, N * positions)
        counts = nonzero.sum(1) if counts is None else counts + nonzero.sum(1)
        seen += nonzero.shape[1]

    checks.module("model", model)
    checks.module("layer", layer)
    checks.integer("batch_size", batch_size, low=1)
    if isinstance(inputs, torch.Tensor):
        checks.tensor("inputs (N, *input_shape)", inputs)
    if not any(m is layer for m in model.modules()):
        raise ValueError("layer must be one of the model's own modules")
    handle = layer.register_forward_hook(hook)
    was_training = model.training
    model.eval()
    try:
        batches = inputs.split(batch_size) if isinstance(inputs, torch.Tensor) else \
            (x for x, *_ in inputs)
        device = next(model.parameters()).device
        for x in batches:
            model(x.to(device))
    finally:
        handle.remove()
        model.train(was_training)
    if counts is None:
        raise ValueError("neuron_activity needs at least one input")
    return (counts / seen).cpu()


def channel_norms(weight: torch.Tensor, p: int = 1) -> torch.Tensor:
    """The Lp norm of each output unit's weights: (out,) for a Linear (out, in) or a conv
    ``(out, in, *kernel)``. Li et al. 2017 rank conv filters by their L1 norm. Raises
    ValueError unless p is 1 or 2.

    >>> channel_norms(torch.tensor([[3.0, -4.0], [1.0, 0.0]]), p=2)
    tensor([5., 1.])
    """
    checks.one_of("p", p, (1, 2))
    checks.tensor("weight (out, ...)", weight, ndim=tuple(range(1, 6)))
    return weight.detach().flatten(1).norm(p=p, dim=1)


def keep_top(scores: torch.Tensor, sparsity: float) -> torch.Tensor:
    """Sorted indices of the units to keep after removing the round(sparsity * n)
    lowest-scoring units (at most n - 1: one unit always stays). Ties follow
    :func:`magnitude_mask`: among equal scores the lower index is removed first. Raises
    ValueError unless ``sparsity`` is in [0, 1).

    >>> keep_top(torch.tensor([0.5, 0.1, 0.9, 0.1]), 0.5)
    tensor([0, 2])
    """
    sparsity = check_sparsity(sparsity)
    checks.tensor("scores", scores, ndim=1, nonempty=True)
    n = scores.numel()
    keep = torch.ones(n, dtype=torch.bool, device=scores.device)
    keep[_lowest(scores, min(_count(sparsity, n), n - 1))] = False
    return keep.nonzero().flatten()


def _rebuilt(layer: nn.Module, out_keep=None, in_keep=None) -> nn.Module:
    """A copy of a Linear or ConvNd with only the kept output units and input units."""
    weight = layer.weight.detach()
    bias = None if layer.bias is None else layer.bias.detach()
    if out_keep is not None:
        weight = weight[out_keep]
        bias = None if bias is None else bias[out_keep]
    if in_keep is not None:
        weight = weight[:, in_keep]
    new = copy.deepcopy(layer)
    if isinstance(layer, nn.Linear):
        new.out_features, new.in_features = weight.shape
    else:
        if layer.groups != 1:
            raise ValueError("shrink_pair handles ordinary convolutions (groups=1) only")
        new.out_channels, new.in_channels = weight.shape[:2]
    new.weight = nn.Parameter(weight.clone())
    if bias is not None:
        new.bias = nn.Parameter(bias.clone())
    return new


def shrink_pair(first: nn.Module, second: nn.Module, keep: torch.Tensor, between=()):
    """Remove the output units of ``first`` not in ``keep``, and the matching inputs of
    ``second``. Handles Linear -> Linear, ConvNd -> ConvNd, and ConvNd -> Linear (after global
    pooling, or after a channel-major Flatten). ``keep`` is a 1-D LongTensor of distinct unit
    indices in [0, units) (no negative indices), at least one.

    Returns two new layers that compute exactly what the originals did once ``second``'s
    weights from the removed units are zeroed. The modules ``between`` the two (ReLU,
    pooling, Flatten, Dropout) must act on each unit separately and hold nothing per unit:
    a BatchNorm there has a weight, a bias and running statistics per unit, which would have
    to shrink too. Raises ValueError for such a module, for a bad ``keep``, or for layers
    that are not a pair.

    >>> first, second = shrink_pair(nn.Linear(4, 3), nn.Linear(3, 2), torch.tensor([0, 2]))
    >>> first
    Linear(in_features=4, out_features=2, bias=True)
    >>> second
    Linear(in_features=2, out_features=2, bias=True)
    """
    weighted = (nn.Linear, nn.Conv1d, nn.Conv2d)
    checks.module("first", first, weighted)
    checks.module("second", second, weighted)
    for module in between:
        checks.module("each module between", module)
        held = [n for n, _ in module.named_parameters()] + [n for n, _ in module.named_buffers()]
        if held:
            raise ValueError(f"a {type(module).__name__} between the two layers holds "
                             f"{', '.join(held)} for each unit; shrink_pair removes units from "
                             "the two layers only, so it cannot keep that module consistent "
                             "(fold a BatchNorm into the layer before it first)")
    keep = checks.tensor("keep", keep, convert=True)
    if keep.dtype in (torch.bool, torch.float16, torch.float32, torch.float64):
        raise ValueError(f"keep must hold integer unit indices, got a {keep.dtype} tensor")
    keep = keep.long()
    units = first.weight.shape[0]
    if keep.ndim != 1 or keep.numel() == 0 or keep.unique().numel() != keep.numel() \
            or keep.min() < 0 or keep.max() >= units:
        raise ValueError(f"keep must list distinct unit indices in [0, {units}), at least one")
    inputs = second.weight.shape[1]
    if isinstance(second, nn.Linear) and not isinstance(first, nn.Linear) \
            and inputs != units and inputs % units == 0:
        # a conv feature map flattened channel by channel: each channel feeds `positions` inputs
        positions = inputs // units
        in_keep = (keep[:, None] * positions + torch.arange(positions)).flatten()
    elif inputs == units:
        in_keep = keep
    else:
        raise ValueError(f"the second layer takes {inputs} inputs, the first gives {units} "
                         "units: they are not a pair")
    return _rebuilt(first, out_keep=keep), _rebuilt(second, in_keep=in_keep)


def shrink_sequential(model: nn.Sequential, keep: dict[int, torch.Tensor]) -> nn.Sequential:
    """A smaller copy of ``model``: for each ``index: kept units``, layer ``index`` (Linear or
    ConvNd) keeps those output units and the next Linear / ConvNd loses the matching inputs
    (:func:`shrink_pair`, which refuses a BatchNorm between them). Raises ValueError for an
    index that is not a Linear / ConvNd followed by another one.

    >>> from support import models
    >>> small = shrink_sequential(models.mlp(hidden=(8, 4)), {1: torch.tensor([0, 5])})
    >>> [tuple(m.weight.shape) for m in small if isinstance(m, nn.Linear)]
    [(2, 64), (4, 2), (10, 4)]
    """
    checks.module("model", model, nn.Sequential)
    checks.mapping("keep ({layer index: kept units})", keep)
    layers = list(copy.deepcopy(model))
    weighted = [i for i, m in enumerate(layers) if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    for index, units in sorted(keep.items()):
        if index not in weighted or index == weighted[-1]:
            raise ValueError(f"layer {index} is not a Linear / ConvNd followed by another one")
        following = weighted[weighted.index(index) + 1]
        layers[index], layers[following] = shrink_pair(layers[index], layers[following], units,
                                                       between=layers[index + 1:following])
    return nn.Sequential(*layers)


def prune_units(model: nn.Sequential, sparsity: float, p: int = 1) -> nn.Sequential:
    """Structured pruning: a smaller copy of ``model`` without ``sparsity`` of the units
    (neurons, or channels) of every Linear / ConvNd but the last, those whose incoming
    weights have the lowest Lp norm (:func:`channel_norms`, as Li et al. 2017 rank filters),
    built by :func:`shrink_sequential`. Raises ValueError unless ``sparsity`` is in [0, 1).

    >>> from support import models
    >>> small = prune_units(models.mlp(hidden=(300, 100), seed=0), 0.75)
    >>> [m.out_features for m in small if isinstance(m, nn.Linear)]
    [75, 25, 10]
    """
    sparsity = check_sparsity(sparsity)
    checks.module("model", model, nn.Sequential)
    weighted = [i for i, m in enumerate(model) if isinstance(m, (nn.Linear, nn.Conv1d, nn.Conv2d))]
    return shrink_sequential(model, {i: keep_top(channel_norms(model[i].weight, p), sparsity)
                                     for i in weighted[:-1]})


@torch.no_grad()
def rewind(model: nn.Module, initial_state: dict[str, torch.Tensor], masks: Masks) -> nn.Module:
    """Lottery ticket rewinding, in place: every entry of the model's state, parameters and
    buffers alike (a BatchNorm's running statistics too), goes back to its value in
    ``initial_state`` (``copy.deepcopy(model.state_dict())`` saved before training), then
    pruned weights are zeroed (:func:`apply_masks`). Returns the model. Raises ValueError
    when ``initial_state`` lacks an entry of the model's state or has one of another shape.

    >>> import copy
    >>> layer = nn.Linear(2, 1)
    >>> start = copy.deepcopy(layer.state_dict())
    >>> _ = layer.weight.data.add_(1.0)                           # "training"
    >>> keep = {"weight": torch.tensor([[True, False]])}
    >>> rewind(layer, start, keep).weight[0, 0] == start["weight"][0, 0]
    tensor(True)
    """
    checks.module("model", model)
    checks.mapping("initial_state", initial_state)
    _check_masks(masks)
    state = model.state_dict()
    missing = [name for name in state if name not in initial_state]
    if missing:
        raise ValueError(f"initial_state has no entry for {', '.join(map(repr, missing))}: "
                         "save the whole model.state_dict() before training")
    for name, tensor in state.items():
        start = torch.as_tensor(initial_state[name])
        if start.shape != tensor.shape:
            raise ValueError(f"initial_state[{name!r}] has shape {tuple(start.shape)}, "
                             f"the model's {tuple(tensor.shape)}")
        tensor.copy_(start)        # state_dict() tensors share storage with the model's own
    return apply_masks(model, masks)
