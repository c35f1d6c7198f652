# loses: test_challenge_strong
# 6-bit uniform quantization of each weight tensor, written with support.codec: no accuracy
# lost and past the baseline, but short of the strong level.
import copy

from support import codec, models
from support import quantize as course_quantize


def compress(model):
    return codec.encode(course_quantize.quantize_weights(copy.deepcopy(model), 6))


def decompress(data):
    decoded = models.cnn1d()
    decoded.load_state_dict(codec.decode(data))
    return decoded.eval()
