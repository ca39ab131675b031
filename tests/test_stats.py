import pytest

from bench_lib import stats


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
