"""The course's compressed model file: Deep Compression's storage (Han et al. 2016), for real.

A weight tensor with at most 256 distinct non-zero values (pruned, then clustered) is stored
as its codebook and, for each non-zero weight in row-major order, two symbols:

- the *relative offset*: how many zeros lie between it and the previous non-zero weight, in
  ``offset_bits`` bits; a gap longer than 2**offset_bits - 1 is bridged by *filler* entries,
  zeros written as if they were weights (the paper's "filler zero");
- its *cluster index* into the codebook (the filler has an index of its own).

Both symbol streams are Huffman-coded (canonical codes, so the file holds only the code
lengths), and ``offset_bits`` is chosen per tensor to make the tensor smallest. Every other
tensor (biases) is stored raw, as float16 where float16 holds it exactly, else float32.

Layout (integers big-endian): ``b"NCDC"``, version (u8), tensor count (u16); per tensor its
name (u8 length + UTF-8), kind (u8), shape (u8 ndim + u32 each) and data; a CRC-32 of all of
it at the end. :func:`decode` refuses a file that is truncated, corrupt or not ours.
"""
from __future__ import annotations

import struct
import zlib
from collections import Counter
from pathlib import Path
from typing import Mapping

import numpy as np
import torch
from torch import nn

from . import checks, huffman

__all__ = ["MAGIC", "MAX_CLUSTERS", "OFFSET_BITS", "sparse_symbols", "encode", "decode",
           "describe", "save", "load", "to_state"]

MAGIC, VERSION = b"NCDC", 1
RAW32, RAW16, SPARSE, RAW_INT64 = 0, 1, 2, 3
KINDS = {RAW32: "raw float32", RAW16: "raw float16", SPARSE: "sparse", RAW_INT64: "raw int64"}
MAX_CLUSTERS = 256
OFFSET_BITS = range(1, 9)       # the widths of a relative offset tried for each tensor


def to_state(model_or_state) -> dict[str, torch.Tensor]:
    """A model's state_dict, or a state dict itself, as {name: CPU tensor}."""
    state = model_or_state.state_dict() if isinstance(model_or_state, nn.Module) else model_or_state
    if not isinstance(state, Mapping) or not all(isinstance(t, torch.Tensor) for t in state.values()):
        raise checks.WrongType("model_or_state must be a torch.nn.Module or a state dict of "
                               f"tensors, got {checks.describe(model_or_state)}")
    return {str(name): t.detach().cpu() for name, t in state.items()}


def sparse_symbols(weight: torch.Tensor, offset_bits: int, clustered: bool = True):
    """(codebook, [(offset, value), ...]) of ``weight``'s non-zero values in row-major order.

    With ``clustered`` the codebook holds the k distinct non-zero values (sorted) and each
    value is an index into it, index k marking a filler zero; otherwise the codebook is empty
    and each value is the float32 bit pattern of the weight (0 for a filler). ``weight`` is a
    finite floating-point tensor and ``offset_bits`` one of ``OFFSET_BITS`` (1 to 8), the widths
    the file stores."""
    checks.tensor("weight", weight, floating=True)
    checks.integer("offset_bits", offset_bits, OFFSET_BITS[0], OFFSET_BITS[-1])
    checks.flag("clustered", clustered)
    flat = weight.detach().float().flatten()
    positions = torch.nonzero(flat).flatten()
    if clustered:
        codebook = torch.unique(flat[positions])
        values = torch.searchsorted(codebook, flat[positions]).tolist()
        filler = codebook.numel()
    else:
        codebook = torch.zeros(0)
        values = flat[positions].view(torch.int32).tolist()
        values, filler = [v & 0xFFFFFFFF for v in values], 0
    longest = 2 ** offset_bits - 1
    entries, previous = [], -1
    for position, value in zip(positions.tolist(), values):
        while position - previous - 1 > longest:
            entries.append((longest, filler))
            previous += longest + 1
        entries.append((position - previous - 1, value))
        previous = position
    return codebook, entries


def _fixed(width: int, symbols) -> dict:
    return {s: format(s, f"0{width}b") for s in set(symbols)}


def _index_bits(k: int) -> int:
    """Bits of a fixed-length cluster index: k clusters and the filler, at least one bit."""
    return max(1, (k).bit_length())


def _write_name_shape(out: bytearray, name: str, kind: int, shape) -> None:
    raw = name.encode()
    if len(raw) > 255 or len(shape) > 255:
        raise ValueError(f"tensor name or rank too long to store: {name!r}")
    out += struct.pack(">B", len(raw)) + raw + struct.pack(">BB", kind, len(shape))
    out += struct.pack(f">{len(shape)}I", *shape)


def _sparse_bytes(weight: torch.Tensor, clustered: bool, coded: bool) -> bytes:
    """One tensor in sparse form, at the offset width that makes it smallest: flags, offset
    width, entry count, codebook, code lengths, and the bit stream of (offset, value) pairs."""
    best = None
    for bits in OFFSET_BITS:
        codebook, entries = sparse_symbols(weight, bits, clustered)
        k = codebook.numel()
        out = bytearray(struct.pack(">BBI", clustered | coded << 1, bits, len(entries)))
        if clustered:
            out += struct.pack(f">H{k}f", k, *codebook.tolist())
        offsets, values = [o for o, _ in entries], [v for _, v in entries]
        offset_code = _fixed(bits, offsets)
        value_code = _fixed(_index_bits(k) if clustered else 32, values)
        if coded and entries:       # code lengths of every possible symbol, 0 for unused
            offset_lengths = huffman.code_lengths(Counter(offsets))
            out += bytes(offset_lengths.get(o, 0) for o in range(2 ** bits))
            offset_code = huffman.canonical_code(offset_lengths)
            if clustered:
                value_lengths = huffman.code_lengths(Counter(values))
                out += bytes(value_lengths.get(i, 0) for i in range(k + 1))
                value_code = huffman.canonical_code(value_lengths)
        bits_ = "".join(offset_code[o] + value_code[v] for o, v in entries)
        out += struct.pack(">I", len(bits_)) + huffman.pack_bits(bits_)
        if best is None or len(out) < len(best):
            best = bytes(out)
    return best


def _raw(tensor: torch.Tensor) -> tuple[int, bytes]:
    if torch.equal(tensor.half().float(), tensor):
        return RAW16, tensor.numpy().astype(">f2").tobytes()
    return RAW32, tensor.numpy().astype(">f4").tobytes()


def encode(model_or_state, huffman_coding: bool = True) -> bytes:
    """The bytes of the compressed file of a model (or state dict); decoding gives back
    every tensor exactly.

    Each float tensor of two or more dimensions is stored in sparse form if that is smaller
    than raw: relative offsets and, when it holds at most ``MAX_CLUSTERS`` distinct
    non-zero values, a codebook and cluster indices (else float32 values), Huffman-coded if
    ``huffman_coding`` (else fixed-length). Other float tensors are raw (float16 where that
    is exact, else float32), integer tensors int64."""
    state = to_state(model_or_state)
    checks.flag("huffman_coding", huffman_coding)
    if len(state) > 65535:
        raise ValueError("too many tensors for one file")
    out = bytearray(MAGIC + struct.pack(">BH", VERSION, len(state)))
    for name, tensor in state.items():
        if not tensor.is_floating_point():
            _write_name_shape(out, name, RAW_INT64, tensor.shape)
            out += tensor.to(torch.int64).numpy().astype(">i8").tobytes()
            continue
        tensor = tensor.float()
        if not torch.isfinite(tensor).all():
            raise ValueError(f"{name} holds a value that is not finite")
        kind, data = _raw(tensor)
        if tensor.ndim >= 2:
            clustered = torch.unique(tensor[tensor != 0]).numel() <= MAX_CLUSTERS
            sparse = _sparse_bytes(tensor, clustered, huffman_coding)
            if len(sparse) < len(data):
                kind, data = SPARSE, sparse
        _write_name_shape(out, name, kind, tensor.shape)
        out += data
    return bytes(out + struct.pack(">I", zlib.crc32(out)))


class _Reader:
    def __init__(self, data: bytes):
        self.data, self.at = data, 0

    def take(self, n: int) -> bytes:
        if n < 0 or self.at + n > len(self.data):
            raise ValueError("corrupt compressed file: it ends too early")
        chunk = self.data[self.at:self.at + n]
        self.at += n
        return chunk

    def unpack(self, fmt: str):
        return struct.unpack(fmt, self.take(struct.calcsize(fmt)))


def _table(code: dict) -> dict:
    return {word: symbol for symbol, word in code.items()}


def _read_fields(stream: str, count: int, offset_field, value_field) -> list[tuple[int, int]]:
    """``count`` (offset, value) pairs from a bit string; a field is a fixed width (int) or
    a {codeword: symbol} table."""
    pairs, at = [], 0

    def field(spec):
        nonlocal at
        if isinstance(spec, int):
            if at + spec > len(stream):
                raise ValueError("corrupt compressed file: the bit stream ends too early")
            at += spec
            return int(stream[at - spec:at], 2)
        word = ""
        while word not in spec:
            if at >= len(stream) or len(word) > 255:
                raise ValueError("corrupt compressed file: a bit sequence that is no codeword")
            word += stream[at]
            at += 1
        return spec[word]

    for _ in range(count):
        pairs.append((field(offset_field), field(value_field)))
    if at != len(stream):
        raise ValueError("corrupt compressed file: bits left over after the last weight")
    return pairs


def _spent(field, symbols) -> int:
    """Bits the stream spends on ``symbols`` read with ``field`` (a width or a code table)."""
    if isinstance(field, int):
        return field * len(symbols)
    length = {symbol: len(word) for word, symbol in field.items()}
    return sum(length[symbol] for symbol in symbols)


def _decode_sparse(read: _Reader, shape, info: dict) -> torch.Tensor:
    numel = int(torch.Size(shape).numel())
    flags, bits, count = read.unpack(">BBI")
    clustered, coded = bool(flags & 1), bool(flags & 2)
    if flags > 3 or bits not in OFFSET_BITS:
        raise ValueError(f"corrupt compressed file: flags {flags}, offset width {bits}")
    codebook = torch.zeros(0)
    if clustered:
        (k,) = read.unpack(">H")
        if k > MAX_CLUSTERS:
            raise ValueError(f"corrupt compressed file: a codebook of {k} values")
        codebook = torch.tensor(read.unpack(f">{k}f"), dtype=torch.float32)
    k = codebook.numel()

    def lengths(n):
        return _table(huffman.canonical_code({s: b for s, b in enumerate(read.take(n)) if b})) \
            if count else {}

    offset_field = lengths(2 ** bits) if coded else bits
    value_field = (lengths(k + 1) if coded else _index_bits(k)) if clustered else 32
    (nbits,) = read.unpack(">I")
    stream = huffman.unpack_bits(read.take((nbits + 7) // 8), nbits)
    pairs = _read_fields(stream, count, offset_field, value_field)
    positions = np.cumsum([offset + 1 for offset, _ in pairs], dtype=np.int64) - 1
    values = np.array([value for _, value in pairs], dtype=np.int64)
    if count and (positions[-1] >= numel or (clustered and values.max() > k)):
        raise ValueError("corrupt compressed file: a weight beyond its tensor or codebook")
    fillers = int((values == k).sum()) if clustered else int((values == 0).sum())
    info.update(clustered=clustered, huffman=coded, offset_bits=bits, clusters=k if clustered else None,
                entries=count, fillers=fillers, stream_bits=nbits,
                position_bits=_spent(offset_field, [offset for offset, _ in pairs]),
                value_bits=_spent(value_field, values.tolist()))
    if clustered:
        keep = values < k                               # fillers (index k) stay zero
        positions, weights = positions[keep], codebook.numpy()[values[keep]]
    else:
        weights = values.astype(np.uint32).view(np.float32)
    flat = np.zeros(numel, dtype=np.float32)
    flat[positions] = weights
    return torch.from_numpy(flat).view(shape)


def _parse(data: bytes) -> tuple[dict[str, torch.Tensor], list[dict]]:
    if not isinstance(data, (bytes, bytearray)):
        raise checks.WrongType(f"data must be bytes, got {checks.describe(data)}")
    if len(data) < len(MAGIC) + 7 or data[:4] != MAGIC:
        raise ValueError("not a compressed model file (wrong magic bytes)")
    if zlib.crc32(data[:-4]) != struct.unpack(">I", data[-4:])[0]:
        raise ValueError("corrupt compressed file: the CRC-32 check failed")
    read = _Reader(bytes(data[:-4]))
    read.take(4)
    version, count = read.unpack(">BH")
    if version != VERSION:
        raise ValueError(f"compressed file version {version}, this code reads {VERSION}")
    state, rows = {}, []
    for _ in range(count):
        start = read.at
        (length,) = read.unpack(">B")
        try:
            name = read.take(length).decode()
        except UnicodeDecodeError:
            raise ValueError("corrupt compressed file: a tensor name is not UTF-8") from None
        kind, ndim = read.unpack(">BB")
        shape = read.unpack(f">{ndim}I")
        numel = int(torch.Size(shape).numel())
        info = {"name": name, "shape": tuple(shape), "storage": KINDS.get(kind, "?")}
        if kind == SPARSE:
            state[name] = _decode_sparse(read, shape, info)
        elif kind in (RAW16, RAW32, RAW_INT64):
            fmt = {RAW16: ">f2", RAW32: ">f4", RAW_INT64: ">i8"}[kind]
            size = np.dtype(fmt).itemsize
            array = np.frombuffer(read.take(size * numel), dtype=fmt).reshape(shape)
            state[name] = torch.from_numpy(array.astype("float32" if kind != RAW_INT64 else "int64"))
        else:
            raise ValueError(f"corrupt compressed file: unknown tensor kind {kind}")
        info.update(nonzero=int(torch.count_nonzero(state[name])), bytes=read.at - start)
        rows.append(info)
    if read.at != len(read.data):
        raise ValueError("corrupt compressed file: bytes left over after the last tensor")
    return state, rows


def decode(data: bytes) -> dict[str, torch.Tensor]:
    """The state dict of a file written by :func:`encode` (float tensors as float32).
    Raises ValueError for a file that is not ours, truncated or corrupt."""
    return _parse(data)[0]


def describe(data: bytes) -> list[dict]:
    """What a file holds, one dict per tensor: name, shape, storage, bytes (its share of the
    file), non-zeros and, for sparse tensors, offset_bits, clusters, entries (weights and
    fillers), fillers and stream_bits (the coded symbols), of which position_bits are the
    relative offsets' and value_bits the values' (cluster indices, or float32 patterns)."""
    return _parse(data)[1]


def save(model_or_state, path, huffman_coding: bool = True) -> int:
    """Write :func:`encode`'s bytes to ``path``; return the file's size in bytes."""
    checks.path("path", path)
    data = encode(model_or_state, huffman_coding)
    Path(path).write_bytes(data)
    return Path(path).stat().st_size


def load(path) -> dict[str, torch.Tensor]:
    """The state dict stored in ``path`` (for ``model.load_state_dict``)."""
    return decode(Path(checks.path("path", path)).read_bytes())
