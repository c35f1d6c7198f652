# Counts only positive values as "firing": right after a ReLU, wrong for tanh or leaky ReLU.
def neuron_importance(activations):
    return (activations > 0).float().transpose(0, 1).flatten(1).mean(1)
