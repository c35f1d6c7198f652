# Forgets that each group sees only in_channels / groups inputs.
def conv2d_macs(in_channels, out_channels, kernel_size, input_size, stride=1, padding=0, groups=1):
    def pair(v):
        return (v, v) if isinstance(v, int) else tuple(v)

    (kh, kw), (h, w), (sh, sw), (ph, pw) = map(pair, (kernel_size, input_size, stride, padding))
    if in_channels % groups or out_channels % groups or h + 2 * ph < kh or w + 2 * pw < kw:
        raise ValueError("bad convolution")
    h_out = (h + 2 * ph - kh) // sh + 1
    w_out = (w + 2 * pw - kw) // sw + 1
    return out_channels * h_out * w_out * in_channels * kh * kw
