"""The judges of 03-quantization's challenge (`grader.verdicts.judges`): they run in the
grader's own process, never in a student's kernel, and are never released.

The hidden test sends the student's ``compress`` and ``decompress`` themselves
(`grader.probe.pickled`). Here they are called apart (`grader.apart`): ``compress`` on the
given model and on a second model, trained from a seed only this file holds with the classes
relabelled, in one fresh sandbox; ``decompress`` on the bytes alone, in another. Neither model
ever enters the student's kernel, and no sandbox sees the cache's trained models, so a
decompressor has nothing to rebuild a model from but the bytes. The decoded networks are
measured here, on new signals the kernel never sees.
"""
import dataclasses
import functools

import torch

from grader import apart
from grader.verdicts import hidden_examples
from support import cache, data, measure, models

BASELINE_RATIO, STRONG_RATIO, MARGIN, SECONDS = 5, 8, 0.01, 5.0
NEW_SIGNALS = dict(num_samples=4000, seed=90210, keep=False)  # off the disk kernels read
SECOND_SEED, RELABEL_SEED = 4242, 5152


def _trained(seed: int, splits) -> torch.nn.Module:
    """The notebook's trained_cnn1d (the same cache entries)."""
    torch.set_num_threads(1)
    model = models.for_data("cnn1d", splits, seed=seed)
    cache.fit(model, splits, epochs=10, lr=1e-2, seed=seed, progress=False)
    cache.fit(model, splits, epochs=3, lr=1e-3, seed=seed + 1, progress=False)
    return model.eval()


def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return (model.eval()(x).argmax(1) == y).float().mean().item()


@functools.lru_cache(maxsize=4)
def _measured(functions: bytes) -> list[tuple[str, float, float, float, str | None]]:
    """For the given and the second model: (name, ratio, accuracy before, after, what went
    wrong or None), on the new signals, with ``functions`` = (compress, decompress)."""
    splits = data.mnist1d()
    relabel = torch.randperm(10, generator=torch.Generator().manual_seed(RELABEL_SEED))
    relabelled = dataclasses.replace(splits, y_train=relabel[splits.y_train],
                                     y_val=relabel[splits.y_val], y_test=relabel[splits.y_test])
    originals = {"the given model": (_trained(0, splits), torch.arange(10)),
                 "a second model, relabelled": (_trained(SECOND_SEED, relabelled), relabel)}
    x, y = hidden_examples(NEW_SIGNALS)
    packed = apart.call(functions, 0, [m for m, _ in originals.values()], seconds=SECONDS)
    unpacked = apart.call(functions, 1, [p.value if isinstance(p.value, bytes) else b""
                                         for p in packed], seconds=SECONDS)
    results = []
    for (name, (original, labels)), packing, unpacking in zip(originals.items(), packed, unpacked):
        before = _accuracy(original, x, labels[y])
        wrong = _wrong(packing, unpacking)
        if wrong:
            results.append((name, 0.0, before, 0.0, wrong))
            continue
        decoded = models.cnn1d()
        state = {key: torch.as_tensor(value) for key, value in dict(unpacking.value).items()}
        try:
            decoded.load_state_dict(state)
        except (RuntimeError, TypeError, ValueError) as error:
            results.append((name, 0.0, before, 0.0, "decompress must return a "
                            f"support.models.cnn1d(): {str(error)[:200]}"))
            continue
        ratio = measure.file_bytes(original) / max(len(packing.value), 1)
        results.append((name, ratio, before, _accuracy(decoded, x, labels[y]), None))
    return results


def _wrong(packing: apart.Called, unpacking: apart.Called) -> str | None:
    for function, called in (("compress", packing), ("decompress", unpacking)):
        if called.error:
            return f"{function} failed: {called.error.strip()[-400:]}"
        if called.cpu_seconds > SECONDS:
            return f"{function} took {called.cpu_seconds:.1f} s of CPU time, more than {SECONDS:.0f}"
    if not isinstance(packing.value, bytes):
        return f"compress must return bytes, got {type(packing.value).__name__}"
    if not isinstance(unpacking.value, dict):
        return f"decompress must return a torch.nn.Module, got {type(unpacking.value).__name__}"
    return None


def _level(sent, ratio_needed: float) -> tuple[float, str]:
    functions = bytes(sent.tobytes() if hasattr(sent, "tobytes") else sent)
    results = _measured(functions)
    said, passed = [], True
    for name, ratio, before, after, wrong in results:
        if wrong:
            said.append(f"{name}: {wrong}")
            passed = False
            continue
        said.append(f"{name}: ratio {ratio:.2f}, accuracy on new signals {before:.3f} -> "
                    f"{after:.3f}")
        passed &= ratio >= ratio_needed and after >= before - MARGIN
    rule = (f"a ratio of at least {ratio_needed} and at most {MARGIN:.0%} of accuracy lost, "
            "on both models")
    return (1.0 if passed else 0.0), "; ".join(said) + f" ({rule} needed)"


def baseline(sent, reference) -> tuple[float, str]:
    """All the points when both models reach BASELINE_RATIO within the accuracy MARGIN."""
    return _level(sent, BASELINE_RATIO)


def strong(sent, reference) -> tuple[float, str]:
    """All the points when both models reach STRONG_RATIO within the accuracy MARGIN."""
    return _level(sent, STRONG_RATIO)

