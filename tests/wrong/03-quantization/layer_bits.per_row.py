# Restarts the offsets at the start of every row, as a compressed-sparse-row format would: the
# zeros at the end of one row and the start of the next are never counted together.
def layer_bits(weight, offset_bits):
    if isinstance(offset_bits, bool) or not isinstance(offset_bits, int) or offset_bits < 1:
        raise ValueError(f"offset_bits must be an integer >= 1, got {offset_bits!r}")
    rows = weight.detach().reshape(weight.shape[0] if weight.ndim > 1 else 1, -1)
    k = torch.unique(rows[rows != 0]).numel()
    entries = 0
    for row in rows:
        previous = -1
        for position in torch.nonzero(row).flatten().tolist():
            entries += 1 + (position - previous - 1) // 2 ** offset_bits
            previous = position
    return 32 * k + entries * (offset_bits + max(1, k.bit_length()))
