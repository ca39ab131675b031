"""Provides learning-rate tuning per batch size: the best rate of a grid, and Shallue et al.'s three regimes.

Shallue et al. (JMLR 2019, "Measuring the effects of data parallelism on neural network
training") tune the learning rate at every batch size and read steps-to-target against batch
size in three regimes: perfect scaling (doubling the batch halves the steps), diminishing
returns, and maximal data parallelism (a larger batch no longer cuts the steps). Pure functions
of numbers and result dicts: no TensorFlow, no I/O.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping, Sequence

from bench_lib.analysis.vocabulary import Figure, spec_of, steps_to_target_series

# A batch step whose steps fall by at least this share of the perfect factor scales perfectly;
# one whose steps fall by less than MAXIMAL_GAIN (10 %) is past the point of maximal data parallelism.
PERFECT_EFFICIENCY = 0.8
MAXIMAL_GAIN = 1.1
REGIMES = ("perfect scaling", "diminishing returns", "maximal data parallelism")
# How many rates a batch's grid may grow by, one at a time, to bracket its best rate.
MAX_WIDENINGS = 3


def log_grid(center: float, points: int, decades: float) -> tuple[float, ...]:
    """`points` rates evenly spaced in log10 over `decades` decades around `center`, e.g. (3.2e-4, 1e-3, 3.2e-3).

    Raises:
      ValueError: points < 1, or decades < 0, or center <= 0.
    """
    if points < 1 or decades < 0 or not center > 0:
        raise ValueError(f"points={points!r}, decades={decades!r}, center={center!r}: need >= 1, >= 0 and > 0")
    if points == 1:
        return (center,)
    step = decades / (points - 1)
    return tuple(float(f"{center * 10 ** (step * i - decades / 2):.3g}") for i in range(points))


def trial_score(trial: Mapping[str, object]) -> tuple[int, float, float]:
    """Sort key of a tuning trial, best first: reached the target, then fewer steps to it, then higher
    validation accuracy; not ok sorts last. A trial is a result dict of one rate on the validation
    split, or an entry of a result's lr_trials (learning_rate, status, steps_to_target, validation_accuracy)."""
    if trial.get("status") != "ok":
        return (2, math.inf, math.inf)
    steps = trial.get("steps_to_target")
    accuracy = trial.get("validation_accuracy", trial.get("test_accuracy")) or 0.0
    return (0, float(steps), -accuracy) if steps is not None else (1, math.inf, -accuracy)


def _rate(trial: Mapping[str, object]) -> float:
    return float(trial["learning_rate"] if "learning_rate" in trial else spec_of(trial)["learning_rate"])


def best_rate(trials: Sequence[Mapping[str, object]]) -> float | None:
    """The learning rate of the best trial (trial_score); None when no trial finished ok."""
    ok = [t for t in trials if t.get("status") == "ok"]
    if not ok:
        return None
    return _rate(min(ok, key=trial_score))


def unbracketed_side(trials: Sequence[Mapping[str, object]]) -> str | None:
    """'below' or 'above' where the best rate has no strictly worse neighbour on that side; None when
    it has one on each side (the optimum is bracketed) or no trial finished ok."""
    best = best_rate(trials)
    if best is None:
        return None
    by_rate = sorted(trials, key=_rate)
    i = next(k for k, t in enumerate(by_rate) if _rate(t) == best)
    score = trial_score(by_rate[i])
    if i == 0 or trial_score(by_rate[i - 1]) <= score:
        return "below"
    if i == len(by_rate) - 1 or trial_score(by_rate[i + 1]) <= score:
        return "above"
    return None


def next_rate(trials: Sequence[Mapping[str, object]], factor: float) -> float | None:
    """The rate to try next to bracket the best one: one grid step (`factor`) past the smallest or the
    largest rate tried, on the side the best rate lacks a worse neighbour; None when bracketed."""
    side = unbracketed_side(trials)
    if side is None:
        return None
    rates = [_rate(t) for t in trials]
    return float(f"{(min(rates) / factor if side == 'below' else max(rates) * factor):.3g}")


def at_grid_edge(result: Mapping[str, object]) -> bool:
    """Whether the tuned rate is not bracketed by its lr_trials: the optimum may lie outside the grid."""
    trials = result.get("lr_trials") or ()
    return len(trials) > 1 and unbracketed_side(trials) is not None


def regime(small: tuple[int, Figure], large: tuple[int, Figure]) -> str:
    """The regime of one step along the batch axis: how much of the perfect cut in steps it gets."""
    (b0, f0), (b1, f1) = small, large
    gain = f0.mean / f1.mean
    if gain >= PERFECT_EFFICIENCY * (b1 / b0):
        return REGIMES[0]
    return REGIMES[2] if gain < MAXIMAL_GAIN else REGIMES[1]


def regimes(series: Sequence[tuple[int, Figure | None]]) -> list[tuple[int, int, str]]:
    """(smaller batch, larger batch, regime) for each step between batches that reached the target."""
    reached = [(b, f) for b, f in series if f is not None]
    return [(p[0], q[0], regime(p, q)) for p, q in itertools.pairwise(reached)]


def tuning_series(results: list[Mapping[str, object]]) -> dict[str, list[tuple[int, Figure | None]]]:
    """steps_to_target_series of results whose learning rates differ by batch (it is not a context)."""
    return steps_to_target_series(
        {**r, "spec": {k: v for k, v in spec_of(r).items() if k != "learning_rate"}} for r in results
    )
