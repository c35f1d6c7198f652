# Checks every stream but never the code: a code that is not prefix-free ({"a": "0", "b": "01"})
# is read greedily, the first codeword that matches winning, instead of being refused.
def encode(symbols, code):
    try:
        bits = "".join(code[symbol] for symbol in symbols)
    except KeyError as error:
        raise ValueError(f"symbol {error.args[0]!r} has no codeword") from None
    padded = bits + "0" * (-len(bits) % 8)
    return (int(padded, 2).to_bytes(len(padded) // 8, "big") if padded else b""), len(bits)


def decode(data, nbits, code, count=None):
    if isinstance(nbits, bool) or not isinstance(nbits, int) or not 0 <= nbits <= 8 * len(data):
        raise ValueError(f"nbits must be an integer in [0, {8 * len(data)}], got {nbits!r}")
    words = {word: symbol for symbol, word in code.items()}
    if len(words) != len(code):
        raise ValueError("two symbols share a codeword")
    prefixes = {word[:i] for word in words for i in range(1, len(word))}
    symbols, word = [], ""
    for i in range(nbits):
        word += "1" if data[i // 8] >> (7 - i % 8) & 1 else "0"
        if word in words:
            symbols.append(words[word])
            word = ""
        elif word not in prefixes:
            raise ValueError(f"the bits {word!r} begin no codeword")
    if word:
        raise ValueError(f"the bits end inside a codeword: {word!r} is left")
    if count is not None and len(symbols) != count:
        raise ValueError(f"expected {count} symbols, decoded {len(symbols)}")
    return symbols
