"""Real int8 inference on the CPU, through the engines a practitioner would try.

Fake quantization (:mod:`support.quantize`) only restricts the *values* of float32 weights:
the file is as large and the arithmetic as slow. Speed and size come from an engine that
stores int8 weights and multiplies integers. For the Linear layers of a trained model:

- :func:`torch_dynamic`: ``torch.ao.quantization.quantize_dynamic`` (int8 weights,
  activations quantized on the fly); deprecated since PyTorch 2.10 but still shipped;
- :func:`torchao_dynamic`: its successor, ``torchao.quantization.quantize_`` with
  ``Int8DynamicActivationInt8WeightConfig``, whose fast kernels are reached through
  ``torch.compile``;
- :func:`onnx_runtime`: export to ONNX, then ONNX Runtime's ``quantize_dynamic``, run by an
  :class:`OnnxModel` (a ``torch.nn.Module`` wrapper, so ``support.measure`` can time it).

And for every layer, convolutions included, :func:`onnx_runtime_static`: ONNX Runtime's
``quantize_static``, which fixes the activations' scales once from calibration data (static
W8A8: int8 weights per channel, uint8 activations per tensor).

All run on one thread unless told otherwise, so that the comparison is of kernels, not cores.
"""
from __future__ import annotations

import contextlib
import copy
import logging
import os
import warnings
from pathlib import Path

import torch
from torch import nn

from . import checks

__all__ = ["torch_dynamic", "torchao_dynamic", "to_onnx", "OnnxModel", "onnx_runtime",
           "onnx_runtime_static", "saved_bytes"]


@contextlib.contextmanager
def _quiet(*loggers: str):
    """Silence deprecation warnings and the chatter of the named loggers."""
    levels = {name: logging.getLogger(name).level for name in loggers}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name in loggers:
            logging.getLogger(name).setLevel(logging.ERROR)
        try:
            yield
        finally:
            for name, level in levels.items():
                logging.getLogger(name).setLevel(level)


def _eval_copy(model: nn.Module) -> nn.Module:
    checks.module("model", model, finite=True)
    if not any(isinstance(m, nn.Linear) for m in model.modules()):
        raise ValueError("the model has no Linear layer for int8 dynamic quantization")
    return copy.deepcopy(model).cpu().eval()


def torch_dynamic(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose Linear layers hold int8 weights (per tensor) and quantize
    their inputs on the fly: ``torch.ao.quantization.quantize_dynamic``."""
    model = _eval_copy(model)
    with _quiet():
        return torch.ao.quantization.quantize_dynamic(model, {nn.Linear}, dtype=torch.qint8)


def torchao_dynamic(model: nn.Module) -> nn.Module:
    """A copy of ``model`` with torchao's int8 dynamic-activation, int8-weight Linear layers
    (run eagerly here; ``torch.compile`` reaches torchao's fused kernels)."""
    model = _eval_copy(model)
    with _quiet("torch.utils._pytree", "torchao"):
        from torchao.quantization import Int8DynamicActivationInt8WeightConfig, quantize_

        quantize_(model, Int8DynamicActivationInt8WeightConfig())
    return model


def to_onnx(model: nn.Module, example_input: torch.Tensor, path) -> Path:
    """Export ``model`` to an ONNX file at ``path`` (weights inside the file, batch size
    free) with ``torch.onnx.export(dynamo=True)``; return the path. ``example_input`` is a
    finite batch ``(B, *input_shape)``."""
    checks.module("model", model, finite=True)
    checks.tensor("example_input (B, *input_shape)", example_input, floating=True, nonempty=True)
    path = Path(checks.path("path", path))
    model = copy.deepcopy(model).cpu().eval()
    batch = torch.export.Dim("batch")
    with _quiet("torch.onnx", "onnxscript"), open(os.devnull, "w") as null, \
            contextlib.redirect_stdout(null):
        torch.onnx.export(model, (example_input,), str(path), dynamo=True, external_data=False,
                          input_names=["x"], output_names=["logits"],
                          dynamic_shapes=({0: batch},), verbose=False)
    return path


class OnnxModel(nn.Module):
    """An ONNX Runtime session as a module: ``forward(x)`` runs the file on the CPU with
    ``num_threads`` threads and returns a tensor. ``path`` is the file it runs."""

    def __init__(self, path, num_threads: int = 1):
        super().__init__()
        import onnxruntime as ort

        checks.integer("num_threads", num_threads, low=1)
        self.path = Path(checks.path("path", path))
        options = ort.SessionOptions()
        options.intra_op_num_threads = options.inter_op_num_threads = num_threads
        options.log_severity_level = 3
        self.session = ort.InferenceSession(str(self.path), options,
                                            providers=["CPUExecutionProvider"])
        self.input_name = self.session.get_inputs()[0].name

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.from_numpy(self.session.run(None, {self.input_name: x.cpu().numpy()})[0])


def _exported_and_quantized(model: nn.Module, example_input: torch.Tensor, folder, name: str,
                            num_threads: int, quantize) -> tuple[OnnxModel, OnnxModel]:
    """``model`` exported by :func:`to_onnx` (which checks it and exports a copy in evaluation
    mode, on the CPU) to ``folder/model.onnx``, then ``quantize(fp32 path, int8 path)``
    writing ``folder/name``: both run by ONNX Runtime."""
    checks.integer("num_threads", num_threads, low=1)
    checks.tensor("example_input (B, *input_shape)", example_input, floating=True, nonempty=True)
    folder = Path(checks.path("folder", folder))
    folder.mkdir(parents=True, exist_ok=True)
    fp32 = to_onnx(model, example_input, folder / "model.onnx")
    int8 = folder / name
    with _quiet("root"):
        quantize(str(fp32), str(int8))
    return OnnxModel(fp32, num_threads), OnnxModel(int8, num_threads)


def onnx_runtime(model: nn.Module, example_input: torch.Tensor, folder,
                 num_threads: int = 1) -> tuple[OnnxModel, OnnxModel]:
    """(fp32, int8) ONNX Runtime versions of ``model``: ``folder/model.onnx`` exported by
    :func:`to_onnx`, and ``folder/model-int8.onnx`` from ONNX Runtime's ``quantize_dynamic``
    (int8 weights per tensor, activations quantized on the fly)."""
    from onnxruntime.quantization import QuantType, quantize_dynamic

    return _exported_and_quantized(
        _eval_copy(model), example_input, folder, "model-int8.onnx", num_threads,
        lambda fp32, int8: quantize_dynamic(fp32, int8, weight_type=QuantType.QInt8))


def onnx_runtime_static(model: nn.Module, example_input: torch.Tensor, calibration: torch.Tensor,
                        folder, num_threads: int = 1,
                        batch_size: int = 32) -> tuple[OnnxModel, OnnxModel]:
    """(fp32, int8) ONNX Runtime versions of ``model``: ``folder/model.onnx`` exported by
    :func:`to_onnx`, and ``folder/model-static.onnx`` from ONNX Runtime's ``quantize_static``:
    int8 weights, symmetric per output channel, and uint8 activations whose scale and zero
    point per tensor come from their minimum and maximum over ``calibration`` (a float batch
    of inputs, fed ``batch_size`` at a time). Every layer is quantized, convolutions too."""
    from onnxruntime.quantization import (CalibrationDataReader, QuantFormat, QuantType,
                                          quantize_static)

    checks.tensor("calibration", calibration, floating=True, nonempty=True)
    checks.integer("batch_size", batch_size, low=1)

    class Batches(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{"x": calibration[i:i + batch_size].cpu().numpy()}
                                 for i in range(0, len(calibration), batch_size)])

        def get_next(self):
            return next(self.batches, None)

    return _exported_and_quantized(
        model, example_input, folder, "model-static.onnx", num_threads,
        lambda fp32, int8: quantize_static(fp32, int8, Batches(), quant_format=QuantFormat.QDQ,
                                           per_channel=True, activation_type=QuantType.QUInt8,
                                           weight_type=QuantType.QInt8))


def saved_bytes(model: nn.Module) -> int:
    """Bytes of the file that holds ``model``: the ONNX file of an :class:`OnnxModel`, else
    what ``torch.save(model.state_dict())`` writes (``support.measure.file_bytes``)."""
    if isinstance(checks.module("model", model), OnnxModel):
        return model.path.stat().st_size
    from .measure import file_bytes

    return file_bytes(model)
