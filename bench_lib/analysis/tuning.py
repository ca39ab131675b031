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

from bench_lib.analysis.findings import Figure, knee, steps_to_target_series

# A batch step whose steps fall by at least this share of the perfect factor scales perfectly;
# one whose steps fall by less than MAXIMAL_GAIN (10 %) is past the point of maximal data parallelism.
PERFECT_EFFICIENCY = 0.8
MAXIMAL_GAIN = 1.1
REGIMES = ("perfect scaling", "diminishing returns", "maximal data parallelism")


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
    """Sort key of a tuning trial (a result dict of one rate on the validation split), best first:
    reached the target, then fewer steps to it, then higher validation accuracy. Not ok sorts last."""
    if trial.get("status") != "ok":
        return (2, math.inf, math.inf)
    steps = trial.get("steps_to_target")
    accuracy = trial.get("test_accuracy") or 0.0
    return (0, float(steps), -accuracy) if steps is not None else (1, math.inf, -accuracy)


def best_rate(trials: Sequence[Mapping[str, object]]) -> float | None:
    """The learning rate of the best trial (trial_score); None when no trial finished ok."""
    ok = [t for t in trials if t.get("status") == "ok"]
    if not ok:
        return None
    return float(min(ok, key=trial_score)["spec"]["learning_rate"])


def at_grid_edge(result: Mapping[str, object]) -> bool:
    """Whether the tuned rate is the smallest or largest rate tried (lr_trials): the optimum may lie outside."""
    tried = [t["learning_rate"] for t in result.get("lr_trials") or ()]
    return len(tried) > 1 and _spec(result).get("learning_rate") in (min(tried), max(tried))


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


def _series_text(label: str, series: list[tuple[int, Figure | None]], rates: Mapping[int, float]) -> str:
    points = ", ".join(
        f"batch {b}: {'not reached' if f is None else _steps(f)} at lr {rates.get(b, math.nan):.3g}" for b, f in series
    )
    steps = "; ".join(f"{b0}→{b1} {name}" for b0, b1, name in regimes(series))
    found = knee(series)
    where = f"the knee is at batch {found}" if found else "no knee within the grid"
    return f"{label + ': ' if label else ''}{points}" + (f" ({steps}); {where}" if steps else f"; {where}")


def _steps(f: Figure) -> str:
    if f.ci95 is None:
        return f"{f.mean:,.0f} steps (n={f.n})"
    return f"{f.mean:,.0f} steps (95% CI {f.ci95[0]:,.0f}–{f.ci95[1]:,.0f}, n={f.n})"


def findings(results: list[Mapping[str, object]], metric: str) -> list[str]:
    """Steps to the target against batch size at each batch's tuned rate, per optimizer, with the
    regimes and the knee. (findings.noise_scale_beside_knee sets the knee beside B_simple.)"""
    tuned = [r for r in results if _spec(r).get("target_accuracy") is not None]
    if not tuned:
        return ["lr_tuning: no configuration with a target finished ok."]
    parts = []
    for optimizer in dict.fromkeys(_spec(r).get("optimizer") for r in tuned):
        group = [r for r in tuned if _spec(r).get("optimizer") == optimizer]
        rates = {_spec(r)["global_batch_size"]: _spec(r).get("learning_rate") or math.nan for r in group}
        for label, series in tuning_series(group).items():
            parts.append(_series_text(", ".join(filter(None, (str(optimizer), label))), series, rates))
        edge = [str(_spec(r)["global_batch_size"]) for r in group if at_grid_edge(r)]
        if edge:
            parts[-1] += f" (best rate at the edge of the grid at batch {', '.join(edge)}: widen it)"
    target = _spec(tuned[0])["target_accuracy"]
    head = f"lr_tuning (test accuracy {target:g}, rate tuned per batch on a validation split)"
    return [f"{head}: " + "; ".join(parts) + "."]


def tuning_series(results: list[Mapping[str, object]]) -> dict[str, list[tuple[int, Figure | None]]]:
    """steps_to_target_series of results whose learning rates differ by batch (it is not a context)."""
    return steps_to_target_series(
        {**r, "spec": {k: v for k, v in _spec(r).items() if k != "learning_rate"}} for r in results
    )


def _spec(result: Mapping[str, object]) -> Mapping[str, object]:
    return result.get("spec") or {}
