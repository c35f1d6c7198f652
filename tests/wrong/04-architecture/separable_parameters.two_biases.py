# Gives the depthwise layer a bias too: I + O biases instead of O.
def separable_parameters(in_channels, out_channels, kernel_size, bias=True):
    kh, kw = (kernel_size, kernel_size) if isinstance(kernel_size, int) else kernel_size
    for value in (in_channels, out_channels, kh, kw):
        if not isinstance(value, int) or value < 1:
            raise ValueError(f"expected an integer >= 1, got {value!r}")
    depthwise = kh * kw * in_channels + (in_channels if bias else 0)
    pointwise = in_channels * out_channels + (out_channels if bias else 0)
    return depthwise + pointwise
