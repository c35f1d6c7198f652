# Starts from clusters values picked at random (Forgy's initialisation, sorted) instead of
# evenly spaced ones: it finds well-separated groups, but not the clustering Deep Compression's
# linear initialisation gives, and a rare large weight rarely gets a centroid of its own.
def kmeans(values, clusters, iterations=30):
    if not isinstance(values, torch.Tensor) or not values.is_floating_point() or values.ndim != 1:
        raise ValueError("values must be a 1-D float tensor")
    n = values.numel()
    if n == 0:
        raise ValueError("cannot cluster an empty tensor")
    if isinstance(clusters, bool) or not isinstance(clusters, int) or not 1 <= clusters <= n:
        raise ValueError(f"clusters must be an integer in [1, {n}], got {clusters!r}")
    if isinstance(iterations, bool) or not isinstance(iterations, int) or iterations < 0:
        raise ValueError(f"iterations must be an integer >= 0, got {iterations!r}")
    values = values.detach().float()
    picks = torch.randperm(n, generator=torch.Generator().manual_seed(0))[:clusters]
    centroids = values[picks].sort().values
    indices = (values[:, None] - centroids[None]).abs().argmin(1)
    for _ in range(iterations):
        sums = torch.zeros(clusters).index_add_(0, indices, values)
        counts = torch.bincount(indices, minlength=clusters)
        centroids = torch.where(counts > 0, sums / counts.clamp(min=1), centroids)
        new = (values[:, None] - centroids[None]).abs().argmin(1)
        if torch.equal(new, indices):
            break
        indices = new
    return centroids, indices
