"""How much a timing moves between processes of unchanged code, estimated once from every configuration of a comparison.

A run's rounds come from one process, so they say nothing about how much the next process will
differ (memory layout, scheduling, frequency, neighbours). That between-process spread is shared
by every configuration of a run, so it is estimated once per comparison, on the log scale, from
all timed configurations of a kind (docs/results/judging-rules.md explains the rule):
- runs saved with several processes (`process_medians`): the within-configuration variance of the
  log process medians, pooled over every configuration of both runs (tens of degrees of freedom);
  each configuration's mean log ratio is then t-tested against it;
- one process a run: the spread of log(new/base) across the configurations, measured robustly
  around its median (scaled MAD), so that a shift shared by every configuration does not widen it;
  each configuration's log ratio is tested against it, and the median log ratio over all
  configurations, with a distribution-free confidence interval, is the run-level verdict;
- a history of runs (trend): each run's deviation from its configuration's history median, pooled;
- too few configurations for any of these: a fixed noise floor, named as the fallback it is.
Every estimate states the smallest change it could detect at its α and POWER.
Pure functions: no TensorFlow, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy.special import comb
from scipy.stats import binom, mannwhitneyu, median_abs_deviation, norm
from scipy.stats import t as student_t

from bench_lib.maths import stats

# The rank test only confirms that the rounds moved as a whole (not one outlier); the between-process
# noise is judged separately. asv's 0.002 would miss 1.5x slowdowns of 12 noisy per-step rounds.
ALPHA = 0.01
# One configuration against the pooled noise: asv's 0.002, and lower with many configurations, so
# that an unchanged comparison raises a false alarm anywhere with probability FAMILY_ALPHA at most
# (Bonferroni: FAMILY_ALPHA / configurations).
PROCESS_ALPHA = 0.002
FAMILY_ALPHA = 0.01
# A scaled MAD estimates a normal SD with 37% of the standard deviation's efficiency: its
# uncertainty is that of an SD with 0.37·(n - 1) degrees of freedom.
MAD_EFFICIENCY = 0.37
# The run-level shift (the median log ratio over all timed configurations): one test a comparison.
RUN_ALPHA = 0.01
# The power at which the smallest detectable change is stated.
POWER = 0.8
# Fewer configurations (or pooled degrees of freedom) than this estimate a spread too poorly.
MIN_POOLED = 8
# The fixed floors: the widest between-process swing of one configuration that quiet reruns of the
# quick profile showed, per kind (docs/results/judging-rules.md, with the command that measures it).
# They decide where no spread can be estimated, and guard a row judged from one process a run.
DEFAULT_NOISE_FACTOR = 1.35
ACCURACY_RUN_NOISE_FACTOR = 1.8
PROCESS_MEDIANS = "process_medians"  # extra_info key: the median timed round of each process of a run
BLOCKS, TRAINED = "timed in blocks", "trained for accuracy"  # the two kinds of timed configuration


@dataclass(frozen=True)
class Noise:
    """The noise one timing comparison is judged against: a standard error of a log ratio, or a fixed floor."""

    source: str  # where it came from, for the report
    se: float | None = None  # standard error of this comparison's log ratio; None for a fixed floor
    dof: float = math.inf  # degrees of freedom of se
    floor: float | None = None  # the fallback factor: a change counts only beyond it
    alpha: float = PROCESS_ALPHA
    # A factor the change must also exceed: one process a run measures no configuration's own spread,
    # and the spread across configurations misses the heavy tail of a few (see ratio_noise).
    guard: float | None = None

    def significant(self, log_ratio: float) -> bool:
        if self.floor is not None:
            return abs(log_ratio) > math.log(self.floor)
        beyond_guard = self.guard is None or abs(log_ratio) > math.log(self.guard)
        return beyond_guard and abs(log_ratio) > self._critical() * self.se

    def p_value(self, log_ratio: float) -> float | None:
        if self.floor is not None:
            return None
        if self.se == 0:
            return 1.0 if log_ratio == 0 else 0.0
        return float(2 * student_t.sf(abs(log_ratio) / self.se, self.dof))

    def detectable(self) -> float:
        """The smallest slowdown factor detected with probability POWER (a fixed floor: the floor itself)."""
        if self.floor is not None:
            return self.floor
        statistical = math.exp((self._critical() + float(student_t.ppf(POWER, self.dof))) * self.se)
        return max(statistical, self.guard or 1.0)

    def _critical(self) -> float:
        return float(student_t.ppf(1 - self.alpha / 2, self.dof))

    def describe(self, log_ratio: float | None = None) -> str:
        if self.floor is not None:
            return f"noise floor ×{self.floor:g} ({self.source})"
        p = "" if log_ratio is None else f"p={self.p_value(log_ratio):.2g} "
        guard = "" if self.guard is None else f", and beyond ×{self.guard:g} (one process a run)"
        return f"{p}vs {self.source}, α={self.alpha:.2g}{guard}"


def fallback_floor(kind: str, why: str) -> Noise:
    """The fixed floor of a kind of configuration, naming why no spread could be estimated."""
    factor = ACCURACY_RUN_NOISE_FACTOR if kind == TRAINED else DEFAULT_NOISE_FACTOR
    return Noise(f"fallback: {why}; --bench-processes N gives a measured spread", floor=factor)


@dataclass(frozen=True)
class Spread:
    """A between-process standard deviation on the log scale, with its degrees of freedom."""

    sigma: float
    dof: float
    source: str


def pooled_process_spread(groups: Sequence[Sequence[float]]) -> Spread | None:
    """The within-group spread of log values (process medians), pooled over groups of two or more; None if too few."""
    logs = [np.log(g) for g in groups if len(g) >= 2]
    dof = sum(len(g) - 1 for g in logs)
    if dof < MIN_POOLED:
        return None
    squares = sum(float(np.sum((g - g.mean()) ** 2)) for g in logs)
    return Spread(math.sqrt(squares / dof), dof, f"spread of {len(logs)} configurations' process medians pooled")


def robust_spread(values: Sequence[float], what: str) -> Spread | None:
    """The scaled MAD of values around their median (a normal SD estimate); None with fewer than MIN_POOLED."""
    if len(values) < MIN_POOLED:
        return None
    sigma = float(median_abs_deviation(values, scale="normal"))
    return Spread(sigma, MAD_EFFICIENCY * (len(values) - 1), f"spread of {len(values)} {what}")


def config_alpha(configurations: int) -> float:
    """The level of each configuration's test: PROCESS_ALPHA, or FAMILY_ALPHA shared among many configurations."""
    return min(PROCESS_ALPHA, FAMILY_ALPHA / max(configurations, 1))


def process_noise(spread: Spread, n_base: int, n_new: int, alpha: float = PROCESS_ALPHA) -> Noise:
    """The noise of the difference of mean log process medians, n_base against n_new processes."""
    se = spread.sigma * math.sqrt(1 / n_base + 1 / n_new)
    source = f"{spread.source} (σ={spread.sigma:.3f}, {spread.dof:.0f} dof; {n_base} vs {n_new} processes)"
    return Noise(source, se, spread.dof, alpha=alpha)


def ratio_noise(spread: Spread, kind: str, alpha: float = PROCESS_ALPHA) -> Noise:
    """The noise of one configuration's log ratio, its spread measured across configurations.

    With one process a run, a configuration's own between-process spread is not measured, and the
    spread across configurations is that of the typical one: a few configurations swing far wider
    between identical processes (the tail a quiet A/A shows). So a row also needs its kind's fixed
    floor, and the run-level shift (`shift`) is what sees a change shared by every configuration.
    """
    guard = ACCURACY_RUN_NOISE_FACTOR if kind == TRAINED else DEFAULT_NOISE_FACTOR
    source = f"{spread.source} (σ={spread.sigma:.3f}, {spread.dof:.0f} dof)"
    return Noise(source, spread.sigma, spread.dof, alpha=alpha, guard=guard)


@dataclass(frozen=True)
class Shift:
    """The median log ratio over many configurations, with a distribution-free confidence interval."""

    median: float
    low: float
    high: float
    count: int
    detectable: float  # the smallest shift factor detected with probability POWER

    @property
    def significant(self) -> bool:
        return self.low > 0 or self.high < 0

    def describe(self) -> str:
        return (
            f"median over {self.count} configurations ×{math.exp(self.median):.3f}, "
            f"{100 * (1 - RUN_ALPHA):g}% CI ×{math.exp(self.low):.3f}–×{math.exp(self.high):.3f}"
        )


def shift(log_ratios: Sequence[float]) -> Shift | None:
    """The run-level shift: the median of the log ratios and its order-statistic CI at 1 - RUN_ALPHA.

    The interval [x_(k), x_(n+1-k)] covers the median with probability 1 - 2·P(B <= k-1),
    B ~ Binomial(n, 1/2); k is the largest that keeps that at least 1 - RUN_ALPHA. None with
    fewer than MIN_POOLED values. The detectable shift uses the median's large-sample standard
    error, 1.2533·σ/√n, with σ the scaled MAD.
    """
    n = len(log_ratios)
    if n < MIN_POOLED:
        return None
    ordered = np.sort(np.asarray(log_ratios, dtype=float))
    k = int(binom.ppf(RUN_ALPHA / 2, n, 0.5))
    while k > 0 and 2 * binom.cdf(k - 1, n, 0.5) > RUN_ALPHA:
        k -= 1
    k = max(k, 1)
    sigma = float(median_abs_deviation(ordered, scale="normal"))
    se = math.sqrt(math.pi / 2) * sigma / math.sqrt(n)
    detectable = math.exp((norm.ppf(1 - RUN_ALPHA / 2) + norm.ppf(POWER)) * se)
    return Shift(float(np.median(ordered)), float(ordered[k - 1]), float(ordered[n - k]), n, detectable)


def process_medians(result: dict) -> tuple[float, ...]:
    """The per-process medians a result carries; empty when absent or not all positive finite numbers."""
    values = result.get(PROCESS_MEDIANS)
    if not isinstance(values, list | tuple):
        return ()
    ok = all(isinstance(v, int | float) and math.isfinite(v) and v > 0 for v in values)
    return tuple(float(v) for v in values) if ok else ()


def kind_of(result: dict) -> str:
    """TRAINED when the spec records timed_blocks as None (a step or epoch budget), else BLOCKS (older runs too)."""
    spec = result.get("spec")
    return TRAINED if isinstance(spec, dict) and "timed_blocks" in spec and spec["timed_blocks"] is None else BLOCKS


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
        return p < ALPHA, f"rounds: Mann-Whitney U p={p:.2g}"
    separate = _iqrs_separate((stats.quantile(base, 0.25), stats.quantile(base, 0.75)),
                              (stats.quantile(new, 0.25), stats.quantile(new, 0.75)))  # fmt: skip
    return separate, f"rounds: IQRs compared ({len(base)} vs {len(new)} rounds cannot reach p<{ALPHA:g})"


def _iqrs_separate(base: tuple[float, float], new: tuple[float, float]) -> bool:
    """Whether two interquartile ranges, each (q1, q3), do not overlap."""
    return new[0] > base[1] or base[0] > new[1]


def quartiles_differ(base: dict, new: dict) -> bool | None:
    """pytest-benchmark's q1/q3 of two runs saved without raw rounds: do the IQRs not overlap? None if absent."""
    quartiles = [t.get(q) for t in (base, new) for q in ("q1", "q3")]
    if None in quartiles:
        return None
    return _iqrs_separate(tuple(quartiles[:2]), tuple(quartiles[2:]))
