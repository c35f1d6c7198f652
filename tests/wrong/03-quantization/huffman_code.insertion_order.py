# Huffman's algorithm and canonical codewords, but ties between equal counts are broken in the
# order the dict lists its symbols, not in sorted symbol order: the same counts given in another
# order give another code.
def huffman_code(counts):
    if not isinstance(counts, dict):
        raise ValueError(f"counts must be a dict, got {type(counts).__name__}")
    for symbol, count in counts.items():
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValueError(f"the count of {symbol!r} must be an integer >= 0, got {count!r}")
    used = [(s, c) for s, c in counts.items() if c > 0]
    if not used:
        raise ValueError("need at least one count above 0")
    lengths = {s: (1 if len(used) == 1 else 0) for s, _ in used}
    heap = [(c, rank, [s]) for rank, (s, c) in enumerate(used)]
    heapq.heapify(heap)
    rank = len(heap)
    while len(heap) > 1:
        c1, _, s1 = heapq.heappop(heap)
        c2, _, s2 = heapq.heappop(heap)
        for s in s1 + s2:
            lengths[s] += 1
        heapq.heappush(heap, (c1 + c2, rank, s1 + s2))
        rank += 1
    code, value, previous = {}, 0, None
    for symbol, length in sorted(lengths.items(), key=lambda item: (item[1], item[0])):
        if previous is not None:
            value = (value + 1) << (length - previous)
        code[symbol] = format(value, f"0{length}b")
        previous = length
    return code
