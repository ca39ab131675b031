"""The lr_tuning question: steps to a target across batch sizes at a learning rate tuned for each batch."""

import functools
import math
from collections.abc import Mapping
from dataclasses import dataclass

from bench_lib.analysis import glance, tuning
from bench_lib.analysis.supplied import Supplies
from bench_lib.analysis.vocabulary import READINGS, Figure, spec_of
from bench_lib.questions.registry import Page, Question
from bench_lib.questions.time_to_accuracy import SHALLUE
from bench_lib.record.metrics import ResultKey


@dataclass(frozen=True, kw_only=True)
class Sizes:
    batch_sizes: tuple[int, ...]
    optimizers: tuple[str, ...]
    points: int  # learning rates of the log grid, around the optimizer's default
    decades: float  # that the grid spans
    validation_fraction: float  # of the training set held out to tune on
    target_accuracy: float  # on the validation share while tuning, on the test set in the rerun
    check_examples: int  # the accuracy is checked about every this many training examples
    max_epochs: int  # the budget of a configuration that never reaches the target


def _series_text(
    label: str, series: list[tuple[int, Figure | None]], rates: Mapping[int, float], *, named: bool
) -> str:
    points = ", ".join(
        f"batch {b}: {'not reached' if f is None else _steps(f)} at lr {rates.get(b, math.nan):.3g}" for b, f in series
    )
    steps = "; ".join(f"{b0}→{b1} {name}" for b0, b1, name in tuning.regimes(series)) if named else ""
    return f"{label + ': ' if label else ''}{points}" + (f" ({steps})" if steps else "")


def _steps(f: Figure) -> str:
    fmt = READINGS["steps_to_target"].fmt
    if f.ci95 is None:
        return f"{f.mean:{fmt}} steps (n={f.n})"
    return f"{f.mean:{fmt}} steps (95% CI {f.ci95[0]:{fmt}}–{f.ci95[1]:{fmt}}, n={f.n})"


def findings(results: list[Mapping[str, object]], metric: str, **_: object) -> list[str]:
    """Steps to the target against batch size at each batch's tuned rate, per optimizer, with the regimes —
    named only where every batch's best rate is bracketed by worse ones. (The critical batch fitted to
    these series: bench_lib.analysis.critical_batch, from what this question supplies.)"""
    tuned = [r for r in results if spec_of(r).get("target_accuracy") is not None]
    if not tuned:
        return ["lr_tuning: no configuration with a target finished ok."]
    parts = []
    for optimizer in dict.fromkeys(spec_of(r).get("optimizer") for r in tuned):
        group = [r for r in tuned if spec_of(r).get("optimizer") == optimizer]
        rates = {spec_of(r)["global_batch_size"]: spec_of(r).get("learning_rate") or math.nan for r in group}
        edge = [str(spec_of(r)["global_batch_size"]) for r in group if tuning.at_grid_edge(r)]
        for label, series in tuning.tuning_series(group).items():
            parts.append(_series_text(", ".join(filter(None, (str(optimizer), label))), series, rates, named=not edge))
        if edge:
            parts[-1] += (
                f" (best rate not bracketed by worse ones at batch {', '.join(edge)} even after widening the grid: "
                "no scaling regime named)"
            )
    target = spec_of(tuned[0])["target_accuracy"]
    head = f"lr_tuning (test accuracy {target:g}, rate tuned per batch on a validation split)"
    return [f"{head}: " + "; ".join(parts) + "."]


QUESTION = Question(
    name="lr_tuning",
    title="Steps to a target at a learning rate tuned per batch size",
    order=75,
    quick=Sizes(
        batch_sizes=(32, 256),
        optimizers=("adam",),
        points=3,
        decades=2.0,
        validation_fraction=0.2,
        target_accuracy=0.85,
        check_examples=256,
        max_epochs=40,
    ),
    full=Sizes(
        batch_sizes=(16, 32, 64, 128, 256, 512, 1024),
        optimizers=("momentum", "adam"),
        points=5,
        decades=2.0,
        validation_fraction=0.2,
        target_accuracy=0.9,
        check_examples=1024,
        max_epochs=60,
    ),
    findings=findings,
    papers=(SHALLUE,),
    # Its series, at each batch's tuned rate, give a critical batch beside the noise-scale probe's B_simple.
    supplies=Supplies(steps_to_target=True, tuned=True),
    # The rate differs between configurations without being a context: it is tuned per batch.
    glance=functools.partial(glance.compared, metric="steps_to_target", ignore=("learning_rate",)),
    result_keys=(
        ResultKey(
            "lr_trials",
            "The lr_tuning question: each rate tried on the validation split, as `learning_rate`, `status`, "
            "`steps_to_target` and `validation_accuracy`; the result itself is the best rate's rerun.",
        ),
    ),
    page=Page(
        path="lr-tuning.md",
        nav="Learning rate tuned per batch",
        asks="How many steps to a target at a rate tuned for each batch?",
        quick_grid="`mlp`, Adam, batch 32 and 256, 3 rates tuned on a validation split, 3 seeds",
    ),
)
