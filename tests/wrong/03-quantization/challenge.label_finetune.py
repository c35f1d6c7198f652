# loses: test_challenge test_challenge_strong
# The solution's pipeline, but fine-tuned on the data set's labels instead of the original
# model's outputs: fine for the given model, ruinous for a model whose classes are relabelled.
import copy

from support import codec, prune
from support import quantize as course_quantize
from support.data import mnist1d

SPARSITY = {"0.weight": 0.0, "2.weight": 0.25, "4.weight": 0.35, "7.weight": 0.35}
CLUSTERS = {"0.weight": 32, "2.weight": 16, "4.weight": 16, "7.weight": 32}


def compress(model):
    model = copy.deepcopy(model)
    splits = mnist1d()
    weights = prune.prunable(model)
    masks = {name: prune.magnitude_mask(w, SPARSITY[name]) for name, w in weights.items()}
    prune.apply_masks(model, masks)
    fit(model, splits, epochs=3, lr=5e-4, seed=1, after_step=prune.keep_masked(masks), progress=False)
    for name in weights:
        course_quantize.share_weights(model.get_submodule(name.rsplit(".", 1)[0]), CLUSTERS[name])
    fit(model, splits, epochs=3, lr=5e-4, seed=2, progress=False)
    course_quantize.remove_parametrizations(model)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.ndim == 1:
                parameter.copy_(parameter.half().float())
    return codec.encode(model)


def decompress(data):
    decoded = models.cnn1d()
    decoded.load_state_dict(codec.decode(data))
    return decoded.eval()
