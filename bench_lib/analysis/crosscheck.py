"""Sets the suite's test accuracy beside plain Keras' training of the same configuration, per batch size.

The other side is tools/dev/keras_crosscheck.py's JSON: a network, dataset, optimizer and epoch
budget, and per batch size the test accuracy of each seed. Each of its batch sizes is matched with
the one result of a question that trained that configuration (the same model, data, optimizer at
its default rate, epochs, one replica, no accumulation, float32), and the two are compared:

- the difference (plain Keras − suite) with its 95% interval and p-value by Welch's t-test
  (bench_lib.maths.inference.compare), where each side has two values or more;
- the verdict: "agrees" when plain Keras' mean lies inside the suite's 95% interval, "disagrees"
  when outside, "no interval" when the suite measured one seed.

Pure: no TensorFlow, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bench_lib.analysis.vocabulary import READINGS, Figure, figure, spec_of
from bench_lib.maths import inference, stats

METRIC = "test_accuracy"
VERDICTS = ("agrees", "disagrees", "no interval")
# The suite's fields the plain-Keras training fixes whatever the JSON says: one replica, no
# accumulation, float32, a budget of epochs, the optimizer's own rate on the whole training set.
FIXED = {"replicas": 1, "accumulation_steps": 1, "precision": "float32", "steps": None, "lr_scaling": "none",
         "warmup_epochs": 0.0, "validation_fraction": 0.0, "model": "mlp"}  # fmt: skip


@dataclass(frozen=True)
class CrossCheck:
    """One batch size: the suite's figure and steps an epoch, plain Keras', their comparison and verdict.

    comparison: plain Keras − suite by Welch's test; None where a side has fewer than two values."""

    batch_size: int
    suite: Figure
    other: Figure
    suite_steps_per_epoch: int | None
    other_steps_per_epoch: int
    comparison: inference.Comparison | None
    verdict: str


def verdict(suite: Figure, other_mean: float) -> str:
    """agrees when other_mean lies inside the suite's 95% interval, disagrees outside, no interval for one seed."""
    if suite.ci95 is None:
        return "no interval"
    return "agrees" if suite.ci95[0] <= other_mean <= suite.ci95[1] else "disagrees"


def seeds_figure(values: Sequence[float]) -> Figure:
    """The mean of per-seed values with its 95% t-interval (None for one value)."""
    return Figure(stats.mean(values), stats.ci95(values) if len(values) > 1 else None, len(values), tuple(values))


def _expected(held: Mapping[str, object], batch_size: int) -> dict[str, object]:
    return FIXED | {
        "dataset": held["dataset"]["name"], "hidden_units": list(held["hidden_units"]), "dropout": held["dropout"],
        "optimizer": held["optimizer"], "epochs": held["epochs"], "global_batch_size": batch_size,
    }  # fmt: skip


def _matches(spec: Mapping[str, object], expected: Mapping[str, object], rate: object) -> bool:
    if any(spec.get(field) != value for field, value in expected.items()):
        return False
    return spec.get("bn") in (None, "none") and spec.get("learning_rate") in (None, rate)


def suite_result(results: Sequence[Mapping], held: Mapping[str, object], batch_size: int) -> Mapping:
    """The one result of `results` that trained plain Keras' configuration at batch_size.

    Raises: ValueError when none, or several, did."""
    expected = _expected(held, batch_size)
    found = [r for r in results if _matches(spec_of(r), expected, held.get("learning_rate"))]
    if len(found) != 1:
        fields = ", ".join(f"{k}={v!r}" for k, v in expected.items())
        raise ValueError(f"{len(found)} results trained plain Keras' configuration ({fields}); one must")
    return found[0]


def cross_checks(results: Sequence[Mapping], held: Mapping[str, object]) -> list[CrossCheck]:
    """Each batch size of the plain-Keras JSON `held` beside the suite's result of the same configuration.

    Raises: ValueError when held lacks a key keras_crosscheck.py writes, or a batch size has no single
    matching result, or the suite's result has no test accuracy."""
    missing = [k for k in ("dataset", "hidden_units", "dropout", "optimizer", "epochs", "batch_sizes") if k not in held]
    if missing:
        raise ValueError(f"not a keras_crosscheck.py file: it lacks {', '.join(missing)}")
    checks = []
    for batch, run in held["batch_sizes"].items():
        result = suite_result(results, held, int(batch))
        suite = figure(result, METRIC)
        if suite is None:
            raise ValueError(f"the suite's result {result.get('id')!r} has no {METRIC}")
        other = seeds_figure([float(v) for v in run[METRIC]])
        both = len(suite.values) > 1 and len(other.values) > 1
        steps = result.get("optimizer_steps")
        checks.append(CrossCheck(
            batch_size=int(batch), suite=suite, other=other,
            suite_steps_per_epoch=steps // held["epochs"] if isinstance(steps, int) else None,
            other_steps_per_epoch=int(run["steps_per_epoch"]),
            comparison=inference.compare(suite.values, other.values, READINGS[METRIC].margin) if both else None,
            verdict=verdict(suite, other.mean),
        ))  # fmt: skip
    return checks
