# Counts a filler for every 2^b - 1 zeros of a gap instead of every 2^b: a filler stands for
# 2^b - 1 zeros *and* its own stored zero, so a gap of exactly 2^b - 1 zeros needs no filler.
def layer_bits(weight, offset_bits):
    if not isinstance(offset_bits, int) or offset_bits < 1:
        raise ValueError(f"offset_bits must be a positive integer, got {offset_bits!r}")
    values = weight.flatten().tolist()
    k = len(set(values) - {0.0})
    entries, zeros = 0, 0
    for value in values:
        if value == 0:
            zeros += 1
        else:
            entries += 1 + zeros // (2 ** offset_bits - 1)
            zeros = 0
    return 32 * k + entries * (offset_bits + max(1, k.bit_length()))
