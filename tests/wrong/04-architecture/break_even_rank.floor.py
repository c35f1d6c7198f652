# Rounds M N / (M + N) down: when it is a whole number, that rank only breaks even and saves
# nothing.
def break_even_rank(in_features, out_features):
    for value in (in_features, out_features):
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"expected an integer, got {value!r}")
        if value < 1:
            raise ValueError(f"expected an integer >= 1, got {value!r}")
    return in_features * out_features // (in_features + out_features)
