"""Judges the newest run of one machine's history by compare's rules, and finds steps anywhere in the history.

- timing: the newest value against its configuration's history median, tested against its
  history's between-run spread moderated towards every configuration's (analysis.timing_noise), with its
  smallest detectable change; the median shift over all timed configurations is the run-level row;
- accuracy: outside median ± k·1.4826·MAD of the history and beyond the threshold;
- memory: the same band, and beyond the threshold and MEMORY_FLOOR_MIB, as in compare;
- status: a configuration that newly diverges, runs out of memory, fails or goes missing is worse;
- a configuration whose spec changed along the history is judged only against the runs of its
  newest configuration ("configuration changed" when there are none);
- a step anywhere in the history: the exact best split into two parts (least absolute deviation
  from each part's median, as asv's step detection fits), reported when the two parts differ by
  the same rules.
Pure: no TensorFlow, no I/O.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bench_lib.analysis import timing_noise, verdict
from bench_lib.analysis.timing_noise import Noise
from bench_lib.analysis.verdict import BETTER, CHANGED, ORDER, SAME, UNKNOWN, WORSE, Row, Verdict
from bench_lib.maths import stats
from bench_lib.record.history import Benchmark, SavedRun
from bench_lib.record.metrics import Metric

MIN_TREND_HISTORY = 3
MIN_STEP_SIDE = 2  # points on each side of a step


@dataclass(frozen=True)
class Step:
    run: str  # the first run after the step
    before: float  # median of the runs before it
    after: float
    change: float  # percent, or percentage points for accuracy

    def describe(self, metric: Metric) -> str:
        unit = " pt" if metric.compare == "accuracy" else "%"
        return f"step at `{self.run}`: {self.before:.4g} -> {self.after:.4g} ({self.change:+.1f}{unit})"


@dataclass(frozen=True)
class Series:
    key: str
    metric: Metric
    points: list[tuple[str, float | str]]  # (run name, value), oldest first; runs without the figure left out
    verdict: Verdict  # the newest run against the runs before it
    step: Step | None = None  # the largest step anywhere in the history, when one stands out
    # The newest run's noise band (low, high): the history median ÷/× the detectable change for timing,
    # ± k·1.4826·MAD for accuracy and memory; None where the newest run was not judged against a history.
    band: tuple[float, float] | None = None


@dataclass(frozen=True)
class Trend:
    series: list[Series]  # worst first
    run_level: tuple[Row, ...]

    @property
    def any_worse(self) -> bool:
        return any(s.verdict.verdict == WORSE for s in self.series) or any(
            r.verdict.verdict == WORSE for r in self.run_level
        )

    def insensitive(self, thresholds: dict[str, float]) -> list[str]:
        """Benchmarks with a timing verdict, not worse, that could not have seen a change of the threshold's size."""
        return verdict.insensitive_keys(self.series, thresholds)


def _change(metric: Metric, center: float, value: float) -> float | None:
    if metric.compare == "accuracy":
        return (value - center) * 100
    return (value / center - 1) * 100 if center > 0 else None


def _band(metric: Metric, history: Sequence[float], newest: float, threshold: float, k: float) -> Verdict:
    """Accuracy and memory: outside median ± k·1.4826·MAD and beyond the threshold (memory also the MiB floor)."""
    center = stats.median(history)
    band = k * 1.4826 * stats.mad(history)
    change = _change(metric, center, newest)
    if change is None:
        return Verdict(UNKNOWN, center, newest, method="history median is zero")
    method = f"median ± {k:g}·MAD = {_short(center)} ± {_short(band)} over {len(history)} runs"
    beyond = abs(change) > threshold
    if metric.compare == "memory":
        beyond = beyond and abs(newest - center) >= verdict.MEMORY_FLOOR_MIB
        method += f"; at least {verdict.MEMORY_FLOOR_MIB:g} MiB"
    low, high = newest < center - band, newest > center + band
    severity = abs(change) / threshold if threshold else abs(change)
    worse, better = (low, high) if metric.direction == "higher" else (high, low)
    if beyond and worse:
        return Verdict(WORSE, center, newest, change, method, severity)
    if beyond and better:
        return Verdict(BETTER, center, newest, change, method, severity)
    return Verdict(SAME, center, newest, change, method)


def _short(value: float) -> str:
    return f"{value:,.0f}" if abs(value) >= 1000 else f"{value:.4g}"


def _timing(metric: Metric, history: Sequence[float], newest: float, threshold: float, noise: Noise) -> Verdict:
    center = stats.median(history)
    change = (newest / center - 1) * 100
    log_ratio = math.log(newest / center) * (-1 if metric.direction == "higher" else 1)  # as a step time
    significant = noise.significant(log_ratio)
    got_worse, got_better = verdict.beyond_threshold(metric, change, threshold, noise.margin())
    method = f"{noise.describe(log_ratio)}; against the median of {len(history)} runs"
    if (got_worse or got_better) and not significant:
        method += f"; the noise decided, not the threshold {metric.compare}:{threshold:g}%"
    severity = abs(change) / threshold if threshold else abs(change)
    detectable = noise.detectable()
    if significant and got_worse:
        return Verdict(WORSE, center, newest, change, method, severity, detectable)
    if significant and got_better:
        return Verdict(BETTER, center, newest, change, method, severity, detectable)
    return Verdict(SAME, center, newest, change, method, 0.0, detectable)


def best_split(values: Sequence[float]) -> int | None:
    """The index i splitting values into [:i] and [i:] (each MIN_STEP_SIDE long or more) with the least total
    absolute deviation from each part's median: an exhaustive search. None when too short."""
    array = np.asarray(values, dtype=float)
    candidates = range(MIN_STEP_SIDE, len(array) - MIN_STEP_SIDE + 1)
    costs = {i: sum(float(np.abs(part - np.median(part)).sum()) for part in (array[:i], array[i:])) for i in candidates}
    return min(costs, key=costs.get) if costs else None


def find_step(
    metric: Metric, points: Sequence[tuple[str, float]], threshold: float, noise: Noise | None
) -> Step | None:
    """The best split of a series when its two parts differ beyond the threshold and the noise (timing) or do not
    overlap (accuracy, memory; memory also by MEMORY_FLOOR_MIB)."""
    values = [v for _, v in points]
    split = best_split(values)
    if split is None:
        return None
    before, after = stats.median(values[:split]), stats.median(values[split:])
    change = _change(metric, before, after)
    if change is None or abs(change) <= threshold:
        return None
    if metric.compare in verdict.TIMING_RULES:
        if noise is None or before <= 0 or after <= 0:
            return None
        n1, n2 = split, len(values) - split
        se_scale = math.sqrt(math.pi / 2 * (1 / n1 + 1 / n2))
        se = None if noise.se is None else noise.se * se_scale
        scaled = Noise(noise.source, se, noise.dof, noise.floor, noise.alpha)
        if not scaled.significant(math.log(after / before)):
            return None
    else:
        apart = min(values[split:]) > max(values[:split]) or max(values[split:]) < min(values[:split])
        if not apart or (metric.compare == "memory" and abs(after - before) < verdict.MEMORY_FLOOR_MIB):
            return None
    return Step(points[split][0], before, after, change)


def _status_series(key: str, metric: Metric, runs: Sequence[SavedRun]) -> Series:
    """Newly not ok, or missing from the newest run when the run before it had the configuration, is worse."""
    points = [(run.name, run.by_key()[key].result.get("status")) for run in runs if key in run.by_key()]
    newest = runs[-1].by_key().get(key)
    before = runs[-2].by_key().get(key) if len(runs) > 1 else None
    if newest is None:
        judged = Verdict(WORSE, before.result.get("status"), "missing", method="missing in the newest run",
                         severity=math.inf)  # fmt: skip
    elif before is None:
        judged = Verdict(UNKNOWN, None, newest.result.get("status"), method="not in the run before")
    else:
        judged = verdict.status_verdict(before.result.get("status"), newest.result.get("status"))
    return Series(key, metric, points, judged)


def _same_configuration(runs: Sequence[SavedRun], key: str) -> tuple[list[SavedRun], tuple[str, str] | None]:
    """The runs whose configuration `key` matches the newest run's, and the last gate one that does not met."""
    newest = runs[-1].by_key()[key]
    kept, changed = [], None
    for run in runs:
        bench = run.by_key().get(key)
        if bench is None:
            continue
        stopped = verdict.gate(bench, newest)
        if stopped is None:
            kept.append(run)
        else:
            changed = (stopped[0], f"{stopped[1]} (`{run.name}`)")
    return kept, changed


def _value(metric: Metric, bench: Benchmark | None) -> float | None:
    if bench is None or bench.result.get("status") != "ok":
        return None
    value = verdict.metric_value(metric, bench)
    return value if isinstance(value, float) else None


def trend(runs: Sequence[SavedRun], thresholds: dict[str, float], *, k: float = 3.0, window: int = 10) -> Trend:
    """Every metric of every benchmark of the newest run over the runs (oldest first), worst first, and the
    run-level timing rows."""
    newest_keys = runs[-1].by_key()
    status = next(m for m in verdict.compared() if m.compare == "status")
    earlier = runs[-2].by_key() if len(runs) > 1 else {}
    series = [
        _status_series(key, status, runs) for key in (*newest_keys, *(k for k in earlier if k not in newest_keys))
    ]
    points_of: dict[tuple[str, str], list[tuple[str, float]]] = {}
    notes: dict[str, tuple[str, str] | None] = {}
    for key in newest_keys:
        mine, notes[key] = _same_configuration(runs, key)
        for metric in verdict.trended():
            points_of[key, metric.key] = [
                (run.name, v) for run in mine if (v := _value(metric, run.by_key().get(key))) is not None
            ]
    shifts = []
    for metric in verdict.trended():
        noises = _noises(metric, {key: points_of[key, metric.key] for key in newest_keys}, window)
        for key in newest_keys:
            points = points_of[key, metric.key]
            judged = _judge(metric, key, points, runs[-1].name, thresholds, k, window, noises.get(key), notes[key])
            step = find_step(metric, points, thresholds[metric.compare], noises.get(key))
            series.append(Series(key, metric, points, judged, step, noise_band(metric, points, judged, k, window)))
            if metric.compare == "time" and judged.verdict in (WORSE, BETTER, SAME):
                shifts.append(math.log(judged.new / judged.base))
    shift = timing_noise.shift(shifts)
    run_level = tuple(
        Row(verdict.RUN_LEVEL, metric, verdict.shift_verdict(metric, shift, thresholds[metric.compare], len(shifts)))
        for metric in verdict.compared()
        if metric.compare in verdict.TIMING_RULES
    )
    series.sort(key=lambda s: (ORDER[s.verdict.verdict], -s.verdict.severity, s.key))
    return Trend(series, run_level)


def noise_band(metric: Metric, points: Sequence[tuple[str, float]], judged: Verdict, k: float,
               window: int) -> tuple[float, float] | None:  # fmt: skip
    """Where the newest value could land without a verdict: the history median ÷/× the smallest detectable change
    (timing), or median ± k·1.4826·MAD (accuracy, memory); None when no history judged it."""
    history = [v for _, v in points[:-1]][-window:]
    if judged.verdict not in (WORSE, BETTER, SAME) or len(history) < MIN_TREND_HISTORY:
        return None
    center = stats.median(history)
    if judged.detectable is not None:
        return center / judged.detectable, center * judged.detectable
    spread = k * 1.4826 * stats.mad(history)
    return center - spread, center + spread


def _noises(metric: Metric, points: dict[str, list[tuple[str, float]]], window: int) -> dict[str, Noise]:
    """Timing: each configuration's noise from its own history's spread, moderated towards every history's
    (timing_noise.moderated_spreads), as compare moderates process medians."""
    if metric.compare not in verdict.TIMING_RULES:
        return {}
    histories = {key: [v for _, v in p[:-1][-window:] if v > 0] for key, p in points.items()}
    within = {key: timing_noise.within_squares({key: np.log(h)})[0][key]
              for key, h in histories.items() if len(h) >= MIN_TREND_HISTORY}  # fmt: skip
    spreads = timing_noise.moderated_spreads(within, "between-run history") or {}
    alpha = timing_noise.config_alpha(len(histories))
    noises = {}
    for key, history in histories.items():
        if key in spreads:
            spread = spreads[key]
            se = spread.sigma * math.sqrt(1 + math.pi / (2 * len(history)))
            source = f"{spread.source} (σ={spread.sigma:.3f}, {spread.dof:.0f} dof)"
            noises[key] = Noise(source, se, spread.dof, alpha=alpha)
        else:
            why = f"under {timing_noise.MIN_POOLED} degrees of freedom in the histories of {MIN_TREND_HISTORY}+ runs"
            noises[key] = timing_noise.Noise(f"fallback: {why}", floor=timing_noise.DEFAULT_NOISE_FACTOR)
    return noises


def _judge(metric: Metric, key: str, points: list[tuple[str, float]], newest_run: str, thresholds: dict[str, float],
           k: float, window: int, noise: Noise | None, changed: tuple[str, str] | None) -> Verdict:  # fmt: skip
    if not points or points[-1][0] != newest_run:
        return Verdict(UNKNOWN, None, None, method="the newest run has no figure")
    history = [v for _, v in points[:-1]][-window:]
    if len(history) < MIN_TREND_HISTORY:
        if changed is not None:
            return Verdict(CHANGED, None, points[-1][1], method=f"{changed[0]}: {changed[1]}", gate=changed[0])
        return Verdict(UNKNOWN, None, points[-1][1],
                       method=f"needs {MIN_TREND_HISTORY} earlier runs, has {len(history)}")  # fmt: skip
    threshold = thresholds[metric.compare]
    if metric.compare in verdict.TIMING_RULES and stats.median(history) > 0 and noise is not None:
        judged = _timing(metric, history, points[-1][1], threshold, noise)
    else:
        judged = _band(metric, history, points[-1][1], threshold, k)
    if changed is not None:
        judged = Verdict(judged.verdict, judged.base, judged.new, judged.change,
                         f"{judged.method}; earlier runs left out ({changed[0]}: {changed[1]})",
                         judged.severity, judged.detectable)  # fmt: skip
    return judged
