# Never clears the gradients: each step adds the new gradient to all the old ones.
def distillation_step(student, teacher, optimizer, x, y, T, alpha):
    teacher.eval()
    with torch.no_grad():
        teacher_logits = teacher(x)
    loss = distillation_loss(student(x), teacher_logits, y, T, alpha)
    loss.backward()
    optimizer.step()
    return loss.item()
