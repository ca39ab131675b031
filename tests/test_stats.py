import pytest
from scipy import stats as scipy_stats

from bench_lib.maths import stats


def test_quantiles_interpolate_between_order_statistics():
    values = [4.0, 1.0, 3.0, 2.0]
    assert stats.median(values) == 2.5
    assert stats.quantile(values, 0.0) == 1.0
    assert stats.quantile(values, 1.0) == 4.0
    assert stats.quantile(values, 0.9) == pytest.approx(3.7)
    assert stats.iqr(values) == pytest.approx(3.25 - 1.75)


def test_single_value():
    assert stats.median([7.0]) == 7.0
    assert stats.iqr([7.0]) == 0.0


def test_bad_input():
    with pytest.raises(ValueError, match="no values"):
        stats.median([])
    with pytest.raises(ValueError, match=r"^q=1.5 is not allowed"):
        stats.quantile([1.0], 1.5)


def test_throughput_is_total_items_over_total_time():
    assert stats.throughput(100, [0.5, 1.5]) == 100.0
    with pytest.raises(ValueError):
        stats.throughput(1, [])


def test_mean_and_sample_standard_deviation():
    assert stats.mean([1.0, 2.0, 6.0]) == 3.0
    assert stats.sample_std([1.0, 2.0, 6.0]) == pytest.approx(7**0.5)
    with pytest.raises(ValueError, match="at least 2 values"):
        stats.sample_std([1.0])


@pytest.mark.parametrize(
    ("values", "half_width"),
    [
        # Student's table: t(0.975) with 1, 2 and 4 degrees of freedom, times s / sqrt(n).
        ([-1.0, 1.0], 12.706204736),
        ([-1.0, 0.0, 1.0], 4.302652730 / 3**0.5),
        ([-2.0, -1.0, 0.0, 1.0, 2.0], 2.776445105 / 2**0.5),
    ],
)
def test_ci95_uses_students_t_of_n_minus_one_degrees_of_freedom(values, half_width):
    assert stats.ci95(values) == pytest.approx((-half_width, half_width), rel=1e-9)


@pytest.mark.parametrize("values", [[0.91, 0.93, 0.90], [1.0, 2.0], [5.0, 5.5, 4.0, 6.0, 5.2]])
def test_ci95_matches_the_scipy_reference_interval(values):
    low, high = stats.ci95(values)
    ref = scipy_stats.t.interval(0.95, len(values) - 1, loc=stats.mean(values), scale=scipy_stats.sem(values))
    assert (low, high) == pytest.approx(ref, rel=1e-9)


def test_summary_keeps_per_seed_values_and_skips_missing_ones():
    summary = stats.summary([2.0, None, 4.0])
    assert summary["values"] == [2.0, None, 4.0]
    assert summary["mean"] == 3.0 and summary["n"] == 2
    assert summary["std"] == pytest.approx(2**0.5)
    assert summary["ci95"] == pytest.approx([3.0 - 12.706204736 * 1.0, 3.0 + 12.706204736 * 1.0])
    one = stats.summary([0.5])
    assert one == {"values": [0.5], "mean": 0.5, "std": None, "ci95": None, "n": 1}
    assert stats.summary([None])["mean"] is None


def test_coefficient_of_variation_is_sample_std_over_mean():
    assert stats.coefficient_of_variation([2.0, 4.0]) == pytest.approx(2**0.5 / 3)
    assert stats.coefficient_of_variation([5.0]) is None
    assert stats.coefficient_of_variation([3.0, 3.0, 3.0]) == 0.0


def test_warnings_for_spread_out_or_too_few_timings():
    steady = [10.0, 10.2, 9.9, 10.1, 10.0, 9.8, 10.1, 10.0, 10.2, 9.9]
    assert stats.stability_warnings(steady) == []
    noisy = [*steady[:-1], 20.0]
    [warning] = stats.stability_warnings(noisy)
    assert warning.startswith("unstable: the standard deviation of the step times is 29% of their mean (over 10%)")
    [warning] = stats.stability_warnings(steady[:3])
    assert warning.startswith("too few rounds: 3 timed (fewer than 10)")
    assert "--bench-rounds in the suite, --timed-blocks with tfbench run" in warning  # both ways to ask for more


def test_scaling_efficiency_is_replicas_rate_over_replicas_times_one_replicas_rate():
    assert stats.scaling_efficiency(1000.0, 2000.0, 2) == 1.0
    assert stats.scaling_efficiency(1000.0, 600.0, 2) == 0.3
    with pytest.raises(ValueError):
        stats.scaling_efficiency(0.0, 1.0, 2)


def test_spread_gives_median_quartiles_range_and_count():
    assert stats.spread([4.0, 1.0, 3.0, 2.0]) == {"median": 2.5, "q1": 1.75, "q3": 3.25, "min": 1.0, "max": 4.0, "n": 4}
    with pytest.raises(ValueError, match="no values"):
        stats.spread([])


def test_the_median_interval_is_two_order_statistics_of_the_binomial_tail():
    # n = 12: P(Binomial(12, 1/2) <= 2) = 0.019 fits in 0.025, <= 3 (0.073) does not.
    assert stats.median_ci([float(v) for v in range(12, 0, -1)]) == (3.0, 10.0)
    assert stats.median_ci([float(v) for v in range(1, 101)]) == (40.0, 61.0)
    assert stats.median_ci([1.0, 2.0, 3.0, 4.0, 5.0]) is None, "5 values cannot hold a 95 % interval"
