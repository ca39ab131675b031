"""How much a timing moves between processes of unchanged code, estimated once from every configuration of a comparison.

A run's rounds come from one process, so they say nothing about how much the next process will
differ (memory layout, scheduling, frequency, neighbours). That between-process spread is shared
by every configuration of a run, so it is estimated once per comparison, on the log scale, from
all timed configurations of a kind (docs/results/judging-rules.md explains the rule):
- runs saved with several processes (`process_medians`): each configuration's within-configuration
  variance of its log process medians (after each pass's shared effect is removed, where the run
  saved `process_passes`), moderated towards a prior fitted to every configuration's variance
  (empirical Bayes, Smyth 2004, as limma's moderated t): a configuration borrows strength from the
  others without being judged as noisy as the noisiest; each configuration's mean log ratio is
  then t-tested against its own moderated variance;
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
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.optimize import brentq
from scipy.special import comb, digamma, polygamma
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
# A significant change counts as below its threshold only when its one-sided upper bound at this level is: a
# slowdown of exactly the threshold's size is then called worse about 1 - MARGIN_ALPHA of the time, not half.
MARGIN_ALPHA = 0.05
# Fewer configurations (or pooled degrees of freedom) than this estimate a spread too poorly.
MIN_POOLED = 8
# The fixed floors: the widest between-process swing of one configuration that quiet reruns of the
# quick profile showed, per kind (docs/results/judging-rules.md, with the command that measures it).
# They decide where no spread can be estimated, and guard a row judged from one process a run.
DEFAULT_NOISE_FACTOR = 1.35
ACCURACY_RUN_NOISE_FACTOR = 1.8
PROCESS_MEDIANS = "process_medians"  # extra_info key: the median timed round of each process of a run
PROCESS_PASSES = "process_passes"  # extra_info key: the pass of the session each process median was measured in
# The moderated variance needs this many configurations with a variance to fit its prior; fewer are pooled.
MIN_PRIOR_CONFIGURATIONS = 3
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

    def margin(self) -> float:
        """How far (log scale) a change may truly lie beyond its estimate: the one-sided bound at MARGIN_ALPHA
        (0 for a fixed floor, which has no standard error)."""
        if self.floor is not None or not self.se:
            return 0.0
        return float(student_t.ppf(1 - MARGIN_ALPHA, self.dof)) * self.se

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


@dataclass(frozen=True)
class Prior:
    """A scaled inverse-χ² prior of the configurations' variances: d0 degrees of freedom around s0²."""

    s0_squared: float
    d0: float  # math.inf: every configuration has the same variance, the pooled case


def variance_prior(variances: Sequence[float], dofs: Sequence[float]) -> Prior:
    """The prior fitted to sample variances by the moments of their logs (Smyth 2004, section 6.2; limma's fitFDist).

    log s² of a variance with d degrees of freedom around σ² has mean log σ² + ψ(d/2) − log(d/2) and
    variance ψ'(d/2); what the logs vary beyond that is the prior's ψ'(d0/2). When they vary no more
    than sampling explains, d0 is infinite and s0² the pooled variance.

    Raises:
      ValueError: fewer than MIN_PRIOR_CONFIGURATIONS variances, or one not positive and finite.
    """
    s2, d = np.asarray(variances, dtype=float), np.asarray(dofs, dtype=float)
    if len(s2) < MIN_PRIOR_CONFIGURATIONS or not (np.all(np.isfinite(s2)) and np.all(s2 > 0) and np.all(d > 0)):
        raise ValueError(f"variance_prior needs {MIN_PRIOR_CONFIGURATIONS}+ positive variances, got {list(s2)}")
    e = np.log(s2) - digamma(d / 2) + np.log(d / 2)
    excess = float(np.var(e, ddof=1) - np.mean(polygamma(1, d / 2)))
    if excess <= 0:
        return Prior(float(np.sum(d * s2) / np.sum(d)), math.inf)
    d0 = 2 * _trigamma_inverse(excess)
    return Prior(float(math.exp(np.mean(e) + digamma(d0 / 2) - math.log(d0 / 2))), d0)


def _trigamma_inverse(value: float) -> float:
    """The y > 0 with ψ'(y) = value (ψ' falls from ∞ to 0 over y > 0)."""
    low, high = 1e-8, 1.0
    while polygamma(1, high) > value:
        high *= 2
    return float(brentq(lambda y: polygamma(1, y) - value, low, high))


def moderated_spreads(
    within: Mapping[str, tuple[float, float]], what: str = "process medians"
) -> dict[str, Spread] | None:
    """Each configuration's moderated spread from its (sum of squares, dof) of log values (`what`: process medians).

    s̃² = (d0·s0² + d·s²) / (d0 + d) with d0 + d degrees of freedom (capped at the dof of all
    configurations together, the most the prior itself was estimated from); an infinite d0 gives
    every configuration the pooled variance with the pooled dof. None when the configurations hold
    fewer than MIN_POOLED degrees of freedom together.
    """
    held = {key: (ss, d) for key, (ss, d) in within.items() if d > 0}
    total = sum(d for _, d in held.values())
    if total < MIN_POOLED:
        return None
    pooled = sum(ss for ss, _ in held.values()) / total
    positive = {key: (ss / d, d) for key, (ss, d) in held.items() if ss > 0}
    prior = Prior(pooled, math.inf)
    if len(positive) >= MIN_PRIOR_CONFIGURATIONS:
        prior = variance_prior([v for v, _ in positive.values()], [d for _, d in positive.values()])
    spreads = {}
    for key in within:
        ss, d = held.get(key, (0.0, 0.0))
        if math.isinf(prior.d0):
            variance, dof = prior.s0_squared, total
            source = f"spread of {len(held)} configurations' {what} pooled"
        else:
            variance, dof = (prior.d0 * prior.s0_squared + ss) / (prior.d0 + d), min(prior.d0 + d, total)
            source = (f"this configuration's {what} (s={math.sqrt(ss / d) if d else math.nan:.3f}, "
                      f"{d:.1f} dof) moderated towards {len(held)} configurations' "
                      f"(s0={math.sqrt(prior.s0_squared):.3f}, d0={prior.d0:.1f})")  # fmt: skip
        spreads[key] = Spread(math.sqrt(variance), dof, source)
    return spreads


def within_squares(
    logs: Mapping[str, Sequence[float]], passes: Mapping[str, Sequence[int]] | None = None
) -> tuple[dict[str, tuple[float, float]], dict[int, float]]:
    """Each configuration's within-configuration sum of squares of one run's log process medians and its dof;
    and each pass's fitted effect (empty without passes).

    Without passes: around the configuration's mean, n − 1 dof. With each process's pass (every
    configuration's further processes run in passes over the session), a two-way fit, log median =
    configuration + pass + noise, by least squares, removes what each pass shared (slow drift of the
    machine); its residual dof, N − C − (P − 1), are shared out in proportion to n − 1. The pass
    effects (the first pass's 0) go to pass_drift_variance. A configuration without passes, or a
    design that leaves no residual dof, falls back to its mean.
    """
    squares = {key: _around_mean(values) for key, values in logs.items()}
    laid = {key: (np.asarray(logs[key], float), list(p)) for key, p in (passes or {}).items()
            if key in logs and len(p) == len(logs[key]) >= 2}  # fmt: skip
    levels = sorted({p for _, ps in laid.values() for p in ps})
    rows = sum(len(v) for v, _ in laid.values())
    residual_dof = rows - len(laid) - (len(levels) - 1)
    if len(levels) < 2 or residual_dof < 1:
        return squares, {}
    keys = list(laid)
    design = np.zeros((rows, len(keys) + len(levels) - 1))
    y, owner, row = np.empty(rows), [], 0
    for column, key in enumerate(keys):
        values, ps = laid[key]
        for value, p in zip(values, ps, strict=True):
            design[row, column] = 1
            if p != levels[0]:
                design[row, len(keys) + levels.index(p) - 1] = 1
            y[row], row = value, row + 1
            owner.append(key)
    fit, *_ = np.linalg.lstsq(design, y, rcond=None)
    residuals = y - design @ fit
    rank = np.linalg.matrix_rank(design)
    share = (rows - rank) / (rows - len(keys))
    for key in keys:
        mine = residuals[[o == key for o in owner]]
        squares[key] = (float(np.sum(mine**2)), (len(mine) - 1) * share)
    return squares, dict(zip(levels, [0.0, *map(float, fit[len(keys) :])], strict=True))


def pass_drift_variance(base: Mapping[int, float], new: Mapping[int, float]) -> tuple[float, float]:
    """What the passes add to the variance of every configuration's log ratio: that of the difference of the two
    runs' mean pass effects.

    Where both runs have the same passes, a pass's effect in one run less its effect in the other
    cancels what every run's passes share (the suite's own pass 0 against fresh processes) and
    leaves the drift: its variance over the P passes, divided by P. Where one run alone has passes,
    the variance of its effects over P (an upper bound); 0 where neither has. Returned with its
    degrees of freedom, P − 1.
    """
    if base and new and base.keys() == new.keys():
        differences = [new[p] - base[p] for p in sorted(base)]
        return float(np.var(differences, ddof=1) / len(differences)), len(differences) - 1.0
    effects = list(base.values() or new.values())
    if len(effects) < 2:
        return 0.0, math.inf
    return float(np.var(effects, ddof=1) / len(effects)), len(effects) - 1.0


def _around_mean(values: Sequence[float]) -> tuple[float, float]:
    array = np.asarray(values, dtype=float)
    return (float(np.sum((array - array.mean()) ** 2)), float(len(array) - 1)) if len(array) else (0.0, 0.0)


def robust_spread(values: Sequence[float], what: str) -> Spread | None:
    """The scaled MAD of values around their median (a normal SD estimate); None with fewer than MIN_POOLED."""
    if len(values) < MIN_POOLED:
        return None
    sigma = float(median_abs_deviation(values, scale="normal"))
    return Spread(sigma, MAD_EFFICIENCY * (len(values) - 1), f"spread of {len(values)} {what}")


def config_alpha(configurations: int) -> float:
    """The level of each configuration's test: PROCESS_ALPHA, or FAMILY_ALPHA shared among many configurations."""
    return min(PROCESS_ALPHA, FAMILY_ALPHA / max(configurations, 1))


def process_noise(spread: Spread, n_base: int, n_new: int, alpha: float = PROCESS_ALPHA,
                  passes: tuple[float, float] = (0.0, math.inf)) -> Noise:  # fmt: skip
    """The noise of the difference of mean log process medians, n_base against n_new processes; `passes` is the
    variance the runs' passes add to every configuration's means alike, with its dof (pass_drift_variance).

    With passes, the degrees of freedom of the sum are Welch and Satterthwaite's.
    """
    own = spread.sigma**2 * (1 / n_base + 1 / n_new)
    drift, drift_dof = passes
    se = math.sqrt(own + drift)
    dof = spread.dof
    if drift > 0:
        dof = (own + drift) ** 2 / (own**2 / spread.dof + drift**2 / drift_dof)
    drifted = f"; passes' drift ±{math.sqrt(drift):.3f}, {dof:.0f} dof in all" if drift > 0 else ""
    source = f"{spread.source} (σ={spread.sigma:.3f}, {spread.dof:.0f} dof; {n_base} vs {n_new} processes{drifted})"
    return Noise(source, se, dof, alpha=alpha)


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


def process_passes(result: dict) -> tuple[int, ...]:
    """The pass of each process median (bench_lib.suite.interleaving); empty when absent or not one int per median."""
    values, medians = result.get(PROCESS_PASSES), process_medians(result)
    if not isinstance(values, list | tuple) or len(values) != len(medians):
        return ()
    ok = all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in values)
    return tuple(values) if ok else ()


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
