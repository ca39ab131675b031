"""Pure statistics over lists of numbers: no TensorFlow, no I/O, no formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence

from scipy.stats import t as student_t


def quantile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0 <= q <= 1) with linear interpolation between order statistics.

    Raises:
      ValueError: values is empty or q is outside [0, 1].
    """
    if not values:
        raise ValueError("quantile of no values")
    if not 0 <= q <= 1:
        raise ValueError(f"q={q!r} is not allowed: a fraction in [0, 1]")
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    return quantile(values, 0.5)


def iqr(values: Sequence[float]) -> float:
    return quantile(values, 0.75) - quantile(values, 0.25)


def median_ci(values: Sequence[float], confidence: float = 0.95) -> tuple[float, float] | None:
    """Distribution-free confidence interval of the median: two order statistics of the values.

    The k-th smallest and k-th largest value, k the largest rank whose binomial tail
    P(Binomial(n, 1/2) < k) stays within (1 - confidence) / 2; it assumes only independent
    values from one distribution. None when n is too small for any such pair (n < 6 at 95 %).
    """
    n, alpha = len(values), (1 - confidence) / 2
    tail, k = 0.0, 0
    while k < n // 2:
        next_tail = tail + math.comb(n, k) / 2**n
        if next_tail > alpha:
            break
        tail, k = next_tail, k + 1
    if k == 0:
        return None
    ordered = sorted(values)
    return ordered[k - 1], ordered[n - k]


def throughput(items_per_call: int, durations_s: Sequence[float]) -> float:
    """Items per second over all the calls: total items / total time."""
    total = sum(durations_s)
    if total <= 0:
        raise ValueError("throughput needs a positive total duration")
    return items_per_call * len(durations_s) / total


def mean(values: Sequence[float]) -> float:
    """Raises:
    ValueError: values is empty.
    """
    if not values:
        raise ValueError("mean of no values")
    return math.fsum(values) / len(values)


def sample_std(values: Sequence[float]) -> float:
    """The sample standard deviation (n - 1 in the denominator).

    Raises:
      ValueError: fewer than two values.
    """
    if len(values) < 2:
        raise ValueError(f"a sample standard deviation needs at least 2 values, got {len(values)}")
    m = mean(values)
    return math.sqrt(math.fsum((v - m) ** 2 for v in values) / (len(values) - 1))


def ci95(values: Sequence[float]) -> tuple[float, float]:
    """The two-sided 95% confidence interval of the mean: mean ± t(0.975, n-1) · s / sqrt(n).

    Raises:
      ValueError: fewer than two values.
    """
    m, s, n = mean(values), sample_std(values), len(values)
    half = float(student_t.ppf(0.975, n - 1)) * s / math.sqrt(n)
    return (m - half, m + half)


def summary(values: Sequence[float | None]) -> dict[str, object]:
    """Per-seed values with their mean, sample std and 95% CI, over the values that are not None.

    std and ci95 are None with fewer than two values; mean is None with none. n counts the
    values that are not None (e.g. the seeds that reached a target).
    """
    present = [float(v) for v in values if v is not None]
    n = len(present)
    return {
        "values": list(values),
        "mean": mean(present) if n else None,
        "std": sample_std(present) if n > 1 else None,
        "ci95": list(ci95(present)) if n > 1 else None,
        "n": n,
    }


# pyperf's thresholds: a spread above 10% of the mean, or too few values, makes a figure unreliable.
MAX_STABLE_CV = 0.10
MIN_STABLE_ROUNDS = 10


def coefficient_of_variation(values: Sequence[float]) -> float | None:
    """Sample standard deviation over mean; None for fewer than two values or a zero mean."""
    if len(values) < 2:
        return None
    mean = sum(values) / len(values)
    if mean == 0:
        return None
    variance = sum((v - mean) ** 2 for v in values) / (len(values) - 1)
    return math.sqrt(variance) / mean


# How a user asks for more timed rounds: the suite's option, and `tfbench run`'s.
_MORE_ROUNDS = "--bench-rounds in the suite, --timed-blocks with tfbench run"


def stability_warnings(values: Sequence[float]) -> list[str]:
    """pyperf-style warnings about timings too spread out or too few to trust."""
    warnings = []
    cv = coefficient_of_variation(values)
    if cv is not None and cv > MAX_STABLE_CV:
        warnings.append(
            f"unstable: the standard deviation of the step times is {cv:.0%} of their mean (over "
            f"{MAX_STABLE_CV:.0%}); rerun on a quiet machine or with more rounds ({_MORE_ROUNDS})"
        )
    if len(values) < MIN_STABLE_ROUNDS:
        warnings.append(
            f"too few rounds: {len(values)} timed (fewer than {MIN_STABLE_ROUNDS}); the spread and median "
            f"are not reliable ({_MORE_ROUNDS})"
        )
    return warnings


def scaling_efficiency(one_replica_rate: float, replicas_rate: float, replicas: int) -> float:
    """Examples per second on R replicas over R times those of one replica (1.0 is perfect scaling).

    With the same global batch on both (strong scaling) and with the same per-replica batch
    (weak scaling) alike, perfect scaling makes R replicas process R times the examples per second.
    """
    if one_replica_rate <= 0 or replicas < 1:
        raise ValueError("scaling efficiency needs a positive one-replica rate and replicas >= 1")
    return replicas_rate / (replicas * one_replica_rate)


def mad(values: Sequence[float]) -> float:
    """Median absolute deviation from the median (unscaled).

    Raises:
      ValueError: values is empty.
    """
    center = median(values)
    return median([abs(v - center) for v in values])


def spread(values: Sequence[float]) -> dict[str, float]:
    """median, q1, q3 (the interquartile range's ends), min, max and n of the values.

    Raises:
      ValueError: values is empty.
    """
    return {
        "median": median(values),
        "q1": quantile(values, 0.25),
        "q3": quantile(values, 0.75),
        "min": min(values),
        "max": max(values),
        "n": len(values),
    }
