# Decodes what it can and silently drops the bits left at the end (and never checks count): a
# truncated or corrupt stream gives a shorter list instead of an error.
def encode(symbols, code):
    if any(symbol not in code for symbol in symbols):
        raise ValueError("a symbol has no codeword")
    bits = [int(bit) for symbol in symbols for bit in code[symbol]]
    data = bytearray((len(bits) + 7) // 8)
    for i, bit in enumerate(bits):
        data[i // 8] |= bit << (7 - i % 8)
    return bytes(data), len(bits)


def decode(data, nbits, code, count=None):
    words = {word: symbol for symbol, word in code.items()}
    symbols, word = [], ""
    for i in range(nbits):
        word += str(data[i // 8] >> (7 - i % 8) & 1)
        if word in words:
            symbols.append(words[word])
            word = ""
    return symbols
