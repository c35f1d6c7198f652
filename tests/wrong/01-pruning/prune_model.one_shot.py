# keeps 2 points: one-shot global magnitude pruning to 50%, then three epochs of fine-tuning
# with the pruned weights held at zero. Within the margin, and the simple baseline, but far
# from what pruning in steps reaches.
from support import prune


def prune_model(model, splits):
    weights = prune.prunable(model)     # one threshold for all layers, written out
    threshold = torch.cat([w.detach().abs().flatten() for w in weights.values()]).median()
    masks = {name: w.detach().abs() > threshold for name, w in weights.items()}
    prune.apply_masks(model, masks)
    fit(model, splits, epochs=3, lr=1e-3, seed=1, after_step=prune.keep_masked(masks),
        progress=False)
    return model
