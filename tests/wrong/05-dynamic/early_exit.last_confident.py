# Lets an example leave at the *last* early exit that is confident enough instead of the first:
# the loop overwrites an earlier exit with a later one, so the example runs stages for nothing.
def early_exit(logits, threshold):
    if isinstance(logits, torch.Tensor) or not isinstance(logits, (list, tuple)) or not logits:
        raise ValueError("logits must be a non-empty list of (B, C) tensors")
    if logits[0].ndim != 2 or any(z.shape != logits[0].shape for z in logits):
        raise ValueError("every exit's logits must have one (B, C) shape")
    K = len(logits)
    thresholds = list(threshold) if isinstance(threshold, (list, tuple)) else [threshold] * (K - 1)
    if len(thresholds) != K - 1 or any(not 0 <= t <= 1 for t in thresholds):
        raise ValueError(f"expected {K - 1} thresholds in [0, 1], got {threshold!r}")
    exits = torch.full((len(logits[0]),), K - 1, dtype=torch.long)
    for k in range(K - 1):
        confidence = torch.softmax(logits[k], dim=1).max(dim=1).values
        exits[confidence > thresholds[k]] = k
    predictions = torch.stack(logits)[exits, torch.arange(len(exits))].argmax(dim=1)
    return predictions, exits
