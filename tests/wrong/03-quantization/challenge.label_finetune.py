# loses: test_challenge test_challenge_strong
# Prunes, clusters, then fine-tunes the shared values on the data set's labels: fine for the
# given model, ruinous for a model whose classes are relabelled, which those labels contradict.
import copy

from support import codec, prune
from support import quantize as course_quantize
from support.data import mnist1d


def compress(model):
    model = copy.deepcopy(model)
    prune.apply_masks(model, prune.global_magnitude_masks(prune.prunable(model), 0.3))
    course_quantize.share_weights(model, 16)
    fit(model, mnist1d(), epochs=3, lr=5e-4, progress=False)
    return codec.encode(course_quantize.remove_parametrizations(model))


def decompress(data):
    decoded = models.cnn1d()
    decoded.load_state_dict(codec.decode(data))
    return decoded.eval()
