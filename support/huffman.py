"""Huffman coding: frequent symbols in few bits, rare symbols in more (Huffman 1952).

A code maps each symbol to a string of '0' and '1'. It is *prefix-free* (no codeword starts
another), so a bit stream decodes without separators, and Huffman's construction makes the
total length sum(count * len(code)) as small as any prefix-free code can: within one bit per
symbol of the entropy of the counts.

The codes here are *canonical*: only each symbol's code length matters, and the codewords
follow from the lengths (sorted by length, then symbol, counting up in binary), as in DEFLATE.
A file then stores the lengths, not the code. Ties between equal counts are broken by
symbol order, so the same counts always give the same code and the same bytes.
"""
from __future__ import annotations

import heapq
import math
from collections import Counter
from typing import Iterable, Mapping

from . import checks

__all__ = ["code_lengths", "canonical_code", "huffman_code", "encode", "decode", "entropy",
           "code_bits", "pack_bits", "unpack_bits"]


def _check_counts(counts: Mapping) -> dict:
    checks.mapping("counts (each symbol's count)", counts)
    for symbol, count in counts.items():
        checks.integer(f"the count of symbol {symbol!r}", count, low=0)
    used = {s: c for s, c in counts.items() if c > 0}
    if not used:
        raise ValueError("a Huffman code needs at least one symbol with a positive count")
    return used


def code_lengths(counts: Mapping) -> dict:
    """{symbol: code length} of an optimal prefix-free code for ``counts`` ({symbol: count}).

    Symbols of count 0 get no code; a single symbol gets length 1. Huffman's algorithm
    merges the two lightest trees until one is left. Ties go by rank: leaves rank in symbol
    order, each merged tree ranks after every leaf and every earlier merge, and the lower
    rank is merged first."""
    used = _check_counts(counts)
    if len(used) == 1:
        return {next(iter(used)): 1}
    heap = [(count, rank, [symbol]) for rank, (symbol, count) in enumerate(sorted(used.items()))]
    heapq.heapify(heap)
    lengths = dict.fromkeys(used, 0)
    rank = len(heap)
    while len(heap) > 1:
        c1, _, s1 = heapq.heappop(heap)
        c2, _, s2 = heapq.heappop(heap)
        for symbol in s1 + s2:
            lengths[symbol] += 1
        heapq.heappush(heap, (c1 + c2, rank, s1 + s2))
        rank += 1
    return lengths


def _check_code(code: Mapping) -> dict:
    """{codeword: symbol} of ``code`` ({symbol: codeword}), or an error unless the codewords
    are distinct non-empty strings of '0' and '1' of which none starts another."""
    checks.mapping("code ({symbol: codeword})", code)
    if not code:
        raise ValueError("a code needs at least one symbol, got an empty code")
    for symbol, word in code.items():
        if not isinstance(word, str) or not word or word.strip("01"):
            raise ValueError(f"the codeword of {symbol!r} must be a non-empty string of '0' "
                             f"and '1', got {checks.describe(word)}")
    table = {word: symbol for symbol, word in code.items()}
    if len(table) != len(code):
        raise ValueError("two symbols share a codeword: a code must be prefix-free")
    words = sorted(table)    # a codeword that starts another sorts right before it, or a run of such
    for shorter, longer in zip(words, words[1:]):
        if longer.startswith(shorter):
            raise ValueError(f"the code must be prefix-free, but codeword {shorter!r} "
                             f"({table[shorter]!r}) starts {longer!r} ({table[longer]!r})")
    return table


def canonical_code(lengths: Mapping) -> dict:
    """{symbol: codeword} of the canonical code with these code lengths: symbols sorted by
    (length, symbol) get consecutive binary numbers, shifted left when the length grows.
    Raises ValueError unless the lengths are positive and satisfy Kraft's inequality
    (sum 2**-length <= 1), the condition for a prefix-free code to exist."""
    checks.mapping("lengths (each symbol's code length)", lengths)
    if not lengths:
        raise ValueError("a code needs at least one symbol")
    for symbol, length in lengths.items():
        checks.integer(f"the code length of {symbol!r}", length, low=1)
    if sum(2.0 ** -length for length in lengths.values()) > 1:
        raise ValueError("these code lengths break Kraft's inequality: no prefix-free code has them")
    code, value, previous = {}, 0, None
    for symbol, length in sorted(lengths.items(), key=lambda item: (item[1], item[0])):
        if previous is not None:
            value = (value + 1) << (length - previous)
        code[symbol] = format(value, f"0{length}b")
        previous = length
    return code


def huffman_code(counts: Mapping) -> dict:
    """{symbol: codeword}: the canonical Huffman code of ``counts`` ({symbol: count})."""
    return canonical_code(code_lengths(counts))


def pack_bits(bits: str) -> bytes:
    """A string of '0' and '1' as bytes, most significant bit first, the last byte padded
    with zeros."""
    if checks.text("bits", bits).strip("01"):
        raise ValueError("bits must be a string of '0' and '1'")
    padded = bits + "0" * (-len(bits) % 8)
    return int(padded, 2).to_bytes(len(padded) // 8, "big") if padded else b""


def unpack_bits(data: bytes, nbits: int) -> str:
    """The first ``nbits`` bits of ``data`` as a string of '0' and '1'."""
    if not isinstance(data, (bytes, bytearray)):
        raise checks.WrongType(f"data must be bytes, got {checks.describe(data)}")
    checks.integer(f"nbits (for {len(data)} bytes)", nbits, 0, 8 * len(data))
    return format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")[:nbits] if data else ""


def encode(symbols: Iterable, code: Mapping) -> tuple[bytes, int]:
    """(bytes, number of bits) of ``symbols`` written with ``code`` ({symbol: codeword}).
    Raises ValueError for a symbol without a codeword, or a code that is not prefix-free."""
    _check_code(code)
    try:
        bits = "".join(code[s] for s in symbols)
    except KeyError as error:
        raise ValueError(f"symbol {error.args[0]!r} has no codeword") from None
    return pack_bits(bits), len(bits)


def decode(data: bytes, nbits: int, code: Mapping, count: int | None = None) -> list:
    """The symbols of the first ``nbits`` bits of ``data`` under the prefix-free ``code``.
    Raises ValueError if the bits do not end on a codeword boundary, or if ``count`` is
    given and a different number of symbols comes out, or for a code that is not
    prefix-free (codewords of '0' and '1', none the start of another)."""
    table = _check_code(code)
    if count is not None:
        checks.integer("count", count, low=0)
    symbols, word = [], ""
    for bit in unpack_bits(data, nbits):
        word += bit
        if word in table:
            symbols.append(table[word])
            word = ""
    if word:
        raise ValueError(f"the bit stream ends inside a codeword ({word!r})")
    if count is not None and len(symbols) != count:
        raise ValueError(f"expected {count} symbols, decoded {len(symbols)}")
    return symbols


def entropy(counts: Mapping) -> float:
    """Shannon entropy of the counts in bits per symbol: no code can use fewer on average."""
    used = _check_counts(counts)
    total = sum(used.values())
    return -sum(c / total * math.log2(c / total) for c in used.values())


def code_bits(symbols: Iterable, code: Mapping) -> int:
    """Total bits of ``symbols`` under ``code``, without writing them. Raises ValueError as
    :func:`encode` does: for a symbol without a codeword, or a code that is not prefix-free."""
    _check_code(code)
    try:
        return sum(c * len(code[s]) for s, c in Counter(symbols).items())
    except KeyError as error:
        raise ValueError(f"symbol {error.args[0]!r} has no codeword") from None
