"""How far a timing must move to stand out from between-run noise, and whether its rounds moved at all.

A run's rounds come from one process, so they say nothing about how much the next process will
differ (memory layout, scheduling, frequency, neighbours). Timing verdicts therefore need two
things (docs/results/judging-rules.md explains the numbers):
- the rounds differ: Mann-Whitney U at p < ALPHA where the rounds are enough to reach it, else
  their interquartile ranges do not overlap (asv's rule; asv's own level is 0.002);
- the figure moved by more than a noise floor, a factor estimated from the runs' processes when
  they were saved (`process_medians`), else from the history of earlier runs (trend), else
  DEFAULT_NOISE_FACTOR.
Pure functions: no TensorFlow, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

from scipy.special import comb
from scipy.stats import mannwhitneyu
from scipy.stats import t as student_t

from bench_lib.record import stats

# The rank test only confirms that the rounds moved as a whole; the noise floor guards against
# between-run noise. asv's 0.002 would miss 1.5x slowdowns of 12 noisy per-step rounds (p 0.002-0.007).
ALPHA = 0.01
# With processes the t-test on their medians is the between-run test itself: asv's 0.002, so that
# the ~150 timing verdicts of a quick run raise 0.3 false alarms on average.
PROCESS_ALPHA = 0.002
# Between-run spread of one configuration's median measured on a quiet 2-core machine: 4-29% over
# three runs; a single run's figure must move by more than that, with a margin, to count, and a
# real 1.5x slowdown must still count.
DEFAULT_NOISE_FACTOR = 1.35
# The floor of a configuration whose timing is a by-product of training for accuracy (a step or
# epoch budget, timed in blocks cut to give 20 rounds: often 5-35 steps of 1-3 ms). Between three
# quiet quick runs on 30 November 2026 such configurations' medians spread by up to 1.66x (step-cost
# configurations, timed in blocks of at least 100 ms: up to 1.24x), so one process a run cannot
# call a 1.5x change of them; --bench-processes or a history can.
ACCURACY_RUN_NOISE_FACTOR = 1.8
# Fewer earlier runs than this estimate the spread too poorly: the default floor still applies.
MIN_NOISE_HISTORY = 5
PROCESS_MEDIANS = "process_medians"  # extra_info key: the median timed round of each process of a run


@dataclass(frozen=True)
class NoiseFloor:
    factor: float  # a change is real only when new/base > factor or < 1/factor
    source: str  # where the factor came from, for the report

    def exceeded_by(self, ratio: float) -> bool:
        return ratio > self.factor or ratio * self.factor < 1

    def describe(self) -> str:
        return f"noise ×{self.factor:.2f} ({self.source})"


DEFAULT_FLOOR = NoiseFloor(DEFAULT_NOISE_FACTOR, "default, one process a run")
ACCURACY_RUN_FLOOR = NoiseFloor(ACCURACY_RUN_NOISE_FACTOR, "default for a run trained for accuracy, one process a run")


def process_medians(result: dict) -> tuple[float, ...]:
    """The per-process medians a result carries; empty when absent or not all positive finite numbers."""
    values = result.get(PROCESS_MEDIANS)
    if not isinstance(values, list | tuple):
        return ()
    ok = all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in values)
    return tuple(float(v) for v in values) if ok else ()


def process_floor(base: Sequence[float], new: Sequence[float]) -> NoiseFloor | None:
    """The factor a t-test on the logs of the process medians needs at p < PROCESS_ALPHA; None without a spread.

    The spread is pooled over the runs with two processes or more; a run with one process
    counts as one sample of the same spread.
    """
    groups = [[math.log(v) for v in g] for g in (base, new) if len(g) >= 2]
    if not groups:
        return None
    df = sum(len(g) - 1 for g in groups)
    squares = sum(sum((x - stats.mean(g)) ** 2 for x in g) for g in groups)
    sigma = math.sqrt(squares / df)
    n_base, n_new = max(len(base), 1), max(len(new), 1)
    half_width = float(student_t.ppf(1 - PROCESS_ALPHA / 2, df)) * sigma * math.sqrt(1 / n_base + 1 / n_new)
    return NoiseFloor(math.exp(half_width), f"{len(base)} vs {len(new)} processes")


def compare_floor(base_result: dict, new_result: dict) -> NoiseFloor:
    """The floor for comparing two runs: from their processes when saved, else the default of their kind.

    A configuration trained for accuracy (its spec records timed_blocks as None: a step or epoch
    budget) gets ACCURACY_RUN_FLOOR; one timed in blocks, and runs saved before timed_blocks existed,
    DEFAULT_FLOOR.
    """
    measured = process_floor(process_medians(base_result), process_medians(new_result))
    if measured is not None:
        return measured
    return ACCURACY_RUN_FLOOR if any(_trained_for_accuracy(r) for r in (base_result, new_result)) else DEFAULT_FLOOR


def _trained_for_accuracy(result: dict) -> bool:
    spec = result.get("spec")
    return isinstance(spec, dict) and "timed_blocks" in spec and spec["timed_blocks"] is None


def history_floor(history_size: int) -> NoiseFloor | None:
    """For trend: None when the history is long enough to be the noise estimate, else the default floor."""
    if history_size >= MIN_NOISE_HISTORY:
        return None
    return NoiseFloor(DEFAULT_NOISE_FACTOR, f"default, under {MIN_NOISE_HISTORY} earlier runs")


def rounds_differ(base: Sequence[float], new: Sequence[float]) -> tuple[bool, str]:
    """Whether two runs' rounds differ: Mann-Whitney U at p < ALPHA when the counts can reach it, else IQRs.

    Raises:
      ValueError: either run has fewer than two rounds.
    """
    if len(base) < 2 or len(new) < 2:
        raise ValueError(f"rounds_differ needs at least 2 rounds a run, got {len(base)} and {len(new)}")
    smallest_p = 2 / comb(len(base) + len(new), len(base))  # complete separation, two-sided
    if smallest_p < ALPHA:
        p = float(mannwhitneyu(base, new, alternative="two-sided").pvalue)
        return p < ALPHA, f"Mann-Whitney U p={p:.2g}"
    separate = _iqrs_separate((stats.quantile(base, 0.25), stats.quantile(base, 0.75)),
                              (stats.quantile(new, 0.25), stats.quantile(new, 0.75)))  # fmt: skip
    return separate, f"IQRs compared ({len(base)} vs {len(new)} rounds cannot reach p<{ALPHA:g})"


def _iqrs_separate(base: tuple[float, float], new: tuple[float, float]) -> bool:
    """Whether two interquartile ranges, each (q1, q3), do not overlap."""
    return new[0] > base[1] or base[0] > new[1]


def quartiles_differ(base: dict, new: dict) -> bool | None:
    """pytest-benchmark's q1/q3 of two runs saved without raw rounds: do the IQRs not overlap? None if absent."""
    quartiles = [t.get(q) for t in (base, new) for q in ("q1", "q3")]
    if None in quartiles:
        return None
    return _iqrs_separate(tuple(quartiles[:2]), tuple(quartiles[2:]))
