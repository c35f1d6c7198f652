# Sums the state dict: counts a BatchNorm's running statistics (buffers) as parameters.
def count_parameters(model):
    return sum(t.numel() for t in model.state_dict().values())
