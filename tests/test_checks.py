"""Bad input gets a clear error from every public function of ``support``: one table of calls
that must be refused, each with the exception class (``WrongType``, a TypeError, for a wrong
type; ValueError for a wrong value) and words of the message that say what was expected.

`test_every_public_callable_is_in_the_table` lists every callable in the ``__all__`` of every
module of ``support`` and fails for one that has no row here: a new function gets its rows."""
import importlib
import math
import pkgutil

import pytest
import torch
from torch import nn

import support
from support import (cache, checks, codec, data, distill, early_exit, factorize, figures, huffman,
                     int8, integer, lottery, measure, models, prune, quantize, sparse, stats,
                     train)

NAN, INF = float("nan"), float("inf")
TYPE, VALUE = checks.WrongType, ValueError

#: public callables with no input to check, and why
NO_INPUT = {
    "support.train.device": "takes no argument",
    "support.train.History": "a record that fit fills in, not an input",
    "support.figures.figures_dir": "takes no argument (the folder comes from the environment)",
    "support.cache.folder": "takes no argument",
    "support.data.DatasetMissing": "an exception class",
    "support.checks.WrongType": "an exception class",
    "support.checks.describe": "describes any value for a message; nothing is wrong input",
}


def _nan_linear():
    layer = nn.Linear(4, 3)
    with torch.no_grad():
        layer.weight[0, 0] = NAN
    return layer


LINEAR, NAN_LINEAR = nn.Linear(4, 3), _nan_linear()
W = torch.randn(3, 4)
NAN_W = torch.tensor([[1.0, NAN], [0.5, 2.0]])
INF_W = torch.tensor([[1.0, INF], [0.5, 2.0]])
LOGITS = [torch.randn(5, 3) for _ in range(3)]
NAN_LOGITS = [torch.randn(5, 3), torch.full((5, 3), NAN), torch.randn(5, 3)]
LABELS = torch.tensor([0, 1, 2, 0, 1])
NET = early_exit.EarlyExitNet([nn.Flatten(), nn.Identity()], [nn.Linear(64, 3), nn.Linear(64, 3)])
MASKS = {"weight": torch.ones(3, 4, dtype=torch.bool)}
FLOAT_MASKS = {"weight": torch.ones(3, 4)}
CODE = {"a": "0", "b": "10", "c": "11"}
NOT_PREFIX_FREE = {"a": "0", "b": "01", "c": "1"}
NOT_BITS = {"a": "0", "b": "12"}


def _splits():
    return data.digits()


def _splits_with(**changed):
    d = _splits()
    return data.Splits(**{**vars(d), **changed})


# (function, call, exception, words of the message); `call` takes no argument
ROWS = [
    # checks
    (checks.integer, lambda: checks.integer("n", True), TYPE, "n must be an integer"),
    (checks.integer, lambda: checks.integer("n", 8.0), TYPE, "n must be an integer"),
    (checks.integer, lambda: checks.integer("n", 0, low=1), VALUE, "n must be an integer >= 1"),
    (checks.number, lambda: checks.number("x", NAN), VALUE, "x must be a finite number"),
    (checks.number, lambda: checks.number("x", "1"), TYPE, "x must be a finite number"),
    (checks.number, lambda: checks.number("x", 1.0, below=1), VALUE, r"x must be a finite number < 1"),
    (checks.flag, lambda: checks.flag("f", 1), TYPE, "f must be True or False"),
    (checks.one_of, lambda: checks.one_of("k", "c", ("a", "b")), VALUE, r"k must be one of \('a', 'b'\)"),
    (checks.one_of, lambda: checks.one_of("k", torch.ones(2), ("a",)), VALUE, "k must be one of"),
    (checks.text, lambda: checks.text("s", 3), TYPE, "s must be a str"),
    (checks.path, lambda: checks.path("p", 3), TYPE, "p must be a path"),
    (checks.path, lambda: checks.path("p", ""), VALUE, "p must be a path"),
    (checks.function, lambda: checks.function("f", 3), TYPE, "f must be a function"),
    (checks.mapping, lambda: checks.mapping("m", [1]), TYPE, "m must be a mapping"),
    (checks.sequence, lambda: checks.sequence("s", {1, 2}), TYPE, "s must be a list or tuple"),
    (checks.sequence, lambda: checks.sequence("s", [], nonempty=True), VALUE, "non-empty"),
    (checks.module, lambda: checks.module("m", W), TYPE, r"m must be a torch.nn.Module"),
    (checks.module, lambda: checks.module("m", NAN_LINEAR, finite=True), VALUE, "finite values"),
    (checks.tensor, lambda: checks.tensor("t", [1.0]), TYPE, "t must be a tensor"),
    (checks.tensor, lambda: checks.tensor("t", NAN_W), VALUE, r"t must be finite \(no NaN or inf\)"),
    (checks.tensor, lambda: checks.tensor("t", INF_W), VALUE, "t must be finite"),
    (checks.tensor, lambda: checks.tensor("t", W, ndim=1), VALUE, "t must be a 1-D tensor"),
    (checks.tensor, lambda: checks.tensor("t", LABELS, floating=True), TYPE, "floating-point"),
    (checks.tensor, lambda: checks.tensor("t", W, integer=True), TYPE, "an integer tensor"),
    (checks.tensor, lambda: checks.tensor("t", torch.zeros(0), nonempty=True), VALUE, "non-empty"),

    # quantize
    (quantize.check_bits, lambda: quantize.check_bits(True), TYPE, r"bits must be an integer in \[1, 32\]"),
    (quantize.check_bits, lambda: quantize.check_bits(1, symmetric=True), VALUE,
     r"bits for symmetric quantization must be an integer in \[2, 32\]"),
    (quantize.check_bits, lambda: quantize.check_bits(8, symmetric=1), TYPE, "symmetric must be True or False"),
    (quantize.qrange, lambda: quantize.qrange(33), VALUE, r"bits must be an integer in \[1, 32\]"),
    (quantize.qrange, lambda: quantize.qrange(8.0), TYPE, "bits must be an integer"),
    (quantize.scale_zero_point, lambda: quantize.scale_zero_point(NAN, 1.0, 8), VALUE, "x_min must be finite"),
    (quantize.scale_zero_point, lambda: quantize.scale_zero_point(-1.0, INF, 8), VALUE, "x_max must be finite"),
    (quantize.scale_zero_point, lambda: quantize.scale_zero_point("a", 1.0, 8), TYPE, "x_min must be a tensor"),
    (quantize.scale_zero_point, lambda: quantize.scale_zero_point(2.0, 1.0, 8), VALUE, "x_min <= x_max"),
    (quantize.quantize, lambda: quantize.quantize(torch.tensor([1.0, NAN]), 0.1, 0, 8), VALUE,
     "x must be finite"),
    (quantize.quantize, lambda: quantize.quantize(torch.ones(4), 0.1, 300, 8), VALUE,
     r"zero_point must be an integer in \[0, 255\]"),
    (quantize.quantize, lambda: quantize.quantize(torch.ones(4), 0.1, 0.5, 8), VALUE,
     "zero_point must be an integer"),
    (quantize.quantize, lambda: quantize.quantize(torch.ones(4), 0.0, 0, 8), VALUE, "scale must be a number > 0"),
    (quantize.quantize, lambda: quantize.quantize(torch.ones(4), INF, 0, 8), VALUE, "scale must be finite"),
    (quantize.quantize, lambda: quantize.quantize([1.0], 0.1, 0, 8), TYPE, "x must be a tensor"),
    (quantize.quantize, lambda: quantize.quantize(torch.ones(4), torch.ones(3), 0, 8), VALUE, "must broadcast"),
    (quantize.dequantize, lambda: quantize.dequantize(torch.tensor([1, 2]), 0.0, 0), VALUE,
     "scale must be a number > 0"),
    (quantize.dequantize, lambda: quantize.dequantize(torch.tensor([1, 2]), -0.5, 0), VALUE,
     "scale must be a number > 0"),
    (quantize.dequantize, lambda: quantize.dequantize(torch.tensor([1, 2]), NAN, 0), VALUE, "scale must be finite"),
    (quantize.dequantize, lambda: quantize.dequantize(torch.tensor([0.5]), 1.0, 0), TYPE,
     "q must be an integer tensor"),
    (quantize.dequantize, lambda: quantize.dequantize(torch.tensor([1]), 1.0, NAN), VALUE,
     "zero_point must be finite"),
    (quantize.dequantize, lambda: quantize.dequantize(torch.tensor([1]), 1.0, True), TYPE,
     "zero_point must be a tensor"),
    (quantize.fake_quantize, lambda: quantize.fake_quantize(NAN_W, 8), VALUE, "x must be finite"),
    (quantize.fake_quantize, lambda: quantize.fake_quantize(LABELS, 8), TYPE, "floating-point"),
    (quantize.fake_quantize, lambda: quantize.fake_quantize(torch.zeros(0), 8), VALUE, "non-empty"),
    (quantize.fake_quantize, lambda: quantize.fake_quantize(W, 8, per_channel="yes"), TYPE,
     "per_channel must be True or False"),
    (quantize.binarize, lambda: quantize.binarize(INF_W), VALUE, "x must be finite"),
    (quantize.binarize, lambda: quantize.binarize(3.0), TYPE, "x must be a tensor"),
    (quantize.StraightThrough, lambda: quantize.StraightThrough(3), TYPE, "fn must be a function"),
    (quantize.quantize_weights, lambda: quantize.quantize_weights(W, 8), TYPE, "model must be a torch.nn.Module"),
    (quantize.quantize_weights, lambda: quantize.quantize_weights(nn.Linear(2, 2), 0), VALUE,
     r"bits must be an integer in \[1, 32\]"),
    (quantize.add_fake_quantization, lambda: quantize.add_fake_quantization("model", 8), TYPE,
     "model must be a torch.nn.Module"),
    (quantize.add_fake_quantization, lambda: quantize.add_fake_quantization(nn.Linear(2, 2), True), TYPE,
     "bits must be an integer"),
    (quantize.remove_parametrizations, lambda: quantize.remove_parametrizations(None), TYPE,
     "model must be a torch.nn.Module"),
    (quantize.init_centroids, lambda: quantize.init_centroids(torch.tensor([1.0, NAN]), 2), VALUE,
     "values must be finite"),
    (quantize.init_centroids, lambda: quantize.init_centroids(torch.ones(4), 2, "kmeans++"), VALUE,
     r"init must be one of \('linear', 'density', 'random'\)"),
    (quantize.init_centroids, lambda: quantize.init_centroids(torch.ones(4), 5), VALUE,
     r"clusters .* must be an integer in \[1, 4\]"),
    (quantize.init_centroids, lambda: quantize.init_centroids(W, 2), VALUE, "values must be a 1-D tensor"),
    (quantize.nearest, lambda: quantize.nearest(torch.tensor([0.45]), torch.tensor([0.0, 1.0, 0.5])), VALUE,
     "centroids must be in ascending order"),
    (quantize.nearest, lambda: quantize.nearest(torch.tensor([NAN]), torch.tensor([0.0, 1.0])), VALUE,
     "values must be finite"),
    (quantize.nearest, lambda: quantize.nearest(torch.tensor([0.5]), torch.zeros(0)), VALUE,
     "centroids must be a non-empty tensor"),
    (quantize.kmeans, lambda: quantize.kmeans(torch.tensor([1.0, INF, 2.0]), 2), VALUE, "values must be finite"),
    (quantize.kmeans, lambda: quantize.kmeans(torch.ones(4), True), TYPE, "clusters .* must be an integer"),
    (quantize.kmeans, lambda: quantize.kmeans(torch.ones(4), 2, iterations=-1), VALUE,
     "iterations must be an integer >= 0"),
    (quantize.SharedWeights, lambda: quantize.SharedWeights(torch.tensor([NAN]), torch.zeros(2, dtype=torch.long),
                                                            torch.ones(2, dtype=torch.bool)),
     VALUE, "centroids must be finite"),
    (quantize.SharedWeights, lambda: quantize.SharedWeights(torch.ones(2), torch.zeros(2),
                                                            torch.ones(2, dtype=torch.bool)),
     TYPE, "indices must be an integer tensor"),
    (quantize.share_weights, lambda: quantize.share_weights(_nan_linear(), 4), VALUE, "model must hold finite values"),
    (quantize.share_weights, lambda: quantize.share_weights(nn.Linear(4, 3), 0), VALUE, "clusters must be an integer >= 1"),
    (quantize.share_weights, lambda: quantize.share_weights(W, 4), TYPE, "model must be a torch.nn.Module"),
    (quantize.distinct_values, lambda: quantize.distinct_values(NAN_W), VALUE, "weight must be finite"),
    (quantize.distinct_values, lambda: quantize.distinct_values([1.0]), TYPE, "weight must be a tensor"),

    # huffman
    (huffman.code_lengths, lambda: huffman.code_lengths([("a", 1)]), TYPE, r"counts .* must be a mapping"),
    (huffman.code_lengths, lambda: huffman.code_lengths({"a": True}), TYPE, "count of symbol 'a' must be an integer"),
    (huffman.code_lengths, lambda: huffman.code_lengths({"a": -1}), VALUE, "count of symbol 'a' must be an integer >= 0"),
    (huffman.canonical_code, lambda: huffman.canonical_code({"a": 0}), VALUE, "code length of 'a' must be an integer >= 1"),
    (huffman.canonical_code, lambda: huffman.canonical_code({"a": 1, "b": 1, "c": 1}), VALUE, "Kraft"),
    (huffman.canonical_code, lambda: huffman.canonical_code([1]), TYPE, "lengths .* must be a mapping"),
    (huffman.huffman_code, lambda: huffman.huffman_code({"a": 2.5}), TYPE, "must be an integer"),
    (huffman.huffman_code, lambda: huffman.huffman_code({"a": 0}), VALUE, "positive count"),
    (huffman.encode, lambda: huffman.encode("abc", NOT_PREFIX_FREE), VALUE, "must be prefix-free"),
    (huffman.encode, lambda: huffman.encode("abc", NOT_BITS), VALUE, "string of '0' and '1'"),
    (huffman.encode, lambda: huffman.encode("abd", CODE), VALUE, "'d' has no codeword"),
    (huffman.encode, lambda: huffman.encode("ab", ["0", "1"]), TYPE, "code .* must be a mapping"),
    (huffman.decode, lambda: huffman.decode(b"\x00", 8, NOT_PREFIX_FREE), VALUE, "must be prefix-free"),
    (huffman.decode, lambda: huffman.decode(b"\x00", 8, {"a": "0", "b": ""}), VALUE, "non-empty string"),
    (huffman.decode, lambda: huffman.decode(b"\x00", 9, CODE), VALUE, r"nbits .* must be an integer in \[0, 8\]"),
    (huffman.decode, lambda: huffman.decode("0", 1, CODE), TYPE, "data must be bytes"),
    (huffman.decode, lambda: huffman.decode(b"\x00", 8, CODE, count=-1), VALUE, "count must be an integer >= 0"),
    (huffman.entropy, lambda: huffman.entropy({"a": 1.5}), TYPE, "count of symbol 'a' must be an integer"),
    (huffman.entropy, lambda: huffman.entropy({}), VALUE, "positive count"),
    (huffman.code_bits, lambda: huffman.code_bits("abd", CODE), VALUE, "'d' has no codeword"),
    (huffman.code_bits, lambda: huffman.code_bits("ab", NOT_PREFIX_FREE), VALUE, "must be prefix-free"),
    (huffman.pack_bits, lambda: huffman.pack_bits(101), TYPE, "bits must be a str"),
    (huffman.pack_bits, lambda: huffman.pack_bits("012"), VALUE, "string of '0' and '1'"),
    (huffman.unpack_bits, lambda: huffman.unpack_bits(b"\x00", True), TYPE, "nbits .* must be an integer"),
    (huffman.unpack_bits, lambda: huffman.unpack_bits(b"\x00", -1), VALUE, r"nbits .* must be an integer in \[0, 8\]"),
    (huffman.unpack_bits, lambda: huffman.unpack_bits([0], 1), TYPE, "data must be bytes"),

    # codec
    (codec.sparse_symbols, lambda: codec.sparse_symbols(W, 0), VALUE, r"offset_bits must be an integer in \[1, 8\]"),
    (codec.sparse_symbols, lambda: codec.sparse_symbols(W, -1), VALUE, r"offset_bits must be an integer in \[1, 8\]"),
    (codec.sparse_symbols, lambda: codec.sparse_symbols(W, 8.5), TYPE, "offset_bits must be an integer"),
    (codec.sparse_symbols, lambda: codec.sparse_symbols(NAN_W, 4), VALUE, "weight must be finite"),
    (codec.sparse_symbols, lambda: codec.sparse_symbols([[1.0]], 4), TYPE, "weight must be a tensor"),
    (codec.sparse_symbols, lambda: codec.sparse_symbols(W, 4, clustered=None), TYPE, "clustered must be True or False"),
    (codec.encode, lambda: codec.encode({"w": NAN_W}), VALUE, "not finite"),
    (codec.encode, lambda: codec.encode([W]), TYPE, "model_or_state must be a torch.nn.Module or a state dict"),
    (codec.encode, lambda: codec.encode({"w": W}, huffman_coding="yes"), TYPE, "huffman_coding must be True or False"),
    (codec.decode, lambda: codec.decode("NCDC"), TYPE, "data must be bytes"),
    (codec.decode, lambda: codec.decode(b"NCDC" + bytes(9)), VALUE, "CRC-32"),
    (codec.describe, lambda: codec.describe(None), TYPE, "data must be bytes"),
    (codec.describe, lambda: codec.describe(b"junk" * 4), VALUE, "not a compressed model file"),
    (codec.save, lambda: codec.save(LINEAR, 3), TYPE, "path must be a path"),
    (codec.save, lambda: codec.save(NAN_LINEAR, "/nonexistent/x.ncdc"), VALUE, "not finite"),
    (codec.load, lambda: codec.load(None), TYPE, "path must be a path"),
    (codec.to_state, lambda: codec.to_state({"w": [1.0]}), TYPE, "a state dict of tensors"),

    # factorize
    (factorize.check_rank, lambda: factorize.check_rank(True, (4, 3)), TYPE, "rank .* must be an integer"),
    (factorize.check_rank, lambda: factorize.check_rank(4, (4, 3)), VALUE, r"rank \(for a 4x3 weight\) must be an integer in \[1, 3\]"),
    (factorize.check_rank, lambda: factorize.check_rank(1, (4,)), VALUE, r"shape must be a weight's \(M, N\)"),
    (factorize.singular_values, lambda: factorize.singular_values(NAN_W), VALUE, "weight .* must be finite"),
    (factorize.singular_values, lambda: factorize.singular_values(NAN_LINEAR), VALUE, "weight .* must be finite"),
    (factorize.singular_values, lambda: factorize.singular_values(torch.ones(3)), VALUE, "must be a 2-D tensor"),
    (factorize.singular_values, lambda: factorize.singular_values([[1.0]]), TYPE, "nn.Linear or a 2-D weight tensor"),
    (factorize.low_rank, lambda: factorize.low_rank(INF_W, 1), VALUE, "weight .* must be finite"),
    (factorize.low_rank, lambda: factorize.low_rank(W, 0), VALUE, "rank .* must be an integer in"),
    (factorize.truncation_error, lambda: factorize.truncation_error(torch.tensor([3.0, NAN]), 1), VALUE,
     "singular_values must be finite"),
    (factorize.truncation_error, lambda: factorize.truncation_error(torch.tensor([1.0, 3.0]), 1), VALUE,
     "descending order"),
    (factorize.truncation_error, lambda: factorize.truncation_error(torch.tensor([3.0, -1.0]), 1), VALUE,
     "numbers >= 0"),
    (factorize.truncation_error, lambda: factorize.truncation_error("3, 2", 1), TYPE, "singular_values must be a tensor"),
    (factorize.svd_factorize, lambda: factorize.svd_factorize(nn.Conv2d(1, 1, 1), 1), TYPE, "layer must be a torch.nn.Linear"),
    (factorize.svd_factorize, lambda: factorize.svd_factorize(NAN_LINEAR, 1), VALUE, "weight .* must be finite"),
    (factorize.svd_factorize, lambda: factorize.svd_factorize(nn.Linear(4, 3), 2.0), TYPE, "rank .* must be an integer"),
    (factorize.factorize_sequential, lambda: factorize.factorize_sequential(nn.Linear(2, 2), {0: 1}), TYPE,
     "model must be a torch.nn.Sequential"),
    (factorize.factorize_sequential, lambda: factorize.factorize_sequential(nn.Sequential(nn.Linear(2, 2)), [1]),
     TYPE, "ranks .* must be a mapping"),
    (factorize.factorize_sequential, lambda: factorize.factorize_sequential(nn.Sequential(nn.Linear(2, 2)), {True: 1}),
     TYPE, "a layer index must be an integer"),
    (factorize.factorize_sequential, lambda: factorize.factorize_sequential(nn.Sequential(nn.ReLU()), {0: 1}),
     VALUE, "not a Linear of the model"),
    (factorize.energy_rank, lambda: factorize.energy_rank(torch.tensor([2.0, NAN]), 0.9), VALUE,
     "singular_values must be finite"),
    (factorize.energy_rank, lambda: factorize.energy_rank(torch.tensor([2.0, 1.0]), NAN), VALUE,
     r"energy must be a finite number in \(0, 1\]"),
    (factorize.energy_rank, lambda: factorize.energy_rank(torch.tensor([2.0, 1.0]), True), TYPE,
     r"energy must be a finite number in \(0, 1\]"),
    (factorize.energy_rank, lambda: factorize.energy_rank(torch.tensor([2.0, 1.0]), 0), VALUE,
     r"energy must be a finite number in \(0, 1\]"),
    (factorize.rank_for_budget, lambda: factorize.rank_for_budget(4, 3, 6), VALUE, "below a rank-1 pair"),
    (factorize.rank_for_budget, lambda: factorize.rank_for_budget(True, 3, 60), TYPE, "in_features must be an integer"),
    (factorize.break_even_rank, lambda: factorize.break_even_rank(0, 3), VALUE, "in_features must be an integer >= 1"),
    (factorize.break_even_rank, lambda: factorize.break_even_rank(4, 3.0), TYPE, "out_features must be an integer"),
    (factorize.conv_parameters, lambda: factorize.conv_parameters(4, 6, 3, groups=4), VALUE, "must divide"),
    (factorize.conv_parameters, lambda: factorize.conv_parameters(4, 6, (3, 0)), VALUE, "kernel_size must be an integer >= 1"),
    (factorize.conv_parameters, lambda: factorize.conv_parameters(4, 6, (3, 3, 3)), VALUE, "a pair of them"),
    (factorize.conv_parameters, lambda: factorize.conv_parameters(4, 6, 3, bias=1), TYPE, "bias must be True or False"),
    (factorize.separable_parameters, lambda: factorize.separable_parameters(0, 6, 3), VALUE,
     "in_channels must be an integer >= 1"),
    (factorize.separable_parameters, lambda: factorize.separable_parameters(4, 6, True), TYPE,
     "kernel_size must be an integer"),
    (factorize.separable_ratio, lambda: factorize.separable_ratio(-1, 3), VALUE, "out_channels must be an integer >= 1"),
    (factorize.separable_ratio, lambda: factorize.separable_ratio(8, 2.5), TYPE, "kernel_size must be an integer"),
    (factorize.merge_separable, lambda: factorize.merge_separable(W), TYPE, "block must be a torch.nn.Module"),
    (factorize.merge_separable, lambda: factorize.merge_separable(nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2))),
     VALUE, "a depthwise and a pointwise convolution"),

    # int8
    (int8.torch_dynamic, lambda: int8.torch_dynamic(W), TYPE, "model must be a torch.nn.Module"),
    (int8.torch_dynamic, lambda: int8.torch_dynamic(nn.Sequential(_nan_linear())), VALUE, "finite values"),
    (int8.torchao_dynamic, lambda: int8.torchao_dynamic(None), TYPE, "model must be a torch.nn.Module"),
    (int8.torchao_dynamic, lambda: int8.torchao_dynamic(nn.Sequential(_nan_linear())), VALUE, "finite values"),
    (int8.to_onnx, lambda: int8.to_onnx(W, torch.zeros(1, 4), "/tmp/x.onnx"), TYPE, "model must be a torch.nn.Module"),
    (int8.to_onnx, lambda: int8.to_onnx(LINEAR, [[0.0] * 4], "/tmp/x.onnx"), TYPE, "example_input .* must be a tensor"),
    (int8.to_onnx, lambda: int8.to_onnx(LINEAR, torch.full((1, 4), NAN), "/tmp/x.onnx"), VALUE,
     "example_input .* must be finite"),
    (int8.to_onnx, lambda: int8.to_onnx(LINEAR, torch.zeros(1, 4), None), TYPE, "path must be a path"),
    (int8.OnnxModel, lambda: int8.OnnxModel("/tmp/x.onnx", num_threads=0), VALUE, "num_threads must be an integer >= 1"),
    (int8.OnnxModel, lambda: int8.OnnxModel("/tmp/x.onnx", num_threads=True), TYPE, "num_threads must be an integer"),
    (int8.onnx_runtime, lambda: int8.onnx_runtime(LINEAR, torch.zeros(1, 4), "/tmp/x", num_threads=0), VALUE,
     "num_threads must be an integer >= 1"),
    (int8.onnx_runtime, lambda: int8.onnx_runtime(LINEAR, torch.zeros(1, 4), 3), TYPE, "folder must be a path"),
    (int8.onnx_runtime, lambda: int8.onnx_runtime(NAN_LINEAR, torch.zeros(1, 4), "/tmp/x"), VALUE, "finite values"),
    (int8.saved_bytes, lambda: int8.saved_bytes("model.onnx"), TYPE, "model must be a torch.nn.Module"),
    (int8.onnx_runtime_static, lambda: int8.onnx_runtime_static(LINEAR, torch.zeros(1, 4), torch.zeros(0, 4),
                                                                "/tmp/x"), VALUE, "calibration must be a non-empty"),
    (int8.onnx_runtime_static, lambda: int8.onnx_runtime_static(LINEAR, torch.zeros(1, 4), [[0.0] * 4],
                                                                "/tmp/x"), TYPE, "calibration must be a tensor"),
    (int8.onnx_runtime_static, lambda: int8.onnx_runtime_static(NAN_LINEAR, torch.zeros(1, 4), torch.zeros(2, 4),
                                                                "/tmp/x"), VALUE, "finite values"),
    (int8.onnx_runtime_static, lambda: int8.onnx_runtime_static(LINEAR, torch.zeros(1, 4), torch.zeros(2, 4),
                                                                "/tmp/x", batch_size=0), VALUE, "batch_size"),
    (int8.onnx_runtime_static, lambda: int8.onnx_runtime_static(W, torch.zeros(1, 4), torch.zeros(2, 4),
                                                                "/tmp/x"), TYPE, "model must be a torch.nn.Module"),
    (integer.fixed_point, lambda: integer.fixed_point(0.0), VALUE, "multiplier must be a finite number"),
    (integer.fixed_point, lambda: integer.fixed_point(NAN), VALUE, "multiplier must be a finite number"),
    (integer.fixed_point, lambda: integer.fixed_point("0.5"), TYPE, "multiplier must be a finite number"),
    (integer.requantize, lambda: integer.requantize(torch.zeros(2, 2), torch.ones(2, dtype=torch.long),
                                                    torch.ones(2, dtype=torch.long), 0), TYPE,
     "acc must be an integer tensor"),
    (integer.requantize, lambda: integer.requantize(torch.zeros(2, 2, dtype=torch.long),
                                                    torch.ones(3, dtype=torch.long),
                                                    torch.ones(3, dtype=torch.long), 0), VALUE,
     "one value per column"),
    (integer.requantize, lambda: integer.requantize(torch.zeros(2, 2, dtype=torch.long),
                                                    torch.full((2,), 2 ** 31), torch.ones(2, dtype=torch.long),
                                                    0), VALUE, r"m0 must lie in"),
    (integer.requantize, lambda: integer.requantize(torch.zeros(2, 2, dtype=torch.long),
                                                    torch.ones(2, dtype=torch.long),
                                                    torch.ones(2, dtype=torch.long), 0.5), TYPE,
     "zero_point must be an integer"),
    (integer.integer_mlp, lambda: integer.integer_mlp(W, torch.zeros(2, 4)), TYPE, "model must be a torch.nn.Module"),
    (integer.integer_mlp, lambda: integer.integer_mlp(nn.Sequential(_nan_linear()), torch.zeros(2, 4)), VALUE,
     "finite values"),
    (integer.integer_mlp, lambda: integer.integer_mlp(LINEAR, torch.full((2, 4), NAN)), VALUE, "must be finite"),
    (integer.integer_mlp, lambda: integer.integer_mlp(nn.Sequential(nn.ReLU()), torch.zeros(2, 4)), VALUE,
     "no Linear layer"),
    (integer.IntegerMLP, lambda: integer.integer_mlp(LINEAR, torch.zeros(2, 4)).codes(torch.zeros(2, 4)), TYPE,
     "q_x must be an integer tensor"),
    (integer.IntegerMLP, lambda: integer.integer_mlp(LINEAR, torch.zeros(2, 4)).quantize_input(
        torch.full((2, 4), INF)), VALUE, "must be finite"),
    (integer.engine_mlp, lambda: integer.engine_mlp(LINEAR), TYPE, "net must be"),

    # sparse
    (sparse.to_csr, lambda: sparse.to_csr(torch.ones(3)), VALUE, r"weight \(out, in\) must be a 2-D tensor"),
    (sparse.to_csr, lambda: sparse.to_csr(NAN_W), VALUE, "must be finite"),
    (sparse.to_csr, lambda: sparse.to_csr([[1.0]]), TYPE, "must be a tensor"),
    (sparse.SparseLinear, lambda: sparse.SparseLinear(nn.Conv2d(1, 1, 1)), TYPE, "linear must be a torch.nn.Linear"),
    (sparse.SparseLinear, lambda: sparse.SparseLinear(NAN_LINEAR), VALUE, "must be finite"),
    (sparse.sparsify, lambda: sparse.sparsify(W), TYPE, "model must be a torch.nn.Module"),

    # measure
    (measure.count_parameters, lambda: measure.count_parameters(W), TYPE, "model must be a torch.nn.Module"),
    (measure.count_nonzero, lambda: measure.count_nonzero({}), TYPE, "model must be a torch.nn.Module"),
    (measure.file_bytes, lambda: measure.file_bytes(None), TYPE, "model must be a torch.nn.Module"),
    (measure.bytes_at_bits, lambda: measure.bytes_at_bits(True, 8), TYPE, "num_values must be an integer"),
    (measure.bytes_at_bits, lambda: measure.bytes_at_bits(10, 8.0), TYPE, "bits must be an integer"),
    (measure.bytes_at_bits, lambda: measure.bytes_at_bits(-1, 8), VALUE, "num_values must be an integer >= 0"),
    (measure.bytes_at_bits, lambda: measure.bytes_at_bits(10, 0), VALUE, "bits must be an integer >= 1"),
    (measure.macs, lambda: measure.macs(LINEAR, torch.zeros(4)), VALUE, r"batch tensor of shape \(B, \*input_shape\)"),
    (measure.macs, lambda: measure.macs(LINEAR, torch.full((1, 4), INF)), VALUE, "example_input must be finite"),
    (measure.macs, lambda: measure.macs(LINEAR, [[0.0] * 4]), TYPE, "example_input must be a tensor"),
    (measure.latency, lambda: measure.latency(LINEAR, torch.zeros(1, 4), min_run_time=NAN), VALUE,
     r"min_run_time \(seconds\) must be a finite number > 0"),
    (measure.latency, lambda: measure.latency(LINEAR, torch.zeros(1, 4), num_threads=True), TYPE,
     "num_threads must be an integer"),
    (measure.latency, lambda: measure.latency(LINEAR, torch.zeros(1, 4), clock="wall"), TYPE,
     "clock must be a function or None"),
    (measure.speedup, lambda: measure.speedup(LINEAR, LINEAR, torch.zeros(1, 4), rounds=True), TYPE,
     "rounds must be an integer"),
    (measure.speedup, lambda: measure.speedup(LINEAR, LINEAR, torch.zeros(1, 4), rounds=0), VALUE,
     "rounds must be an integer >= 1"),
    (measure.speedup, lambda: measure.speedup(W, LINEAR, torch.zeros(1, 4)), TYPE, "reference must be a torch.nn.Module"),
    (measure.OneAtATime, lambda: measure.OneAtATime(W), TYPE, "model must be a torch.nn.Module"),
    (measure.InBatches, lambda: measure.InBatches(W, 2), TYPE, "model must be a torch.nn.Module"),
    (measure.InBatches, lambda: measure.InBatches(LINEAR, 0), VALUE, "batch_size must be an integer >= 1"),
    (measure.InBatches, lambda: measure.InBatches(LINEAR, True), TYPE, "batch_size must be an integer"),
    (measure.InBatches, lambda: measure.InBatches(LINEAR, 2.5), TYPE, "batch_size must be an integer"),
    (measure.summary, lambda: measure.summary(LINEAR, torch.zeros(1, 4), accuracy=1.5), VALUE,
     r"accuracy must be a finite number in \[0, 1\]"),
    (measure.summary, lambda: measure.summary(LINEAR, torch.zeros(1, 4), name=3), TYPE, "name must be a str"),
    (measure.summary, lambda: measure.summary(W, torch.zeros(1, 4)), TYPE, "model must be a torch.nn.Module"),
    (measure.format_table, lambda: measure.format_table([]), VALUE, "at least one row"),
    (measure.format_table, lambda: measure.format_table(["row"]), TYPE, "each row must be a mapping"),
    (measure.format_table, lambda: measure.format_table([{"a": 1}], width=0), VALUE, "width must be an integer >= 1"),

    # stats
    (stats.mean_std, lambda: stats.mean_std([0.9, NAN]), VALUE, "values must be finite numbers"),
    (stats.mean_std, lambda: stats.mean_std([0.9]), VALUE, "at least two values"),
    (stats.mean_std, lambda: stats.mean_std("0.9"), TYPE, "values must be a sequence of numbers"),
    (stats.mean_std, lambda: stats.mean_std([True, False]), TYPE, "not True or False"),
    (stats.pm, lambda: stats.pm(torch.tensor([True, False])), TYPE, "not True or False"),
    (stats.paired_difference, lambda: stats.paired_difference([0.9, 0.8], [1, True]), TYPE,
     "not True or False"),
    (stats.pm, lambda: stats.pm([0.9, 0.8], digits=-1), VALUE, "digits must be an integer >= 0"),
    (stats.pm, lambda: stats.pm([0.9, 0.8], scale=INF), VALUE, "scale must be a finite number"),
    (stats.pm, lambda: stats.pm([0.9, 0.8], unit=None), TYPE, "unit must be a str"),
    (stats.paired_difference, lambda: stats.paired_difference([0.9, 0.8], [0.9, 0.8, 0.7]), VALUE,
     "one value per seed"),
    (stats.paired_difference, lambda: stats.paired_difference([0.9, INF], [0.9, 0.8]), VALUE, "a must be finite"),
    (stats.is_real_difference, lambda: stats.is_real_difference([0.9, 0.8], [0.7, 0.6], num_test=True), TYPE,
     "num_test .* must be an integer"),
    (stats.is_real_difference, lambda: stats.is_real_difference([0.9, 0.8], [0.7, 0.6], num_test=0), VALUE,
     "num_test .* must be an integer >= 1"),
    (stats.is_real_difference, lambda: stats.is_real_difference([0.9, 0.8], [0.7, 0.6], 100, min_examples=-1),
     VALUE, "min_examples must be an integer >= 0"),
    (stats.real_label, lambda: stats.real_label([0.9, 0.8], [0.7, 0.6], num_test=100.0), TYPE,
     "num_test .* must be an integer"),
    (stats.real_label, lambda: stats.real_label([0.9, NAN], [0.7, 0.6], num_test=100), VALUE, "finite"),

    # figures
    (figures.record, lambda: figures.record(3, x=1), TYPE, "chapter must be a str"),
    (figures.record, lambda: figures.record("../up", x=1), VALUE, "chapter must be a plain name"),
    (figures.record, lambda: figures.record("checks-test", x=NAN), VALUE, "not a finite number"),
    (figures.read, lambda: figures.read(None), TYPE, "chapter must be a str"),
    (figures.read, lambda: figures.read("a/b"), VALUE, "chapter must be a plain name"),

    # data
    (data.Splits, lambda: _splits_with(x_train=torch.full_like(_splits().x_train, NAN)), VALUE,
     "x_train must be finite"),
    (data.Splits, lambda: _splits_with(y_val=_splits().y_val.float()), TYPE, "y_val must be an integer tensor"),
    (data.Splits, lambda: _splits_with(y_test=_splits().y_test[:5]), VALUE, "one label per example"),
    (data.Splits, lambda: _splits_with(y_train=_splits().y_train + 10), VALUE, r"class indices in \[0, 10\)"),
    (data.Splits, lambda: _splits_with(num_classes=True), TYPE, "num_classes must be an integer"),
    (data.digits, lambda: data.digits(val_fraction=1.5), VALUE, r"val_fraction must be a finite number in \(0, 1\)"),
    (data.digits, lambda: data.digits(seed=-1), VALUE, "seed must be an integer >= 0"),
    (data.digits, lambda: data.digits(test_fraction=NAN), VALUE, "test_fraction must be a finite number"),
    (data.mnist1d, lambda: data.mnist1d(num_samples=True), TYPE, "num_samples must be an integer"),
    (data.mnist1d, lambda: data.mnist1d(num_samples=50), VALUE, "num_samples must be an integer >= 100"),
    (data.mnist1d, lambda: data.mnist1d(num_samples=300, keep="no"), TYPE, "keep must be"),
    (data.torchvision_data, lambda: data.torchvision_data("imagenet"), VALUE, "name must be one of"),
    (data.torchvision_data, lambda: data.torchvision_data("mnist", download="yes"), TYPE,
     "download must be True or False"),
    (data.torchvision_data, lambda: data.torchvision_data("mnist", root=None), TYPE, "root must be a path"),
    (data.load, lambda: data.load(3), TYPE, "name must be a str"),
    (data.load, lambda: data.load("imagenet"), VALUE, "unknown data set"),

    # models
    (models.mlp, lambda: models.mlp(hidden=(300, True)), TYPE, "each of hidden must be an integer"),
    (models.mlp, lambda: models.mlp(hidden=()), VALUE, "hidden must be a non-empty list"),
    (models.mlp, lambda: models.mlp(num_classes=0), VALUE, "num_classes must be an integer >= 1"),
    (models.mlp, lambda: models.mlp(seed=-1), VALUE, "seed .* must be an integer >= 0"),
    (models.cnn, lambda: models.cnn(in_channels=0), VALUE, "in_channels must be an integer >= 1"),
    (models.cnn, lambda: models.cnn(channels=(32,)), VALUE, "channels must hold two widths"),
    (models.cnn, lambda: models.cnn(seed=1.5), TYPE, "seed .* must be an integer"),
    (models.cnn1d, lambda: models.cnn1d(length=0), VALUE, "length must be an integer >= 1"),
    (models.cnn1d, lambda: models.cnn1d(channels=[32, 0]), VALUE, "each of channels must be an integer >= 1"),
    (models.for_data, lambda: models.for_data("resnet", _splits()), VALUE, r"kind must be one of \('mlp', 'cnn', 'cnn1d'\)"),
    (models.for_data, lambda: models.for_data("mlp", W), TYPE, "splits must be a support.data.Splits"),
    (models.DepthwiseSeparableConv2d, lambda: models.DepthwiseSeparableConv2d(0, 4, 3), VALUE,
     "in_channels must be an integer >= 1"),
    (models.DepthwiseSeparableConv2d, lambda: models.DepthwiseSeparableConv2d(4, 4, 3, padding=-1), VALUE,
     "padding must be an integer >= 0"),
    (models.DepthwiseSeparableConv2d, lambda: models.DepthwiseSeparableConv2d(4, 4, True), TYPE,
     "kernel_size must be an integer"),
    (models.DepthwiseSeparableConv2d, lambda: models.DepthwiseSeparableConv2d(4, 4, 3, activation="relu"), TYPE,
     "activation must be a torch.nn.Module"),
    (models.separable_cnn, lambda: models.separable_cnn(in_channels=0), VALUE, "in_channels must be an integer >= 1"),
    (models.separable_cnn, lambda: models.separable_cnn(inner_relu=None), TYPE, "inner_relu must be True or False"),
    (models.separable_cnn, lambda: models.separable_cnn(num_classes=True), TYPE, "num_classes must be an integer"),

    # train
    (train.seed_everything, lambda: train.seed_everything(True), TYPE, "seed must be an integer"),
    (train.seed_everything, lambda: train.seed_everything(-1), VALUE, "seed must be an integer >= 0"),
    (train.fit, lambda: train.fit(W, _splits()), TYPE, "model must be a torch.nn.Module"),
    (train.fit, lambda: train.fit(nn.Linear(64, 10), _splits(), epochs=True), TYPE, "epochs must be an integer"),
    (train.fit, lambda: train.fit(nn.Linear(64, 10), _splits(), lr=NAN), VALUE, "lr must be a finite number > 0"),
    (train.fit, lambda: train.fit(nn.Linear(64, 10), _splits(), batch_size=0), VALUE,
     "batch_size must be an integer >= 1"),
    (train.fit, lambda: train.fit(nn.Linear(64, 10), _splits(), loss_fn="ce"), TYPE, "loss_fn must be a function"),
    (train.fit, lambda: train.fit(nn.Linear(64, 10), _splits(), patience=0), VALUE, "patience must be an integer >= 1"),
    (train.fit, lambda: train.fit(nn.Linear(64, 10), [1, 2]), TYPE, "data must be a Splits or a DataLoader"),
    (train.evaluate, lambda: train.evaluate(W, _splits()), TYPE, "model must be a torch.nn.Module"),
    (train.evaluate, lambda: train.evaluate(nn.Linear(64, 10), _splits(), part="dev"), VALUE,
     r"part must be one of \('train', 'val', 'test'\)"),
    (train.evaluate, lambda: train.evaluate(nn.Linear(64, 10), _splits(), output=True), TYPE, "output must be an integer"),
    (train.predict, lambda: train.predict(nn.Sequential(nn.Flatten(), nn.Linear(4, 2)), torch.full((2, 4), NAN)),
     VALUE, r"data \(N, \*input_shape\) must be finite"),
    (train.predict, lambda: train.predict(nn.Linear(4, 2), torch.zeros(2, 4), batch_size=0), VALUE,
     "batch_size must be an integer >= 1"),
    (train.predict, lambda: train.predict(nn.Linear(4, 2), [torch.zeros(2, 4)]), TYPE, "data must be a Splits"),

    # cache
    (cache.fit, lambda: cache.fit(W, _splits()), TYPE, "model must be a torch.nn.Module"),
    (cache.fit, lambda: cache.fit(nn.Linear(64, 10), "digits"), TYPE, "expected a support.data.Splits"),
    (cache.key, lambda: cache.key(None, _splits()), TYPE, "model must be a torch.nn.Module"),
    (cache.key, lambda: cache.key(nn.Linear(2, 2), _splits(), loss_fn=lambda o, x, y: 0), TYPE, "keys the recipe by value"),
    (cache.baseline, lambda: cache.baseline("resnet", _splits(), 0), VALUE, r"kind must be one of \('mlp', 'cnn'\)"),
    (cache.baseline, lambda: cache.baseline("mlp", None, 0), TYPE, "data must be a support.data.Splits"),
    (cache.baseline, lambda: cache.baseline("mlp", _splits(), True), TYPE, "seed .* must be an integer"),

    # prune
    (prune.check_sparsity, lambda: prune.check_sparsity(1.0), VALUE, r"sparsity .* must be a finite number in \[0, 1\)"),
    (prune.check_sparsity, lambda: prune.check_sparsity(NAN), VALUE, r"sparsity .* must be a finite number in \[0, 1\)"),
    (prune.check_sparsity, lambda: prune.check_sparsity(False), TYPE, "sparsity .* must be a finite number"),
    (prune.magnitude_mask, lambda: prune.magnitude_mask(NAN_W, 0.5), VALUE, "weight must be finite"),
    (prune.magnitude_mask, lambda: prune.magnitude_mask([1.0, 2.0], 0.5), TYPE, "weight must be a tensor"),
    (prune.global_magnitude_masks, lambda: prune.global_magnitude_masks({"a": INF_W}, 0.5), VALUE,
     r"weights\['a'\] must be finite"),
    (prune.global_magnitude_masks, lambda: prune.global_magnitude_masks([W], 0.5), TYPE,
     "weights .* must be a mapping"),
    (prune.global_magnitude_masks, lambda: prune.global_magnitude_masks({}, 0.5), VALUE, "at least one weight"),
    (prune.prunable, lambda: prune.prunable(W), TYPE, "model must be a torch.nn.Module"),
    (prune.apply_masks, lambda: prune.apply_masks(nn.Linear(4, 3), FLOAT_MASKS), VALUE, "must be a bool tensor"),
    (prune.apply_masks, lambda: prune.apply_masks(W, MASKS), TYPE, "model must be a torch.nn.Module"),
    (prune.apply_masks, lambda: prune.apply_masks(nn.Linear(4, 3), [MASKS]), TYPE, "masks .* must be a mapping"),
    (prune.keep_masked, lambda: prune.keep_masked(FLOAT_MASKS), VALUE, "must be a bool tensor"),
    (prune.keep_masked, lambda: prune.keep_masked(None), TYPE, "masks .* must be a mapping"),
    (prune.sparsity_of, lambda: prune.sparsity_of({}), VALUE, "at least one masked weight"),
    (prune.sparsity_of, lambda: prune.sparsity_of([True]), TYPE, "masks .* must be a mapping"),
    (prune.to_torch_prune, lambda: prune.to_torch_prune(nn.Linear(4, 3), FLOAT_MASKS), VALUE, "must be a bool tensor"),
    (prune.to_torch_prune, lambda: prune.to_torch_prune(nn.Linear(4, 3), {"weight": torch.ones(2, dtype=torch.bool)}),
     VALUE, "has shape"),
    (prune.to_torch_prune, lambda: prune.to_torch_prune(None, MASKS), TYPE, "model must be a torch.nn.Module"),
    (prune.neuron_activity, lambda: prune.neuron_activity(LINEAR, LINEAR, torch.full((2, 4), NAN)), VALUE,
     r"inputs .* must be finite"),
    (prune.neuron_activity, lambda: prune.neuron_activity(LINEAR, "relu", torch.zeros(2, 4)), TYPE,
     "layer must be a torch.nn.Module"),
    (prune.neuron_activity, lambda: prune.neuron_activity(LINEAR, LINEAR, torch.zeros(2, 4), batch_size=0), VALUE,
     "batch_size must be an integer >= 1"),
    (prune.channel_norms, lambda: prune.channel_norms(W, p=True), VALUE, r"p must be one of \(1, 2\)"),
    (prune.channel_norms, lambda: prune.channel_norms(W, p=3), VALUE, r"p must be one of \(1, 2\)"),
    (prune.channel_norms, lambda: prune.channel_norms(NAN_W), VALUE, "must be finite"),
    (prune.channel_norms, lambda: prune.channel_norms(torch.tensor(1.0)), VALUE, "must be a 1-D or 2-D"),
    (prune.keep_top, lambda: prune.keep_top(torch.tensor([1.0, NAN]), 0.5), VALUE, "scores must be finite"),
    (prune.keep_top, lambda: prune.keep_top(torch.zeros(0), 0.5), VALUE, "scores must be a non-empty tensor"),
    (prune.keep_top, lambda: prune.keep_top([1.0, 2.0], 0.5), TYPE, "scores must be a tensor"),
    (prune.shrink_pair, lambda: prune.shrink_pair(nn.ReLU(), nn.Linear(3, 2), torch.tensor([0])), TYPE,
     "first must be a torch.nn.Linear or a torch.nn.Conv1d or a torch.nn.Conv2d"),
    (prune.shrink_pair, lambda: prune.shrink_pair(nn.Linear(4, 3), nn.Linear(3, 2), torch.tensor([0.0])), VALUE,
     "integer unit indices"),
    (prune.shrink_pair, lambda: prune.shrink_pair(nn.Linear(4, 3), nn.Linear(3, 2), torch.tensor([5])), VALUE,
     r"distinct unit indices in \[0, 3\)"),
    (prune.shrink_pair, lambda: prune.shrink_pair(nn.Linear(4, 3), nn.Linear(3, 2), "0"), TYPE, "keep must be a tensor"),
    (prune.shrink_sequential, lambda: prune.shrink_sequential(nn.Linear(4, 3), {0: torch.tensor([0])}), TYPE,
     "model must be a torch.nn.Sequential"),
    (prune.shrink_sequential, lambda: prune.shrink_sequential(models.mlp(hidden=(4,)), [0]), TYPE,
     "keep .* must be a mapping"),
    (prune.shrink_sequential, lambda: prune.shrink_sequential(models.mlp(hidden=(4,)), {0: torch.tensor([0])}),
     VALUE, "not a Linear / ConvNd followed by another one"),
    (prune.prune_units, lambda: prune.prune_units(models.mlp(hidden=(4,)), 1.0), VALUE, r"sparsity .* in \[0, 1\)"),
    (prune.prune_units, lambda: prune.prune_units(nn.Linear(4, 3), 0.5), TYPE, "model must be a torch.nn.Sequential"),
    (prune.prune_units, lambda: prune.prune_units(models.mlp(hidden=(4,)), 0.5, p=0), VALUE, "p must be one of"),
    (prune.rewind, lambda: prune.rewind(nn.Linear(4, 3), {}, MASKS), VALUE, "initial_state has no entry"),
    (prune.rewind, lambda: prune.rewind(nn.Linear(4, 3), None, MASKS), TYPE, "initial_state must be a mapping"),
    (prune.rewind, lambda: prune.rewind(nn.Linear(4, 3), nn.Linear(4, 3).state_dict(), FLOAT_MASKS), VALUE,
     "must be a bool tensor"),

    # lottery
    (lottery.full_masks, lambda: lottery.full_masks(W), TYPE, "model must be a torch.nn.Module"),
    (lottery.prune_surviving, lambda: lottery.prune_surviving(nn.Linear(4, 3), MASKS, sparsity=1.0), VALUE,
     r"sparsity .* in \[0, 1\)"),
    (lottery.prune_surviving, lambda: lottery.prune_surviving(nn.Linear(4, 3), FLOAT_MASKS), VALUE,
     "must be a bool tensor"),
    (lottery.prune_surviving, lambda: lottery.prune_surviving(nn.Linear(4, 3), {"x": MASKS["weight"]}), VALUE,
     "cover exactly"),
    (lottery.train_masked, lambda: lottery.train_masked(nn.Linear(64, 10), FLOAT_MASKS, _splits(), 1, 1e-3), VALUE,
     "must be a bool tensor"),
    (lottery.train_masked, lambda: lottery.train_masked(nn.Linear(64, 10), {}, _splits(), 1, lr=-1.0), VALUE,
     "lr must be a finite number > 0"),
    (lottery.train_masked, lambda: lottery.train_masked(W, {}, _splits(), 1, 1e-3), TYPE,
     "model must be a torch.nn.Module"),
    (lottery.iterative_magnitude_pruning, lambda: lottery.iterative_magnitude_pruning(models.mlp(), _splits(), 1, 1, 1e-3),
     TYPE, "make_model must be a function"),
    (lottery.iterative_magnitude_pruning, lambda: lottery.iterative_magnitude_pruning(models.mlp, _splits(), True, 1, 1e-3),
     TYPE, "rounds must be an integer"),
    (lottery.iterative_magnitude_pruning, lambda: lottery.iterative_magnitude_pruning(models.mlp, _splits(), 0, 1, 1e-3,
                                                                                       sparsity=NAN),
     VALUE, r"sparsity .* in \[0, 1\)"),

    # distill
    (distill.check_temperature, lambda: distill.check_temperature(INF), VALUE, "temperature T must be a finite number > 0"),
    (distill.check_temperature, lambda: distill.check_temperature(True), TYPE, "temperature T must be a finite number > 0"),
    (distill.check_alpha, lambda: distill.check_alpha(NAN), VALUE, r"alpha must be a finite number in \[0, 1\]"),
    (distill.check_alpha, lambda: distill.check_alpha("0.5"), TYPE, r"alpha must be a finite number in \[0, 1\]"),
    (distill.softmax_with_temperature, lambda: distill.softmax_with_temperature(torch.tensor([1.0, NAN])), VALUE,
     "logits must be finite"),
    (distill.softmax_with_temperature, lambda: distill.softmax_with_temperature([1.0, 2.0]), TYPE,
     "logits must be a tensor"),
    (distill.softmax_with_temperature, lambda: distill.softmax_with_temperature(torch.ones(2), 0), VALUE,
     "temperature T must be a finite number > 0"),
    (distill.ensemble_soft_targets, lambda: distill.ensemble_soft_targets([torch.ones(2), torch.ones(3)]), VALUE,
     "same shape"),
    (distill.ensemble_soft_targets, lambda: distill.ensemble_soft_targets([torch.tensor([INF, 0.0])]), VALUE,
     "must be finite"),
    (distill.ensemble_soft_targets, lambda: distill.ensemble_soft_targets(3.0), TYPE,
     "teacher_logits must be a list or tuple"),
    (distill.distillation_loss, lambda: distill.distillation_loss(torch.full((2, 3), NAN), torch.zeros(2, 3),
                                                                  torch.tensor([0, 1])),
     VALUE, "student_logits must be finite"),
    (distill.distillation_loss, lambda: distill.distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3),
                                                                  torch.tensor([0, 3])),
     VALUE, r"class indices in \[0, 3\)"),
    (distill.distillation_loss, lambda: distill.distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3),
                                                                  torch.tensor([0.0, 1.0])),
     TYPE, "labels must be an integer tensor"),
    (distill.distillation_loss, lambda: distill.distillation_loss(torch.zeros(2, 3), torch.zeros(2, 3),
                                                                  torch.tensor([0, 1]), alpha=1.5),
     VALUE, r"alpha must be a finite number in \[0, 1\]"),
    (distill.loss_fn, lambda: distill.loss_fn(nn.Linear(2, 2), T=-1), VALUE, "temperature T must be a finite number > 0"),
    (distill.loss_fn, lambda: distill.loss_fn(torch.zeros(4, 3), labels=torch.zeros(4)), TYPE,
     "labels must be an integer tensor"),
    (distill.loss_fn, lambda: distill.loss_fn(torch.zeros(4, 3)), VALUE, "need the training labels"),
    (distill.indexed_loader, lambda: distill.indexed_loader(_splits(), batch_size=True), TYPE,
     "batch_size must be an integer"),
    (distill.indexed_loader, lambda: distill.indexed_loader(W), TYPE, "splits must be a support.data.Splits"),
    (distill.indexed_loader, lambda: distill.indexed_loader(_splits(), seed=-1), VALUE, "seed must be an integer >= 0"),

    # early exit
    (early_exit.check_threshold, lambda: early_exit.check_threshold(NAN), VALUE,
     r"threshold .* must be a finite number in \[0, 1\]"),
    (early_exit.check_threshold, lambda: early_exit.check_threshold(True), TYPE, "threshold .* must be a finite number"),
    (early_exit.check_thresholds, lambda: early_exit.check_thresholds([0.5], 3), VALUE, "a sequence of 2"),
    (early_exit.check_thresholds, lambda: early_exit.check_thresholds(0.5, 0), VALUE, "num_exits must be an integer >= 1"),
    (early_exit.check_thresholds, lambda: early_exit.check_thresholds([0.5, INF], 3), VALUE,
     r"threshold .* must be a finite number in \[0, 1\]"),
    (early_exit.check_weights, lambda: early_exit.check_weights([1, NAN], 2), VALUE,
     "each of the loss weights must be a finite number >= 0"),
    (early_exit.check_weights, lambda: early_exit.check_weights([0, 0], 2), VALUE, "not all zero"),
    (early_exit.check_weights, lambda: early_exit.check_weights("11", 2), TYPE, "weights .* must be a list or tuple"),
    (early_exit.check_exit_logits, lambda: early_exit.check_exit_logits(NAN_LOGITS), VALUE,
     "the logits of exit 1 must be finite"),
    (early_exit.check_exit_logits, lambda: early_exit.check_exit_logits(LOGITS[0]), VALUE, "a non-empty list of logits"),
    (early_exit.check_exit_logits, lambda: early_exit.check_exit_logits([torch.ones(5, 3, dtype=torch.long)]), TYPE,
     "floating-point"),
    (early_exit.EarlyExitNet, lambda: early_exit.EarlyExitNet([nn.ReLU()], ["head"]), TYPE,
     "each of heads must be a torch.nn.Module"),
    (early_exit.EarlyExitNet, lambda: early_exit.EarlyExitNet(nn.ReLU(), [nn.ReLU()]), TYPE, "stages must be a list of modules"),
    (early_exit.EarlyExitNet, lambda: early_exit.EarlyExitNet([nn.ReLU()], []), VALUE, "one head per stage"),
    (early_exit.cnn_with_exits, lambda: early_exit.cnn_with_exits(head_pool=True), TYPE, "head_pool must be an integer"),
    (early_exit.cnn_with_exits, lambda: early_exit.cnn_with_exits(in_channels=0), VALUE, "in_channels must be an integer >= 1"),
    (early_exit.exit_loss, lambda: early_exit.exit_loss(NAN_LOGITS, LABELS, [1, 1, 1]), VALUE, "must be finite"),
    (early_exit.exit_loss, lambda: early_exit.exit_loss(LOGITS, LABELS.float(), [1, 1, 1]), TYPE,
     "labels must be an integer tensor"),
    (early_exit.exit_loss, lambda: early_exit.exit_loss(LOGITS, LABELS[:1], [1, 1, 1]), VALUE, "labels of shape"),
    (early_exit.loss_fn, lambda: early_exit.loss_fn([1, -1]), VALUE, "each of the loss weights must be a finite number >= 0"),
    (early_exit.loss_fn, lambda: early_exit.loss_fn(1.0), TYPE, "weights .* must be a list or tuple"),
    (early_exit.confidence, lambda: early_exit.confidence(torch.full((2, 3), NAN)), VALUE, "logits .* must be finite"),
    (early_exit.confidence, lambda: early_exit.confidence(torch.tensor([[INF, 0.0]])), VALUE, "logits .* must be finite"),
    (early_exit.confidence, lambda: early_exit.confidence(LOGITS[0], "margin"), VALUE,
     r"kind must be one of \('max_softmax', 'entropy'\)"),
    (early_exit.confidence, lambda: early_exit.confidence(torch.ones(3)), VALUE, r"logits \(B, C\) must be a 2-D tensor"),
    (early_exit.confidence, lambda: early_exit.confidence(torch.ones(3, 1), "entropy"), VALUE, "at least 2 classes"),
    (early_exit.early_exit, lambda: early_exit.early_exit(NAN_LOGITS, 0.5), VALUE, "the logits of exit 1 must be finite"),
    (early_exit.early_exit, lambda: early_exit.early_exit(LOGITS, 1.5), VALUE, r"threshold .* in \[0, 1\]"),
    (early_exit.early_exit, lambda: early_exit.early_exit(LOGITS[:1], [], "margin"), VALUE, "kind must be one of"),
    (early_exit.Thresholded, lambda: early_exit.Thresholded(nn.Linear(2, 2), 0.5), TYPE, "net must be a EarlyExitNet"),
    (early_exit.Thresholded, lambda: early_exit.Thresholded(NET, 0.5, "margin"), VALUE, "kind must be one of"),
    (early_exit.Thresholded, lambda: early_exit.Thresholded(NET, NAN), VALUE, "threshold .* must be a finite number"),
    (early_exit.part_macs, lambda: early_exit.part_macs(nn.Linear(2, 2), torch.zeros(1, 2)), TYPE,
     "net must be a EarlyExitNet"),
    (early_exit.part_macs, lambda: early_exit.part_macs(NET, torch.full((1, 1, 8, 8), NAN)), VALUE,
     "example_input .* must be finite"),
    (early_exit.exit_costs, lambda: early_exit.exit_costs([1, NAN], [1, 1]), VALUE,
     "each of stage_macs must be a finite number >= 0"),
    (early_exit.exit_costs, lambda: early_exit.exit_costs([1, 2], [1]), VALUE, "one head per stage"),
    (early_exit.exit_costs, lambda: early_exit.exit_costs(12, [1]), TYPE, "stage_macs must be a list or tuple"),
    (early_exit.exit_fractions, lambda: early_exit.exit_fractions(torch.tensor([0.0, 1.0]), 2), TYPE,
     "exits must be an integer tensor"),
    (early_exit.exit_fractions, lambda: early_exit.exit_fractions(torch.tensor([0, 2]), 2), VALUE,
     r"exit indices in \[0, 2\)"),
    (early_exit.exit_fractions, lambda: early_exit.exit_fractions(torch.tensor([0, 1]), True), TYPE,
     "num_exits must be an integer"),
    (early_exit.expected_macs, lambda: early_exit.expected_macs(torch.tensor([0.5, 1.0]), [1, 1], [1, 1]),
     TYPE, "exits must be an integer tensor"),
    (early_exit.expected_macs, lambda: early_exit.expected_macs(torch.tensor([0, 2]), [1, 1], [1, 1]), VALUE,
     "exit indices in"),
    (early_exit.expected_macs, lambda: early_exit.expected_macs(torch.tensor([0]), [1, NAN], [1, 1]), VALUE,
     "finite number >= 0"),
    (early_exit.sweep, lambda: early_exit.sweep(LOGITS, torch.tensor([1]), [0.5], [1, 1, 1], [1, 1, 1]), VALUE,
     "one class index per example"),
    (early_exit.sweep, lambda: early_exit.sweep(LOGITS, torch.tensor(1), [0.5], [1, 1, 1], [1, 1, 1]), VALUE,
     "one class index per example"),
    (early_exit.sweep, lambda: early_exit.sweep(NAN_LOGITS, LABELS, [0.5], [1, 1, 1], [1, 1, 1]), VALUE,
     "must be finite"),
    (early_exit.sweep, lambda: early_exit.sweep(LOGITS, LABELS, [0.5], [1, 1], [1, 1]), VALUE,
     "the MACs of 3 stages and heads"),
    (early_exit.sweep, lambda: early_exit.sweep(LOGITS, LABELS, 0.5, [1, 1, 1], [1, 1, 1]), TYPE,
     "thresholds must be a list or tuple"),
    (early_exit.best_under_budget, lambda: early_exit.best_under_budget([1, 2], [0.5, NAN], 3), VALUE,
     "each accuracy must be a finite number"),
    (early_exit.best_under_budget, lambda: early_exit.best_under_budget([1, 2], [0.5, 0.6], -1), VALUE,
     "budget must be a finite number >= 0"),
    (early_exit.best_under_budget, lambda: early_exit.best_under_budget([1, 2], [0.5, 0.6], 0), VALUE,
     "no classifier fits"),
]


def _name(function) -> str:
    return f"{function.__module__}.{function.__name__}"


def _public_callables() -> dict[str, object]:
    found = {}
    for info in pkgutil.iter_modules(support.__path__):
        if info.name.startswith("_"):
            continue
        module = importlib.import_module(f"support.{info.name}")
        assert hasattr(module, "__all__"), f"support.{info.name} has no __all__"
        for name in module.__all__:
            value = getattr(module, name)
            if callable(value):
                found[f"support.{info.name}.{name}"] = value
    return found


@pytest.mark.parametrize("function, call, error, words", ROWS,
                         ids=[f"{_name(f)}-{i}" for i, (f, *_) in enumerate(ROWS)])
def test_bad_input_is_refused(function, call, error, words):
    with pytest.raises(error, match=words) as raised:
        call()
    if error is VALUE:   # a wrong value is not reported as a wrong type
        assert not isinstance(raised.value, TypeError), raised.value
    assert " must " in str(raised.value) or "expected" in str(raised.value) \
        or error is VALUE, f"the message does not say what was expected: {raised.value}"


def test_every_public_callable_is_in_the_table():
    covered = {_name(function) for function, *_ in ROWS}
    public = _public_callables()
    missing = sorted(set(public) - covered - set(NO_INPUT))
    assert not missing, f"public callables of support with no row of bad input: {missing}"
    stale = sorted(set(NO_INPUT) - set(public))
    assert not stale, f"NO_INPUT names what is not public (any more): {stale}"
    both = sorted(set(NO_INPUT) & covered)
    assert not both, f"in NO_INPUT and in the table: {both}"


def test_a_wrong_type_is_a_type_error_and_a_value_error():
    assert issubclass(checks.WrongType, TypeError) and issubclass(checks.WrongType, ValueError)


def test_valid_input_passes_the_checks_unchanged():
    assert checks.integer("n", 3, low=1) == 3 and checks.number("x", 2, above=0) == 2.0
    assert math.isclose(checks.number("x", 0.5, 0, 1), 0.5)
    x = torch.ones(2, 3)
    assert checks.tensor("x", x, ndim=2, floating=True, nonempty=True) is x
    assert checks.tensor("t", [1, 2], convert=True, integer=True).tolist() == [1, 2]
    assert checks.sequence("s", torch.tensor([1.0, 2.0])) == [1.0, 2.0]
    assert checks.flag("f", False) is False and checks.one_of("k", "a", ("a",)) == "a"
