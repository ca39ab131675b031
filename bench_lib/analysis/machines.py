"""Compares machines: throughput and step-memory ratios per model family and precision, with intervals.

Pure functions of saved benchmarks (bench_lib.record.history.Benchmark or anything with `id`,
`question`, `result` and `rounds_s`); rendering is bench_lib.render.machine_tables'.

A configuration's throughput ratio is NEW's examples/s over BASE's on the same benchmark id. Each
saved round is one timed block's time per optimizer step, so the ratio is BASE's step time over
NEW's, and its 95 % interval comes from the rounds on a log scale: Welch's t on the mean log step
time of each run (a ratio of geometric means, which a few slow rounds on a loaded machine move less
than an arithmetic mean). Rounds are not independent draws of a machine's speed (they share the
process, its memory layout and its neighbours), so the interval is the run's own noise, not the
spread a second run would show; a benchmark saved without its rounds gives the ratio of the saved
examples/s and no interval.

A family's ratio (one model in one precision) is the geometric mean over its matched
configurations (batch sizes, strategies), and the geometric mean over families is the machine's
figure, as SPEC and MLPerf summarize many workloads: every family counts once whatever its speed.
Their intervals add the log-scale variances of the parts (the parts are independent runs of
different configurations) with the fewest degrees of freedom among them, which errs wide.

Step memory (`step_peak_mib`, the training step's own TensorFlow peak) is one value per run, so
its ratios carry no interval.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

from scipy import stats as scipy_stats

from bench_lib.analysis import glance
from bench_lib.analysis.family import Family

CONFIDENCE = 0.95
MEMORY_KEY = "step_peak_mib"


class Saved(Protocol):
    question: str
    id: str
    result: dict
    rounds_s: tuple[float, ...]


@dataclass(frozen=True)
class LogRatio:
    """A ratio as its natural log with that log's standard error and degrees of freedom (None: no interval)."""

    log: float
    se: float | None = None
    df: float | None = None

    @property
    def ratio(self) -> float:
        return math.exp(self.log)

    @property
    def interval(self) -> tuple[float, float] | None:
        if self.se is None or self.df is None:
            return None
        half = scipy_stats.t.ppf(0.5 + CONFIDENCE / 2, self.df) * self.se
        return math.exp(self.log - half), math.exp(self.log + half)


def round_ratio(base_rounds_s: Sequence[float], new_rounds_s: Sequence[float]) -> LogRatio:
    """NEW's throughput over BASE's from each run's per-step round times: Welch's t on log times.

    Raises:
      ValueError: a run has fewer than two rounds, or a round that is not a positive time.
    """
    for name, rounds in (("base_rounds_s", base_rounds_s), ("new_rounds_s", new_rounds_s)):
        if len(rounds) < 2 or any(not t > 0 for t in rounds):
            raise ValueError(f"{name}={list(rounds)!r} is not allowed: two or more positive times")
    logs_base = [math.log(t) for t in base_rounds_s]
    logs_new = [math.log(t) for t in new_rounds_s]
    mean_base, mean_new = sum(logs_base) / len(logs_base), sum(logs_new) / len(logs_new)
    var_base = _variance(logs_base) / len(logs_base)
    var_new = _variance(logs_new) / len(logs_new)
    se = math.sqrt(var_base + var_new)
    if se == 0:
        return LogRatio(mean_base - mean_new, 0.0, float(len(logs_base) + len(logs_new) - 2))
    df = (var_base + var_new) ** 2 / (
        var_base**2 / (len(logs_base) - 1) + var_new**2 / (len(logs_new) - 1)
    )  # Welch–Satterthwaite
    return LogRatio(mean_base - mean_new, se, df)


def _variance(values: Sequence[float]) -> float:
    mean = sum(values) / len(values)
    return sum((v - mean) ** 2 for v in values) / (len(values) - 1)


def geometric_mean(parts: Sequence[LogRatio]) -> LogRatio:
    """The geometric mean of ratios; an interval only where every part has one.

    Raises:
      ValueError: no parts.
    """
    if not parts:
        raise ValueError("parts=[] is not allowed: one ratio or more")
    log = sum(p.log for p in parts) / len(parts)
    if any(p.se is None or p.df is None for p in parts):
        return LogRatio(log)
    se = math.sqrt(sum(p.se**2 for p in parts)) / len(parts)
    return LogRatio(log, se, min(p.df for p in parts))


@dataclass(frozen=True)
class FamilyRatio:
    """NEW over BASE for one model family in one precision."""

    family: str
    precision: str
    configurations: int
    throughput: LogRatio
    memory: LogRatio | None  # None where a run lacks step_peak_mib


@dataclass(frozen=True)
class MachineSummary:
    """Every family's ratios, and their geometric means per precision (over the families measured in it)."""

    families: tuple[FamilyRatio, ...]
    throughput_by_precision: dict[str, LogRatio]
    memory_by_precision: dict[str, LogRatio]
    unmatched: int  # benchmarks of the chosen questions that ran ok in one run only


def configuration_ratio(base: Saved, new: Saved) -> LogRatio | None:
    """NEW over BASE throughput of one configuration; None where either lacks a throughput."""
    if len(base.rounds_s) >= 2 and len(new.rounds_s) >= 2 and all(t > 0 for t in (*base.rounds_s, *new.rounds_s)):
        return round_ratio(base.rounds_s, new.rounds_s)
    b, n = base.result.get("examples_per_sec"), new.result.get("examples_per_sec")
    if not b or not n:
        return None
    return LogRatio(math.log(float(n) / float(b)))


def _memory_ratio(base: Mapping, new: Mapping) -> LogRatio | None:
    b, n = base.get(MEMORY_KEY), new.get(MEMORY_KEY)
    return LogRatio(math.log(float(n) / float(b))) if b and n else None


def _family(benchmark: Saved) -> tuple[str, str]:
    spec = benchmark.result.get("spec") or {}
    return str(spec.get("model", "?")), str(spec.get("precision", "float32"))


def summarize(base: Iterable[Saved], new: Iterable[Saved], *, questions: Sequence[str]) -> MachineSummary:
    """The ratios of NEW over BASE on the benchmarks of `questions` (those that time steps) that ran ok in both."""

    def ok(run: Iterable[Saved]) -> dict[str, Saved]:
        chosen = (b for b in run if b.question in questions and b.result.get("status", "ok") == "ok")
        return {f"{b.question}/{b.id}": b for b in chosen}

    base_ok, new_ok = ok(base), ok(new)
    matched = [k for k in base_ok if k in new_ok]
    throughput: dict[tuple[str, str], list[LogRatio]] = {}
    memory: dict[tuple[str, str], list[LogRatio]] = {}
    for key in matched:
        ratio = configuration_ratio(base_ok[key], new_ok[key])
        if ratio is None:
            continue
        family = _family(new_ok[key])
        throughput.setdefault(family, []).append(ratio)
        mem = _memory_ratio(base_ok[key].result, new_ok[key].result)
        if mem is not None:
            memory.setdefault(family, []).append(mem)
    families = tuple(
        FamilyRatio(family, precision, len(parts), geometric_mean(parts),
                    geometric_mean(memory[(family, precision)]) if (family, precision) in memory else None)
        for (family, precision), parts in sorted(throughput.items(), key=lambda item: (item[0][1], item[0][0]))
    )  # fmt: skip
    by_precision: dict[str, list[FamilyRatio]] = {}
    for f in families:
        by_precision.setdefault(f.precision, []).append(f)
    return MachineSummary(
        families=families,
        throughput_by_precision={p: geometric_mean([f.throughput for f in fs]) for p, fs in by_precision.items()},
        memory_by_precision={
            p: geometric_mean([f.memory for f in fs if f.memory])
            for p, fs in by_precision.items()
            if any(f.memory for f in fs)
        },
        unmatched=len(set(base_ok) ^ set(new_ok)),
    )


# Findings side by side: the verdict words of bench_lib.analysis.glance that decide something.
AGREE, DISAGREE, UNDECIDED = "agree", "disagree", "undecided"


@dataclass(frozen=True)
class Side:
    """One run's finding on a question: its verdict word and the direction its answer states."""

    verdict: str  # a bench_lib.analysis.glance verdict word
    direction: str | None  # "rises", "falls", "stays level"; None where the answer states none


def side_by_side(base: Side, new: Side) -> str:
    """agree, disagree or undecided for one finding measured on two machines.

    Both runs call it "real" in the same direction, or both "same" (inside the metric's margin):
    agree. Both "real" in opposite directions: disagree, since accuracy findings are about the
    model, not the hardware, and a difference is itself a finding (or a bug). One "real" and the
    other "same" is undecided: a real difference can still lie inside the margin. So is anything
    else: undecided on either side, one seed, an estimate, a finding judged elsewhere.
    """
    if base.verdict == new.verdict == "same":
        return AGREE
    if base.verdict == new.verdict == "real":
        return AGREE if base.direction == new.direction else DISAGREE
    return UNDECIDED


def direction_of(answer: str) -> str | None:
    """The direction a glance answer states ('... rises from ...'), or None."""
    for word in ("rises", "falls", "stays level"):
        if f" {word} from " in answer or f" {word} " in answer:
            return word
    return None


@dataclass(frozen=True)
class FindingPair:
    """One question's finding on both machines, and whether they agree."""

    question: str
    base: str  # the finding's answer with its verdict word; "-" where the run has none
    new: str
    call: str  # agree, disagree or undecided; an undecided call whose answers state directions says how they lie


def findings_side_by_side(
    base: Iterable[Saved],
    new: Iterable[Saved],
    *,
    rules: Mapping[str, glance.Rule],
    judged: Callable[[list[dict]], Family],
) -> list[FindingPair]:
    """The glance findings (bench_lib.analysis.glance) of every question either run answers, paired.

    rules: each question's glance rule by name (bench_lib.questions.glance_rules()).
    judged: a run's judged family from its results (bench_lib.questions.judged_family), so each
      row's verdict word is the one that run's report prints.
    """

    def by_question(run: Iterable[Saved]) -> dict[str, glance.Glance]:
        results = [{**b.result, "question": b.question} for b in run]
        return {g.question: g for g in glance.glance(results, rules=rules, family=judged(results))}

    rows_base, rows_new = by_question(base), by_question(new)
    pairs = []
    for question in [*rows_base, *(q for q in rows_new if q not in rows_base)]:
        a, b = rows_base.get(question), rows_new.get(question)
        if a is None or b is None:
            call = UNDECIDED
        else:
            sides = Side(a.verdict, direction_of(a.answer)), Side(b.verdict, direction_of(b.answer))
            call = side_by_side(*sides)
            if call == UNDECIDED and None not in (sides[0].direction, sides[1].direction):
                call += " (same direction)" if sides[0].direction == sides[1].direction else " (opposite directions)"
        pairs.append(FindingPair(question, _stated(a), _stated(b), call))
    return pairs


def _stated(row: glance.Glance | None) -> str:
    return "-" if row is None else f"{row.answer} ({row.verdict})"


@dataclass(frozen=True)
class PrecisionSpeedup:
    """Within one run: a mixed-precision configuration's throughput over its float32 twin's."""

    id: str
    precision: str
    speedup: LogRatio
    loss_scale_skipped_steps: int | None


def precision_speedups(run: Iterable[Saved], *, questions: Sequence[str]) -> list[PrecisionSpeedup]:
    """Every ok mixed-precision configuration of `questions` whose float32 twin (the same id without
    the precision's suffix) ran ok too, with the speed-up of the mixed precision over float32."""
    ok = {b.id: b for b in run if b.question in questions and b.result.get("status", "ok") == "ok"}
    found = []
    for bench_id, bench in ok.items():
        precision = str((bench.result.get("spec") or {}).get("precision", "float32"))
        twin = ok.get(bench_id.removesuffix(f"-{precision}"))
        if precision == "float32" or twin is None:
            continue
        ratio = configuration_ratio(twin, bench)
        if ratio is not None:
            found.append(PrecisionSpeedup(bench_id, precision, ratio, bench.result.get("loss_scale_skipped_steps")))
    return found


@dataclass(frozen=True)
class PerformanceProfile:
    """Dolan and Moré's performance profile of several machines over the same problems (family, precision).

    ratios[m][p] is the best machine's throughput on problem p over machine m's (1 for the best);
    curve(m) gives, for each τ where the profile steps, the fraction of problems machine m runs
    within a factor τ of the best. A machine whose curve lies above another's is as fast or
    faster on more of the problems at every tolerance.
    """

    machines: tuple[str, ...]
    problems: tuple[tuple[str, str], ...]
    ratios: tuple[tuple[float, ...], ...]
    left_out: int  # configurations that did not run ok on every machine

    def curve(self, machine: int) -> list[tuple[float, float]]:
        """(τ, fraction of problems within τ of the best) at each step of machine's profile, from τ = 1."""
        ratios = sorted(self.ratios[machine])
        steps = [(1.0, sum(math.isclose(r, 1.0, rel_tol=1e-9) or r < 1 for r in ratios) / len(ratios))]
        for i, r in enumerate(ratios):  # ratios equal but for rounding make one step
            if (
                not math.isclose(r, 1.0, rel_tol=1e-9)
                and r > 1.0
                and (i + 1 == len(ratios) or not math.isclose(ratios[i + 1], r, rel_tol=1e-9))
            ):
                steps.append((r, (i + 1) / len(ratios)))
        return steps


def performance_profile(runs: Sequence[tuple[str, Iterable[Saved]]], *, questions: Sequence[str]) -> PerformanceProfile:
    """The profile of named runs over the configurations of `questions` that ran ok on every one of them.

    A problem's throughput on a machine is the geometric mean of its configurations' examples/s.

    Raises:
      ValueError: fewer than two runs, or no configuration that ran ok on every one.
    """
    if len(runs) < 2:
        raise ValueError(f"runs={[name for name, _ in runs]!r} is not allowed: two or more")
    ok_by_run = []
    for _, run in runs:
        chosen = (b for b in run if b.question in questions and b.result.get("status", "ok") == "ok")
        ok_by_run.append({f"{b.question}/{b.id}": b for b in chosen if b.result.get("examples_per_sec")})
    common = [k for k in ok_by_run[0] if all(k in ok for ok in ok_by_run[1:])]
    if not common:
        raise ValueError("runs share no configuration that ran ok on every one: nothing to profile")
    problems = sorted({_family(ok_by_run[0][k]) for k in common}, key=lambda p: (p[1], p[0]))
    throughput = [
        [
            math.exp(sum(math.log(float(ok[k].result["examples_per_sec"])) for k in keys) / len(keys))
            for keys in ([k for k in common if _family(ok[k]) == p] for p in problems)
        ]
        for ok in ok_by_run
    ]
    best = [max(column) for column in zip(*throughput, strict=True)]
    ratios = tuple(tuple(b / t for b, t in zip(best, row, strict=True)) for row in throughput)
    left_out = len(set().union(*ok_by_run)) - len(common)
    return PerformanceProfile(tuple(name for name, _ in runs), tuple(problems), ratios, left_out)


# The widest precision feature names a CPU's class: the first of these its flags list.
CLASS_FEATURES = (("amx_bf16", "amx"), ("avx512_bf16", "avx512-bf16"), ("avx512f", "avx512"), ("avx2", "avx2"))


def machine_class(machine: Mapping[str, object]) -> str:
    """A folder name for a saved run's machine class: its GPU's or CPU's brand and, for a CPU, its widest
    precision feature, e.g. 'amd-epyc-avx512-bf16', 'intel-xeon-platinum-8480-amx', 'nvidia-a100-sxm4-40gb'."""
    gpus = machine.get("gpu_names") or []
    if gpus:
        return _slug(str(gpus[0]))
    brand = re.sub(r"\((R|TM|tm|r)\)|\bCPU\b|@.*$|\b\d+-Core Processor\b", " ", str(machine.get("cpu_model") or "cpu"))
    flags = machine.get("cpu_precision_flags") or []
    feature = next((name for flag, name in CLASS_FEATURES if flag in flags), None)
    return "-".join(part for part in (_slug(brand), feature) if part)


def _slug(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "unknown"
