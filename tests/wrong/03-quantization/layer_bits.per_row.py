# Restarts the offsets at the start of every row, as a compressed-sparse-row format would: the
# zeros at the end of one row and the start of the next are never counted together.
def layer_bits(weight, offset_bits):
    if not isinstance(offset_bits, int) or offset_bits < 1:
        raise ValueError(f"offset_bits must be a positive integer, got {offset_bits!r}")
    rows = weight.reshape(len(weight) if weight.ndim > 1 else 1, -1)
    k = torch.unique(rows[rows != 0]).numel()
    entries = 0
    for row in rows:
        gaps = torch.diff(torch.nonzero(row).flatten(), prepend=torch.tensor([-1])) - 1
        entries += int((1 + gaps // 2 ** offset_bits).sum())
    return 32 * k + entries * (offset_bits + max(1, k.bit_length()))
