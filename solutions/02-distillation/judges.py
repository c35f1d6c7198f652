"""The judges of 02-distillation's challenge (`grader.verdicts.judges`): they run in the
grader's own process on what a submission's hidden test sent, never in a student's kernel, and
are never released. The new signals the student is measured on are made here, from a seed only
this file holds."""
import torch

from grader.verdicts import at_most, hidden_examples, rebuild

MAX_PARAMETERS, SIMPLE, STRONG, SECONDS = 10_000, 0.57, 0.625, 20.0
NEW_SIGNALS = dict(num_samples=4000, seed=60217, keep=False)  # off the disk kernels read
LAYERS = {"Flatten", "Linear", "ReLU"}


within_time = at_most(SECONDS, "seconds of CPU time of distil_student")


def student_on_new_signals(sent, reference) -> tuple[float, str]:
    """The student (`grader.probe.sequential`), built here and measured on the new signals: 0
    for other layers than LAYERS, above MAX_PARAMETERS or below SIMPLE accuracy, half the
    points from SIMPLE, all from STRONG."""
    layers, state = sent
    kinds = {name for name, _ in layers}
    if not kinds <= LAYERS:
        return 0.0, f"the student holds {sorted(kinds - LAYERS)}: {sorted(LAYERS)} only"
    student = rebuild(layers, state)
    size = sum(p.numel() for p in student.parameters())
    if size > MAX_PARAMETERS:
        return 0.0, f"the student has {size:,} parameters, more than {MAX_PARAMETERS:,}"
    x, y = hidden_examples(NEW_SIGNALS)
    with torch.no_grad():
        accuracy = (student(x).argmax(1) == y).float().mean().item()
    said = (f"{size:,} parameters; on new signals accuracy {accuracy:.3f} "
            f"(2 points from {SIMPLE}, 4 from {STRONG})")
    if accuracy < SIMPLE:
        return 0.0, said
    return (1.0 if accuracy >= STRONG else 0.5), said
