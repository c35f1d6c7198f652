# Forgets to widen the range to include 0: a range of positive values only then has no integer
# for 0, so a pruned weight no longer comes back as exactly 0.
def scale_zero_point(x_min, x_max, bits, symmetric=False):
    low = 2 if symmetric else 1
    if isinstance(bits, bool) or not isinstance(bits, int) or not low <= bits <= 32:
        raise ValueError(f"bits must be an integer in [{low}, 32], got {bits!r}")
    if not (math.isfinite(x_min) and math.isfinite(x_max)) or x_min > x_max:
        raise ValueError(f"need finite x_min <= x_max, got {x_min} and {x_max}")
    if symmetric:
        scale = max(abs(x_min), abs(x_max)) / (2 ** (bits - 1) - 1)
        return (scale if scale > 0 else 1.0), 0
    scale = (x_max - x_min) / (2 ** bits - 1)
    scale = scale if scale > 0 else 1.0
    return scale, int(-round(x_min / scale))
