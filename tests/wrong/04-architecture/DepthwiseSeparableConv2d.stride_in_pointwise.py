# Strides in the pointwise layer: the same output, but the depthwise layer computes every
# position and the pointwise layer throws most of them away (more MACs than needed).
class DepthwiseSeparableConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        for value in (in_channels, out_channels, kernel_size):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"expected an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"expected an integer >= 1, got {value!r}")
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, padding=padding,
                                   groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, stride=stride, bias=bias)

    def forward(self, x):
        return self.pointwise(self.depthwise(x))
