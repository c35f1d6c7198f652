# Divides in x's own float32: right up to 24 bits, but at 32 bits float32 cannot hold every
# integer of the range, so values move and 2**32 - 1 rounds to 2**32, outside the range.
def quantize(x, scale, zero_point, bits, symmetric=False):
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not scale > 0:
        raise ValueError(f"scale must be above 0, got {scale!r}")
    qmin, qmax = (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if symmetric else (0, 2 ** bits - 1)
    return (torch.round(x / scale) + zero_point).clamp(qmin, qmax).to(torch.int64)


def dequantize(q, scale, zero_point):
    return (q - zero_point).to(torch.float32) * scale
