# Takes the first of the most accurate classifiers that fit, not the cheapest of them.
def best_under_budget(costs, accuracies, budget):
    if not costs or len(costs) != len(accuracies) or budget < 0 or any(c < 0 for c in costs):
        raise ValueError("one accuracy per cost, costs and budget >= 0")
    fits = [i for i, c in enumerate(costs) if c <= budget]
    if not fits:
        raise ValueError(f"no classifier fits a budget of {budget}")
    return max(fits, key=lambda i: (accuracies[i], -i))
