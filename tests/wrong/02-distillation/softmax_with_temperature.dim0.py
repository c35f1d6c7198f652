# Normalises over the first dimension: right for one example (C,), wrong for a batch (B, C).
def softmax_with_temperature(logits, T):
    if not T > 0:
        raise ValueError(f"the temperature T must be > 0, got {T!r}")
    return torch.softmax(logits / T, dim=0)
