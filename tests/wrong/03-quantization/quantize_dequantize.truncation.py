# Converts x / scale to an integer by truncation (towards zero) instead of rounding to the
# nearest integer: values move by up to a whole step instead of half of one.
def quantize(x, scale, zero_point, bits, symmetric=False):
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not scale > 0:
        raise ValueError(f"scale must be above 0, got {scale!r}")
    qmin, qmax = (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if symmetric else (0, 2 ** bits - 1)
    q = (x / scale).to(torch.int64) + zero_point
    return q.clamp(qmin, qmax)


def dequantize(q, scale, zero_point):
    return (q - zero_point).to(torch.float32) * scale
