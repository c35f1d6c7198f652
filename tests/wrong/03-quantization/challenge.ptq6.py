# loses: test_challenge_strong
# 6-bit uniform quantization of each weight tensor and float16 biases, written with
# support.codec: no accuracy lost and past the baseline, but short of the strong level.
import copy

from support import codec, models
from support import quantize as course_quantize


def compress(model):
    model = copy.deepcopy(model)
    course_quantize.quantize_weights(model, 6)
    with torch.no_grad():
        for parameter in model.parameters():
            if parameter.ndim == 1:
                parameter.copy_(parameter.half().float())
    return codec.encode(model)


def decompress(data):
    decoded = models.cnn1d()
    decoded.load_state_dict(codec.decode(data))
    return decoded.eval()
