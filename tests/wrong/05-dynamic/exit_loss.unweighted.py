# Checks the weights but never uses them: every exit's cross-entropy counts once.
def exit_loss(logits, labels, weights):
    if isinstance(logits, torch.Tensor) or not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError("logits must be a non-empty list of (B, C) tensors")
    if logits[0].ndim != 2 or any(z.shape != logits[0].shape for z in logits):
        raise ValueError("every exit's logits must have one (B, C) shape")
    weights = list(weights)
    if len(weights) != len(logits) or any(w < 0 for w in weights) or not any(w > 0 for w in weights):
        raise ValueError("one weight >= 0 per exit, not all zero")
    return sum(F.cross_entropy(z, labels) for z in logits)
