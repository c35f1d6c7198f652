# Leaves the teacher in whatever mode it came in: a batch-norm teacher in training mode uses
# the batch's statistics and updates its running ones.
def distillation_step(student, teacher, optimizer, x, y, T, alpha):
    with torch.no_grad():
        teacher_logits = teacher(x)
    loss = distillation_loss(student(x), teacher_logits, y, T, alpha)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
