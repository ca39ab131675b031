"""The paired judging of `tfbench ab` on literal step times."""

import math

import pytest

from bench_lib.analysis import paired

# Five pairs of processes whose machine drifted: each pair's two processes saw the same drift.
DRIFTING_BASE = [10.0, 11.5, 9.2, 12.8, 10.4]
JITTER = [1.01, 0.99, 1.005, 0.995, 1.0]  # what pairing leaves: ±1% between a pair's two processes


def test_the_same_environment_on_both_sides_is_same():
    v = paired.judge("k", DRIFTING_BASE, [b * j for b, j in zip(DRIFTING_BASE, JITTER, strict=True)], threshold=5)
    assert v.verdict == "same" and abs(v.change) < 1
    assert v.detectable is not None and v.detectable < 5  # and it could have seen 5%


def test_one_side_scaled_by_1_1_is_worse_and_the_other_way_better():
    slow = [b * 1.1 * j for b, j in zip(DRIFTING_BASE, JITTER, strict=True)]
    v = paired.judge("k", DRIFTING_BASE, slow, threshold=5)
    assert v.verdict == "worse" and v.change == pytest.approx(10, abs=1) and v.p_value < paired.ALPHA
    assert v.method == f"paired t-test on log ratios p={v.p_value:.2g}, 5 pairs"
    assert paired.judge("k", slow, DRIFTING_BASE, threshold=5).verdict == "better"


def test_a_significant_change_below_the_threshold_is_same():
    v = paired.judge("k", DRIFTING_BASE, [b * 1.03 for b in DRIFTING_BASE], threshold=5)
    assert v.p_value == 0 and v.verdict == "same"  # no spread at all: certainly 3%, and 3% is below 5%


def test_pairs_too_noisy_to_see_the_threshold_say_so():
    noisy = [b * f for b, f in zip(DRIFTING_BASE, [1.3, 0.8, 1.25, 0.85, 1.1], strict=True)]
    v = paired.judge("k", DRIFTING_BASE, noisy, threshold=5)
    assert v.verdict == "same" and v.detectable > 20
    assert paired.insensitive([v], threshold=5) == [v]


def test_the_minimum_detectable_effect_follows_the_t_quantiles():
    ratios = [1.02, 0.98, 1.01, 0.99]
    v = paired.judge("k", [1.0] * 4, ratios, threshold=5)
    logs = [math.log(r) for r in ratios]
    mean = sum(logs) / 4
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / 3)
    expected = math.expm1((5.840909 + 0.978472) * sd / 2) * 100  # t(0.995, 3) + t(0.8, 3)
    assert v.detectable == pytest.approx(expected, rel=1e-4)


def test_bad_pairs_are_refused_and_one_pair_is_unknown():
    with pytest.raises(ValueError, match="are not pairs"):
        paired.judge("k", [1.0, 2.0], [1.0], threshold=5)
    with pytest.raises(ValueError, match="positive"):
        paired.judge("k", [1.0, 0.0], [1.0, 1.0], threshold=5)
    assert paired.judge("k", [1.0], [1.0], threshold=5).verdict == "unknown"
