# Rounds but never clamps: a value beyond the range becomes an integer that b bits cannot hold.
def quantize(x, scale, zero_point, bits, symmetric=False):
    if not isinstance(bits, int) or not 1 <= bits <= 32 or scale <= 0:
        raise ValueError(f"need 1 to 32 bits and a positive scale, got {bits!r} and {scale!r}")
    return torch.round(x / scale).long() + zero_point


def dequantize(q, scale, zero_point):
    return (q - zero_point).float() * scale
