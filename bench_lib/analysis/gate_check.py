"""How sensitive the regression gate is on a pair of runs: BASE against NEW as measured, then against
copies of NEW whose code seems slower by each factor (bench_lib.record.scaled).

Two runs of unchanged code, one after the other, should compare with nothing worse or better; a
copy of the second scaled by the threshold's factor should be called worse on nearly every timed
benchmark. This measures both from the user's own runs on the user's own machine, with the
verdict rules compare applies (bench_lib.analysis.verdict).

Runs made with several processes per configuration (--bench-processes N) can also be judged as if
each had run only its first k processes, for several k: what a smaller N would have seen, from the
same two runs, so a machine's nightly process count can be chosen from its own measurements.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench_lib.analysis import timing_noise, verdict
from bench_lib.record import history, metrics, scaled
from bench_lib.record.history import SavedRun

STEP_TIME = "step_time_ms"


@dataclass(frozen=True)
class QuestionCheck:
    """One question's share of a Check: its timed benchmarks, those called worse, and the range of the
    smallest slowdown each could have called worse (from the noise its comparison used)."""

    question: str
    timed: int
    worse: int
    could_see: tuple[float, float] | None  # (most sensitive, least sensitive); None: no row states one


@dataclass(frozen=True)
class Check:
    """BASE against NEW times `factor`: how compare judged the step time of its timed benchmarks."""

    factor: float
    processes: int | None  # each configuration judged on its first this many processes; None: all it saved
    timed: int  # benchmarks whose step time was judged worse, better or same
    worse: int
    better: int
    insensitive: int  # not worse and could not have seen a change of the threshold's size
    run_level: str  # the run-level step-time verdict
    any_worse: bool  # compare's exit status would be 1
    by_question: tuple[QuestionCheck, ...] = ()  # the same, question by question, in name order

    @property
    def worse_share(self) -> float:
        return self.worse / self.timed if self.timed else 0.0


@dataclass(frozen=True)
class Pair:
    """The two runs a gate check reads: their saved data (history.read_data) and where each was read from."""

    base_data: dict
    base_path: Path
    new_data: dict
    new_path: Path


def check(
    runs: Pair, factors: Sequence[float], thresholds: dict[str, float], processes: Sequence[int | None] = (None,)
) -> list[Check]:
    """BASE against NEW as measured (factor 1), then against NEW scaled by each factor; all of it for each
    process count (None: the processes the runs saved, k: both runs cut to their first k, first_processes)."""
    checks = []
    for count in processes:
        base_data, new_data = (runs.base_data, runs.new_data) if count is None else (
            first_processes(runs.base_data, count), first_processes(runs.new_data, count))  # fmt: skip
        base = history.run_from_data(base_data, runs.base_path)
        checks += [_one(base, new_data, runs.new_path, factor, count, thresholds) for factor in (1.0, *factors)]
    return checks


def first_processes(data: dict, count: int) -> dict:
    """A copy of a saved run as if each timed configuration had run only its first `count` processes.

    The suite's own process is pass 0 and the further ones follow in passes; their medians are kept
    where their pass is below `count` (in saved order where the run saved no passes). With one process
    left, a configuration keeps no process medians and is judged as a one-process run is.

    Raises:
      ValueError: count below 1.
    """
    if count < 1:
        raise ValueError(f"processes={count!r} is not allowed: a whole number >= 1")
    data = copy.deepcopy(data)
    for bench in scaled.timed(data):
        info = bench["extra_info"]
        medians = info.get(timing_noise.PROCESS_MEDIANS)
        if not isinstance(medians, list):
            continue
        passes = timing_noise.process_passes(info) or range(len(medians))
        kept = [(m, p) for m, p in zip(medians, passes, strict=True) if p < count]
        if len(kept) > 1:
            info[timing_noise.PROCESS_MEDIANS] = [m for m, _ in kept]
            if timing_noise.PROCESS_PASSES in info:
                info[timing_noise.PROCESS_PASSES] = [p for _, p in kept]
        else:
            info.pop(timing_noise.PROCESS_MEDIANS)
            info.pop(timing_noise.PROCESS_PASSES, None)
    return data


def _one(
    base: SavedRun, new_data: dict, new_path: Path, factor: float, processes: int | None, thresholds: dict[str, float]
) -> Check:
    data = new_data if factor == 1.0 else scaled.scaled(new_data, factor)
    new = history.run_from_data(data, new_path)
    comparison = verdict.compare_runs(base, new, thresholds)
    step_time = metrics.metric(STEP_TIME)
    rows = [r for r in comparison.rows if r.metric == step_time and r.verdict.verdict != verdict.CHANGED]
    timed = [r for r in rows if r.verdict.verdict in (verdict.WORSE, verdict.BETTER, verdict.SAME)]
    level = next((r.verdict.verdict for r in comparison.run_level if r.metric == step_time), verdict.UNKNOWN)
    insensitive = set(comparison.insensitive(thresholds))
    return Check(
        factor=factor,
        processes=processes,
        timed=len(timed),
        worse=sum(r.verdict.verdict == verdict.WORSE for r in timed),
        better=sum(r.verdict.verdict == verdict.BETTER for r in timed),
        insensitive=sum(r.key in insensitive for r in timed),
        run_level=level,
        any_worse=comparison.any_worse,
        by_question=_by_question(timed),
    )


def _by_question(rows: Sequence[verdict.Row]) -> tuple[QuestionCheck, ...]:
    by_question: dict[str, list[verdict.Row]] = {}
    for r in rows:
        by_question.setdefault(r.key.split("/")[0], []).append(r)
    checks = []
    for question, own in sorted(by_question.items()):
        seen = [r.verdict.detectable for r in own if r.verdict.detectable is not None]
        checks.append(QuestionCheck(
            question=question,
            timed=len(own),
            worse=sum(r.verdict.verdict == verdict.WORSE for r in own),
            could_see=(min(seen), max(seen)) if seen else None,
        ))  # fmt: skip
    return tuple(checks)
