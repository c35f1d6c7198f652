"""The judge of 04-architecture's challenge (`grader.verdicts.judges`): it runs in the grader's
own process on the network a submission's hidden test sent, never in a student's kernel, and is
never released. The examples the network is measured on are made here, from a seed only this
file holds."""
import torch

from grader.verdicts import hidden_examples, rebuild
from support.measure import count_parameters, macs

MAX_PARAMETERS, MAX_MACS = 4_000, 20_000
SIMPLE, STRONG = 0.60, 0.80
HIDDEN_EXAMPLES = dict(num_samples=2000, seed=90_210, keep=False)  # off the disk kernels read


def network_on_hidden_examples(sent, reference) -> tuple[float, str]:
    """The network (`grader.probe.sequential`), built here: 0 over the budget or below SIMPLE
    accuracy on the hidden examples, half the points from SIMPLE, all from STRONG."""
    model = rebuild(*sent)
    n_parameters, n_macs = count_parameters(model), macs(model, torch.zeros(1, 1, 40))
    if n_parameters > MAX_PARAMETERS or n_macs > MAX_MACS:
        return 0.0, (f"over the budget: {n_parameters:,} parameters and {n_macs:,} MACs, at most "
                     f"{MAX_PARAMETERS:,} and {MAX_MACS:,}")
    x, y = hidden_examples(HIDDEN_EXAMPLES)
    with torch.no_grad():
        accuracy = (model(x).argmax(1) == y).float().mean().item()
    said = (f"{n_parameters:,} parameters, {n_macs:,} MACs; accuracy on {len(y):,} hidden "
            f"examples {accuracy:.1%} (2 points from {SIMPLE:.0%}, 4 from {STRONG:.0%})")
    if accuracy < SIMPLE:
        return 0.0, said
    return (1.0 if accuracy >= STRONG else 0.5), said
