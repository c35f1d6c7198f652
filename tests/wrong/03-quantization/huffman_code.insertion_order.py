# Huffman's algorithm and canonical codewords, but ties between equal counts are broken in the
# order the dict lists its symbols, not in sorted symbol order: the same counts given in another
# order give another code.
def huffman_code(counts):
    if any(count < 0 for count in counts.values()):
        raise ValueError("counts must not be negative")
    trees = [(count, rank, (symbol,)) for rank, (symbol, count) in enumerate(counts.items()) if count]
    depth = {tree[2][0]: 0 for tree in trees}
    heapq.heapify(trees)
    next_rank = len(trees)
    while len(trees) > 1:
        first, second = heapq.heappop(trees), heapq.heappop(trees)
        for symbol in first[2] + second[2]:
            depth[symbol] += 1
        heapq.heappush(trees, (first[0] + second[0], next_rank, first[2] + second[2]))
        next_rank += 1
    code, word, last = {}, -1, 0
    for symbol in sorted(depth, key=lambda s: (max(depth[s], 1), s)):
        length = max(depth[symbol], 1)
        word = 0 if word < 0 else (word + 1) << (length - last)
        code[symbol], last = format(word, "b").zfill(length), length
    return code
