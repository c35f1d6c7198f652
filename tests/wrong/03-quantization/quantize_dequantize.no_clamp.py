# Rounds but never clamps: a value beyond the range becomes an integer that b bits cannot hold.
def quantize(x, scale, zero_point, bits, symmetric=False):
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not scale > 0:
        raise ValueError(f"scale must be above 0, got {scale!r}")
    return (torch.round(x / scale) + zero_point).to(torch.int64)


def dequantize(q, scale, zero_point):
    return (q - zero_point).to(torch.float32) * scale
