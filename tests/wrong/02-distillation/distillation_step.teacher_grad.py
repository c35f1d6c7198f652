# Calls the teacher with gradients on: backward() reaches into the frozen teacher.
def distillation_step(student, teacher, optimizer, x, y, T, alpha):
    teacher.eval()
    teacher_logits = teacher(x)
    loss = distillation_loss(student(x), teacher_logits, y, T, alpha)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    return loss.item()
