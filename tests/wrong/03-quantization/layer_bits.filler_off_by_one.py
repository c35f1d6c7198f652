# Counts a filler for every 2^b - 1 zeros of a gap instead of every 2^b: a filler stands for
# 2^b - 1 zeros *and* its own stored zero, so a gap of exactly 2^b - 1 zeros needs no filler.
def layer_bits(weight, offset_bits):
    if isinstance(offset_bits, bool) or not isinstance(offset_bits, int) or offset_bits < 1:
        raise ValueError(f"offset_bits must be an integer >= 1, got {offset_bits!r}")
    flat = weight.detach().flatten()
    positions = torch.nonzero(flat).flatten().tolist()
    k = torch.unique(flat[flat != 0]).numel()
    entries, previous = 0, -1
    for position in positions:
        entries += 1 + (position - previous - 1) // (2 ** offset_bits - 1)
        previous = position
    return 32 * k + entries * (offset_bits + max(1, k.bit_length()))
