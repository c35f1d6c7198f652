"""support.huffman and support.codec: optimal prefix-free codes and the compressed file,
round trips bit-exact."""
import heapq
import itertools
import random
import struct
import zlib
from collections import Counter

import pytest
import torch
from torch import nn

from support import codec, huffman, models, prune, quantize


def _prefix_free(code):
    words = list(code.values())
    return not any(a != b and b.startswith(a) for a in words for b in words)


def _optimal_bits(counts):
    """The textbook Huffman total, sum of merged weights, independent of our tie rule."""
    heap = [c for c in counts.values() if c]
    if len(heap) == 1:
        return heap[0]
    heapq.heapify(heap)
    total = 0
    while len(heap) > 1:
        merged = heapq.heappop(heap) + heapq.heappop(heap)
        total += merged
        heapq.heappush(heap, merged)
    return total


def test_a_small_code_by_hand():
    code = huffman.huffman_code({"a": 5, "b": 2, "c": 1, "d": 1})
    assert code == {"a": "0", "b": "10", "c": "110", "d": "111"}
    assert huffman.huffman_code({7: 3}) == {7: "0"}
    assert huffman.huffman_code({0: 0, 1: 4, 2: 4}) == {1: "0", 2: "1"}


@pytest.mark.parametrize("seed", range(20))
def test_codes_are_prefix_free_optimal_and_deterministic(seed):
    rng = random.Random(seed)
    counts = {s: rng.choice([0, 1, 1, 2, 3, 5, 8, 40]) for s in range(rng.randint(1, 12))}
    if not any(counts.values()):
        counts[0] = 1
    code = huffman.huffman_code(counts)
    assert _prefix_free(code)
    assert sum(counts[s] * len(w) for s, w in code.items()) == _optimal_bits(counts)
    assert code == huffman.huffman_code(dict(reversed(list(counts.items()))))
    assert huffman.entropy(counts) <= sum(counts[s] * len(w) for s, w in code.items()) / sum(counts.values()) + 1e-12


def test_no_prefix_free_code_beats_huffman_on_small_alphabets():
    counts = {0: 7, 1: 3, 2: 3, 3: 1}
    best = min(sum(c * n for c, n in zip(counts.values(), lengths))
               for lengths in itertools.product(range(1, 5), repeat=4)
               if sum(2.0 ** -n for n in lengths) <= 1)
    code = huffman.huffman_code(counts)
    assert sum(counts[s] * len(w) for s, w in code.items()) == best


def test_encode_decode_round_trip():
    rng = random.Random(0)
    symbols = [rng.choice("aaaaabbbcd") for _ in range(1001)]
    code = huffman.huffman_code(Counter(symbols))
    data, nbits = huffman.encode(symbols, code)
    assert nbits == huffman.code_bits(symbols, code) and len(data) == (nbits + 7) // 8
    assert huffman.decode(data, nbits, code, count=len(symbols)) == symbols
    with pytest.raises(ValueError):
        huffman.decode(data, nbits - 1, code, count=len(symbols))
    with pytest.raises(ValueError, match="no codeword"):
        huffman.encode(["z"], code)


@pytest.mark.parametrize("bad", [{}, {"a": 0}, {"a": -1}, {"a": 1.5}, [3, 4]])
def test_bad_counts(bad):
    with pytest.raises(ValueError):
        huffman.huffman_code(bad)


def test_kraft_inequality_is_checked():
    with pytest.raises(ValueError, match="Kraft"):
        huffman.canonical_code({0: 1, 1: 1, 2: 1})


def _compressed_mlp(sparsity=0.9, clusters=8, seed=0):
    model = models.mlp(seed=seed)
    prune.apply_masks(model, {name: prune.magnitude_mask(w, sparsity)
                              for name, w in prune.prunable(model).items()})
    quantize.share_weights(model, clusters)
    return quantize.remove_parametrizations(model)


def _same(state, other):
    assert state.keys() == other.keys()
    for name in state:
        assert torch.equal(state[name].float(), other[name]), name


@pytest.mark.parametrize("huffman_coding", [True, False])
def test_codec_round_trip_is_bit_exact(huffman_coding, tmp_path):
    model = _compressed_mlp()
    size = codec.save(model, tmp_path / "model.ncdc")
    assert size == len(codec.encode(model, huffman_coding=True))
    _same(model.state_dict(), codec.load(tmp_path / "model.ncdc"))
    _same(model.state_dict(), codec.decode(codec.encode(model, huffman_coding=huffman_coding)))


def test_codec_edge_cases_are_exact():
    torch.manual_seed(0)
    empty = torch.zeros(20, 30)                              # no surviving weight
    long_gap = torch.zeros(5, 1000)
    long_gap[0, 0], long_gap[4, 999] = 0.5, -0.25            # a gap far beyond 2**8 - 1
    single = torch.zeros(10, 10)
    single[::3, ::2] = 0.125                                 # one cluster
    unclustered = torch.randn(16, 16)                        # 256 distinct: still clustered
    dense = torch.randn(40, 40)                              # many values: stored raw
    state = {"empty": empty, "long_gap": long_gap, "single": single, "unclustered": unclustered,
             "dense": dense, "bias": torch.randn(7), "steps": torch.tensor(3),
             "half": torch.tensor([0.5, -2.0, 1024.0])}
    for coded in (True, False):
        _same(state, codec.decode(codec.encode(state, huffman_coding=coded)))


def test_fillers_bridge_long_gaps():
    weight = torch.zeros(1, 600)
    weight[0, 599] = 1.0
    _, entries = codec.sparse_symbols(weight, 8)
    assert entries == [(255, 1), (255, 1), (87, 0)]              # 256 + 256 + 88 = 600
    _, entries = codec.sparse_symbols(weight, 8, clustered=False)
    assert [v for _, v in entries] == [0, 0, struct.unpack(">I", struct.pack(">f", 1.0))[0]]


def test_the_file_is_much_smaller_than_torch_save():
    model = _compressed_mlp(sparsity=0.95, clusters=4)
    assert len(codec.encode(model)) < len(codec.encode(model, huffman_coding=False))
    assert len(codec.encode(model)) * 20 < 4 * sum(p.numel() for p in model.parameters())


def test_corrupt_truncated_or_foreign_files_are_refused():
    data = codec.encode(_compressed_mlp())
    for bad in (data[:-1], data[:10], b"", b"PK\x03\x04" + data[4:]):
        with pytest.raises(ValueError):
            codec.decode(bad)
    for position in (7, 40, len(data) // 2, len(data) - 6):
        flipped = bytearray(data)
        flipped[position] ^= 0x10
        with pytest.raises(ValueError):
            codec.decode(bytes(flipped))
    # a file whose checksum is right but whose content lies: one tensor too many claimed
    body = bytearray(data[:-4])
    body[5:7] = struct.pack(">H", struct.unpack(">H", body[5:7])[0] + 1)
    with pytest.raises(ValueError, match="ends too early"):
        codec.decode(bytes(body) + struct.pack(">I", zlib.crc32(body)))
    with pytest.raises(ValueError):
        codec.decode("not bytes")


def test_non_finite_tensors_and_bad_inputs_are_refused():
    with pytest.raises(ValueError, match="finite"):
        codec.encode({"w": torch.tensor([[float("inf"), 1.0]])})
    with pytest.raises(ValueError):
        codec.encode([torch.zeros(3)])


def test_a_decoded_model_computes_what_the_compressed_one_did():
    model = _compressed_mlp(seed=1)
    twin = models.mlp(seed=2)
    twin.load_state_dict(codec.decode(codec.encode(model)))
    x = torch.rand(16, 1, 8, 8)
    assert torch.equal(model(x), twin(x))
    assert isinstance(twin[1], nn.Linear)


def test_describe_accounts_for_every_byte():
    model = _compressed_mlp(sparsity=0.95, clusters=4)
    data = codec.encode(model)
    rows = {r["name"]: r for r in codec.describe(data)}
    assert list(rows) == list(model.state_dict())
    header = len(codec.MAGIC) + 3 + 4                     # magic, version, count ... CRC
    assert sum(r["bytes"] for r in rows.values()) + header == len(data)
    weight = rows["1.weight"]
    assert weight["storage"] == "sparse" and weight["huffman"]
    assert weight["clusters"] == quantize.distinct_values(model[1].weight) <= 4
    assert rows["1.bias"]["storage"] == "raw float32"
    assert weight["entries"] - weight["fillers"] == weight["nonzero"] == int((model[1].weight != 0).sum())


def test_describe_splits_the_stream_into_positions_and_values():
    """The stream's bits are the relative offsets' and the values': fixed widths without
    Huffman coding, the codewords' lengths with it."""
    model = _compressed_mlp(sparsity=0.9, clusters=8)
    for coded in (False, True):
        weight = {r["name"]: r for r in codec.describe(codec.encode(model, coded))}["1.weight"]
        assert weight["position_bits"] + weight["value_bits"] == weight["stream_bits"]
        if not coded:
            assert weight["position_bits"] == weight["offset_bits"] * weight["entries"]
            assert weight["value_bits"] == weight["clusters"].bit_length() * weight["entries"]
