# Prunes every layer to the same sparsity: one threshold per layer, not one for the network.
def global_magnitude_masks(weights, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
    masks = {}
    for name, w in weights.items():
        order = torch.argsort(w.detach().abs().flatten(), stable=True)
        keep = torch.ones(w.numel(), dtype=torch.bool)
        keep[order[:round(sparsity * w.numel())]] = False
        masks[name] = keep.view(w.shape)
    return masks
