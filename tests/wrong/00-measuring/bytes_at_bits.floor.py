# Rounds down: 9 bits come out as 1 byte.
def bytes_at_bits(num_values, bits):
    if num_values < 0 or bits < 1:
        raise ValueError("num_values must be >= 0 and bits >= 1")
    return num_values * bits // 8
