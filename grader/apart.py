"""A submission's function run apart from its kernel, for a judge (`grader.verdicts.judges`).

Some answers cannot be checked by calling them in the student's kernel: a compressor and its
decompressor, for one, must not share anything but the bytes between them, and the model the
grader compresses must never enter the kernel (a decompressor could take it from the
caller's frames, from memory, or from the model cache by a fingerprint). So a hidden test
sends the functions themselves (`grader.probe.pickled`: cloudpickle, which copies a
notebook's functions by value with the constants and functions they use), and a judge calls
one of them with `call`, in a fresh sandbox (`grader.sandbox.run`): none of the cache's trained
models (its data sets stay), no network, nothing of the kernel's memory, and its own ``/tmp``
and folder, gone when it ends.

In the sandbox this module is its first process (PID 1). It imports PyTorch, reads the call,
then forks the worker that unpickles the student's functions and calls one; when the worker
ends it kills whatever the worker left running, and counts the CPU time of the worker and of
every process it started (Linux counts a process's time to the one that reaps it, and PID 1
reaps them all). Neither the count nor the error it reports passes through the student's
code, which cannot read this process's memory or output (it is not dumpable).

    given, second = call(functions, 0, [model, other])     # compress(model), compress(other)
    given.value, given.cpu_seconds, given.error
"""
from __future__ import annotations

import json
import os
import pickle
import signal
import sys
from dataclasses import dataclass

__all__ = ["Called", "call"]

RESULT = "/tmp/.result"    # where the worker leaves its value, in the sandbox's own /tmp


@dataclass(frozen=True)
class Called:
    """What one call of a submission's function gave."""
    value: object          # what it returned, as data (`grader.probe.decode`); None on error
    cpu_seconds: float     # of the worker and all it started; not Python's or PyTorch's start
    error: str | None      # why it gave no value, or None


def call(functions: bytes, index: int, arguments: list, seconds: float = 60,
         memory_gib: float = 4.0, timeout: float = 300) -> list[Called]:
    """``functions[index](argument)`` for each of ``arguments``, where ``functions`` is what
    `grader.probe.pickled` made in a student's kernel: one fresh sandbox, one thread, and for
    each argument a worker of its own with at most ``seconds`` of CPU time (then it is
    stopped), all within ``memory_gib`` of memory and ``timeout`` seconds of wall time. A
    value comes back as data: bytes as bytes, a module as its state dict of NumPy arrays,
    anything else as `grader.probe.encode` sends it."""
    from grader import sandbox

    limits = sandbox.Limits(memory_gib=memory_gib, cpu_seconds=int(seconds) + 30,
                            processes=64, disk_mib=256)
    request = pickle.dumps({"functions": bytes(functions), "index": int(index),
                            "arguments": list(arguments), "seconds": float(seconds)})
    ran = sandbox.run([sys.executable, "-m", "grader.apart"], request, limits, timeout)
    try:
        reports = json.loads(ran.stdout.decode())
        assert isinstance(reports, list) and len(reports) == len(arguments)
    except (UnicodeDecodeError, json.JSONDecodeError, AssertionError):
        why = f"the sandbox ended without a report (exit {ran.returncode}): {ran.stderr[-600:]}"
        return [Called(None, 0.0, why) for _ in arguments]
    return [_called(report) for report in reports]


def _called(report: dict) -> Called:
    from grader import probe

    if report["error"]:
        return Called(None, report["seconds"], report["error"])
    try:
        value = probe.decode(json.loads(report["value"]))
    except ValueError as error:
        return Called(None, report["seconds"], f"it returned no data: {error}")
    if isinstance(value, dict) and set(value) == {"bytes"}:
        value = bytes(value["bytes"].tobytes())
    return Called(value, report["seconds"], None)


def _worker(request: dict, argument) -> None:
    """In a forked worker: unpickle the student's functions, call one on ``argument``, leave
    its value in RESULT as data (or the error it raised, as text)."""
    import traceback

    import numpy as np
    import torch

    from grader import probe

    devnull = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(devnull, fd)
    try:
        import cloudpickle

        torch.set_num_threads(1)
        function = cloudpickle.loads(request["functions"])[request["index"]]
        value = function(argument)
        if isinstance(value, (bytes, bytearray)):
            value = {"bytes": np.frombuffer(bytes(value), dtype=np.uint8)}
        elif isinstance(value, torch.nn.Module):
            value = {name: tensor.detach().clone() for name, tensor in value.state_dict().items()}
        text = json.dumps(probe.encode(value))
        outcome = {"value": text, "error": None}
    except BaseException:
        outcome = {"value": None, "error": traceback.format_exc(limit=-4)[-2000:]}
    with open(RESULT, "w") as out:
        json.dump(outcome, out)
    os._exit(0)


def main() -> None:
    """The sandbox's first process: for each argument, fork a worker, wait for it, end all it
    left; then report each one's value and CPU seconds, as JSON."""
    import ctypes

    import torch  # noqa: F401  (imported here, once: the worker's time excludes it)

    ctypes.CDLL(None).prctl(4, 0, 0, 0, 0)           # PR_SET_DUMPABLE 0: no ptrace, no /proc/1/fd
    request = pickle.loads(sys.stdin.buffer.read())  # made by the grader
    reports, before = [], 0.0
    for argument in request["arguments"]:
        seconds, outcome = _apart(request, argument)
        reports.append(dict(outcome, seconds=seconds - before))
        before = seconds
    json.dump(reports, sys.stdout)
    sys.stdout.flush()


def _apart(request: dict, argument) -> tuple[float, dict]:
    """Run one worker on ``argument``, then end every process it left; (the CPU seconds of
    all workers so far, what this one gave)."""
    import resource

    worker = os.fork()
    if worker == 0:
        limit = int(request["seconds"]) + 1
        resource.setrlimit(resource.RLIMIT_CPU, (limit, limit))
        _worker(request, argument)
    os.waitpid(worker, 0)
    try:
        os.kill(-1, signal.SIGKILL)                  # all the worker left, in this sandbox
    except ProcessLookupError:                       # it left nothing
        pass
    while True:
        try:
            os.wait()
        except ChildProcessError:
            break
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    seconds = usage.ru_utime + usage.ru_stime
    try:
        with open(RESULT) as result:
            outcome = json.load(result)
        os.remove(RESULT)
        assert isinstance(outcome, dict) and set(outcome) == {"value", "error"}
    except (OSError, ValueError, AssertionError):
        outcome = {"value": None, "error": "it ended without a value (it was killed, or ran "
                                           "out of time)"}
    return seconds, outcome


if __name__ == "__main__":
    main()
