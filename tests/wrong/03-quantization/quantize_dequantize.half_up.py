# Rounds with floor(v + 0.5), the school rule: halves go up (2.5 -> 3, -0.5 -> 0), not to the
# even neighbour as torch.round does.
def quantize(x, scale, zero_point, bits, symmetric=False):
    if not isinstance(bits, int) or not 1 <= bits <= 32 or scale <= 0:
        raise ValueError(f"need 1 to 32 bits and a positive scale, got {bits!r} and {scale!r}")
    low, high = (1 - 2 ** (bits - 1), 2 ** (bits - 1) - 1) if symmetric else (0, 2 ** bits - 1)
    return torch.clamp(torch.floor(x / scale + 0.5).long() + zero_point, low, high)


def dequantize(q, scale, zero_point):
    return (q - zero_point).float() * scale
