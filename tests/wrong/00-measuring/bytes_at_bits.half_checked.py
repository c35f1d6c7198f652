# Rejects 0 bits, but lets a fractional bit width or a negative count through.
import math


def bytes_at_bits(num_values, bits):
    if bits == 0:
        raise ValueError("bits must be positive")
    return math.ceil(num_values * bits / 8)
