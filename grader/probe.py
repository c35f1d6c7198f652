"""The kernel's half of a hidden test: send what the student's code returned to the grader.

Code that a submission runs before a test runs in the same interpreter as the test, and can
rewrite what runs after it (IPython's input transformers, event hooks, ``sys.settrace``,
replaced builtins), so a verdict the kernel reaches cannot be trusted. A hidden test therefore
compares nothing in the kernel: it calls the student's functions on its inputs and hands each
result to `check`, which sends it out of the kernel as data (a display output of the type
`MIME`). The grader (`grader.verdicts`) runs the same hidden test with the instructor's
answers, in a kernel of its own, and compares the two lists of values in its own process;
the values it compares against never enter the student's kernel. A hidden test whose checks
did not all arrive scores zero::

    from grader.probe import check, raises
    check(count_parameters(nn.Linear(10, 5, bias=False)), "a Linear without a bias")
    check(raises(ValueError, bytes_at_bits, -1, 8), "a negative count is refused")

Only data crosses: None, bools, numbers, strings, tensors and NumPy arrays, and tuples, lists
and dicts of them (`encode`). This module imports nothing of the course's and little else,
so that it loads in a sandboxed kernel in milliseconds.
"""
from __future__ import annotations

import base64
import math

__all__ = ["MIME", "LAYER_SETTINGS", "check", "raises", "sequential", "pickled", "encode",
           "decode"]

MIME = "application/x.course-grader-check+json"
RTOL, ATOL = 1e-5, 1e-6     # the default tolerance of a float comparison (`grader.verdicts`)
# PyTorch's own layers a network may be sent as (`sequential`), each with the settings its
# constructor takes, read from the layer (Conv1d and Linear also say whether they have a bias)
LAYER_SETTINGS = {
    "Conv1d": ("in_channels", "out_channels", "kernel_size", "stride", "padding", "dilation",
               "groups"),
    "Linear": ("in_features", "out_features"),
    "BatchNorm1d": ("num_features", "eps", "momentum", "affine", "track_running_stats"),
    "MaxPool1d": ("kernel_size", "stride", "padding"),
    "AvgPool1d": ("kernel_size", "stride", "padding"),
    "AdaptiveAvgPool1d": ("output_size",),
    "Flatten": ("start_dim", "end_dim"),
    "Dropout": ("p",),
    "ReLU": (), "GELU": (), "Tanh": (), "Sigmoid": (), "Identity": (),
}


def encode(value):
    """``value`` as JSON-ready data: tensors and arrays as dtype, shape and base64 bytes,
    floats that JSON cannot hold (nan, inf) as text, tuples and dicts tagged. Raises
    TypeError for anything else (a module, a function): a hidden test sends data only."""
    import numpy as np

    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else {"float": repr(value)}
    if isinstance(value, (np.generic,)):
        return encode(value.item())
    if type(value).__module__.startswith("torch") and hasattr(value, "detach"):
        value = value.detach().cpu().numpy()
    if isinstance(value, np.ndarray):
        array = np.require(value, requirements="C")    # 0-d stays 0-d
        return {"array": array.dtype.str, "shape": list(array.shape),
                "bytes": base64.b64encode(array.tobytes()).decode()}
    if isinstance(value, (list, tuple)):
        items = [encode(v) for v in value]
        return items if isinstance(value, list) else {"tuple": items}
    if isinstance(value, dict):
        return {"dict": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"a check sends data (numbers, strings, tensors, and tuples, lists and "
                    f"dicts of them), got {type(value).__name__}")


def decode(data, max_bytes: int = 64 * 2**20):
    """The value `encode` made ``data`` from, built without running any code of the sender's:
    tensors come back as NumPy arrays. Raises ValueError for data `encode` does not make, or
    arrays of more than ``max_bytes`` bytes."""
    import numpy as np

    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, max_bytes) for v in data]
    if isinstance(data, dict) and len(data) == 1 and "tuple" in data:
        return tuple(decode(v, max_bytes) for v in data["tuple"])
    if isinstance(data, dict) and len(data) == 1 and "float" in data:
        if data["float"] not in ("nan", "inf", "-inf"):
            raise ValueError(f"not a float: {data['float']!r}")
        return float(data["float"])
    if isinstance(data, dict) and len(data) == 1 and "dict" in data:
        pairs = [(decode(k, max_bytes), decode(v, max_bytes)) for k, v in data["dict"]]
        for key, _ in pairs:
            if not isinstance(key, (type(None), bool, int, float, str, tuple)):
                raise ValueError(f"a dict key must be a plain value, got {type(key).__name__}")
        return dict(pairs)
    if isinstance(data, dict) and set(data) == {"array", "shape", "bytes"}:
        dtype = np.dtype(data["array"])
        if dtype.hasobject:
            raise ValueError("an array of Python objects is not data")
        raw = base64.b64decode(data["bytes"], validate=True)
        if len(raw) > max_bytes:
            raise ValueError(f"an array of {len(raw)} bytes is more than {max_bytes}")
        return np.frombuffer(raw, dtype=dtype).reshape([int(n) for n in data["shape"]]).copy()
    raise ValueError(f"not data a check sends: {str(data)[:80]}")


def check(value, what: str = "", rtol: float = RTOL, atol: float = ATOL,
          judge: str | None = None) -> None:
    """Send ``value`` (what the student's code gave) to the grader, which compares it with
    what the instructor's answer gives at the same point of the same test: equal for bools,
    integers, strings and integer arrays, within ``rtol`` and ``atol`` for floats (the
    instructor's copy of the test sets the tolerance, not the student's). ``what`` names the
    check in the feedback. ``judge``: instead of comparing, the grader scores the value with
    that function of the instructor's ``judges.py`` (a graded challenge: a network's weights,
    measured on data the kernel never sees), `grader.verdicts`."""
    from IPython.display import display

    display({MIME: {"what": str(what), "rtol": float(rtol), "atol": float(atol),
                    "judge": judge, "value": encode(value)}}, raw=True)


def sequential(model) -> tuple[list, dict]:
    """An ``nn.Sequential`` of PyTorch's own layers (`LAYER_SETTINGS`) as data for `check`:
    ([(layer class name, its settings)], state dict), which `grader.verdicts.rebuild` makes a
    network of again. Raises TypeError for any other module."""
    from torch import nn

    if type(model) is not nn.Sequential:
        raise TypeError(f"expected an nn.Sequential, got {type(model).__name__}")
    layers = []
    for layer in model:
        name = type(layer).__name__
        if name not in LAYER_SETTINGS or type(layer) is not getattr(nn, name):
            raise TypeError(f"a {type(layer).__name__} layer: a network sent as data holds "
                            f"PyTorch's {', '.join(LAYER_SETTINGS)} layers only")
        settings = {key: getattr(layer, key) for key in LAYER_SETTINGS[name]}
        if name in ("Conv1d", "Linear"):
            settings["bias"] = layer.bias is not None
        layers.append((name, settings))
    return layers, dict(model.state_dict())


def pickled(*functions):
    """``functions`` as data for `check`: their cloudpickle, as an array of bytes, which a
    judge calls in a sandbox of its own (`grader.apart`). A function of the notebook's travels
    by value, with the constants and functions of the notebook it uses; a module's travels as
    its name. Raises TypeError for what is not callable."""
    import cloudpickle
    import numpy as np

    for function in functions:
        if not callable(function):
            raise TypeError(f"expected functions, got a {type(function).__name__}")
    return np.frombuffer(cloudpickle.dumps(functions), dtype=np.uint8)


def raises(expected: type[BaseException], function, *args, **kwargs) -> str:
    """What calling ``function(*args, **kwargs)`` does, as a string to `check`: ``"raises
    <expected name>"`` when it raises ``expected`` (or a subclass), else what it did instead."""
    try:
        function(*args, **kwargs)
    except expected:
        return f"raises {expected.__name__}"
    except Exception as error:  # what it raised instead is the answer to compare
        return f"raises {type(error).__name__}, not {expected.__name__}"
    return f"returns, does not raise {expected.__name__}"
