# Averages the teachers' logits, then takes one softmax: not the mean of their probabilities.
def ensemble_soft_targets(teacher_logits, T):
    teacher_logits = list(teacher_logits)
    if not teacher_logits or not T > 0:
        raise ValueError("need at least one teacher and T > 0")
    return torch.softmax(torch.stack(teacher_logits).mean(dim=0) / T, dim=-1)
