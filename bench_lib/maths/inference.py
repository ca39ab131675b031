"""Provides the tests behind every finding: two groups of seed values compared, corrected together, decided.

Pure functions of numbers: no TensorFlow, no I/O, no formatting. A comparison is made on the
scale its metric calls for — a difference of means for accuracies (raw scale), a ratio of
geometric means for steps, examples and times (log scale: they are skewed and change by
factors) — with Welch's t-test (scipy.stats.ttest_ind, equal_var=False) for its interval and
p-value. A comparison is decided three ways:

- "same": the two one-sided tests (TOST) show the difference inside the metric's declared
  equivalence margin, Holm-corrected over the family of comparisons made together, at α (a
  difference shown to be smaller than the margin is "same" even where Welch's test finds it);
- "real": not same, and Welch's p-value, Holm-corrected over the family, is below α;
- "undecided": neither; the comparison then states the smallest difference it could have
  detected (80% power at α, two-sided).

A comparison whose seeds were added until it was decided has its p-values multiplied by its
planned looks (looks, over_looks) before the family's correction (bench_lib.analysis.family).
"""

from __future__ import annotations

import dataclasses
import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize
from scipy import stats as scipy_stats

ALPHA = 0.05
POWER = 0.8
SCALES = ("difference", "ratio")
DECISIONS = ("real", "same", "undecided")


@dataclass(frozen=True)
class Margin:
    """The equivalence margin of a metric: inside it two configurations are "the same".

    scale: "difference" (margin in the metric's units, e.g. 0.01 = one accuracy point) or
    "ratio" (a fraction, e.g. 0.2: a ratio between 0.8 and 1.2).
    """

    scale: str
    margin: float

    def __post_init__(self) -> None:
        if self.scale not in SCALES:
            raise ValueError(f"scale={self.scale!r} is not allowed: use one of {', '.join(SCALES)}")
        if not 0 < self.margin < (1 if self.scale == "ratio" else math.inf):
            raise ValueError(f"margin={self.margin!r} is not allowed: > 0 (and < 1 for a ratio)")

    def bounds(self) -> tuple[float, float]:
        """The equivalence interval on the tested scale (log for a ratio)."""
        if self.scale == "ratio":
            return (math.log(1 - self.margin), math.log(1 + self.margin))
        return (-self.margin, self.margin)


@dataclass(frozen=True)
class Comparison:
    """b against a: the estimate (b − a, or b / a), its 95% interval, and the tests' raw p-values.

    p_value: Welch's two-sided p of "no difference". equivalence_p: TOST's p of "outside the
    margin" (the larger of the two one-sided p's). detectable: the smallest difference this
    comparison could have detected at α (detectable() at another level), on the estimate's scale
    (a ratio above 1 for "ratio"). se, df: the difference's standard error and Welch's degrees of
    freedom on the tested scale (log for a ratio).
    """

    margin: Margin
    estimate: float
    ci95: tuple[float, float]
    p_value: float
    equivalence_p: float
    detectable: float
    n: tuple[int, int]
    se: float = 0.0
    df: float = math.inf


def detectable(comparison: Comparison, alpha: float) -> float:
    """The smallest difference the comparison detects with POWER at a two-sided level alpha, on the
    estimate's scale: (t(1 − alpha/2) + t(POWER)) · se, exponentiated for a ratio."""
    df = comparison.df
    on_tested_scale = (scipy_stats.t.ppf(1 - alpha / 2, df) + scipy_stats.t.ppf(POWER, df)) * comparison.se
    return math.exp(on_tested_scale) if comparison.margin.scale == "ratio" else float(on_tested_scale)


def _transform(values: Sequence[float], scale: str) -> np.ndarray:
    x = np.asarray(values, dtype=float)
    if scale == "ratio":
        if (x <= 0).any():
            raise ValueError(f"values={list(values)!r} are not allowed on the ratio scale: all must be > 0")
        return np.log(x)
    return x


def _welch_and_tost(x: np.ndarray, y: np.ndarray, margin: Margin) -> tuple[object, float, float]:
    """Welch's test of y against x, and TOST's two one-sided p-values against the margin's bounds."""
    lower, upper = margin.bounds()
    welch = scipy_stats.ttest_ind(y, x, equal_var=False)
    above = scipy_stats.ttest_ind(y - lower, x, equal_var=False, alternative="greater").pvalue
    below = scipy_stats.ttest_ind(y - upper, x, equal_var=False, alternative="less").pvalue
    return welch, float(above), float(below)


def compare(a: Sequence[float], b: Sequence[float], margin: Margin, *, alpha: float = ALPHA) -> Comparison:
    """b against a on the margin's scale, by Welch's t-test and TOST.

    Raises:
      ValueError: fewer than two values in a group, or a value <= 0 on the ratio scale.
    """
    if len(a) < 2 or len(b) < 2:
        raise ValueError(f"a comparison needs at least 2 values per group, got {len(a)} and {len(b)}")
    x, y = _transform(a, margin.scale), _transform(b, margin.scale)
    with warnings.catch_warnings():
        # Seeds that agree to the last digit (steps 9, 9, 9) make scipy warn of cancellation; a zero
        # spread is decided below without its statistic.
        warnings.filterwarnings("ignore", "Precision loss", RuntimeWarning)
        welch, above, below = _welch_and_tost(x, y, margin)
    diff = float(y.mean() - x.mean())
    low, high = welch.confidence_interval(1 - alpha)
    se = math.sqrt(y.var(ddof=1) / len(y) + x.var(ddof=1) / len(x))
    p = float(welch.pvalue) if se > 0 else (1.0 if diff == 0 else 0.0)
    lower, upper = margin.bounds()
    equivalence_p = float(max(above, below)) if se > 0 else float(not lower < diff < upper)
    df = float(welch.df) if se > 0 else math.inf
    back = math.exp if margin.scale == "ratio" else float
    found = Comparison(
        margin=margin,
        estimate=back(diff),
        ci95=(back(float(low)) if se > 0 else back(diff), back(float(high)) if se > 0 else back(diff)),
        p_value=p,
        equivalence_p=equivalence_p,
        detectable=0.0,
        n=(len(x), len(y)),
        se=se,
        df=df,
    )
    return dataclasses.replace(found, detectable=detectable(found, alpha))


def holm(p_values: Sequence[float]) -> list[float]:
    """Holm's step-down adjusted p-values, in the order given: reject where the adjusted p < α.

    The i-th smallest p (from 0) is multiplied by (m − i), and each adjusted p is at least the
    one before it in that order, at most 1. Controls the family-wise error rate at α for any
    dependence between the tests.
    """
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [0.0] * m
    running = 0.0
    for rank, i in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[i]))
        adjusted[i] = running
    return adjusted


def decide(adjusted_p: float, adjusted_equivalence_p: float, *, alpha: float = ALPHA) -> str:
    """same, real or undecided from a comparison's corrected p-values (see the module's rules)."""
    if adjusted_equivalence_p < alpha:
        return "same"
    return "real" if adjusted_p < alpha else "undecided"


# Seeds until decided: a comparison starts with `first` seeds a side and may add one seed a side
# per look up to `cap`. Each look tests at α / looks (a Bonferroni split over the planned looks),
# so the chance of ever calling a difference real or a pair the same by error stays within α.
# Equivalently, the p-value of whichever look the comparison stopped at, times the looks
# (over_looks), is a valid p-value: it can enter a family's Holm correction like any other.
def looks(first: int, cap: int) -> int:
    """How many times a comparison from `first` to `cap` seeds a side is tested.

    Raises:
      ValueError: first < 2 or cap < first.
    """
    if first < 2 or cap < first:
        raise ValueError(f"first={first!r}, cap={cap!r} are not allowed: need 2 <= first <= cap")
    return cap - first + 1


def over_looks(p_value: float, planned_looks: int) -> float:
    """A p-value taken at one of `planned_looks` looks, valid whichever look it was: min(1, looks · p).

    Under "no difference", the chance that any of the looks gives p <= t / looks is at most t
    (Bonferroni), whatever rule chose the look, so min(1, looks · p) is at most t with chance t.

    Raises:
      ValueError: planned_looks < 1.
    """
    if planned_looks < 1:
        raise ValueError(f"planned_looks={planned_looks!r} is not allowed: >= 1")
    return min(1.0, planned_looks * p_value)


# McCandlish et al. (2018), "An empirical model of large-batch training": steps S and examples
# E = B·S to a target trade off as (S/S_min − 1)(E/E_min − 1) = 1, i.e. S(B) = S_min (1 + B_noise/B),
# and the critical batch B_crit = E_min / S_min equals B_noise.
@dataclass(frozen=True)
class CriticalBatch:
    """The fit of S(B) = S_min (1 + B_crit / B) to steps-to-target, with a bootstrap interval of B_crit."""

    s_min: float
    b_crit: float
    ci95: tuple[float, float] | None
    resamples: int


def fit_tradeoff(batches: Sequence[float], steps: Sequence[float]) -> tuple[float, float]:
    """(S_min, B_crit) by least squares on log S (steps are multiplicative), B_crit kept >= 0.

    Raises:
      ValueError: fewer than three batch sizes, or a value <= 0.
    """
    b, s = np.asarray(batches, dtype=float), np.asarray(steps, dtype=float)
    if len(set(b.tolist())) < 3 or (b <= 0).any() or (s <= 0).any():
        raise ValueError(f"batches={list(batches)!r}, steps={list(steps)!r}: need 3 batch sizes and values > 0")

    def model(batch: np.ndarray, log_s_min: float, log_b_crit: float) -> np.ndarray:
        return log_s_min + np.log1p(np.exp(log_b_crit) / batch)

    start = (math.log(float(s.min())), math.log(float(np.median(b))))
    (log_s_min, log_b_crit), _ = optimize.curve_fit(model, b, np.log(s), p0=start, maxfev=10000)
    return math.exp(log_s_min), math.exp(log_b_crit)


def critical_batch(
    per_batch_values: dict[int, Sequence[float]], *, resamples: int = 500, seed: int = 0
) -> CriticalBatch:
    """B_crit fitted to the mean steps per batch size, its 95% interval by bootstrap over the seeds.

    Each resample redraws every batch size's seed values with replacement and refits; the
    interval is the 2.5th and 97.5th percentile of the refits (None when every batch has one value).

    Raises:
      ValueError: fewer than three batch sizes, or a value <= 0.
    """
    batches = sorted(per_batch_values)
    means = [float(np.mean(per_batch_values[b])) for b in batches]
    s_min, b_crit = fit_tradeoff(batches, means)
    if all(len(per_batch_values[b]) < 2 for b in batches):
        return CriticalBatch(s_min, b_crit, None, 0)
    rng = np.random.default_rng(seed)
    fits = []
    for _ in range(resamples):
        drawn = [float(np.mean(rng.choice(per_batch_values[b], size=len(per_batch_values[b])))) for b in batches]
        try:
            fits.append(fit_tradeoff(batches, drawn)[1])
        except (RuntimeError, ValueError):  # curve_fit did not converge on this resample
            continue
    if not fits:
        return CriticalBatch(s_min, b_crit, None, 0)
    low, high = np.percentile(fits, [2.5, 97.5])
    return CriticalBatch(s_min, b_crit, (float(low), float(high)), len(fits))
