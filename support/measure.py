"""Measuring a model like an engineer: parameters, non-zeros, bytes of the real saved file,
multiply-accumulates (MACs) and latency, side by side.

- MACs come from ``torch.utils.flop_counter.FlopCounterMode``, which counts the FLOPs of
  matrix multiplications and convolutions (2 per multiply-accumulate); we halve them.
  Element-wise work (ReLU, pooling, bias) is not counted, as is usual.
- Latency comes from ``torch.utils.benchmark.Timer``: the median of repeated runs, on one
  thread by default so that numbers compare across machines and chapters.
"""
from __future__ import annotations

import logging
import math
import os
import tempfile
import textwrap

import torch
from torch import nn

from . import checks

# torch.utils.benchmark imports cpp_extension, which warns on every CPU-only machine that it
# found no CUDA runtime: true, and of no concern to a CPU benchmark.
logging.getLogger("torch.utils.cpp_extension").setLevel(logging.ERROR)

__all__ = ["count_parameters", "count_nonzero", "file_bytes", "bytes_at_bits", "macs",
           "latency", "speedup", "InBatches", "OneAtATime", "summary", "format_table"]


def _check_module(model, name: str = "model") -> nn.Module:
    return checks.module(name, model)


def count_parameters(model: nn.Module) -> int:
    """Number of scalars in all of the model's parameters (weights and biases), frozen ones
    (``requires_grad=False``) included, a tensor shared by two layers counted once, buffers
    (a BatchNorm's running statistics) not counted. Raises ValueError for a non-module.

    >>> count_parameters(nn.Linear(784, 300))
    235500
    """
    return sum(p.numel() for p in _check_module(model).parameters())


def count_nonzero(model: nn.Module) -> int:
    """Number of parameter scalars that are not zero. A pruned model keeps its zeros in
    dense tensors, so this is lower than :func:`count_parameters` but the file is not smaller.
    Raises ValueError for a non-module.

    >>> layer = nn.Linear(4, 2, bias=False)
    >>> _ = layer.weight.data[0].zero_()
    >>> count_nonzero(layer)
    4
    """
    with torch.no_grad():
        return sum(int(torch.count_nonzero(p)) for p in _check_module(model).parameters())


def file_bytes(model: nn.Module) -> int:
    """Bytes of the file ``torch.save(model.state_dict(), path)`` really writes: about 4 per
    32-bit parameter, plus the names and shapes of the tensors. Raises ValueError for a
    non-module.

    >>> 4 * 110 < file_bytes(nn.Linear(10, 10)) < 4 * 110 + 2000
    True
    """
    _check_module(model)
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "model.pt")
        torch.save(model.state_dict(), path)
        return os.path.getsize(path)


def bytes_at_bits(num_values: int, bits: int) -> int:
    """Bytes needed to store ``num_values`` numbers at ``bits`` bits each, packed tightly
    and rounded up to a whole byte. Raises ValueError unless ``num_values`` is an integer
    >= 0 and ``bits`` an integer >= 1 (a bool, or a float such as 8.0, is refused).

    >>> bytes_at_bits(266_610, 4), bytes_at_bits(3, 3)
    (133305, 2)
    """
    num_values = checks.integer("num_values", num_values, low=0)
    bits = checks.integer("bits", bits, low=1)
    return math.ceil(num_values * bits / 8)


def _example(example_input) -> torch.Tensor:
    x = checks.tensor("example_input", example_input, nonempty=True)
    if x.ndim < 2:
        raise ValueError("example_input must be a batch tensor of shape (B, *input_shape), got "
                         f"{checks.describe(x)}")
    return x


def macs(model: nn.Module, example_input: torch.Tensor) -> int:
    """Multiply-accumulates of one forward pass over ``example_input`` ``(B, *input_shape)``,
    counted by ``torch.utils.flop_counter`` (FLOPs / 2). Divide by B for one example. Raises
    ValueError for a non-module or an input that is not a batch tensor.

    >>> macs(nn.Linear(784, 300), torch.zeros(1, 784))
    235200
    """
    from torch.utils.flop_counter import FlopCounterMode

    _check_module(model)
    x = _example(example_input)
    counter = FlopCounterMode(display=False)
    with torch.no_grad(), counter:
        model(x)
    return counter.get_total_flops() // 2


def latency(model: nn.Module, example_input: torch.Tensor, min_run_time: float = 0.2,
            num_threads: int = 1, clock=None) -> float:
    """Median seconds of one forward pass over ``example_input``, by
    ``torch.utils.benchmark.Timer.blocked_autorange`` for at least ``min_run_time`` seconds.

    ``clock`` is the wall clock by default; ``time.thread_time`` counts only the CPU time of
    the calling thread (where a one-thread forward pass runs), which other programs on a busy
    machine do not inflate. Raises ValueError for a non-positive ``min_run_time`` or thread
    count.

    >>> latency(nn.Linear(4, 2), torch.zeros(1, 4), min_run_time=0.01) > 0
    True
    """
    import timeit

    from torch.utils import benchmark

    _check_module(model)
    x = _example(example_input)
    checks.number("min_run_time (seconds)", min_run_time, above=0)
    checks.integer("num_threads", num_threads, low=1)
    checks.function("clock", clock, optional=True)
    was_training = model.training
    model.eval()
    timer = benchmark.Timer(stmt="with torch.no_grad(): model(x)",
                            globals={"model": model, "x": x, "torch": torch},
                            num_threads=num_threads, timer=clock or timeit.default_timer)
    result = timer.blocked_autorange(min_run_time=min_run_time)
    model.train(was_training)
    return result.median


def speedup(reference: nn.Module, model: nn.Module, example_input: torch.Tensor,
            rounds: int = 5, min_run_time: float = 0.05) -> tuple[float, float]:
    """``(seconds, speedup)``: the median CPU time of ``model`` over ``example_input`` and the
    median of the ratios reference time / model time, the two timed back to back ``rounds``
    times on one thread with ``time.thread_time``, so that a change in the machine's load
    between two measurements cannot pass for a speedup. Raises ValueError for ``rounds``
    below 1.

    >>> big, small, x = nn.Linear(64, 64), nn.Linear(64, 8), torch.zeros(32, 64)
    >>> seconds, ratio = speedup(big, small, x, rounds=1, min_run_time=0.01)
    >>> seconds > 0 and ratio > 0
    True
    """
    import statistics
    import time

    checks.integer("rounds", rounds, low=1)
    _check_module(reference, "reference")
    _check_module(model)
    _example(example_input)
    checks.number("min_run_time (seconds)", min_run_time, above=0)
    pairs = [(latency(reference, example_input, min_run_time, clock=time.thread_time),
              latency(model, example_input, min_run_time, clock=time.thread_time))
             for _ in range(rounds)]
    return (statistics.median(m for _, m in pairs),
            statistics.median(r / m for r, m in pairs))


class InBatches(nn.Module):
    """``model`` called on consecutive batches of ``batch_size`` examples of its input, in
    order (the last one may be smaller), as a server answers requests that arrive
    ``batch_size`` at a time; the outputs are concatenated. Timing it over a data set gives
    the mean time per batch of a model whose cost depends on the input (an early-exit
    network, where a batch is done only when its slowest example is)."""

    def __init__(self, model: nn.Module, batch_size: int):
        super().__init__()
        self.model = _check_module(model)
        self.batch_size = checks.integer("batch_size", batch_size, low=1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        b = self.batch_size
        return torch.cat([self.model(x[i:i + b]) for i in range(0, len(x), b)])


class OneAtATime(InBatches):
    """``model`` called on each example of a batch alone (batch size 1), in order, as a device
    answers requests one by one: :class:`InBatches` of size 1. Timing it over a data set
    gives the mean latency per request of a model whose cost depends on the input."""

    def __init__(self, model: nn.Module):
        super().__init__(model, 1)


def summary(model: nn.Module, example_input: torch.Tensor, accuracy: float | None = None,
            name: str | None = None, min_run_time: float = 0.2) -> dict:
    """All the measurements of one model, as a dict (one row of :func:`format_table`).

    ``example_input`` is one batch ``(B, *input_shape)``; MACs are per example, latency is for
    the whole batch in milliseconds.
    """
    _check_module(model)
    x = _example(example_input)
    if accuracy is not None:
        checks.number("accuracy", accuracy, 0, 1)
    if name is not None:
        checks.text("name", name)
    row = {"model": name or type(model).__name__}
    if accuracy is not None:
        row["accuracy"] = accuracy
    row.update(
        parameters=count_parameters(model),
        nonzero=count_nonzero(model),
        file_bytes=file_bytes(model),
        macs=macs(model, x) // x.shape[0],
        latency_ms=1000 * latency(model, x, min_run_time=min_run_time),
    )
    return row


def _cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _wrap(name: str, width: int, at: str) -> list[str]:
    """``name`` on lines as wide as ``width`` or its longest word, broken at spaces, and also
    after underscores when ``at`` is ``"_"``; unbroken when ``at`` is ""."""
    if not at:
        return [name]
    spaced = name.replace("_", "_ ") if at == "_" else name
    width = max([width, 1] + [len(word) for word in spaced.split()])
    lines = textwrap.wrap(spaced, width, break_long_words=False, break_on_hyphens=False)
    return [line.replace("_ ", "_") if at == "_" else line for line in lines] or [""]


def format_table(rows: list[dict], width: int = 99) -> str:
    """A plain-text table of dicts that share their keys (for example :func:`summary` rows).
    When the table would be wider than ``width`` characters, the column names wrap onto
    several header lines (at spaces, then also after underscores) so that each column is as
    wide as its widest value. Raises ValueError for no rows.

    >>> print(format_table([{"model": "a", "accuracy": 0.5}, {"model": "bb", "accuracy": 0.25}]))
    model  accuracy
    -----  --------
    a         0.500
    bb        0.250
    >>> print(format_table([{"model": "a", "test accuracy, 3 seeds": 0.5}], width=20))
    model       test
           accuracy,
             3 seeds
    -----  ---------
    a          0.500
    """
    rows = checks.sequence("rows", rows)
    if not rows:
        raise ValueError("format_table needs at least one row")
    for row in rows:
        checks.mapping("each row", row)
    checks.integer("width", width, low=1)
    keys = [str(k) for k in rows[0]]
    body = [[_cell(row.get(k, "")) for k in rows[0]] for row in rows]
    values = [max(len(line[i]) for line in body) for i in range(len(keys))]
    for at in ("", " ", "_"):
        heads = [_wrap(k, v, at) for k, v in zip(keys, values)]
        widths = [max(v, *map(len, h)) for v, h in zip(values, heads)]
        if sum(widths) + 2 * (len(widths) - 1) <= width:
            break
    height = max(map(len, heads))
    header = [[h[i] if i < len(h) else "" for h in heads] for i in range(height)]

    def line(cells):
        return "  ".join(c.rjust(w) if j else c.ljust(w)
                         for j, (c, w) in enumerate(zip(cells, widths))).rstrip()

    return "\n".join([*(line(h) for h in header),
                      "  ".join("-" * w for w in widths), *(line(b) for b in body)])
