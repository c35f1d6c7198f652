# A prefix-free code, but not Huffman's: the symbols sorted by count get 0, 10, 110, 1110, ...
# (the last one all 1s). Fine for very skewed counts, far from optimal for even ones.
def huffman_code(counts):
    if any(count < 0 for count in counts.values()):
        raise ValueError("counts must not be negative")
    used = sorted((s for s, c in counts.items() if c > 0), key=lambda s: (-counts[s], s))
    if len(used) == 1:
        return {used[0]: "0"}
    code = {symbol: "1" * i + "0" for i, symbol in enumerate(used[:-1])}
    code[used[-1]] = "1" * (len(used) - 1)
    return code
