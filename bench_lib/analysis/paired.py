"""Judges base against new from interleaved pairs of processes: a paired t-test on log ratios, with what it could see.

`tfbench ab` runs base and new alternately, one process each per pair, so slow drift and a busy
neighbour hit both sides of a pair alike. Each pair gives one ratio new / base of a benchmark's
median step time in that pair's two processes; on the log scale the ratios' mean is the change
and their spread the noise left after pairing. The test is scipy's ttest_rel on the logs
(two-sided, at ALPHA). Every verdict states its minimum detectable effect: the smallest change
in either direction that the test would find with probability POWER, given the spread of the
pairs' log ratios, (t[1 - ALPHA/2] + t[POWER]) · sd / √n on n - 1 degrees of freedom. Worse
needs both the test and a change beyond the threshold; "same" beside a detectable effect above
the threshold says the pairs could not have seen a change of that size.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.stats import t as student_t
from scipy.stats import ttest_rel

ALPHA = 0.01
POWER = 0.8
BETTER, WORSE, SAME, UNKNOWN = "better", "worse", "same", "unknown"


@dataclass(frozen=True)
class PairedVerdict:
    """One benchmark's verdict over its pairs; change and detectable are percent of the base's step time."""

    key: str
    verdict: str
    pairs: int
    change: float | None = None  # geometric mean of new / base, less 1, in percent
    p_value: float | None = None
    detectable: float | None = None  # the minimum detectable slowdown, in percent
    method: str = ""


def judge(key: str, base_ms: Sequence[float], new_ms: Sequence[float], *, threshold: float) -> PairedVerdict:
    """Base against new step times (ms, lower is better), pair i being base_ms[i] and new_ms[i].

    threshold: the smallest change in percent that counts as worse or better.

    Raises:
      ValueError: the two sides have different numbers of pairs, or a time is not positive.
    """
    if len(base_ms) != len(new_ms):
        raise ValueError(f"{key}: {len(base_ms)} base times and {len(new_ms)} new times are not pairs")
    if any(not (t > 0 and math.isfinite(t)) for t in (*base_ms, *new_ms)):
        raise ValueError(f"{key}: step times must be positive numbers, got {list(base_ms)} and {list(new_ms)}")
    n = len(base_ms)
    if n < 2:
        return PairedVerdict(key, UNKNOWN, n, method=f"needs 2 pairs, has {n}")
    logs = [math.log(new / base) for base, new in zip(base_ms, new_ms, strict=True)]
    mean = sum(logs) / n
    change = math.expm1(mean) * 100
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (n - 1))
    detectable = math.expm1((student_t.ppf(1 - ALPHA / 2, n - 1) + student_t.ppf(POWER, n - 1)) * sd / math.sqrt(n))
    p_value = _p_value(base_ms, new_ms, mean, sd)
    method = f"paired t-test on log ratios p={p_value:.2g}, {n} pairs"
    significant = p_value < ALPHA
    verdict = SAME
    if significant and change > threshold:
        verdict = WORSE
    elif significant and change < -threshold:
        verdict = BETTER
    return PairedVerdict(key, verdict, n, change, p_value, detectable * 100, method)


def _p_value(base_ms: Sequence[float], new_ms: Sequence[float], mean: float, sd: float) -> float:
    """ttest_rel's two-sided p on the logs; with no spread at all, 0 for a change and 1 for none."""
    if sd == 0:
        return 1.0 if mean == 0 else 0.0
    logs_base = [math.log(t) for t in base_ms]
    logs_new = [math.log(t) for t in new_ms]
    return float(ttest_rel(logs_new, logs_base).pvalue)


def insensitive(verdicts: Sequence[PairedVerdict], threshold: float) -> list[PairedVerdict]:
    """The verdicts that are not worse and could not have detected a change of the threshold's size."""
    return [
        v for v in verdicts if v.verdict != WORSE and (v.detectable is None or v.detectable > threshold)
    ]  # fmt: skip
