# Computes in float32 tensors, as support.quantize does for per-channel ranges: right to
# float32's precision up to 24 bits, but at 32 bits float32 cannot hold 2**32 - 1, and the
# zero point comes out different from the one Python's floats give.
def scale_zero_point(x_min, x_max, bits, symmetric=False):
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not (math.isfinite(x_min) and math.isfinite(x_max)) or x_min > x_max:
        raise ValueError(f"need finite x_min <= x_max, got {x_min} and {x_max}")
    lo = torch.tensor(min(x_min, 0.0), dtype=torch.float32)
    hi = torch.tensor(max(x_max, 0.0), dtype=torch.float32)
    if symmetric:
        scale = torch.maximum(-lo, hi) / (2 ** (bits - 1) - 1)
        return (scale.item() if scale > 0 else 1.0), 0
    scale = (hi - lo) / (2 ** bits - 1)
    scale = scale if scale > 0 else torch.tensor(1.0)
    return scale.item(), int(-torch.round(lo / scale).item())
