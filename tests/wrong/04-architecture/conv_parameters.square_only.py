# Assumes a square kernel: for a pair (k_h, k_w) it uses k_h * k_h.
def conv_parameters(in_channels, out_channels, kernel_size, bias=True):
    k = kernel_size if isinstance(kernel_size, int) else kernel_size[0]
    for value in (in_channels, out_channels, k):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"expected an integer >= 1, got {value!r}")
    return k * k * in_channels * out_channels + (out_channels if bias else 0)
