# Rounds with floor(v + 0.5), the school rule: halves go up (2.5 -> 3, -0.5 -> 0), not to the
# even neighbour as torch.round does.
def quantize(x, scale, zero_point, bits, symmetric=False):
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not scale > 0:
        raise ValueError(f"scale must be above 0, got {scale!r}")
    qmin, qmax = (-(2 ** (bits - 1) - 1), 2 ** (bits - 1) - 1) if symmetric else (0, 2 ** bits - 1)
    q = torch.floor(x / scale + 0.5) + zero_point
    return q.clamp(qmin, qmax).to(torch.int64)


def dequantize(q, scale, zero_point):
    return (q - zero_point).to(torch.float32) * scale
