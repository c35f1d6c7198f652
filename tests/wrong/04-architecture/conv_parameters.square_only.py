# Assumes a square kernel: for a pair (k_h, k_w) it uses k_h * k_h.
def conv_parameters(in_channels, out_channels, kernel_size, bias=True):
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if not isinstance(kernel, tuple) or len(kernel) != 2:
        raise ValueError(f"kernel_size must be an integer or a tuple of two, got {kernel_size!r}")
    for value in (in_channels, out_channels, *kernel):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"expected an integer >= 1, got {value!r}")
    k = kernel[0]
    return k * k * in_channels * out_channels + (out_channels if bias else 0)
