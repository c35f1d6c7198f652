# Starts from clusters values picked at random (Forgy's initialisation, sorted) instead of
# evenly spaced ones: it finds well-separated groups, but not the clustering Deep Compression's
# linear initialisation gives, and a rare large weight rarely gets a centroid of its own.
def kmeans(values, clusters, iterations=30):
    if not isinstance(clusters, int) or not 1 <= clusters <= len(values):
        raise ValueError(f"clusters must be an integer in [1, {len(values)}], got {clusters!r}")
    generator = torch.Generator().manual_seed(0)
    centroids = values[torch.randperm(len(values), generator=generator)[:clusters]].sort().values

    def nearest(centroids):
        return torch.argmin((values.unsqueeze(1) - centroids.unsqueeze(0)).abs(), dim=1)

    indices = nearest(centroids)
    for _ in range(iterations):
        centroids = centroids.clone()
        for j in range(clusters):
            if (indices == j).any():
                centroids[j] = values[indices == j].mean()
        new = nearest(centroids)
        if (new == indices).all():
            break
        indices = new
    return centroids, indices
