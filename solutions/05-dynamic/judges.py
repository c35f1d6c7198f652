"""The judge of 05-dynamic's challenge (`grader.verdicts.judges`): it runs in the grader's own
process on the thresholds a submission's hidden test sent, never in a student's kernel, and is
never released. The new signals the thresholds are measured on are made here, from a seed only
this file holds."""
import torch
from torch import nn

from grader.verdicts import hidden_examples
from support import cache, data, early_exit as ee, models
from support.train import predict

MAX_DROP, NEW_MARGIN, ABOVE = 0.01, 0.01, 1.02
NEW_SIGNALS = dict(num_samples=4000, seed=90517, keep=False)  # off the disk kernels read


def _network():
    """The notebook's early-exit network, trained as its setup cell trains it (one thread: the
    same cache entry), its validation logits and labels, and each exit's cost."""
    torch.set_num_threads(1)
    signals = data.mnist1d(num_samples=6000, val_fraction=0.3)
    cnn = models.cnn1d(channels=(16, 32, 64), seed=0)
    heads = [nn.Sequential(nn.AdaptiveAvgPool1d(5), nn.Flatten(), nn.Linear(c * 5, 10))
             for c in (16, 32)]
    network = ee.EarlyExitNet([cnn[0:2], cnn[2:4], cnn[4:6]], [*heads, cnn[6:]])
    cache.fit(network, signals, epochs=10, lr=5e-3, batch_size=64, seed=0,
              loss_fn=ee.loss_fn([1, 1, 1]), output=-1, progress=False)
    exit_macs = ee.exit_costs(*ee.part_macs(network, signals.x_val[:1]))
    return network, predict(network, signals, "val"), signals.y_val, exit_macs


def _cost_and_accuracy(logits, labels, pair, exit_macs):
    confidences = [torch.softmax(z, 1).max(1).values for z in logits[:2]]
    exits = torch.full(labels.shape, 2, dtype=torch.long)
    for k in (1, 0):                                    # the rule of part 1, in float32
        exits[confidences[k] > float(pair[k])] = k
    predictions = torch.stack(logits)[exits, torch.arange(len(exits))].argmax(1)
    accuracy = (predictions == labels).double().mean().item()
    cost = torch.tensor(exit_macs, dtype=torch.float64)[exits].mean().item()
    return cost, accuracy


def _baselines(val_logits, y_val, exit_macs):
    """The simple (one threshold of the 0.01 grid at both exits) and strong (the cheapest pair
    of the grid) baselines, chosen on the validation data within MAX_DROP."""
    grid = torch.linspace(0, 1, 101).round(decimals=2)   # compared in float32, as the rule
    first_conf, second_conf = (torch.softmax(z, 1).max(1).values for z in val_logits[:2])
    first_right, second_right, last_right = ((z.argmax(1) == y_val).double() for z in val_logits)
    floor = last_right.mean().item() - MAX_DROP
    table = []                                           # (t1, t2, cost, accuracy) of every pair
    for t1 in grid.tolist():
        leave_first = first_conf > t1                                            # (N,)
        leave_second = (second_conf[None, :] > grid[:, None]) & ~leave_first      # (grid, N)
        rest = (~leave_first & ~leave_second).double()
        leave_first, leave_second = leave_first.double(), leave_second.double()
        cost = (leave_first * exit_macs[0] + leave_second * exit_macs[1]
                + rest * exit_macs[2]).mean(1)
        accuracy = (leave_first * first_right + leave_second * second_right
                    + rest * last_right).mean(1)
        table += [(t1, t2, c, a) for t2, c, a in zip(grid.tolist(), cost.tolist(), accuracy.tolist())]
    allowed = [row for row in table if row[3] >= floor - 1e-12]
    simple = min(row[0] for row in allowed if row[0] == row[1])
    strong = min(allowed, key=lambda row: (row[2], -row[3]))
    return (simple, simple), strong[:2]


def thresholds_on_new_signals(thresholds, reference) -> tuple[float, str]:
    """The chosen thresholds applied to new signals: 0 below the last exit's accuracy minus
    MAX_DROP and NEW_MARGIN, or above ABOVE times the simple baseline's cost; half the points
    within it, all within ABOVE times the strong baseline's."""
    thresholds = [float(t) for t in thresholds]
    if len(thresholds) != 2 or not all(0 <= t <= 1 for t in thresholds):
        return 0.0, f"expected 2 thresholds in [0, 1], got {thresholds}"
    network, val_logits, y_val, exit_macs = _network()
    simple, strong = _baselines(val_logits, y_val, exit_macs)
    new_x, new_y = hidden_examples(NEW_SIGNALS)
    new_logits = predict(network, new_x)
    simple_cost = _cost_and_accuracy(new_logits, new_y, simple, exit_macs)[0]
    strong_cost = _cost_and_accuracy(new_logits, new_y, strong, exit_macs)[0]
    cost, accuracy = _cost_and_accuracy(new_logits, new_y, thresholds, exit_macs)
    floor = (new_logits[-1].argmax(1) == new_y).double().mean().item() - MAX_DROP - NEW_MARGIN
    said = (f"on new signals accuracy {accuracy:.4f} (at least {floor:.4f} required), "
            f"{cost:,.0f} MACs per example; simple baseline {simple_cost:,.0f}, "
            f"strong baseline {strong_cost:,.0f}")
    if accuracy < floor or cost > ABOVE * simple_cost:
        return 0.0, said
    return (0.5 if cost > ABOVE * strong_cost else 1.0), said
