# Subtracts the largest logit of the whole batch, not of each example: a row far below the
# batch's maximum underflows to 0 / 0.
def softmax_with_temperature(logits, T):
    if not T > 0:
        raise ValueError(f"the temperature T must be > 0, got {T!r}")
    exp = torch.exp((logits - logits.max()) / T)
    return exp / exp.sum(dim=-1, keepdim=True)
