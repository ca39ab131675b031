"""Decides better / worse / same / unknown per metric: between two saved runs, and for the newest run of a series.

The rules (docs/results/judging-rules.md explains them and their numbers):
- time and throughput: the figure changed by more than the threshold AND by more than the noise
  floor between runs, AND the rounds moved: they differ significantly (analysis.timing_noise:
  Mann-Whitney U at p < 0.01, or non-overlapping interquartile ranges, as asv does) and their
  medians moved beyond the same floor.
- accuracy: the change exceeds an absolute threshold in percentage points and, when both runs
  have several seeds, also twice the standard error of the difference of the seed means.
- memory: the relative change exceeds the threshold and is at least MEMORY_FLOOR_MIB.
- a status that leaves `ok` is worse; one that reaches `ok` is better.
- trend: the newest value lies outside median ± k x 1.4826 x MAD of the previous runs (the
  window) and differs from that median by more than the metric's threshold; timing also by more
  than the default noise floor while the window is too short to estimate the spread.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

from bench_lib.analysis import computation, timing_noise
from bench_lib.analysis.timing_noise import NoiseFloor
from bench_lib.record import metrics, stats
from bench_lib.record.history import Benchmark, SavedRun
from bench_lib.record.metrics import COMPARE_RULES, Metric

BETTER, WORSE, SAME, UNKNOWN = "better", "worse", "same", "unknown"
# Allocator peaks of the digits models (0.3-9 MiB) moved by up to 1.2 MiB between quiet reruns.
MEMORY_FLOOR_MIB = 2.0
MIN_TREND_HISTORY = 3


def compared() -> list[Metric]:
    """The metrics compare judges (bench_lib.record.metrics), grouped by rule in COMPARE_RULES' order."""
    judged = [m for m in metrics.METRICS if m.compare is not None]
    return sorted(judged, key=lambda m: COMPARE_RULES.index(m.compare))


def trended() -> list[Metric]:
    """The metrics trend follows: the compared ones with a number."""
    return [m for m in compared() if m.compare != "status"]


TIMING_RULES = ("time", "throughput")  # judged against between-run noise (analysis.timing_noise)
THRESHOLD_UNITS = {"time": "%", "throughput": "%", "accuracy": "pt", "memory": "%"}
DEFAULT_THRESHOLDS = {"time": 10.0, "throughput": 10.0, "accuracy": 1.0, "memory": 10.0}


def parse_thresholds(text: str | None) -> dict[str, float]:
    """'time:10%,accuracy:1pt,memory:10%' -> {kind: value}; kinds not named keep their defaults.

    Raises:
      ValueError: naming the part, its value and what is allowed.
    """
    thresholds = dict(DEFAULT_THRESHOLDS)
    for part in (text or "").split(","):
        if not part.strip():
            continue
        kind, _, value = part.strip().partition(":")
        unit = THRESHOLD_UNITS.get(kind)
        if unit is None:
            raise ValueError(f"--fail-on={part!r} is not allowed: metrics are {', '.join(THRESHOLD_UNITS)}")
        number = value.removesuffix(unit)
        try:
            thresholds[kind] = float(number)
        except ValueError:
            raise ValueError(f"--fail-on={part!r} is not allowed: write {kind}:<number>{unit}") from None
        if not value.endswith(unit) or not math.isfinite(thresholds[kind]) or thresholds[kind] < 0:
            raise ValueError(f"--fail-on={part!r} is not allowed: write {kind}:<number>{unit}, a number >= 0")
    return thresholds


@dataclass(frozen=True)
class Verdict:
    verdict: str
    base: float | str | None
    new: float | str | None
    change: float | None = None  # percent for relative metrics, percentage points for accuracy
    method: str = ""
    severity: float = 0.0  # |change| / threshold, orders the worst first


def metric_value(metric: Metric, bench: Benchmark) -> float | str | None:
    """The figure a metric compares; time is the median of the raw rounds in ms."""
    result = bench.result
    if metric.compare == "status":
        return result.get(metric.key)
    if metric.compare == "time":
        if bench.rounds_s:
            return stats.median(bench.rounds_s) * 1000
        median = bench.timing.get("median")
        return None if median is None else median * 1000
    value = result.get(metric.key)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def _timing_differs(base: Benchmark, new: Benchmark, floor: NoiseFloor) -> tuple[bool | None, str]:
    """Whether the timed rounds moved: significantly, and at their medians by more than the noise floor."""
    if len(base.rounds_s) >= 2 and len(new.rounds_s) >= 2:
        significant, method = timing_noise.rounds_differ(base.rounds_s, new.rounds_s)
        ratio = stats.median(new.rounds_s) / stats.median(base.rounds_s)
    else:
        significant = timing_noise.quartiles_differ(base.timing, new.timing)
        medians = base.timing.get("median"), new.timing.get("median")
        if significant is None or None in medians or medians[0] <= 0:
            return None, "no rounds or quartiles saved"
        method, ratio = "IQRs compared (no raw rounds saved)", medians[1] / medians[0]
    return significant and floor.exceeded_by(ratio), f"{method}; {floor.describe()}"


def _relative(
    metric: Metric, base: float, new: float, threshold: float, significant: bool | None, method: str,
    floor: NoiseFloor | None = None,
) -> Verdict:  # fmt: skip
    change = (new / base - 1) * 100
    severity = abs(change) / threshold if threshold else abs(change)
    if significant is None:
        return Verdict(UNKNOWN, base, new, change, method, 0.0)
    moved = floor is None or floor.exceeded_by(new / base)
    higher_is_better = metric.direction == "higher"
    got_worse = change < -threshold if higher_is_better else change > threshold
    got_better = change > threshold if higher_is_better else change < -threshold
    if significant and moved and got_worse:
        return Verdict(WORSE, base, new, change, method, severity)
    if significant and moved and got_better:
        return Verdict(BETTER, base, new, change, method, severity)
    return Verdict(SAME, base, new, change, method, 0.0)


def _accuracy(metric: Metric, base: Benchmark, new: Benchmark, b: float, n: float, threshold_pt: float) -> Verdict:
    change = (n - b) * 100
    spreads = [x.result.get("seed_stats", {}).get(metric.key) or {} for x in (base, new)]
    counts = [s.get("n") or 1 for s in spreads]
    stds = [s.get("std") for s in spreads]
    bar, method = threshold_pt, f"threshold {threshold_pt:g} pt, 1 seed"
    if min(counts) > 1 and None not in stds:
        two_se = 2 * 100 * math.sqrt(stds[0] ** 2 / counts[0] + stds[1] ** 2 / counts[1])
        bar = max(threshold_pt, two_se)
        method = f"seed spread: 2 SE = {two_se:.2f} pt (n={counts[0]} vs {counts[1]})"
    severity = abs(change) / bar if bar else abs(change)
    gain = change if metric.direction == "higher" else -change
    if gain < -bar:
        return Verdict(WORSE, b, n, change, method, severity)
    if gain > bar:
        return Verdict(BETTER, b, n, change, method, severity)
    return Verdict(SAME, b, n, change, method)


def _status(b: object, n: object) -> Verdict:
    if b == n:
        return Verdict(SAME, b, n)
    if n == "ok":
        return Verdict(BETTER, b, n, method="now ok")
    return Verdict(WORSE, b, n, method="no longer ok" if b == "ok" else "status changed", severity=math.inf)


def compare_metric(metric: Metric, base: Benchmark, new: Benchmark, thresholds: dict[str, float]) -> Verdict:
    """The verdict of one metric of one benchmark, base run against new run."""
    b, n = metric_value(metric, base), metric_value(metric, new)
    if metric.compare == "status":
        return _status(b, n)
    if base.result.get("status") != "ok" or new.result.get("status") != "ok":
        return Verdict(UNKNOWN, b, n, method="a run is not ok")
    if b is None or n is None:
        return Verdict(UNKNOWN, b, n, method="not recorded")
    threshold = thresholds[metric.compare]
    if metric.compare == "accuracy":
        return _accuracy(metric, base, new, b, n, threshold)
    if b <= 0:
        return Verdict(UNKNOWN, b, n, method="base is zero")
    if metric.compare == "memory":
        significant = abs(n - b) >= MEMORY_FLOOR_MIB
        return _relative(metric, b, n, threshold, significant, f"relative, at least {MEMORY_FLOOR_MIB:g} MiB")
    floor = timing_noise.compare_floor(base.result, new.result)
    significant, method = _timing_differs(base, new, floor)
    return _relative(metric, b, n, threshold, significant, method, floor)


@dataclass(frozen=True)
class Row:
    key: str
    metric: Metric
    verdict: Verdict


@dataclass(frozen=True)
class Comparison:
    rows: list[Row]  # worst first
    only_base: list[str]
    only_new: list[str]
    # Benchmarks whose traced step computes something else: exact counts, decided before any timing verdict.
    computation_changed: list[computation.ComputationChange] = field(default_factory=list)

    @property
    def any_worse(self) -> bool:
        return any(r.verdict.verdict == WORSE for r in self.rows)


ORDER = {WORSE: 0, UNKNOWN: 1, BETTER: 2, SAME: 3}


def compare_runs(base: SavedRun, new: SavedRun, thresholds: dict[str, float]) -> Comparison:
    """Every metric of every benchmark the two runs share, worst first; the benchmarks only one run has.

    A metric that neither run has for a benchmark (test accuracy on synthetic data, which is not
    evaluated) gets no row; one that only one run has is unknown, "not recorded".
    """
    base_keys, new_keys = base.by_key(), new.by_key()
    rows = [
        Row(key, metric, compare_metric(metric, base_keys[key], new_keys[key], thresholds))
        for key in base_keys
        if key in new_keys
        for metric in compared()
        if metric.compare == "status"
        or {metric_value(metric, base_keys[key]), metric_value(metric, new_keys[key])} != {None}
    ]
    rows.sort(key=lambda r: (ORDER[r.verdict.verdict], -r.verdict.severity, r.key))
    return Comparison(
        rows=rows,
        only_base=sorted(k for k in base_keys if k not in new_keys),
        only_new=sorted(k for k in new_keys if k not in base_keys),
        computation_changed=computation.changed(base, new),
    )


def change_point(metric: Metric, history: Sequence[float], newest: float, threshold: float, k: float) -> Verdict:
    """Is the newest value a step away from the history window? (median ± k·1.4826·MAD and beyond the threshold)."""
    if len(history) < MIN_TREND_HISTORY:
        return Verdict(UNKNOWN, None, newest, method=f"needs {MIN_TREND_HISTORY} earlier runs, has {len(history)}")
    center = stats.median(history)
    band = k * 1.4826 * stats.mad(history)
    if metric.compare == "accuracy":
        change = (newest - center) * 100
    elif center > 0:
        change = (newest / center - 1) * 100
    else:
        return Verdict(UNKNOWN, center, newest, method="history median is zero")
    method = f"median ± {k:g}·MAD = {_short(center)} ± {_short(band)} over {len(history)} runs"
    floor = timing_noise.history_floor(len(history)) if metric.compare in TIMING_RULES else None
    if floor is not None:
        method += f"; {floor.describe()}"
    outside_low, outside_high = newest < center - band, newest > center + band
    beyond = abs(change) > threshold and (floor is None or floor.exceeded_by(newest / center))
    severity = abs(change) / threshold if threshold else abs(change)
    lower_is_worse = metric.direction == "higher"
    if beyond and (outside_low if lower_is_worse else outside_high):
        return Verdict(WORSE, center, newest, change, method, severity)
    if beyond and (outside_high if lower_is_worse else outside_low):
        return Verdict(BETTER, center, newest, change, method, severity)
    return Verdict(SAME, center, newest, change, method)


def _short(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


@dataclass(frozen=True)
class Series:
    key: str
    metric: Metric
    points: list[tuple[str, float]]  # (run name, value), oldest first; runs without the figure left out
    verdict: Verdict  # the newest run against the window of runs before it


def trend(runs: Sequence[SavedRun], thresholds: dict[str, float], *, k: float = 3.0, window: int = 10) -> list[Series]:
    """Every numeric metric of every benchmark of the newest run over the runs (oldest first), worst first."""
    newest = runs[-1]
    series = []
    for key in newest.by_key():
        for metric in trended():
            values = []
            for run in runs:
                other = run.by_key().get(key)
                ok = other is not None and other.result.get("status") == "ok"
                values.append((run.name, metric_value(metric, other) if ok else None))
            points = [(name, v) for name, v in values if v is not None]
            if values[-1][1] is None:
                verdict = Verdict(UNKNOWN, None, None, method="the newest run has no figure")
            else:
                history = [v for _, v in points[:-1]][-window:]
                verdict = change_point(metric, history, points[-1][1], thresholds[metric.compare], k)
            series.append(Series(key, metric, points, verdict))
    series.sort(key=lambda s: (ORDER[s.verdict.verdict], -s.verdict.severity, s.key))
    return series
