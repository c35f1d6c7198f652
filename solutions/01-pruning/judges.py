"""The judges of 01-pruning's challenge (`grader.verdicts.judges`): they run in the grader's
own process on what a submission's hidden test sent, never in a student's kernel, and are never
released. The new signals the pruned network is measured on are made here, from a seed only
this file holds."""
import torch

from grader.verdicts import at_most, hidden_examples
from support import cache, data, models, prune

MARGIN, SIMPLE, STRONG, SECONDS = 0.02, 0.50, 0.75, 20.0
NEW_SIGNALS = dict(num_samples=4000, seed=70113, keep=False)  # off the disk kernels read


def _given() -> torch.nn.Module:
    """The trained network the notebook hands out, as its setup cell trains it (one thread:
    the same cache entry)."""
    torch.set_num_threads(1)
    given = models.cnn1d(seed=0)
    cache.fit(given, data.mnist1d(), epochs=10, lr=5e-3, seed=0, progress=False)
    return given.eval()


def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (model.eval()(x).argmax(1) == y).float().mean().item()


within_time = at_most(SECONDS, "seconds of CPU time of prune_model")


def pruned_network(state, reference) -> tuple[float, str]:
    """The pruned network's state dict, loaded into a cnn1d and measured on the new signals:
    0 below the given network's accuracy minus MARGIN or below SIMPLE sparsity, half the
    points from SIMPLE, all from STRONG."""
    model = models.cnn1d()
    tensors = {name: torch.as_tensor(value) for name, value in dict(state).items()}
    model.load_state_dict(tensors)          # a network of another shape raises: no points
    weights = prune.prunable(model)
    sparsity = sum(int((w == 0).sum()) for w in weights.values()) / sum(
        w.numel() for w in weights.values())
    x, y = hidden_examples(NEW_SIGNALS)
    before, after = _accuracy(_given(), x, y), _accuracy(model, x, y)
    said = (f"on new signals accuracy {before:.3f} -> {after:.3f} (at least "
            f"{before - MARGIN:.3f} needed), sparsity {sparsity:.1%}")
    if after < before - MARGIN or sparsity < SIMPLE:
        return 0.0, said + f" (at least {SIMPLE:.0%} needed)"
    return (1.0 if sparsity >= STRONG else 0.5), said
