"""How sensitive the regression gate is on a pair of runs: BASE against NEW as measured, then against
copies of NEW whose code seems slower by each factor (bench_lib.record.scaled).

Two runs of unchanged code, one after the other, should compare with nothing worse or better; a
copy of the second scaled by the threshold's factor should be called worse on nearly every timed
benchmark. This measures both from the user's own runs on the user's own machine, with the
verdict rules compare applies (bench_lib.analysis.verdict).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench_lib.analysis import verdict
from bench_lib.record import history, metrics, scaled
from bench_lib.record.history import SavedRun

STEP_TIME = "step_time_ms"


@dataclass(frozen=True)
class Check:
    """BASE against NEW times `factor`: how compare judged the step time of its timed benchmarks."""

    factor: float
    timed: int  # benchmarks whose step time was judged worse, better or same
    worse: int
    better: int
    insensitive: int  # not worse and could not have seen a change of the threshold's size
    run_level: str  # the run-level step-time verdict
    any_worse: bool  # compare's exit status would be 1

    @property
    def worse_share(self) -> float:
        return self.worse / self.timed if self.timed else 0.0


def check(
    base: SavedRun, new_data: dict, new_path: Path, factors: Sequence[float], thresholds: dict[str, float]
) -> list[Check]:
    """BASE against NEW as measured (factor 1), then against NEW scaled by each factor.

    new_data: NEW's saved data (history.read_data), which each scaled copy starts from.
    """
    return [_one(base, new_data, new_path, factor, thresholds) for factor in (1.0, *factors)]


def _one(base: SavedRun, new_data: dict, new_path: Path, factor: float, thresholds: dict[str, float]) -> Check:
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
        timed=len(timed),
        worse=sum(r.verdict.verdict == verdict.WORSE for r in timed),
        better=sum(r.verdict.verdict == verdict.BETTER for r in timed),
        insensitive=sum(r.key in insensitive for r in timed),
        run_level=level,
        any_worse=comparison.any_worse,
    )
