# keeps 2 points: the same small MLP trained on the labels alone, as long and with the same
# learning rate as a distilled one. A fair simple baseline, but it never hears from the teacher.
def distil_student(teacher, splits):
    student = models.mlp((1, 40), hidden=(100, 50), num_classes=10, seed=0)
    fit(student, splits.loader("train", batch_size=256, seed=0), epochs=40, lr=1e-2, seed=0,
        progress=False)
    return student
