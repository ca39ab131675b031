"""Pure statistics over lists of numbers: no TensorFlow, no I/O, no formatting."""

from __future__ import annotations

import math
from collections.abc import Sequence


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


def throughput(items_per_call: int, durations_s: Sequence[float]) -> float:
    """Items per second over all the calls: total items / total time."""
    total = sum(durations_s)
    if total <= 0:
        raise ValueError("throughput needs a positive total duration")
    return items_per_call * len(durations_s) / total
