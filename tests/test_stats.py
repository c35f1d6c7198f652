"""support.stats: one spread convention for the whole course."""
import numpy as np
import pytest

from support import stats


def test_mean_std_uses_the_sample_standard_deviation():
    mean, std = stats.mean_std([0.90, 0.92, 0.94])
    assert mean == pytest.approx(0.92)
    assert std == pytest.approx(np.std([0.90, 0.92, 0.94], ddof=1))
    assert stats.pm([0.90, 0.92, 0.94]) == "92.0% ± 2.0"


def test_real_difference_needs_both_the_paired_spread_and_enough_examples():
    a, b = [0.95, 0.96, 0.97], [0.90, 0.91, 0.92]
    assert stats.is_real_difference(a, b, num_test=1000)
    assert not stats.is_real_difference(a, b, num_test=50)        # 2.5 examples
    assert not stats.is_real_difference([0.9, 0.95, 0.91], [0.92, 0.91, 0.93], num_test=10_000)


@pytest.mark.parametrize("bad", [[0.9], [], [0.9, float("nan")]])
def test_too_few_or_non_finite_values_are_refused(bad):
    with pytest.raises(ValueError):
        stats.mean_std(bad)


def test_paired_values_must_match():
    with pytest.raises(ValueError):
        stats.paired_difference([0.1, 0.2], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError):
        stats.is_real_difference([0.1, 0.2], [0.1, 0.2], num_test=0)
