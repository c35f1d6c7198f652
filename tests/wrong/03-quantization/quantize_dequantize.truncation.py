# Converts x / scale to an integer by truncation (towards zero) instead of rounding to the
# nearest integer: values move by up to a whole step instead of half of one.
def quantize(x, scale, zero_point, bits, symmetric=False):
    if not isinstance(bits, int) or not 1 <= bits <= 32 or scale <= 0:
        raise ValueError(f"need 1 to 32 bits and a positive scale, got {bits!r} and {scale!r}")
    qmax = 2 ** (bits - 1) - 1 if symmetric else 2 ** bits - 1
    return ((x / scale).long() + zero_point).clamp(-qmax if symmetric else 0, qmax)


def dequantize(q, scale, zero_point):
    return (q - zero_point).float() * scale
