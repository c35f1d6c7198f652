# A prefix-free code, but not Huffman's: the symbols sorted by count get 0, 10, 110, 1110, ...
# (the last one all 1s). Fine for very skewed counts, far from optimal for even ones.
def huffman_code(counts):
    if not isinstance(counts, dict):
        raise ValueError(f"counts must be a dict, got {type(counts).__name__}")
    for symbol, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"the count of {symbol!r} must be an integer >= 0, got {count!r}")
    used = sorted((s for s, c in counts.items() if c > 0), key=lambda s: (-counts[s], s))
    if not used:
        raise ValueError("need at least one count above 0")
    if len(used) == 1:
        return {used[0]: "0"}
    code = {symbol: "1" * i + "0" for i, symbol in enumerate(used[:-1])}
    code[used[-1]] = "1" * (len(used) - 1)
    return code
