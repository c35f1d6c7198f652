# Averages over the examples only: a convolution's (N, C, H, W) gives (C, H, W), not (C,).
def neuron_importance(activations):
    return (activations != 0).float().mean(0)
