# loses: test_challenge test_challenge_strong
# Uniform 8-bit weights (one scale and zero point per tensor) and float32 biases, written raw:
# accurate, but 8 bits instead of 32 make it only about 4 times smaller.
import struct

import numpy as np

from support import models


def compress(model):
    out = bytearray()
    for name, tensor in model.state_dict().items():
        tensor = tensor.detach().float()
        if tensor.ndim >= 2:
            low, high = min(tensor.min(), 0.0), max(tensor.max(), 0.0)    # the range holds 0
            scale = (high - low) / 255
            zero_point = torch.round(-low / scale).clamp(0, 255).to(torch.uint8)
            q = torch.clamp(torch.round(tensor / scale) + zero_point, 0, 255)
            out += struct.pack(">fB", scale.item(), zero_point.item()) + q.numpy().astype(np.uint8).tobytes()
        else:
            out += tensor.numpy().astype(">f4").tobytes()
    return bytes(out)


def decompress(data):
    decoded = models.cnn1d()
    state, at = decoded.state_dict(), 0
    for name, tensor in state.items():
        if tensor.ndim >= 2:
            scale, zero_point = struct.unpack_from(">fB", data, at)
            at += 5
            q = np.frombuffer(data, np.uint8, tensor.numel(), at).astype(np.float32)
            at += tensor.numel()
            state[name] = torch.from_numpy((q - zero_point) * scale).view_as(tensor)
        else:
            state[name] = torch.from_numpy(np.frombuffer(data, ">f4", tensor.numel(), at).astype(np.float32))
            at += 4 * tensor.numel()
    decoded.load_state_dict(state)
    return decoded.eval()
