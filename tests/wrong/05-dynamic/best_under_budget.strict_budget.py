# Reads "within the budget" as strictly below it: a classifier that costs exactly the budget is
# refused.
def best_under_budget(costs, accuracies, budget):
    if not costs or len(costs) != len(accuracies) or budget < 0 or any(c < 0 for c in costs):
        raise ValueError("one accuracy per cost, costs and budget >= 0")
    fits = [i for i, c in enumerate(costs) if c < budget]
    if not fits:
        raise ValueError(f"no classifier fits a budget of {budget}")
    return min(fits, key=lambda i: (-accuracies[i], costs[i], i))
