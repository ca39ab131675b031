"""Decides better / worse / same / unknown / changed per metric between two saved runs, and states what each could see.

The rules (docs/results/judging-rules.md explains them and their numbers):
- first, a pre-verdict gate (`gate`): a configuration whose saved spec differs between the runs is
  "configuration changed", naming the fields, and gets no verdict;
- time and throughput: the change exceeds the threshold, stands out from the between-process
  noise estimated once from every timed configuration (analysis.timing_noise), and the rounds
  moved (Mann-Whitney U at p < 0.01, or non-overlapping interquartile ranges, as asv does). Every
  timing verdict carries the smallest slowdown it could have detected. Over all timed
  configurations, the median log ratio and its confidence interval give a run-level verdict;
- accuracy: the change exceeds an absolute threshold in percentage points and, when both runs
  have several seeds, also twice the standard error of the difference of the seed means;
- memory: the relative change exceeds the threshold and is at least MEMORY_FLOOR_MIB;
- a status that leaves `ok` is worse; one that reaches `ok` is better.
Trend applies the same rules to a history (analysis.trend).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

from bench_lib.analysis import computation, timing_noise
from bench_lib.analysis.timing_noise import Noise, Shift
from bench_lib.maths import stats
from bench_lib.record import metrics
from bench_lib.record.history import Benchmark, SavedRun
from bench_lib.record.metrics import COMPARE_RULES, Metric

BETTER, WORSE, SAME, UNKNOWN, CHANGED = "better", "worse", "same", "unknown", "changed"
# A memory peak is worse only if it also rose by this much: small allocator peaks move between reruns.
MEMORY_FLOOR_MIB = 2.0
# The exit status of compare and trend with --fail-insensitive when a timing comparison could not have seen a
# change of the threshold's size (1: something is worse, 2: bad input).
INSENSITIVE_EXIT = 3
RUN_LEVEL = "all timed configurations"  # the key of the run-level rows
# Spec fields that say where a run found its data, not what it trained on.
NOT_CONFIGURATION = frozenset({"data_path"})


def compared() -> list[Metric]:
    """The metrics compare judges (bench_lib.record.metrics), grouped by rule in COMPARE_RULES' order."""
    judged = [m for m in metrics.METRICS if m.compare is not None]
    return sorted(judged, key=lambda m: COMPARE_RULES.index(m.compare))


def trended() -> list[Metric]:
    """The metrics trend follows: the compared ones with a number."""
    return [m for m in compared() if m.compare != "status"]


TIMING_RULES = ("time", "throughput")  # judged against between-process noise (analysis.timing_noise)
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
    if thresholds["throughput"] >= 100:
        raise ValueError(f"--fail-on=throughput:{thresholds['throughput']:g}% is not allowed: a drop below 100%")
    return thresholds


def threshold_factor(rule: str, threshold_pct: float) -> float:
    """The step-time factor a timing threshold stands for: time:10% is ×1.10, throughput:10% (a drop) ×1/0.9."""
    return 1 + threshold_pct / 100 if rule == "time" else 1 / (1 - threshold_pct / 100)


@dataclass(frozen=True)
class Verdict:
    verdict: str
    base: float | str | None
    new: float | str | None
    change: float | None = None  # percent for relative metrics, percentage points for accuracy
    method: str = ""
    severity: float = 0.0  # |change| / threshold, orders the worst first
    detectable: float | None = None  # timing: the smallest slowdown factor this comparison could have seen
    gate: str = ""  # CHANGED: what stopped the verdict, e.g. 'configuration changed'

    def insensitive(self, factor: float) -> bool:
        """A timing comparison, not worse, that could not have seen a slowdown of `factor`."""
        return self.verdict != WORSE and self.detectable is not None and self.detectable > factor


# ---- the pre-verdict gate -------------------------------------------------------------------------


def configuration_changed(base: Benchmark, new: Benchmark) -> str | None:
    """The spec fields both runs saved and that differ ('epochs 5 -> 2, seeds 1 -> 3'); None when none do.

    A field one run did not save (it predates the field) is not compared, so old runs still compare.
    Seeds added until decided are an outcome, not a configuration: such a row's seeds are the ones
    it started with.
    """
    b, n = _configured(base.result), _configured(new.result)
    fields = sorted(k for k in b.keys() & n.keys() if k not in NOT_CONFIGURATION and b[k] != n[k])
    return ", ".join(f"{k} {b[k]!r} -> {n[k]!r}" for k in fields) or None


def _configured(result: dict) -> dict:
    """A result's spec with the seeds it was configured with (those it started with, if seeds were added)."""
    spec = result.get("spec") or {}
    plan = result.get("seeds_until_decided")
    if isinstance(plan, dict) and "first" in plan and "seeds" in spec:
        return {**spec, "seeds": plan["first"]}
    return spec


# Each check returns what differs, or None; the first that finds something decides. A changed computation
# (bench_lib.analysis.computation) is not a gate: it is reported before the verdicts, which still stand,
# since a step that computes something else and runs slower is the regression a user wants to see.
PRE_VERDICT_GATES: tuple[tuple[str, Callable[[Benchmark, Benchmark], str | None]], ...] = (
    ("configuration changed", configuration_changed),
)


def gate(base: Benchmark, new: Benchmark) -> tuple[str, str] | None:
    """The one place a row is stopped before any verdict: (what kind of change, what differs), or None."""
    for kind, check in PRE_VERDICT_GATES:
        if (detail := check(base, new)) is not None:
            return kind, detail
    return None


# ---- the figures -----------------------------------------------------------------------------------


def metric_value(metric: Metric, bench: Benchmark) -> float | str | None:
    """The figure a metric compares; time is the median of the raw rounds in ms.

    A run saved with process medians is represented by all its processes, not its first: time is
    their geometric mean, throughput the examples/s at that step time (the first process's examples/s,
    global examples over its mean step time, times that mean over the geometric mean).
    """
    result = bench.result
    if metric.compare == "status":
        return result.get(metric.key)
    processes = timing_noise.process_medians(result)
    step = result.get("step_time_ms")
    own = step.get("mean", step.get("median")) if isinstance(step, dict) else None
    if metric.compare in TIMING_RULES and processes and isinstance(own, int | float) and own > 0:
        center = math.exp(stats.mean([math.log(v) for v in processes]))
        if metric.compare == "time":
            return center
        value = result.get(metric.key)
        return float(value) * own / center if isinstance(value, int | float) and math.isfinite(value) else None
    if metric.compare == "time":
        if bench.rounds_s:
            return stats.median(bench.rounds_s) * 1000
        median = bench.timing.get("median")
        return None if median is None else median * 1000
    value = result.get(metric.key)
    return float(value) if isinstance(value, int | float) and math.isfinite(value) else None


def step_time_log_ratio(base: Benchmark, new: Benchmark) -> float | None:
    """log(new/base) of the step time: of the mean log process medians when both runs saved them, else the medians'."""
    processes = [timing_noise.process_medians(b.result) for b in (base, new)]
    if all(processes):
        return stats.mean([math.log(v) for v in processes[1]]) - stats.mean([math.log(v) for v in processes[0]])
    time = next(m for m in compared() if m.compare == "time")
    b, n = metric_value(time, base), metric_value(time, new)
    return math.log(n / b) if isinstance(b, float) and isinstance(n, float) and b > 0 and n > 0 else None


def timing_noises(pairs: dict[str, tuple[Benchmark, Benchmark]]) -> dict[str, Noise]:
    """The noise each timed configuration is judged against, estimated once from all of them.

    Configurations whose runs both saved process medians: each its own moderated spread
    (timing_noise.moderated_spreads), from the within-configuration variance of both runs (each
    pass's shared effect removed where a run saved its passes). The others: the robust spread of
    their log ratios (of their kind when it has enough configurations, else of all). The fixed
    floor only where neither can be estimated.
    """
    kinds = {key: timing_noise.kind_of(b.result) for key, (b, _) in pairs.items()}
    medians = {key: [timing_noise.process_medians(x.result) for x in pair] for key, pair in pairs.items()}
    with_processes = {key for key, m in medians.items() if all(m)}
    within, passes = _within_both_runs({key: pairs[key] for key in with_processes})
    spreads = timing_noise.moderated_spreads(within)
    ratios = {key: step_time_log_ratio(*pair) for key, pair in pairs.items()}
    alpha = timing_noise.config_alpha(len(pairs))
    noises = {}
    for kind in (timing_noise.BLOCKS, timing_noise.TRAINED):
        mine = [key for key in pairs if kinds[key] == kind]
        one = [ratios[k] for k in mine if k not in with_processes and ratios[k] is not None]
        every = [r for k, r in ratios.items() if k not in with_processes and r is not None]
        what = "configurations' log ratios"
        ratio_spread = timing_noise.robust_spread(one, f"{kind} {what}") or timing_noise.robust_spread(every, what)
        for key in mine:
            if key in with_processes and spreads is not None:
                noises[key] = timing_noise.process_noise(spreads[key], *(len(m) for m in medians[key]), alpha, passes)
            elif ratio_spread is not None:
                noises[key] = timing_noise.ratio_noise(ratio_spread, kind, alpha)
            else:
                why = f"fewer than {timing_noise.MIN_POOLED} timed configurations to estimate the spread"
                noises[key] = timing_noise.fallback_floor(kind, why)
    return noises


def _within_both_runs(pairs: dict[str, tuple[Benchmark, Benchmark]]) -> tuple[dict[str, tuple[float, float]], float]:
    """Each configuration's within-configuration (sum of squares, dof) of log process medians, both runs summed;
    and the variance both runs' passes add to every configuration's log ratio (timing_noise.pass_drift_variance)."""
    within: dict[str, tuple[float, float]] = {key: (0.0, 0.0) for key in pairs}
    effects = []
    for side in (0, 1):
        results = {key: pair[side].result for key, pair in pairs.items()}
        logs = {key: [math.log(v) for v in timing_noise.process_medians(r)] for key, r in results.items()}
        passes = {key: p for key, r in results.items() if (p := timing_noise.process_passes(r))}
        squares, pass_effects = timing_noise.within_squares(logs, passes)
        effects.append(pass_effects)
        for key, (ss, d) in squares.items():
            within[key] = (within[key][0] + ss, within[key][1] + d)
    return within, timing_noise.pass_drift_variance(*effects)


def _rounds_moved(base: Benchmark, new: Benchmark) -> tuple[bool | None, str]:
    """Whether the timed rounds moved as a whole (not one outlier); None when neither rounds nor quartiles are saved."""
    if len(base.rounds_s) >= 2 and len(new.rounds_s) >= 2:
        return timing_noise.rounds_differ(base.rounds_s, new.rounds_s)
    moved = timing_noise.quartiles_differ(base.timing, new.timing)
    return moved, "rounds: IQRs compared (no raw rounds saved)"


def direction(metric: Metric, change: float, threshold: float) -> tuple[bool, bool]:
    """(got worse, got better) by more than the threshold."""
    if metric.direction == "higher":
        return change < -threshold, change > threshold
    return change > threshold, change < -threshold


def beyond_threshold(metric: Metric, change: float, threshold: float, margin: float) -> tuple[bool, bool]:
    """(got worse, got better) by more than the threshold, or not surely less: the change's ratio stretched
    outwards by exp(margin), the one-sided bound of its estimate (timing_noise.Noise.margin)."""
    ratio = 1 + change / 100
    stretched = ratio * math.exp(margin) if ratio >= 1 else ratio / math.exp(margin)
    return direction(metric, (stretched - 1) * 100, threshold)


def _timing(metric: Metric, base: Benchmark, new: Benchmark, b: float, n: float, threshold: float,
            noise: Noise) -> Verdict:  # fmt: skip
    change = (n / b - 1) * 100
    log_ratio = step_time_log_ratio(base, new)
    if all(timing_noise.process_medians(x.result) for x in (base, new)):
        moved, rounds = True, "processes compared, not rounds"  # the processes are the between-run test
        sign = -1 if metric.direction == "higher" else 1  # the change the processes measured, in the metric's sense
        change = (math.exp(sign * log_ratio) - 1) * 100
    else:
        moved, rounds = _rounds_moved(base, new)
    if log_ratio is None or moved is None:
        return Verdict(UNKNOWN, b, n, change, "no rounds or quartiles saved")
    detectable = noise.detectable()
    significant = noise.significant(log_ratio)
    got_worse, got_better = beyond_threshold(metric, change, threshold, noise.margin())
    parts = [noise.describe(log_ratio), rounds]
    if (got_worse or got_better) and not significant:
        decider = "the noise floor" if noise.floor is not None else "the noise"
        parts.append(f"{decider} decided, not the threshold {metric.compare}:{threshold:g}%")
    elif significant and moved and not (got_worse or got_better):
        parts.append(f"below the threshold {metric.compare}:{threshold:g}% (--fail-on)")
    elif significant and not moved and (got_worse or got_better):
        parts.append("the rounds did not confirm the move")
    method = "; ".join(parts)
    severity = abs(change) / threshold if threshold else abs(change)
    if significant and moved and got_worse:
        return Verdict(WORSE, b, n, change, method, severity, detectable)
    if significant and moved and got_better:
        return Verdict(BETTER, b, n, change, method, severity, detectable)
    return Verdict(SAME, b, n, change, method, 0.0, detectable)


def shift_verdict(metric: Metric, shift: Shift | None, threshold: float, count: int) -> Verdict:
    """The run-level verdict of a timing metric: the median step-time log ratio over every timed configuration."""
    if shift is None:
        return Verdict(UNKNOWN, None, None, method=f"needs {timing_noise.MIN_POOLED} timed configurations, has {count}")
    sign = -1 if metric.compare == "throughput" else 1
    change = (math.exp(sign * shift.median) - 1) * 100
    margin = shift.high - shift.median if shift.median >= 0 else shift.median - shift.low  # the CI's outer end
    got_worse, got_better = beyond_threshold(metric, change, threshold, margin)
    method = shift.describe()
    if (got_worse or got_better) and not shift.significant:
        method += f"; the CI includes ×1, not the threshold {metric.compare}:{threshold:g}%, decided"
    severity = abs(change) / threshold if threshold else abs(change)
    if shift.significant and got_worse:
        return Verdict(WORSE, None, None, change, method, severity, shift.detectable)
    if shift.significant and got_better:
        return Verdict(BETTER, None, None, change, method, severity, shift.detectable)
    return Verdict(SAME, None, None, change, method, 0.0, shift.detectable)


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


def status_verdict(b: object, n: object) -> Verdict:
    if b == n:
        return Verdict(SAME, b, n)
    if n == "ok":
        return Verdict(BETTER, b, n, method="now ok")
    return Verdict(WORSE, b, n, method="no longer ok" if b == "ok" else "status changed", severity=math.inf)


def compare_metric(metric: Metric, base: Benchmark, new: Benchmark, thresholds: dict[str, float],
                   noise: Noise | None = None) -> Verdict:  # fmt: skip
    """The verdict of one metric of one benchmark, base run against new run (timing against `noise`)."""
    b, n = metric_value(metric, base), metric_value(metric, new)
    if (stopped := gate(base, new)) is not None:
        return Verdict(CHANGED, b, n, method=f"{stopped[0]}: {stopped[1]}", gate=stopped[0])
    if metric.compare == "status":
        return status_verdict(b, n)
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
        return memory_verdict(metric, b, n, threshold)
    if noise is None:
        noise = timing_noise.fallback_floor(timing_noise.kind_of(base.result), "judged alone, no spread estimated")
    return _timing(metric, base, new, b, n, threshold, noise)


def memory_verdict(metric: Metric, b: float, n: float, threshold: float) -> Verdict:
    """Relative beyond the threshold and by at least MEMORY_FLOOR_MIB (compare and trend alike)."""
    change = (n / b - 1) * 100
    got_worse, got_better = direction(metric, change, threshold)
    floor = abs(n - b) >= MEMORY_FLOOR_MIB
    method = f"relative, at least {MEMORY_FLOOR_MIB:g} MiB"
    severity = abs(change) / threshold if threshold else abs(change)
    if floor and got_worse:
        return Verdict(WORSE, b, n, change, method, severity)
    if floor and got_better:
        return Verdict(BETTER, b, n, change, method, severity)
    return Verdict(SAME, b, n, change, method)


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
    run_level: tuple[Row, ...] = ()  # one per timing metric, key RUN_LEVEL
    # Benchmarks whose traced step computes something else: exact counts, decided before any timing verdict.
    computation_changed: list[computation.ComputationChange] = field(default_factory=list)

    @property
    def any_worse(self) -> bool:
        return any(r.verdict.verdict == WORSE for r in (*self.rows, *self.run_level))

    def insensitive(self, thresholds: dict[str, float]) -> list[str]:
        """The benchmarks with a timing verdict, not worse, blind to a change of the threshold's size."""
        return insensitive_keys(self.rows, thresholds)


ORDER = {WORSE: 0, CHANGED: 1, UNKNOWN: 2, BETTER: 3, SAME: 4}


def _timed(base: Benchmark, new: Benchmark) -> bool:
    both_ok = base.result.get("status") == "ok" and new.result.get("status") == "ok"
    return both_ok and gate(base, new) is None and step_time_log_ratio(base, new) is not None


def compare_runs(base: SavedRun, new: SavedRun, thresholds: dict[str, float]) -> Comparison:
    """Every metric of every benchmark the two runs share, worst first; the run-level timing rows; unmatched ids.

    A metric that neither run has for a benchmark (test accuracy on synthetic data, which is not
    evaluated) gets no row; one that only one run has is unknown, "not recorded".
    """
    base_keys, new_keys = base.by_key(), new.by_key()
    shared = {key: (base_keys[key], new_keys[key]) for key in base_keys if key in new_keys}
    timed = {key: pair for key, pair in shared.items() if _timed(*pair)}
    noises = timing_noises(timed)
    rows = [
        Row(key, metric, compare_metric(metric, *pair, thresholds, noises.get(key)))
        for key, pair in shared.items()
        for metric in compared()
        if metric.compare == "status" or {metric_value(metric, pair[0]), metric_value(metric, pair[1])} != {None}
    ]
    rows.sort(key=lambda r: (ORDER[r.verdict.verdict], -r.verdict.severity, r.key))
    shift = timing_noise.shift([step_time_log_ratio(*pair) for pair in timed.values()])
    run_level = tuple(
        Row(RUN_LEVEL, metric, shift_verdict(metric, shift, thresholds[metric.compare], len(timed)))
        for metric in compared()
        if metric.compare in TIMING_RULES
    )
    return Comparison(
        rows=rows,
        only_base=sorted(k for k in base_keys if k not in new_keys),
        only_new=sorted(k for k in new_keys if k not in base_keys),
        run_level=run_level,
        computation_changed=computation.changed(base, new),
    )


def insensitive_keys(rows, thresholds: dict[str, float]) -> list[str]:
    """The keys of rows (anything with key, metric, verdict) whose timing verdict could not have seen the threshold."""
    return sorted(
        {
            r.key
            for r in rows
            if r.metric.compare in TIMING_RULES
            and r.verdict.insensitive(threshold_factor(r.metric.compare, thresholds[r.metric.compare]))
        }
    )
