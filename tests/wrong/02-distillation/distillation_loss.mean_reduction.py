# Uses kl_div's reduction="mean", which also divides by the number of classes.
def distillation_loss(student_logits, teacher_logits, labels, T, alpha):
    if not T > 0 or not 0 <= alpha <= 1:
        raise ValueError("T must be > 0 and alpha in [0, 1]")
    soft = F.kl_div(F.log_softmax(student_logits / T, dim=-1), F.softmax(teacher_logits / T, dim=-1),
                    reduction="mean") * T ** 2
    return alpha * soft + (1 - alpha) * F.cross_entropy(student_logits, labels)
